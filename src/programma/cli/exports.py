"""``programma export``: a programme in a data standard (IATI, INDIGO)."""

from __future__ import annotations

import argparse
from typing import TextIO

from .._atomic import check_output_path
from .._errors import Problem
from ..analysis.projection import project
from ..engine.project import ProjectionError
from ..export.iati import ExportError, iati
from ..export.indigo import indigo, indigo_text
from .common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    _ErrorReport,
    _InputError,
    _programme_or_example,
    _write,
)

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
