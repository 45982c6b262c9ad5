"""The ``programma`` command line.

Exit codes: 0 success, 1 invalid input (a file that cannot be read or is not a valid
programme), 2 usage error, 3 the design review found errors.
"""

from __future__ import annotations

import argparse
import io
import json
import signal
import sys
import typing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TextIO

from . import __version__
from ._atomic import write_atomic
from ._errors import ProgrammaError, ValidationError
from ._files import FORMATS, MAX_INPUT_BYTES, Format, dumps, loads, read_input, read_limited
from ._overview import describe_programme
from ._programme import Programme
from ._project import ProjectionError, project
from ._projection import Projection
from ._report import period_means, projection_report
from ._review import ReviewConfig, review
from ._schema import schema
from ._summary import Summary
from ._text import printable
from ._time import RESOLUTIONS
from .examples import example_text, leeuwarden_oost

__all__ = ["main"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_REVIEW = 3


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
                "or pass --format toml|json"
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


def _cmd_validate(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _read_programme(args.file, args.format, stdin, args.max_input_bytes)
    out.write(
        f"{args.file}: valid programme {programme.id!r} "
        f"({len(programme.contracts)} contracts, {len(programme.initiatives)} initiatives)\n"
    )
    return EXIT_OK


def _cmd_show(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = (
        leeuwarden_oost()
        if args.file is None
        else _read_programme(args.file, args.format, stdin, args.max_input_bytes)
    )
    out.write(describe_programme(programme))
    return EXIT_OK


def _cmd_review(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = (
        leeuwarden_oost()
        if args.file is None
        else _read_programme(args.file, args.input_format, stdin, args.max_input_bytes)
    )
    try:
        config = ReviewConfig.from_options(
            disable=args.disable or (), severity=args.severity or (), settings=args.set or ()
        )
    except ValidationError as error:
        err: TextIO = args.messages
        for problem in error.problems:
            err.write(f"programma review: {problem}\n")
        return EXIT_USAGE
    result = review(programme, config=config)
    if args.format == "json":
        document = result.to_dict(analysis=args.analysis)
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = str(result) + "\n"
        if args.analysis:
            text += "\n" + result.analysis_report() + "\n"
    out.write(text)
    return EXIT_REVIEW if result.has_errors else EXIT_OK


def _cmd_example(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if args.format == "json":
        out.write(dumps(leeuwarden_oost(), format="json"))
    else:
        out.write(example_text())
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    out.write(json.dumps(schema(), indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


class _ProgressBar:
    """A progress bar on a terminal's standard error; silent when it is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {done:,}/{total:,} scenarios")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _cmd_simulate(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = (
        leeuwarden_oost()
        if args.file is None
        else _read_programme(args.file, args.input_format, stdin, args.max_input_bytes)
    )
    err: TextIO = args.stderr
    name = "the example" if args.file is None else "<stdin>" if args.file == "-" else args.file
    bar = _ProgressBar(err) if args.scenarios and err.isatty() else None
    executor = ProcessPoolExecutor(args.workers) if args.workers and args.workers > 1 else None
    try:
        projection = project(
            programme,
            scenarios=args.scenarios,
            seed=args.seed,
            resolution=args.by.replace("-", "_") if args.by else None,
            executor=executor,
            progress=bar,
        )
    except ProjectionError as error:  # a problem of this file's programme: name the file
        raise _InputError(f"{name}: {error}") from None
    finally:
        if bar is not None:
            bar.close()
        if executor is not None:
            executor.shutdown()
    if args.format == "table":
        text = projection_report(projection) + "\n" + str(_summary(projection))
    elif args.format == "json":
        document = {
            "projection": period_means(projection),
            "summary": _summary(projection).to_dict(),
        }
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        buffer = io.StringIO()
        projection.write_csv(buffer)
        text = buffer.getvalue()
    if args.out is None:
        out.write(text)
    else:
        try:
            write_atomic(args.out, text)
        except OSError as error:
            raise _InputError(f"{args.out}: cannot write ({error.strerror or error})") from None
    return EXIT_OK


def _summary(projection: Projection) -> Summary:
    """The summary; periods that do not nest in fiscal years are re-run by fiscal year.

    The same seed gives the same scenarios, so the summary describes the same run.
    """
    try:
        return projection.summary()
    except ValueError:
        again = project(
            projection.programme,
            scenarios=None if projection.mode == "expected" else projection.scenarios,
            seed=projection.seed or 0,
            resolution="fiscal_year",
        )
        return again.summary()


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


_positive = _whole(1)
_seed = _whole(0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="programma",
        description="Model long-horizon public programmes and their results-based funding.",
        epilog="Exit codes: 0 success, 1 invalid input, 2 usage error, 3 review found errors.",
    )
    parser.add_argument("--version", action="version", version=f"programma {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str, run: Callable[..., int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    fmt_help = "the file's format (default: from the suffix; for standard input, detected)"
    validate = command("validate", "check a programme file and report every problem", _cmd_validate)
    validate.add_argument("file", metavar="FILE", help="a .toml or .json file, or - for stdin")
    validate.add_argument("--format", choices=FORMATS, help=fmt_help)

    show = command("show", "print a readable summary of a programme", _cmd_show)
    show.add_argument(
        "file", metavar="FILE", nargs="?", help="a .toml or .json file, or - (default: the example)"
    )
    show.add_argument("--format", choices=FORMATS, help=fmt_help)

    example = command("example", "print the embedded Leeuwarden Oost example", _cmd_example)
    example.add_argument(
        "--format", choices=FORMATS, default="toml", help="toml (with comments) or json"
    )

    command("schema", "print the JSON Schema of programme files", _cmd_schema)

    simulate = command(
        "simulate", "project a programme's flows (the example without FILE)", _cmd_simulate
    )
    simulate.add_argument(
        "file", metavar="FILE", nargs="?", help="a .toml or .json file, or - (default: the example)"
    )
    simulate.add_argument("--input-format", choices=FORMATS, help=fmt_help)
    simulate.add_argument(
        "--scenarios",
        type=_positive,
        metavar="N",
        help="Monte Carlo scenarios (default: expected mode)",
    )
    simulate.add_argument("--seed", type=_seed, default=0, metavar="S", help="the seed (default 0)")
    simulate.add_argument(
        "--by",
        choices=[r.replace("_", "-") for r in RESOLUTIONS],
        help="periods kept (default: month in expected mode, fiscal-year in Monte Carlo)",
    )
    simulate.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help="readable tables (default), their content as JSON, or tidy CSV rows per scenario",
    )
    simulate.add_argument("--out", metavar="PATH", help="write to PATH (atomically), not stdout")
    simulate.add_argument(
        "--workers", type=_positive, metavar="N", help="run chunks in N processes (default 1)"
    )

    review_ = command(
        "review",
        "check a design against the practitioners' lessons (the example without FILE)",
        _cmd_review,
    )
    review_.add_argument(
        "file", metavar="FILE", nargs="?", help="a .toml or .json file, or - (default: the example)"
    )
    review_.add_argument("--input-format", choices=FORMATS, help=fmt_help)
    review_.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="readable text grouped by lesson (default), or JSON",
    )
    review_.add_argument(
        "--analysis",
        action="store_true",
        help="add the engagement matrix, the group per phase and the coverage of interests",
    )
    review_.add_argument(
        "--disable", action="append", metavar="RULE", help="switch a rule off (repeatable)"
    )
    review_.add_argument(
        "--severity",
        action="append",
        metavar="RULE=LEVEL",
        help="give a rule's findings another severity: error, warning or info (repeatable)",
    )
    for reader in (validate, show, simulate, review_):
        reader.add_argument(
            "--max-input-bytes",
            type=_positive,
            default=MAX_INPUT_BYTES,
            metavar="N",
            help=f"refuse an input larger than N bytes (default {MAX_INPUT_BYTES:,})",
        )
    review_.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="change a threshold, e.g. first_phase_max_group=8 (repeatable)",
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run the command line with ``argv`` and return the exit code.

    >>> import io
    >>> main(["validate", "no-such-file.toml"], stderr=io.StringIO())
    1
    """
    # text from files never drives a terminal: control characters are shown as escapes
    out = typing.cast(TextIO, _Printable(stdout or sys.stdout))
    raw_err = stderr or sys.stderr
    err = typing.cast(TextIO, _Printable(raw_err))
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exit_.code or 0)
    try:
        args.stderr = raw_err  # the progress bar's own "\r"; messages go through err
        args.messages = err
        code: int = args.run(args, out, stdin or sys.stdin)
        return code
    except _InputError as error:
        err.write(f"programma: {error}\n")
    except _InvalidError as invalid:
        problems = invalid.error.problems
        err.write(f"programma: {invalid.name}: {len(problems)} problem(s)\n")
        for problem in problems:
            err.write(f"{invalid.name}: {problem}\n")
    except ProgrammaError as error:
        err.write(f"programma: {error}\n")
    except OSError as error:
        err.write(f"programma: cannot write {error.filename or ''}: {error.strerror or error}\n")
    return EXIT_INVALID


def run() -> None:
    """The console-script entry point: run :func:`main` and exit with its code."""
    if hasattr(signal, "SIGPIPE"):  # behave like a Unix tool when piped into `head`
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.stderr.write("programma: interrupted\n")
        sys.exit(130)
