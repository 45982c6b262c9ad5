"""Programme files: TOML and JSON with one structure, read strictly and written atomically.

A file is a table of the programme's fields with a ``format_version``. Reading checks the shape
first (known fields, required fields, types) and reports every shape problem at once; once the
shape is right, the programme checks every value and reference and reports those at once.
Nothing in a file is executed, evaluated or imported.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import stat
import tomllib
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeAlias

import tomli_w

from .._atomic import write_atomic
from .._errors import FormatVersionError, ParseError, Problem, ValidationError, described
from ..model.checks import deferred_checks
from ..model.plain import join, reader, shape_problems, typename, writer
from ..model.programme import Programme

__all__ = [
    "FORMAT_VERSION",
    "MAX_INPUT_BYTES",
    "Format",
    "dump",
    "dumps",
    "from_data",
    "load",
    "loads",
    "read_input",
    "to_data",
]

MAX_INPUT_BYTES = 64 * 1024**2
"""The largest programme file read by default: 64 MiB (the example is about 60 KiB)."""

FORMAT_VERSION = 1
"""The version of the file format this version of programma writes (and the newest it reads)."""

Format: TypeAlias = Literal["toml", "json"]
FORMATS: tuple[Format, ...] = ("toml", "json")

# -- the public functions ---------------------------------------------------------------------


def from_data(data: object) -> Programme:
    """Build a programme from data as parsed from a file (a dict with ``format_version``).

    Raises:
        ValidationError: Listing every problem with its path.
        FormatVersionError: The data is from a newer format version.
    """
    if not isinstance(data, dict):
        raise ValidationError([Problem("", "a table of programme fields", typename(data))])
    version = data.get("format_version")
    if version is None:
        raise ValidationError(
            [Problem("format_version", f"the file's format version ({FORMAT_VERSION})", None)]
        )
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationError([Problem("format_version", "a whole number ≥ 1", typename(version))])
    if version > FORMAT_VERSION:
        raise FormatVersionError(
            [
                Problem(
                    "format_version",
                    f"a format version this programma can read (up to {FORMAT_VERSION}); "
                    "the file was written by a newer programma, so upgrade programma",
                    version,
                )
            ]
        )
    fields = {k: v for k, v in data.items() if k != "format_version"}
    try:
        with deferred_checks():
            built = reader().converter.structure(fields, Programme)
    except Exception as error:  # every other error is a shape problem, reported with paths
        raise ValidationError(list(shape_problems(error, ""))) from None
    return built


def to_data(programme: Programme, format: Format = "json") -> dict[str, Any]:
    """The programme as plain data for ``format`` (dates as text for JSON, as dates for TOML)."""
    body = writer(dates_as_text=_check_format(format) == "json").data(programme)
    return {"format_version": FORMAT_VERSION, **body}


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while a file becomes a programme.

    Reading builds a million small objects (and, for a broken file, an exception per problem)
    without making garbage cycles, yet each allocation counts toward the next full collection:
    a large file spent most of its time (and a broken one three quarters) in collections that
    found nothing. The collector's state is restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def loads(text: str | bytes, *, format: Format = "toml") -> Programme:
    """Read a programme from TOML or JSON text.

    Raises:
        ParseError: The text is not valid TOML or JSON.
        ValidationError: Listing every problem in the programme with its path.
        FormatVersionError: The text is from a newer format version.

    >>> p = loads('''
    ... format_version = 1
    ... id = "demo"
    ... name = "Demo"
    ... currency = "EUR"
    ... start = 2021-01-01
    ... horizon_years = 20
    ... ''')
    >>> p.months
    240
    """
    fmt = _check_format(format)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError([Problem("", "UTF-8 text", described(str(error)))]) from None
    text = text.removeprefix(_BOM)  # a byte-order mark says only "UTF-8": accepted, dropped
    with _no_cycle_collection():
        return from_data(_parsed(text, fmt))


def _parsed(text: str, fmt: Format) -> Any:
    """The data of TOML or JSON text; a ParseError says what is wrong with it."""
    try:
        return tomllib.loads(text) if fmt == "toml" else _json(text)
    except ParseError:  # keys repeated in a JSON object, each with its path
        raise
    except tomllib.TOMLDecodeError as error:
        raise ParseError([Problem("", "valid TOML", described(str(error)))]) from None
    except json.JSONDecodeError as error:
        raise ParseError([Problem("", "valid JSON", described(str(error)))]) from None
    except ValueError as error:  # e.g. an integer longer than Python converts
        raise ParseError([Problem("", f"valid {fmt.upper()}", described(str(error)))]) from None
    except RecursionError:
        raise ParseError(
            [Problem("", f"valid {fmt.upper()}", described("nesting too deep"))]
        ) from None


def load(
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> Programme:
    """Read a programme file; the format comes from the suffix (``.toml``, ``.json``) if not given.

    Only a regular file (or a link to one) of at most ``max_bytes`` is read: a pipe, a device
    or an endless input is refused before anything is read from it.

    Raises:
        OSError: The file cannot be read (e.g. FileNotFoundError).
        ValueError: The format cannot be told from the suffix and is not given.
        ParseError: The file is not a regular file, is larger than ``max_bytes``, or is not
            valid TOML or JSON.
        ValidationError, FormatVersionError: As :func:`loads`.
    """
    target = Path(path)
    fmt = format if format is not None else _format_of(target)
    return loads(read_input(target, max_bytes=max_bytes), format=fmt)


_BOM = "\ufeff"


def _kind_of_file(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_input(path: str | os.PathLike[str], *, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, read without blocking on a pipe.

    Raises:
        OSError: The file cannot be opened or read (IsADirectoryError for a folder).
        ParseError: It is not a regular file (a FIFO, a device such as ``/dev/zero``), or it
            is larger than ``max_bytes``.
    """
    _check_max_bytes(max_bytes)
    # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever; on a regular
    # file it changes nothing. fstat then judges what was opened (no race with a rename).
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise ParseError(
                [Problem("", "a regular file (or standard input)", described(_kind_of_file(mode)))]
            )
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data: bytes = read_limited(stream, max_bytes)
            return data
    finally:
        os.close(descriptor)


