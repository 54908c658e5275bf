"""Each worksheet function against the core function the command line uses, for
every shape of argument a cell can hand over, called directly and through
xlwings' UDF machinery (tests/xlwings_udfs.py)."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal as D

import openpyxl
import pytest

import xlwings_udfs as XL
from starbook import api
from starbook.presets import preset
from starbook.rules.rating import OrgInput, rate_organizations
from starbook.sheets.params import parse_params
from starbook.rules.scoring import vote_score
from udfs import starbook_udfs as U

FENLEI = preset("fenlei")
GRADES = [["好", 90], ["较好", 80], ["一般", 60], ["较差", 0]]
STARS = [["五星级", 95, None], ["四星级", 90, None], ["三星级", 80, None], ["无星", 0, None]]

# A valid call of each function; the shape tables below replace one argument at a time.
CALLS = {
    "SB_SUBTOTAL": ([8, 6.5], 15),
    "SB_VOTESCORE": (30, 10, 5, 5),
    "SB_FINAL": ([85.1, 95.5, 94.0], [0.5, 0.3, 0.2]),
    "SB_GRADE": (90, GRADES),
    "SB_STAR": (95, STARS),
    "SB_QUOTASTARS": ([[97, 96, 98], [91, 87.33, 93]],),
}
GOOD = {"SB_SUBTOTAL": 14.5, "SB_VOTESCORE": 76.0, "SB_FINAL": 90.0, "SB_GRADE": "好", "SB_STAR": "五星级", "SB_QUOTASTARS": [["四星级"], ["无星"]]}

SHAPES = {
    "empty": None,
    "empty text": "",
    "number": 90,
    "decimal": 85.5,
    "text": "九十",
    "number as text": "90",
    "boolean": True,
    "date": dt.datetime(2026, 1, 1),
    "nan": float("nan"),
    "#N/A": "#N/A",
    "#DIV/0!": "#DIV/0!",
    "another SB_ error": "#错误：没有有效票",
    "row": [90, 80],
    "column": [[90], [80]],
    "one cell": [[90]],
    "block": [[90, 80], [70, 60]],
    "big block": [[90, 80, 70], [70, 60, 50], [1, 2, 3]],
    "empty list": [],
    "nested empty": [[]],
    "blank cell": [[None]],
    "jagged": [[90], [80, 70]],
    "column with #N/A": [[90], ["#N/A"]],
    "deeply nested": [[[90]]],
}
CASES = [(f, i, s) for f, args in CALLS.items() for i in range(len(args) + (1 if f in ("SB_STAR", "SB_QUOTASTARS") else 0)) for s in SHAPES]


def _args(func: str, position: int, value) -> list:
    args = list(CALLS[func])
    if position == len(args):
        args.append(value)  # the optional argument (等次, 否决事项)
    else:
        args[position] = value
    return args


def _is_cell_value(result) -> bool:
    if isinstance(result, list):  # SB_QUOTASTARS: one star per row
        return all(isinstance(r, list) and len(r) == 1 and isinstance(r[0], str) for r in result)
    return isinstance(result, (float, str))


def test_valid_calls_give_values():
    for func, args in CALLS.items():
        assert getattr(U, func)(*args) == GOOD[func], func


@pytest.mark.parametrize("func,position,shape", CASES)
def test_every_argument_shape_gives_a_value_or_a_chinese_error(func, position, shape):
    result = getattr(U, func)(*_args(func, position, SHAPES[shape]))
    assert _is_cell_value(result), result
    if isinstance(result, str) and result.startswith("#"):
        assert result.startswith("#错误："), result
        assert "参数无法计算" not in result, result  # a shape nobody thought of
        assert not any(w in result for w in ("Range", "Exception", "Error", "None")), result


LINES = {("SB_SUBTOTAL", 0), ("SB_FINAL", 0), ("SB_FINAL", 1), ("SB_GRADE", 1), ("SB_STAR", 1), ("SB_QUOTASTARS", 0), ("SB_QUOTASTARS", 1)}


@pytest.mark.parametrize(
    "func,position,shape",
    [(f, i, s) for f, i, s in CASES if s in ("#N/A", "#DIV/0!", "another SB_ error", "column with #N/A")],
)
def test_an_error_cell_in_any_input_makes_the_result_an_error(func, position, shape):
    result = getattr(U, func)(*_args(func, position, SHAPES[shape]))
    assert isinstance(result, str) and result.startswith("#错误："), result
    if shape == "column with #N/A" and (func, position) not in LINES:
        assert "应为一个单元格，收到 2 行 1 列的区域" in result
    else:
        error = SHAPES[shape] if isinstance(SHAPES[shape], str) else "#N/A"
        assert f"是错误值 {error}，请先改正该单元格" in result, result


def test_error_messages_name_the_item():
    assert U.SB_SUBTOTAL([8, "#N/A"], 15) == "#错误：得分区域第2项是错误值 #N/A，请先改正该单元格"
    assert U.SB_SUBTOTAL([[8], [9]], 15) == 15.0  # a column is a line
    assert U.SB_SUBTOTAL([[8, 9], [1, 2]], 15) == "#错误：得分区域应为一行或一列，收到 2 行 2 列的区域"
    assert U.SB_GRADE([[90, 80]], GRADES) == "#错误：综合得分应为一个单元格，收到 1 行 2 列的区域"
    assert U.SB_GRADE(True, GRADES) == "#错误：综合得分「TRUE」不是数字"
    assert U.SB_VOTESCORE(dt.datetime(2026, 1, 1), 1, 0, 0) == "#错误：“好”票数「2026-01-01」是日期，不是数字"
    assert U.SB_VOTESCORE(None, 1, 0, 0) == "#错误：“好”票数未填写"
    assert U.SB_GRADE(80, [["好", 90], ["较差", "#N/A"]]) == "#错误：等次表第2行第2列是错误值 #N/A，请先改正该单元格"


def test_subtotal_is_capped_and_rounded():
    assert U.SB_SUBTOTAL([8, 9], 15) == 15.0
    assert U.SB_SUBTOTAL([7.5, 6.25, None], 15) == 13.75
    assert U.SB_SUBTOTAL([9, 1], 8).startswith("#错误：得分区域第1项 9 超出范围")


def test_vote_score_is_the_core_formula():
    assert U.SB_VOTESCORE(30, 10, 5, 5) == float(vote_score({"好": 30, "较好": 10, "一般": 5, "较差": 5}, FENLEI)) == 76.0
    assert U.SB_VOTESCORE(2, 1, 0, 0) == 86.67
    assert U.SB_VOTESCORE(0, 0, 0, 0) == "#错误：没有有效票"
    assert U.SB_VOTESCORE("三十", 1, 0, 0) == "#错误：“好”票数「三十」不是数字"
    assert U.SB_VOTESCORE(2.5, 1, 0, 0) == "#错误：“好”票数 2.5 不是整数"


def test_final_score_is_exact():
    assert U.SB_FINAL([85.1, 95.5, 94.0], [0.5, 0.3, 0.2]) == 90.0
    assert U.SB_FINAL([85.1, 95.5, 94.0], ["50%", "30%", "20%"]) == 90.0
    assert U.SB_FINAL([[85.1], [95.5], [94.0]], [[50], [30], [20]]) == 90.0
    assert U.SB_FINAL([90, 90], [0.5, 0.3]) == "#错误：权重合计为80%，不等于100%"
    assert U.SB_FINAL([90, 90, 90], [0.5, 0.5]).startswith("#错误：得分 3 个，权重 2 个")


def test_negative_weights_are_rejected():
    # -20% and 120% sum to 100%: the sum alone would let them through.
    assert U.SB_FINAL([90, 80], ["120%", "-20%"]) == "#错误：权重第1项为120%，超出 0%～100%"
    assert U.SB_FINAL([90, 80], [0.6, -0.2]) == "#错误：权重第2项为-20%，超出 0%～100%"
    assert U.SB_FINAL([90, 80], [None, 1]) == "#错误：权重第1项未填写"


def test_grade_and_star_by_tables():
    assert [U.SB_GRADE(x, GRADES) for x in (90, 89.99, 60, 59.99)] == ["好", "较好", "一般", "较差"]
    assert U.SB_GRADE(95, [["等次", "最低分"], *GRADES]) == "好"  # the table with its title row
    assert [U.SB_STAR(x, STARS) for x in (95, 94.99, 80, 10)] == ["五星级", "四星级", "三星级", "无星"]
    fenlei = [[r.star, float(r.min_score), r.grade] for r in FENLEI.star_rules]
    assert U.SB_STAR(75, fenlei, "一般") == "二星级"
    assert U.SB_STAR(75, [["六星级", 0]]).startswith("#错误：星级表中的“六星级”不是星级")
    assert U.SB_GRADE(101, GRADES).startswith("#错误：综合得分 101 超出范围")
    assert U.SB_GRADE(50, [["好", 90], ["一般", 60]]).startswith("#错误：综合得分 50 低于等次表中所有最低分")


SCORES = [[97.3, 96, 98], [95.5, 95, 95], [92.9, 90, 93], [90.9, 90, 91], [86.1, 85, 88], [83.6, 80, 84],
          [81.6, 80, 82], [77.5, 70, 80], [75.3, 70, 78], [71.6, 65, 75], [68.0, 60, 70], [64.6, 55, 70]]


def _core_stars(rows, vetoes=()):
    vetoes = list(vetoes) or [()] * len(rows)
    orgs = [OrgInput(str(i), dict(zip(("党委评定", "党员群众测评", "自评"), map(D, map(str, r)))), vetoes=v) for i, (r, v) in enumerate(zip(rows, vetoes))]
    return [[star] for star in rate_organizations(FENLEI, orgs).column("star")]


def test_quota_stars_match_the_core_rating():
    got = U.SB_QUOTASTARS(SCORES)
    assert got == _core_stars(SCORES)
    # 4 graded 好: floor(20% × 4) = 0 five-star places, the base being those graded 好
    assert [s for [s] in got][:4] == ["四星级", "四星级", "四星级", "四星级"] and got[-1] == ["无星"]


def test_quota_stars_apply_vetoes(rated_example):
    # 分类定级 lists no veto: the example township added one of its own in 参数
    ex = rated_example
    veto = next(v for [v] in ex["vetoes"] if v)
    scheme, problems = parse_params(ex["params"])
    assert scheme is not None and not problems
    rows = [[98, 98, 98], [97, 97, 97]] + [[92, 92, 92]] * 8 + [[70, 70, 70], [65, 65, 65]]  # ten graded 好: 2 places
    vetoes = [veto] + [None] * (len(rows) - 1)
    got = U.SB_QUOTASTARS(rows, vetoes, ex["params"])
    orgs = [OrgInput(str(i), dict(zip(("党委评定", "党员群众测评", "自评"), map(D, map(str, r)))), vetoes=(veto,) if i == 0 else ())
            for i, r in enumerate(rows)]
    assert got == [[s] for s in rate_organizations(scheme, orgs).column("star")]
    assert got[0] != ["五星级"] and got[1] == ["五星级"]  # the veto caps the first and frees a five-star place
    assert U.SB_QUOTASTARS(SCORES, ["违规"] + [None] * 11).startswith("#错误：第1行否决事项“违规”不在参数表的否决事项中")
    assert U.SB_QUOTASTARS(SCORES, [None, None]) == "#错误：否决事项有 2 行，各方得分有 12 行，行数应相同"


def test_quota_ties_are_pending():
    # ten graded 好: floor(20% × 10) = 2 places; 98 takes one, the two 95s tie for the other
    rows = [[98, 98, 98], [95, 95, 95], [95, 95, 95]] + [[92, 92, 92]] * 7 + [[70, 70, 70], [65, 65, 65]]
    got = U.SB_QUOTASTARS(rows)
    assert got[:3] == [["五星级"], ["待定"], ["待定"]] and got == _core_stars(rows)  # one place left for two equals


def test_quota_stars_leave_blank_rows_blank_and_want_every_evaluator():
    assert U.SB_QUOTASTARS(SCORES + [[None, None, None]])[-1] == [""]
    assert U.SB_QUOTASTARS([[r[0]] for r in SCORES]).startswith("#错误：各方得分应为 3 列（党委评定得分、党员群众测评得分、自评得分），收到 1 列")
    assert U.SB_QUOTASTARS([[90, None, 80]]).startswith("#错误：第1行党员群众测评得分未填写")


def test_quota_stars_follow_the_preset_by_name():
    qiannan = preset("qiannan")
    rows = [[96, 96, 96], [91, 91, 91]]
    orgs = [OrgInput(str(i), {e.name: D(r[k]) for k, e in enumerate(qiannan.evaluators)}) for i, r in enumerate(rows)]
    assert U.SB_QUOTASTARS(rows, None, "黔南机关星级") == [[s] for s in rate_organizations(qiannan, orgs).column("star")]
    assert U.SB_QUOTASTARS(rows, None, "五星创建").startswith("#错误：方案“五星创建”按维度达标定星，本函数不适用")
    assert U.SB_QUOTASTARS(rows, None, "没有这个").startswith("#错误：没有名为“没有这个”的方案")


# ------------------------------------------------------------ the example workbook


def _values(ws, first_row: int, last_row: int, first_col: int, last_col: int) -> list[list]:
    """A range as xlwings hands it to a function: numbers as floats, empty cells as None."""
    return [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row]
            for row in ws.iter_rows(first_row, last_row, first_col, last_col, values_only=True)]


@pytest.fixture(scope="module")
def rated_example(tmp_path_factory, example_source):
    path = tmp_path_factory.mktemp("udf") / "example.xlsm"
    shutil.copyfile(example_source, path)
    assert api.rate(path).ok
    wb = openpyxl.load_workbook(path, data_only=True)
    summary, params = wb["汇总表"], wb["参数"]
    header = [c.value for c in summary[3]]
    last = 3 + sum(1 for r in summary.iter_rows(min_row=4, values_only=True) if r[header.index("党组织名称")])
    col = {t: header.index(t) + 1 for t in header if t}
    evaluators = [e.column for e in FENLEI.evaluators]
    assert [col[t] for t in evaluators] == list(range(col[evaluators[0]], col[evaluators[0]] + len(evaluators)))
    return {
        "scores": _values(summary, 4, last, col[evaluators[0]], col[evaluators[-1]]),
        "vetoes": _values(summary, 4, last, col["否决事项"], col["否决事项"]),
        "stars": _values(summary, 4, last, col["星级"], col["星级"]),
        "params": _values(params, 1, 200, 1, 6),
        "params_sheet": params,
    }


def test_quota_stars_equal_the_star_column_of_the_rated_example(rated_example):
    ex = rated_example
    assert any(v != [None] for v in ex["vetoes"])  # the example has a veto to honour
    assert U.SB_QUOTASTARS(ex["scores"], ex["vetoes"], ex["params"]) == ex["stars"]
    assert XL.call(XL.load(), "SB_QUOTASTARS", ex["scores"], ex["vetoes"], ex["params"]) == ex["stars"]


def test_quota_stars_read_the_workbooks_own_params(rated_example):
    ex = rated_example
    params = [list(r) for r in ex["params"]]
    row = next(i for i, r in enumerate(params) if r[0] == "五星级名额上限")
    params[row][1] = None  # 留空为不限: every 好 keeps 五星级 unless a veto caps it
    got = U.SB_QUOTASTARS(ex["scores"], ex["vetoes"], params)
    scheme, problems = parse_params(params)
    assert scheme is not None and scheme.five_star_cap is None and not problems
    orgs = [OrgInput(str(i), dict(zip(("党委评定", "党员群众测评", "自评"), map(D, map(str, r)))), vetoes=(v,) if v else ())
            for i, (r, [v]) in enumerate(zip(ex["scores"], ex["vetoes"]))]
    assert got == [[s] for s in rate_organizations(scheme, orgs).column("star")]
    assert got.count(["五星级"]) > ex["stars"].count(["五星级"])
    params[row][1] = "很多"
    assert U.SB_QUOTASTARS(ex["scores"], ex["vetoes"], params) == "#错误：参数表B11：五星级名额上限「很多」不是百分比。请填写如 20% 的百分比"


# ------------------------------------------------------------ through xlwings


@pytest.fixture(scope="module")
def on_xlwings():
    return XL.load()


def test_every_function_reads_blocks_and_error_text_and_spills_natively(on_xlwings):
    names = [n for n in dir(on_xlwings) if n.startswith("SB_")]
    assert names == sorted(CALLS)
    for n in names:
        info = getattr(on_xlwings, n).__xlfunc__
        for arg in info["args"]:
            assert arg["options"] == {"ndim": 2, "err_to_str": True}, (n, arg)
        assert "expand" not in info["ret"]["options"], n  # legacy expand: the result spills by itself
        assert f"={n}(" in getattr(U, n).__doc__, n


def test_valid_calls_through_xlwings(on_xlwings):
    for func, args in CALLS.items():
        got = XL.call(on_xlwings, func, *args)
        assert got == (GOOD[func] if isinstance(GOOD[func], list) else [[GOOD[func]]]), func


EXCEL_SHAPES = [s for s, v in SHAPES.items() if not isinstance(v, dt.datetime) and s not in ("nan", "empty list", "nested empty", "jagged", "deeply nested")]


@pytest.mark.parametrize("func,position,shape", [c for c in CASES if c[2] in EXCEL_SHAPES])
def test_every_shape_through_xlwings_gives_what_the_direct_call_gives(on_xlwings, func, position, shape):
    args = _args(func, position, SHAPES[shape])
    got = XL.call(on_xlwings, func, *args)  # never raises: no "Range must be 1-by-n…" from xlwings
    direct = getattr(U, func)(*args)
    assert got == (direct if isinstance(direct, list) else [[direct]])
