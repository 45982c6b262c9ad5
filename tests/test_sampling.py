"""Sampling (DESIGN §4.1): independent scenarios and the inverse-CDF Poisson draws."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import attrs
import mpmath
import numpy as np
import pytest
from scipy import stats

import programma as pg
from builders import D, base_programme, contract
from programma import (
    Decision,
    Enrolment,
    EnrolmentWindow,
    Gate,
    GateCondition,
    OutcomeMetric,
    Parameter,
    Poisson,
    Ref,
    Samples,
    Uniform,
)
from programma.uncertainty.ppf import POISSON_EXACT_MAX, poisson_ppf
from programma.uncertainty.sampling import BLOCK_SIZE, Draws, draw, stream

SCENARIOS = 300  # two blocks, the second one partly used


def noisy_contract(per_month: object, **changes: object) -> pg.OutcomeContract:
    """The builders' contract, enrolling for 18 months with Poisson noise."""
    windows = [EnrolmentWindow(D(2021, 1, 1), 18, per_month=per_month)]
    return contract(enrolment=Enrolment(windows, poisson=True), **changes)


def same_outside(a: pg.Projection, b: pg.Projection, keep: np.ndarray) -> None:
    """Every series and figure of the scenarios in ``keep`` is bit-identical in a and b."""
    assert a.series == b.series
    assert np.array_equal(a.values[keep], b.values[keep])
    for name, values in a.scalars.items():
        assert np.array_equal(values[keep], b.scalars[name][keep]), name


class TestOneScenarioChanged:
    """Changing one scenario's input changes no other scenario (DESIGN §4.1)."""

    @staticmethod
    def run(demand: np.ndarray) -> pg.Projection:
        programme = base_programme(
            contracts=[noisy_contract(Ref("demand", factor=10.0))],
            parameters=[Parameter("demand", Samples(demand))],
        )
        return pg.project(programme, scenarios=SCENARIOS, seed=7, resolution="month")

    def test_other_scenarios_are_bit_identical(self) -> None:
        """Scaling scenario 5's enrolment leaves every series of every other scenario alone."""
        demand = np.linspace(0.5, 2.0, SCENARIOS)
        changed = demand.copy()
        changed[5] *= 3.0
        before, after = self.run(demand), self.run(changed)
        others = np.arange(SCENARIOS) != 5
        same_outside(before, after, others)
        assert not np.array_equal(before.values[5], after.values[5])

    def test_a_block_of_mixed_means_draws_each_scenario_alone(self) -> None:
        """A scenario's counts are those it gets when its block holds only its own mean."""
        draws = Draws({}, (2021,), seed=3, blocks=1)
        means = np.linspace(0.0, 400.0, BLOCK_SIZE * 6).reshape(BLOCK_SIZE, 6)
        together = draws.poisson("noise", means)
        for row in (0, 17, 255):
            alone = np.zeros_like(means)
            alone[row] = means[row]
            assert np.array_equal(together[row], draws.poisson("noise", alone)[row])


class TestGateDecisionsCompared:
    """Two designs that differ only in a gate's not-met decision agree where it is met."""

    @staticmethod
    def run(not_met: Decision) -> pg.Projection:
        metric = OutcomeMetric(
            "job", "A job", 100, Uniform(0.2, 0.6), baseline=0.1, time_to_outcome=3
        )
        gate = Gate(
            "g",
            D(2021, 9, 1),
            GateCondition("c", "job", "count", 12.0),
            Decision("scale", 2.0),
            not_met,
            contract="c",
        )
        noisy = noisy_contract(5.0, metrics=[metric], verification_lag_months=0)
        programme = base_programme(contracts=[noisy], gates=[gate])
        return pg.project(programme, scenarios=SCENARIOS, seed=11, resolution="month")

    def test_scenarios_where_the_gate_is_met_are_bit_identical(self) -> None:
        """Stop or halve when not met: the met scenarios do not notice the difference."""
        stop, halve = self.run(Decision("stop")), self.run(Decision("scale", 0.5))
        met = stop.scalars["gate_met/g"] == 1.0
        assert np.array_equal(met, halve.scalars["gate_met/g"] == 1.0)
        assert 20 < met.sum() < SCENARIOS - 20  # both outcomes are common
        same_outside(stop, halve, met)
        assert not np.array_equal(stop.values[~met], halve.values[~met])


