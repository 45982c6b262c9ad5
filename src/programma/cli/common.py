"""What every command shares.

Exit codes, reading a programme, writing output, errors for people and for programs, and the
argument types.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import os
import re
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from .._atomic import atomic_writer, check_output_path, terminating_cleanly
from .._errors import Problem, ValidationError
from .._text import printable
from ..analysis.projection import Projection, project
from ..analysis.summary import Summary
from ..examples import leeuwarden_oost
from ..files.output_schemas import OUTPUT_FORMAT_VERSION
from ..files.programme_files import (
    FORMATS,
    MAX_INPUT_BYTES,
    Format,
    loads,
    read_input,
    read_limited,
)
from ..finance import DISCOUNT_PRESETS
from ..model.programme import Programme

EXIT_OK = 0


EXIT_INVALID = 1


EXIT_USAGE = 2


EXIT_REVIEW = 3


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


def _cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover  (not on macOS or Windows)
        return os.cpu_count() or 1


MAX_WORKERS = 4 * _cpus()
"""The most ``--workers`` accepted: four per CPU this process may run on."""


_CLI_LEVERS = {
    "resolution": "--by fiscal-year",
    "scenarios": "fewer --scenarios",
    "chunk_size": "a smaller --chunk-size",
    "workers": "fewer --workers",
    "max_memory": "a larger --max-memory",
}


class _Printable(io.TextIOBase):
    """A text stream that shows control characters as escapes (see :func:`printable`)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()


class _InputError(Exception):
    """A file that cannot be read or parsed; the message is one line for stderr."""


