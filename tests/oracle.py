"""A plain reference implementation of the engine's rules (DESIGN.md §4), for comparison.

It follows the rules one scenario and one month at a time, with lists, floats and Python loops,
so that it reads like the rules themselves. It is fed the same sampled parameters as the engine
(the keyed draws of :class:`programma.uncertainty.sampling.Draws`) and returns the same series
at monthly resolution, so that the two can be compared value by value.

It covers every rule: costs and grants (§4.2), enrolment and outcomes (§4.3), caps and payment
timing (§4.4, §4.8.1-4), the four financing modes (§4.5, §4.8.5-6, §4.8.8), gates (§4.6,
§4.8.7) and fund budgets (§4.6, §4.8.10). Next to the series it gives the per-scenario figures
that can be stated from the rules alone: whether each gate was met and what it measured, what
each cap stage cut, and an investor's drawn capital, distributions, guarantee, money multiple and
IRR. Each fund's outflow and earned, and an investor's entitlement path, are series like the
others.

The time to outcome is a spread over the cohort: P(k) = Pr(k ≤ X < k+1) from the distribution's
CDF, computed here with scipy (independently of the engine). A ``Fixed`` or degenerate
distribution puts all mass at ⌊x⌋; a parameter reference or ``Samples`` is one value per
scenario, with all mass at ⌊x_s⌋.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy_financial as npf
from dateutil.rrule import rrulestr
from scipy import optimize, stats

from programma import (
    Action,
    AdvanceFinancing,
    Beta,
    CapExcess,
    Comparison,
    CostProfile,
    Decision,
    Discrete,
    Distribution,
    FinancingMode,
    Fixed,
    Gate,
    GateMeasure,
    Initiative,
    InvestorFinancing,
    LogNormal,
    Normal,
    OutcomeContract,
    OutcomeMetric,
    PayerShare,
    Pert,
    Poisson,
    Prefinancing,
    Programme,
    Ref,
    Samples,
    Schedule,
    SeriesKey,
    Triangular,
    UnearnedAdvance,
    Uniform,
)
from programma.uncertainty.sampling import BLOCK_SIZE, Draws

__all__ = ["Run", "oracle", "run"]

Path = list[float]
"""One scenario's values, month by month (possibly past the horizon)."""

Series = dict[SeriesKey, list[list[float]]]
"""Per series key, per scenario, the T monthly values."""

THRESHOLD_TOLERANCE = 1e-9


# -- time --------------------------------------------------------------------------------------


def calendar_month(programme: Programme, m: int) -> tuple[int, int]:
    """The (year, month) of month index ``m`` (any integer, also outside the grid)."""
    absolute = programme.start.year * 12 + programme.start.month - 1 + m
    return absolute // 12, absolute % 12 + 1


def fiscal_year(programme: Programme, m: int) -> int:
    """The fiscal year of month index ``m``, labelled by the calendar year it starts in."""
    year, month = calendar_month(programme, m)
    return year if month >= programme.fiscal_year_start_month else year - 1


def month_of(programme: Programme, date: dt.date) -> int:
    """The month index of ``date`` (a first of month) on the programme's grid."""
    return (date.year - programme.start.year) * 12 + date.month - programme.start.month


def base_fiscal_year(programme: Programme) -> int:
    """The fiscal year of the price base."""
    return fiscal_year(programme, month_of(programme, programme.price_base))


def price_index(rates: Mapping[int, float], base_year: int, year: int) -> float:
    """Π (1 + r_y) over base_year < y ≤ year; the inverse product before the base (§4.8.9)."""
    if year >= base_year:
        product = 1.0
        for y in range(base_year + 1, year + 1):
            product *= 1.0 + rates[y]
        return product
    product = 1.0
    for y in range(year + 1, base_year + 1):
        product *= 1.0 + rates[y]
    return 1.0 / product


# -- sampling ----------------------------------------------------------------------------------


class Sampler:
    """The engine's keyed draws, handed out as plain lists: one value per scenario.

    ``scenarios=None`` is expected mode: one scenario, every distribution at its mean.
    """

    def __init__(
        self, programme: Programme, scenarios: int | None, seed: int, years: Sequence[int]
    ) -> None:
        self.expected = scenarios is None
        self.scenarios = 1 if scenarios is None else scenarios
        blocks = None if scenarios is None else max(1, math.ceil(scenarios / BLOCK_SIZE))
        self.years = tuple(years)
        self.draws = Draws(
            programme.parameter_distributions,
            self.years,
            seed=seed,
            first_block=0,
            blocks=blocks,
        )

    def scalar(self, key: str, dist: Distribution) -> list[float]:
        """One value per scenario."""
        values = self.draws.scalar(key, dist)
        return [float(values[s]) for s in range(self.scenarios)]

    def yearly(self, key: str, dist: Distribution) -> list[dict[int, float]]:
        """Per scenario, the value of each fiscal year."""
        values = self.draws.yearly(key, dist)
        return [
            {year: float(values[s, i]) for i, year in enumerate(self.years)}
            for s in range(self.scenarios)
        ]

    def poisson(self, key: str, mean: list[list[float]]) -> list[list[float]]:
        """Poisson counts with the given means, per scenario and month."""
        counts = self.draws.poisson(key, np.array(mean, dtype=float))
        return [[float(x) for x in row] for row in counts]


def needed_years(programme: Programme, last_month: int) -> tuple[int, ...]:
    """Every fiscal year from the earliest one needed (start or price base) to ``last_month``'s."""
    first = min(fiscal_year(programme, 0), base_fiscal_year(programme))
    last = max(fiscal_year(programme, last_month), base_fiscal_year(programme))
    return tuple(range(first, last + 1))


# -- costs (§4.2) ------------------------------------------------------------------------------


def smoothstep(x: float) -> float:
    """The s-curve's cumulative share F(x) = 3x² − 2x³."""
    return 3 * x * x - 2 * x * x * x


def profile_weights(initiative: Initiative) -> list[float]:
    """The share of the commitment in each month of the duration (summing to 1)."""
    d = initiative.duration_months
    profile = initiative.cost_profile
    if profile is CostProfile.FLAT:
        return [1.0 / d] * d
    if profile is CostProfile.FRONT_LOADED:
        total = d * (d + 1) / 2
        return [(d - j) / total for j in range(d)]
    if profile is CostProfile.S_CURVE:
        return [smoothstep((j + 1) / d) - smoothstep(j / d) for j in range(d)]
    assert initiative.cost_weights is not None
    return list(initiative.cost_weights)


