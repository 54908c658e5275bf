"""Every usage error of the installed `starbook` command is Chinese with exit status 2; --help still works."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

STARBOOK = Path(sys.executable).with_name("starbook")
ENGLISH = ("Error", "Usage", "Invalid", "No such", "Got unexpected", "Missing", "Traceback", "Aborted")

# (command line, a piece of the Chinese answer); {dir} is an existing folder, {book} the example workbook
BAD = [
    ([], "没有指定命令"),
    (["foo"], "没有“foo”这个命令"),
    (["rat", "{book}"], "是不是要用 rate"),
    (["--bogus"], "没有选项 --bogus"),
    (["rate"], "缺少工作簿文件名"),
    (["check"], "缺少工作簿文件名"),
    (["rate", "{book}", "second.xlsm"], "多余的参数：second.xlsm"),
    (["schemes", "extra"], "多余的参数：extra"),
    (["rate", "--bogus", "{book}"], "没有选项 --bogus"),
    (["rate", "{book}", "--outpt", "x.xlsm"], "是不是要用 --output"),
    (["rate", "{book}", "-o"], "选项 -o 后面缺少值"),
    (["rate", ""], "文件名是空的"),
    (["rate", "{book}", "-o", "{dir}"], "是文件夹"),
    (["check", "{dir}"], "是文件夹"),
    (["new", "--scheme", "fenlei"], "缺少输出文件名"),
    (["new", "-o", "{dir}/x.xlsm"], "缺少方案"),
    (["new", "--scheme", "fenlei", "--orgs", "abc", "-o", "{dir}/x.xlsm"], "--orgs 的值有误：“abc”不是整数"),
    (["new", "--scheme", "fenlei", "--year", "2026.5", "-o", "{dir}/x.xlsm"], "--year 的值有误"),
    (["new", "--scheme", "fenlei", "--force=yes", "-o", "{dir}/x.xlsm"], "选项 --force 后面不能跟值"),
    (["new", "--scheme", "fenlei", "-o", "{dir}"], "是文件夹"),
]


def starbook(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(STARBOOK), *argv], capture_output=True, text=True, encoding="utf-8")


@pytest.mark.parametrize("argv, answer", BAD, ids=[" ".join(a) or "(nothing)" for a, _ in BAD])
def test_a_bad_command_line_is_answered_in_chinese(argv, answer, example, tmp_path):
    args = [a.format(dir=tmp_path, book=example) for a in argv]
    done = starbook(*args)
    assert done.returncode == 2, done.stderr
    assert answer in done.stderr, done.stderr
    for word in ENGLISH:
        assert word not in done.stderr, done.stderr
    assert not (tmp_path / "x.xlsm").exists()


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["rate", "--help"], ["new", "-h"]])
def test_help_still_works(argv):
    done = starbook(*argv)
    assert done.returncode == 0, done.stderr
    assert "用法：starbook" in done.stdout and "显示本帮助并退出" in done.stdout
    assert done.stderr == ""
