"""Versioned JSON with schemas, tidy rows with units and dates, Parquet, errors as JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from builders import MINIMAL_TOML, base_programme
from programma import Projection, project
from programma.cli import EXIT_INVALID, EXIT_OK, EXIT_REVIEW, EXIT_USAGE, main
from programma.engine.exports import TIDY_COLUMNS
from programma.engine.series import COUNTS
from programma.examples import leeuwarden_oost
from programma.files.output_schemas import OUTPUT_KINDS, output_schema
from programma.files.schema import schema

VALID = (
    MINIMAL_TOML
    + """
[[stakeholders]]
id = "gemeente"
name = "Gemeente"
kind = "municipality"
"""
)


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def validate(document: object, kind: str) -> None:
    """Raise unless ``document`` is valid under the schema of ``kind``."""
    jsonschema.Draft202012Validator(output_schema(kind)).validate(document)


@pytest.fixture(scope="module")
def expected() -> Projection:
    return project(leeuwarden_oost(), resolution="fiscal_year")


@pytest.fixture(scope="module")
def runs() -> Projection:
    return project(leeuwarden_oost(), scenarios=40, seed=3)


class TestSchemas:
    """Each JSON document has a kind, a version and a draft 2020-12 schema it is valid under."""

    @pytest.mark.parametrize("kind", OUTPUT_KINDS)
    def test_schemas_are_valid_schemas(self, kind: str) -> None:
        """Each schema is itself a valid draft 2020-12 schema, of its kind and version."""
        document = output_schema(kind)
        jsonschema.Draft202012Validator.check_schema(document)
        assert {"const": kind} == {"const": document["properties"]["kind"]["const"]}
        assert 1 == document["properties"]["format_version"]["const"]

    @pytest.mark.parametrize("which", ["expected", "runs"])
    def test_projection_to_json(
        self, which: str, expected: Projection, runs: Projection, tmp_path: Path
    ) -> None:
        """Projection.to_json writes a valid projection document, version 1."""
        projection = expected if which == "expected" else runs
        document = json.loads(projection.to_json(tmp_path / "p.json").read_text("utf-8"))
        validate(document, "projection")
        assert ("projection", 1) == (document["kind"], document["format_version"])

    def test_projection_schema_refuses_another_shape(self, expected: Projection) -> None:
        """The schema is not vacuous: a period given as a bare label is refused."""
        document = expected.to_dict()
        document["periods"] = [period["label"] for period in document["periods"]]
        with pytest.raises(jsonschema.ValidationError):
            validate(document, "projection")

    @pytest.mark.parametrize("which", ["expected", "runs"])
    def test_summary(self, which: str, expected: Projection, runs: Projection) -> None:
        """Summary.to_dict, as JSON text, is a valid summary document (null where NaN)."""
        projection = expected if which == "expected" else runs
        text = json.dumps(projection.summary().to_dict(), allow_nan=False)
        document = json.loads(text)
        validate(document, "summary")
        assert "summary" == document["kind"]

    @pytest.mark.parametrize("extra", [[], ["--scenarios", "20", "--by", "quarter"]])
    def test_simulate_json(self, extra: list[str]) -> None:
        """``simulate --format json`` writes a valid simulation document holding a summary."""
        code, out, err = run("simulate", "--format", "json", *extra)
        assert (EXIT_OK, "") == (code, err)
        document = json.loads(out)
        validate(document, "simulation")
        summary = document["summary"]
        validate(summary, "summary")

    def test_simulate_json_periods_have_dates(self) -> None:
        """The period means give each period's first and last day."""
        document = json.loads(run("simulate", "--format", "json", "--by", "quarter")[1])
        periods = document["period_means"]["periods"]
        # The example starts in October 2021: its first quarter is that month's quarter.
        assert {"label": "2021Q4", "start": "2021-10-01", "end": "2021-12-31"} == periods[0]

    def test_compare_json_is_unchanged_json(self, tmp_path: Path) -> None:
        """compare --format json keeps its own shape (no kind): only its errors are shared."""
        path = tmp_path / "a.toml"
        path.write_text(VALID, encoding="utf-8")
        code, out, _ = run("compare", str(path), str(path), "--format", "json")
        assert EXIT_OK == code
        assert "kind" not in json.loads(out)

    @pytest.mark.parametrize("kind", OUTPUT_KINDS)
    def test_schema_command(self, kind: str) -> None:
        """``programma schema --output KIND`` prints that schema; without it, the programme's."""
        code, out, _ = run("schema", "--output", kind)
        assert (EXIT_OK, output_schema(kind)) == (code, json.loads(out))
        assert schema() == json.loads(run("schema")[1])


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