def delayed_weight(weights: Sequence[float], j: int, delay: float) -> float:
    """The weight of month j after the start, with a delay split by its fraction (§4.8.1)."""
    whole = math.floor(delay)
    fraction = delay - whole

    def weight(i: int) -> float:
        return weights[i] if 0 <= i < len(weights) else 0.0

    return (1 - fraction) * weight(j - whole) + fraction * weight(j - whole - 1)


def last_cost_month(initiative: Initiative, programme: Programme, delay: float) -> int:
    """The last month an initiative delayed by ``delay`` can have a cost in."""
    start = month_of(programme, initiative.start)
    return start + math.floor(delay) + initiative.duration_months


def initiative_cost_path(
    programme: Programme,
    initiative: Initiative,
    commitment: float,
    overrun: float,
    delay: float,
    rates: Mapping[int, float],
) -> Path:
    """One scenario's cost of an initiative in months 0 … its last cost month."""
    weights = profile_weights(initiative)
    start = month_of(programme, initiative.start)
    base = base_fiscal_year(programme)
    path = []
    for m in range(last_cost_month(initiative, programme, delay) + 1):
        weight = delayed_weight(weights, m - start, delay)
        index = price_index(rates, base, fiscal_year(programme, m))
        path.append(commitment * overrun * weight * index)
    return path


def initiative_costs(context: Context, initiative: Initiative) -> list[Path]:
    """Per scenario, the initiative's monthly cost (months past the horizon included)."""
    key = f"initiatives/{initiative.id}"
    sampler = context.sampler
    commitments = sampler.scalar(f"{key}/commitment", initiative.commitment)
    overruns = sampler.scalar(f"{key}/overrun", initiative.overrun)
    delays = sampler.scalar(f"{key}/delay", initiative.delay)
    rates = sampler.yearly(f"{key}/indexation", initiative.indexation)
    steps = context.decisions.cost[initiative.id]
    costs = []
    for s in range(sampler.scenarios):
        path = initiative_cost_path(
            context.programme, initiative, commitments[s], overruns[s], delays[s], rates[s]
        )
        costs.append([x * factor_at(steps[s], m) for m, x in enumerate(path)])
    return costs


def inside_horizon(path: Path, months: int) -> Path:
    """The values in months 0 … T−1 (zero where the path is shorter)."""
    return [path[m] if m < len(path) else 0.0 for m in range(months)]


def past_horizon(path: Path, months: int) -> Path:
    """What falls in months ≥ T, recorded in month T−1 (§4.8.12)."""
    out = [0.0] * months
    out[months - 1] = sum(path[months:])
    return out


def folded(path: Path, months: int) -> Path:
    """The values inside the horizon, with everything from month T on added to month T−1."""
    out = inside_horizon(path, months)
    out[months - 1] += sum(path[months:])
    return out


# -- enrolment and outcomes (§4.3) -------------------------------------------------------------


def expected_enrolment(context: Context, contract: OutcomeContract) -> list[list[float]]:
    """Per scenario, the enrolment per month from the windows (before any Poisson noise)."""
    programme = context.programme
    sampler = context.sampler
    months = programme.months
    mean = [[0.0] * months for _ in range(sampler.scenarios)]
    for i, window in enumerate(contract.enrolment.windows):
        key = f"contracts/{contract.id}/enrolment/windows/{i}"
        if window.per_month is not None:
            per_month = sampler.scalar(f"{key}/per_month", window.per_month)
        else:
            assert window.total is not None
            totals = sampler.scalar(f"{key}/total", window.total)
            per_month = [total / window.months for total in totals]
        first = month_of(programme, window.start)
        for s in range(sampler.scenarios):
            for m in range(first, first + window.months):
                mean[s][m] += per_month[s]
    return mean


def enrolment(context: Context, contract: OutcomeContract) -> list[list[float]]:
    """Per scenario, the participants enrolled each month, as the gates decided so far.

    The gates' factors scale the expected enrolment; Poisson noise, if asked, comes last.
    """
    steps = context.decisions.enrolment[contract.id]
    mean = [
        [x * factor_at(steps[s], m) for m, x in enumerate(row)]
        for s, row in enumerate(expected_enrolment(context, contract))
    ]
    if contract.enrolment.poisson and not context.sampler.expected:
        return context.sampler.poisson(f"contracts/{contract.id}/enrolment/noise", mean)
    return mean


@dataclass
class Spread:
    """How a cohort spreads over months to its outcome.

    ``pmf[k]`` = Pr(k ≤ X < k+1) for k = 0 … T−1; ``tail[j]`` = Pr(X ≥ j) for j = 0 … T, so
    that what reaches its outcome at or after the horizon is counted from the distribution
    itself rather than as a difference of nearly equal sums.
    """

    pmf: Path
    tail: Path


def point_mass(x: float, months: int) -> Spread:
    """All mass at month ⌊x⌋."""
    k = math.floor(x)
    pmf = [1.0 if j == k else 0.0 for j in range(months)]
    tail = [1.0 if k >= j else 0.0 for j in range(months + 1)]
    return Spread(pmf, tail)


def degenerate_value(dist: Distribution) -> float | None:
    """The single value of a distribution that cannot vary, or None."""
    match dist:
        case Fixed(value=value):
            return value
        case (
            Uniform(low=low, high=high) | Triangular(low=low, high=high) | Pert(low=low, high=high)
        ) if low == high:
            return low
        case Normal(mean=mean, sd=0.0):
            return mean
        case LogNormal(mu=mu, sigma=0.0):
            return math.exp(mu)
        case Poisson(lam=0.0):
            return 0.0
        case Discrete(values=(value,)):
            return value
    return None


@dataclass(frozen=True)
class LogNormalCdf:
    """The lognormal's CDF on the log scale (exp(mu) would round a tiny mu away)."""

    mu: float
    sigma: float

    def z(self, x: float) -> float:
        return (math.log(x) - self.mu) / self.sigma

    def cdf(self, x: float) -> float:
        return float(stats.norm.cdf(self.z(x))) if x > 0 else 0.0

    def sf(self, x: float) -> float:
        return float(stats.norm.sf(self.z(x))) if x > 0 else 1.0


