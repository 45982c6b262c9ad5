"""Distributions: their validation, analytic means, supports, yearly paths and field domains."""

# The house style puts the expected value first in asserts.

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import pytest

from programma import (
    Beta,
    Fixed,
    Initiative,
    LogNormal,
    Normal,
    OutcomeMetric,
    Pert,
    Poisson,
    Ref,
    Samples,
    Triangular,
    Uniform,
    ValidationError,
    Yearly,
    mean_of,
    support_of,
)
from programma.model.domains import NON_NEGATIVE, RATE, SHARE, Domain, within

ID_EXPECTED = "an id of 1-100 letters, digits, '_', '-' or '.' (not starting with '-' or '.')"


def integrated_mean(density, low: float, high: float, points: int = 400_001) -> float:
    """The mean of an (unnormalised) density on [low, high], by the trapezoidal rule.

    Densities with an infinite slope at an end (a beta shape below 2) converge more slowly,
    so their tests allow a relative error of 1e-6.
    """
    x = np.linspace(low, high, points)
    weight = density(x)
    return float(np.trapezoid(x * weight, x) / np.trapezoid(weight, x))


def normal_density(mean: float, sd: float):
    return lambda x: np.exp(-0.5 * ((x - mean) / sd) ** 2)


def beta_density(alpha: float, beta: float, low: float, high: float):
    def density(x):
        u = (x - low) / (high - low)
        return u ** (alpha - 1) * (1 - u) ** (beta - 1)

    return density


def problem_at(error: ValidationError, path: str):
    """The one problem of ``error`` at ``path``."""
    matching = [problem for problem in error.problems if problem.path == path]
    assert 1 == len(matching), f"problems at {path!r}: {error.paths}"
    return matching[0]


