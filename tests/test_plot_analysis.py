"""Charts of the analyses: the artists' data against the results' rows and numpy, not pixels."""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import programma
import programma.cli.analysis
from programma import (
    DesignComparison,
    Fund,
    FundKind,
    GlobalSensitivity,
    OneWaySensitivity,
    Programme,
    ValidationError,
)
from programma.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from programma.examples import leeuwarden_oost
from programma.plot import (
    comparison,
    comparison_funds,
    save_comparison_charts,
    save_sensitivity_chart,
    tornado,
    variance_shares,
)
from programma.plot.compare import differing_funds
from programma.plot.sensitivity import DIRECTION_COLOURS

SCENARIOS = 200
YEARS = list(range(2021, 2042))
"""The example's fiscal years (calendar years)."""

CHANGES = {
    "contracts[sib-werkroute].metrics[uitstroom].price": 9000,
    "contracts[schuldenvrij-oost].cap": 2_000_000,
}
"""Design B: a higher price in the social impact bond, a lower cap on the debt contract."""

TWO = ["parameters[labour_market].distribution", "initiatives[werkroute-oost].overrun"]
"""Two parameters that move the investor's IRR in opposite directions."""


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def one_way() -> OneWaySensitivity:
    """Every parameter of the example, for what the municipality pays (zero swings too)."""
    return programma.one_way_sensitivity(leeuwarden_oost(), "payer:gemeente:npv")


@pytest.fixture(scope="module")
def irr() -> OneWaySensitivity:
    """The investor's IRR: one parameter raises it, the other lowers it."""
    return programma.one_way_sensitivity(
        leeuwarden_oost(), "contract:sib-werkroute:irr", parameters=TWO
    )


@pytest.fixture(scope="module")
def shares() -> GlobalSensitivity:
    return programma.global_sensitivity(
        leeuwarden_oost(), "payer:gemeente:npv", scenarios=300, seed=42
    )


@pytest.fixture(scope="module")
def designs() -> tuple[Programme, Programme]:
    a = leeuwarden_oost()
    return a, a.with_values(CHANGES)


@pytest.fixture(scope="module")
def paired(designs: tuple[Programme, Programme]) -> DesignComparison:
    return programma.compare(*designs, scenarios=SCENARIOS, seed=1)


@pytest.fixture(scope="module")
def exact(designs: tuple[Programme, Programme]) -> DesignComparison:
    return programma.compare(*designs)


def bars(ax: Axes) -> dict[str, Rectangle]:
    """The bars by their gid (a parameter's path)."""
    return {p.get_gid(): p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid()}


def ticks(ax: Axes) -> list[str]:
    return [label.get_text() for label in ax.get_yticklabels()]


def line(ax: Axes, label: str) -> Any:
    found = [item for item in ax.get_lines() if item.get_label() == label]
    assert 1 == len(found), [item.get_label() for item in ax.get_lines()]
    return found[0]


def legend(ax: Axes) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def by_swing(result: OneWaySensitivity) -> list[Any]:
    """The rows, the largest |output at high − output at low| first, computed here."""
    return sorted(result.rows, key=lambda r: -abs(r.output_high - r.output_low))


def difference(comparison_: DesignComparison, fund: str) -> np.ndarray:
    """B − A of a fund's outflow, (scenarios, fiscal years), from the two projections."""
    return np.asarray(comparison_.b.outflow(fund) - comparison_.a.outflow(fund))


