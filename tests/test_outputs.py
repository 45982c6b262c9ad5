"""Machine output: CSV, JSON and frames carry every value as computed, read back from the files."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

import programma
from builders import COST_SOURCES
from programma import STOCKS, Projection, project
from programma.cli import EXIT_OK, main
from programma.engine.exports import TIDY_COLUMNS
from programma.examples import leeuwarden_oost

KEYS = ("flow", "payer", "payee", "contract", "initiative", "fund", "metric", "area")


def close(expected: float, got: float) -> bool:
    """Equal to 1e-9 relative (and to 1e-9 of a currency unit around zero)."""
    return math.isclose(expected, got, rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def monthly() -> Projection:
    return project(leeuwarden_oost())


@pytest.fixture(scope="module")
def monte_carlo_monthly() -> Projection:
    return project(leeuwarden_oost(), scenarios=3, seed=7, resolution="month")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def rows_from_json(path: Path) -> list[dict[str, object]]:
    """The JSON file's series as tidy rows (scenario index, period, key fields, value)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    rows: list[dict[str, object]] = []
    for series in document["series"]:
        for s, per_period in enumerate(series["values"]):
            for period, value in zip(document["periods"], per_period, strict=True):
                rows.append(
                    {"scenario": str(s), "period": period["label"], **{k: series[k] for k in KEYS}}
                    | {"value": value}
                )
    return rows


def cash_identities(rows: Iterable[dict[str, object]]) -> tuple[list[str], int]:
    """Check invariant 1 per contract, scenario and month; return what fails and how many held.

    Outcome payments are paid to the contract (its account), which pays the investor's
    distribution and the provider's receipt (§4.8.11); guarantees are paid by a guarantor.
    """
    paid_in: dict[tuple[str, str, str], float] = defaultdict(float)
    paid_out: dict[tuple[str, str, str], float] = defaultdict(float)
    cost: dict[tuple[str, str, str], float] = defaultdict(float)
    met: dict[tuple[str, str, str], float] = defaultdict(float)
    for row in rows:
        contract = str(row["contract"])
        if not contract:
            continue
        at = (contract, str(row["scenario"]), str(row["period"]))
        value = float(row["value"])
        flow = row["flow"]
        if flow == "outcome_payment" and row["payee"] == contract:
            paid_in[at] += value
        elif flow in ("investor_distribution", "provider_receipt") and row["payer"] == contract:
            paid_out[at] += value
        elif flow == "delivery_cost":
            cost[at] += value
        elif flow in COST_SOURCES:
            met[at] += value
    failures = [
        f"{at}: outcome payments {paid_in[at]!r} ≠ paid on {paid_out[at]!r}"
        for at in sorted(set(paid_in) | set(paid_out))
        if not close(paid_in[at], paid_out[at])
    ] + [
        f"{at}: delivery cost {cost[at]!r} ≠ its sources {met[at]!r}"
        for at in sorted(set(cost) | set(met))
        if not close(cost[at], met[at])
    ]
    return failures, len(set(paid_in) | set(paid_out))