class TestValidation:
    """Each distribution refuses parameters that do not describe a distribution."""

    @pytest.mark.parametrize(
        ("build", "path", "expected", "given"),
        [
            pytest.param(lambda: Fixed(math.nan), "value", "a finite number", "nan", id="fixed"),
            pytest.param(lambda: Fixed(math.inf), "value", "a finite number", "inf", id="fixed-i"),
            pytest.param(
                lambda: Uniform(0.5, 0.2), "high", "a number ≥ low (0.5)", "0.2", id="uniform"
            ),
            pytest.param(
                lambda: Uniform(math.nan, 1), "low", "a finite number", "nan", id="uniform-nan"
            ),
            pytest.param(
                lambda: Uniform(0, math.inf), "high", "a finite number", "inf", id="uniform-inf"
            ),
            pytest.param(
                lambda: Triangular(0.5, 0.2, 1),
                "mode",
                "a number ≥ low (0.5)",
                "0.2",
                id="triangular-mode",
            ),
            pytest.param(
                lambda: Triangular(0, 0.8, 0.5),
                "high",
                "a number ≥ mode (0.8)",
                "0.5",
                id="triangular-high",
            ),
            pytest.param(
                lambda: Triangular(0, 0.5, math.inf),
                "high",
                "a finite number",
                "inf",
                id="triangular-inf",
            ),
            pytest.param(
                lambda: Pert(800, 700, 1500), "mode", "a number ≥ low (800)", "700.0", id="pert"
            ),
            pytest.param(
                lambda: Pert(800, 1000, 900),
                "high",
                "a number ≥ mode (1000)",
                "900.0",
                id="pert-high",
            ),
            pytest.param(
                lambda: Pert(math.nan, 1000, 1500), "low", "a finite number", "nan", id="pert-nan"
            ),
            pytest.param(lambda: Normal(0, -1), "sd", "a number ≥ 0", "-1.0", id="normal-sd"),
            pytest.param(
                lambda: Normal(0, math.inf), "sd", "a finite number ≥ 0", "inf", id="normal-sd-inf"
            ),
            pytest.param(
                lambda: Normal(math.nan, 1), "mean", "a finite number", "nan", id="normal-mean"
            ),
            pytest.param(
                lambda: Normal(0, 1, low=math.nan), "low", "a finite number", "nan", id="normal-lo"
            ),
            pytest.param(
                lambda: Normal(0, 1, high=math.inf),
                "high",
                "a finite number",
                "inf",
                id="normal-hi",
            ),
            pytest.param(
                lambda: Normal(0, 1, low=1, high=0.5),
                "high",
                "a number > low (1)",
                "0.5",
                id="normal-bounds",
            ),
            pytest.param(
                lambda: Normal(0, 1, low=1, high=1),
                "high",
                "a number > low (1)",
                "1.0",
                id="normal-equal-bounds",
            ),
            pytest.param(
                lambda: Normal(2, 0, low=0, high=1),
                "mean",
                "a mean inside [low, high] when sd is 0",
                "2.0",
                id="normal-degenerate",
            ),
            pytest.param(
                lambda: Normal(0, 1, low=40),
                "low",
                "truncation bounds that keep a probability of at least 1e-9",
                "(40.0, None)",
                id="normal-no-mass",
            ),
            pytest.param(
                lambda: Normal(0, 1, low=6.5),
                "low",
                "truncation bounds that keep a probability of at least 1e-9",
                "(6.5, None)",
                id="normal-tail-mass",
            ),
            pytest.param(
                lambda: LogNormal(0, -1), "sigma", "a number ≥ 0", "-1.0", id="lognormal-sigma"
            ),
            pytest.param(
                lambda: LogNormal(math.inf, 1), "mu", "a finite number", "inf", id="lognormal-mu"
            ),
            pytest.param(
                lambda: LogNormal(33, 2),  # mean exp(35) ≈ 1.6e15 > 1e15
                "mu",
                "mu + sigma²/2 ≤ 34.5 and sigma ≤ 40 (a mean of at most 1e15)",
                "33.0",
                id="lognormal-mean",
            ),
            pytest.param(
                lambda: LogNormal(700, 0),
                "mu",
                "mu + sigma²/2 ≤ 34.5 and sigma ≤ 40 (a mean of at most 1e15)",
                "700.0",
                id="lognormal-mu-700",
            ),
            pytest.param(
                lambda: Normal(0, 1e300),
                "sd",
                "a number from −1e15 to 1e15 (the limit on any number in a programme)",
                "1e+300",
                id="normal-sd-huge",
            ),
            pytest.param(
                lambda: Fixed(1e308),
                "value",
                "a number from −1e15 to 1e15 (the limit on any number in a programme)",
                "1e+308",
                id="fixed-huge",
            ),
            pytest.param(
                lambda: Poisson(1e19),
                "lam",
                "a number from −1e15 to 1e15 (the limit on any number in a programme)",
                "1e+19",
                id="poisson-huge",
            ),
            pytest.param(
                lambda: Poisson(2e9),
                "lam",
                "a mean of at most 1e9 (use a normal for larger counts)",
                "2000000000.0",
                id="poisson-lam-limit",
            ),
            pytest.param(lambda: Beta(0, 1), "alpha", "a number > 0", "0.0", id="beta-alpha"),
            pytest.param(lambda: Beta(1, -1), "beta", "a number > 0", "-1.0", id="beta-beta"),
            pytest.param(
                lambda: Beta(math.inf, 1), "alpha", "a finite number > 0", "inf", id="beta-inf"
            ),
            pytest.param(
                lambda: Beta(1, 1, low=1, high=0),
                "high",
                "a number > low (1)",
                "0.0",
                id="beta-bounds",
            ),
            pytest.param(
                lambda: Beta(1, 1, low=math.nan), "low", "a finite number", "nan", id="beta-nan"
            ),
            pytest.param(lambda: Poisson(-1), "lam", "a number ≥ 0", "-1.0", id="poisson"),
            pytest.param(
                lambda: Poisson(math.inf), "lam", "a finite number ≥ 0", "inf", id="poisson-inf"
            ),
            pytest.param(lambda: Samples([]), "values", "at least one value", "[]", id="samples"),
            pytest.param(
                lambda: Samples([1, math.nan]),
                "values",
                "finite numbers",
                "nan at index 1",
                id="samples-nan",
            ),
            pytest.param(lambda: Ref("-p"), "name", ID_EXPECTED, "'-p'", id="ref-name"),
            pytest.param(
                lambda: Ref("p", factor=math.inf), "factor", "a finite number", "inf", id="ref-f"
            ),
            pytest.param(
                lambda: Ref("p", offset=math.nan), "offset", "a finite number", "nan", id="ref-o"
            ),
            pytest.param(lambda: Yearly({}), "by_year", "at least one year", "{}", id="yearly"),
            pytest.param(
                lambda: Yearly({1800: 1}),
                "by_year[1800]",
                "a year from 1900 to 2300",
                "1800",
                id="yearly-year",
            ),
            pytest.param(
                lambda: Yearly(((2021, 1), (2021, 2))),
                "by_year[2021]",
                "each year listed once",
                "2021",
                id="yearly-twice",
            ),
        ],
    )
    def test_rejects(self, build, path, expected, given):
        """An invalid distribution names the field, what was expected and what was given."""
        with pytest.raises(ValidationError) as exc:
            build()
        assert expected == problem_at(exc.value, path).expected
        assert f"{path}: expected {expected}, got {given}" in str(exc.value)

    @pytest.mark.parametrize(
        "build",
        [
            lambda: Fixed(0),
            lambda: Uniform(1, 1),
            lambda: Triangular(1, 1, 1),
            lambda: Triangular(0, 0, 1),
            lambda: Pert(0, 1, 1),
            lambda: Normal(0, 0),
            lambda: Normal(0.5, 0, low=0, high=1),
            lambda: Normal(0, 1, low=5.9),
            lambda: Normal(0, 1, high=-5.9),
            lambda: LogNormal(0, 0),
            lambda: LogNormal(34.5, 0),
            lambda: Beta(0.5, 0.5, low=-1, high=2),
            lambda: Poisson(0),
            lambda: Samples([1]),
            lambda: Ref("p", factor=-2, offset=0.5),
            lambda: Yearly({1900: 1, 2300: Uniform(0, 1)}),
        ],
    )
    def test_accepts(self, build):
        """Valid parameters, including degenerate ones, build a distribution."""
        build()

    @pytest.mark.parametrize(
        ("build", "path"),
        [
            pytest.param(lambda: Triangular("low", 1, 2), "low", id="triangular"),
            pytest.param(lambda: Pert(0, "mode", 1), "mode", id="pert"),
        ],
    )
    def test_non_numbers_are_reported(self, build, path):
        """A value that is not a number is a problem, not a crash (as for Uniform)."""
        with pytest.raises(ValidationError) as exc:
            build()
        assert "a finite number" == problem_at(exc.value, path).expected

    def test_huge_lognormal_sigma_is_reported(self):
        """A sigma so large that sigma² overflows is a problem, not an OverflowError."""
        with pytest.raises(ValidationError) as exc:
            LogNormal(0, 1e200)
        assert any("sigma²/2 ≤ 34.5" in problem.expected for problem in exc.value.problems)
        assert {"mu", "sigma"} >= set(exc.value.paths)

    def test_numbers_become_floats(self):
        """Integer parameters are stored as floats."""
        assert (0.0, 2.0) == (Uniform(0, 2).low, Uniform(0, 2).high)
        assert [1.0, 2.0] == Samples([1, 2]).values.tolist()


