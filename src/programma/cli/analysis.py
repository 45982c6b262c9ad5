"""The decision-analysis commands: ``compare``, ``value`` and ``sensitivity``."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TextIO

import attrs

from .._atomic import check_output_path
from .._errors import Problem, ValidationError
from ..analysis.compare import RECORD_FIELDS, compare
from ..analysis.projection import project
from ..analysis.sensitivity import (
    GlobalSensitivity,
    OneWaySensitivity,
    global_sensitivity,
    one_way_sensitivity,
)
from ..analysis.value import VALUE_RECORD_FIELDS, value_for_money
from ..engine.project import ProjectionError
from ..report.compare import comparison_report
from ..report.value import value_report
from .common import (
    EXIT_OK,
    EXIT_USAGE,
    _check_plot,
    _InputError,
    _plot,
    _programme_or_example,
    _read_programme,
    _source_name,
    _write,
)


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
        from ..plot import save_comparison_charts

        _plot(args.plot, lambda: save_comparison_charts(comparison, args.plot))
    _write_result(
        args,
        out,
        table=lambda: comparison_report(comparison),
        data=comparison.to_dict,
        rows=lambda stream: _csv_rows(stream, RECORD_FIELDS, comparison.to_records()),
    )
    return EXIT_OK


def _cmd_value(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _programme_or_example(args, args.input_format, stdin)
    if args.out is not None:
        check_output_path(args.out)  # before the run, not after it
    name = _source_name(args)
    try:
        projection = project(programme, scenarios=args.scenarios, seed=args.seed)
    except ProjectionError as error:
        raise _InputError(f"{name}: {error}") from None
    vfm = value_for_money(projection, discount=args.discount, basis=args.basis)
    _write_result(
        args,
        out,
        table=lambda: value_report(vfm),
        data=vfm.to_dict,
        rows=lambda stream: _csv_rows(stream, VALUE_RECORD_FIELDS, vfm.to_records()),
    )
    return EXIT_OK


def _csv_rows(stream: TextIO, fields: Sequence[str], records: Iterable[Mapping[str, Any]]) -> None:
    """A header and one row per record; numbers as Python's ``repr`` (exact), NaN as ``nan``."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(fields)
    for record in records:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in map(record.get, fields)])


def _write_result(
    args: argparse.Namespace,
    out: TextIO,
    *,
    table: Callable[[], str],
    data: Callable[[], Mapping[str, Any]],
    rows: Callable[[TextIO], object],
) -> None:
    """Write a result as ``--format`` asks: a table for people, JSON or CSV rows for programs."""
    if args.format == "csv":
        _write(args.out, out, rows, newline="")
        return
    if args.format == "json":
        text = json.dumps(data(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = table() + "\n"
    _write(args.out, out, lambda stream: stream.write(text))


def _cmd_sensitivity(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    programme = _programme_or_example(args, args.input_format, stdin)
    if args.out is not None:
        check_output_path(args.out)  # before the runs, not after them
    if args.plot is not None:
        _check_plot(args.plot)
    name = _source_name(args)
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
        from ..plot import save_sensitivity_chart

        _plot(args.plot, lambda: save_sensitivity_chart(result, args.plot))
    _write_result(args, out, table=lambda: str(result), data=result.to_dict, rows=result.write_csv)
    return EXIT_OK
