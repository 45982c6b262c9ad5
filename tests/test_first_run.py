"""A first run that answers: the short answer of ``simulate``, plurals, and progress that moves."""

from __future__ import annotations

import io
import re
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np
import pytest

import programma
from builders import MINIMAL_TOML, base_programme, contract
from programma import Fund, FundKind
from programma.cli import EXIT_OK, main
from programma.examples import leeuwarden_oost
from programma.report.projection import projection_report

SCENARIOS = 1000
MAX_LINES = 45  # the example's answer: 4 lines of head, 3 per fund, a line per contract ...


def run(*argv: str, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), stderr or io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


class Terminal(io.StringIO):
    """Standard error that says it is a terminal, so that progress is shown on it."""

    def isatty(self) -> bool:
        return True


def amount(cell: str) -> float:
    return float(cell.replace(",", "").replace("%", ""))


def figures(line: str) -> list[str]:
    """The cells right of a row's label (labels here have no two spaces in a row)."""
    return re.split(r"\s{2,}", line.strip())[1:]


@pytest.fixture(scope="module")
def example_run() -> tuple[str, programma.Projection]:
    """The answer to ``simulate --scenarios 1000 --seed 3``, and the same run in Python."""
    code, out, err = run("simulate", "--scenarios", str(SCENARIOS), "--seed", "3")
    assert (EXIT_OK, "") == (code, err)
    return out, programma.project(leeuwarden_oost(), scenarios=SCENARIOS, seed=3)


