"""Nothing lost or clobbered on disk: concurrent saves and runs, open workbooks, links, read-only files, -o targets."""
from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from starbook import api
from test_bad_input import digest, run  # noqa: E402 (the CLI run and file digest the bad-input tests use)
from starbook.edits import CellBlock
from starbook.problems import BookError
from starbook.xlsx import guard
from starbook.xlsx.read import read_grids

STARBOOK = Path(sys.executable).with_name("starbook")


def records(path: Path) -> list[list]:
    """The 定星记录 rows below its header."""
    grid = read_grids(path)["定星记录"]
    head = next(i for i, row in enumerate(grid) if row and row[0] == "定星时间")
    return [row for row in grid[head + 1 :] if any(v != "" for v in row)]


def leftovers(folder: Path) -> list[str]:
    """Temporary and lock files starbook may have left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".starbook-", ".~starbook.")))


# 1. A file saved between starbook's read and its write; two runs at once


@pytest.fixture
def saved_meanwhile(example, tmp_path) -> Path:
    """The example as a colleague saves it in Excel while starbook rates: one 汇总表 name changed."""
    other = tmp_path / "saved-in-excel.xlsm"
    shutil.copyfile(example, other)
    api.write_edits(other, other, [CellBlock("汇总表", 4, 2, (("第一党支部（已改名）",),))])
    return other


def test_a_save_between_read_and_write_is_not_overwritten(example, saved_meanwhile, monkeypatch):
    real = api.rate_book

    def rate_then_excel_saves(*args, **kwargs):
        outcome = real(*args, **kwargs)
        shutil.copyfile(saved_meanwhile, example)  # Excel saves while starbook computes
        return outcome

    monkeypatch.setattr(api, "rate_book", rate_then_excel_saves)
    with pytest.raises(BookError) as err:
        api.rate(example)
    assert "被修改过" in str(err.value) and "重新运行" in str(err.value)
    assert digest(example) == digest(saved_meanwhile)  # the colleague's save survives, untouched
    assert leftovers(example.parent) == []


def test_a_save_between_read_and_write_of_a_copy_is_refused_too(example, saved_meanwhile, tmp_path, monkeypatch, capsys):
    real = api.rate_book

    def rate_then_excel_saves(*args, **kwargs):
        outcome = real(*args, **kwargs)
        shutil.copyfile(saved_meanwhile, example)
        return outcome

    monkeypatch.setattr(api, "rate_book", rate_then_excel_saves)
    out = tmp_path / "rated.xlsm"
    code, text = run(capsys, "rate", example, "-o", out)
    assert code == 2, text
    assert "被修改过" in text and not out.exists()


class Paused:
    """Holds the first api.rate call between its read and its write until released."""

    def __init__(self, monkeypatch) -> None:
        self.read = threading.Event()
        self.go = threading.Event()
        self.first = True
        real = api.rate_book

        def rate_book(*args, **kwargs):
            outcome = real(*args, **kwargs)
            if self.first:
                self.first = False
                self.read.set()
                assert self.go.wait(60)
            return outcome

        monkeypatch.setattr(api, "rate_book", rate_book)

    def start(self, path: Path) -> tuple[threading.Thread, list]:
        result: list = []
        thread = threading.Thread(target=lambda: result.append(_try_rate(path)))
        thread.start()
        assert self.read.wait(60)
        return thread, result


def _try_rate(path: Path):
    try:
        return api.rate(path, now=datetime(2026, 12, 1, 9, 0))
    except BookError as exc:
        return exc


def test_a_second_run_during_the_first_refuses_and_the_first_row_survives(example, monkeypatch):
    before = len(records(example))
    paused = Paused(monkeypatch)
    first, result = paused.start(example)
    monkeypatch.setattr(guard, "LOCK_WAIT", 0)
    second = _try_rate(example)
    paused.go.set()
    first.join()
    assert isinstance(second, BookError), "the second run wrote while the first was rating"
    assert "另一个 starbook" in str(second)
    assert result[0].ok
    assert len(records(example)) == before + 1
    assert leftovers(example.parent) == []


def test_a_second_run_waits_for_the_first_and_both_rows_survive(example, monkeypatch):
    before = len(records(example))
    paused = Paused(monkeypatch)
    first, first_result = paused.start(example)
    waiting = threading.Event()
    real_pause = guard._pause

    def pause():
        waiting.set()
        real_pause()

    monkeypatch.setattr(guard, "_pause", pause)
    second_result: list = []
    second = threading.Thread(target=lambda: second_result.append(_try_rate(example)))
    second.start()
    assert waiting.wait(60), "the second run did not wait for the first"
    paused.go.set()
    first.join()
    second.join()
    assert first_result[0].ok and second_result[0].ok
    assert len(records(example)) == before + 2  # neither run's 定星记录 row is lost
    assert leftovers(example.parent) == []


def test_two_starbook_processes_at_once_keep_both_rows(example):
    before = len(records(example))
    runs = [subprocess.Popen([str(STARBOOK), "rate", str(example)], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    errs = [p.communicate()[1].decode("utf-8") for p in runs]
    done = 0
    for p, err in zip(runs, errs):
        if p.returncode == 0:
            done += 1
        else:  # only if the first took longer than the wait (a very busy machine): a clean refusal
            assert p.returncode == 2 and "正由另一个 starbook 定星" in err, err
    assert done >= 1
    assert len(records(example)) == before + done  # every run that said it wrote has its 定星记录 row
    assert leftovers(example.parent) == []


def test_a_lock_left_by_a_dead_process_is_taken_over(example, capsys):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    lock = guard.lock_path(example)
    lock.write_text(f"{gone.stdout.strip()} {socket.gethostname()} 0 dead", encoding="utf-8")
    code, text = run(capsys, "rate", example)
    assert code == 0, text
    assert not lock.exists()


def test_a_very_old_lock_from_another_computer_is_taken_over(example, capsys):
    lock = guard.lock_path(example)
    lock.write_text("4242 another-pc 0 old", encoding="utf-8")
    old = lock.stat().st_mtime - guard.LOCK_STALE - 60
    os.utime(lock, (old, old))
    code, text = run(capsys, "rate", example)
    assert code == 0, text
    assert not lock.exists()


def test_a_recent_lock_from_another_computer_is_respected(example, monkeypatch, capsys):
    lock = guard.lock_path(example)
    lock.write_text("4242 another-pc 0 recent", encoding="utf-8")
    monkeypatch.setattr(guard, "LOCK_WAIT", 0)
    code, text = run(capsys, "rate", example)
    assert code == 2 and "another-pc" in text
    assert lock.exists()


def test_a_lock_held_by_a_live_run_refuses_in_chinese(example, monkeypatch, capsys):
    lock = guard.lock_path(example)
    lock.write_text(f"{os.getpid()} {socket.gethostname()} 0 live", encoding="utf-8")
    monkeypatch.setattr(guard, "LOCK_WAIT", 0)
    before = digest(example)
    code, text = run(capsys, "rate", example)
    assert code == 2
    assert "正由另一个 starbook 定星" in text and lock.name in text
    assert digest(example) == before
    assert lock.exists()  # not ours to remove


# 2. `new -o` over an existing workbook


def test_new_refuses_to_replace_an_existing_workbook(example, capsys):
    before = digest(example)
    code, text = run(capsys, "new", "--scheme", "分类定级", "-o", example)
    assert code == 2
    assert "已存在" in text and "--force" in text
    assert digest(example) == before
    with pytest.raises(BookError):
        api.new("分类定级", example)
    assert digest(example) == before


def test_new_with_force_replaces_it(example, capsys):
    code, text = run(capsys, "new", "--scheme", "分类定级", "--orgs", "2", "-o", example, "--force")
    assert code == 0, text
    assert sum(name.startswith("量化评分表") for name in read_grids(example)) == 2


# 3. A workbook open in Excel, WPS or LibreOffice


@pytest.mark.parametrize("owner", ["~$example.xlsm", ".~lock.example.xlsm#"])
def test_rating_in_place_a_workbook_open_elsewhere_is_refused(example, owner, capsys):
    (example.parent / owner).write_bytes(b"\x05cadre" + bytes(160))
    before = digest(example)
    code, text = run(capsys, "rate", example)
    assert code == 2
    assert "关闭" in text and owner in text
    assert digest(example) == before
    code, text = run(capsys, "check", example)  # reading is harmless
    assert code == 0, text


def test_a_long_name_is_found_by_its_shortened_owner_file(example, capsys):
    long_name = example.with_name("张纪镇2026年星级评定.xlsm")
    example.rename(long_name)
    (long_name.parent / ("~$" + long_name.name[2:])).write_bytes(b"\x05cadre")
    before = digest(long_name)
    code, text = run(capsys, "rate", long_name)
    assert code == 2 and "关闭" in text
    assert digest(long_name) == before


def test_writing_onto_a_target_open_in_excel_is_refused(example, tmp_path, capsys):
    target = tmp_path / "结果.xlsm"
    shutil.copyfile(example, target)
    (tmp_path / "~$结果.xlsm").write_bytes(b"\x05cadre")
    before = digest(target)
    code, text = run(capsys, "rate", example, "-o", target)
    assert code == 2 and "关闭" in text
    assert digest(target) == before
    code, text = run(capsys, "new", "--scheme", "分类定级", "-o", target, "--force")
    assert code == 2 and "关闭" in text
    assert digest(target) == before


# 4. Links, read-only files, suffixes, folders


def test_rating_through_a_symlink_writes_its_target_and_keeps_the_link(example, tmp_path, capsys):
    link = tmp_path / "link.xlsm"
    link.symlink_to(example)
    before = len(records(example))
    code, text = run(capsys, "rate", link)
    assert code == 0, text
    assert link.is_symlink() and link.resolve() == example.resolve()
    assert len(records(example)) == before + 1


def test_a_read_only_workbook_is_not_replaced(example, tmp_path, capsys):
    example.chmod(0o444)
    before = digest(example)
    code, text = run(capsys, "rate", example)
    assert code == 2 and "只读" in text
    assert digest(example) == before and stat.S_IMODE(example.stat().st_mode) == 0o444
    target = tmp_path / "只读结果.xlsm"
    shutil.copyfile(example, target)
    target.chmod(0o444)
    code, text = run(capsys, "rate", example, "-o", target)
    assert code == 2 and "只读" in text
    assert digest(target) == before


def test_a_macro_workbook_is_not_saved_as_xlsx(example, tmp_path, capsys):
    out = tmp_path / "结果.xlsx"
    code, text = run(capsys, "rate", example, "-o", out)
    assert code == 2
    assert ".xlsm" in text and "结果.xlsm" in text
    assert not out.exists()
    code, text = run(capsys, "new", "--scheme", "分类定级", "-o", out)
    assert code == 2 and ".xlsm" in text and not out.exists()


def test_output_into_a_missing_folder_is_refused(example, tmp_path, capsys):
    out = tmp_path / "没有的文件夹" / "结果.xlsm"
    code, text = run(capsys, "rate", example, "-o", out)
    assert code == 2
    assert "没有的文件夹" in text and "不存在" in text
    assert not out.parent.exists()
    code, text = run(capsys, "new", "--scheme", "分类定级", "-o", out)
    assert code == 2 and "不存在" in text and not out.parent.exists()


def test_a_workbook_removed_while_rating_is_reported_as_changed(example, monkeypatch, capsys):
    real = api.rate_book

    def rate_then_excel_is_midway_through_saving(*args, **kwargs):
        outcome = real(*args, **kwargs)
        example.unlink()  # Excel deletes the original before renaming its temporary file
        return outcome

    monkeypatch.setattr(api, "rate_book", rate_then_excel_is_midway_through_saving)
    code, text = run(capsys, "rate", example)
    assert code == 2
    assert "被修改过" in text and "内部错误" not in text
    assert not example.exists() and leftovers(example.parent) == []
