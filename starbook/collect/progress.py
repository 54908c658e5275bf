"""A progress bar for a long collect: on the terminal (stderr, only when it is one)."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

WIDTH = 30
EVERY = 0.1  # seconds between redraws


@contextmanager
def terminal_bar(stream=None) -> Iterator[Callable[[int, int], None]]:
    """A callback (done, total) drawing “读取 [####----] 12/40”; silent when stderr is not a terminal."""
    stream = stream or sys.stderr
    live = hasattr(stream, "isatty") and stream.isatty()
    last = [0.0, False]

    def draw(done: int, total: int) -> None:
        if not live or not total:
            return
        now = time.monotonic()
        if done < total and now - last[0] < EVERY:
            return
        last[0], last[1] = now, True
        filled = WIDTH * done // total
        stream.write(f"\r读取 [{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total}")
        stream.flush()

    try:
        yield draw
    finally:
        if last[1]:
            stream.write("\n")
            stream.flush()