def frozen_distribution(dist: Distribution) -> Any:
    """The scipy distribution of a time to outcome that varies."""
    match dist:
        case Uniform(low=low, high=high):
            return stats.uniform(loc=low, scale=high - low)
        case Triangular(low=low, mode=mode, high=high):
            return stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
        case Pert(low=low, mode=mode, high=high):
            alpha = 1 + 4 * (mode - low) / (high - low)
            beta = 1 + 4 * (high - mode) / (high - low)
            return stats.beta(alpha, beta, loc=low, scale=high - low)
        case Normal(mean=mean, sd=sd, low=low, high=high):
            a = -math.inf if low is None else (low - mean) / sd
            b = math.inf if high is None else (high - mean) / sd
            return stats.truncnorm(a, b, loc=mean, scale=sd)
        case LogNormal(mu=mu, sigma=sigma):
            return LogNormalCdf(mu, sigma)
        case Beta(alpha=alpha, beta=beta, low=low, high=high):
            return stats.beta(alpha, beta, loc=low, scale=high - low)
        case Poisson(lam=lam):
            return stats.poisson(lam)
    raise TypeError(f"not a time to outcome that varies: {dist!r}")


def spread_of(dist: Distribution, months: int) -> Spread:
    """P(k) = Pr(k ≤ X < k+1) from the distribution's CDF (§4.8.1), and its tail."""
    frozen = frozen_distribution(dist)
    with np.errstate(all="ignore"):  # a tiny spread overflows z to ±inf, which is exact enough
        if isinstance(dist, Poisson):  # integer valued: Pr(k ≤ X < k+1) = Pr(X = k)
            pmf = [float(frozen.pmf(k)) for k in range(months)]
            tail = [1.0] + [float(frozen.sf(j - 1)) for j in range(1, months + 1)]
        else:
            cdf = [float(frozen.cdf(k)) for k in range(months + 1)]
            pmf = [cdf[k + 1] - cdf[k] for k in range(months)]
            tail = [float(frozen.sf(j)) for j in range(months + 1)]
    return Spread(pmf, tail)


def outcome_spreads(
    context: Context, contract: OutcomeContract, metric: OutcomeMetric
) -> list[Spread]:
    """Per scenario, how the cohort spreads over months to its outcome."""
    months = context.programme.months
    dist = metric.time_to_outcome
    scenarios = context.sampler.scenarios
    if isinstance(dist, Ref | Samples):
        key = f"contracts/{contract.id}/metrics/{metric.id}/time_to_outcome"
        return [point_mass(x, months) for x in context.sampler.scalar(key, dist)]
    if isinstance(dist, Discrete):
        return [discrete_spread(dist, months)] * scenarios
    value = degenerate_value(dist)
    spread = point_mass(value, months) if value is not None else spread_of(dist, months)
    return [spread] * scenarios


def discrete_spread(dist: Discrete, months: int) -> Spread:
    """Values with weights: each value's probability in month ⌊value⌋ (§4.8.1).

    Probabilities are the weights over their sum; the tail Pr(X ≥ j) sums the weights of the
    values at or past ``j``.
    """
    weight = math.fsum(dist.weights)
    points = list(zip(dist.values, dist.weights, strict=True))
    pmf = [math.fsum(w for v, w in points if k <= v < k + 1) / weight for k in range(months)]
    tail = [math.fsum(w for v, w in points if v >= j) / weight for j in range(months + 1)]
    return Spread(pmf, tail)


def cohorts(enrolled: Path, spread: Spread) -> Path:
    """R[m] = Σ_k E[m−k]·P(k) for m = 0 … T−1, then at T the rest of the enrolled mass."""
    months = len(enrolled)
    reaching = []
    for m in range(months):
        reaching.append(sum(enrolled[m - k] * spread.pmf[k] for k in range(m + 1)))
    reaching.append(sum(enrolled[e] * spread.tail[months - e] for e in range(months)))
    return reaching


def payable_share(share: float, baseline: float, threshold: float) -> float:
    """max(0, s − b) when the improvement reaches the threshold, else 0."""
    improvement = share - baseline
    if improvement >= threshold * (1 - THRESHOLD_TOLERANCE):
        return max(0.0, improvement)
    return 0.0


@dataclass
class MetricPaths:
    """One metric's outcomes in one scenario.

    ``achieved`` is by outcome month (0 … T, T the lump past the horizon); ``count`` and
    ``value`` (payable outcomes and their value earned) are by verification month
    (0 … T + lag).
    """

    achieved: Path
    count: Path
    value: Path


def metric_paths(
    context: Context,
    contract: OutcomeContract,
    metric: OutcomeMetric,
    enrolled: list[Path],
) -> list[MetricPaths]:
    """Per scenario, a metric's achieved outcomes, payable count and value earned."""
    programme = context.programme
    sampler = context.sampler
    key = f"contracts/{contract.id}/metrics/{metric.id}"
    shares = sampler.scalar(f"{key}/share_achieving", metric.share_achieving)
    baselines = sampler.scalar(f"{key}/baseline", metric.baseline)
    prices = sampler.scalar(f"{key}/price", metric.price)
    rates = sampler.yearly(f"{key}/indexation", metric.indexation)
    spreads = outcome_spreads(context, contract, metric)
    lag = contract.verification_lag_months
    base = base_fiscal_year(programme)
    out = []
    for s in range(sampler.scenarios):
        reaching = cohorts(enrolled[s], spreads[s])
        payable = payable_share(shares[s], baselines[s], metric.threshold)
        achieved = [shares[s] * r for r in reaching]
        count = [0.0] * lag + [payable * r for r in reaching]
        stop = context.decisions.stopped_from[contract.id][s]
        if stop is not None and not contract.pay_enrolled_after_stop:
            count = [0.0 if v >= stop else x for v, x in enumerate(count)]
        value = [
            c * prices[s] * price_index(rates[s], base, fiscal_year(programme, v))
            for v, c in enumerate(count)
        ]
        out.append(MetricPaths(achieved, count, value))
    return out


# -- gates (§4.6, §4.8.7) ----------------------------------------------------------------------

GATE_TOLERANCE = 1e-9

Steps = list[tuple[int, float]]
"""A scenario's factors, each applying from its month on: (month, factor)."""


def factor_at(steps: Steps, month: int) -> float:
    """The product of the factors that apply in ``month``."""
    product = 1.0
    for first, factor in steps:
        if month >= first:
            product *= factor
    return product


@dataclass
class Decisions:
    """What the gates decided, per scenario.

    ``enrolment`` (per contract) and ``cost`` (per initiative) hold the factors that apply from
    each gate month on (a stop is a factor of 0); ``stopped_from`` is the first month a contract
    was stopped in (None if never); ``steps_in`` whether a contract's pre-financing gate was met;
    ``met`` whether each gate's condition held.
    """

    enrolment: dict[str, list[Steps]]
    cost: dict[str, list[Steps]]
    stopped_from: dict[str, list[int | None]]
    steps_in: dict[str, list[bool]]
    met: dict[str, list[bool]]

    @classmethod
    def none(cls, programme: Programme, scenarios: int) -> Decisions:
        """No gate decided anything yet."""

        def each(ids: Sequence[str], value: Callable[[], Any]) -> dict[str, list[Any]]:
            return {i: [value() for _ in range(scenarios)] for i in ids}

        contracts = [c.id for c in programme.contracts]
        return cls(
            enrolment=each(contracts, list),
            cost=each([i.id for i in programme.initiatives], list),
            stopped_from=each(contracts, lambda: None),
            steps_in=each(contracts, lambda: False),
            met={},
        )