class TestTidyRows:
    """Tidy rows carry a unit, an integer scenario with the mode, and the periods' dates."""

    def test_columns(self, expected: Projection) -> None:
        """The CSV header is the documented columns, in order."""
        text = io.StringIO()
        expected.write_csv(text)
        assert (
            "scenario,mode,period,period_start,period_end,"
            "flow,payer,payee,contract,initiative,fund,metric,area,unit,value"
        ) == text.getvalue().splitlines()[0]
        assert TIDY_COLUMNS == tuple(next(expected.to_records()))

    def test_units(self, expected: Projection) -> None:
        """Counts of outcomes are in ``count``; every other series in the currency, EUR."""
        units = {(row["flow"], row["unit"]) for row in expected.to_records(include_zeros=True)}
        assert {("outcomes_achieved", "count"), ("outcomes_paid", "count")} == {
            (flow, unit) for flow, unit in units if flow in COUNTS
        }
        assert {"EUR"} == {unit for flow, unit in units if flow not in COUNTS}

    def test_expected_mode_is_scenario_zero(self, expected: Projection) -> None:
        """In expected mode the one scenario is 0, and the mode says expected."""
        rows = read_csv(_csv(expected))
        assert {("0", "expected")} == {(row["scenario"], row["mode"]) for row in rows}
        records = list(expected.to_records())
        assert {(0, "expected")} == {(row["scenario"], row["mode"]) for row in records}

    def test_monte_carlo_scenarios(self, runs: Projection) -> None:
        """In Monte Carlo scenarios are 0 … N−1, of mode monte-carlo."""
        rows = read_csv(_csv(runs))
        assert {str(s) for s in range(40)} == {row["scenario"] for row in rows}
        assert {"monte-carlo"} == {row["mode"] for row in rows}

    @pytest.mark.parametrize(
        ("resolution", "label", "start", "end"),
        [
            # Fiscal years from April; the programme runs from January 2021 for 36 months.
            ("fiscal_year", "FY2020", "2021-01-01", "2021-03-31"),  # cut by the start
            ("fiscal_year", "FY2021", "2021-04-01", "2022-03-31"),
            ("fiscal_year", "FY2023", "2023-04-01", "2023-12-31"),  # cut by the end
            ("quarter", "2022Q1", "2022-01-01", "2022-03-31"),
            ("year", "2022", "2022-01-01", "2022-12-31"),
            ("month", "2022-02", "2022-02-01", "2022-02-28"),
        ],
    )
    def test_period_dates(self, resolution: str, label: str, start: str, end: str) -> None:
        """Each period's first and last day within the programme, by the calendar."""
        projection = project(base_programme(fiscal_year_start_month=4), resolution=resolution)
        rows = read_csv(_csv(projection, include_zeros=True))
        assert {(start, end)} == {
            (row["period_start"], row["period_end"]) for row in rows if row["period"] == label
        }
        record = next(r for r in projection.to_records(include_zeros=True) if r["period"] == label)
        assert (dt.date.fromisoformat(start), dt.date.fromisoformat(end)) == (
            record["period_start"],
            record["period_end"],
        )

    def test_cli_include_zeros(self, tmp_path: Path) -> None:
        """``simulate --include-zeros`` keeps a row for every value; without it, the non-zero."""
        argv = ["simulate", "--scenarios", "30", "--format", "csv"]
        every = read_csv(run(*argv, "--include-zeros")[1])
        some = read_csv(run(*argv)[1])
        projection = project(leeuwarden_oost(), scenarios=30)
        assert projection.values.size == len(every)
        assert int(np.count_nonzero(projection.values)) == len(some)

    def test_medians_need_the_zeros(self) -> None:
        """With zeros kept, a fund-year's median over rows is the summary's; without, not so."""
        code, text, _ = run("simulate", "--scenarios", "200", "--format", "csv", "--include-zeros")
        assert EXIT_OK == code
        outflows: dict[tuple[str, str], list[float]] = defaultdict(list)
        for row in read_csv(text):
            if row["flow"] == "fund_outflow":
                outflows[row["fund"], row["period"]].append(float(row["value"]))
        summary = project(leeuwarden_oost(), scenarios=200).summary()
        differs = 0
        for year in summary.funds:
            values = outflows[year.fund, year.year]
            assert 200 == len(values)
            assert statistics.median(values) == pytest.approx(year.outflow.p50, abs=1e-9)
            naive = [v for v in values if v != 0]
            differs += bool(naive) and statistics.median(naive) != pytest.approx(year.outflow.p50)
        assert differs > 0  # the rows without zeros would have misled somewhere