class _UsageError(Exception):
    """A command line argparse refuses (exit 2), kept to be written as text or as JSON."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message

    def fields(self) -> tuple[str, str | None, str | None]:
        """The option the refusal names, and what was expected and given if it says."""
        named = re.match(r"argument ([^:]+): (.*)$", self.message, flags=re.DOTALL)
        option, detail = (named.group(1), named.group(2)) if named else ("", self.message)
        said = re.match(r"expected (.*), got (.*)$", detail, flags=re.DOTALL)
        return option.split("/")[0], *((said.group(1), said.group(2)) if said else (None, None))


class _Parser(argparse.ArgumentParser):
    """An argument parser whose refusals are raised, to be written as text or as JSON."""

    def error(self, message: str) -> typing.NoReturn:
        raise _UsageError(self, message)


def _json_errors(argv: Sequence[str]) -> bool:
    """Whether ``--errors json`` is among the arguments (for refusals before they are parsed)."""
    pairs = itertools.pairwise(argv)
    return "--errors=json" in argv or any(a == "--errors" and b == "json" for a, b in pairs)


def _given(value: object) -> object:
    """What was given, as a JSON value: strings, numbers and booleans as they are."""
    if value is None or isinstance(value, str | bool | int):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return value
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


class _ErrorReport:
    """Why a command failed: lines of text on stderr, or with ``--errors json`` one document.

    The document is ``{"format_version", "kind": "errors", "problems": [...], "exit_code"}``,
    written when the command ends (see ``programma schema --output errors``).
    """

    def __init__(self, stream: TextIO, as_json: bool) -> None:
        self.stream, self.as_json = stream, as_json
        self.problems: list[dict[str, object]] = []

    def line(self, message: str) -> None:
        """A problem told in one line, with no path of its own (``programma: …`` in text)."""
        self.add(f"programma: {message}", message=message)

    def problem(self, problem: Problem, text: str, *, file: str | None = None) -> None:
        """A problem with its path, shown as ``text`` in the text form."""
        self.add(text, problem.path, problem.expected, problem.given, file, str(problem))

    def add(
        self,
        text: str,
        path: str = "",
        expected: str | None = None,
        given: object = None,
        file: str | None = None,
        message: str | None = None,
    ) -> None:
        """A problem: ``text`` on stderr, or its fields in the JSON document."""
        if not self.as_json:
            self.stream.write(f"{text}\n")
            return
        self.problems.append(
            {
                "file": file,
                "path": path,
                "expected": expected,
                "given": _given(given),
                "message": text if message is None else message,
            }
        )

    def finish(self, code: int) -> int:
        """Write the JSON document, if there were problems, and return ``code``."""
        if self.as_json and self.problems:
            document = {
                "format_version": OUTPUT_FORMAT_VERSION,
                "kind": "errors",
                "problems": self.problems,
                "exit_code": code,
            }
            self.stream.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")
            self.problems = []
        return code


def _read_programme(
    source: str, fmt: Format | None, stdin: TextIO, max_bytes: int = MAX_INPUT_BYTES
) -> Programme:
    """Read a programme from a path or ``-`` (standard input), at most ``max_bytes`` of it."""
    name = "<stdin>" if source == "-" else source
    chosen = fmt
    if source != "-":
        suffix = Path(source).suffix.lower().lstrip(".")
        chosen = fmt or (suffix if suffix in FORMATS else None)
        if chosen is None:
            raise _InputError(
                f"{source}: cannot tell the format from the suffix; use .toml or .json, "
                "or pass --input-format toml|json"
            )
    try:
        if source == "-":  # bytes where there are: newlines as they are, as from a file
            data = read_limited(getattr(stdin, "buffer", stdin), max_bytes)
        else:
            data = read_input(source, max_bytes=max_bytes)
    except FileNotFoundError:
        raise _InputError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise _InputError(f"{source}: is a folder, not a file") from None
    except PermissionError:
        raise _InputError(f"{source}: permission denied") from None
    except OSError as error:
        raise _InputError(f"{source}: cannot be read ({error.strerror or error})") from None
    except ValidationError as error:
        raise _InvalidError(name, error) from None
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _InputError(
                f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"
            ) from None
    else:
        text = data
    if chosen is None:  # standard input: JSON starts with "{", after any byte-order mark
        chosen = "json" if text.removeprefix("\ufeff").lstrip().startswith("{") else "toml"
    try:
        return loads(text, format=chosen)
    except ValidationError as error:
        raise _InvalidError(name, error) from None


class _InvalidError(Exception):
    def __init__(self, name: str, error: ValidationError) -> None:
        super().__init__(name)
        self.name, self.error = name, error


def _programme_or_example(
    args: argparse.Namespace, form: Format | None, stdin: TextIO
) -> Programme:
    """The programme of ``args.file`` read as ``form``, or the embedded example without a file."""
    if args.file is None:
        return leeuwarden_oost()
    return _read_programme(args.file, form, stdin, args.max_input_bytes)


def _input_format(args: argparse.Namespace) -> Format | None:
    """``--input-format``, or the deprecated ``--format`` of ``validate`` and ``show``."""
    legacy: Format | None = getattr(args, "legacy_format", None)
    if legacy is not None and args.errors == "text":
        args.messages.write(
            "programma: --format for the input format is deprecated and will name the output "
            "format in the next release; use --input-format\n"
        )
    chosen: Format | None = args.input_format or legacy
    return chosen


def _write(
    path: str | None, out: TextIO, emit: Callable[[TextIO], object], newline: str | None = None
) -> None:
    """Emit the output to ``out``, or atomically to ``path`` (no temporary left on SIGTERM)."""
    if path is None:
        emit(out)
        return
    try:
        with terminating_cleanly(), atomic_writer(path, newline=newline) as stream:
            emit(stream)
    except OSError as error:
        raise _InputError(f"{path}: cannot write ({error.strerror or error})") from None


def _summary(projection: Projection) -> Summary:
    """The summary; periods that do not nest in fiscal years are re-run by fiscal year.

    The same seed gives the same scenarios, so the summary describes the same run.
    """
    try:
        return projection.summary()
    except ValueError:
        return _by_fiscal_year(projection).summary()


def _by_fiscal_year(projection: Projection) -> Projection:
    """The projection by fiscal year: regrouped, or re-run where its periods do not nest."""
    try:
        return projection.by("fiscal_year")
    except ValueError:
        return project(
            projection.programme,
            scenarios=None if projection.mode == "expected" else projection.scenarios,
            seed=projection.seed or 0,
            resolution="fiscal_year",
        )


def _plot_path(text: str) -> str:
    """An argparse type: a non-empty path ending in .png, .svg or .pdf."""
    path = _out_path(text)
    if Path(path).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise argparse.ArgumentTypeError(
            f"expected a file name ending in .png, .svg or .pdf, got {text!r}"
        )
    return path


def _whole(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number ≥ ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {low}, got {value}")
        return value

    return parse


def _out_path(text: str) -> str:
    """An argparse type: a non-empty path (an empty one is a usage error, exit 2)."""
    if text == "":
        raise argparse.ArgumentTypeError("expected a file path, got an empty one")
    return text


_positive = _whole(1)


_seed = _whole(0)


def _workers(text: str) -> int:
    """An argparse type: a number of worker processes, 1 to :data:`MAX_WORKERS`."""
    value = _positive(text)
    if value > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_WORKERS} (4 per CPU), got {value}")
    return value


_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int:
    """A size in bytes from text such as ``2GiB``, ``500MB``, ``1.5 GiB`` or ``1000000``.

    Units: B; kB, MB, GB, TB (powers of 1000); KiB, MiB, GiB, TiB (powers of 1024); no unit
    means bytes. Letter case does not matter. Fractions are rounded down to whole bytes.

    Raises:
        argparse.ArgumentTypeError: The text is not such a size, or it is 0.

    >>> parse_size("2GiB"), parse_size("500MB"), parse_size("1.5 KiB")
    (2147483648, 500000000, 1536)
    """
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 2GiB, 500MB or 1000000 (bytes), got {text!r}"
        )
    number: str = match.group(1)
    whole, _, fraction = number.partition(".")
    scale = _UNITS[unit]
    # Exact arithmetic: a float would round large byte counts.
    tenths: int = 10 ** len(fraction)
    value = int(whole or 0) * scale + int(fraction or 0) * scale // tenths
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a size of at least 1 byte, got {text!r}")
    return value


def _quantile(text: str) -> float:
    """An argparse type: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text}")
    return value


