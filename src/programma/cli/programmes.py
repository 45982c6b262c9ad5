"""The commands about a programme itself: validate, show, review, example and schema."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from .._errors import ValidationError
from .._text import plural
from ..analysis.review import ReviewConfig, review
from ..examples import example_text, leeuwarden_oost
from ..files.output_schemas import output_schema
from ..files.programme_files import (
    dumps,
)
from ..files.schema import schema
from ..report.programme import describe_programme
from .common import (
    EXIT_OK,
    EXIT_REVIEW,
    EXIT_USAGE,
    _ErrorReport,
    _input_format,
    _programme_or_example,
    _read_programme,
)


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