class TestCashIdentitiesInFiles:
    """Invariant 1 holds in the files written, not only in the engine's arrays."""

    def test_csv_expected_mode(self, monthly: Projection, tmp_path: Path) -> None:
        """The example's expected-mode CSV: every contract-month's cash adds up."""
        failures, held = cash_identities(read_csv(monthly.to_csv(tmp_path / "rows.csv")))
        assert [] == failures
        assert held > 50  # the example has outcome payments in many contract-months

    def test_csv_monte_carlo(self, monte_carlo_monthly: Projection, tmp_path: Path) -> None:
        """Monte Carlo scenarios by month: every contract-month's cash adds up in the CSV."""
        path = monte_carlo_monthly.to_csv(tmp_path / "rows.csv", include_zeros=True)
        failures, _ = cash_identities(read_csv(path))
        assert [] == failures

    def test_json(self, monte_carlo_monthly: Projection, tmp_path: Path) -> None:
        """The JSON file: every contract-month's cash adds up."""
        path = monte_carlo_monthly.to_json(tmp_path / "projection.json")
        failures, _ = cash_identities(rows_from_json(path))
        assert [] == failures

    def test_cli_csv(self, tmp_path: Path) -> None:
        """``simulate --format csv --out``: every contract-month's cash adds up."""
        target = tmp_path / "rows.csv"
        code = main(
            ["simulate", "--format", "csv", "--by", "month", "--out", str(target)],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert EXIT_OK == code
        failures, held = cash_identities(read_csv(target))
        assert [] == failures
        assert held > 50


def fiscal_year(period: str, start_month: int) -> str:
    """The fiscal year of a ``YYYY-MM`` month, labelled by the year it starts in (§4.8.9)."""
    year, month = (int(part) for part in period.split("-"))
    return f"FY{year if month >= start_month else year - 1}"


class TestRegroupingInFiles:
    """Invariant 5 on the files: monthly rows summed per fiscal year give the fiscal-year file."""

    @pytest.mark.parametrize("start_month", [1, 4])
    def test_months_sum_to_fiscal_years(self, start_month: int, tmp_path: Path) -> None:
        """Per scenario, fiscal year and series, the months' sum equals the fiscal-year row.

        A balance (``STOCKS``, the investor's entitlement) regroups to its last month instead.
        """
        programme = attrs.evolve(leeuwarden_oost(), fiscal_year_start_month=start_month)
        months = project(programme, scenarios=2, seed=3, resolution="month")
        years = project(programme, scenarios=2, seed=3, resolution="fiscal_year")
        month_rows = read_csv(months.to_csv(tmp_path / "months.csv", include_zeros=True))
        year_rows = read_csv(years.to_csv(tmp_path / "years.csv", include_zeros=True))
        summed: dict[tuple[str, ...], list[float]] = defaultdict(list)
        for row in month_rows:
            key = (row["scenario"], fiscal_year(row["period"], start_month))
            parts = summed[key + tuple(row[k] for k in KEYS)]
            if row["flow"] in STOCKS:
                parts.clear()  # rows come in month order: keep the latest
            parts.append(float(row["value"]))
        wanted = {
            (row["scenario"], row["period"], *(row[k] for k in KEYS)): float(row["value"])
            for row in year_rows
        }
        assert set(wanted) == set(summed)
        failures = [
            f"{key}: fiscal year {wanted[key]!r}, months {math.fsum(parts)!r}"
            for key, parts in summed.items()
            if not math.isclose(
                wanted[key],
                math.fsum(parts),
                rel_tol=1e-9,
                abs_tol=1e-9 * max([1.0, *(abs(x) for x in parts)]),
            )
        ]
        assert [] == failures


class TestRoundTrip:
    """Every value written reads back as exactly the engine's value."""

    def test_csv(self, monte_carlo_monthly: Projection, tmp_path: Path) -> None:
        """CSV: float(text) is the engine's value, and the text is its shortest repr."""
        p = monte_carlo_monthly
        rows = read_csv(p.to_csv(tmp_path / "rows.csv", include_zeros=True))
        assert p.values.size == len(rows)
        index = {key: n for n, key in enumerate(p.series)}
        period = {label: i for i, label in enumerate(p.periods)}
        wrong = []
        for row in rows:
            n = index[programma.SeriesKey(**{k: row[k] for k in KEYS})]
            value = float(p.values[int(row["scenario"]), period[row["period"]], n])
            if float(row["value"]) != value or row["value"] != repr(value):
                wrong.append((row["value"], repr(value)))
        assert [] == wrong[:5]

    def test_csv_expected_mode_labels(self, monthly: Projection, tmp_path: Path) -> None:
        """Expected mode: rows are scenario 0 of mode ``expected``; values round-trip exactly."""
        rows = read_csv(monthly.to_csv(tmp_path / "rows.csv"))
        index = {key: n for n, key in enumerate(monthly.series)}
        period = {label: i for i, label in enumerate(monthly.periods)}
        assert {("0", "expected")} == {(row["scenario"], row["mode"]) for row in rows}
        assert (
            []
            == [
                row
                for row in rows
                if float(row["value"])
                != monthly.values[
                    0,
                    period[row["period"]],
                    index[programma.SeriesKey(**{k: row[k] for k in KEYS})],
                ]
            ][:5]
        )

    def test_json(self, monte_carlo_monthly: Projection, tmp_path: Path) -> None:
        """JSON: the series' values read back equal the engine's array exactly."""
        p = monte_carlo_monthly
        document = json.loads(p.to_json(tmp_path / "p.json").read_text(encoding="utf-8"))
        values = np.array([series["values"] for series in document["series"]])
        assert np.array_equal(np.moveaxis(p.values, 2, 0), values)

    def test_to_dict_and_records(self, monthly: Projection) -> None:
        """to_dict() and to_records() carry the engine's values unrounded."""
        document = monthly.to_dict()
        assert np.array_equal(
            np.moveaxis(monthly.values, 2, 0), np.array([s["values"] for s in document["series"]])
        )
        records = list(monthly.to_records(include_zeros=True))
        assert np.array_equal(monthly.values.ravel(), [r["value"] for r in records])

    def test_pandas(self, monthly: Projection) -> None:
        """to_pandas() holds the engine's values bit-exactly."""
        pytest.importorskip("pandas")
        frame = monthly.to_pandas()
        assert np.array_equal(monthly.values.ravel(), frame["value"].to_numpy())

    def test_cli_json(self, tmp_path: Path) -> None:
        """``simulate --format json --out``: the period means are the engine's, unrounded."""
        target = tmp_path / "out.json"
        code = main(
            ["simulate", "--format", "json", "--by", "month", "--out", str(target)],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert EXIT_OK == code
        means = json.loads(target.read_text(encoding="utf-8"))["period_means"]["mean"]
        p = project(leeuwarden_oost())
        for name in ("grant", "outcome_payment", "provider_receipt", "delivery_cost"):
            assert p.total(flow=name).mean(axis=0).tolist() == means[name]

    def test_cli_csv_equals_to_csv(self, monthly: Projection, tmp_path: Path) -> None:
        """``simulate --format csv`` on standard output is the same text as to_csv's file."""
        out = io.StringIO()
        assert EXIT_OK == main(["simulate", "--format", "csv"], stdout=out, stderr=io.StringIO())
        assert monthly.to_csv(tmp_path / "rows.csv").read_text(encoding="utf-8") == out.getvalue()


def in_memory_csv(projection: Projection, include_zeros: bool) -> str:
    """The tidy rows through the standard library's DictWriter, the whole text in memory."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, TIDY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(projection.to_records(include_zeros=include_zeros))
    return buffer.getvalue()


class _Recorder(io.StringIO):
    """A text stream that keeps only the sizes of the writes it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []
        self.lines = 0

    def write(self, text: str) -> int:
        self.sizes.append(len(text))
        self.lines += text.count("\n")
        return len(text)


class TestStreamingCsv:
    """CSV rows are streamed in bounded blocks, with the same text as an in-memory writer."""

    @pytest.mark.parametrize("include_zeros", [False, True])
    @pytest.mark.parametrize("block", [7, 65_536])
    def test_same_text_as_in_memory(
        self,
        monte_carlo_monthly: Projection,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        include_zeros: bool,
        block: int,
    ) -> None:
        """The streamed file equals csv.DictWriter's text, for any block size."""
        monkeypatch.setattr("programma.engine.exports.CSV_BLOCK_ROWS", block)
        path = monte_carlo_monthly.to_csv(tmp_path / "rows.csv", include_zeros=include_zeros)
        expected = in_memory_csv(monte_carlo_monthly, include_zeros)
        assert expected == path.read_text(encoding="utf-8")

    def test_expected_mode(self, monthly: Projection, tmp_path: Path) -> None:
        """Expected mode: the streamed file equals csv.DictWriter's text."""
        path = monthly.to_csv(tmp_path / "rows.csv")
        assert in_memory_csv(monthly, False) == path.read_text(encoding="utf-8")

    def test_cli_writes_in_blocks(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``simulate --format csv`` hands its output over in blocks of rows, never whole."""
        monkeypatch.setattr("programma.engine.exports.CSV_BLOCK_ROWS", 100)
        out = _Recorder()
        argv = ["simulate", "--scenarios", "20", "--by", "quarter", "--format", "csv"]
        assert EXIT_OK == main(argv, stdout=out, stderr=io.StringIO())
        longest_line = 300  # the example's longest row is well under this
        assert out.lines > 50 * 100
        assert max(out.sizes) <= 100 * longest_line


def frame_from_records(projection: Projection, include_zeros: bool) -> Any:
    """The tidy rows built row by row, as to_pandas() built them before it used arrays."""
    pd = pytest.importorskip("pandas")
    return pd.DataFrame.from_records(list(projection.to_records(include_zeros=include_zeros)))


class TestPandasFrame:
    """to_pandas() gives the rows of to_records(), built with arrays, labels as categoricals."""

    @pytest.mark.parametrize("include_zeros", [True, False])
    @pytest.mark.parametrize("which", ["expected", "monte-carlo"])
    def test_same_rows_as_records(
        self,
        monthly: Projection,
        monte_carlo_monthly: Projection,
        which: str,
        include_zeros: bool,
    ) -> None:
        """Same columns, rows and order; values bit-identical; labels equal as strings."""
        pd = pytest.importorskip("pandas")
        projection = monthly if which == "expected" else monte_carlo_monthly
        wanted = frame_from_records(projection, include_zeros)
        frame = projection.to_pandas(include_zeros=include_zeros)
        assert list(wanted.columns) == list(frame.columns)
        assert len(wanted) == len(frame)
        assert pd.RangeIndex(len(frame)).equals(frame.index)
        bits = wanted["value"].to_numpy(np.float64).view(np.int64)
        assert np.array_equal(bits, frame["value"].to_numpy(np.float64).view(np.int64))
        for column in TIDY_COLUMNS[:-1]:
            if column in ("period_start", "period_end"):  # dates: compared as dates
                days = frame[column].astype("datetime64[ns]").dt.date.tolist()
                assert wanted[column].tolist() == days, column
                continue
            as_text = wanted[column].astype(str).tolist()
            assert as_text == frame[column].astype(str).tolist(), column

    def test_zeros_left_out_on_request(self, monte_carlo_monthly: Projection) -> None:
        """include_zeros=False keeps exactly the non-zero values; the default keeps all."""
        pytest.importorskip("pandas")
        p = monte_carlo_monthly
        assert p.values.size == len(p.to_pandas())
        kept = p.to_pandas(include_zeros=False)
        assert np.count_nonzero(p.values) == len(kept)
        assert 0 < len(kept) < p.values.size
        assert not (kept["value"] == 0).any()

    def test_label_dtypes(self, monthly: Projection, monte_carlo_monthly: Projection) -> None:
        """Labels are categoricals, the period's days ordered ones of dates; a scenario is its
        number (0 in expected mode)."""
        pd = pytest.importorskip("pandas")
        frame = monte_carlo_monthly.to_pandas()
        labels = {"mode", "period", "period_start", "period_end", *KEYS, "unit"}
        assert labels == {c for c in frame.columns if frame[c].dtype == "category"}
        assert "int32" == str(frame["scenario"].dtype)
        assert "float64" == str(frame["value"].dtype)
        for end, column in enumerate(("period_start", "period_end")):
            dtype = frame[column].dtype
            assert dtype.ordered
            assert "datetime64[ns]" == str(dtype.categories.dtype)
            days = [pd.Timestamp(bounds[end]) for bounds in monte_carlo_monthly.period_bounds]
            assert days == list(dtype.categories)
        start = frame["period_start"]
        assert (frame["period"].astype(str).str[:4].astype(int) == start.dt.year).all()
        assert [0, 1, 2] == sorted(frame["scenario"].unique().tolist())
        assert list(monte_carlo_monthly.periods) == list(frame["period"].cat.categories)
        expected = monthly.to_pandas()
        assert ("int32", [0]) == (
            str(expected["scenario"].dtype),
            expected["scenario"].unique().tolist(),
        )
        assert ["expected"] == expected["mode"].unique().tolist()

    def test_rows_by_position(self, monte_carlo_monthly: Projection) -> None:
        """Row k is values[s, p, n] for (s, p, n) the k-th index in C order."""
        pytest.importorskip("pandas")
        p = monte_carlo_monthly
        frame = p.to_pandas()
        _, periods, width = p.values.shape
        for k in (0, width - 1, width, periods * width + 7, p.values.size - 1):
            s, rest = divmod(k, periods * width)
            t, n = divmod(rest, width)
            row = frame.iloc[k]
            assert s == row["scenario"]
            assert p.periods[t] == row["period"]
            assert attrs.astuple(p.series[n]) == tuple(row[key] for key in KEYS)
            assert float(p.values[s, t, n]) == row["value"]


def json_as_before(projection: Projection) -> str:
    """The JSON text as json.dump wrote to_dict() whole, with the final line end."""
    buffer = io.StringIO()
    json.dump(projection.to_dict(), buffer, ensure_ascii=False, allow_nan=False)
    return buffer.getvalue() + "\n"


class TestStreamingJson:
    """JSON is written series by series in bounded blocks, with the text json.dump gives."""

    @pytest.mark.parametrize("block", [1, 5, 65_536])
    def test_same_text_as_json_dump(
        self,
        monthly: Projection,
        monte_carlo_monthly: Projection,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        block: int,
    ) -> None:
        """to_json's file equals json.dump(to_dict()) byte for byte, for any block size."""
        monkeypatch.setattr("programma.engine.exports.JSON_BLOCK_VALUES", block)
        for projection in (monthly, monte_carlo_monthly):
            path = projection.to_json(tmp_path / "p.json")
            assert json_as_before(projection).encode() == path.read_bytes()

    def test_nan_scalars_are_null(self, monte_carlo_monthly: Projection) -> None:
        """A NaN among the scalars is null, as before; other scalars are kept as numbers."""
        nan = float("nan")
        p = attrs.evolve(
            monte_carlo_monthly,
            scalars={"rate": np.array([0.5, nan, 1.0]), "met": np.array([True, False, True])},
        )
        out = io.StringIO()
        p.write_json(out)
        document = json.loads(out.getvalue())
        assert {"rate": [0.5, None, 1.0], "met": [True, False, True]} == document["scalars"]
        assert json_as_before(p) == out.getvalue()

    def test_nan_in_a_series_is_refused(self, monthly: Projection) -> None:
        """A NaN in a series cannot be written as JSON: ValueError, as json.dump gives."""
        values = monthly.values.copy()
        values[0, 3, 2] = float("nan")
        with pytest.raises(ValueError, match="JSON compliant"):
            attrs.evolve(monthly, values=values).write_json(io.StringIO())

    def test_writes_in_blocks(
        self, monte_carlo_monthly: Projection, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No write carries more than a block of one series' values (plus its key fields)."""
        monkeypatch.setattr("programma.engine.exports.JSON_BLOCK_VALUES", 240)
        out = _Recorder()
        monte_carlo_monthly.write_json(out)
        longest_value = 25  # '123456.78901234567, ' and the like
        assert len(out.sizes) > len(monte_carlo_monthly.series)
        periods = len(monte_carlo_monthly.periods)  # the head lists them, with their dates
        assert out.sizes[0] <= periods * 80 + 400
        assert max(out.sizes[1:]) <= 240 * longest_value + 400
