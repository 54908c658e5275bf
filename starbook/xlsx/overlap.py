"""Patch some sheets on the other core, in a forked child, while this process patches the rest.

The sheets a rating writes afresh (公示, 整改台账, 整改名单) depend only on the
edits, not on the big 汇总表 the parent is patching meanwhile; patching them is
pure Python, which one process runs on one core. A forked child inherits the
edits and the sheets' XML without copying or pickling them, patches and deflates
its sheets with the very functions the sequential path uses, and sends back the
pieces and the compressed bytes: the package is byte for byte the same.

Where there is no fork (Windows) or the process runs other threads (a fork could
inherit a lock held by one of them), nothing is forked and the caller patches
every sheet itself. Whatever goes wrong in the child (an error in a sheet, a
killed child) makes `result()` None, and the caller patches those sheets itself,
raising the error there as it would have without the child.
"""
from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any

Job = Callable[[], Any]


def can_fork() -> bool:
    """A child may be forked here: the platform has fork and this process runs no other thread."""
    return hasattr(os, "fork") and threading.active_count() == 1


class Aside:
    """The running child: `result()` waits for it and returns the jobs' results by key, or None."""

    def __init__(self, pid: int, read_end: int) -> None:
        self.pid = pid
        self.read_end = read_end

    def discard(self) -> None:
        """The caller failed: end the child (its work is of no use now) and reap it."""
        os.close(self.read_end)
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:  # gone already
            pass
        os.waitpid(self.pid, 0)

    def result(self) -> dict[str, Any] | None:
        chunks = []
        try:
            while True:
                chunk = os.read(self.read_end, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(self.read_end)
            _, status = os.waitpid(self.pid, 0)
        if status != 0 or not chunks:
            return None
        try:
            ok, results = pickle.loads(b"".join(chunks))
        except Exception:
            return None
        return results if ok else None


def run_aside(jobs: dict[str, Job]) -> Aside | None:
    """Start the jobs in a forked child; None when no child can be forked here."""
    if not jobs or not can_fork():
        return None
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps((True, {key: job() for key, job in jobs.items()}), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                payload = pickle.dumps((False, None))
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return Aside(pid, read_end)
