"""Atomic file replacement: write beside the target, fsync, rename; never a half-written file."""
from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _mode_for(path: Path) -> int:
    """The replaced file keeps its permissions; a new file gets the usual ones (mkstemp gives 0600)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, write: Callable[[BinaryIO], None], *, before_replace: Callable[[], None] | None = None) -> None:
    """Call `write` on a temporary file next to `path`, then rename it over `path`.

    A symbolic link is written through: its target is replaced and the link
    stays a link. `before_replace` runs once the temporary file is complete and
    on disk, right before the rename: the last moment to decide against it (it
    raises, the temporary file is removed and `path` is left as it was). The
    folder must exist; it is not created here.
    """
    path = Path(os.path.realpath(path))
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=".starbook-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