def holds(measure: float, comparison: Comparison, target: float) -> bool:
    """The gate's comparison, with a relative tolerance of 1e-9 in the gate's favour."""
    slack = GATE_TOLERANCE * abs(target)
    if comparison is Comparison.AT_LEAST:
        return measure >= target - slack
    if comparison is Comparison.MORE_THAN:
        return measure > target + slack
    if comparison is Comparison.AT_MOST:
        return measure <= target + slack
    return measure < target - slack


def gate_met(context: Context, gate: Gate) -> list[bool]:
    """Per scenario, whether the gate's condition holds on the outcomes verified by its month.

    What the condition measured (the count, or the rate: NaN for 0/0) is kept as the figure
    ``gate_measure/{gate}``.
    """
    programme = context.programme
    condition = gate.condition
    contract = programme.find("contracts", condition.contract)
    metric = next(x for x in contract.metrics if x.id == condition.metric)
    key = f"contracts/{contract.id}/metrics/{metric.id}/share_achieving"
    shares = context.sampler.scalar(key, metric.share_achieving)
    enrolled = enrolment(context, contract)
    spreads = outcome_spreads(context, contract, metric)
    last_verified = month_of(programme, gate.month) - contract.verification_lag_months
    met = []
    for s in range(context.sampler.scenarios):
        reaching = cohorts(enrolled[s], spreads[s])
        cohort = sum(reaching[m] for m in range(programme.months) if m <= last_verified)
        achieved = shares[s] * cohort
        if condition.measure is GateMeasure.COUNT:
            measure = achieved
        else:  # a rate; 0/0 has none and is "not met"
            measure = achieved / cohort if cohort > 0 else math.nan
        context.figure(f"gate_measure/{gate.id}", s, measure)
        met.append(
            not math.isnan(measure) and holds(measure, condition.comparison, condition.target)
        )
    return met


def decide(context: Context, gate: Gate, s: int, decision: Decision) -> None:
    """Apply a gate's decision in scenario ``s`` from the gate month on."""
    programme = context.programme
    decisions = context.decisions
    g = month_of(programme, gate.month)
    if decision.action is Action.CONTINUE:
        return
    if decision.action is Action.STEP_IN:
        assert gate.contract is not None
        decisions.steps_in[gate.contract][s] = True
        return
    factor = 0.0 if decision.action is Action.STOP else float(decision.factor or 0.0)
    if gate.initiative is not None:
        decisions.cost[gate.initiative][s].append((g, factor))
        return
    assert gate.contract is not None
    decisions.enrolment[gate.contract][s].append((g, factor))
    for initiative_id in programme.find("contracts", gate.contract).initiatives:
        decisions.cost[initiative_id][s].append((g, factor))
    if decision.action is Action.STOP:
        stopped = decisions.stopped_from[gate.contract]
        stopped[s] = g if stopped[s] is None else min(stopped[s], g)


def decide_gates(context: Context) -> None:
    """Read and apply the gates in month order (the listed order within a month)."""
    for gate in sorted(context.programme.gates, key=lambda gate: gate.month):
        met = gate_met(context, gate)
        context.decisions.met[gate.id] = met
        for s, holds_here in enumerate(met):
            decide(context, gate, s, gate.if_met if holds_here else gate.if_not_met)


# -- caps (§4.4, §4.8.3) -----------------------------------------------------------------------


def cumulative_enrolment(enrolled: Path, month: int) -> float:
    """Participants enrolled up to and including ``month`` (0 before the first; all past T)."""
    if month < 0:
        return 0.0
    return sum(enrolled[: month + 1])


def cap_through(value: float, limit: float, passed_so_far: float) -> float:
    """What of ``value`` passes a cumulative limit that ``passed_so_far`` already used."""
    return min(value, max(0.0, limit - passed_so_far))


def ratio(passed: float, value: float) -> float:
    """The share of ``value`` that passed (1 when there was nothing to cut)."""
    return passed / value if value > 0 else 1.0


CAP_STAGES = (
    "metric_per_participant",
    "metric_count",
    "metric_value",
    "contract_per_participant",
    "contract",
)


@dataclass
class Capped:
    """One contract's value and payable count per metric after every cap, by verification month.

    ``cut`` is the value each cap stage removed (by the stage's name).
    """

    value: dict[str, Path]
    count: dict[str, Path]
    cut: dict[str, float]


def apply_caps(contract: OutcomeContract, enrolled: Path, paths: dict[str, MetricPaths]) -> Capped:
    """The caps in order: metric per participant, count, value; contract per participant, cap."""
    lag = contract.verification_lag_months
    ids = [metric.id for metric in contract.metrics]
    length = len(enrolled) + 1 + lag
    value = {i: list(paths[i].value) for i in ids}
    count = {i: list(paths[i].count) for i in ids}

    def participants(v: int) -> float:
        return cumulative_enrolment(enrolled, v - lag)

    def metric_stage(metric_id: str, limit_of: Callable[[int], float], on_count: bool) -> None:
        passed_total = 0.0
        for v in range(length):
            cut_on = count[metric_id] if on_count else value[metric_id]
            passed = cap_through(cut_on[v], limit_of(v), passed_total)
            passed_total += passed
            factor = ratio(passed, cut_on[v])
            value[metric_id][v] *= factor
            count[metric_id][v] *= factor

    cut = dict.fromkeys(CAP_STAGES, 0.0)

    def stage(name: str, run: Callable[[], None]) -> None:
        """Run a stage; add what it removed, month by month (no difference of large totals)."""
        before = {i: list(values) for i, values in value.items()}
        run()
        cut[name] += math.fsum(b - a for i in ids for b, a in zip(before[i], value[i], strict=True))

    def pooled_stage(limit_of: Callable[[int], float]) -> None:
        passed_total = 0.0
        for v in range(length):
            total = sum(value[i][v] for i in ids)
            passed = cap_through(total, limit_of(v), passed_total)
            passed_total += passed
            factor = ratio(passed, total)
            for i in ids:
                value[i][v] *= factor
                count[i][v] *= factor

    for metric in contract.metrics:
        per_participant = metric.cap_per_participant
        if per_participant is not None:
            stage(
                "metric_per_participant",
                lambda i=metric.id, cap=per_participant: metric_stage(
                    i, lambda v: cap * participants(v), on_count=False
                ),
            )
    for metric in contract.metrics:
        cap_count, cap_value = metric.cap_count, metric.cap_value
        if cap_count is not None:
            stage(
                "metric_count",
                lambda i=metric.id, cap=cap_count: metric_stage(i, lambda v: cap, on_count=True),
            )
        if cap_value is not None:
            stage(
                "metric_value",
                lambda i=metric.id, cap=cap_value: metric_stage(i, lambda v: cap, on_count=False),
            )
    pooled = contract.cap_per_participant
    if pooled is not None:
        stage("contract_per_participant", lambda: pooled_stage(lambda v: pooled * participants(v)))
    contract_cap = contract.cap
    if contract_cap is not None:
        stage("contract", lambda: pooled_stage(lambda v: contract_cap))
    return Capped(value, count, cut)


