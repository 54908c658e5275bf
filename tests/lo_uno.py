"""Drive LibreOffice headless through UNO, as a recipient without Python would open a file.

The UNO client runs under the system Python (where Debian's python3-uno lives),
in a subprocess; soffice listens on a loopback pipe with a private profile and is
always terminated afterwards.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"

CLIENT = textwrap.dedent(
    r'''
    import json, sys, time
    import uno
    from com.sun.star.beans import PropertyValue

    def prop(name, value):
        p = PropertyValue(); p.Name = name; p.Value = value; return p

    pipe, path, action, arg = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + 60
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.3)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0, (prop("Hidden", True),))
    try:
        if action == "values":
            doc.calculateAll()
            sheet = doc.Sheets.getByName(arg)
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            end = cursor.getRangeAddress()
            area = sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
            rows = []
            for r in range(end.EndRow + 1):
                line = []
                for c in range(end.EndColumn + 1):
                    cell = area.getCellByPosition(c, r)
                    kind = cell.getType().value
                    if kind == "EMPTY":
                        line.append(None)
                    elif kind == "VALUE":
                        line.append(cell.getValue())
                    elif kind == "FORMULA" and cell.getError() == 0 and cell.FormulaResultType2 == 1:
                        line.append(cell.getValue())
                    else:
                        line.append(cell.getString())
                rows.append(line)
            print(json.dumps(rows))
        elif action == "vba":
            libs = doc.BasicLibraries
            out = {}
            if libs.hasByName("VBAProject"):
                lib = libs.getByName("VBAProject")
                for name in lib.getElementNames():
                    out[name] = lib.getByName(name)
            print(json.dumps(out))
    finally:
        doc.close(True)
    '''
)


def available() -> bool:
    return shutil.which("soffice") is not None and Path(SYSTEM_PYTHON).exists()


def _run(path: Path, action: str, arg: str = "", timeout: int = 180):
    pipe = f"starbook-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="starbook-lo-") as tmp:
        profile = Path(tmp) / "profile"
        script = Path(tmp) / "client.py"
        script.write_text(CLIENT, encoding="utf-8")
        office = subprocess.Popen(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible", "--nologo",
             "--norestore", "--nodefault", "--nolockcheck", f"--accept=pipe,name={pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            out = subprocess.run([SYSTEM_PYTHON, str(script), pipe, str(path), action, arg],
                                 capture_output=True, text=True, timeout=timeout,
                                 env={**os.environ, "PYTHONPATH": "/usr/lib/python3/dist-packages"})
            if out.returncode != 0:
                raise RuntimeError(f"LibreOffice client failed: {out.stderr[-2000:]}")
            return json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            try:
                os.killpg(office.pid, 15)
                office.wait(timeout=20)
            except Exception:
                os.killpg(office.pid, 9)
            time.sleep(0.2)


def recalculated_values(path: Path, sheet: str) -> list[list]:
    """The sheet's used area after LibreOffice's full recalculation."""
    return _run(Path(path).resolve(), "values", sheet)


def vba_modules(path: Path) -> dict[str, str]:
    """Module name → source, as LibreOffice imports the workbook's VBA project."""
    return _run(Path(path).resolve(), "vba")
