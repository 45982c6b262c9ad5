"""Sensitivity analysis: quantiles, uncertain parameters and their draws, one-way and global."""

from __future__ import annotations

import csv
import io
import json
import math

import attrs
import numpy as np
import pytest
import scipy.stats as st

import programma as pg
from builders import base_programme, contract
from programma import (
    Beta,
    CostPerOutcome,
    Discrete,
    Fixed,
    FundPeak,
    FundTotal,
    LogNormal,
    Normal,
    Parameter,
    PayerNPV,
    Pert,
    Poisson,
    Ref,
    Samples,
    Triangular,
    Uniform,
    ValidationError,
    Yearly,
    quantile,
)
from programma.cli import EXIT_OK, EXIT_USAGE, main
from programma.examples import leeuwarden_oost
from programma.uncertainty import sampling

LEVELS = (1e-6, 0.01, 0.1, 0.37, 0.5, 0.9, 0.999)


def _pert(low: float, mode: float, high: float) -> st.rv_continuous:
    alpha = 1 + 4 * (mode - low) / (high - low)
    beta = 1 + 4 * (high - mode) / (high - low)
    return st.beta(alpha, beta, loc=low, scale=high - low)


class TestQuantile:
    """``quantile`` is the inverse CDF of each distribution, checked against scipy."""

    @pytest.mark.parametrize(
        ("dist", "reference"),
        [
            (Uniform(2, 7), st.uniform(2, 5)),
            (Triangular(1, 2, 6), st.triang(0.2, loc=1, scale=5)),
            (Triangular(0, 0, 2), st.triang(0.0, loc=0, scale=2)),
            (Pert(0.6, 0.85, 1.0), _pert(0.6, 0.85, 1.0)),
            (Pert(140_000, 170_000, 210_000), _pert(140_000, 170_000, 210_000)),
            (Normal(1.0, 0.15), st.norm(1.0, 0.15)),
            (Normal(1.0, 0.15, low=0.6, high=1.3), st.truncnorm(-0.4 / 0.15, 2, 1.0, 0.15)),
            (Normal(5.0, 1.0, low=8.0), st.truncnorm(3.0, np.inf, 5.0, 1.0)),
            (Normal(0.0, 2.0, high=-3.0), st.truncnorm(-np.inf, -1.5, 0.0, 2.0)),
            (LogNormal(0.5, 0.8), st.lognorm(0.8, scale=math.exp(0.5))),
            (Beta(6, 4), st.beta(6, 4)),
            (Beta(0.5, 2, low=10, high=20), st.beta(0.5, 2, loc=10, scale=10)),
        ],
    )
    def test_continuous(self, dist: pg.Scalar, reference: st.rv_continuous) -> None:
        """Continuous distributions: the inverse CDF to near double precision."""
        for level in LEVELS:
            assert reference.ppf(level) == pytest.approx(quantile(dist, level), rel=1e-9, abs=1e-12)

    def test_poisson(self) -> None:
        """Poisson: the smallest count whose CDF reaches the level."""
        for lam in (0.3, 3.5, 250.0):
            for level in LEVELS:
                assert st.poisson(lam).ppf(level) == quantile(Poisson(lam), level)

    def test_discrete(self) -> None:
        """Discrete: the smallest listed value whose cumulative weight reaches the level."""
        dist = Discrete(values=(15, 3, 9), weights=(0.25, 0.5, 0.25))
        assert [3.0, 3.0, 9.0, 15.0] == [quantile(dist, q) for q in (0.1, 0.5, 0.6, 0.9)]

    def test_samples(self) -> None:
        """Samples: numpy's linear sample quantile, as the summary's percentiles."""
        assert 1.4 == pytest.approx(quantile(Samples([1, 2, 6, 3, 5]), 0.1))
        assert 5.6 == pytest.approx(quantile(Samples([1, 2, 6, 3, 5]), 0.9))

    def test_fixed_and_degenerate(self) -> None:
        """A fixed or degenerate distribution gives its one value at every level."""
        assert [4.0, 4.0, 2.0] == [
            quantile(Fixed(4), 0.1),
            quantile(Pert(4, 4, 4), 0.9),
            quantile(Normal(2, 0), 0.3),
        ]

    def test_reference_and_yearly(self) -> None:
        """A reference scales its parameter's quantile (a negative factor mirrors it)."""
        parameters = {"s": Uniform(0, 10)}
        assert 3.5 == pytest.approx(quantile(Ref("s", factor=2, offset=1.5), 0.1, parameters))
        assert -17.5 == pytest.approx(quantile(Ref("s", factor=-2, offset=0.5), 0.1, parameters))
        path = Yearly({2021: 0.02, 2025: Uniform(0.0, 0.1)})
        assert [0.02, 0.01] == pytest.approx([quantile(path, 0.1, year=y) for y in (2022, 2030)])

    @pytest.mark.parametrize("level", [0, 1, -0.1, 1.5, math.nan])
    def test_level_outside_zero_one(self, level: float) -> None:
        """A level not strictly between 0 and 1 is refused, naming it."""
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            quantile(Uniform(0, 1), level)