class TestShortAnswer:
    def test_fits_80_columns_and_few_lines(
        self, example_run: tuple[str, programma.Projection]
    ) -> None:
        """Without a terminal every line fits 80 columns; the whole answer fits a screen."""
        out, _ = example_run
        lines = out.splitlines()
        assert [] == [line for line in lines if len(line) > 80]
        assert len(lines) <= MAX_LINES

    def test_narrow_terminal(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A terminal of 50 columns gets lines of at most 50 characters."""
        monkeypatch.setenv("COLUMNS", "50")
        code, out, _ = run("simulate", "--scenarios", "300")
        assert EXIT_OK == code
        assert [] == [line for line in out.splitlines() if len(line) > 50]
        assert "gemeentebegroting" in out

    def test_fund_figures(self, example_run: tuple[str, programma.Projection]) -> None:
        """Each paying fund's total and peak year: mean, P10, P90 and P(breach), from numpy."""
        out, projection = example_run
        lines = out.splitlines()
        for fund in projection.programme.funds:
            per_year = np.asarray(projection.outflow(fund.id))  # scenarios × fiscal years
            total = per_year.sum(axis=1)
            if not total.any():
                assert fund.id not in out
                continue
            at = lines.index(fund.id)
            total_row, peak_row = figures(lines[at + 1]), figures(lines[at + 2])
            mean, p10, p90 = total.mean(), *np.percentile(total, [10, 90])
            assert [round(mean), round(p10), round(p90)] == [amount(c) for c in total_row[:3]]
            peak = int(np.argmax(per_year.mean(axis=0)))
            assert f"peak {projection.periods[peak]}" in lines[at + 2]
            column = per_year[:, peak]
            expected = [round(column.mean()), *np.round(np.percentile(column, [10, 90]))]
            assert expected == [amount(c) for c in peak_row[:3]]
            gap = projection.total(flow="budget_gap", fund=fund.id) > 1e-6
            if fund.amounts:
                assert round(gap.any(axis=1).mean() * 100, 1) == amount(total_row[3])
                assert round(gap[:, peak].mean() * 100, 1) == amount(peak_row[3])
            else:
                assert "no budget" == total_row[3]

    def test_peak_matches_the_summary(self, example_run: tuple[str, programma.Projection]) -> None:
        """The peak year's figures are the summary's for that fund and year."""
        out, projection = example_run
        lines = out.splitlines()
        summary = projection.summary()
        for fund in projection.programme.funds:
            years = [f for f in summary.funds if f.fund == fund.id]
            peak = max(years, key=lambda f: f.outflow.mean)
            row = figures(lines[lines.index(fund.id) + 2])
            shown = [amount(c) for c in row[:3]]
            assert [round(peak.outflow.mean), round(peak.outflow.p10), round(peak.outflow.p90)] == (
                shown
            )

    def test_contract_cost_per_outcome(self, example_run: tuple[str, programma.Projection]) -> None:
        """Each contract's cost per outcome paid: payments over outcomes, per scenario."""
        out, projection = example_run
        lines = out.splitlines()
        total = projection.values.sum(axis=1)
        for each in projection.programme.contracts:

            def horizon(flow: str, c: str = each.id) -> np.ndarray:
                cols = [
                    n for n, k in enumerate(projection.series) if k.flow == flow and k.contract == c
                ]
                return np.asarray(total[:, cols].sum(axis=1))

            paid = horizon("outcome_payment") + horizon("advance_offset")
            count = horizon("outcomes_paid")
            per = np.where(count > 1e-12, paid / np.where(count > 1e-12, count, 1), np.nan)
            (line,) = [x for x in lines if x.startswith(each.id + " ")]
            cells = figures(line)
            expected = [round(np.nanmean(per)), *np.round(np.nanpercentile(per, [10, 90]))]
            assert expected == [amount(c) for c in cells[:3]]
            assert round(count.mean(), 1) == amount(cells[3])

    def test_investor_irr(self, example_run: tuple[str, programma.Projection]) -> None:
        """The investor's IRR, in percent with one decimal, from the per-scenario IRRs."""
        out, projection = example_run
        (line,) = [x for x in out.splitlines() if x.startswith("impact-investeerder in ")]
        irr = projection.scalars["investor/sib-werkroute/irr"] * 100
        expected = [round(np.nanmean(irr), 1), *np.round(np.nanpercentile(irr, [10, 90]), 1)]
        assert expected == [amount(c) for c in figures(line)[:3]]

    def test_zero_rows_left_out(self) -> None:
        """A fund that pays nothing in any scenario is left out, and counted."""
        base = leeuwarden_oost()
        empty = Fund("leeg-fonds", "Empty", FundKind.OTHER, owner="gemeente")
        programme = attrs.evolve(base, funds=[*base.funds, empty])
        path = Path(programma.dump(programme, Path(self.tmp) / "empty.json"))
        code, out, _ = run("simulate", str(path), "--scenarios", "256")
        assert EXIT_OK == code
        assert "leeg-fonds" not in out
        assert "(1 fund paying nothing left out)" in out

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.tmp = tmp_path

    def test_expected_mode(self) -> None:
        """Without --scenarios: one figure per row, and whether the budget is breached."""
        code, out, _ = run("simulate")
        assert EXIT_OK == code
        assert "expected mode, every distribution at its mean; amounts in EUR" in out
        assert "P10" not in out
        assert all(len(line) <= 80 for line in out.splitlines())


class TestDetail:
    def test_detail_gives_the_full_tables(self) -> None:
        """--detail prints the period table and the whole summary, as before."""
        code, out, _ = run("simulate", "--scenarios", "300", "--seed", "2", "--detail")
        assert EXIT_OK == code
        projection = programma.project(leeuwarden_oost(), scenarios=300, seed=2)
        assert projection_report(projection) + "\n" + str(projection.summary()) == out

    def test_json_unchanged_by_detail(self) -> None:
        """--detail does not change the JSON output."""
        plain = run("simulate", "--scenarios", "256", "--format", "json")[1]
        assert plain == run("simulate", "--scenarios", "256", "--format", "json", "--detail")[1]


class TestPlurals:
    def test_validate_one_contract(self, tmp_path: Path) -> None:
        """One contract is counted in the singular, no initiatives in the plural."""
        path = tmp_path / "one.json"
        one = base_programme(contracts=[contract()])
        assert (1, 0) == (len(one.contracts), len(one.initiatives))
        programma.dump(one, path)
        code, out, err = run("validate", str(path))
        assert (EXIT_OK, "") == (code, err)
        assert f"{path}: valid programme {one.id!r} (1 contract, 0 initiatives)\n" == out

    def test_one_scenario(self) -> None:
        """A summary over one scenario says 'scenario', not 'scenario(s)'."""
        out = run("simulate", "--scenarios", "1", "--detail")[1]
        assert "Summary over 1 scenario;" in out
        assert "(s)" not in out

    def test_one_problem(self, tmp_path: Path) -> None:
        """An invalid file with one problem says '1 problem'."""
        path = tmp_path / "bad.toml"
        path.write_text(
            MINIMAL_TOML.replace('currency = "EUR"', 'currency = "euro"'), encoding="utf-8"
        )
        code, _, err = run("validate", str(path))
        assert (1, f"programma: {path}: 1 problem") == (code, err.splitlines()[0])


class TestProgressPerBlock:
    def test_callback_per_block(self) -> None:
        """1,000 scenarios in one chunk report after each block of 256: 4 increasing counts."""
        calls: list[tuple[int, int]] = []
        programma.project(
            leeuwarden_oost(),
            scenarios=SCENARIOS,
            seed=1,
            progress=lambda d, t: calls.append((d, t)),
        )
        assert [(256, 1000), (512, 1000), (768, 1000), (1000, 1000)] == calls

    def test_same_results_with_progress(self) -> None:
        """Reporting per block does not change a single bit of the results."""
        programme = leeuwarden_oost()
        quiet = programma.project(programme, scenarios=700, seed=9, resolution="month")
        shown = programma.project(
            programme, scenarios=700, seed=9, resolution="month", progress=lambda d, t: None
        )
        assert np.array_equal(quiet.values, shown.values)
        assert quiet.scalars.keys() == shown.scalars.keys()
        for name, values in quiet.scalars.items():
            assert np.array_equal(values, shown.scalars[name], equal_nan=True), name

    def test_not_a_callable(self) -> None:
        """progress must be a callable, True or None."""
        with pytest.raises(TypeError, match="progress: expected a callable"):
            programma.project(leeuwarden_oost(), scenarios=8, progress="yes")  # type: ignore[arg-type]


class FakeTqdm:
    """Records what a tqdm bar is asked to do."""

    made: ClassVar[list[FakeTqdm]] = []

    def __init__(self, **options: Any) -> None:
        self.options, self.n, self.closed, self.disable = options, 0, False, False
        FakeTqdm.made.append(self)

    def refresh(self) -> None:
        pass

    def update(self, count: int) -> None:
        self.n += count

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_tqdm(monkeypatch: pytest.MonkeyPatch) -> type[FakeTqdm]:
    FakeTqdm.made = []
    module = types.ModuleType("tqdm")
    module.tqdm = FakeTqdm  # type: ignore[attr-defined]
    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeTqdm  # type: ignore[attr-defined]
    module.auto = auto  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm", module)
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    return FakeTqdm


class TestProgressBars:
    def test_project_progress_true(self, fake_tqdm: type[FakeTqdm]) -> None:
        """progress=True drives a tqdm.auto bar to the total, then closes it."""
        programma.project(leeuwarden_oost(), scenarios=600, progress=True)
        (bar,) = fake_tqdm.made
        assert (600, 600, True) == (bar.options["total"], bar.n, bar.closed)

    def test_project_progress_true_keeps_every_argument(self, fake_tqdm: type[FakeTqdm]) -> None:
        """With a bar, the projection is the one asked for: initiatives kept apart too."""
        asked = {"scenarios": 300, "seed": 4, "initiatives": True}
        plain = programma.project(leeuwarden_oost(), **asked)  # type: ignore[arg-type]
        barred = programma.project(leeuwarden_oost(), progress=True, **asked)  # type: ignore[arg-type]
        assert plain.series == barred.series
        assert plain.values.tobytes() == barred.values.tobytes()

    def test_project_progress_true_without_tqdm(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without tqdm, progress=True says what to install."""
        monkeypatch.setitem(sys.modules, "tqdm", None)
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
        with pytest.raises(ImportError, match=r"pip install 'programma\[progress\]'"):
            programma.project(leeuwarden_oost(), scenarios=8, progress=True)

    def test_cli_uses_tqdm(self, fake_tqdm: type[FakeTqdm]) -> None:
        """On a terminal the CLI's bar is tqdm's when tqdm is installed."""
        err = Terminal()
        code, _, _ = run("simulate", "--scenarios", "600", stderr=err)
        assert EXIT_OK == code
        (bar,) = fake_tqdm.made
        assert (600, 600, True) == (bar.options["total"], bar.n, bar.disable)
        assert "" == err.getvalue()  # the fake draws nothing: no plain bar beside it

    def test_cli_plain_bar_without_tqdm(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without tqdm the plain bar moves a block at a time."""
        monkeypatch.setitem(sys.modules, "tqdm", None)
        err = Terminal()
        code, _, _ = run("simulate", "--scenarios", "600", stderr=err)
        assert EXIT_OK == code
        steps = [s for s in err.getvalue().split("\r") if s]
        assert [
            "[############------------------] 256/600 scenarios",
            "[#########################-----] 512/600 scenarios",
            "[##############################] 600/600 scenarios\n",
        ] == steps

    def test_csv_file_progress(self, fake_tqdm: type[FakeTqdm], tmp_path: Path) -> None:
        """Writing CSV to a file reports the rows written, up to one per nonzero value."""
        target = tmp_path / "rows.csv"
        code, _, _ = run(
            "simulate",
            "--scenarios",
            "300",
            "--format",
            "csv",
            "--out",
            str(target),
            stderr=Terminal(),
        )
        assert EXIT_OK == code
        _, rows = fake_tqdm.made
        written = len(target.read_text().splitlines())
        assert (written, written, True) == (rows.options["total"], rows.n, rows.disable)
        assert " rows" == rows.options["unit"]


@pytest.fixture(scope="module")
def summary() -> programma.Summary:
    return programma.project(leeuwarden_oost(), scenarios=256, seed=4).summary()


SCRIPT = "<script>alert(1)</script>"


class TestReprs:
    def test_programme_repr(self) -> None:
        """A programme's repr is one short line: id, counts, first and last month."""
        programme = leeuwarden_oost()
        expected = (
            f"Programme(id='leeuwarden-oost', {len(programme.contracts)} contracts, "
            f"{len(programme.initiatives)} initiatives, {len(programme.funds)} funds, "
            "2021-10 to 2041-09)"
        )
        assert expected == repr(programme)
        assert (programme.start.isoformat()[:7], programme.last_month.isoformat()[:7]) == (
            "2021-10",
            "2041-09",
        )

    def test_programme_equality_and_hash_unchanged(self) -> None:
        """Two equal programmes are equal and hash alike; a changed one is not equal."""
        a, b = leeuwarden_oost(), leeuwarden_oost()
        assert (a, hash(a)) == (b, hash(b))
        assert a != attrs.evolve(a, name="Other")

    def test_programme_html_short_and_escaped(self) -> None:
        """The notebook view is a few kB, and a name from a file is escaped."""
        programme = attrs.evolve(leeuwarden_oost(), name=SCRIPT)
        shown = programme._repr_html_()
        assert len(shown) < 5_000
        assert "<script>" not in shown
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown

    def test_summary_repr_and_html(self, summary: programma.Summary) -> None:
        """A summary's repr is one line and its notebook view a few kB, not 60 kB."""
        assert repr(summary).startswith("<Summary over 256 scenarios: 7 funds, 4 contracts")
        assert len(repr(summary)) < 200
        assert len(summary._repr_html_()) < 5_000

    def test_summary_html_escaped(self, summary: programma.Summary) -> None:
        """A fund id with markup is shown escaped."""
        funds = tuple(attrs.evolve(f, fund=SCRIPT) for f in summary.funds)
        shown = attrs.evolve(summary, funds=funds)._repr_html_()
        assert "<script>" not in shown
        assert "&lt;script&gt;" in shown

    def test_summary_to_pandas_quantiles(self, summary: programma.Summary) -> None:
        """quantiles= chooses the percentile columns; the values are the summary's."""
        frame = summary.to_pandas(quantiles=(10, 90))
        assert ["outflow_p10", "outflow_p90"] == [
            c for c in frame.columns if c.startswith("outflow_p")
        ]
        assert [f.outflow.p90 for f in summary.funds] == frame["outflow_p90"].tolist()
        assert [] == [
            c for c in summary.to_pandas(quantiles=()).columns if c.startswith("outflow_p")
        ]
        with pytest.raises(ValueError, match="quantiles: expected some of 10, 50 and 90"):
            summary.to_pandas(quantiles=(25,))

    def test_review_html_and_markdown(self) -> None:
        """A review's views are short, and a finding's text is escaped in both."""
        result = programma.review(leeuwarden_oost())
        finding = attrs.evolve(result.findings[0], message=SCRIPT, path=SCRIPT)
        shown = attrs.evolve(result, findings=(finding,))
        for text in (shown._repr_html_(), shown._repr_markdown_()):
            assert "<script>" not in text
            assert "&lt;script&gt;" in text
            assert len(text) < 2_000

    def test_comparison_html(self) -> None:
        """A comparison's view is a few kB, labels escaped."""
        a = leeuwarden_oost()
        b = a.with_values({"contracts[sib-werkroute].metrics[uitstroom].price": 9000})
        comparison = attrs.evolve(programma.compare(a, b, scenarios=256), b_label=SCRIPT)
        shown = comparison._repr_html_()
        assert len(shown) < 6_000
        assert "<script>" not in shown
        assert "&lt;script&gt;" in shown
        assert "sib-werkroute" in shown


class TestProjectionView:
    def test_headline_not_a_column_per_period(self) -> None:
        """A monthly projection's notebook view is its headline and a total per flow."""
        import programma
        from programma.examples import leeuwarden_oost

        projection = programma.project(leeuwarden_oost())  # 240 monthly periods
        view = projection._repr_html_()
        assert 240 == len(projection.periods)
        assert 2 == view.count("<th>")  # the two headings, no period columns
        assert "2021-10" not in view
        assert len(view) < 3_000
        totals = projection.total(flow="outcome_payment").sum()
        assert f"{totals:,.0f}" in view