class TestTornado:
    def test_bars_reach_from_output_at_low_to_output_at_high(
        self, one_way: OneWaySensitivity
    ) -> None:
        """Each bar spans the row's two outputs: left at the smaller, as wide as the swing."""
        drawn = bars(tornado(one_way))
        assert len(one_way.rows) == len(drawn)
        for row in one_way.rows:
            bar = drawn[row.parameter]
            assert min(row.output_low, row.output_high) == pytest.approx(bar.get_x(), rel=1e-12)
            width = abs(row.output_high - row.output_low)
            assert width == pytest.approx(bar.get_width(), rel=1e-12, abs=1e-9)
        assert max(abs(r.output_high - r.output_low) for r in one_way.rows) > 1_000_000

    def test_sorted_by_swing_largest_on_top(self, one_way: OneWaySensitivity) -> None:
        """The first row is the largest swing, at the top; each bar is centred on its row."""
        ax = tornado(one_way)
        order = [row.parameter for row in by_swing(one_way)]
        assert order == ticks(ax)
        drawn = bars(ax)
        for place, parameter in enumerate(order):
            bar = drawn[parameter]
            assert place == pytest.approx(bar.get_y() + bar.get_height() / 2)
        bottom, top = ax.get_ylim()
        assert bottom > top  # the first row at the top

    def test_rows_in_any_order_are_sorted(self, one_way: OneWaySensitivity) -> None:
        """Rows given smallest first are still drawn largest swing first."""
        shuffled = attrs.evolve(one_way, rows=tuple(reversed(one_way.rows)))
        rows = {row.parameter: row for row in one_way.rows}
        swings = [abs(rows[p].output_high - rows[p].output_low) for p in ticks(tornado(shuffled))]
        assert sorted(swings, reverse=True) == swings  # equal swings in either order
        assert len(rows) == len(swings)
        assert swings[0] > swings[-1]

    def test_base_is_a_vertical_line(self, one_way: OneWaySensitivity) -> None:
        """The base, every input at its mean, is a vertical line at the result's base."""
        base = line(tornado(one_way), "base")
        assert [one_way.base, one_way.base] == list(base.get_xdata())
        assert one_way.rows[0].output_base == one_way.base

    def test_parameter_values_label_the_ends(self, one_way: OneWaySensitivity) -> None:
        """The low value is written at the output-at-low end, the high at the other."""
        ax = tornado(one_way)
        texts = {(round(a.xy[0], 3), round(a.xy[1], 3)): a.get_text() for a in ax.texts}
        for place, row in enumerate(by_swing(one_way)[:10]):  # zero swings share their ends
            for value, end in ((row.low, row.output_low), (row.high, row.output_high)):
                shown = float(texts[round(end, 3), float(place)].replace(",", ""))
                tolerance = 0.5 if abs(value) >= 1000 else 5e-5
                assert value == pytest.approx(shown, abs=tolerance)

    def test_direction_colours(self, irr: OneWaySensitivity) -> None:
        """A bar whose output falls as its parameter rises has the other colour."""
        drawn = bars(tornado(irr))
        rises = drawn["parameters[labour_market].distribution"]
        falls = drawn["initiatives[werkroute-oost].overrun"]
        row = next(r for r in irr.rows if r.parameter == "initiatives[werkroute-oost].overrun")
        assert row.output_high < row.output_low
        assert matplotlib.colors.to_rgba(DIRECTION_COLOURS["rises"]) == rises.get_facecolor()
        assert matplotlib.colors.to_rgba(DIRECTION_COLOURS["falls"]) == falls.get_facecolor()

    def test_output_name_and_unit_on_the_axis(
        self, one_way: OneWaySensitivity, irr: OneWaySensitivity
    ) -> None:
        """An amount in the programme's currency; an IRR in percent."""
        assert "present value of what 'gemeente' pays out (EUR)" == tornado(one_way).get_xlabel()
        ax = tornado(irr)
        assert "investor's annual IRR on contract 'sib-werkroute' (%)" == ax.get_xlabel()
        assert "12%" == ax.xaxis.get_major_formatter()(0.12, 0).replace(".0", "")

    def test_top_keeps_the_largest(self, one_way: OneWaySensitivity) -> None:
        """``top=3`` draws the three largest swings."""
        ax = tornado(one_way, top=3)
        assert [row.parameter for row in by_swing(one_way)[:3]] == ticks(ax)
        assert 3 == len(bars(ax))

    @pytest.mark.parametrize("top", [0, -1, True, 2.5, "3"])
    def test_bad_top(self, one_way: OneWaySensitivity, top: Any) -> None:
        """``top`` must be a whole number ≥ 1."""
        with pytest.raises(ValidationError) as caught:
            tornado(one_way, top=top)
        assert ("top",) == caught.value.paths

    def test_output_that_does_not_exist(self, irr: OneWaySensitivity) -> None:
        """A row without an output at one end has no bar, and says so."""
        row = attrs.evolve(irr.rows[0], output_low=math.nan, swing=math.nan)
        broken = attrs.evolve(irr, rows=(row, *irr.rows[1:]))
        ax = tornado(broken)
        assert row.parameter not in bars(ax)
        assert row.parameter == ticks(ax)[-1]  # a swing that does not exist is last
        notes = [t.get_text() for t in ax.texts if t.get_text().startswith("no value")]
        assert ["no value with the parameter at its low"] == notes

    def test_draws_on_given_axes(self, irr: OneWaySensitivity) -> None:
        """Given axes are drawn on and returned; no pyplot figure is made."""
        ax = Figure().add_subplot()
        before = plt.get_fignums()
        assert ax is tornado(irr, ax=ax)
        assert before == plt.get_fignums()


