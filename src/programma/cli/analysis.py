"""The decision-analysis commands: ``compare``, ``value`` and ``sensitivity``."""

from __future__ import annotations

import argparse
import csv
import json
from typing import TextIO

import attrs

from .._atomic import check_output_path
from .._errors import Problem, ValidationError
from ..analysis.compare import RECORD_FIELDS, DesignComparison, compare
from ..analysis.projection import project
from ..analysis.sensitivity import (
    GlobalSensitivity,
    OneWaySensitivity,
    global_sensitivity,
    one_way_sensitivity,
)
from ..analysis.value import VALUE_RECORD_FIELDS, ValueForMoney, value_for_money
from ..engine.project import ProjectionError
from ..report.compare import comparison_report
from ..report.value import value_report
from .common import EXIT_OK, EXIT_USAGE, _InputError, _programme_or_example, _read_programme, _write


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
    if args.format == "csv":
        _write(args.out, out, lambda stream: _comparison_csv(comparison, stream), newline="")
    elif args.format == "json":
        document = json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
        _write(args.out, out, lambda stream: stream.write(document + "\n"))
    else:
        text = comparison_report(comparison) + "\n"
        _write(args.out, out, lambda stream: stream.write(text))
    return EXIT_OK


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
    if args.format == "csv":
        _write(args.out, out, result.write_csv, newline="")
        return EXIT_OK
    if args.format == "json":
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = str(result) + "\n"
    _write(args.out, out, lambda stream: stream.write(text))
    return EXIT_OK
