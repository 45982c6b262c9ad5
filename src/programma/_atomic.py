"""Writing files atomically: a reader sees the old file or the whole new one, never a part.

A regular file (or a path that does not exist yet) is replaced by rename: the text goes to a
temporary ``.NAME.XXXXXXXXXXXXXXXX.tmp`` beside the file, is flushed to disk, and then takes the
file's place. The new file keeps the mode (and, where allowed, the owner) of the file it
replaces; a new file gets ``0o666`` less the umask, as any program's would. A symbolic link is
followed: its final target is replaced, and the link stays a link. A special file (a
character device such as ``/dev/null``, a FIFO, a terminal, ``/proc/self/fd/1``) is written
into directly: it cannot be replaced without destroying it, and atomicity has no meaning there.

What the rename cannot guard against: a process killed by SIGKILL (or a power cut) while
writing leaves its ``.NAME.XXXXXXXXXXXXXXXX.tmp`` behind, though never a half-written ``NAME``. On
SIGTERM the command line removes the temporary file (see :func:`terminating_cleanly`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, Any, BinaryIO, TextIO, cast

from ._errors import ProgrammaError

__all__ = [
    "OutputPathError",
    "atomic_binary_writer",
    "atomic_writer",
    "check_output_path",
    "terminating_cleanly",
    "write_atomic",
]


class OutputPathError(ProgrammaError, ValueError):
    """A path that cannot name an output file: empty, or a folder.

    Raised by every function that writes a file (``dump``, ``Projection.to_csv``, …) before
    anything is written.

    Attributes:
        path: The path given.

    >>> from programma import OutputPathError, project
    >>> from programma.examples import leeuwarden_oost
    >>> try:
    ...     project(leeuwarden_oost()).to_csv("")
    ... except OutputPathError as error:
    ...     print(error)
    the output path is empty: give a file name
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """The path, if it can name an output file; raise :class:`OutputPathError` if not.

    Only what the path itself says is checked (empty, an existing folder, a trailing slash);
    a missing folder or a permission shows when writing.
    """
    text = os.fspath(path)
    if text == "":
        raise OutputPathError("the output path is empty: give a file name", text)
    if os.path.isdir(text):
        raise OutputPathError(f"{text}: is a folder; give the path of a file in it", text)
    if text.endswith(("/", os.sep)):
        raise OutputPathError(f"{text}: names a folder (it ends with a slash); give a file", text)
    return Path(text)


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it.

    The temporary file is flushed to disk before it replaces ``path``, and removed if anything
    goes wrong (including KeyboardInterrupt), so ``path`` is never left half-written. See the
    module's notes for symbolic links and special files.

    Returns:
        The path written.

    Raises:
        OutputPathError: ``path`` is empty or a folder.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "out.txt", "hello").read_text()
    'hello'
    """
    with atomic_writer(path) as stream:
        stream.write(text)
    return Path(path)


def _temporary_name(target: Path) -> Path:
    """A fresh ``.NAME.XXXXXXXXXXXXXXXX.tmp`` beside ``target``."""
    return target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")


@contextmanager
def atomic_writer(path: str | os.PathLike[str], *, newline: str | None = None) -> Iterator[TextIO]:
    """Open a text stream whose content replaces ``path`` only when the block completes.

    On any error (or KeyboardInterrupt) inside the block, ``path`` is left as it was. A
    special file (device, FIFO) is written into directly instead (see the module's notes).

    Raises:
        OutputPathError: ``path`` is empty or a folder.

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
    >>> with atomic_writer(target) as stream:
    ...     _ = stream.write("a,b\\n")
    >>> target.read_text()
    'a,b\\n'
    """
    with _replacing(path, "w", newline) as stream:
        yield cast(TextIO, stream)


@contextmanager
def atomic_binary_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary stream whose content replaces ``path`` only when the block completes.

    The same as :func:`atomic_writer`, for bytes (an image, a PDF).

    Raises:
        OutputPathError: ``path`` is empty or a folder.

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "image.png"
    >>> with atomic_binary_writer(target) as stream:
    ...     _ = stream.write(b"\\x89PNG")
    >>> target.read_bytes()
    b'\\x89PNG'
    """
    with _replacing(path, "wb", None) as stream:
        yield cast(BinaryIO, stream)


@contextmanager
def _replacing(path: str | os.PathLike[str], mode: str, newline: str | None) -> Iterator[IO[Any]]:
    """The stream of :func:`atomic_writer` (mode ``"w"``) or :func:`atomic_binary_writer`."""
    encoding = None if "b" in mode else "utf-8"
    target = check_output_path(path)
    try:
        existing: os.stat_result | None = os.stat(target)  # follows symbolic links
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        # Renaming over /dev/null or a FIFO would put a regular file in its place.
        with open(target, mode, encoding=encoding, newline=newline) as direct:
            yield direct
        return
    if target.is_symlink():
        # Replace the link's final target, not the link (which would become a file).
        target = Path(os.path.realpath(target))
    temporary = _temporary_name(target)
    # The clean-up covers the creation itself: an interrupt that arrives just after the file
    # is made must still remove it.
    try:
        while True:
            try:
                # Mode 0o666 lets the kernel apply the umask (and a folder's default ACL), as
                # for any new file; tempfile.mkstemp would give 0o600.
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                handle = os.open(temporary, flags, 0o666)
                break
            except FileExistsError:  # pragma: no cover - 2**64 names; someone else's file
                temporary = _temporary_name(target)
        with os.fdopen(handle, mode, encoding=encoding, newline=newline) as stream:
            if existing is not None:
                _keep_mode_and_owner(stream.fileno(), existing)
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _keep_mode_and_owner(handle: int, existing: os.stat_result) -> None:
    """Give the new file the mode and, where permitted, the owner of the one it replaces."""
    if hasattr(os, "fchown"):
        mine = os.fstat(handle)
        if (mine.st_uid, mine.st_gid) != (existing.st_uid, existing.st_gid):
            # Only root may give a file away; otherwise the file is now ours.
            with contextlib.suppress(PermissionError):
                os.fchown(handle, existing.st_uid, existing.st_gid)
    if hasattr(os, "fchmod"):  # after chown, which clears set-id bits
        os.fchmod(handle, stat.S_IMODE(existing.st_mode))


class _Terminated(BaseException):
    """Raised by the SIGTERM handler of :func:`terminating_cleanly` to unwind the writers."""


@contextmanager
def terminating_cleanly() -> Iterator[None]:
    """While the block runs, SIGTERM unwinds it so that writers remove their temporary files.

    Meant for a program's own output (the command line wraps its writing in it); a library
    call never installs signal handlers. The handler is installed only in the main thread and
    only if SIGTERM is not ignored, and the previous one is restored when the block ends. On
    SIGTERM the block is unwound (every :func:`atomic_writer` in it removes its temporary
    file), and the signal is then delivered again to the previous handler: by default the
    process ends as killed by SIGTERM.

    >>> with terminating_cleanly():
    ...     pass
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous == signal.SIG_IGN:
        yield
        return

    def unwind(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish undisturbed
        raise _Terminated

    signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)
        raise SystemExit(128 + signal.SIGTERM) from None  # the previous handler returned
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