def read_limited(stream: typing.BinaryIO | typing.TextIO, max_bytes: int) -> Any:
    """Everything in ``stream`` if it holds at most ``max_bytes`` (characters for text)."""
    _check_max_bytes(max_bytes)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ParseError(
            [
                Problem(
                    "",
                    f"an input of at most {max_bytes:,} bytes (raise the limit with max_bytes "
                    "or --max-input-bytes)",
                    described("a larger input"),
                )
            ]
        )
    return data


def _check_max_bytes(max_bytes: object) -> None:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a whole number ≥ 1, got {max_bytes!r}")


class _Repeated(dict[str, Any]):
    """A JSON object in which a key occurs more than once; its members kept in order."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


def _json(text: str) -> Any:
    """Parse JSON, refusing a key repeated in one object (TOML refuses that too)."""
    repeated = False

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        built = dict(pairs)
        if len(built) == len(pairs):  # most files repeat no key: one dict, nothing kept
            return built
        repeated = True
        return _Repeated(pairs)

    data = json.loads(text, object_pairs_hook=members)
    if repeated:
        problems: list[Problem] = []
        _repeated_keys(data, "", problems)
        raise ParseError(problems)
    return data


def _repeated_keys(value: Any, path: str, problems: list[Problem]) -> None:
    """Report each repeated key with its path (a walk made only when the parser saw one)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:  # depth first, in the order of the text, without recursion
        value, path = stack.pop()
        inside: list[tuple[Any, str]] = []
        if isinstance(value, dict):
            seen: set[str] = set()
            for key, item in value.pairs if isinstance(value, _Repeated) else value.items():
                where = join(path, key)
                if key in seen:
                    problems.append(
                        Problem(where, "each key once in an object", described("the key again"))
                    )
                seen.add(key)
                inside.append((item, where))
        elif isinstance(value, list):
            inside = [(item, f"{path}[{index}]") for index, item in enumerate(value)]
        stack.extend(reversed(inside))


def dumps(programme: Programme, *, format: Format = "toml") -> str:
    """The programme as TOML or JSON text; ``loads(dumps(p, format=f), format=f) == p``.

    >>> import datetime as dt
    >>> p = Programme("demo", "Demo", "EUR", dt.date(2021, 1, 1), 20)
    >>> print(dumps(p))
    format_version = 1
    id = "demo"
    name = "Demo"
    currency = "EUR"
    start = 2021-01-01
    horizon_years = 20
    <BLANKLINE>
    """
    fmt = _check_format(format)
    data = to_data(programme, fmt)
    if fmt == "toml":
        return tomli_w.dumps(data)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def dump(
    programme: Programme, path: str | os.PathLike[str], *, format: Format | None = None
) -> Path:
    """Write the programme to ``path`` atomically (never a half-written file).

    The format comes from the suffix (``.toml``, ``.json``) if not given.

    Returns:
        The path written.
    """
    target = Path(path)
    fmt = format if format is not None else _format_of(target)
    return write_atomic(target, dumps(programme, format=fmt))


def _format_of(path: Path) -> Format:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise ValueError(
        f"cannot tell the format of {str(path)!r} from its suffix: "
        "expected .toml or .json, or pass format='toml' or format='json'"
    )


def _check_format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise ValueError(f"format must be 'toml' or 'json', got {fmt!r}")
    return fmt