class TestVarianceShares:
    def test_a_bar_per_share_largest_on_top(self, shares: GlobalSensitivity) -> None:
        """Each bar is as long as the parameter's share, sorted by share."""
        ax = variance_shares(shares)
        order = sorted(shares.rows, key=lambda r: -r.share)
        assert [row.parameter for row in order] == ticks(ax)
        drawn = bars(ax)
        for place, row in enumerate(order):
            assert row.share == pytest.approx(drawn[row.parameter].get_width(), rel=1e-12)
            assert 0.0 == drawn[row.parameter].get_x()
            assert place == pytest.approx(
                drawn[row.parameter].get_y() + drawn[row.parameter].get_height() / 2
            )
        assert order[0].share > 0.5

    def test_colour_by_the_sign_of_the_rank_correlation(self, shares: GlobalSensitivity) -> None:
        """The bar's colour says which way the parameter moves the output."""
        drawn = bars(variance_shares(shares))
        for row in shares.rows:
            direction = "rises" if row.rank_correlation >= 0 else "falls"
            expected = matplotlib.colors.to_rgba(DIRECTION_COLOURS[direction])
            assert expected == drawn[row.parameter].get_facecolor()

    def test_labels_and_top(self, shares: GlobalSensitivity) -> None:
        """The axis names the output; the title gives the run and R²; ``top`` keeps the largest."""
        ax = variance_shares(shares, top=2)
        assert 2 == len(bars(ax))
        assert "share of the variance of the present value of what 'gemeente' pays out (%)" == (
            ax.get_xlabel()
        )
        assert f"R² of the linear model {shares.r_squared:.2f}" in ax.get_title()
        assert "300 scenarios, seed 42" in ax.get_title()