# -- a programme with outputs known in closed form ---------------------------------------------
#
# One contract: 10 participants a month for 6 months; a share s achieving, baseline 0.1, so
# (s − 0.1) × 60 payable outcomes at the price p, paid by the fund "budget" in two quarterly
# payments of (s − 0.1) × 30 × p: in December 2021 (month 11) and March 2022 (month 14).


def _programme(price: object = 1000, share: object = 0.4, **changes: object) -> pg.Programme:
    metric = contract().metrics[0]
    metric = attrs.evolve(metric, price=price, share_achieving=share)
    return base_programme(contracts=[contract(metrics=[metric])], **changes)


def _with_shared_share(price: object = 1000) -> pg.Programme:
    """The share achieving is the parameter ``s`` ~ Uniform(0.3, 0.5)."""
    return _programme(price=price, share=Ref("s"), parameters=[Parameter("s", Uniform(0.3, 0.5))])


PRICE = "contracts[c].metrics[job].price"
SHARE = "parameters[s].distribution"


class TestUncertainParameters:
    """Every distribution the engine draws per scenario, by its path."""

    def test_fixed_and_references_are_not_parameters(self) -> None:
        """A fixed value and a reference draw nothing; the named parameter does."""
        paths = [p.path for p in pg.uncertain_parameters(_with_shared_share())]
        assert [SHARE] == paths

    def test_inline_distributions_in_programme_order(self) -> None:
        """Inline distributions are found by path, named by ids."""
        programme = attrs.evolve(
            _with_shared_share(price=Uniform(800, 1200)), deflator=Uniform(0.01, 0.03)
        )
        paths = [p.path for p in pg.uncertain_parameters(programme)]
        assert [SHARE, "deflator", PRICE] == paths

    def test_yearly_path_gives_one_parameter_per_drawing_entry(self) -> None:
        """A yearly path: each drawing entry, with a column per fiscal year it governs."""
        programme = _programme(deflator=Yearly({2021: 0.02, 2022: Uniform(0.0, 0.04)}))
        (entry,) = pg.uncertain_parameters(programme)
        assert "deflator.by_year[2022]" == entry.path
        years = Timeline_years(programme)
        assert tuple(f"deflator@{y}" for y in years if y >= 2022) == entry.columns
        assert tuple(f"programme/deflator@{y}" for y in years if y >= 2022) == entry.keys

    def test_time_to_outcome_counts_only_when_drawn_per_scenario(self) -> None:
        """A spread of individual times is no parameter; samples of a time are."""
        spread = contract().metrics[0]
        spread = attrs.evolve(spread, time_to_outcome=Triangular(3, 6, 9))
        programme = base_programme(contracts=[contract(metrics=[spread])])
        assert () == pg.uncertain_parameters(programme)
        drawn = attrs.evolve(spread, time_to_outcome=Samples([5, 6, 7]))
        programme = base_programme(contracts=[contract(metrics=[drawn])])
        paths = [p.path for p in pg.uncertain_parameters(programme)]
        assert ["contracts[c].metrics[job].time_to_outcome"] == paths