class TestMean:
    """mean_of agrees with independent numerical references."""

    @pytest.mark.parametrize(
        ("dist", "expected"),
        [
            (Fixed(3), 3.0),
            (Uniform(0.2, 0.4), 0.3),
            (Triangular(0, 3, 6), 3.0),
            (Triangular(0.3, 0.4, 0.8), 0.5),
            (Pert(800, 1000, 1500), 1050.0),
            (Normal(1.0, 0.1), 1.0),
            (LogNormal(0.0, 0.0), 1.0),
            (Beta(2, 6), 0.25),
            (Poisson(2.5), 2.5),
            (Samples([1, 2, 6]), 3.0),
        ],
    )
    def test_closed_forms(self, dist, expected):
        """Simple cases have the textbook means."""
        assert expected == pytest.approx(mean_of(dist), rel=1e-12)

    @pytest.mark.parametrize(
        ("low", "mode", "high"), [(0, 3, 6), (0.3, 0.4, 0.8), (10, 10, 20), (-5, 2, 2)]
    )
    def test_triangular(self, low, mode, high):
        """The triangular mean matches the integral of its density."""

        def density(x):
            rising = (x - low) / (mode - low) if mode > low else np.ones_like(x)
            falling = (high - x) / (high - mode) if high > mode else np.ones_like(x)
            return np.where(x <= mode, rising, falling)

        expected = integrated_mean(density, low, high)
        assert expected == pytest.approx(mean_of(Triangular(low, mode, high)), rel=1e-8)

    @pytest.mark.parametrize(
        ("low", "mode", "high"), [(800, 1000, 1500), (0, 0.1, 1), (0, 0.5, 1), (-3, 2, 4)]
    )
    def test_pert(self, low, mode, high):
        """The PERT mean matches the integral of its beta density (λ = 4)."""
        alpha = 1 + 4 * (mode - low) / (high - low)
        beta = 1 + 4 * (high - mode) / (high - low)
        expected = integrated_mean(beta_density(alpha, beta, low, high), low, high)
        assert expected == pytest.approx(mean_of(Pert(low, mode, high)), rel=1e-6)

    @pytest.mark.parametrize(
        ("alpha", "beta", "low", "high"),
        [(2, 6, 0, 1), (3.5, 1.5, 10, 20), (1, 1, -1, 1), (1.2, 7, 0, 1000)],
    )
    def test_beta(self, alpha, beta, low, high):
        """The scaled beta mean matches the integral of its density."""
        expected = integrated_mean(beta_density(alpha, beta, low, high), low, high)
        assert expected == pytest.approx(mean_of(Beta(alpha, beta, low, high)), rel=1e-6)

    @pytest.mark.parametrize(
        ("mean", "sd", "low", "high"),
        [
            (0.4, 0.1, 0.0, 1.0),
            (0.4, 0.3, 0.0, 1.0),
            (0.0, 1.0, 0.0, None),
            (0.0, 1.0, None, 0.5),
            (100.0, 50.0, 0.0, None),
            (0.3, 10.0, 0.0, 1.0),
            (0.0, 1.0, 5.9, None),
            (0.0, 1.0, 3.0, 4.0),
            (0.0, 1.0, None, -5.9),
            (0.0, 1.0, -6.0, -5.5),
        ],
    )
    def test_truncated_normal(self, mean, sd, low, high):
        """The truncated normal mean matches numerical integration, tails included."""
        a = mean - 40 * sd if low is None else low
        b = mean + 40 * sd if high is None else high
        if low is not None and a > mean:
            b = min(b, a + 40 * sd)
        if high is not None and b < mean:
            a = max(a, b - 40 * sd)
        expected = integrated_mean(normal_density(mean, sd), a, b, points=2_000_001)
        actual = mean_of(Normal(mean, sd, low=low, high=high))
        assert expected == pytest.approx(actual, rel=1e-9, abs=1e-12)

    def test_truncated_normal_against_sample(self):
        """The truncated normal mean matches a large numpy sample within 5 standard errors."""
        rng = np.random.default_rng(20210101)
        draws = rng.normal(0.4, 0.3, 2_000_000)
        kept = draws[(draws >= 0.0) & (draws <= 1.0)]
        standard_error = kept.std() / math.sqrt(kept.size)
        actual = mean_of(Normal(0.4, 0.3, low=0.0, high=1.0))
        assert abs(kept.mean() - actual) < 5 * standard_error

    def test_degenerate_normal_keeps_its_mean(self):
        """A truncated normal with sd 0 has its mean."""
        assert 0.5 == mean_of(Normal(0.5, 0, low=0, high=1))

    @pytest.mark.parametrize(("mu", "sigma"), [(0.0, 0.5), (1.0, 0.25), (-2.0, 1.0)])
    def test_lognormal(self, mu, sigma):
        """The lognormal mean matches integration over the log scale."""
        logs = np.linspace(mu - 40 * sigma, mu + 40 * sigma, 2_000_001)
        density = normal_density(mu, sigma)(logs)
        expected = float(np.trapezoid(np.exp(logs) * density, logs) / np.trapezoid(density, logs))
        assert expected == pytest.approx(mean_of(LogNormal(mu, sigma)), rel=1e-9)

    def test_lognormal_against_sample(self):
        """The lognormal mean matches a large numpy sample within 5 standard errors."""
        draws = np.random.default_rng(7).lognormal(0.0, 0.5, 1_000_000)
        standard_error = draws.std() / math.sqrt(draws.size)
        assert abs(draws.mean() - mean_of(LogNormal(0.0, 0.5))) < 5 * standard_error

    @pytest.mark.parametrize("lam", [0.0, 0.3, 2.5, 40.0])
    def test_poisson(self, lam):
        """The Poisson mean is the sum of k · pmf(k)."""
        expected = math.fsum(
            k * math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1)) if lam else 0.0
            for k in range(400)
        )
        assert expected == pytest.approx(mean_of(Poisson(lam)), rel=1e-12, abs=1e-12)

    def test_samples(self):
        """Samples take their sample mean."""
        values = [0.1, 0.7, 0.25, 3.0]
        assert statistics.fmean(values) == pytest.approx(mean_of(Samples(values)), rel=1e-15)

    def test_ref_scales_the_parameter(self):
        """A reference is factor × the parameter's mean + offset."""
        parameters = {"shock": Uniform(0.5, 0.7)}
        assert 0.4 == pytest.approx(mean_of(Ref("shock", factor=0.5, offset=0.1), parameters))

    def test_ref_to_yearly_parameter_takes_the_year(self):
        """A reference to a yearly parameter has that year's mean."""
        parameters = {"growth": Yearly({2021: 0.02, 2025: Uniform(0.02, 0.04)})}
        means = [mean_of(Ref("growth", factor=2), parameters, year=y) for y in (2021, 2030)]
        assert [0.04, 0.06] == pytest.approx(means)

    def test_yearly_takes_the_year(self):
        """A yearly path has the mean of the distribution in force in the year."""
        path = Yearly({2021: 0.02, 2025: Uniform(0.02, 0.04)})
        means = [mean_of(path, year=y) for y in (2020, 2021, 2024, 2025, 2030)]
        assert [0.02, 0.02, 0.02, 0.03, 0.03] == pytest.approx(means)

    @pytest.mark.parametrize("parameters", [None, {}, {"other": Fixed(1)}])
    def test_unknown_ref_raises_key_error(self, parameters):
        """A reference to a parameter that is not given has no mean."""
        with pytest.raises(KeyError, match="unknown parameter 'shock'"):
            mean_of(Ref("shock"), parameters)

    @pytest.mark.parametrize(
        ("dist", "parameters"),
        [(Yearly({2021: 1}), None), (Ref("growth"), {"growth": Yearly({2021: 1})})],
    )
    def test_yearly_without_year_raises(self, dist, parameters):
        """A yearly path needs a year to have a mean."""
        with pytest.raises(ValueError, match="needs a year"):
            mean_of(dist, parameters)