class TestComparison:
    def test_band_and_median_are_the_differences_percentiles(
        self, paired: DesignComparison
    ) -> None:
        """The band spans P10–P90 and the line is P50 of B − A per fiscal year."""
        ax = comparison(paired, "resultatenfonds")
        low, middle, high = np.percentile(difference(paired, "resultatenfonds"), [10, 50, 90], 0)
        spreads = [paired.fund_outflow("resultatenfonds", f"FY{y}").difference for y in YEARS]
        np.testing.assert_allclose([d.p10 for d in spreads], low, rtol=1e-12)
        vertices = ax.collections[0].get_paths()[0].vertices
        for year, lo, hi in zip(YEARS, low, high, strict=True):
            ys = vertices[np.isclose(vertices[:, 0], year), 1]
            assert lo == pytest.approx(ys.min(), rel=1e-12, abs=1e-9)
            assert hi == pytest.approx(ys.max(), rel=1e-12, abs=1e-9)
        median = line(ax, "P50 (median)")
        assert YEARS == list(median.get_xdata())
        np.testing.assert_allclose(middle, median.get_ydata(), rtol=1e-12)
        np.testing.assert_allclose([d.p50 for d in spreads], median.get_ydata(), rtol=1e-12)
        assert (high - low).max() > 100_000

    def test_mean_markers_and_zero_line(self, paired: DesignComparison) -> None:
        """The mean of B − A is a dot per year; a line marks no difference."""
        ax = comparison(paired, "preventiebudget-zorgverzekeraar")
        mean = line(ax, "mean")
        expected = difference(paired, "preventiebudget-zorgverzekeraar").mean(axis=0)
        np.testing.assert_allclose(expected, mean.get_ydata(), rtol=1e-12, atol=1e-9)
        assert ("None", "o") == (mean.get_linestyle(), mean.get_marker())
        assert [0.0, 0.0] == list(line(ax, "no difference").get_ydata())
        assert ["P10–P90", "P50 (median)", "mean", "no difference"] == legend(ax)

    def test_labels(self, paired: DesignComparison) -> None:
        """The amount axis names the currency; the title names the fund."""
        ax = comparison(paired, "resultatenfonds")
        assert "B − A, outflow per fiscal year (EUR)" == ax.get_ylabel()
        assert "fiscal year" == ax.get_xlabel()
        assert "Results fund (resultatenfonds): B − A per fiscal year" == ax.get_title()

    def test_fund_without_difference_closes_on_zero(self, paired: DesignComparison) -> None:
        """A fund B does not touch: band and line at 0, the axis still readable (±1)."""
        ax = comparison(paired, "geeffonds")
        assert [0.0] * len(YEARS) == list(line(ax, "P50 (median)").get_ydata())
        assert (-1.0, 1.0) == ax.get_ylim()

    def test_expected_mode_is_one_line(self, exact: DesignComparison) -> None:
        """In expected mode a single line: the exact difference of the outflows."""
        ax = comparison(exact, "resultatenfonds")
        only = line(ax, "expected")
        np.testing.assert_allclose(
            difference(exact, "resultatenfonds")[0], only.get_ydata(), rtol=1e-12, atol=1e-6
        )
        assert 0 == len(ax.collections)
        assert ["expected", "no difference"] == legend(ax)

    def test_fund_of_b_only(self, designs: tuple[Programme, Programme]) -> None:
        """A fund that only B has is named from B."""
        a, b = designs
        extra = Fund("nieuw-fonds", "New fund", FundKind.OTHER, "gemeente")
        c = programma.compare(a, attrs.evolve(b, funds=[*b.funds, extra]))
        assert "New fund: B − A per fiscal year" == comparison(c, "nieuw-fonds").get_title()

    def test_unknown_fund(self, paired: DesignComparison) -> None:
        """A fund of neither design is refused, with the funds there are."""
        with pytest.raises(ValidationError) as caught:
            comparison(paired, "resultaten")
        assert ("fund",) == caught.value.paths
        assert "'resultatenfonds'" in str(caught.value)


class TestComparisonFunds:
    def test_a_row_per_fund_from_p10_to_p90(self, paired: DesignComparison) -> None:
        """Per fund, a bar from P10 to P90 of B − A over the horizon, P50 and mean as markers."""
        ax = comparison_funds(paired)
        funds = [f.id for f in paired.a.programme.funds]
        assert funds == ticks(ax)
        totals = np.stack([difference(paired, f).sum(axis=1) for f in funds], axis=1)
        low, middle, high = np.percentile(totals, [10, 50, 90], axis=0)
        (segments,) = [c.get_segments() for c in ax.collections]
        for place, segment in enumerate(segments):
            assert [place, place] == list(segment[:, 1])
            assert low[place] == pytest.approx(segment[0, 0], rel=1e-12, abs=1e-9)
            assert high[place] == pytest.approx(segment[1, 0], rel=1e-12, abs=1e-9)
        np.testing.assert_allclose(middle, line(ax, "P50 (median)").get_xdata(), atol=1e-6)
        np.testing.assert_allclose(totals.mean(axis=0), line(ax, "mean").get_xdata(), atol=1e-6)
        assert low[funds.index("resultatenfonds")] < 0

    def test_labels(self, paired: DesignComparison) -> None:
        """The amount axis names the currency; a vertical line marks no difference."""
        ax = comparison_funds(paired)
        assert "B − A, outflow over the horizon (EUR)" == ax.get_xlabel()
        assert [0.0, 0.0] == list(line(ax, "no difference").get_xdata())

    def test_expected_mode(self, exact: DesignComparison) -> None:
        """In expected mode a marker per fund at the exact difference."""
        ax = comparison_funds(exact)
        funds = [f.id for f in exact.a.programme.funds]
        totals = [difference(exact, f).sum() for f in funds]
        np.testing.assert_allclose(totals, line(ax, "expected").get_xdata(), atol=1e-6)
        assert 0 == len(ax.collections)


