"""The argument parser of every command."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .. import __version__
from .._errors import SHOWN_PER_KIND
from ..analysis.value import BASES
from ..engine.project import MEMORY_SHARE
from ..export.iati import ORGANISATION_TYPES
from ..files.output_schemas import OUTPUT_KINDS
from ..files.programme_files import (
    FORMATS,
    MAX_INPUT_BYTES,
)
from ..finance import DISCOUNT_PRESETS
from ..periods.grid import RESOLUTIONS
from .analysis import _cmd_compare, _cmd_sensitivity, _cmd_value
from .common import (
    MAX_WORKERS,
    _discount,
    _out_path,
    _Parser,
    _plot_path,
    _positive,
    _quantile,
    _seed,
    _workers,
    parse_size,
)
from .exports import _cmd_export, _cmd_export_iati, _cmd_export_indigo
from .programmes import _cmd_example, _cmd_review, _cmd_schema, _cmd_show, _cmd_validate
from .simulate import _cmd_simulate


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

    def reads(
        sub: argparse.ArgumentParser, file: str | None = "optional", legacy: bool = False
    ) -> None:
        """A programme read: FILE (required, optional with the example, or given otherwise)."""
        if file == "required":
            sub.add_argument("file", metavar="FILE", help="a .toml or .json file, or - for stdin")
        elif file == "optional":
            sub.add_argument(
                "file",
                metavar="FILE",
                nargs="?",
                help="a .toml or .json file, or - (default: the example)",
            )
        sub.add_argument("--input-format", choices=FORMATS, help=fmt_help)
        if legacy:
            sub.add_argument("--format", dest="legacy_format", choices=FORMATS, help=legacy_help)
        problems_option(sub)
        sub.add_argument(
            "--max-input-bytes",
            type=_positive,
            default=MAX_INPUT_BYTES,
            metavar="N",
            help=f"refuse an input larger than N bytes (default {MAX_INPUT_BYTES:,})",
        )

    def runs(sub: argparse.ArgumentParser, scenarios: str, seed: str = "the seed") -> None:
        """A projection: --scenarios (``scenarios`` says what they are for) and --seed."""
        sub.add_argument("--scenarios", type=_positive, metavar="N", help=scenarios)
        sub.add_argument("--seed", type=_seed, default=0, metavar="S", help=f"{seed} (default 0)")

    def writes(
        sub: argparse.ArgumentParser,
        formats: str | None,
        out: str = "write to PATH (atomically), not stdout",
    ) -> None:
        """An output: --format table|json|csv (``formats`` says what each gives) and --out."""
        if formats is not None:
            sub.add_argument(
                "--format", choices=["table", "json", "csv"], default="table", help=formats
            )
        sub.add_argument("--out", type=_out_path, metavar="PATH", help=out)

    validate = command("validate", "check a programme file and report every problem", _cmd_validate)
    reads(validate, "required", legacy=True)

    show = command("show", "print a readable summary of a programme", _cmd_show)
    reads(show, legacy=True)

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
    reads(simulate)
    runs(simulate, "Monte Carlo scenarios (default: expected mode)")
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
    writes(simulate, None)
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
        "--max-memory, at most 512, fewer for many series or months)",
    )
    simulate.add_argument(
        "--max-memory",
        type=parse_size,
        metavar="SIZE",
        help="the memory the run may use, e.g. 2GiB or 500MB (default: "
        f"{MEMORY_SHARE:.0%}% of the memory available)",
    )

    compare_ = command(
        "compare",
        "compare two designs scenario by scenario, with the same seed: B − A",
        _cmd_compare,
    )
    compare_.add_argument("a", metavar="A", help="design A, the reference: a .toml or .json file")
    compare_.add_argument("b", metavar="B", help="design B: a .toml or .json file (one may be -)")
    reads(compare_, None)
    runs(
        compare_,
        "Monte Carlo scenarios (default: expected mode, exact differences of the means)",
        "the seed of both runs",
    )
    compare_.add_argument("--variant-a", metavar="NAME", help="compare A with its variant NAME")
    compare_.add_argument("--variant-b", metavar="NAME", help="compare B with its variant NAME")
    writes(compare_, "readable tables (default), or every difference as JSON or CSV rows")
    compare_.add_argument(
        "--plot",
        type=_plot_path,
        metavar="PATH",
        help="also write the paired difference of every fund's outflow, and a panel per fund "
        "that differs, to PATH (.png, .svg or .pdf; atomically; needs matplotlib)",
    )

    value_ = command(
        "value",
        "value for money and maximum exposure of a programme (the example without FILE)",
        _cmd_value,
    )
    reads(value_)
    runs(value_, "Monte Carlo scenarios (default: expected mode)")
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
    writes(value_, "readable tables (default), or every figure as JSON or CSV rows")

    review_ = command(
        "review",
        "check a design against the practitioners' lessons (the example without FILE)",
        _cmd_review,
    )
    reads(review_)
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
        reads(sub)
        runs(
            sub, "project N Monte Carlo scenarios for the planned amounts (default: expected mode)"
        )
        writes(sub, None, "write to PATH (atomically); - or none for stdout")
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
    reads(sensitivity)
    sensitivity.add_argument(
        "--output",
        required=True,
        metavar="OUTPUT",
        help="what to analyse: fund:ID:total, fund:ID:peak, area:ID:total, payer:ID:npv, "
        "contract:ID:irr or "
        "contract:ID:cost-per-outcome",
    )
    sensitivity.add_argument(
        "--parameters",
        nargs="+",
        metavar="P",
        help="the paths of the uncertain parameters to analyse (default: every one)",
    )
    runs(
        sensitivity,
        "a global sensitivity over N Monte Carlo scenarios (default: one-way, each "
        "parameter at its P10 and P90)",
    )
    writes(sensitivity, "a readable table (default), or JSON or CSV at full precision")
    sensitivity.add_argument(
        "--plot",
        type=_plot_path,
        metavar="PATH",
        help="also write a tornado chart, or with --scenarios the shares of the variance, to "
        "PATH (.png, .svg or .pdf; atomically; needs matplotlib)",
    )
    review_.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="change a threshold, e.g. first_phase_max_group=8 (repeatable)",
    )
    return parser