class TestSupport:
    """support_of gives the interval a distribution's values lie in."""

    @pytest.mark.parametrize(
        ("dist", "expected"),
        [
            (Fixed(2), (2.0, 2.0)),
            (Uniform(0.2, 0.4), (0.2, 0.4)),
            (Triangular(0, 3, 6), (0.0, 6.0)),
            (Pert(800, 1000, 1500), (800.0, 1500.0)),
            (Normal(0.4, 0.1), (-math.inf, math.inf)),
            (Normal(0.4, 0.1, low=0), (0.0, math.inf)),
            (Normal(0.4, 0.1, high=1), (-math.inf, 1.0)),
            (Normal(0.4, 0.1, low=0, high=1), (0.0, 1.0)),
            (LogNormal(0, 1), (0.0, math.inf)),
            (Beta(2, 6), (0.0, 1.0)),
            (Beta(2, 6, low=-1, high=3), (-1.0, 3.0)),
            (Poisson(3), (0.0, math.inf)),
            (Samples([3, -1, 2]), (-1.0, 3.0)),
            (Yearly({2021: 0.02, 2025: Uniform(0.01, 0.05)}), (0.01, 0.05)),
        ],
    )
    def test_support(self, dist, expected):
        """Each distribution's support is the smallest interval holding its values."""
        assert expected == support_of(dist)

    @pytest.mark.parametrize(
        ("ref", "expected"),
        [
            (Ref("p"), (0.0, 1.0)),
            (Ref("p", factor=-2, offset=1), (-1.0, 1.0)),
            (Ref("p", factor=0, offset=0.3), (0.3, 0.3)),
            (Ref("q", factor=-1), (-math.inf, -0.0)),
            (Ref("q", factor=0, offset=2), (2.0, 2.0)),
        ],
    )
    def test_ref_is_resolved_through_parameters(self, ref, expected):
        """A reference's support is the affine image of its parameter's support."""
        parameters = {"p": Uniform(0, 1), "q": LogNormal(0, 1)}
        assert expected == support_of(ref, parameters)

    @pytest.mark.parametrize(
        ("dist", "parameters"),
        [
            (Ref("p"), None),
            (Ref("p"), {"other": Fixed(1)}),
            (Yearly({2021: 1, 2022: Ref("p")}), {}),
        ],
    )
    def test_unknown_ref_has_no_support(self, dist, parameters):
        """Without the parameter the support cannot be known."""
        assert support_of(dist, parameters) is None