def Timeline_years(programme: pg.Programme) -> tuple[int, ...]:
    from programma.engine.timeline import Timeline

    return Timeline.of(programme).years


class TestParameterDraws:
    """The draws frame holds the values each scenario of the projection used."""

    def test_samples_column_is_the_samples(self) -> None:
        """A Samples price: its column is the given values, and each scenario pays 18 × it."""
        prices = [700.0, 1300.0, 950.0, 1010.0, 400.0]
        programme = _programme(price=Samples(prices))
        draws = pg.parameter_draws(programme, scenarios=5, seed=3)
        assert (PRICE,) == draws.columns
        assert prices == draws.column(PRICE).tolist()
        run = pg.project(programme, scenarios=5, seed=3)
        paid = run.outflow("budget").sum(axis=1)
        assert 18 * np.array(prices) == pytest.approx(paid)

    def test_parameter_column_drives_the_outcome_payments(self) -> None:
        """Each scenario's outflow is (s − 0.1) × 60 × 1000 with s from the frame."""
        programme = _with_shared_share()
        draws = pg.parameter_draws(programme, scenarios=300, seed=7)
        s = draws.column(SHARE)
        assert ((s >= 0.3) & (s <= 0.5)).all()
        assert s.std() > 0.05
        paid = pg.project(programme, scenarios=300, seed=7).outflow("budget").sum(axis=1)
        assert (s - 0.1) * 60 * 1000 == pytest.approx(paid, rel=1e-12)

    def test_every_engine_draw_of_the_example(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each draw the engine makes is a column of the frame, or draws nothing random."""
        recorded: dict[str, list[tuple[object, np.ndarray]]] = {}
        original = sampling.Draws.scalar

        def scalar(self: sampling.Draws, key: str, dist: pg.Distribution) -> np.ndarray:
            out = original(self, key, dist)
            recorded.setdefault(key, []).append((dist, out.copy()))
            return out

        monkeypatch.setattr(sampling.Draws, "scalar", scalar)
        programme = leeuwarden_oost()
        pg.project(programme, scenarios=300, seed=5)
        monkeypatch.undo()
        draws = pg.parameter_draws(programme, scenarios=300, seed=5)
        keys = [key for parameter in draws.parameters for key in parameter.keys]
        for key, column in zip(keys, draws.columns, strict=True):
            assert key in recorded
            for _, values in recorded[key]:
                assert np.array_equal(values[:300], draws.column(column))
        others = {key: uses for key, uses in recorded.items() if key not in keys}
        assert others
        for uses in others.values():
            assert all(isinstance(dist, Fixed | Ref) for dist, _ in uses)

    def test_prefix_stable(self) -> None:
        """The first rows are the same for any number of scenarios."""
        programme = leeuwarden_oost()
        short = pg.parameter_draws(programme, scenarios=10, seed=2)
        long = pg.parameter_draws(programme, scenarios=600, seed=2)
        assert np.array_equal(short.values, long.values[:10])

    def test_too_few_samples(self) -> None:
        """More scenarios than samples is refused with the path."""
        with pytest.raises(pg.ProjectionError, match=r"contracts\[c\]\.metrics\[job\]\.price"):
            pg.parameter_draws(_programme(price=Samples([1, 2])), scenarios=3)

    def test_to_pandas(self) -> None:
        """A frame with one column per column and a row per scenario."""
        draws = pg.parameter_draws(_with_shared_share(), scenarios=4, seed=1)
        frame = draws.to_pandas()
        assert [SHARE] == list(frame.columns)
        assert draws.column(SHARE).tolist() == frame[SHARE].tolist()
        assert [0, 1, 2, 3] == [row["scenario"] for row in draws.to_records()]


class TestOneWay:
    """Each parameter at its P10 and P90, the others at their means, by hand."""

    def test_linear_price(self) -> None:
        """Price ~ U(800, 1200): P10 840, P90 1160; 18 outcomes paid at each."""
        result = pg.one_way_sensitivity(_programme(price=Uniform(800, 1200)), "fund:budget:total")
        (row,) = result.rows
        assert (PRICE, 840.0, 1160.0) == (row.parameter, row.low, row.high)
        assert 18 * 1000 == pytest.approx(result.base)
        assert 18 * 840 == pytest.approx(row.output_low)
        assert 18 * 1160 == pytest.approx(row.output_high)
        assert 18 * 320 == pytest.approx(row.swing)

    def test_sorted_by_swing(self) -> None:
        """The shared share (swing 9,600) before the price (swing 5,760 × 0.3 / 0.3)."""
        result = pg.one_way_sensitivity(
            _with_shared_share(price=Uniform(800, 1200)), "fund:budget:total"
        )
        assert [SHARE, PRICE] == [row.parameter for row in result.rows]
        share = result.rows[0]
        # s at 0.32 and 0.48: (s − 0.1) × 60 × 1000
        assert (0.32, 0.48) == pytest.approx((share.low, share.high))
        assert (13_200, 22_800) == pytest.approx((share.output_low, share.output_high))

    def test_peak_npv_and_cost_per_outcome(self) -> None:
        """The other outputs, in closed form: two payments of 9 × price each."""
        rate = 0.04
        programme = _programme(price=Uniform(800, 1200), discount_rate=rate)
        peak = pg.one_way_sensitivity(programme, FundPeak("budget")).rows[0]
        assert (9 * 840, 9 * 1160) == pytest.approx((peak.output_low, peak.output_high))
        npv = pg.one_way_sensitivity(programme, PayerNPV("city")).rows[0]
        factor = (1 + rate) ** -1 + (1 + rate) ** -(15 / 12)  # ends of months 11 and 14
        assert (9 * 840 * factor, 9 * 1160 * factor) == pytest.approx(
            (npv.output_low, npv.output_high), rel=1e-12
        )
        unit = pg.one_way_sensitivity(programme, CostPerOutcome("c")).rows[0]
        assert (840, 1160) == pytest.approx((unit.output_low, unit.output_high))

    def test_bounds_in_place_of_quantiles(self) -> None:
        """Bounds replace the quantiles, and may vary a fixed value too."""
        result = pg.one_way_sensitivity(
            _programme(), "fund:budget:total", bounds={"contracts[0].metrics[0].price": (500, 2000)}
        )
        (row,) = result.rows
        assert (PRICE, 500.0, 2000.0) == (row.parameter, row.low, row.high)
        assert (9_000, 36_000) == pytest.approx((row.output_low, row.output_high))

    def test_other_quantiles(self) -> None:
        """Other levels: P25 and P75 of U(800, 1200) are 900 and 1100."""
        result = pg.one_way_sensitivity(
            _programme(price=Uniform(800, 1200)), "fund:budget:total", quantiles=(0.25, 0.75)
        )
        assert (900.0, 1100.0) == (result.rows[0].low, result.rows[0].high)

    def test_index_path_is_named_by_ids(self) -> None:
        """A path by index names the same parameter, shown by its ids."""
        result = pg.one_way_sensitivity(
            _programme(price=Uniform(800, 1200)),
            FundTotal("budget"),
            parameters=["contracts[0].metrics[0].price"],
        )
        assert [PRICE] == [row.parameter for row in result.rows]

    def test_yearly_entry(self) -> None:
        """An entry of a yearly path is set to a fixed value in the years it governs."""
        programme = _programme(
            deflator=Yearly({2021: 0.02, 2022: Uniform(0.0, 0.04)}), discount_rate=0.0
        )
        result = pg.one_way_sensitivity(programme, PayerNPV("city"))
        (row,) = result.rows
        assert ("deflator.by_year[2022]", 0.004, 0.036) == (
            row.parameter,
            pytest.approx(row.low),
            pytest.approx(row.high),
        )
        assert row.output_low > row.output_high  # more inflation, less in real terms


class TestGlobal:
    """Variance shares on a constructed case whose shares are known."""

    def test_dominant_parameter_first(self) -> None:
        """y = (s − 0.1)·60·p: s ~ U(0.2, 0.6) explains 97.5%, p ~ U(900, 1100) 2.2%.

        Var(y) = E[p]²·Var(a) + E[a]²·Var(p) + Var(a)·Var(p) with a = 60(s − 0.1) ~ U(6, 30):
        48e6 + 1.08e6 + 0.16e6; the last part is an interaction no linear model explains.
        """
        programme = _programme(
            price=Uniform(900, 1100),
            share=Ref("s"),
            parameters=[Parameter("s", Uniform(0.2, 0.6))],
        )
        result = pg.global_sensitivity(programme, "fund:budget:total", scenarios=4000, seed=11)
        assert [SHARE, PRICE] == [row.parameter for row in result.rows]
        total = 49.24e6
        assert 48e6 / total == pytest.approx(result.rows[0].share, abs=0.01)
        assert 1.08e6 / total == pytest.approx(result.rows[1].share, abs=0.005)
        assert 1 - 0.16e6 / total == pytest.approx(result.r_squared, abs=0.003)
        assert sum(row.share for row in result.rows) == pytest.approx(result.r_squared, abs=0.01)
        assert result.rows[0].rank_correlation > 0.95
        assert 0 == result.missing

    def test_spearman_matches_scipy(self) -> None:
        """The rank correlation is Spearman's, ties included (a Poisson parameter)."""
        programme = _programme(
            price=Ref("n", factor=100, offset=500),
            parameters=[Parameter("n", Poisson(3))],
        )
        result = pg.global_sensitivity(programme, "fund:budget:total", scenarios=300, seed=4)
        spearman = st.spearmanr(result.draws.column("parameters[n].distribution"), result.values)
        assert spearman.statistic == pytest.approx(result.rows[0].rank_correlation)

    def test_chosen_parameters_keep_their_shares(self) -> None:
        """Reporting fewer parameters leaves their shares as they were."""
        programme = _programme(
            price=Uniform(900, 1100),
            share=Ref("s"),
            parameters=[Parameter("s", Uniform(0.2, 0.6))],
        )
        every = pg.global_sensitivity(programme, "fund:budget:total", scenarios=600, seed=1)
        one = pg.global_sensitivity(
            programme, "fund:budget:total", scenarios=600, seed=1, parameters=[PRICE]
        )
        assert [PRICE] == [row.parameter for row in one.rows]
        assert every.rows[1] == one.rows[0]

    def test_missing_outputs_are_left_out(self) -> None:
        """Scenarios without a value (no outcome paid) are counted and left out."""
        programme = _programme(share=Uniform(0.05, 0.5))  # below the baseline: none paid
        result = pg.global_sensitivity(programme, "contract:c:cost-per-outcome", scenarios=400)
        share = result.draws.column("contracts[c].metrics[job].share_achieving")
        assert int((share <= 0.1).sum()) == result.missing
        assert result.missing > 0

    def test_too_few_scenarios(self) -> None:
        """A regression needs more scenarios than columns of draws."""
        with pytest.raises(ValidationError, match="scenarios: expected more scenarios"):
            pg.global_sensitivity(leeuwarden_oost(), "fund:resultatenfonds:total", scenarios=20)


class TestBadInput:
    """Bad outputs and paths: every problem at once, each named."""

    @pytest.mark.parametrize(
        ("spec", "expected"),
        [
            ("fund:budget", "output: expected an output written KIND:ID:MEASURE"),
            ("fund:budget:average", "output: expected an output written KIND:ID:MEASURE"),
            ("fund::total", "output: expected an output written KIND:ID:MEASURE"),
            ("fund:budgt:total", r"output: expected the id of one of the programme's funds"),
            ("payer:prov:npv", r"output: expected the id of a stakeholder that pays out \('city'"),
            ("contract:c:irr", "output: expected an investor-financed contract"),
            ("contract:x:cost-per-outcome", r"expected the id of one of the programme's contracts"),
        ],
    )
    def test_bad_output(self, spec: str, expected: str) -> None:
        """A spec not of the form, or naming what the programme does not have."""
        with pytest.raises(ValidationError, match=expected):
            pg.one_way_sensitivity(_programme(price=Uniform(1, 2)), spec)

    def test_every_problem_at_once(self) -> None:
        """A bad output and bad paths are reported together, each with its place."""
        with pytest.raises(ValidationError) as caught:
            pg.one_way_sensitivity(
                _with_shared_share(),
                "fund:nope:total",
                parameters=[SHARE, "contracts[c].metrics[job].price", "contracts[zz].price"],
                quantiles=(0.9, 0.1),
            )
        assert ("output", "quantiles", "parameters[1]", "parameters[2]") == caught.value.paths
        fixed, unknown = caught.value.problems[2:]
        assert "a fixed 1000, which draws nothing" in str(fixed)
        assert "got 'contracts[zz].price'" in str(unknown)

    def test_reference_and_yearly_paths(self) -> None:
        """A reference names its parameter; a yearly path names its entries."""
        programme = _programme(share=Ref("s"), parameters=[Parameter("s", Uniform(0.2, 0.6))])
        programme = attrs.evolve(programme, deflator=Yearly({2021: Uniform(0, 0.1)}))
        with pytest.raises(ValidationError) as caught:
            pg.one_way_sensitivity(
                programme,
                "fund:budget:total",
                parameters=["contracts[c].metrics[job].share_achieving", "deflator"],
            )
        first, second = map(str, caught.value.problems)
        assert "a reference to parameter 's': name the parameter" in first
        assert "a yearly path: name one of its entries" in second

    def test_bad_bounds(self) -> None:
        """Bounds that are not two numbers, or that the programme refuses."""
        with pytest.raises(ValidationError) as caught:
            pg.one_way_sensitivity(
                _programme(),
                "fund:budget:total",
                bounds={
                    "contracts[c].name": (1, 2),
                    PRICE: (1,),
                    "contracts[0].metrics[0].price": (-5, 1),
                },
            )
        assert (
            "bounds[contracts[c].name]",
            f"bounds[{PRICE}]",
            f"bounds[{PRICE}].contracts[0].metrics[0].price",
        ) == caught.value.paths

    def test_global_unknown_path(self) -> None:
        """The global analysis checks its paths the same way."""
        with pytest.raises(ValidationError, match=r"parameters\[0\]: expected the path"):
            pg.global_sensitivity(_with_shared_share(), "fund:budget:total", parameters=["x"])


class TestCommandLine:
    """``programma sensitivity`` in each format, and its errors."""

    @pytest.fixture
    def file(self, tmp_path: pytest.TempPathFactory) -> str:
        path = tmp_path / "p.json"  # type: ignore[operator]
        pg.dump(_with_shared_share(price=Uniform(800, 1200)), path)
        return str(path)

    def run(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["sensitivity", *args], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    def test_table(self, file: str) -> None:
        """A readable table, largest swing first, amounts rounded."""
        code, out, _ = self.run(file, "--output", "fund:budget:total")
        assert EXIT_OK == code
        lines = out.splitlines()
        assert "base (every input at its mean): 18,000" == lines[2]
        assert lines[6].split() == [SHARE, "0.32", "0.48", "13,200", "22,800", "9,600"]
        assert lines[7].split() == [PRICE, "840", "1,160", "15,120", "20,880", "5,760"]

    def test_json(self, file: str) -> None:
        """JSON at full precision, the tornado rows in order."""
        code, out, _ = self.run(file, "--output", "fund:budget:total", "--format", "json")
        assert EXIT_OK == code
        document = json.loads(out)
        assert ("one-way", "fund:budget:total") == (document["analysis"], document["output"])
        assert [SHARE, PRICE] == [row["parameter"] for row in document["rows"]]
        assert 18 * 1160 == pytest.approx(document["rows"][1]["output_high"])

    def test_csv_to_file(self, file: str, tmp_path: pytest.TempPathFactory) -> None:
        """CSV written atomically to --out: the tornado data's columns."""
        target = tmp_path / "tornado.csv"  # type: ignore[operator]
        code, out, _ = self.run(
            file, "--output", "fund:budget:total", "--parameters", PRICE, "--format", "csv",
            "--out", str(target),
        )  # fmt: skip
        assert (EXIT_OK, "") == (code, out)
        rows = list(csv.DictReader(target.read_text().splitlines()))
        assert [
            "parameter",
            "low",
            "high",
            "output_low",
            "output_base",
            "output_high",
            "swing",
        ] == list(rows[0])
        assert [PRICE] == [row["parameter"] for row in rows]
        assert 840.0 == float(rows[0]["low"])

    def test_global_json(self, file: str) -> None:
        """With --scenarios, the shares of the variance."""
        code, out, _ = self.run(
            file, "--output", "fund:budget:total", "--scenarios", "500", "--seed", "3",
            "--format", "json",
        )  # fmt: skip
        assert EXIT_OK == code
        document = json.loads(out)
        assert ("global", 500, 3) == (document["analysis"], document["scenarios"], document["seed"])
        assert SHARE == document["rows"][0]["parameter"]

    def test_global_table_and_csv(self, file: str) -> None:
        """The global table for people, and its rows as CSV."""
        code, out, _ = self.run(file, "--output", "fund:budget:total", "--scenarios", "300")
        assert EXIT_OK == code
        assert "R² of the linear model" in out
        code, out, _ = self.run(
            file, "--output", "fund:budget:total", "--scenarios", "300", "--format", "csv"
        )
        assert ["parameter", "share", "rank_correlation"] == out.splitlines()[0].split(",")

    def test_example_without_file(self) -> None:
        """Without FILE, the embedded example."""
        code, out, _ = self.run(
            "--output",
            "contract:sib-werkroute:irr",
            "--parameters",
            "parameters[referral].distribution",
        )
        assert EXIT_OK == code, out
        assert "parameters[referral].distribution" in out

    def test_bad_output_and_path(self, file: str) -> None:
        """A usage error (exit 2) that names each problem."""
        code, out, err = self.run(file, "--output", "fund:x:total", "--parameters", "nope")
        assert (EXIT_USAGE, "") == (code, out)
        lines = err.splitlines()
        assert lines[0].startswith("programma sensitivity: --output: expected the id of one")
        assert lines[1].startswith("programma sensitivity: parameters[0]: expected the path")


class TestAreaOutput:
    def test_one_way_on_an_area(self) -> None:
        """An area's outflow is an output: the area's share of its contracts' payments."""
        from programma import AreaTotal, one_way_sensitivity, project
        from programma.analysis.areas import area_outflows
        from programma.examples import leeuwarden_oost

        oost = leeuwarden_oost()
        result = one_way_sensitivity(oost, "area:bilgaard:total")
        # The base value is the area's outflow in expected mode, split by hand below: every
        # fund outflow series of the expected projection, each over its entity's areas.
        expected = project(oost)
        areas_of = {c.id: c.areas for c in oost.contracts} | {
            i.id: i.areas for i in oost.initiatives
        }
        by_hand = 0.0
        for n, key in enumerate(expected.series):
            if (
                key.flow
                not in (
                    "grant",
                    "outcome_payment",
                    "advance",
                    "step_in_funding",
                    "prefinancing",
                    "prefinancing_repayment",
                    "guarantee_payment",
                    "advance_refund",
                )
                or not key.fund
            ):
                continue
            named = (key.area,) if key.area else areas_of.get(key.contract or key.initiative, ())
            if "bilgaard" in named:
                sign = -1.0 if key.flow == "advance_refund" else 1.0
                by_hand += sign * float(expected.values[0, :, n].sum()) / len(named)
        assert by_hand == pytest.approx(result.base, rel=1e-12)
        assert by_hand == pytest.approx(float(area_outflows(expected)["bilgaard"][0]), rel=1e-12)
        assert AreaTotal("bilgaard") == result.output

    def test_unknown_area(self) -> None:
        """An area the programme does not have is a problem at ``output``."""
        from programma import ValidationError, one_way_sensitivity
        from programma.examples import leeuwarden_oost

        with pytest.raises(ValidationError, match="one of the programme's areas"):
            one_way_sensitivity(leeuwarden_oost(), "area:nowhere:total")
