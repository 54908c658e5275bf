"""Vetoes in the 汇总表 and on forms: every listed name of every preset, by full name or
by code, alone or several at once, read back exactly; names may hold "、"."""
from __future__ import annotations

import re
import zipfile

import pytest

from starbook import api
from starbook.edits import CellBlock
from starbook.fill import FormFill, form_cells, form_edits, summary_rows
from starbook.presets import ORDER, find_preset
from starbook.scheme import VETO_SEPARATOR, join_vetoes, split_vetoes
from starbook.sheets.forms import parse_form
from starbook.sheets.params import parse_params
from starbook.sheets.summary import parse_summary
from starbook.xlsx.read import read_grids
from starbook.xlsx.sheetpatch import sheet_parts

from test_bad_input import assert_rejected, set_cells


def cells_for(vetoes) -> list[tuple[str, tuple[str, ...]]]:
    """(cell text, the vetoes it names): each by name, each by code, and several at once."""
    out = [(v.name, (v.name,)) for v in vetoes]
    out += [(v.code, (v.name,)) for v in vetoes if v.code]
    names = [v.name for v in vetoes]
    out.append((join_vetoes(names), tuple(names)))
    mixed = [v.code or v.name for v in vetoes[::2]]
    out.append((f" {'; '.join(mixed)} ", tuple(v.name for v in vetoes[::2])))
    out.append(("\n".join(reversed(names[:3])), tuple(reversed(names[:3]))))
    return out


WITH_VETOES = [p for p in ORDER if find_preset(p).vetoes]  # only 三档星级's document lists any


def test_only_sandang_ships_vetoes():
    assert WITH_VETOES == ["sandang"]


@pytest.mark.parametrize("preset", WITH_VETOES)
def test_every_listed_veto_round_trips_through_the_summary(tmp_path, preset):
    book = tmp_path / f"{preset}.xlsm"
    api.new(preset, book, orgs=0)
    grids = read_grids(book)
    scheme, problems = parse_params(grids["参数"])
    assert scheme is not None and scheme == find_preset(preset), problems
    assert scheme.vetoes
    cases = cells_for(scheme.vetoes)
    score_cols = {e.column: 90 for e in scheme.evaluators}
    score_cols.update({f"{d.name}得分": d.points for d in scheme.dimensions} if scheme.star_mode == "按维度达标" else {})
    rows = [{"党组织名称": f"第{i}支部", **score_cols, "否决事项": text} for i, (text, _) in enumerate(cases)]
    set_cells(book, summary_rows(grids["汇总表"], rows))
    summary, problems = parse_summary(read_grids(book)["汇总表"], scheme)
    assert summary is not None, problems
    assert [row.vetoes for row in summary.rows] == [names for _, names in cases]


def test_sandang_vetoes_with_a_pause_mark_cap_the_star(tmp_path):
    """三档星级's 五星标准1 holds "、": typed in full it is one veto, not two unknown ones."""
    book = tmp_path / "sandang.xlsm"
    api.new("三档星级", book, orgs=0)
    scheme = find_preset("sandang")
    first, ninth = scheme.vetoes[0], scheme.vetoes[8]
    assert "、" in first.name and "、" in ninth.name
    rows = [{"党组织名称": "甲支部", "考核得分": 98, "否决事项": first.name},
            {"党组织名称": "乙支部", "考核得分": 97, "否决事项": f"{ninth.code}；五星标准11"},
            {"党组织名称": "丙支部", "考核得分": 60}]
    set_cells(book, summary_rows(read_grids(book)["汇总表"], rows))
    out = tmp_path / "rated.xlsm"
    assert api.rate(book, out).ok
    grid = read_grids(out)["汇总表"]
    head = grid[2]
    star, note = head.index("星级"), head.index("调整说明")
    assert grid[3][star] == "四星级" and first.name in grid[3][note]
    assert grid[4][star] == "四星级" and ninth.name in grid[4][note]


def test_an_unknown_veto_names_the_rule(capsys, tmp_path):
    book = tmp_path / "sandang.xlsm"
    api.new("三档星级", book, orgs=0)
    rows = [{"党组织名称": "甲支部", "考核得分": 98, "否决事项": "五星标准1；五星标准99"}]
    set_cells(book, summary_rows(read_grids(book)["汇总表"], rows))
    assert_rejected(capsys, book, "否决事项“五星标准99”不在参数表的否决事项中", "多个否决事项用“；”分隔")


