"""A plain reference implementation of the engine's rules (DESIGN.md §4), for comparison.

It follows the rules one scenario and one month at a time, with lists, floats and Python loops,
so that it reads like the rules themselves. It is fed the same sampled parameters as the engine
(the keyed draws of :class:`programma._sampling.Draws`) and returns the same series at monthly
resolution, so that the two can be compared value by value.

Covered so far: costs and grants (§4.2), enrolment and outcomes (§4.3), caps and payment timing
(§4.4, §4.8.1-4), the provider's financing (§4.5) and fund budgets (§4.6, §4.8.10). Every
contract is treated as financed by its provider and gates are ignored; the other financing modes
and gates plug in as further rules (see :data:`FINANCING_RULES`).

The time to outcome is a spread over the cohort: P(k) = Pr(k ≤ X < k+1) from the distribution's
CDF, computed here with scipy (independently of the engine). A ``Fixed`` or degenerate
distribution puts all mass at ⌊x⌋; a parameter reference or ``Samples`` is one value per
scenario, with all mass at ⌊x_s⌋.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from dateutil.rrule import rrulestr
from scipy import stats

from programma import (
    Beta,
    CapExcess,
    CostProfile,
    Distribution,
    FinancingMode,
    Fixed,
    Initiative,
    LogNormal,
    Normal,
    OutcomeContract,
    OutcomeMetric,
    PayerShare,
    Pert,
    Poisson,
    Programme,
    Ref,
    Samples,
    Schedule,
    SeriesKey,
    Triangular,
    Uniform,
)
from programma._sampling import BLOCK_SIZE, Draws

__all__ = ["oracle"]

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
    return [
        initiative_cost_path(
            context.programme, initiative, commitments[s], overruns[s], delays[s], rates[s]
        )
        for s in range(sampler.scenarios)
    ]


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
    """Per scenario, the participants enrolled each month (with Poisson noise if asked)."""
    mean = expected_enrolment(context, contract)
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
    value = degenerate_value(dist)
    spread = point_mass(value, months) if value is not None else spread_of(dist, months)
    return [spread] * scenarios


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
        value = [
            c * prices[s] * price_index(rates[s], base, fiscal_year(programme, v))
            for v, c in enumerate(count)
        ]
        out.append(MetricPaths(achieved, count, value))
    return out


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


@dataclass
class Capped:
    """One contract's value and payable count per metric after every cap, by verification month."""

    value: dict[str, Path]
    count: dict[str, Path]


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
        cap = metric.cap_per_participant
        if cap is not None:
            metric_stage(metric.id, lambda v, cap=cap: cap * participants(v), on_count=False)
    for metric in contract.metrics:
        if metric.cap_count is not None:
            metric_stage(metric.id, lambda v, cap=metric.cap_count: cap, on_count=True)
        if metric.cap_value is not None:
            metric_stage(metric.id, lambda v, cap=metric.cap_value: cap, on_count=False)
    pooled = contract.cap_per_participant
    if pooled is not None:
        pooled_stage(lambda v: pooled * participants(v))
    if contract.cap is not None:
        cap = contract.cap
        pooled_stage(lambda v: cap)
    return Capped(value, count)


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
    caps = dict(payer.fiscal_year_caps)
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
        room = max(0.0, caps[year] - spent.get(year, 0.0)) if year in caps else math.inf
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


@dataclass
class ContractCash:
    """What a contract's financing has to handle in one scenario, month by month."""

    delivery_cost: dict[str, Path]
    outcome_cash: Path


def provider_financing(
    out: Series, contract: OutcomeContract, cash: list[ContractCash], months: int
) -> None:
    """The provider pays the cost from its own funds and receives every payment."""
    owner = contract.provider
    own_funds = [
        [sum(costs[m] for costs in scenario.delivery_cost.values()) for m in range(months)]
        for scenario in cash
    ]
    record(out, SeriesKey("provider_own_funds", owner, "", contract.id), own_funds)
    record(
        out,
        SeriesKey("provider_receipt", contract.id, owner, contract.id),
        [list(scenario.outcome_cash) for scenario in cash],
    )
    record(
        out,
        SeriesKey("receipts_used", contract.id, owner, contract.id),
        [[0.0] * months for _ in cash],
    )


FINANCING_RULES: dict[
    FinancingMode, Callable[[Series, OutcomeContract, list[ContractCash], int], None]
] = {FinancingMode.PROVIDER: provider_financing}
"""The rule for each financing mode (the others are read as provider financing for now)."""


def finance(out: Series, contract: OutcomeContract, cash: list[ContractCash], months: int) -> None:
    """Record the financing flows of a contract by its mode."""
    rule = FINANCING_RULES.get(contract.financing.mode, provider_financing)
    rule(out, contract, cash, months)


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
    """Per fund and fiscal year: the available budget and the gap, in the year's last month."""
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


# -- the whole programme -----------------------------------------------------------------------


@dataclass
class Context:
    """What every rule needs: the programme and the draws of the run."""

    programme: Programme
    sampler: Sampler
    costs: dict[str, list[Path]] = field(default_factory=dict)


def record(out: Series, key: SeriesKey, values: list[list[float]]) -> None:
    """Add per-scenario monthly values to a series (creating it)."""
    if key not in out:
        out[key] = [list(row) for row in values]
        return
    for row, new in zip(out[key], values, strict=True):
        for m, x in enumerate(new):
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
    return Context(programme, Sampler(programme, scenarios, seed, needed_years(programme, last)))


def record_initiative(out: Series, context: Context, initiative: Initiative) -> None:
    """The initiative's grants from its funds and what it would cost past the horizon."""
    programme = context.programme
    months = programme.months
    costs = context.costs[initiative.id]
    record(
        out,
        SeriesKey("unpaid_after_end", "", initiative.owner, initiative=initiative.id),
        [past_horizon(path, months) for path in costs],
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

    earned = [[sum(values) for values in zip(*c.value.values(), strict=True)] for c in capped]
    outcome_cash = [[0.0] * months for _ in range(scenarios)]
    for payer in contract.payers:
        per_scenario = [
            payer_paths(programme, contract, payer, earned[s]) for s in range(scenarios)
        ]

        def flow(name: str, payer: PayerShare = payer) -> SeriesKey:
            return SeriesKey(name, payer.payer, contract.id, contract.id, fund=payer.fund)

        record(out, flow("outcome_payment"), [p.paid for p in per_scenario])
        record(out, flow("cap_forfeited"), [p.forfeited for p in per_scenario])
        record(out, flow("unpaid_after_end"), [p.unpaid for p in per_scenario])
        for s, p in enumerate(per_scenario):
            for m in range(months):
                outcome_cash[s][m] += p.paid[m]

    delivery: list[dict[str, Path]] = [{} for _ in range(scenarios)]
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
            delivery[s][initiative_id] = costs[s]
    cash = [ContractCash(delivery[s], outcome_cash[s]) for s in range(scenarios)]
    finance(out, contract, cash, months)


def oracle(programme: Programme, *, scenarios: int | None = None, seed: int = 0) -> Series:
    """Every series of ``programme``, per scenario and month, by the rules of DESIGN.md §4.

    ``scenarios=None`` is expected mode (one scenario, every distribution at its mean);
    otherwise the first ``scenarios`` Monte Carlo scenarios under ``seed``.
    """
    context = build_context(programme, scenarios, seed)
    out: Series = {}
    for initiative in programme.initiatives:
        context.costs[initiative.id] = initiative_costs(context, initiative)
        record_initiative(out, context, initiative)
    for contract in programme.contracts:
        record_contract(out, context, contract)
    record_budgets(out, context)
    return out
