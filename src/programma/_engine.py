"""The engine: a programme compiled once into arrays, then run a chunk of scenarios at a time.

The rules are DESIGN §4 with the conventions of §4.8; the explanation pages of the docs give
each with its formula. Arrays are ``(S, …)``: scenarios first. Loops run only over what is
recursive (months, for caps and payments) or small (contracts, metrics, payers).
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from ._cdf import month_pmf
from ._contracts import OutcomeContract
from ._distributions import Ref, Samples, Yearly
from ._initiatives import Initiative
from ._metrics import OutcomeMetric
from ._payments import CapLimits, apply_caps, fiscal_year_caps, settle_dues
from ._programme import Programme
from ._sampling import Draws
from ._series import SeriesKey
from ._time import Resolution, TimeGrid, next_payment_month
from ._vocabulary import CapExcess, CostProfile

__all__ = ["CAP_STAGES", "THRESHOLD_TOLERANCE", "ChunkResult", "Model", "profile_weights"]

THRESHOLD_TOLERANCE = 1e-9
"""Relative tolerance of threshold comparisons (``s − b ≥ τ``)."""

CAP_STAGES: tuple[str, ...] = (
    "metric_per_participant",
    "metric_count",
    "metric_value",
    "contract_per_participant",
    "contract",
)
"""The cap stages in the order they act (DESIGN §4.8.3)."""


def profile_weights(
    profile: CostProfile, months: int, weights: tuple[float, ...] | None
) -> np.ndarray:
    """The share of the commitment spent in each month of an initiative; sums to 1.

    ``flat`` spreads evenly; ``front-loaded`` declines linearly (weights ∝ D, D−1, …, 1);
    ``s-curve`` follows the smoothstep F(x) = 3x² − 2x³ (weight of month j is
    F((j+1)/D) − F(j/D)); ``explicit`` takes the given weights.

    >>> profile_weights(CostProfile.FRONT_LOADED, 3, None).tolist()
    [0.5, 0.3333333333333333, 0.16666666666666666]
    >>> profile_weights(CostProfile.S_CURVE, 2, None).tolist()
    [0.5, 0.5]
    """
    if profile is CostProfile.FLAT:
        return np.full(months, 1.0 / months)
    if profile is CostProfile.FRONT_LOADED:
        raw = np.arange(months, 0, -1, dtype=float)
        return np.asarray(raw / raw.sum())
    if profile is CostProfile.S_CURVE:
        x = np.arange(months + 1) / months
        smooth = 3 * x**2 - 2 * x**3
        return np.diff(smooth)
    assert weights is not None  # validated: explicit profiles carry their weights
    return np.asarray(weights, dtype=float)


@attrs.frozen
class ChunkResult:
    """What one chunk of scenarios produced: kept series and per-scenario scalars.

    Attributes:
        values: ``(S, P, N)``: scenarios × kept periods × series.
        scalars: Per-scenario figures by name, each ``(S,)``.
    """

    values: np.ndarray
    scalars: dict[str, np.ndarray]


class _Layout:
    """The series a run produces, in a fixed order, with their positions."""

    def __init__(self) -> None:
        self.keys: list[SeriesKey] = []
        self.position: dict[SeriesKey, int] = {}

    def add(self, key: SeriesKey) -> int:
        if key not in self.position:
            self.position[key] = len(self.keys)
            self.keys.append(key)
        return self.position[key]


class Model:
    """A programme compiled for the engine: the grid, the series layout, the fixed arrays.

    Compiling is done once per projection; :meth:`run` then runs any chunk of scenarios.
    Everything here is plain data and numpy arrays, so a model pickles to worker processes.
    """

    def __init__(self, programme: Programme) -> None:
        p = programme
        self.programme = p
        self.T = p.months
        self.grid = TimeGrid(p.start, p.months, p.fiscal_year_start_month)
        self.max_lag = max((c.verification_lag_months for c in p.contracts), default=0)
        # Outcome months run 0…T (T holds every outcome reached after the horizon); a value is
        # verified up to T + max_lag months from the start.
        self.T_ext = self.T + 1 + self.max_lag
        base = self.grid.index(p.price_base)
        fiscal_ext = self.grid.fiscal_year_of(np.arange(self.T_ext))
        base_year = int(self.grid.fiscal_year_of(base))
        first_year = min(base_year, int(fiscal_ext[0]))
        last_year = max(base_year, int(fiscal_ext[-1]))
        self.years = tuple(range(first_year, last_year + 1))
        self.year_of_month = fiscal_ext - first_year  # position in self.years, per month
        self.base_year_position = base_year - first_year
        self.fiscal_year = fiscal_ext
        self.parameters = p.parameter_distributions
        self.paid_by = {i: c.id for c in p.contracts for i in c.initiatives}
        self.layout = _Layout()
        self._declare_series()

    # -- layout -------------------------------------------------------------------------------

    def _declare_series(self) -> None:
        add = self.layout.add
        p = self.programme
        funds = {f.id: f for f in p.funds}
        for initiative in p.initiatives:
            for share in initiative.funds:
                owner = funds[share.fund].owner
                add(SeriesKey("grant", owner, initiative.owner, "", initiative.id, share.fund))
            add(SeriesKey("unpaid_after_end", "", initiative.owner, initiative=initiative.id))
        for contract in p.contracts:
            c = contract.id
            for initiative_id in contract.initiatives:
                owner = p.find("initiatives", initiative_id).owner
                add(SeriesKey("delivery_cost", contract.provider, owner, c, initiative_id))
            for metric in contract.metrics:
                for name in ("outcomes_achieved", "outcomes_paid", "earned", "earned_capped"):
                    add(SeriesKey(name, contract=c, metric=metric.id))
            for payer in contract.payers:
                for name in ("outcome_payment", "cap_forfeited", "unpaid_after_end"):
                    add(SeriesKey(name, payer.payer, c, c, fund=payer.fund))
            add(SeriesKey("provider_receipt", c, contract.provider, c))
            add(SeriesKey("provider_own_funds", contract.provider, "", c))
            add(SeriesKey("receipts_used", c, contract.provider, c))

    @property
    def series(self) -> tuple[SeriesKey, ...]:
        """Every series a run produces, in order."""
        return tuple(self.layout.keys)

    @property
    def scalar_names(self) -> tuple[str, ...]:
        """The names of the per-scenario scalars a run produces."""
        return tuple(
            f"cap_cut/{contract.id}/{stage}"
            for contract in self.programme.contracts
            for stage in CAP_STAGES
        )

    def working_bytes_per_scenario(self) -> int:
        """A generous estimate of the memory one scenario needs inside a chunk."""
        p = self.programme
        arrays = 8 + len(self.layout.keys)
        for contract in p.contracts:
            arrays += 10 * len(contract.metrics) + 6 * len(contract.payers) + 8
        return 8 * self.T_ext * arrays * 2

    # -- running ------------------------------------------------------------------------------

    def run(
        self,
        *,
        seed: int,
        first_block: int,
        blocks: int | None,
        resolution: Resolution,
    ) -> ChunkResult:
        """Run one chunk: ``blocks`` whole blocks from ``first_block`` (``None``: expected)."""
        draws = Draws(
            self.parameters, self.years, seed=seed, first_block=first_block, blocks=blocks
        )
        return _Run(self, draws).result(resolution)


class _Run:
    """The arrays of one chunk, computed rule by rule."""

    def __init__(self, model: Model, draws: Draws) -> None:
        self.m = model
        self.d = draws
        self.S = draws.size
        self.monthly = np.zeros((self.S, model.T, len(model.layout.keys)))
        self.scalars: dict[str, np.ndarray] = {}
        self.costs: dict[str, np.ndarray] = {}
        for initiative in model.programme.initiatives:
            self._initiative(initiative)
        for contract in model.programme.contracts:
            self._contract(contract)

    # -- helpers ------------------------------------------------------------------------------

    def put(self, key: SeriesKey, values: np.ndarray, months: slice | None = None) -> None:
        """Add ``values`` (``(S, T)``, or ``(S, k)`` at ``months``) to the series ``key``."""
        column = self.m.layout.position[key]
        if months is None:
            self.monthly[:, :, column] += values
        else:
            self.monthly[:, months, column] += values

    def put_at_end(self, key: SeriesKey, values: np.ndarray) -> None:
        """Add amounts that fall past the horizon to ``key`` in the last month (T − 1)."""
        self.monthly[:, self.m.T - 1, self.m.layout.position[key]] += values

    def index(self, key: str, rate: object) -> np.ndarray:
        """The price index per scenario and month ``(S, T_ext)`` for a yearly-capable rate.

        index(m) = Π (1 + rate of fiscal year y) over the fiscal years after the price base's
        up to m's; before the base, the inverse (DESIGN §4.8.9).
        """
        rates = self.d.yearly(key, rate)  # type: ignore[arg-type]
        growth = np.cumprod(1.0 + rates, axis=1)
        by_year = growth / growth[:, self.m.base_year_position : self.m.base_year_position + 1]
        return by_year[:, self.m.year_of_month]

    # -- §4.2 costs ---------------------------------------------------------------------------

    def _initiative(self, initiative: Initiative) -> None:
        key = f"initiatives/{initiative.id}"
        T_ext, T = self.m.T_ext, self.m.T
        amount = self.d.scalar(f"{key}/commitment", initiative.commitment) * self.d.scalar(
            f"{key}/overrun", initiative.overrun
        )
        delay = self.d.scalar(f"{key}/delay", initiative.delay)
        whole = np.floor(delay)
        fraction = delay - whole
        weights = profile_weights(
            initiative.cost_profile, initiative.duration_months, initiative.cost_weights
        )
        padded = np.concatenate([[0.0], weights, [0.0]])
        start = self.m.grid.index(initiative.start)
        month = np.arange(T_ext)[None, :]
        offset = month - start - whole[:, None].astype(np.int64)
        size = len(weights)
        this = padded[np.clip(offset, -1, size) + 1]
        previous = padded[np.clip(offset - 1, -1, size) + 1]
        profile = (1.0 - fraction[:, None]) * this + fraction[:, None] * previous
        cost = amount[:, None] * profile * self.index(f"{key}/indexation", initiative.indexation)
        # Costs past the horizon are not spent inside it: report them, never drop them.
        self.put_at_end(
            SeriesKey("unpaid_after_end", "", initiative.owner, initiative=initiative.id),
            cost[:, T:].sum(axis=1),
        )
        inside = cost[:, :T]
        self.costs[initiative.id] = inside
        funds = {f.id: f for f in self.m.programme.funds}
        for share in initiative.funds:
            owner = funds[share.fund].owner
            self.put(
                SeriesKey("grant", owner, initiative.owner, "", initiative.id, share.fund),
                inside * share.share,
            )

    # -- §4.3 enrolment and outcomes ----------------------------------------------------------

    def _enrolment(self, contract: OutcomeContract) -> np.ndarray:
        """Participants enrolled per scenario and month, ``(S, T)``."""
        key = f"contracts/{contract.id}/enrolment"
        enrolled = np.zeros((self.S, self.m.T))
        for index, window in enumerate(contract.enrolment.windows):
            first = self.m.grid.index(window.start)
            months = slice(first, first + window.months)
            if window.per_month is not None:
                per_month = self.d.scalar(f"{key}/windows/{index}/per_month", window.per_month)
            else:
                assert window.total is not None  # validated: one of the two is given
                total = self.d.scalar(f"{key}/windows/{index}/total", window.total)
                per_month = total / window.months
            enrolled[:, months] += per_month[:, None]
        if contract.enrolment.poisson and not self.d.expected:
            enrolled = self.d.poisson(f"{key}/noise", enrolled)
        return enrolled

    def _cohort(self, metric: OutcomeMetric, key: str, enrolled: np.ndarray) -> np.ndarray:
        """R: the cohort reaching its time to outcome in each month ``0…T`` ``(S, T+1)``.

        Month T holds everyone who reaches it after the horizon.
        """
        T = self.m.T
        cohort = np.zeros((self.S, T + 1))
        dist = metric.time_to_outcome
        if isinstance(dist, Ref | Samples):  # a value per scenario: all mass at its floor
            shift = np.floor(self.d.scalar(f"{key}/time_to_outcome", dist)).astype(np.int64)
            month = np.arange(T)[None, :] + shift[:, None]
            inside = month < T
            rows = np.broadcast_to(np.arange(self.S)[:, None], month.shape)
            np.add.at(cohort, (rows[inside], month[inside]), enrolled[inside])
            cohort[:, T] = (enrolled * ~inside).sum(axis=1)
            return cohort
        assert not isinstance(dist, Yearly)  # validated: a time to outcome is scalar
        pmf = month_pmf(dist, T + 1)
        for k in np.flatnonzero(pmf[:T]):
            cohort[:, k:T] += pmf[k] * enrolled[:, : T - k]
        # Pr(X ≥ T − m') for each enrolment month m': the part reached after the horizon.
        tail = np.cumsum(pmf[::-1])[::-1][T - np.arange(T)]
        cohort[:, T] = enrolled @ tail
        return cohort

    def _contract(self, contract: OutcomeContract) -> None:
        m = self.m
        T, T_ext = m.T, m.T_ext
        c = contract.id
        lag = contract.verification_lag_months
        enrolled = self._enrolment(contract)
        cumulative = np.cumsum(enrolled, axis=1)
        # Cumulative enrolment up to the outcome month of each verification month v (m = v − lag).
        outcome_month = np.clip(np.arange(T_ext) - lag, -1, T - 1)
        enrolled_by = np.where(outcome_month[None, :] >= 0, cumulative[:, outcome_month], 0.0)
        J = len(contract.metrics)
        value = np.zeros((self.S, J, T_ext))
        count = np.zeros((self.S, J, T_ext))
        for j, metric in enumerate(contract.metrics):
            key = f"contracts/{c}/metrics/{metric.id}"
            share = self.d.scalar(f"{key}/share_achieving", metric.share_achieving)
            baseline = self.d.scalar(f"{key}/baseline", metric.baseline)
            price = self.d.scalar(f"{key}/price", metric.price)
            cohort = self._cohort(metric, key, enrolled)
            achieved = self._by_month(share[:, None] * cohort)
            self.put(SeriesKey("outcomes_achieved", contract=c, metric=metric.id), *achieved)
            gain = share - baseline
            meets = gain >= metric.threshold * (1.0 - THRESHOLD_TOLERANCE)
            payable = np.where(meets, np.maximum(gain, 0.0), 0.0)[:, None] * cohort
            unit = price[:, None] * self.index(f"{key}/indexation", metric.indexation)
            count[:, j, lag : lag + T + 1] = payable
            value[:, j, :] = count[:, j, :] * unit
            self.put(
                SeriesKey("earned", contract=c, metric=metric.id), *self._by_month(value[:, j])
            )
        limits = _limits(contract)
        capped, capped_count, cut = apply_caps(value, count, enrolled_by, limits)
        for stage, name in enumerate(CAP_STAGES):
            self.scalars[f"cap_cut/{c}/{name}"] = cut[:, stage]
        for j, metric in enumerate(contract.metrics):
            self.put(SeriesKey("earned_capped", contract=c, metric=metric.id),
                     *self._by_month(capped[:, j]))  # fmt: skip
            self.put(SeriesKey("outcomes_paid", contract=c, metric=metric.id),
                     *self._by_month(capped_count[:, j]))  # fmt: skip
        self._payments(contract, capped.sum(axis=1))

    def _by_month(self, values: np.ndarray) -> tuple[np.ndarray]:
        """Months ``0…T_ext−1`` folded into the horizon: what lies past it goes to T − 1."""
        T = self.m.T
        inside = values[:, :T].copy()
        inside[:, T - 1] += values[:, T:].sum(axis=1)
        return (inside,)

    # -- §4.4 payment timing and fiscal-year caps ---------------------------------------------

    def _payments(self, contract: OutcomeContract, earned: np.ndarray) -> None:
        m = self.m
        T, T_ext = m.T, m.T_ext
        c = contract.id
        first = m.grid.index(contract.start)
        settlement = min(m.grid.index(contract.last_month) + contract.run_off_months, T - 1)
        schedule = m.grid.schedule_months(
            contract.payment_schedule.value, contract.payment_rrule, first, T_ext
        )
        pay_month = next_payment_month(schedule, T_ext)
        received = np.zeros((self.S, T))
        for payer in contract.payers:
            due, unpaid = settle_dues(earned * payer.share, pay_month, settlement, T)
            caps = dict(payer.fiscal_year_caps)
            paid, lost = fiscal_year_caps(
                due,
                schedule[schedule <= settlement],
                m.fiscal_year[:T],
                caps,
                carry=payer.cap_excess is CapExcess.CARRY,
                settlement=settlement,
            )
            self.put(SeriesKey("outcome_payment", payer.payer, c, c, fund=payer.fund), paid)
            self.put(SeriesKey("cap_forfeited", payer.payer, c, c, fund=payer.fund), lost)
            self.put(SeriesKey("unpaid_after_end", payer.payer, c, c, fund=payer.fund), unpaid)
            received += paid
        self._financing(contract, received)

    # -- §4.5 financing -----------------------------------------------------------------------

    def _financing(self, contract: OutcomeContract, received: np.ndarray) -> None:
        c = contract.id
        cost = np.zeros((self.S, self.m.T))
        for initiative_id in contract.initiatives:
            owner = self.m.programme.find("initiatives", initiative_id).owner
            spent = self.costs[initiative_id]
            self.put(SeriesKey("delivery_cost", contract.provider, owner, c, initiative_id), spent)
            cost += spent
        self.put(SeriesKey("provider_own_funds", contract.provider, "", c), cost)
        self.put(SeriesKey("provider_receipt", c, contract.provider, c), received)

    # -- output -------------------------------------------------------------------------------

    def result(self, resolution: Resolution) -> ChunkResult:
        values = self.m.grid.regroup(self.monthly, resolution, axis=1)
        return ChunkResult(values, self.scalars)


def _limits(contract: OutcomeContract) -> CapLimits:
    def cap(value: float | None) -> float:
        return math.inf if value is None else value

    metrics = contract.metrics
    return CapLimits(
        metric_per_participant=np.array([cap(x.cap_per_participant) for x in metrics]),
        metric_count=np.array([cap(x.cap_count) for x in metrics]),
        metric_value=np.array([cap(x.cap_value) for x in metrics]),
        contract_per_participant=cap(contract.cap_per_participant),
        contract=cap(contract.cap),
    )