class TestYearlyAt:
    """Yearly.at picks the distribution in force in a year."""

    @pytest.mark.parametrize(
        ("year", "expected"),
        [(1999, Fixed(1)), (2021, Fixed(1)), (2022, Fixed(1)), (2023, Fixed(2)), (2090, Fixed(3))],
    )
    def test_at(self, year, expected):
        """A value holds from its year to the next; earlier years take the first value."""
        path = Yearly({2023: 2, 2021: 1, 2030: 3})
        assert expected == path.at(year)

    def test_years_are_sorted(self):
        """The path keeps its years in order, whatever order they were given in."""
        assert (2021, 2023) == tuple(year for year, _ in Yearly({2023: 2, 2021: 1}).by_year)

    def test_numbers_become_fixed(self):
        """Plain numbers in a path become Fixed."""
        assert ((2021, Fixed(0.02)),) == Yearly({2021: 0.02}).by_year


class TestDomain:
    """A domain says in words which values a field accepts."""

    @pytest.mark.parametrize(
        ("domain", "phrase"),
        [
            (NON_NEGATIVE, "≥ 0"),
            (SHARE, "in [0, 1]"),
            (RATE, "> −1"),
            (Domain(0.0, 1.0, open_low=True), "in (0, 1]"),
        ],
    )
    def test_phrase(self, domain, phrase):
        """The phrase shows the bounds and whether the low end is open."""
        assert phrase == domain.phrase

    @pytest.mark.parametrize(
        ("domain", "low", "high", "expected"),
        [
            (SHARE, 0.0, 1.0, True),
            (SHARE, -0.1, 1.0, False),
            (SHARE, 0.0, 1.1, False),
            (RATE, -1.0, 0.5, False),
            (RATE, -0.99, math.inf, True),
            (NON_NEGATIVE, 0.0, math.inf, True),
            (NON_NEGATIVE, -math.inf, 5, False),
        ],
    )
    def test_holds(self, domain, low, high, expected):
        """An interval holds when every value in it lies in the domain."""
        assert expected == domain.holds(low, high)