# -- payment timing (§4.4, §4.8.2, §4.8.4) -----------------------------------------------------


def schedule_months(programme: Programme, contract: OutcomeContract) -> list[int]:
    """The payment months from the contract's start to the horizon's last month."""
    months = programme.months
    first = month_of(programme, contract.start)
    schedule = contract.payment_schedule
    if schedule is Schedule.MONTHLY:
        return list(range(first, months))
    if schedule is Schedule.QUARTERLY:
        return [m for m in range(first, months) if calendar_month(programme, m)[1] % 3 == 0]
    if schedule is Schedule.YEARLY:
        return [
            m
            for m in range(first, months)
            if fiscal_year(programme, m + 1) != fiscal_year(programme, m)
        ]
    assert contract.payment_rrule is not None
    start = dt.datetime(contract.start.year, contract.start.month, 1)
    year, month = calendar_month(programme, months)
    stop = dt.datetime(year, month, 1)
    found: set[int] = set()
    for moment in rrulestr(contract.payment_rrule, dtstart=start):
        if moment >= stop:
            break
        found.add(month_of(programme, dt.date(moment.year, moment.month, 1)))
    return sorted(m for m in found if first <= m < months)


def payment_month(schedule: Sequence[int], verified: int) -> int | None:
    """The first schedule month on or after ``verified`` (None if there is none)."""
    for p in schedule:
        if p >= verified:
            return p
    return None


def settlement_month(programme: Programme, contract: OutcomeContract) -> int:
    """L = min(last month + run-off, T − 1)."""
    last = month_of(programme, contract.last_month)
    return min(last + contract.run_off_months, programme.months - 1)


@dataclass
class PayerPaths:
    """One payer's cash and non-cash amounts in one scenario, month by month (0 … T−1)."""

    paid: Path
    forfeited: Path
    unpaid: Path


def fiscal_year_capped(
    programme: Programme,
    payer: PayerShare,
    dues: Path,
    schedule: Sequence[int],
    settlement: int,
) -> tuple[Path, Path]:
    """A payer's payments and forfeits after its fiscal-year caps (on gross dues, in order)."""
    months = programme.months
    listed = dict(payer.fiscal_year_caps)  # a listed year's own cap, else every year's
    paid = [0.0] * months
    forfeited = [0.0] * months
    spent: dict[int, float] = {}
    carried = 0.0
    carried_from: int | None = None
    for p in (p for p in schedule if p <= settlement):
        year = fiscal_year(programme, p)
        gross = dues[p]
        if carried_from is not None and year > carried_from:
            gross += carried
            carried, carried_from = 0.0, None
        cap = listed.get(year, payer.fiscal_year_cap)
        room = math.inf if cap is None else max(0.0, cap - spent.get(year, 0.0))
        pay = min(gross, room)
        spent[year] = spent.get(year, 0.0) + pay
        paid[p] = pay
        excess = gross - pay
        if excess > 0:
            if payer.cap_excess is CapExcess.CARRY:
                carried += excess
                if carried_from is None:
                    carried_from = year
            else:
                forfeited[p] += excess
    if carried_from is not None:
        forfeited[settlement] += carried
    return paid, forfeited


def payer_paths(
    programme: Programme,
    contract: OutcomeContract,
    payer: PayerShare,
    earned: Path,
) -> PayerPaths:
    """One payer's share of the capped value, paid by the schedule up to settlement."""
    months = programme.months
    schedule = schedule_months(programme, contract)
    settlement = settlement_month(programme, contract)
    dues = [0.0] * months
    unpaid = [0.0] * months
    for v, amount in enumerate(earned):
        if amount == 0.0:
            continue
        share = payer.share * amount
        p = payment_month(schedule, v)
        if p is not None and p <= settlement:
            dues[p] += share
        else:
            unpaid[months - 1 if p is None else min(p, months - 1)] += share
    paid, forfeited = fiscal_year_capped(programme, payer, dues, schedule, settlement)
    return PayerPaths(paid, forfeited, unpaid)


# -- financing (§4.5) --------------------------------------------------------------------------

Flows = dict[SeriesKey, Path]
"""One scenario's financing series, month by month (0 … T−1)."""


@dataclass
class ContractCash:
    """What a contract's financing handles in one scenario, month by month (0 … T−1)."""

    cost: Path
    """c[m], the delivery cost of the contract's initiatives."""
    dues: list[Path]
    """Per payer (in the contract's order), the amount due after its fiscal-year caps."""
    steps_in: bool
    """Whether the contract's pre-financing gate was met (False without one)."""


def total(paths: Sequence[Path]) -> Path:
    """The month-by-month sum of several paths."""
    return [math.fsum(values) for values in zip(*paths, strict=True)]


def contract_flows(
    contract: OutcomeContract, paid: Sequence[Path], receipt: Path, own: Path, used: Path
) -> Flows:
    """The series every mode has: cash outcome payments per payer, what the provider receives,
    what it pays from its own funds, and the outcome cash that paid the month's cost."""
    c, provider = contract.id, contract.provider
    flows = {
        SeriesKey("outcome_payment", payer.payer, c, c, fund=payer.fund): list(path)
        for payer, path in zip(contract.payers, paid, strict=True)
    }
    flows[SeriesKey("provider_receipt", c, provider, c)] = receipt
    flows[SeriesKey("provider_own_funds", provider, "", c)] = own
    flows[SeriesKey("receipts_used", c, provider, c)] = used
    return flows


def provider_financing(
    context: Context, contract: OutcomeContract, cash: ContractCash, s: int
) -> Flows:
    """The provider pays the cost from its own funds and receives every payment."""
    months = context.programme.months
    received = total(cash.dues)
    return contract_flows(contract, cash.dues, received, list(cash.cost), [0.0] * months)


