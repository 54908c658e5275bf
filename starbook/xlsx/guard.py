"""What must hold before starbook replaces a workbook on disk, each refusal said in Chinese.

A rating reads the file, computes, then replaces it. Between those moments the
file may be saved by Excel, opened by a colleague, or rated by a second run;
writing anyway would stamp old results on new content or silently drop the
other run's 定星记录 row. So the writer:

* holds an advisory lock file beside the workbook for the whole read-compute-write
  (a second starbook run waits a little, then refuses);
* refuses a workbook that Excel, WPS or LibreOffice holds open (their owner/lock files);
* replaces the file only if its bytes are still the ones that were rated (fingerprint);
* refuses a read-only target, a missing folder, and a file name whose suffix
  Excel would reject for the package's content type.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..problems import BookError

LOCK_WAIT = 15.0  # seconds a second run waits for the first (a 100,000-row rating takes a few)
LOCK_STALE = 600.0  # a lock file older than this is left over from a crash, whoever wrote it
LOCK_POLL = 0.1


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_fingerprint(path: Path) -> str | None:
    try:
        return fingerprint(Path(path).read_bytes())
    except FileNotFoundError:
        return None


def unchanged_since_read(path: Path, read: str) -> Callable[[], None]:
    """A before_replace check: the file still holds the bytes that were rated."""

    def check() -> None:
        if file_fingerprint(path) != read:
            raise BookError(
                f"“{Path(path).name}”在定星期间被修改过（可能刚在 Excel 中保存过，或另一个定星同时在运行），"
                "为免覆盖新内容，未写入任何结果",
                "请重新运行定星",
            )

    return check


def owner_files(path: Path) -> list[Path]:
    """The files Office programs create beside a workbook they hold open.

    Excel (and WPS) write ``~$`` + the full name; Word's rule, which some
    accounts also give for Excel, drops the first two characters of a stem of
    8 or more (one of a stem of 7), so that form is looked for too. LibreOffice
    writes ``.~lock.<name>#``.
    """
    name, stem = path.name, path.stem
    names = ["~$" + name]
    if len(stem) >= 8:
        names.append("~$" + name[2:])
    elif len(stem) == 7:
        names.append("~$" + name[1:])
    names.append(f".~lock.{name}#")
    return [path.with_name(n) for n in names]


def refuse_if_open(path: Path) -> None:
    """BookError when an office program holds `path` (or the file a link points to) open."""
    for candidate in dict.fromkeys([Path(path), Path(os.path.realpath(path))]):
        for owner in owner_files(candidate):
            if os.path.lexists(owner):
                program = "LibreOffice" if owner.name.startswith(".~lock.") else "Excel 或 WPS"
                raise BookError(
                    f"“{candidate.name}”正在 {program} 中打开（同一文件夹中有占用文件“{owner.name}”），"
                    "现在写入会与其中未保存的修改互相覆盖",
                    f"请先在 {program} 中保存并关闭这个文件再试；如果已经关闭，这个占用文件是上次异常退出留下的，删除它后重试",
                )


def writable_target(dst: Path, *, output: bool) -> Path:
    """The file to replace (a symbolic link resolved to its target), refused in Chinese when it cannot be.

    `output` is true for a -o target: its folder is named when missing.
    """
    dst = Path(dst)
    target = Path(os.path.realpath(dst))
    if target.is_dir():
        raise BookError(f"“{dst}”是文件夹，不是文件", f"请在 -o 后写文件名，如 {dst / '定星结果.xlsm'}")
    folder = target.parent
    if not folder.is_dir():
        raise BookError(f"文件夹“{dst.parent}”不存在", "请先建好这个文件夹，或换一个已有的文件夹" if output else "请检查路径")
    if target.exists() and _read_only(target):
        raise BookError(
            f"“{dst.name}”是只读文件，starbook 不会改动它",
            "如需写入，请在文件属性中取消“只读”后重试，或用 -o 另存为其他文件",
        )
    refuse_if_open(dst)
    return target


def _read_only(path: Path) -> bool:
    """Read-only for its owner or for us (Windows' read-only attribute shows as no write bits)."""
    return not (os.stat(path).st_mode & 0o222) or not os.access(path, os.W_OK)


CONTENT_SUFFIX = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
}
SUFFIX_KIND = {".xlsm": "启用宏的工作簿", ".xlsx": "普通工作簿（不含宏）", ".xltm": "启用宏的模板", ".xltx": "模板"}
_WORKBOOK_TYPE = re.compile(rb'PartName="/xl/workbook\.xml"\s+ContentType="([^"]+)"|ContentType="([^"]+)"\s+PartName="/xl/workbook\.xml"')


