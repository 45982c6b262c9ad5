"""The ``programma`` command line.

Exit codes: 0 success, 1 invalid input (a file that cannot be read or is not a valid
programme) or a run that cannot be done (not enough memory, workers that cannot start), 2 usage
error, 3 the design review found errors, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import math
import os
import re
import shutil
import signal
import sys
import threading
import typing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TextIO

import attrs
import numpy as np

from . import __version__
from ._atomic import atomic_writer, check_output_path, terminating_cleanly
from ._errors import SHOWN_PER_KIND, Problem, ProgrammaError, ValidationError
from ._text import plural, printable
from .analysis.compare import RECORD_FIELDS, DesignComparison, compare
from .analysis.projection import Projection, project
from .analysis.review import ReviewConfig, review
from .analysis.sensitivity import (
    GlobalSensitivity,
    OneWaySensitivity,
    global_sensitivity,
    one_way_sensitivity,
)
from .analysis.summary import Summary
from .analysis.value import BASES, VALUE_RECORD_FIELDS, ValueForMoney, value_for_money
from .engine.project import MEMORY_SHARE, MemoryBudgetError, ProjectionError
from .examples import example_text, leeuwarden_oost
from .export.iati import ORGANISATION_TYPES, ExportError, iati
from .export.indigo import indigo, indigo_text
from .files.output_schemas import OUTPUT_FORMAT_VERSION, OUTPUT_KINDS, output_schema
from .files.programme_files import (
    FORMATS,
    MAX_INPUT_BYTES,
    Format,
    dumps,
    loads,
    read_input,
    read_limited,
)
from .files.schema import schema
from .finance import DISCOUNT_PRESETS
from .model.programme import Programme
from .periods.grid import RESOLUTIONS
from .report.answer import DEFAULT_WIDTH, answer
from .report.compare import comparison_report
from .report.programme import describe_programme
from .report.projection import projection_report, simulation_document
from .report.value import value_report

__all__ = ["main"]

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


def _cmd_validate(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _read_programme(args.file, _input_format(args), stdin, args.max_input_bytes)
    contracts = plural(len(programme.contracts), "contract")
    initiatives = plural(len(programme.initiatives), "initiative")
    out.write(f"{args.file}: valid programme {programme.id!r} ({contracts}, {initiatives})\n")
    return EXIT_OK


def _cmd_show(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _programme_or_example(args, _input_format(args), stdin)
    out.write(describe_programme(programme))
    return EXIT_OK


def _cmd_review(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _programme_or_example(args, args.input_format, stdin)
    try:
        config = ReviewConfig.from_options(
            disable=args.disable or (), severity=args.severity or (), settings=args.set or ()
        )
    except ValidationError as error:
        report: _ErrorReport = args.report
        for problem in error.problems:
            report.problem(problem, f"programma review: {problem}")
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
    document = schema() if args.output == "programme" else output_schema(args.output)
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


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


class _WorkersError(Exception):
    """Worker processes could not be started; the message is one line for stderr."""


def _ignore_interrupts() -> None:
    """In a worker: leave Ctrl-C to the parent, which stops the pool as a whole."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, all started (so a failure to start shows here)."""
    pool = ProcessPoolExecutor(workers, initializer=_ignore_interrupts)
    try:
        # With fork every worker starts at the first submit; elsewhere they start as needed.
        pool.submit(int).result()
    except BaseException as error:
        _stop_pool(pool)
        if isinstance(error, OSError):
            raise _WorkersError(
                f"cannot start {workers} worker processes "
                f"({error.strerror or error}): use fewer --workers, or none"
            ) from None
        raise
    return pool


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: drop queued chunks and end the workers, even mid-chunk."""
    main = threading.current_thread() is threading.main_thread()  # where signals can be set
    # A second Ctrl-C must not break off the stopping half-way.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        _end_workers(pool, main)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _end_workers(pool: ProcessPoolExecutor, main: bool) -> None:
    # Taken before shutdown, which forgets them. Workers ignore Ctrl-C and would finish their
    # chunk first, whose result is no longer wanted.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    results = getattr(pool, "_result_queue", None)
    items = getattr(pool, "_pending_work_items", None)
    pool.shutdown(wait=False, cancel_futures=True)
    if isinstance(items, dict):
        # Python 3.11's pool fails (a traceback from its thread) marking cancelled chunks as
        # broken once its workers are gone; they need no marking, so they are taken out first.
        for key, item in list(items.items()):
            if item.future.cancelled():
                items.pop(key, None)
    if main and hasattr(signal, "SIGPIPE"):
        # A chunk still being sent to a stopped worker must fail there, not end this process
        # (Python's own default, which the console script changes for pipes into `head`).
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():  # pragma: no cover  (a worker stuck in the kernel)
            process.kill()
            process.join(timeout=5)
    # A worker stopped while sending its result leaves half a message, which the pool's own
    # thread would wait for forever (and the interpreter for it, at exit). With the workers
    # gone, closing this process's end for writing lets that wait end.
    writer = getattr(results, "_writer", None)
    if writer is not None:
        writer.close()


def _cmd_simulate(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if args.format == "parquet":  # before reading and running, not after
        if args.out is None:
            args.report.problem(
                Problem("--out", "a file path with --format parquet", None),
                "programma simulate: --format parquet writes a file: give --out PATH",
            )
            return EXIT_USAGE
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise _InputError(
                "--format parquet needs pyarrow: pip install 'programma[parquet]'"
            ) from None
    programme = _programme_or_example(args, args.input_format, stdin)
    if args.out is not None:
        check_output_path(args.out)  # before a long run, not after it
    if args.plot is not None:
        check_output_path(args.plot)
        if not programme.funds:
            raise _InputError(f"--plot: {programme.id!r} has no funds to chart")
        try:
            from .plot import save_fan_charts
        except ImportError:
            raise _InputError(
                "--plot needs matplotlib, which is not installed: pip install 'programma[plot]'"
            ) from None
    err: TextIO = args.stderr
    name = "the example" if args.file is None else "<stdin>" if args.file == "-" else args.file
    bar = _progress_bar(err) if args.scenarios and err.isatty() else None
    executor = _start_pool(args.workers) if args.workers and args.workers > 1 else None
    finished = False
    try:
        projection = project(
            programme,
            scenarios=args.scenarios,
            seed=args.seed,
            resolution=args.by.replace("-", "_") if args.by else None,
            chunk_size=args.chunk_size,
            executor=executor,
            max_memory=args.max_memory,
            progress=bar,
            workers=None if executor is None else args.workers,
            variant=args.variant,
        )
        finished = True
    except BrokenProcessPool:
        raise _WorkersError(
            "a worker process ended abruptly (killed, perhaps for lack of memory): use fewer "
            "--workers or a smaller --chunk-size"
        ) from None
    except ProjectionError as error:  # a problem of this file's programme: name the file
        raise _InputError(f"{name}: {error}") from None
    finally:
        if bar is not None:
            bar.close()
        if executor is not None:
            if finished:
                executor.shutdown()
            else:
                _stop_pool(executor)
    if args.plot is not None:
        try:
            with terminating_cleanly():
                save_fan_charts(_by_fiscal_year(projection), args.plot)
        except OSError as error:
            raise _InputError(f"{args.plot}: cannot write ({error.strerror or error})") from None
    zeros = args.include_zeros
    if args.format == "csv":
        # Streamed row block by row block: the whole text is never held in memory.
        if args.out is None or not err.isatty():
            _write(
                args.out, out, lambda stream: projection.write_csv(stream, include_zeros=zeros), ""
            )
            return EXIT_OK
        nonzero = int(np.count_nonzero(projection.values))
        rows = 1 + (projection.values.size if zeros else nonzero)  # the header, a row per value
        writing = _progress_bar(err, "rows")
        try:
            _write(
                args.out,
                out,
                lambda stream: projection.write_csv(
                    typing.cast(TextIO, _CountingRows(stream, rows, writing)), include_zeros=zeros
                ),
                newline="",
            )
        finally:
            writing.close()
        return EXIT_OK
    if args.format == "parquet":
        try:
            with terminating_cleanly():
                projection.to_parquet(args.out, include_zeros=zeros)
        except OSError as error:
            raise _InputError(f"{args.out}: cannot write ({error.strerror or error})") from None
        return EXIT_OK
    if args.format == "table" and args.detail:
        text = projection_report(projection) + "\n" + str(_summary(projection))
    elif args.format == "table":
        by_year = _by_fiscal_year(projection)
        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
        text = answer(by_year, by_year.summary(), width=width)
    else:
        document = simulation_document(projection, _summary(projection))
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    _write(args.out, out, lambda stream: stream.write(text))
    return EXIT_OK


_EXPORT_OPTIONS = {
    "organisation_prefix": "--organisation-prefix",
    "reporting_org": "--reporting-org",
    "reporting_org_type": "--reporting-org-type",
    "quantile": "--quantile",
}


def _cmd_export(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    raise AssertionError("argparse requires a standard")  # pragma: no cover


def _cmd_export_iati(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _programme_or_example(args, args.input_format, stdin)
    path = None if args.out in (None, "-") else args.out
    if path is not None:
        check_output_path(path)  # before the projection, not after it
    fiscal_quarters = programme.fiscal_year_start_month % 3 == 1
    try:
        projection = project(
            programme,
            scenarios=args.scenarios,
            seed=args.seed,
            resolution="quarter" if fiscal_quarters else "month",
            initiatives=True,
        )
    except ProjectionError as error:
        raise _InputError(f"{args.file or 'the example'}: {error}") from None
    try:
        document = iati(
            programme,
            projection,
            organisation_prefix=args.organisation_prefix,
            reporting_org=args.reporting_org,
            reporting_org_type=args.reporting_org_type,
            quantile=args.quantile,
        )
    except ExportError as error:  # an option's problem names the option; a file's, the file
        report: _ErrorReport = args.report
        name = "the example" if args.file is None else args.file
        for problem in error.problems:
            option = _EXPORT_OPTIONS.get(problem.path)
            shown = Problem(option, problem.expected, problem.given) if option else problem
            report.problem(
                shown,
                f"programma export iati: {'' if option else name + ': '}{shown}",
                file=None if option else args.file,
            )
        options = all(problem.path in _EXPORT_OPTIONS for problem in error.problems)
        return EXIT_USAGE if options else EXIT_INVALID
    _write(path, out, lambda stream: stream.write(document.decode("utf-8")), newline="")
    return EXIT_OK


def _cmd_export_indigo(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _programme_or_example(args, args.input_format, stdin)
    path = None if args.out in (None, "-") else args.out
    if path is not None:
        check_output_path(path)  # before the projection, not after it
    projection = None
    if not args.no_plan:
        try:
            projection = project(
                programme,
                scenarios=args.scenarios,
                seed=args.seed,
                resolution=args.by.replace("-", "_") if args.by else None,
            )
        except ProjectionError as error:
            raise _InputError(f"{args.file or 'the example'}: {error}") from None
    document = indigo(
        programme,
        projection,
        organisation_prefix=args.organisation_prefix,
        quantile=args.quantile,
    )
    text = indigo_text(document)
    _write(path, out, lambda stream: stream.write(text))
    return EXIT_OK


def _quantile(text: str) -> float:
    """An argparse type: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text}")
    return value