def investor_financing(
    context: Context, contract: OutcomeContract, cash: ContractCash, s: int
) -> Flows:
    """Receipts cover the cost first; the investor funds the shortfall and is repaid to its cap.

    Month by month (§4.5, §4.8.6): used = min(O, c); draw = min(c − used, undrawn commitment),
    none after the contract's last month; own funds = the rest; E ← E·(1+r)^(1/12) + draw;
    distribution = min(O − used, E), taken off E. At settlement a guarantor pays
    max(0, protection × drawn − distributed).
    """
    programme = context.programme
    financing = contract.financing
    assert isinstance(financing, InvestorFinancing)
    months = programme.months
    received = total(cash.dues)
    last = month_of(programme, contract.last_month)
    settlement = settlement_month(programme, contract)
    growth = (1.0 + financing.return_cap) ** (1.0 / 12.0)
    used, draw, own, dist, owed = ([0.0] * months for _ in range(5))
    entitlement = drawn = 0.0
    bound = False
    for m in range(months):
        used[m] = min(received[m], cash.cost[m])
        short = cash.cost[m] - used[m]
        draw[m] = min(short, max(0.0, financing.commitment - drawn)) if m <= last else 0.0
        drawn += draw[m]
        own[m] = short - draw[m]
        entitlement = entitlement * growth + draw[m]
        surplus = received[m] - used[m]
        dist[m] = min(surplus, entitlement)
        entitlement -= dist[m]
        # The balance still owed at the month's end; at settlement the contract is over.
        owed[m] = entitlement if m <= settlement else 0.0
        # The cap held money back for the provider while capital was in.
        bound = bound or (drawn > 0 and surplus - dist[m] > CASH_TOLERANCE)
    distributed = math.fsum(dist)
    guarantee = max(0.0, financing.capital_protection * drawn - distributed)
    c, provider, investor = contract.id, contract.provider, financing.investor
    receipt = [received[m] - dist[m] for m in range(months)]
    flows = contract_flows(contract, cash.dues, receipt, own, used)
    flows[SeriesKey("investor_drawdown", investor, provider, c)] = draw
    flows[SeriesKey("investor_distribution", c, investor, c)] = dist
    flows[SeriesKey("investor_entitlement", c, investor, c)] = owed
    if financing.guarantor is not None:
        paid = [0.0] * months
        paid[settlement] = guarantee
        key = SeriesKey(
            "guarantee_payment",
            financing.guarantor,
            investor,
            c,
            fund=financing.guarantor_fund or "",
        )
        flows[key] = paid
    else:
        guarantee = 0.0
    investor_flows = [dist[m] - draw[m] for m in range(months)]
    investor_flows[settlement] += guarantee
    figure = context.figure
    figure(f"investor/{c}/drawn", s, drawn)
    figure(f"investor/{c}/distributed", s, distributed)
    figure(f"investor/{c}/guarantee", s, guarantee)
    figure(
        f"investor/{c}/multiple", s, (distributed + guarantee) / drawn if drawn > 0 else math.nan
    )
    figure(f"investor/{c}/irr", s, annual_irr(investor_flows) if drawn > 0 else math.nan)
    figure(f"investor/{c}/return_cap_bound", s, 1.0 if bound else 0.0)
    return flows


CASH_TOLERANCE = 1e-9
"""Amounts below this are read as nothing when deciding whether a cap held money back."""


def scaled_npv(flows: Path, log_rate: float) -> float:
    """Σ f_m·e^(−m·y), divided by its largest term's size (same sign, no overflow)."""
    terms = [(math.log(abs(f)) - m * log_rate, f > 0) for m, f in enumerate(flows) if f != 0]
    top = max(size for size, _ in terms)
    return math.fsum((1.0 if positive else -1.0) * math.exp(size - top) for size, positive in terms)


def annual_irr(flows: Path) -> float | None:
    """The annual IRR of monthly flows, where the rules alone settle it.

    A loss of everything is −100%. Flows that change sign once have exactly one rate that
    makes their NPV zero (Descartes' rule of signs in 1/(1+i)), found by bisection on the
    monthly log-rate y = ln(1+i). With more sign changes several rates may solve it; the one
    nearest to zero is numpy-financial's ``irr`` (the roots of the polynomial in 1/(1+i)),
    None where it finds none.
    """
    signs = [f > 0 for f in flows if f != 0]
    if not any(signs):
        return -1.0
    changes = sum(1 for a, b in itertools.pairwise(signs) if a != b)
    if changes != 1:
        nonzero = [m for m, f in enumerate(flows) if f != 0]
        monthly = float(npf.irr(flows[nonzero[0] : nonzero[-1] + 1]))
        return None if math.isnan(monthly) else (1.0 + monthly) ** 12 - 1.0
    low, high = -1.0, 1.0
    while scaled_npv(flows, low) * scaled_npv(flows, high) > 0:
        low, high = 2 * low, 2 * high
    y = optimize.brentq(lambda y: scaled_npv(flows, y), low, high, xtol=1e-15, rtol=1e-15)
    return math.expm1(12 * y)


def advance_financing(
    context: Context, contract: OutcomeContract, cash: ContractCash, s: int
) -> Flows:
    """Advances are credited first; dues are offset against them and the rest paid in cash.

    The advances not yet spent pay the cost before the provider's own funds (§4.8.5). At
    settlement each payer's unearned advance is refunded or forgiven.
    """
    programme = context.programme
    financing = contract.financing
    assert isinstance(financing, AdvanceFinancing)
    months = programme.months
    settlement = settlement_month(programme, contract)
    amounts = [0.0] * months
    for advance in financing.advances:
        amounts[month_of(programme, advance.month)] += advance.amount
    for window in financing.windows:
        first = month_of(programme, window.start)
        each = window.per_month if window.per_month is not None else window.total / window.months
        for m in range(first, first + window.months):
            amounts[m] += each
    c, provider = contract.id, contract.provider
    back = "advance_refund" if financing.unearned is UnearnedAdvance.REFUND else "advance_forgiven"
    flows: Flows = {}
    paid_in_cash = []
    advanced = []
    for payer, due in zip(contract.payers, cash.dues, strict=True):
        advance = [payer.share * amount for amount in amounts]
        offset = [0.0] * months
        balance = 0.0
        for m in range(months):
            balance += advance[m]
            offset[m] = min(due[m], balance)
            balance -= offset[m]
        unearned = [0.0] * months
        unearned[settlement] = math.fsum(advance) - math.fsum(offset[: settlement + 1])
        flows[SeriesKey("advance", payer.payer, c, c, fund=payer.fund)] = advance
        flows[SeriesKey("advance_offset", payer.payer, c, c, fund=payer.fund)] = offset
        flows[SeriesKey(back, provider, payer.payer, c, fund=payer.fund)] = unearned
        paid_in_cash.append([due[m] - offset[m] for m in range(months)])
        advanced.append(advance)
    pool = 0.0
    used = [0.0] * months
    for m, arriving in enumerate(total(advanced)):
        pool += arriving
        used[m] = min(cash.cost[m], pool)
        pool -= used[m]
    own = [cash.cost[m] - used[m] for m in range(months)]
    flows |= contract_flows(contract, paid_in_cash, total(paid_in_cash), own, [0.0] * months)
    flows[SeriesKey("advance_used", c, provider, c)] = used
    return flows