def package_suffix(content_types: bytes) -> str | None:
    """The suffix Excel requires for a package, from its [Content_Types].xml."""
    m = _WORKBOOK_TYPE.search(content_types)
    if m is None:
        return None
    return CONTENT_SUFFIX.get((m.group(1) or m.group(2)).decode("ascii", "replace"))


def refuse_wrong_suffix(dst: Path, content_types: bytes) -> None:
    """Excel refuses to open a workbook whose suffix does not match its content (e.g. macros in a .xlsx)."""
    wanted = package_suffix(content_types)
    if wanted is None or Path(dst).suffix.lower() == wanted:
        return
    dst = Path(dst)
    raise BookError(
        f"“{dst.name}”的扩展名与内容不符：这是{SUFFIX_KIND[wanted]}，Excel 不会打开扩展名为“{dst.suffix or '（无）'}”的这种文件",
        f"请改用扩展名 {wanted}，如“{dst.stem}{wanted}”",
    )


def lock_path(target: Path) -> Path:
    return target.with_name(f".~starbook.{target.name}.lock")


@contextmanager
def workbook_lock(target: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the advisory lock of `target` (a resolved path): one starbook run writes a workbook at a time."""
    lock = lock_path(target)
    deadline = time.monotonic() + (LOCK_WAIT if wait is None else wait)
    me = f"{os.getpid()} {socket.gethostname()} {time.time():.0f} {os.urandom(4).hex()}"
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except (FileExistsError, PermissionError) as exc:
            if isinstance(exc, PermissionError) and not os.path.lexists(lock):  # the folder, not a lock being removed (Windows)
                raise BookError(f"无法在文件夹“{target.parent}”中写入：没有写权限", "请换一个有写权限的文件夹，或用 -o 另存到别处") from exc
            if _stale(lock) and _remove(lock):
                continue
            if time.monotonic() >= deadline:
                raise BookError(
                    f"“{target.name}”正由另一个 starbook 定星（{_holder(lock)}）",
                    f"请等它完成后再试；如果确认没有在运行，删除同一文件夹中的隐藏文件“{lock.name}”后重试",
                ) from None
            _pause()
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(me)
        break
    try:
        yield
    finally:
        if _read_lock(lock) == me:
            _remove(lock)


def _pause() -> None:
    time.sleep(LOCK_POLL)


def _read_lock(lock: Path) -> str | None:
    try:
        return lock.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _remove(lock: Path) -> bool:
    """Whether the lock file is gone now."""
    try:
        os.unlink(lock)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True


def _holder(lock: Path) -> str:
    text = _read_lock(lock) or ""
    parts = text.split()
    if len(parts) >= 3 and parts[0].isdigit():
        started = time.strftime("%H:%M:%S", time.localtime(float(parts[2]))) if parts[2].replace(".", "").isdigit() else "?"
        return f"计算机 {parts[1]}，进程 {parts[0]}，{started} 开始"
    return "进程未知"


def _stale(lock: Path) -> bool:
    """Left over from a run that is gone: its process has ended on this computer, or it is very old."""
    try:
        age = time.time() - os.stat(lock).st_mtime
    except FileNotFoundError:
        return True
    if age > LOCK_STALE:
        return True
    parts = (_read_lock(lock) or "").split()
    if len(parts) < 2 or not parts[0].isdigit():
        return age > 2.0  # being written right now, or unreadable: wait a moment before judging
    return parts[1] == socket.gethostname() and not _alive(int(parts[0]))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill would terminate the process on Windows
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