class TestWithin:
    """A bounded field refuses a distribution that can leave its domain, and says why."""

    @pytest.mark.parametrize(
        ("dist", "domain", "message"),
        [
            (Fixed(-5), NON_NEGATIVE, "price: expected a number ≥ 0, got -5.0"),
            (Fixed(1.5), SHARE, "price: expected a number in [0, 1], got 1.5"),
            (Fixed(-1), RATE, "price: expected a number > −1, got -1.0"),
            (
                Normal(100, 10),
                NON_NEGATIVE,
                "price: expected a distribution whose values stay ≥ 0 (truncate it explicitly"
                " with low/high), got normal(mean=100, sd=10), which ranges over (−∞, ∞)",
            ),
            (
                Normal(0.4, 0.1, low=0),
                SHARE,
                "price: expected a distribution whose values stay in [0, 1] (truncate it"
                " explicitly with low/high), got normal(mean=0.4, sd=0.1, low=0), which ranges"
                " over (0, ∞)",
            ),
            (
                Uniform(-1, 0.1),
                RATE,
                "price: expected a distribution whose values stay > −1 (truncate it explicitly"
                " with low/high), got uniform(low=-1, high=0.1), which ranges over (-1, 0.1)",
            ),
            (
                Poisson(0.5),
                SHARE,
                "price: expected a distribution whose values stay in [0, 1] (truncate it"
                " explicitly with low/high), got poisson(lam=0.5), which ranges over (0, ∞)",
            ),
            (
                Samples([0.2, 1.2]),
                SHARE,
                "price: expected a distribution whose values stay in [0, 1] (truncate it"
                " explicitly with low/high), got samples(2 values), which ranges over (0.2, 1.2)",
            ),
            (
                Beta(2, 2, low=-0.5, high=1),
                SHARE,
                "price: expected a distribution whose values stay in [0, 1] (truncate it"
                " explicitly with low/high), got beta(alpha=2, beta=2, low=-0.5), which ranges"
                " over (-0.5, 1)",
            ),
        ],
    )
    def test_rejects_values_outside_the_domain(self, dist, domain, message):
        """A distribution whose support leaves the domain is one problem with a clear message."""
        problems = list(within("price", dist, domain))
        assert [message] == [str(problem) for problem in problems]

    @pytest.mark.parametrize(
        ("dist", "domain"),
        [
            (Fixed(0), NON_NEGATIVE),
            (Normal(100, 10, low=0), NON_NEGATIVE),
            (Normal(0.4, 0.1, low=0, high=1), SHARE),
            (Normal(0.02, 0.01, low=-0.5), RATE),
            (LogNormal(0, 1), NON_NEGATIVE),
            (Beta(2, 6), SHARE),
            (Uniform(0, 1), SHARE),
            (Triangular(0.3, 0.4, 0.8), SHARE),
            (Pert(0, 0.1, 1), SHARE),
            (Poisson(3), NON_NEGATIVE),
            (Samples([0, 1]), SHARE),
            (Uniform(-0.99, 0.1), RATE),
        ],
    )
    def test_accepts_values_inside_the_domain(self, dist, domain):
        """A distribution that stays inside the domain (explicitly truncated if need be) passes."""
        assert [] == list(within("price", dist, domain))

    def test_yearly_only_where_allowed(self):
        """A yearly path is refused in a scalar field and accepted where yearly is allowed."""
        path = Yearly({2021: 0.02, 2025: 0.03})
        problems = [str(problem) for problem in within("price", path, NON_NEGATIVE)]
        assert [
            "price: expected a distribution of one value per scenario (yearly paths are for"
            " indexation rates), got yearly(2021, 2025)"
        ] == problems
        assert [] == list(within("indexation", path, RATE, yearly=True))

    def test_yearly_path_is_checked_in_every_year(self):
        """Every year of a yearly path must stay in the domain."""
        path = Yearly({2021: 0.02, 2025: -1.5})
        problems = list(within("indexation", path, RATE, yearly=True))
        assert ["indexation"] == [problem.path for problem in problems]

    @pytest.mark.parametrize(
        ("parameter", "expected"),
        [
            (Normal(0.4, 0.1), ["share"]),
            (Normal(0.4, 0.1, low=0, high=1), []),
            (Uniform(0, 1), []),
            (Fixed(-0.1), ["share"]),
        ],
    )
    def test_refs_are_resolved_through_parameters(self, parameter, expected):
        """A reference is judged by the parameter it refers to."""
        problems = within("share", Ref("p"), SHARE, {"p": parameter})
        assert expected == [problem.path for problem in problems]

    def test_scaled_ref_is_judged_after_scaling(self):
        """factor × parameter + offset must stay in the domain."""
        parameters = {"p": Uniform(0, 1)}
        assert ["share"] == [p.path for p in within("share", Ref("p", factor=2), SHARE, parameters)]
        assert [] == list(within("share", Ref("p", factor=0.5, offset=0.5), SHARE, parameters))

    def test_ref_to_yearly_parameter_in_scalar_field(self):
        """A reference to a yearly parameter is refused where only one value is allowed."""
        parameters = {"growth": Yearly({2021: 0.02})}
        problems = [str(p) for p in within("price", Ref("growth"), NON_NEGATIVE, parameters)]
        assert [
            "price: expected a distribution of one value per scenario (yearly paths are for"
            " indexation rates), got parameter(name='growth')"
        ] == problems
        assert [] == list(within("indexation", Ref("growth"), RATE, parameters, yearly=True))

    @pytest.mark.parametrize("parameters", [None, {}, {"other": Fixed(1)}])
    def test_unknown_ref_is_left_to_the_programme(self, parameters):
        """A reference that cannot be resolved is not judged here."""
        assert [] == list(within("share", Ref("p"), SHARE, parameters))