def test_vetoes_from_a_form_are_written_so_they_read_back(tmp_path):
    """定星 writes a form's vetoes into the 汇总表 joined by "；"; the next 定星 reads the same vetoes."""
    book = tmp_path / "sandang.xlsm"
    api.new("三档星级", book, orgs=1)
    scheme = find_preset("sandang")
    grid = read_grids(book)["量化评分表1"]
    chosen = [scheme.vetoes[0].name, scheme.vetoes[10].name]
    set_cells(book, *form_edits("量化评分表1", grid, FormFill("甲支部", items={"考核": [10] * len(form_cells(grid).items["考核"])}, vetoes=chosen)))
    assert api.rate(book).ok
    summary_grid = read_grids(book)["汇总表"]
    col = summary_grid[2].index("否决事项")
    assert summary_grid[3][col] == VETO_SEPARATOR.join(chosen)
    summary, problems = parse_summary(summary_grid, scheme, form_names={"甲支部"})
    assert summary.rows[0].vetoes == tuple(chosen)
    assert api.rate(book).ok  # and rating again accepts what it wrote


def test_a_form_veto_row_may_name_its_veto_by_code(tmp_path):
    book = tmp_path / "sandang.xlsm"
    api.new("三档星级", book, orgs=1)
    scheme = find_preset("sandang")
    grid = read_grids(book)["量化评分表1"]
    cells = form_cells(grid)
    r, c = cells.vetoes[scheme.vetoes[3].name]
    set_cells(book, CellBlock("量化评分表1", r + 1, 1, (("五星标准4",),)), *form_edits(
        "量化评分表1", grid, FormFill("甲支部", items={"考核": [12] * len(cells.items["考核"])})))
    set_cells(book, CellBlock("量化评分表1", r + 1, c + 1, (("是",),)))
    outcome = api.check(book)
    assert outcome.ok, [str(p) for p in outcome.problems]
    form, _ = parse_form("量化评分表1", read_grids(book)["量化评分表1"], scheme)
    assert form.vetoes == (scheme.vetoes[3].name,)


def test_veto_cells_offer_the_codes_of_params_as_a_dropdown(tmp_path):
    """The 汇总表's 否决事项 column and the forms' veto rows list the 参数 codes, and still take typed text."""
    book = tmp_path / "sandang.xlsm"
    api.new("三档星级", book, orgs=1)
    scheme = find_preset("sandang")
    params = read_grids(book)["参数"]
    with zipfile.ZipFile(book) as zf:
        parts = sheet_parts(zf)
        for sheet in ("汇总表", "量化评分表1"):
            xml = zf.read(parts[sheet]).decode("utf-8")
            found = re.findall(r'<dataValidation type="list"([^>]*)><formula1>\'参数\'!\$C\$(\d+):\$C\$(\d+)</formula1>', xml)
            assert found, sheet
            attrs, first, last = found[0]
            assert [line[2] for line in params[int(first) - 1 : int(last)]] == [v.code for v in scheme.vetoes]
            assert 'showErrorMessage="1"' not in attrs  # typed text (several vetoes, a full name) is accepted
            assert ("多个否决事项用“；”分隔" if sheet == "汇总表" else "每行一个否决事项") in attrs and "五星标准1" in attrs


@pytest.mark.parametrize("preset", ORDER)
def test_split_reads_back_what_join_wrote(preset):
    scheme = find_preset(preset)
    for text, names in cells_for(scheme.vetoes):
        assert split_vetoes(text, scheme.vetoes) == (names, [])


def test_a_params_sheet_without_the_code_column_still_reads(tmp_path):
    """Workbooks made before the 代码 column: full names work as before."""
    book = tmp_path / "sandang.xlsm"
    api.new("三档星级", book, orgs=0)
    params = read_grids(book)["参数"]
    head = next(r for r, line in enumerate(params) if list(line[:3]) == ["否决事项", "最高星级", "代码"])
    set_cells(book, CellBlock("参数", head + 1, 3, tuple((None,) for _ in range(14))))
    scheme, problems = parse_params(read_grids(book)["参数"])
    assert scheme is not None and all(v.code == "" for v in scheme.vetoes), problems
    assert split_vetoes(scheme.vetoes[0].name, scheme.vetoes) == ((scheme.vetoes[0].name,), [])