def _csv(projection: Projection, include_zeros: bool = False) -> str:
    text = io.StringIO()
    projection.write_csv(text, include_zeros=include_zeros)
    return text.getvalue()


class TestParquet:
    """Parquet holds the CSV's rows, typed, written atomically in bounded row groups."""

    @pytest.mark.parametrize("include_zeros", [False, True])
    def test_same_rows_as_csv(
        self, runs: Projection, tmp_path: Path, include_zeros: bool, monkeypatch: Any
    ) -> None:
        """Read back with pyarrow, every row equals the CSV's, values bit-exactly."""
        pq = pytest.importorskip("pyarrow.parquet")
        monkeypatch.setattr("programma.engine.exports.PARQUET_BLOCK_ROWS", 5_000)
        path = runs.to_parquet(tmp_path / "rows.parquet", include_zeros=include_zeros)
        table = pq.read_table(path)
        assert list(TIDY_COLUMNS) == table.column_names
        assert pq.ParquetFile(path).num_row_groups > 1  # several blocks of scenarios
        as_text = [
            {
                name: (
                    repr(value)
                    if name == "value"
                    else value.isoformat()
                    if isinstance(value, dt.date)
                    else str(value)
                )
                for name, value in row.items()
            }
            for row in table.to_pylist()
        ]
        assert read_csv(_csv(runs, include_zeros)) == as_text

    def test_types(self, expected: Projection, tmp_path: Path) -> None:
        """Scenario int64, dates date32, value float64; labels are strings."""
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        table = pq.read_table(expected.to_parquet(tmp_path / "rows.parquet"))
        assert pa.int64() == table.schema.field("scenario").type
        assert pa.date32() == table.schema.field("period_start").type
        assert pa.float64() == table.schema.field("value").type
        assert pa.string() == table.schema.field("unit").type.value_type

    def test_atomic(self, expected: Projection, tmp_path: Path, monkeypatch: Any) -> None:
        """A write that fails half-way leaves the old file as it was, and no temporary file."""
        pytest.importorskip("pyarrow")
        target = tmp_path / "rows.parquet"
        target.write_bytes(b"old")

        def failing(self: Projection, sink: Any, *, include_zeros: bool = False) -> None:
            sink.write(b"PAR1 half")
            raise RuntimeError("disk gone")

        monkeypatch.setattr(Projection, "write_parquet", failing)
        with pytest.raises(RuntimeError):
            expected.to_parquet(target)
        assert [target] == list(tmp_path.iterdir())
        assert b"old" == target.read_bytes()

    def test_cli(self, tmp_path: Path) -> None:
        """``simulate --format parquet --out PATH`` writes the rows of ``--format csv``."""
        pq = pytest.importorskip("pyarrow.parquet")
        target = tmp_path / "rows.parquet"
        argv = ["simulate", "--scenarios", "5", "--include-zeros"]
        assert (EXIT_OK, "", "") == run(*argv, "--format", "parquet", "--out", str(target))
        rows = read_csv(run(*argv, "--format", "csv")[1])
        assert len(rows) == pq.read_metadata(target).num_rows
        first = pq.read_table(target).slice(0, 1).to_pylist()[0]
        assert rows[0]["value"] == repr(first["value"])

    def test_cli_needs_out(self) -> None:
        """Parquet is binary: without --out it is a usage error, before any run."""
        code, out, err = run("simulate", "--format", "parquet")
        assert (EXIT_USAGE, "") == (code, out)
        assert "give --out PATH" in err


