"""Run the worksheet functions through xlwings' own UDF machinery, as far as it runs here.

Classic xlwings (ImportPythonUDFs) needs Excel and pywin32; off Windows, `xw.func`
and `xw.arg` are no-ops. xlwings ships a second runtime for the same decorators,
`xlwings.server` (xlwings Server / Lite, Office.js custom functions): it records
the same `@xw.arg` options and reads every argument through the same conversion
pipeline (`xlwings.conversion.read`: Ensure2D → CleanData with err_to_str →
AdjustDimensions with ndim). This helper loads a copy of udfs/starbook_udfs.py
with those decorators and calls it the way Excel does: every argument a matrix,
an error cell an Excel error object, an omitted argument null.
"""
from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import xlwings as xw

SOURCE = Path(__file__).resolve().parent.parent / "udfs" / "starbook_udfs.py"

ERROR_TYPES = {"#N/A": "NotAvailable", "#DIV/0!": "Div0", "#VALUE!": "Value", "#REF!": "Ref", "#NAME?": "Name", "#NUM!": "Num", "#NULL!": "Null"}


def load() -> ModuleType:
    """A fresh copy of the UDF module decorated by xlwings.server's func/arg/ret."""
    import xlwings.server as server

    saved = xw.func, xw.arg, xw.ret
    xw.func, xw.arg, xw.ret = server.func, server.arg, server.ret
    try:
        spec = importlib.util.spec_from_file_location("starbook_udfs_on_xlwings_server", SOURCE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        xw.func, xw.arg, xw.ret = saved
    return module


def _cell(value):
    if isinstance(value, str) and value in ERROR_TYPES:
        return {"type": "Error", "basicValue": value, "errorType": ERROR_TYPES[value]}
    return "" if value is None else value


def excel_arg(value):
    """What Excel sends for an argument: a matrix (a value is 1×1), null when omitted."""
    if value is None:
        return None
    if not isinstance(value, list):
        return [[_cell(value)]]
    if not any(isinstance(v, list) for v in value):
        return [[_cell(v) for v in value]]
    return [[_cell(v) for v in row] for row in value]


def call(module: ModuleType, name: str, *args):
    """The matrix xlwings returns to Excel for =name(args…)."""
    from xlwings.server import custom_functions_call

    data = {
        "func_name": name,
        "args": [excel_arg(a) for a in args],
        "version": xw.__version__,
        "client": "Office.js",
        "runtime": "1.4",
        "caller_address": "汇总表!Q4",
    }
    return asyncio.run(custom_functions_call(data, module))