def _cmd_compare(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if args.a == "-" and args.b == "-":
        args.report.problem(
            Problem("B", "a file when A is - (only one can be standard input)", "-"),
            "programma compare: only one of A and B can be - (standard input)",
        )
        return EXIT_USAGE
    first = _read_programme(args.a, args.input_format, stdin, args.max_input_bytes)
    second = _read_programme(args.b, args.input_format, stdin, args.max_input_bytes)
    if args.out is not None:
        check_output_path(args.out)  # before the runs, not after them
    if args.plot is not None:
        _check_plot(args.plot)
    try:
        comparison = compare(
            first,
            second,
            scenarios=args.scenarios,
            seed=args.seed,
            variant_a=args.variant_a,
            variant_b=args.variant_b,
        )
    except ValidationError as error:  # the two designs do not share a currency or a grid
        lines = "\n  ".join(str(problem) for problem in error.problems)
        raise _InputError(f"{args.b} cannot be compared with {args.a}:\n  {lines}") from None
    except ProjectionError as error:
        raise _InputError(str(error)) from None
    if args.plot is not None:
        from .plot import save_comparison_charts

        _plot(args.plot, lambda: save_comparison_charts(comparison, args.plot))
    if args.format == "csv":
        _write(args.out, out, lambda stream: _comparison_csv(comparison, stream), newline="")
    elif args.format == "json":
        document = json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
        _write(args.out, out, lambda stream: stream.write(document + "\n"))
    else:
        text = comparison_report(comparison) + "\n"
        _write(args.out, out, lambda stream: stream.write(text))
    return EXIT_OK


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


def _cmd_value(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _programme_or_example(args, args.input_format, stdin)
    if args.out is not None:
        check_output_path(args.out)  # before the run, not after it
    name = "the example" if args.file is None else "<stdin>" if args.file == "-" else args.file
    try:
        projection = project(programme, scenarios=args.scenarios, seed=args.seed)
    except ProjectionError as error:
        raise _InputError(f"{name}: {error}") from None
    vfm = value_for_money(projection, discount=args.discount, basis=args.basis)
    if args.format == "csv":
        _write(args.out, out, lambda stream: _value_csv(vfm, stream), newline="")
    elif args.format == "json":
        document = json.dumps(vfm.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
        _write(args.out, out, lambda stream: stream.write(document + "\n"))
    else:
        text = value_report(vfm) + "\n"
        _write(args.out, out, lambda stream: stream.write(text))
    return EXIT_OK


def _value_csv(vfm: ValueForMoney, stream: TextIO) -> None:
    """One row per figure and per exposure; numbers as Python's ``repr`` (exact)."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(VALUE_RECORD_FIELDS)
    for record in vfm.to_records():
        writer.writerow(
            [
                repr(v) if isinstance(v, float) else v
                for v in (record[f] for f in VALUE_RECORD_FIELDS)
            ]
        )


def _comparison_csv(comparison: DesignComparison, stream: TextIO) -> None:
    """One row per difference; numbers as Python's ``repr`` (exact), NaN as ``nan``."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(RECORD_FIELDS)
    for record in comparison.to_records():
        writer.writerow(
            [repr(v) if isinstance(v, float) else v for v in (record[f] for f in RECORD_FIELDS)]
        )


def _cmd_sensitivity(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _programme_or_example(args, args.input_format, stdin)
    if args.out is not None:
        check_output_path(args.out)  # before the runs, not after them
    if args.plot is not None:
        _check_plot(args.plot)
    name = "the example" if args.file is None else "<stdin>" if args.file == "-" else args.file
    try:
        if args.scenarios is None:
            result: OneWaySensitivity | GlobalSensitivity = one_way_sensitivity(
                programme, args.output, parameters=args.parameters
            )
        else:
            result = global_sensitivity(
                programme,
                args.output,
                scenarios=args.scenarios,
                seed=args.seed,
                parameters=args.parameters,
            )
    except ValidationError as error:  # the command's own arguments: a usage error
        err: TextIO = args.messages
        for problem in error.problems:
            shown = f"--{problem.path}" if problem.path in ("output", "scenarios") else problem.path
            err.write(f"programma sensitivity: {attrs.evolve(problem, path=shown)}\n")
        return EXIT_USAGE
    except ProjectionError as error:
        raise _InputError(f"{name}: {error}") from None
    if args.plot is not None:
        from .plot import save_sensitivity_chart

        _plot(args.plot, lambda: save_sensitivity_chart(result, args.plot))
    if args.format == "csv":
        _write(args.out, out, result.write_csv, newline="")
        return EXIT_OK
    if args.format == "json":
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = str(result) + "\n"
    _write(args.out, out, lambda stream: stream.write(text))
    return EXIT_OK


def _check_plot(path: str) -> None:
    """Refuse ``--plot PATH`` before a long run: a folder, or no matplotlib to draw with."""
    check_output_path(path)
    try:
        from . import plot  # noqa: F401  (only to tell whether matplotlib is installed)
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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="programma",
        description="Model long-horizon public programmes and their results-based funding.",
        epilog="Exit codes: 0 success, 1 invalid input, 2 usage error, 3 review found errors.",
    )
    parser.add_argument("--version", action="version", version=f"programma {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str, run: Callable[..., int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        if run is not _cmd_export:  # export's own commands take it
            errors_option(sub)
        return sub

    def errors_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--errors",
            choices=["text", "json"],
            default="text",
            help="how errors are written on stderr: lines of text (default), or one JSON "
            "document (programma schema --output errors)",
        )

    fmt_help = "the file's format (default: from the suffix; for standard input, detected)"
    legacy_help = "deprecated: the same as --input-format (until the next release)"

    def problems_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--max-problems",
            type=_seed,
            default=SHOWN_PER_KIND,
            metavar="N",
            help=f"show the first N problems of each kind, and at most 10 × N in all; count "
            f"the rest (default {SHOWN_PER_KIND}; 0: show every one)",
        )

    validate = command("validate", "check a programme file and report every problem", _cmd_validate)
    validate.add_argument("file", metavar="FILE", help="a .toml or .json file, or - for stdin")
    validate.add_argument("--input-format", choices=FORMATS, help=fmt_help)
    validate.add_argument("--format", dest="legacy_format", choices=FORMATS, help=legacy_help)
    problems_option(validate)

    show = command("show", "print a readable summary of a programme", _cmd_show)
    show.add_argument(
        "file", metavar="FILE", nargs="?", help="a .toml or .json file, or - (default: the example)"
    )
    show.add_argument("--input-format", choices=FORMATS, help=fmt_help)
    show.add_argument("--format", dest="legacy_format", choices=FORMATS, help=legacy_help)
    problems_option(show)

    example = command("example", "print the embedded Leeuwarden Oost example", _cmd_example)
    example.add_argument(
        "--format", choices=FORMATS, default="toml", help="toml (with comments) or json"
    )

    schema_ = command("schema", "print the JSON Schema of programme files", _cmd_schema)
    schema_.add_argument(
        "--output",
        choices=["programme", *OUTPUT_KINDS],
        default="programme",
        help="the schema of programme files (default), or of a JSON document programma writes",
    )

    simulate = command(
        "simulate", "project a programme's flows (the example without FILE)", _cmd_simulate
    )
    simulate.add_argument(
        "file", metavar="FILE", nargs="?", help="a .toml or .json file, or - (default: the example)"
    )
    simulate.add_argument("--input-format", choices=FORMATS, help=fmt_help)
    problems_option(simulate)
    simulate.add_argument(
        "--scenarios",
        type=_positive,
        metavar="N",
        help="Monte Carlo scenarios (default: expected mode)",
    )
    simulate.add_argument("--seed", type=_seed, default=0, metavar="S", help="the seed (default 0)")
    simulate.add_argument(
        "--variant",
        metavar="NAME",
        help="project the programme with one of its named variants (default: as it is)",
    )
    simulate.add_argument(
        "--by",
        choices=[r.replace("_", "-") for r in RESOLUTIONS],
        help="periods kept (default: month in expected mode, fiscal-year in Monte Carlo)",
    )
    simulate.add_argument(
        "--format",
        choices=["table", "json", "csv", "parquet"],
        default="table",
        help="readable tables (default), their content as JSON, or tidy rows per scenario as "
        "CSV or Parquet (Parquet needs --out and pyarrow)",
    )
    simulate.add_argument(
        "--include-zeros",
        action="store_true",
        help="keep the rows whose value is zero in csv and parquet (default: left out)",
    )
    simulate.add_argument(
        "--detail",
        action="store_true",
        help="with --format table: every table (per period, fund and fiscal year, contract, "
        "present value, gate and investor), not the short answer",
    )
    simulate.add_argument(
        "--out",
        type=_out_path,
        metavar="PATH",
        help="write to PATH (atomically), not stdout",
    )
    simulate.add_argument(
        "--plot",
        type=_plot_path,
        metavar="PATH",
        help="also write a fan chart of every fund's outflow per fiscal year, a panel per "
        "fund, to PATH (.png, .svg or .pdf; atomically; needs matplotlib)",
    )
    simulate.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help=f"run chunks in N processes, 1 to {MAX_WORKERS} (4 per CPU; default 1)",
    )
    simulate.add_argument(
        "--chunk-size",
        type=_positive,
        metavar="N",
        help="scenarios per chunk, rounded up to blocks of 256 (default: as many as fit "
        "--max-memory, at most 1,024)",
    )
    simulate.add_argument(
        "--max-memory",
        type=parse_size,
        metavar="SIZE",
        help="the memory the run may use, e.g. 2GiB or 500MB (default: "
        f"{MEMORY_SHARE:.0%} of the memory available)",
    )

    compare_ = command(
        "compare",
        "compare two designs scenario by scenario, with the same seed: B − A",
        _cmd_compare,
    )
    compare_.add_argument("a", metavar="A", help="design A, the reference: a .toml or .json file")
    compare_.add_argument("b", metavar="B", help="design B: a .toml or .json file (one may be -)")
    compare_.add_argument("--input-format", choices=FORMATS, help=fmt_help)
    problems_option(compare_)
    compare_.add_argument(
        "--scenarios",
        type=_positive,
        metavar="N",
        help="Monte Carlo scenarios (default: expected mode, exact differences of the means)",
    )
    compare_.add_argument(
        "--seed", type=_seed, default=0, metavar="S", help="the seed of both runs (default 0)"
    )
    compare_.add_argument("--variant-a", metavar="NAME", help="compare A with its variant NAME")
    compare_.add_argument("--variant-b", metavar="NAME", help="compare B with its variant NAME")
    compare_.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help="readable tables (default), or every difference as JSON or CSV rows",
    )
    compare_.add_argument(
        "--out", type=_out_path, metavar="PATH", help="write to PATH (atomically), not stdout"
    )
    compare_.add_argument(
        "--plot",
        type=_plot_path,
        metavar="PATH",
        help="also write the paired difference of every fund's outflow, and a panel per fund "
        "that differs, to PATH (.png, .svg or .pdf; atomically; needs matplotlib)",
    )
    compare_.add_argument(
        "--max-input-bytes",
        type=_positive,
        default=MAX_INPUT_BYTES,
        metavar="N",
        help=f"refuse an input larger than N bytes (default {MAX_INPUT_BYTES:,})",
    )

    value_ = command(
        "value",
        "value for money and maximum exposure of a programme (the example without FILE)",
        _cmd_value,
    )
    value_.add_argument(
        "file", metavar="FILE", nargs="?", help="a .toml or .json file, or - (default: the example)"
    )
    value_.add_argument("--input-format", choices=FORMATS, help=fmt_help)
    problems_option(value_)
    value_.add_argument(
        "--scenarios",
        type=_positive,
        metavar="N",
        help="Monte Carlo scenarios (default: expected mode)",
    )
    value_.add_argument("--seed", type=_seed, default=0, metavar="S", help="the seed (default 0)")
    value_.add_argument(
        "--discount",
        type=_discount,
        metavar="PRESET|RATE",
        help=f"discount at a preset ({', '.join(DISCOUNT_PRESETS)}) or an annual rate such as "
        "0.03 (default: the programme's)",
    )
    value_.add_argument(
        "--basis",
        choices=BASES,
        default="additional",
        help="the outcomes valued: additional (above the baseline; default), achieved or paid",
    )
    value_.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help="readable tables (default), or every figure as JSON or CSV rows",
    )
    value_.add_argument(
        "--out", type=_out_path, metavar="PATH", help="write to PATH (atomically), not stdout"
    )
    value_.add_argument(
        "--max-input-bytes",
        type=_positive,
        default=MAX_INPUT_BYTES,
        metavar="N",
        help=f"refuse an input larger than N bytes (default {MAX_INPUT_BYTES:,})",
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
    problems_option(review_)
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
    export = command("export", "write a programme in a data standard", _cmd_export)
    standards = export.add_subparsers(dest="standard", metavar="STANDARD", required=True)

    def standard(name: str, help: str, run: Callable[..., int]) -> argparse.ArgumentParser:
        """A sub-command of ``export``: a programme in, a document in one standard out."""
        sub = standards.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        errors_option(sub)
        sub.add_argument(
            "file",
            metavar="FILE",
            nargs="?",
            help="a .toml or .json file, or - (default: the example)",
        )
        sub.add_argument("--input-format", choices=FORMATS, help=fmt_help)
        problems_option(sub)
        sub.add_argument(
            "--scenarios",
            type=_positive,
            metavar="N",
            help="project N Monte Carlo scenarios for the planned amounts (default: expected mode)",
        )
        sub.add_argument("--seed", type=_seed, default=0, metavar="S", help="the seed (default 0)")
        sub.add_argument(
            "--out",
            type=_out_path,
            metavar="PATH",
            help="write to PATH (atomically); - or none for stdout",
        )
        return sub

    export_iati = standard(
        "iati",
        "the programme, its contracts and initiatives as IATI 2.03 activities",
        _cmd_export_iati,
    )
    export_iati.add_argument(
        "--organisation-prefix",
        required=True,
        metavar="ID",
        help="the reporting organisation's IATI identifier, e.g. NL-KVK-12345678",
    )
    export_iati.add_argument(
        "--reporting-org",
        metavar="STAKEHOLDER",
        help="the id of the reporting stakeholder (default: the programme's one municipality)",
    )
    export_iati.add_argument(
        "--reporting-org-type",
        choices=ORGANISATION_TYPES,
        metavar="CODE",
        help="its IATI OrganisationType code (default: 11, local government, for a municipality)",
    )
    export_iati.add_argument(
        "--quantile",
        type=_quantile,
        default=0.5,
        metavar="Q",
        help="the quantile over scenarios of projected amounts (default 0.5, the P50)",
    )
    export_indigo = standard(
        "indigo",
        "outcome contracts as INDIGO projects, with organisations, funds and a payment plan",
        _cmd_export_indigo,
    )
    export_indigo.add_argument(
        "--organisation-prefix",
        default="INDIGO",
        metavar="PREFIX",
        help="the prefix of every identifier, e.g. your org-id (default INDIGO)",
    )
    export_indigo.add_argument(
        "--by",
        choices=[r.replace("_", "-") for r in RESOLUTIONS],
        help="the plan's periods (default: month in expected mode, fiscal-year in Monte Carlo)",
    )
    export_indigo.add_argument(
        "--quantile",
        type=_quantile,
        metavar="Q",
        help="plan each payment as the Q quantile of the scenarios (default: their mean)",
    )
    export_indigo.add_argument(
        "--no-plan", action="store_true", help="leave out the projected outcome payment plan"
    )
    sensitivity = command(
        "sensitivity",
        "which uncertain inputs move an output: one at a time (tornado data), or their "
        "shares of the Monte Carlo variance with --scenarios (the example without FILE)",
        _cmd_sensitivity,
    )
    sensitivity.add_argument(
        "file", metavar="FILE", nargs="?", help="a .toml or .json file, or - (default: the example)"
    )
    sensitivity.add_argument("--input-format", choices=FORMATS, help=fmt_help)
    problems_option(sensitivity)
    sensitivity.add_argument(
        "--output",
        required=True,
        metavar="OUTPUT",
        help="what to analyse: fund:ID:total, fund:ID:peak, payer:ID:npv, contract:ID:irr or "
        "contract:ID:cost-per-outcome",
    )
    sensitivity.add_argument(
        "--parameters",
        nargs="+",
        metavar="P",
        help="the paths of the uncertain parameters to analyse (default: every one)",
    )
    sensitivity.add_argument(
        "--scenarios",
        type=_positive,
        metavar="N",
        help="a global sensitivity over N Monte Carlo scenarios (default: one-way, each "
        "parameter at its P10 and P90)",
    )
    sensitivity.add_argument(
        "--seed", type=_seed, default=0, metavar="S", help="the seed (default 0)"
    )
    sensitivity.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help="a readable table (default), or JSON or CSV at full precision",
    )
    sensitivity.add_argument(
        "--out", type=_out_path, metavar="PATH", help="write to PATH (atomically), not stdout"
    )
    sensitivity.add_argument(
        "--plot",
        type=_plot_path,
        metavar="PATH",
        help="also write a tornado chart, or with --scenarios the shares of the variance, to "
        "PATH (.png, .svg or .pdf; atomically; needs matplotlib)",
    )
    for reader in (validate, show, simulate, review_, export_iati, export_indigo, sensitivity):
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
    report = _ErrorReport(err, _json_errors(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    except _UsageError as usage:  # what argparse would print, or the JSON document
        if report.as_json:
            path, expected, given = usage.fields()
            text = f"{usage.parser.prog}: error: {usage.message}"
            report.add(text, path, expected, given, message=usage.message)
            return report.finish(EXIT_USAGE)
        usage.parser.print_usage(raw_err)
        raw_err.write(f"{usage.parser.prog}: error: {usage.message}\n")
        return EXIT_USAGE
    except SystemExit as exit_:  # argparse: --help/--version exit 0
        return int(exit_.code or 0)
    report.as_json = getattr(args, "errors", "text") == "json"
    try:
        args.stderr = raw_err  # the progress bar's own "\r"; messages go through err
        args.messages = err
        args.report = report
        code: int = args.run(args, out, stdin or sys.stdin)
        return report.finish(code)
    except _InputError as error:
        report.line(str(error))
    except _InvalidError as invalid:
        problems = invalid.error.problems
        if report.as_json:
            for problem in problems:
                report.problem(problem, str(problem), file=invalid.name)
        else:
            err.write(f"programma: {invalid.name}: {plural(len(problems), 'problem')}\n")
            per_kind = getattr(args, "max_problems", SHOWN_PER_KIND) or None
            total = None if per_kind is None else 10 * per_kind
            for line in invalid.error.summary_lines(per_kind, total):
                err.write(f"{invalid.name}: {line}\n")
    except _WorkersError as error:
        report.line(str(error))
    except MemoryBudgetError as error:
        levers = ", ".join(_CLI_LEVERS[lever] for lever in error.levers if lever in _CLI_LEVERS)
        here = f"; on the command line: {levers}" if levers else ""
        report.line(f"{error}{here}")
    except ProgrammaError as error:
        report.line(str(error))
    except MemoryError as error:
        detail = str(error).split("\n", 1)[0] or "an allocation failed"
        report.line(
            f"out of memory ({detail}): use fewer --scenarios, --by fiscal-year, "
            "fewer --workers or a smaller --chunk-size; --max-memory set to what this machine "
            "can give makes such a run refused before it starts"
        )
    except OSError as error:
        report.line(f"cannot write {error.filename or ''}: {error.strerror or error}")
    except KeyboardInterrupt:
        report.line("interrupted")
        return report.finish(EXIT_INTERRUPTED)
    return report.finish(EXIT_INVALID)


def run() -> None:
    """The console-script entry point: run :func:`main` and exit with its code."""
    if hasattr(signal, "SIGPIPE"):  # behave like a Unix tool when piped into `head`
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.stderr.write("programma: interrupted\n")
        sys.exit(130)
