"""Charts: the artists' data against quantiles computed here with numpy, not pixels."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import programma
from programma import Engagement, Projection, Role, ValidationError
from programma.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from programma.examples import leeuwarden_oost
from programma.plot import (
    cumulative_payments,
    engagement_matrix,
    fan_chart,
    fan_charts,
    investor_cash,
    save_fan_charts,
    save_figure,
)
from programma.plot.contracts import caps_drawn
from programma.plot.engagement import ROLE_COLOURS

SCENARIOS = 200
ENDS = [
    dt.date(2021, 10, 1),  # the start: nothing paid yet
    *(dt.date(year + 1, 1, 1) for year in range(2021, 2041)),
    dt.date(2041, 10, 1),  # the horizon ends after September 2041
]
"""The ends of the example's fiscal years (calendar years), cut short by the horizon."""


@pytest.fixture(scope="module")
def runs() -> Projection:
    """A Monte Carlo run of the example, kept by fiscal year (the default)."""
    return programma.project(leeuwarden_oost(), scenarios=SCENARIOS, seed=3)


@pytest.fixture(scope="module")
def expected() -> Projection:
    """The example in expected mode, kept by month (the default)."""
    return programma.project(leeuwarden_oost())


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def series(projection: Projection, flow: str, **fields: str) -> np.ndarray:
    """The sum of the series of ``flow`` whose fields match, read straight from ``values``."""
    columns = [
        n
        for n, key in enumerate(projection.series)
        if key.flow == flow and all(getattr(key, k) == v for k, v in fields.items())
    ]
    return np.asarray(projection.values[:, :, columns].sum(axis=2))