def prefinancing(context: Context, contract: OutcomeContract, cash: ContractCash, s: int) -> Flows:
    """A partner funds the cost until the gate (or for ``months``); then a payer steps in.

    Where the gate is met the step-in payer funds the cost from the gate month on and repays its
    share of the pre-financing to date in the gate month; where it is not, the gate has stopped
    the cost. Without a gate the provider funds what comes after the partner's months.
    """
    programme = context.programme
    financing = contract.financing
    assert isinstance(financing, Prefinancing)
    months = programme.months
    c, provider, partner = contract.id, contract.provider, financing.partner
    cost = cash.cost
    if financing.gate is None:
        assert financing.months is not None
        until = month_of(programme, contract.start) + financing.months
    else:
        until = month_of(programme, programme.find("gates", financing.gate).month)
    partner_part = [cost[m] if m < until else 0.0 for m in range(months)]
    stepped = [cost[m] if m >= until and cash.steps_in else 0.0 for m in range(months)]
    own = [cost[m] - partner_part[m] - stepped[m] for m in range(months)]
    flows = contract_flows(contract, cash.dues, total(cash.dues), own, [0.0] * months)
    flows[SeriesKey("prefinancing", partner, provider, c, fund=financing.partner_fund or "")] = (
        partner_part
    )
    if financing.gate is not None:
        payer, fund = financing.step_in_payer or "", financing.step_in_fund or ""
        repayment = [0.0] * months
        if cash.steps_in:
            repayment[until] = financing.repay_share * math.fsum(partner_part)
        flows[SeriesKey("step_in_funding", payer, provider, c, fund=fund)] = stepped
        flows[SeriesKey("prefinancing_repayment", payer, partner, c, fund=fund)] = repayment
    return flows


FinancingRule = Callable[["Context", OutcomeContract, ContractCash, int], Flows]

FINANCING_RULES: dict[FinancingMode, FinancingRule] = {
    FinancingMode.PROVIDER: provider_financing,
    FinancingMode.INVESTOR: investor_financing,
    FinancingMode.ADVANCES: advance_financing,
    FinancingMode.PREFINANCING: prefinancing,
}
"""The month-by-month rule of each financing mode, for one scenario."""


def finance(
    out: Series, context: Context, contract: OutcomeContract, cash: list[ContractCash]
) -> None:
    """Record the financing flows of a contract by its mode, scenario by scenario."""
    rule = FINANCING_RULES[contract.financing.mode]
    for s, scenario in enumerate(cash):
        for key, path in rule(context, contract, scenario, s).items():
            record_one(out, key, s, len(cash), path)


# -- fund budgets (§4.6, §4.8.10) --------------------------------------------------------------

FUND_OUTFLOWS = (
    "grant",
    "outcome_payment",
    "advance",
    "step_in_funding",
    "prefinancing",
    "prefinancing_repayment",
    "guarantee_payment",
)
"""The cash flows a fund pays; ``advance_refund`` flows back into it."""


def fund_outflow(out: Series, fund_id: str, scenarios: int, months: int) -> list[Path]:
    """Per scenario, the fund's cash outflow each month."""
    outflow = [[0.0] * months for _ in range(scenarios)]
    for key, values in out.items():
        if key.fund != fund_id or key.flow not in (*FUND_OUTFLOWS, "advance_refund"):
            continue
        sign = -1.0 if key.flow == "advance_refund" else 1.0
        for s in range(scenarios):
            for m in range(months):
                outflow[s][m] += sign * values[s][m]
    return outflow


def record_budgets(out: Series, context: Context) -> None:
    """Per fund and fiscal year: the available budget and the gap, in the year's last month.

    Next to them, per month: the fund's cash outflow, and what it earned (its payers' shares of
    each contract's value after caps, before fiscal-year caps, at verification).
    """
    programme = context.programme
    months = programme.months
    scenarios = context.sampler.scenarios
    last_month: dict[int, int] = {}
    for m in range(months):
        last_month[fiscal_year(programme, m)] = m
    for fund in programme.funds:
        outflow = fund_outflow(out, fund.id, scenarios, months)
        budget = [[0.0] * months for _ in range(scenarios)]
        gap = [[0.0] * months for _ in range(scenarios)]
        for s in range(scenarios):
            carried = 0.0
            for year, m in last_month.items():
                spent = sum(
                    outflow[s][month]
                    for month in range(months)
                    if fiscal_year(programme, month) == year
                )
                available = fund.amount(year) + (carried if fund.carry_over else 0.0)
                budget[s][m] = available
                gap[s][m] = spent - available
                carried = max(0.0, available - spent)
        record(out, SeriesKey("budget", fund.owner, fund=fund.id), budget)
        record(out, SeriesKey("budget_gap", fund.owner, fund=fund.id), gap)
        record(out, SeriesKey("fund_outflow", fund.owner, fund=fund.id), outflow)
        earned = [[0.0] * months for _ in range(scenarios)]
        for contract in programme.contracts:
            for payer in contract.payers:
                if payer.fund != fund.id:
                    continue
                for key, values in out.items():
                    if key.flow == "earned_capped" and key.contract == contract.id:
                        for s in range(scenarios):
                            for m in range(months):
                                earned[s][m] += payer.share * values[s][m]
        record(out, SeriesKey("fund_earned", fund.owner, fund=fund.id), earned)


# -- the whole programme -----------------------------------------------------------------------


Figures = dict[str, list[float]]
"""Per-scenario figures by the engine's names (e.g. ``gate_met/{gate}``)."""