def metric(**changes) -> OutcomeMetric:
    return OutcomeMetric(
        **{"id": "job", "definition": "Work", "price": 100, "share_achieving": 0.4, **changes}
    )


class TestBoundedFields:
    """Entity fields that hold distributions enforce their domain on construction."""

    def test_untruncated_normal_is_refused(self):
        """A share given an untruncated normal is refused: nothing is clamped silently."""
        with pytest.raises(ValidationError) as exc:
            metric(share_achieving=Normal(0.4, 0.1))
        assert ("share_achieving",) == exc.value.paths
        assert (
            "share_achieving: expected a distribution whose values stay in [0, 1] (truncate it "
            "explicitly with low/high), got normal(mean=0.4, sd=0.1), which ranges over (−∞, ∞)"
        ) in str(exc.value)

    def test_explicitly_truncated_normal_is_accepted(self):
        """The same normal, truncated to [0, 1], is accepted."""
        dist = Normal(0.4, 0.1, low=0, high=1)
        assert dist == metric(share_achieving=dist).share_achieving

    def test_plain_numbers_become_fixed(self):
        """A number given to a distribution field becomes Fixed."""
        assert Fixed(100) == metric().price

    def test_yearly_price_is_refused(self):
        """A price cannot be a yearly path."""
        with pytest.raises(ValidationError) as exc:
            metric(price=Yearly({2021: 100}))
        assert ("price",) == exc.value.paths

    def test_yearly_indexation_is_accepted(self):
        """An indexation rate may be a yearly path."""
        path = Yearly({2021: 0.02, 2025: Uniform(0.01, 0.03)})
        assert path == metric(indexation=path).indexation

    def test_unresolved_ref_is_accepted_by_the_entity(self):
        """On its own an entity cannot resolve a reference; the programme judges it."""
        built = Initiative("i", "I", "owner", Ref("cost"), dt.date(2021, 1, 1), 12)
        assert Ref("cost") == built.commitment