class TestDifferingFunds:
    def test_the_funds_whose_outflow_differs(self, paired: DesignComparison) -> None:
        """Exactly the funds with a nonzero B − A in some year of some scenario."""
        funds = [f.id for f in paired.a.programme.funds]
        changed = [f for f in funds if np.any(difference(paired, f) != 0)]
        assert ["resultatenfonds", "preventiebudget-zorgverzekeraar"] == changed
        assert changed == differing_funds(paired)

    def test_same_design(self) -> None:
        """A design compared with itself differs nowhere."""
        a = leeuwarden_oost()
        assert [] == differing_funds(programma.compare(a, a, scenarios=8))


def capture(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The figures handed to ``save_figure`` (which still writes them)."""
    drawn: list[Figure] = []
    real = programma.plot.files.save_figure

    def keep(figure: Figure, path: Any) -> Path:
        drawn.append(figure)
        return real(figure, path)

    monkeypatch.setattr(programma.plot.files, "save_figure", keep)
    return drawn


class TestSaveCharts:
    def test_comparison_panels(
        self, tmp_path: Path, paired: DesignComparison, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The funds' overview, then a panel per fund that differs; no pyplot figure."""
        drawn = capture(monkeypatch)
        before = plt.get_fignums()
        save_comparison_charts(paired, tmp_path / "b-a.png")
        assert b"\x89PNG" == (tmp_path / "b-a.png").read_bytes()[:4]
        assert before == plt.get_fignums()
        (figure,) = drawn
        assert [
            "Outflow per fund over the horizon, B − A",
            "Results fund (resultatenfonds): B − A per fiscal year",
            "Prevention budget De Friesland: B − A per fiscal year",
        ] == [ax.get_title() for ax in figure.axes]
        assert "200 paired scenarios, seed 1" in figure.get_suptitle()

    def test_nothing_differs(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Two equal designs: the overview alone, and the title says no fund differs."""
        drawn = capture(monkeypatch)
        a = leeuwarden_oost()
        save_comparison_charts(programma.compare(a, a), tmp_path / "same.svg")
        (figure,) = drawn
        assert 1 == len(figure.axes)
        assert "no fund's outflow differs" in figure.get_suptitle()

    def test_sensitivity_charts(
        self,
        tmp_path: Path,
        irr: OneWaySensitivity,
        shares: GlobalSensitivity,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A one-way result is drawn as a tornado, a global one as shares of the variance."""
        drawn = capture(monkeypatch)
        save_sensitivity_chart(irr, tmp_path / "tornado.pdf")
        save_sensitivity_chart(shares, tmp_path / "shares.png", top=4)
        assert b"%PDF" == (tmp_path / "tornado.pdf").read_bytes()[:4]
        tornado_figure, shares_figure = drawn
        assert [row.parameter for row in by_swing(irr)] == ticks(tornado_figure.axes[0])
        assert 4 == len(bars(shares_figure.axes[0]))

    def test_unknown_suffix(self, tmp_path: Path, irr: OneWaySensitivity) -> None:
        """Another suffix is refused before anything is drawn or written."""
        with pytest.raises(ValidationError):
            save_sensitivity_chart(irr, tmp_path / "tornado.jpg")
        assert [] == list(tmp_path.iterdir())


class TestCommandLine:
    def test_sensitivity_plot_is_a_tornado(
        self, tmp_path: Path, irr: OneWaySensitivity, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``sensitivity --plot`` writes the tornado of the rows it prints."""
        drawn = capture(monkeypatch)
        target = tmp_path / "tornado.png"
        out = io.StringIO()
        args = ["sensitivity", "--output", "contract:sib-werkroute:irr", "--plot", str(target)]
        assert EXIT_OK == main([*args, "--parameters", *TWO], stdout=out)
        assert b"\x89PNG" == target.read_bytes()[:4]
        assert "One-way sensitivity of contract:sib-werkroute:irr" in out.getvalue()
        (figure,) = drawn
        assert [row.parameter for row in by_swing(irr)] == ticks(figure.axes[0])

    def test_global_sensitivity_plot_is_the_shares(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With ``--scenarios`` the chart is the shares of the variance."""
        drawn = capture(monkeypatch)
        target = tmp_path / "shares.svg"
        args = ["sensitivity", "--output", "payer:gemeente:npv", "--scenarios", "100"]
        assert EXIT_OK == main([*args, "--plot", str(target)], stdout=io.StringIO())
        assert b"<?xml" == target.read_bytes()[:5]
        (figure,) = drawn
        assert figure.axes[0].get_xlabel().startswith("share of the variance of")

    def test_compare_plot(
        self,
        tmp_path: Path,
        designs: tuple[Programme, Programme],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """``compare --plot`` writes the overview and a panel per fund that differs."""
        drawn = capture(monkeypatch)
        a, b = designs
        programma.dump(a, tmp_path / "a.toml")
        programma.dump(b, tmp_path / "b.json")
        target = tmp_path / "b-a.png"
        out = io.StringIO()
        args = ["compare", str(tmp_path / "a.toml"), str(tmp_path / "b.json")]
        code = main([*args, "--scenarios", "16", "--plot", str(target)], stdout=out)
        assert EXIT_OK == code
        assert b"\x89PNG" == target.read_bytes()[:4]
        assert "Design B − design A" in out.getvalue()  # the tables as before
        (figure,) = drawn
        assert 3 == len(figure.axes)
        assert figure.axes[1].get_title().startswith("Results fund")

    @pytest.mark.parametrize(
        "args",
        [
            ["sensitivity", "--output", "payer:gemeente:npv"],
            ["compare", "a.toml", "b.toml"],
        ],
    )
    def test_other_suffix_is_a_usage_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
    ) -> None:
        """A suffix other than .png, .svg or .pdf is a usage error, before anything runs."""
        code = main([*args, "--plot", str(tmp_path / "chart.jpg")])
        assert EXIT_USAGE == code
        assert "expected a file name ending in .png, .svg or .pdf" in capsys.readouterr().err

    def test_folder_is_refused_before_the_run(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A folder as the plot path is refused with one line, before the analysis."""
        monkeypatch.setattr(programma.cli.analysis, "one_way_sensitivity", None)  # not reached
        folder = tmp_path / "tornado.png"
        folder.mkdir()
        err = io.StringIO()
        args = ["sensitivity", "--output", "payer:gemeente:npv", "--plot", str(folder)]
        assert EXIT_INVALID == main(args, stdout=io.StringIO(), stderr=err)
        assert [f"programma: {folder}: is a folder; give the path of a file in it"] == (
            err.getvalue().splitlines()
        )

    def test_without_matplotlib(
        self,
        tmp_path: Path,
        designs: tuple[Programme, Programme],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Without matplotlib the command stops before the runs, with one line, exit 1."""
        a, b = designs
        programma.dump(a, tmp_path / "a.toml")
        programma.dump(b, tmp_path / "b.toml")
        # As if matplotlib were not installed: programma.plot, imported already, is imported again.
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        monkeypatch.setitem(sys.modules, "programma.plot", None)
        monkeypatch.delattr(programma, "plot")
        monkeypatch.setattr(programma.cli.analysis, "compare", None)  # not to be reached
        err = io.StringIO()
        target = tmp_path / "b-a.png"
        args = ["compare", str(tmp_path / "a.toml"), str(tmp_path / "b.toml")]
        code = main([*args, "--plot", str(target)], stdout=io.StringIO(), stderr=err)
        assert EXIT_INVALID == code
        assert [
            "programma: --plot needs matplotlib, which is not installed: "
            "pip install 'programma[plot]'"
        ] == err.getvalue().splitlines()
        assert not target.exists()