@dataclass
class Context:
    """What every rule needs: the programme, the draws of the run and the gates' decisions."""

    programme: Programme
    sampler: Sampler
    decisions: Decisions
    costs: dict[str, list[Path]] = field(default_factory=dict)
    figures: Figures = field(default_factory=dict)

    def figure(self, name: str, s: int, value: float) -> None:
        """Set a per-scenario figure (NaN in the scenarios not set)."""
        values = self.figures.setdefault(name, [math.nan] * self.sampler.scenarios)
        values[s] = value


def record(out: Series, key: SeriesKey, values: list[list[float]]) -> None:
    """Add per-scenario monthly values to a series (creating it)."""
    if key not in out:
        out[key] = [list(row) for row in values]
        return
    for row, new in zip(out[key], values, strict=True):
        for m, x in enumerate(new):
            row[m] += x


def record_one(out: Series, key: SeriesKey, s: int, scenarios: int, values: Path) -> None:
    """Add one scenario's monthly values to a series (creating it, zero elsewhere)."""
    if key not in out:
        out[key] = [[0.0] * len(values) for _ in range(scenarios)]
    row = out[key][s]
    for m, x in enumerate(values):
        row[m] += x


def build_context(programme: Programme, scenarios: int | None, seed: int) -> Context:
    """Draw the delays first (to know how far costs reach), then set up every draw."""
    lag = max((c.verification_lag_months for c in programme.contracts), default=0)
    last = programme.months + lag + 1
    probe = Sampler(programme, scenarios, seed, ())
    for initiative in programme.initiatives:
        delays = probe.scalar(f"initiatives/{initiative.id}/delay", initiative.delay)
        for delay in delays:
            last = max(last, last_cost_month(initiative, programme, delay) + 1)
    sampler = Sampler(programme, scenarios, seed, needed_years(programme, last))
    return Context(programme, sampler, Decisions.none(programme, sampler.scenarios))


def record_initiative(out: Series, context: Context, initiative: Initiative) -> None:
    """The initiative's grants from its funds, its delivery cost if they pay it, and what it
    would cost past the horizon."""
    programme = context.programme
    months = programme.months
    costs = context.costs[initiative.id]
    record(
        out,
        SeriesKey("unpaid_after_end", "", initiative.owner, initiative=initiative.id),
        [past_horizon(path, months) for path in costs],
    )
    if initiative.funds:  # paid by its funds: the owner carries the delivery cost
        record(
            out,
            SeriesKey(
                "delivery_cost", initiative.owner, initiative.owner, initiative=initiative.id
            ),
            [inside_horizon(path, months) for path in costs],
        )
    for share in initiative.funds:
        fund = programme.find("funds", share.fund)
        record(
            out,
            SeriesKey(
                "grant", fund.owner, initiative.owner, initiative=initiative.id, fund=fund.id
            ),
            [[x * share.share for x in inside_horizon(path, months)] for path in costs],
        )


def record_contract(out: Series, context: Context, contract: OutcomeContract) -> None:
    """A contract's outcomes, caps, payments and financing."""
    programme = context.programme
    months = programme.months
    scenarios = context.sampler.scenarios
    enrolled = enrolment(context, contract)
    paths = {
        metric.id: metric_paths(context, contract, metric, enrolled) for metric in contract.metrics
    }
    capped = [
        apply_caps(contract, enrolled[s], {i: paths[i][s] for i in paths}) for s in range(scenarios)
    ]
    for metric in contract.metrics:
        i = metric.id

        def measure(flow: str, metric_id: str = i) -> SeriesKey:
            return SeriesKey(flow, contract=contract.id, metric=metric_id)

        record(out, measure("outcomes_achieved"), [folded(p.achieved, months) for p in paths[i]])
        record(out, measure("outcomes_paid"), [folded(c.count[i], months) for c in capped])
        record(out, measure("earned"), [folded(p.value, months) for p in paths[i]])
        record(out, measure("earned_capped"), [folded(c.value[i], months) for c in capped])

    for s, c in enumerate(capped):
        for stage, cut in c.cut.items():
            context.figure(f"cap_cut/{contract.id}/{stage}", s, cut)

    earned = [[sum(values) for values in zip(*c.value.values(), strict=True)] for c in capped]
    dues: list[list[Path]] = [[] for _ in range(scenarios)]
    for payer in contract.payers:
        per_scenario = [
            payer_paths(programme, contract, payer, earned[s]) for s in range(scenarios)
        ]

        def flow(name: str, payer: PayerShare = payer) -> SeriesKey:
            return SeriesKey(name, payer.payer, contract.id, contract.id, fund=payer.fund)

        record(out, flow("cap_forfeited"), [p.forfeited for p in per_scenario])
        record(out, flow("unpaid_after_end"), [p.unpaid for p in per_scenario])
        for s, p in enumerate(per_scenario):
            dues[s].append(p.paid)

    cost = [[0.0] * months for _ in range(scenarios)]
    for initiative_id in contract.initiatives:
        initiative = programme.find("initiatives", initiative_id)
        costs = [inside_horizon(path, months) for path in context.costs[initiative_id]]
        record(
            out,
            SeriesKey(
                "delivery_cost",
                contract.provider,
                initiative.owner,
                contract.id,
                initiative=initiative_id,
            ),
            costs,
        )
        for s in range(scenarios):
            cost[s] = [a + b for a, b in zip(cost[s], costs[s], strict=True)]
    steps_in = context.decisions.steps_in[contract.id]
    cash = [ContractCash(cost[s], dues[s], steps_in[s]) for s in range(scenarios)]
    finance(out, context, contract, cash)


@dataclass
class Run:
    """What the oracle computed: every series and the per-scenario figures."""

    series: Series
    figures: Figures


def run(programme: Programme, *, scenarios: int | None = None, seed: int = 0) -> Run:
    """Every series of ``programme``, per scenario and month, and the figures beside them.

    ``scenarios=None`` is expected mode (one scenario, every distribution at its mean);
    otherwise the first ``scenarios`` Monte Carlo scenarios under ``seed``.
    """
    context = build_context(programme, scenarios, seed)
    decide_gates(context)
    for gate_id, met in context.decisions.met.items():
        context.figures[f"gate_met/{gate_id}"] = [1.0 if x else 0.0 for x in met]
    out: Series = {}
    for initiative in programme.initiatives:
        context.costs[initiative.id] = initiative_costs(context, initiative)
        record_initiative(out, context, initiative)
    for contract in programme.contracts:
        record_contract(out, context, contract)
    record_budgets(out, context)
    return Run(out, context.figures)


def oracle(programme: Programme, *, scenarios: int | None = None, seed: int = 0) -> Series:
    """Every series of ``programme``, per scenario and month, by the rules of DESIGN.md §4."""
    return run(programme, scenarios=scenarios, seed=seed).series