class TestDegenerateLogNormal:
    def test_support_is_its_one_value(self) -> None:
        """σ = 0 puts all the mass at e^μ, so a rate domain judges it as that number."""
        import math

        from programma.model.moments import support_of

        assert (math.exp(1.0), math.exp(1.0)) == support_of(LogNormal(1.0, 0.0))

    def test_refused_as_a_rate_above_the_limit(self) -> None:
        """As a deflator rate it is refused like the number e (above 100% a year)."""
        import datetime as dt

        from programma import Parameter, Programme, Ref, ValidationError

        with pytest.raises(ValidationError, match="deflator"):
            Programme(
                "p",
                "P",
                "EUR",
                dt.date(2021, 1, 1),
                2,
                deflator=Ref("g"),
                parameters=(Parameter("g", LogNormal(1.0, 0.0)),),
            )


class TestUnboundedRates:
    def test_mean_above_the_limit_refused(self) -> None:
        """A rate unbounded above whose mean exceeds 100% a year is refused, as its mean is."""
        from programma.model.domains import RATE, within

        problems = list(within("indexation", Poisson(2.0), RATE, yearly=True))
        assert ["indexation"] == [problem.path for problem in problems]
        assert "mean is at most 1" in problems[0].expected

    def test_mean_below_the_limit_accepted(self) -> None:
        """Unbounded above with a mean below the limit stays allowed (a long tail is a risk)."""
        from programma.model.domains import RATE, within

        assert [] == list(within("indexation", LogNormal(-4.0, 0.5), RATE, yearly=True))