def exact_quantile(u: Fraction, lam: str) -> int:
    """The smallest k with F(k) ≥ u, summing the pmf in 60-digit decimals."""
    with localcontext() as ctx:
        ctx.prec = 60
        mean = Decimal(lam)
        target = Decimal(u.numerator) / Decimal(u.denominator)
        term = total = (-mean).exp()
        k = 0
        while total < target:
            k += 1
            term = term * mean / k
            total += term
        return k


class TestPoissonQuantile:
    """poisson_ppf is the exact inverse CDF: the smallest k with F(k) ≥ u."""

    LEVELS = (2.0**-53, 1e-12, 1e-6, 1e-3, 0.01, 0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 0.99, 0.999999)
    MEANS = (1e-300, 1e-12, 1e-6, 0.01, 0.1, 0.5, 1.0, 2.5, 7.0, 19.9, 20.0, 20.1, 99.5, 500.0,
             999.9, 1000.5, 5000.0, 123456.7, 1e6)  # fmt: skip

    def test_matches_scipy_on_a_grid(self) -> None:
        """Every level × mean of the grid gives scipy's quantile."""
        u, lam = np.meshgrid(self.LEVELS, self.MEANS)
        expected = stats.poisson(lam).ppf(u)
        assert expected.tolist() == poisson_ppf(u, lam).tolist()

    @pytest.mark.parametrize("lam", ["1e-12", "0.3", "2.5", "20", "37.5"])
    @pytest.mark.parametrize("level", [2.0**-53, 1 - 1e-12, 1 - 2.0**-53])
    def test_extreme_levels_match_exact_sums(self, level: float, lam: str) -> None:
        """Near 0 and 1, where scipy's absolute precision gives out, it matches exact sums."""
        expected = exact_quantile(Fraction(level), lam)
        assert expected == poisson_ppf(np.array([level]), np.array([float(lam)]))[0]

    @pytest.mark.parametrize("lam", [3e7, 1e9])
    @pytest.mark.parametrize("level", [1e-9, 0.3, 0.5, 0.999999])
    def test_large_means_bracket_the_level(self, level: float, lam: float) -> None:
        """F(k − 1) < u ≤ F(k) in 40-digit arithmetic (scipy's cdf is off by 15% at 3e7)."""
        k = poisson_ppf(np.array([level]), np.array([lam]))[0]
        with mpmath.workdps(40):
            cdf = [mpmath.gammainc(count + 1, lam, regularized=True) for count in (k - 1, k)]
        assert cdf[0] < level <= cdf[1]

    def test_edges(self) -> None:
        """u = 0 and mean 0 give 0; mean 2**53 is within a count or two of the normal quantile."""
        assert [0.0, 0.0, 0.0] == poisson_ppf(
            np.array([0.0, 0.7, 0.0]), np.array([5.0, 0.0, 0.0])
        ).tolist()
        big = 2.0 * POISSON_EXACT_MAX
        z = stats.norm.ppf(0.9)
        assert abs(big + z * math.sqrt(big) - poisson_ppf(np.array([0.9]), big)[0]) < 3

    @pytest.mark.parametrize(
        ("u", "lam"), [(1.0, 1.0), (-0.1, 1.0), (0.5, -1.0), (0.5, math.inf), (0.5, math.nan)]
    )
    def test_refuses_levels_and_means_out_of_range(self, u: float, lam: float) -> None:
        """A level outside [0, 1) or a mean that is not a finite number ≥ 0 is refused."""
        with pytest.raises(ValueError, match="Poisson"):
            poisson_ppf(np.array([u]), np.array([lam]))

    def test_draws_fit_their_distribution(self) -> None:
        """Draws over means from 1e-3 to 1e8 pass a KS test of their randomised PIT.

        For X ~ Poisson(λ) and V uniform, F(X − 1) + V·p(X) is uniform on [0, 1] whatever λ,
        so one test covers every regime of the algorithm. Fixed seed; the threshold p > 0.001
        is one a correct sampler fails once in a thousand seeds (this seed gives p ≈ 0.88).
        """
        rng = np.random.default_rng(20240601)
        lam = 10.0 ** rng.uniform(-3, 8, 200_000)
        counts = poisson_ppf(rng.random(lam.size), lam)
        pit = stats.poisson.cdf(counts - 1, lam) + rng.random(lam.size) * stats.poisson.pmf(
            counts, lam
        )
        assert stats.kstest(pit, "uniform").pvalue > 1e-3

    def test_one_mean_fits_by_chi_square(self) -> None:
        """100,000 draws with mean 3.7 pass a chi-square test on the counts 0…11 and ≥ 12."""
        counts = poisson_ppf(np.random.default_rng(5).random(100_000), 3.7)
        observed = np.bincount(np.minimum(counts.astype(int), 12), minlength=13)
        probabilities = np.append(stats.poisson.pmf(np.arange(12), 3.7), stats.poisson.sf(11, 3.7))
        result = stats.chisquare(observed, probabilities * counts.size)
        # Fixed seed (p ≈ 0.64); a correct sampler fails 1 seed in 1000, mean 3.75 gives 1e-13.
        assert result.pvalue > 1e-3