class TestErrorsAsJson:
    """``--errors json``: one JSON document on stderr, valid under its schema, same exit code."""

    @pytest.mark.parametrize(
        ("argv", "code"),
        [
            (["validate", "{bad}"], EXIT_INVALID),
            (["validate", "{missing}"], EXIT_INVALID),
            (["show", "{bad}"], EXIT_INVALID),
            (["simulate", "--scenarios", "0"], EXIT_USAGE),
            (["simulate", "{bad}"], EXIT_INVALID),
            (["review", "--set", "nope=1"], EXIT_USAGE),
            (["example", "--format", "yaml"], EXIT_USAGE),
            (["schema", "--output", "nothing"], EXIT_USAGE),
            (["compare", "-", "-"], EXIT_USAGE),
            (["compare", "{bad}", "{missing}"], EXIT_INVALID),
            (["export", "iati", "{bad}", "--organisation-prefix", "NL-KVK-1"], EXIT_INVALID),
            (["export", "indigo", "{missing}"], EXIT_INVALID),
        ],
    )
    def test_every_command(self, argv: list[str], code: int, tmp_path: Path) -> None:
        """Every command writes its errors as one valid document, with the text's exit code."""
        bad = tmp_path / "bad.toml"
        bad.write_text(VALID.replace("horizon_years = 5", "horizon_years = 0"), encoding="utf-8")
        files = {"bad": str(bad), "missing": str(tmp_path / "missing.toml")}
        argv = [arg.format(**files) for arg in argv]
        text_code, _, text_err = run(*argv)
        json_code, _, json_err = run(*argv, "--errors", "json")
        assert (code, code) == (text_code, json_code)
        document = json.loads(json_err)  # one document, nothing else
        validate(document, "errors")
        assert code == document["exit_code"]
        assert text_err  # the text form said something too

    def test_problems_keep_paths(self, tmp_path: Path) -> None:
        """Every problem of an invalid file, with its path, expectation and given value."""
        bad = tmp_path / "bad.toml"
        bad.write_text(
            VALID.replace('currency = "EUR"', 'currency = "euro"').replace(
                "horizon_years = 5", "horizon_years = 0"
            ),
            encoding="utf-8",
        )
        code, _, err = run("validate", str(bad), "--errors", "json")
        document = json.loads(err)
        assert EXIT_INVALID == code
        problems = {p["path"]: p for p in document["problems"]}
        assert {"currency", "horizon_years"} <= set(problems)
        assert "euro" == problems["currency"]["given"]
        assert str(bad) == problems["currency"]["file"]
        assert problems["currency"]["message"].startswith("currency: expected ")

    def test_usage_error_names_the_option(self) -> None:
        """A refused option value names the option, what was expected and what was given."""
        _, _, err = run("simulate", "--workers", "0", "--errors=json")
        (problem,) = json.loads(err)["problems"]
        assert ("--workers", "a whole number ≥ 1", "0") == (
            problem["path"],
            problem["expected"],
            problem["given"],
        )

    def test_success_writes_nothing(self, tmp_path: Path) -> None:
        """A command that succeeds writes nothing on stderr."""
        path = tmp_path / "ok.toml"
        path.write_text(VALID, encoding="utf-8")
        assert (EXIT_OK, "") == run("validate", str(path), "--errors", "json")[::2]


class TestInputFormat:
    """``--input-format`` names the programme's format on every command that reads one."""

    @pytest.mark.parametrize(
        ("argv", "code"),
        [
            (["validate"], EXIT_OK),
            (["show"], EXIT_OK),
            (["simulate"], EXIT_OK),
            (["review"], EXIT_REVIEW),  # the demo has no engagements: the review finds errors
            (["export", "indigo", "--no-plan"], EXIT_OK),
            (["export", "iati", "--organisation-prefix", "NL-KVK-1"], EXIT_OK),
        ],
    )
    def test_every_reader(self, argv: list[str], code: int, tmp_path: Path) -> None:
        """A file without a telling suffix is read with --input-format toml."""
        path = tmp_path / "programme.txt"
        path.write_text(VALID, encoding="utf-8")
        assert (code, "") == run(*argv, str(path), "--input-format", "toml")[::2]

    def test_compare(self, tmp_path: Path) -> None:
        """compare reads both designs with --input-format."""
        path = tmp_path / "programme.txt"
        path.write_text(VALID, encoding="utf-8")
        assert EXIT_OK == run("compare", str(path), str(path), "--input-format", "toml")[0]

    @pytest.mark.parametrize("command", ["validate", "show"])
    def test_old_spelling_is_deprecated(self, command: str, tmp_path: Path) -> None:
        """``--format toml`` on validate and show still reads, with a deprecation note."""
        path = tmp_path / "programme.txt"
        path.write_text(VALID, encoding="utf-8")
        code, _, err = run(command, str(path), "--format", "toml")
        assert EXIT_OK == code
        assert "--format for the input format is deprecated" in err
        assert "use --input-format" in err
