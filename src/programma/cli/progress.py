"""Progress bars on a terminal's standard error: tqdm when installed, else a plain bar."""

from __future__ import annotations

import io
import shutil
import typing
from collections.abc import Callable
from typing import TextIO

from ..report.answer import DEFAULT_WIDTH


class _ProgressBar:
    """A plain progress bar on a terminal's standard error, when ``tqdm`` is not installed."""

    def __init__(self, stream: TextIO, unit: str = "scenarios") -> None:
        self.stream = stream
        self.unit = unit
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        self.shown = True  # first: a Ctrl-C while writing must still end the line
        self.stream.write(f"\r[{bar}] {done:,}/{total:,} {self.unit}")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


class _TqdmBar:
    """A ``tqdm`` bar on standard error, made at the first report (when the total is known)."""

    def __init__(self, make: Callable[..., typing.Any], stream: TextIO, unit: str) -> None:
        self.make, self.stream, self.unit = make, stream, unit
        self.bar: typing.Any = None
        self.shown = False

    def write(self, text: str) -> None:
        """Where tqdm writes: noted, so that a bar cut off while being made still ends its line."""
        self.shown = True
        self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            # The size as the answer's: a terminal that reports no size (0 × 0) gets 80 × 24,
            # where tqdm would draw nothing.
            size = shutil.get_terminal_size((DEFAULT_WIDTH, 24))
            self.bar = self.make(
                total=total,
                file=self,
                unit=f" {self.unit}",
                ncols=size.columns,
                nrows=size.lines,
            )
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        # The bar's last state and a line end written here: tqdm's own close can leave the line
        # open when a Ctrl-C stops the run (or stops the bar being made), and the next message
        # would follow on it.
        if self.bar is not None:
            self.bar.refresh()
            self.bar.disable = True  # its close would now only write over the next line
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _progress_bar(stream: TextIO, unit: str = "scenarios") -> _ProgressBar | _TqdmBar:
    """A ``tqdm`` bar where ``tqdm`` is installed (``programma[progress]``), else a plain one."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return _ProgressBar(stream, unit)
    return _TqdmBar(tqdm, stream, unit)


class _CountingRows(io.TextIOBase):
    """A text stream that reports the lines written through it as progress."""

    def __init__(self, stream: TextIO, total: int, progress: Callable[[int, int], object]):
        self.stream, self.total, self.progress = stream, total, progress
        self.rows = 0

    def write(self, text: str) -> int:
        self.stream.write(text)
        self.rows += text.count("\n")
        self.progress(min(self.rows, self.total), self.total)
        return len(text)
