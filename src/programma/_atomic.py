"""Writing files atomically: a reader sees the old file or the whole new one, never a part."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

__all__ = ["atomic_writer", "write_atomic"]


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it.

    The temporary file is flushed to disk before it replaces ``path``, and removed if anything
    goes wrong (including KeyboardInterrupt), so ``path`` is never left half-written.

    Returns:
        The path written.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "out.txt", "hello").read_text()
    'hello'
    """
    with atomic_writer(path) as stream:
        stream.write(text)
    return Path(path)


@contextmanager
def atomic_writer(path: str | os.PathLike[str], *, newline: str | None = None) -> Iterator[TextIO]:
    """Open a text stream whose content replaces ``path`` only when the block completes.

    On any error (or KeyboardInterrupt) inside the block, ``path`` is left as it was.

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
    >>> with atomic_writer(target) as stream:
    ...     _ = stream.write("a,b\\n")
    >>> target.read_text()
    'a,b\\n'
    """
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent if str(target.parent) else "."
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
