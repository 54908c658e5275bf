"""The README's worked example of a year runs as written: its bash block, line by line,
in a fresh folder holding the repository's examples/, with this environment's starbook."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from starbook.roster import book_year, members
from starbook.xlsx.read import read_grids
from test_year import STARS, _summary

HEADING = "## 一年的工作：分发、汇总、测评、定星、公示、新年度"


def readme_commands() -> list[str]:
    """The command lines of the first bash block under the heading, comments dropped."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text[text.index(HEADING):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("  #")[0].rstrip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_readme_s_year_runs_as_written(tmp_path):
    commands = readme_commands()
    assert [c.split()[1] for c in commands if c.startswith("starbook ")] == [
        "distribute", "check", "collect", "ballots", "rate", "publish", "new"]
    if shutil.which("soffice") is None:  # outside CI without LibreOffice: the rest of the year still runs
        commands = [c for c in commands if not c.startswith("starbook publish")]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-e", "-c", "\n".join(commands)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

    year = tmp_path / "张纪镇2026年"
    assert len(list((year / "分发").glob("*.xlsm"))) == 12
    assert {n: r["星级"] for n, r in _summary(year / "张纪镇2026.xlsm").items()} == STARS
    nxt = read_grids(year / "张纪镇2027.xlsm")
    assert book_year(nxt) == 2027 and {m.name: m.last_star for m in members(nxt)} == STARS
    if shutil.which("soffice"):
        assert (year / "公示.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_committed_year_example_is_what_the_script_builds(tmp_path):
    """examples/year-2026 is reproducible from scripts/make_year_example.py (cells, not the zip's dates)."""
    import make_year_example

    rebuilt = make_year_example.build(tmp_path / "year")
    shipped = make_year_example.OUT
    files = sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(rebuilt) for p in rebuilt.rglob("*") if p.is_file())
    for f in files:
        if f.suffix == ".xlsm":
            assert read_grids(shipped / f) == read_grids(rebuilt / f), f
        else:
            assert (shipped / f).read_bytes() == (rebuilt / f).read_bytes(), f