def _discount(text: str) -> str | float:
    """An argparse type: a discount preset, or an annual rate > −1 (``0.03``)."""
    if text in DISCOUNT_PRESETS:
        return text
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate <= -1:
        raise argparse.ArgumentTypeError(
            f"expected a rate > -1 such as 0.03, or one of {', '.join(DISCOUNT_PRESETS)}, "
            f"got {text!r}"
        )
    return rate


def _check_plot(path: str, nothing_to_draw: str | None = None) -> None:
    """Refuse ``--plot PATH`` before a long run: a folder, nothing to draw (the reason given),
    or no matplotlib to draw with."""
    check_output_path(path)
    if nothing_to_draw is not None:
        raise _InputError(nothing_to_draw)
    try:
        from .. import plot  # noqa: F401  (only to tell whether matplotlib is installed)
    except ImportError:
        raise _InputError(
            "--plot needs matplotlib, which is not installed: pip install 'programma[plot]'"
        ) from None


def _plot(path: str, draw: Callable[[], object]) -> None:
    """Write a chart to ``path`` with ``draw()``, which writes it atomically."""
    try:
        with terminating_cleanly():
            draw()
    except OSError as error:
        raise _InputError(f"{path}: cannot write ({error.strerror or error})") from None


def _source_name(args: argparse.Namespace) -> str:
    """How messages name the programme read: its file, ``<stdin>``, or ``the example``."""
    return "the example" if args.file is None else "<stdin>" if args.file == "-" else args.file
