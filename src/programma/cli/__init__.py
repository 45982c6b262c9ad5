"""The ``programma`` command line.

Exit codes: 0 success, 1 invalid input (a file that cannot be read or is not a valid
programme) or a run that cannot be done (not enough memory, workers that cannot start), 2 usage
error, 3 the design review found errors, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import signal
import sys
import typing
from collections.abc import Sequence
from typing import TextIO

from .._errors import SHOWN_PER_KIND, ProgrammaError
from .._text import plural
from ..engine.project import MemoryBudgetError
from .common import (
    _CLI_LEVERS,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_REVIEW,
    EXIT_USAGE,
    MAX_WORKERS,
    _ErrorReport,
    _InputError,
    _InvalidError,
    _json_errors,
    _Printable,
    _UsageError,
    parse_size,
)
from .parser import _parser
from .simulate import _WorkersError

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_REVIEW",
    "EXIT_USAGE",
    "MAX_WORKERS",
    "main",
    "parse_size",
    "run",
]


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