class TestPoissonDistributionDraws:
    """The Poisson distribution is drawn by inverse CDF, one uniform per scenario."""

    def test_draw_is_the_quantile_of_the_streams_uniforms(self) -> None:
        """Scenario i takes the quantile of the i-th uniform of its stream."""
        uniforms = stream(0, 2, "delay").random(BLOCK_SIZE)
        expected = [exact_quantile(Fraction(u), "4.5") for u in uniforms[:20]]
        assert expected == draw(Poisson(4.5), stream(0, 2, "delay"), BLOCK_SIZE)[:20].tolist()


class TestProgrammeWithPoisson:
    """A programme's Poisson fields and noise run the same in any chunking."""

    def test_chunking_does_not_matter(self) -> None:
        """One chunk or many: the same numbers."""
        noisy = noisy_contract(7.5)
        metric = attrs.evolve(noisy.metrics[0], time_to_outcome=Poisson(4.0))
        programme = base_programme(contracts=[attrs.evolve(noisy, metrics=[metric])])
        whole = pg.project(programme, scenarios=600, seed=2)
        chunked = pg.project(programme, scenarios=600, seed=2, chunk_size=256)
        assert np.array_equal(whole.values, chunked.values)


class TestOnlyTheScenariosWanted:
    """A run whose size is not a whole number of blocks computes only its own scenarios."""

    def test_draws_are_the_first_of_the_whole_blocks(self) -> None:
        """Cut to 300 scenarios, every kind of draw is the first 300 of two whole blocks."""
        noise = Poisson(3.0)
        whole = Draws({"p": noise}, (2021, 2022), seed=5, blocks=2)
        cut = Draws({"p": noise}, (2021, 2022), seed=5, blocks=2, scenarios=SCENARIOS)
        means = np.linspace(0.0, 4.0, 2 * BLOCK_SIZE * 3).reshape(2 * BLOCK_SIZE, 3)
        pairs = [
            (whole.scalar("a", Uniform(0.0, 1.0)), cut.scalar("a", Uniform(0.0, 1.0))),
            (whole.scalar("b", Samples(range(600))), cut.scalar("b", Samples(range(600)))),
            (whole.yearly("c", Ref("p")), cut.yearly("c", Ref("p"))),
            (whole.poisson("d", means), cut.poisson("d", means[:SCENARIOS])),
        ]
        assert SCENARIOS == cut.size
        for full, first in pairs:
            assert full[:SCENARIOS].tobytes() == first.tobytes()

    def test_more_than_the_blocks_hold_is_refused(self) -> None:
        """Asking for more scenarios than the blocks hold is an error, not a silent cut."""
        with pytest.raises(ValueError, match="scenarios: expected 1 to 256, got 257"):
            Draws({}, (2021,), blocks=1, scenarios=257)

    def test_a_run_of_100_draws_100(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``project(..., scenarios=100)`` works on 100 scenarios, not on a block of 256."""
        sizes: list[int] = []
        real = Draws.__init__

        def recording(self: Draws, *args: object, **kwargs: object) -> None:
            real(self, *args, **kwargs)  # type: ignore[arg-type]
            sizes.append(self.size)

        monkeypatch.setattr(Draws, "__init__", recording)
        projection = pg.project(base_programme(contracts=[contract()]), scenarios=100)
        assert [100] == sizes
        assert 100 == projection.scenarios