def by_fiscal_year(projection: Projection, values: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Monthly ``values`` (scenarios, months) summed per fiscal year, by the programme's rule."""
    programme = projection.programme
    years = [
        programme.fiscal_year(dt.date(int(label[:4]), int(label[5:7]), 1))
        for label in projection.periods
    ]
    order = sorted(set(years))
    out = np.zeros((values.shape[0], len(order)))
    for month, year in enumerate(years):
        out[:, order.index(year)] += values[:, month]
    return order, out


def line(ax: Axes, label: str) -> Any:
    found = [item for item in ax.get_lines() if item.get_label() == label]
    assert 1 == len(found), [item.get_label() for item in ax.get_lines()]
    return found[0]


def band(ax: Axes) -> tuple[np.ndarray, np.ndarray]:
    """The band's vertices as (x, y) arrays."""
    assert 1 == len(ax.collections)
    vertices = ax.collections[0].get_paths()[0].vertices
    return vertices[:, 0], vertices[:, 1]


def assert_band(ax: Axes, x: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """At each x, the band's vertices reach exactly from ``low`` to ``high``."""
    bx, by = band(ax)
    for at, lo, hi in zip(x, low, high, strict=True):
        ys = by[np.isclose(bx, at)]
        assert ys.size >= 2
        assert lo == pytest.approx(ys.min(), rel=1e-12, abs=1e-9)
        assert hi == pytest.approx(ys.max(), rel=1e-12, abs=1e-9)


def legend(ax: Axes) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


class TestFanChart:
    def test_band_and_median_are_the_scenarios_percentiles(self, runs: Projection) -> None:
        """The band spans P10–P90 and the line is P50 of the fund's outflow per fiscal year."""
        ax = fan_chart(runs, "resultatenfonds")
        outflow = series(runs, "fund_outflow", fund="resultatenfonds")
        low, middle, high = np.percentile(outflow, [10, 50, 90], axis=0)
        years = np.arange(2021, 2042)
        assert_band(ax, years, low, high)
        median = line(ax, "P50 (median)")
        assert years.tolist() == list(median.get_xdata())
        np.testing.assert_allclose(middle, median.get_ydata(), rtol=1e-12)
        assert middle.max() > 0
        assert (high - low).max() > 0

    def test_mean_is_a_marker(self, runs: Projection) -> None:
        """The mean over scenarios is drawn as markers without a line."""
        mean = line(fan_chart(runs, "resultatenfonds"), "mean")
        outflow = series(runs, "fund_outflow", fund="resultatenfonds")
        np.testing.assert_allclose(outflow.mean(axis=0), mean.get_ydata(), rtol=1e-12)
        assert "None" == mean.get_linestyle()
        assert "o" == mean.get_marker()

    def test_budget_is_a_step_line_of_the_amounts(self, runs: Projection) -> None:
        """Without carry-over the budget available each year is the fund's amount for it."""
        fund = next(f for f in runs.programme.funds if f.id == "gemeentebegroting")
        assert not fund.carry_over
        budget = line(fan_chart(runs, fund.id), "budget available")
        assert [fund.amount(year) for year in range(2021, 2042)] == list(budget.get_ydata())
        assert "steps-mid" == budget.get_drawstyle()

    def test_budget_with_carry_over_is_the_mean_available(self, runs: Projection) -> None:
        """With carry-over the line is the mean of what was available (amount + carry)."""
        budget = line(fan_chart(runs, "resultatenfonds"), "budget available")
        available = series(runs, "budget", fund="resultatenfonds").mean(axis=0)
        np.testing.assert_allclose(available, budget.get_ydata(), rtol=1e-12)

    def test_no_budget_line_when_not_asked(self, runs: Projection) -> None:
        """``budget=False`` leaves the budget out."""
        ax = fan_chart(runs, "resultatenfonds", budget=False)
        assert ["P10–P90", "P50 (median)", "mean"] == legend(ax)

    def test_no_budget_line_for_a_fund_without_amounts(self, runs: Projection) -> None:
        """A fund that lists no amounts has no budget to draw."""
        programme = runs.programme
        funds = [
            attrs.evolve(f, amounts={}, carry_over=False) if f.id == "geeffonds" else f
            for f in programme.funds
        ]
        changed = programma.project(attrs.evolve(programme, funds=funds), scenarios=8, seed=1)
        assert "budget available" not in legend(fan_chart(changed, "geeffonds"))

    def test_labels(self, runs: Projection) -> None:
        """Axes are labelled with their units, the currency from the programme."""
        ax = fan_chart(runs, "resultatenfonds")
        assert "outflow per fiscal year (EUR)" == ax.get_ylabel()
        assert "fiscal year" == ax.get_xlabel()
        assert "Results fund (resultatenfonds): outflow per fiscal year" == ax.get_title()

    def test_currency_from_the_programme(self, expected: Projection) -> None:
        """Another currency shows on the amount axis."""
        pounds = attrs.evolve(expected, programme=attrs.evolve(expected.programme, currency="GBP"))
        assert "outflow per fiscal year (GBP)" == fan_chart(pounds, "pilotfonds").get_ylabel()

    def test_other_quantiles(self, runs: Projection) -> None:
        """Quantiles (0.25, 0.5, 0.75) draw the interquartile band."""
        ax = fan_chart(runs, "pilotfonds", quantiles=(0.25, 0.5, 0.75))
        outflow = series(runs, "fund_outflow", fund="pilotfonds")
        low, high = np.percentile(outflow, [25, 75], axis=0)
        assert_band(ax, np.arange(2021, 2042), low, high)
        assert ["P25–P75", "P50 (median)"] == legend(ax)[:2]

    def test_expected_mode_is_one_line(self, expected: Projection) -> None:
        """In expected mode a single line: the monthly outflow summed per fiscal year."""
        ax = fan_chart(expected, "resultatenfonds")
        years, yearly = by_fiscal_year(
            expected, series(expected, "fund_outflow", fund="resultatenfonds")
        )
        only = line(ax, "expected")
        assert years == list(only.get_xdata())
        np.testing.assert_allclose(yearly[0], only.get_ydata(), rtol=1e-12, atol=1e-6)
        assert 0 == len(ax.collections)
        assert ["expected", "budget available"] == legend(ax)

    def test_draws_on_given_axes(self, runs: Projection) -> None:
        """Given axes are drawn on and returned; no figure is created."""
        figure = Figure()
        ax = figure.add_subplot()
        before = plt.get_fignums()
        assert ax is fan_chart(runs, "pilotfonds", ax=ax)
        assert before == plt.get_fignums()

    def test_new_axes_when_none(self, runs: Projection) -> None:
        """Without axes a new pyplot figure is made."""
        before = len(plt.get_fignums())
        fan_chart(runs, "pilotfonds")
        assert before + 1 == len(plt.get_fignums())

    def test_bad_arguments_reported_together(self, runs: Projection) -> None:
        """An unknown fund and bad quantiles are both reported, with what was expected."""
        with pytest.raises(ValidationError) as caught:
            fan_chart(runs, "resultaten", quantiles=(0.9, 0.5, 0.1))
        assert ("fund", "quantiles") == caught.value.paths
        assert "got 'resultaten'" in str(caught.value)
        assert "'resultatenfonds'" in str(caught.value)

    @pytest.mark.parametrize(
        "quantiles", [(0.1, 0.9), (0.1, 0.5, 1.5), (-0.1, 0.5, 0.9), ("a", 0.5, 0.9), 0.5]
    )
    def test_bad_quantiles(self, runs: Projection, quantiles: Any) -> None:
        """Quantiles must be three fractions in order."""
        with pytest.raises(ValidationError) as caught:
            fan_chart(runs, "pilotfonds", quantiles=quantiles)
        assert ("quantiles",) == caught.value.paths


class TestFanCharts:
    def test_a_panel_per_fund(self, runs: Projection) -> None:
        """One panel per fund of the programme, in file order, each a fan chart."""
        figure = fan_charts(runs)
        funds = runs.programme.funds
        assert [f"{f.name}: outflow per fiscal year" for f in funds] == [
            ax.get_title() for ax in figure.axes
        ]
        outflow = series(runs, "fund_outflow", fund=funds[2].id)
        np.testing.assert_allclose(
            np.percentile(outflow, 50, axis=0),
            line(figure.axes[2], "P50 (median)").get_ydata(),
            rtol=1e-12,
        )
        assert "Leeuwarden Oost: outflow per fund and fiscal year (200 scenarios, seed 3)" == (
            figure.get_suptitle()
        )

    def test_chosen_funds(self, expected: Projection) -> None:
        """``funds`` chooses the panels and their order."""
        figure = fan_charts(expected, ["pilotfonds", "gemeentebegroting"])
        assert 2 == len(figure.axes)
        assert figure.axes[0].get_title().startswith("Pilot fund")
        assert "expected mode" in figure.get_suptitle()

    def test_monthly_projection_is_regrouped(self, expected: Projection) -> None:
        """A monthly projection gives the same panels as one kept by fiscal year."""
        monthly = fan_charts(expected, ["pilotfonds"])
        yearly = fan_charts(expected.by("fiscal_year"), ["pilotfonds"])
        assert list(line(yearly.axes[0], "expected").get_ydata()) == list(
            line(monthly.axes[0], "expected").get_ydata()
        )

    def test_unknown_funds_and_columns(self, expected: Projection) -> None:
        """Every unknown fund is reported by its place in the list, with a bad ``columns``."""
        with pytest.raises(ValidationError) as caught:
            fan_charts(expected, ["pilotfonds", "nope", "niet"], columns=0)
        assert ("funds[1]", "funds[2]", "columns") == caught.value.paths

    def test_no_funds(self, expected: Projection) -> None:
        """An empty list of funds is refused."""
        with pytest.raises(ValidationError) as caught:
            fan_charts(expected, [])
        assert ("funds",) == caught.value.paths


class TestCumulativePayments:
    def test_band_and_median_of_running_totals(self, runs: Projection) -> None:
        """Per scenario the outcome payments (cash and offsets) add up; P10–P90 and P50 drawn."""
        contract = "schuldenvrij-oost"  # paid by two payers, partly from advances
        ax = cumulative_payments(runs, contract)
        paid = series(runs, "outcome_payment", contract=contract) + series(
            runs, "advance_offset", contract=contract
        )
        assert series(runs, "advance_offset", contract=contract).sum() > 0
        running = np.concatenate([np.zeros((SCENARIOS, 1)), np.cumsum(paid, axis=1)], axis=1)
        low, middle, high = np.percentile(running, [10, 50, 90], axis=0)
        median = line(ax, "P50 (median)")
        np.testing.assert_allclose(middle, median.get_ydata(), rtol=1e-12)
        ends = ENDS
        assert ends == list(median.get_xdata())
        assert_band(ax, mdates.date2num(ends), low, high)

    def test_contract_cap_is_a_line(self, runs: Projection) -> None:
        """The contract's cap, from the programme, is a horizontal line at its amount."""
        ax = cumulative_payments(runs, "sib-werkroute")
        cap = line(ax, "contract cap")
        assert [955_000.0, 955_000.0] == list(cap.get_ydata())
        assert ["P10–P90", "P50 (median)", "contract cap"] == legend(ax)

    def test_payments_stay_under_the_contract_cap(self, runs: Projection) -> None:
        """The band never rises above the contract cap: the cap bounds what is paid."""
        ax = cumulative_payments(runs, "sib-werkroute")
        _, ys = band(ax)
        assert ys.max() <= 955_000.0 + 1e-6

    def test_no_caps_when_not_asked(self, runs: Projection) -> None:
        """``caps=False`` draws no cap."""
        assert ["P10–P90", "P50 (median)"] == legend(
            cumulative_payments(runs, "sib-werkroute", caps=False)
        )

    def test_expected_mode_by_month(self, expected: Projection) -> None:
        """In expected mode, one line over every month's end, from 0 to the total paid."""
        ax = cumulative_payments(expected, "vroeg-eropaf-oost")
        only = line(ax, "expected")
        paid = series(expected, "outcome_payment", contract="vroeg-eropaf-oost")
        assert 241 == len(only.get_xdata())
        assert dt.date(2021, 11, 1) == only.get_xdata()[1]
        assert 0.0 == only.get_ydata()[0]
        assert paid.sum() == pytest.approx(only.get_ydata()[-1], rel=1e-12)
        assert 0 == len(ax.collections)

    def test_labels(self, runs: Projection) -> None:
        """The amount axis names its currency; the time axis says what a point is."""
        ax = cumulative_payments(runs, "sib-werkroute")
        assert "cumulative outcome payments (EUR)" == ax.get_ylabel()
        assert "date (end of each period)" == ax.get_xlabel()
        assert "Social impact bond Werkroute Oost: cumulative outcome payments" == ax.get_title()

    def test_unknown_contract(self, runs: Projection) -> None:
        """An unknown contract is refused, with the contracts there are."""
        with pytest.raises(ValidationError) as caught:
            cumulative_payments(runs, "sib")
        assert ("contract",) == caught.value.paths
        assert "'sib-werkroute'" in str(caught.value)


class TestCapsDrawn:
    def test_metric_value_caps_summed_when_every_metric_has_one(self) -> None:
        """With a value cap on every metric, their sum bounds the whole and is drawn."""
        contract = leeuwarden_oost().contracts[1]
        metrics = [
            attrs.evolve(m, cap_value=100_000.0 * (i + 1)) for i, m in enumerate(contract.metrics)
        ]
        capped = attrs.evolve(contract, metrics=metrics)
        assert [("contract cap", 2_800_000.0), ("metric value caps, summed", 300_000.0)] == (
            caps_drawn(capped)
        )

    def test_one_metric_value_cap_is_not_drawn(self) -> None:
        """A value cap on only some metrics bounds a part, not the whole: not drawn."""
        contract = leeuwarden_oost().contracts[1]
        assert [None, 400_000.0] == [m.cap_value for m in contract.metrics]
        assert [("contract cap", 2_800_000.0)] == caps_drawn(contract)

    def test_single_metric_names_its_cap(self) -> None:
        """A contract of one metric names that metric's value cap."""
        contract = leeuwarden_oost().contracts[2]
        capped = attrs.evolve(
            contract, cap=None, metrics=[attrs.evolve(contract.metrics[0], cap_value=30_000.0)]
        )
        assert [("value cap of eigen-doel", 30_000.0)] == caps_drawn(capped)


class TestInvestorCash:
    def test_band_and_median_of_the_cash_position(self, runs: Projection) -> None:
        """Distributions and guarantee payments less drawdowns, added up per scenario."""
        c = "sib-werkroute"
        cash = (
            series(runs, "investor_distribution", contract=c)
            + series(runs, "guarantee_payment", contract=c)
            - series(runs, "investor_drawdown", contract=c)
        )
        running = np.concatenate([np.zeros((SCENARIOS, 1)), np.cumsum(cash, axis=1)], axis=1)
        low, middle, high = np.percentile(running, [10, 50, 90], axis=0)
        ax = investor_cash(runs, c)
        np.testing.assert_allclose(middle, line(ax, "P50 (median)").get_ydata(), rtol=1e-12)
        ends = ENDS
        assert_band(ax, mdates.date2num(ends), low, high)
        assert low.min() < 0  # the investor is out of pocket for a while

    def test_ends_at_distributed_plus_guarantee_less_drawn(self, runs: Projection) -> None:
        """The last mean position is what the summary's investor figures say, per scenario."""
        ax = investor_cash(runs, "sib-werkroute", quantiles=(0.0, 0.5, 1.0))
        figure = {
            name: runs.scalars[f"investor/sib-werkroute/{name}"]
            for name in ("drawn", "distributed", "guarantee")
        }
        final = figure["distributed"] + figure["guarantee"] - figure["drawn"]
        xs, ys = band(ax)
        last = ys[np.isclose(xs, mdates.date2num(dt.date(2041, 10, 1)))]
        assert final.min() == pytest.approx(last.min(), rel=1e-9)
        assert final.max() == pytest.approx(last.max(), rel=1e-9)

    def test_break_even_and_labels(self, expected: Projection) -> None:
        """A line at 0 marks break-even; the amount axis names its currency."""
        ax = investor_cash(expected, "sib-werkroute")
        assert [0.0, 0.0] == list(line(ax, "break-even").get_ydata())
        assert "investor's cash position (EUR)" == ax.get_ylabel()
        assert (
            "Impact investor (to be selected) in Social impact bond Werkroute Oost: "
            + ("cash position")
            == ax.get_title()
        )

    def test_contract_without_investor(self, runs: Projection) -> None:
        """A contract that no investor finances is refused, naming the ones that are."""
        with pytest.raises(ValidationError) as caught:
            investor_cash(runs, "schuldenvrij-oost")
        assert (
            "contract: expected the id of a contract financed by an investor ('sib-werkroute'), "
            "got 'schuldenvrij-oost'"
        ) == str(caught.value.problems[0])


class TestEngagementMatrix:
    def test_a_cell_per_engagement_in_its_role_colour(self) -> None:
        """Each engagement is a unit cell at its stakeholder's row and phase's column."""
        programme = leeuwarden_oost()
        ax = engagement_matrix(programme)
        phases = [p.id for p in sorted(programme.phases, key=lambda p: p.start)]
        rows = [s.id for s in programme.stakeholders]
        cells = {patch.get_gid(): patch for patch in ax.patches}
        assert len(programme.engagements) == len(cells)
        for e in programme.engagements:
            cell = cells[f"{e.stakeholder}/{e.phase}/{e.role.value}"]
            assert (phases.index(e.phase), rows.index(e.stakeholder)) == cell.get_xy()
            assert (1.0, 1.0) == (cell.get_width(), cell.get_height())
            assert matplotlib.colors.to_rgba(ROLE_COLOURS[e.role]) == cell.get_facecolor()

    def test_several_roles_share_a_cell(self) -> None:
        """Two roles in one phase split the cell, each half with its code."""
        programme = leeuwarden_oost()
        extra = Engagement("gemeente-ook-risico", "gemeente", "pilot", Role.RISK_COVERER)
        both = attrs.evolve(programme, engagements=[*programme.engagements, extra])
        ax = engagement_matrix(both)
        owner = next(p for p in ax.patches if p.get_gid() == "gemeente/pilot/co-owner")
        risk = next(p for p in ax.patches if p.get_gid() == "gemeente/pilot/risk-coverer")
        assert (0.5, 0.5) == (owner.get_width(), risk.get_width())
        assert owner.get_x() + 0.5 == risk.get_x()
        codes = [t.get_text() for t in ax.texts if t.get_position() == (risk.get_x() + 0.25, 0.5)]
        assert ["R"] == codes

    def test_labels_and_legend(self) -> None:
        """Stakeholders by name top down, phases by name in time order, roles in the legend."""
        programme = leeuwarden_oost()
        ax = engagement_matrix(programme)
        assert [s.name for s in programme.stakeholders] == [
            t.get_text() for t in ax.get_yticklabels()
        ]
        assert [p.name for p in sorted(programme.phases, key=lambda p: p.start)] == [
            t.get_text() for t in ax.get_xticklabels()
        ]
        assert (len(programme.stakeholders), 0) == ax.get_ylim()
        roles = {e.role for e in programme.engagements}
        assert len(roles) == len(legend(ax))
        assert "X lived-experience-expert" in legend(ax)
        assert ("phase", "stakeholder") == (ax.get_xlabel(), ax.get_ylabel())

    def test_empty_programme(self) -> None:
        """A programme without phases or stakeholders gives empty axes, without a warning."""
        empty = programma.Programme("p", "P", "EUR", dt.date(2021, 1, 1), 2)
        ax = engagement_matrix(empty)
        assert (0, 0) == (len(ax.patches), len(ax.get_xticklabels()))
        assert ax.get_legend() is None


class TestSaveFigure:
    @pytest.mark.parametrize(
        ("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
    )
    def test_format_by_suffix(self, tmp_path: Path, suffix: str, magic: bytes) -> None:
        """The suffix chooses the format, in any letter case."""
        target = tmp_path / f"chart{suffix.upper()}"
        figure = Figure()
        figure.add_subplot().plot([0, 1])
        assert target == save_figure(figure, target)
        assert magic == target.read_bytes()[: len(magic)]

    @pytest.mark.parametrize("suffix", [".svg", ".pdf"])
    def test_same_figure_same_bytes(self, tmp_path: Path, suffix: str) -> None:
        """No creation date is written: the same figure gives the same file."""
        figure = Figure()
        figure.add_subplot().plot([0, 1])
        first = save_figure(figure, tmp_path / f"a{suffix}").read_bytes()
        assert first == save_figure(figure, tmp_path / f"b{suffix}").read_bytes()

    def test_unknown_suffix(self, tmp_path: Path) -> None:
        """Another suffix is refused before anything is written."""
        with pytest.raises(ValidationError) as caught:
            save_figure(Figure(), tmp_path / "chart.jpg")
        assert "expected a file name ending in .png, .svg, .pdf" in str(caught.value)
        assert [] == list(tmp_path.iterdir())

    def test_atomic(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A failure while writing leaves the old file and no temporary file."""
        target = tmp_path / "chart.png"
        target.write_bytes(b"old")
        figure = Figure()

        def broken(stream: Any, **kwargs: Any) -> None:
            stream.write(b"half")
            raise RuntimeError("renderer failed")

        monkeypatch.setattr(figure, "savefig", broken)
        with pytest.raises(RuntimeError):
            save_figure(figure, target)
        assert b"old" == target.read_bytes()
        assert ["chart.png"] == [p.name for p in tmp_path.iterdir()]

    def test_fan_charts_file(self, tmp_path: Path, expected: Projection) -> None:
        """``save_fan_charts`` writes the panels of every fund without a pyplot figure."""
        before = plt.get_fignums()
        save_fan_charts(expected, tmp_path / "funds.png")
        assert b"\x89PNG" == (tmp_path / "funds.png").read_bytes()[:4]
        assert before == plt.get_fignums()


class TestCommandLine:
    def test_plot_writes_a_panel_per_fund(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``simulate --plot`` writes the fan charts of every fund of the run."""
        drawn: list[Figure] = []
        real = programma.plot.files.save_figure

        def keep(figure: Figure, path: Any) -> Path:
            drawn.append(figure)
            return real(figure, path)

        monkeypatch.setattr(programma.plot.files, "save_figure", keep)
        target = tmp_path / "funds.svg"
        out = io.StringIO()
        code = main(["simulate", "--scenarios", "16", "--plot", str(target)], stdout=out)
        assert EXIT_OK == code
        assert b"<?xml" == target.read_bytes()[:5]
        assert "Leeuwarden Oost (leeuwarden-oost)" in out.getvalue()  # the tables as before
        (figure,) = drawn
        funds = leeuwarden_oost().funds
        assert [f"{f.name}: outflow per fiscal year" for f in funds] == [
            ax.get_title() for ax in figure.axes
        ]
        assert "16 scenarios, seed 0" in figure.get_suptitle()

    def test_monthly_run_is_plotted_by_fiscal_year(self, tmp_path: Path) -> None:
        """An expected-mode run kept by month is plotted per fiscal year."""
        target = tmp_path / "funds.pdf"
        assert EXIT_OK == main(["simulate", "--plot", str(target)], stdout=io.StringIO())
        assert b"%PDF" == target.read_bytes()[:4]

    def test_other_suffix_is_a_usage_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A suffix other than .png, .svg or .pdf is a usage error."""
        code = main(["simulate", "--plot", str(tmp_path / "funds.jpg")])
        assert EXIT_USAGE == code
        assert "expected a file name ending in .png, .svg or .pdf" in capsys.readouterr().err

    def test_programme_without_funds(self, tmp_path: Path) -> None:
        """A programme without funds has nothing to chart: refused before the run."""
        source = tmp_path / "p.toml"
        empty = programma.Programme("p", "P", "EUR", dt.date(2021, 1, 1), 2)
        programma.dump(empty, source)
        err = io.StringIO()
        target = tmp_path / "funds.png"
        code = main(["simulate", str(source), "--plot", str(target)], stderr=err)
        assert EXIT_INVALID == code
        assert ["programma: --plot: 'p' has no funds to chart"] == err.getvalue().splitlines()
        assert not target.exists()

    def test_missing_folder(self, tmp_path: Path) -> None:
        """A plot path in a folder that does not exist cannot be written: one line, exit 1."""
        err = io.StringIO()
        target = tmp_path / "no-such-folder" / "funds.png"
        code = main(["simulate", "--plot", str(target)], stdout=io.StringIO(), stderr=err)
        assert EXIT_INVALID == code
        assert [f"programma: {target}: cannot write (No such file or directory)"] == (
            err.getvalue().splitlines()
        )

    def test_quarters_that_do_not_nest_are_run_again(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Quarters across fiscal years starting in February: charted from a fiscal-year run."""
        drawn: list[Projection] = []
        monkeypatch.setattr(
            programma.plot, "save_fan_charts", lambda projection, path: drawn.append(projection)
        )
        source = tmp_path / "february.json"
        programma.dump(attrs.evolve(leeuwarden_oost(), fiscal_year_start_month=2), source)
        args = ["simulate", str(source), "--scenarios", "8", "--by", "quarter"]
        code = main([*args, "--plot", str(tmp_path / "funds.png")], stdout=io.StringIO())
        assert EXIT_OK == code
        (projection,) = drawn
        assert ("fiscal_year", 8, 0) == (
            projection.resolution,
            projection.scenarios,
            projection.seed,
        )
        again = programma.project(projection.programme, scenarios=8, seed=0)
        assert np.array_equal(again.values, projection.values)

    def test_folder_is_refused_before_the_run(self, tmp_path: Path) -> None:
        """A folder as the plot path is refused at once, with one line."""
        err = io.StringIO()
        folder = tmp_path / "figures.png"
        folder.mkdir()
        code = main(["simulate", "--plot", str(folder)], stdout=io.StringIO(), stderr=err)
        assert EXIT_INVALID == code
        assert [f"programma: {folder}: is a folder; give the path of a file in it"] == (
            err.getvalue().splitlines()
        )
