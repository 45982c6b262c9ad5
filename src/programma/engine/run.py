"""The engine: a programme compiled once into arrays, then run a chunk of scenarios at a time.

The rules are DESIGN §4 with the conventions of §4.8; the explanation pages of the docs give
each with its formula. Arrays are ``(S, …)``: scenarios first. Loops run only over what is
recursive (months, for caps and payments) or small (contracts, metrics, payers).
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from .._cdf import month_pmf
from .._checks import MAX_MONTHS
from .._contracts import OutcomeContract
from .._distributions import Distribution, Ref, Samples, Yearly
from .._financing import AdvanceFinancing, InvestorFinancing, Prefinancing, ProviderFinancing
from .._gates import Gate
from .._initiatives import Initiative
from .._metrics import OutcomeMetric
from .._programme import Programme
from .._sampling import Draws
from .._series import SeriesKey
from .._time import Resolution, TimeGrid, next_payment_month
from .._vocabulary import Action, CapExcess, Comparison, CostProfile, GateMeasure, UnearnedAdvance
from ..finance import discount_factors, irr
from .caps import CapLimits, apply_caps, fiscal_year_caps, settle_dues

__all__ = ["CAP_STAGES", "THRESHOLD_TOLERANCE", "ChunkResult", "Model", "profile_weights"]

THRESHOLD_TOLERANCE = 1e-9
"""Relative tolerance of threshold comparisons (``s − b ≥ τ``)."""

GATE_TOLERANCE = 1e-9
"""Relative tolerance of gate comparisons (§4.8.7)."""

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


INVESTOR_FIGURES: tuple[str, ...] = (
    "drawn",
    "distributed",
    "guarantee",
    "multiple",
    "irr",
    "return_cap_bound",
)
"""The per-scenario figures of each investor-financed contract."""


def _financing_series(contract: OutcomeContract, programme: Programme) -> list[SeriesKey]:
    """The series a contract's financing mode adds (§4.5)."""
    c, provider = contract.id, contract.provider
    financing = contract.financing
    if isinstance(financing, InvestorFinancing):
        investor = financing.investor
        keys = [
            SeriesKey("investor_drawdown", investor, provider, c),
            SeriesKey("investor_distribution", c, investor, c),
            SeriesKey("investor_entitlement", c, investor, c),
        ]
        if financing.guarantor is not None:
            fund = financing.guarantor_fund or ""
            keys.append(SeriesKey("guarantee_payment", financing.guarantor, investor, c, fund=fund))
        return keys
    if isinstance(financing, AdvanceFinancing):
        back = _unearned_flow(financing)
        keys = [SeriesKey("advance_used", c, provider, c)]
        for payer in contract.payers:
            keys += [
                SeriesKey("advance", payer.payer, c, c, fund=payer.fund),
                SeriesKey("advance_offset", payer.payer, c, c, fund=payer.fund),
                SeriesKey(back, provider, payer.payer, c, fund=payer.fund),
            ]
        return keys
    if isinstance(financing, Prefinancing):
        partner = financing.partner
        keys = [SeriesKey("prefinancing", partner, provider, c, fund=financing.partner_fund or "")]
        if financing.gate is not None:
            stepper, fund = financing.step_in_payer or "", financing.step_in_fund or ""
            keys += [
                SeriesKey("step_in_funding", stepper, provider, c, fund=fund),
                SeriesKey("prefinancing_repayment", stepper, partner, c, fund=fund),
            ]
        return keys
    return []


def _unearned_flow(financing: AdvanceFinancing) -> str:
    """The series of an advance not earned at settlement: refunded, or forgiven."""
    if financing.unearned is UnearnedAdvance.REFUND:
        return "advance_refund"
    return "advance_forgiven"


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
            if initiative.id not in self.paid_by:  # else its contract records the cost
                owner = initiative.owner
                add(SeriesKey("delivery_cost", owner, owner, initiative=initiative.id))
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
            for key in _financing_series(contract, p):
                add(key)
        for fund in p.funds:
            add(SeriesKey("budget", fund.owner, "", fund=fund.id))
            add(SeriesKey("budget_gap", fund.owner, "", fund=fund.id))
            add(SeriesKey("fund_outflow", fund.owner, "", fund=fund.id))
            add(SeriesKey("fund_earned", fund.owner, "", fund=fund.id))

    @property
    def series(self) -> tuple[SeriesKey, ...]:
        """Every series a run produces, in order."""
        return tuple(self.layout.keys)

    @property
    def scalar_names(self) -> tuple[str, ...]:
        """The names of the per-scenario scalars a run produces.

        ``cap_cut/{contract}/{stage}``: what each cap stage cut; ``gate_met/{gate}``: 1 where
        the gate's condition held; ``gate_measure/{gate}``: what the condition compared with
        its target (the verified count, or the verified rate: NaN where nothing was verified);
        ``investor/{contract}/{figure}`` for investor-financed
        contracts: drawn, distributed, guarantee, multiple, irr (annual), return_cap_bound;
        ``npv/payer/{stakeholder}`` and ``npv/fund/{fund}``: the present value of what each
        pays out (advance refunds received back count against it); and
        ``pv/contract/{contract}/payments``: the present value of its outcome payments
        (cash and advance offsets). Present values are at the programme's discount rate, in
        real terms when it has a deflator, to the start of the price-base month, with each
        month's flows at the month's end.
        """
        p = self.programme
        names = [f"cap_cut/{c.id}/{stage}" for c in p.contracts for stage in CAP_STAGES]
        names += [f"gate_met/{gate.id}" for gate in p.gates]
        names += [f"gate_measure/{gate.id}" for gate in p.gates]
        names += [f"npv/payer/{payer}" for payer in self.payers]
        names += [f"npv/fund/{fund.id}" for fund in p.funds]
        names += [f"pv/contract/{c.id}/payments" for c in p.contracts]
        names += [
            f"investor/{c.id}/{figure}"
            for c in p.contracts
            if isinstance(c.financing, InvestorFinancing)
            for figure in INVESTOR_FIGURES
        ]
        return tuple(names)

    @property
    def payers(self) -> tuple[str, ...]:
        """Every stakeholder that pays a flow out of a fund or its own pocket, in order."""
        found: dict[str, None] = {}
        for key in self.layout.keys:
            if key.flow in FUND_OUTFLOWS and key.flow != "advance_refund":
                found[key.payer] = None
        return tuple(found)

    def working_bytes_per_scenario(self, resolution: Resolution) -> int:
        """An upper estimate of the memory one scenario needs inside a chunk.

        Monthly arrays live only inside a chunk: per initiative its cost, gate factor and
        scratch (3); per contract its enrolment, gate factor, cohorts and scratch (12), per
        metric its values, counts and caps (10) and, with an investor, its entitlement path
        (1); the series are kept per period at the chosen resolution and by fiscal year.
        """
        p = self.programme
        months = 3 * len(p.initiatives) + 12
        for contract in p.contracts:
            months += 12 + 10 * len(contract.metrics) + 2 * len(contract.payers)
            months += isinstance(contract.financing, InvestorFinancing)
        periods = len(self.grid.labels(resolution)) + len(self.grid.labels("fiscal_year"))
        return 8 * (self.T_ext * months + periods * len(self.layout.keys))

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
        return _Run(self, draws, resolution).result()


def _weighted_sum(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Σ weights[i] · values[i], series by series: the same rounding for any chunk size."""
    total = np.zeros(values.shape[1:])
    for weight, series in zip(weights, values, strict=True):
        if weight:
            total += weight * series
    return total


class _Run:
    """The arrays of one chunk, computed rule by rule."""

    def __init__(self, model: Model, draws: Draws, resolution: Resolution) -> None:
        self.m = model
        self.d = draws
        self.S = draws.size
        p = model.programme
        # Series are kept per period as they are computed: (series, scenarios, periods), at the
        # caller's resolution and by fiscal year (which the budgets need). No (S, T, N) array.
        self.kept = _Accumulator(model.grid, resolution, len(model.layout.keys), self.S)
        self.fiscal = (
            self.kept
            if resolution == "fiscal_year"
            else _Accumulator(model.grid, "fiscal_year", len(model.layout.keys), self.S)
        )
        self.scalars: dict[str, np.ndarray] = {
            name: np.zeros(self.S) for name in model.scalar_names
        }
        self.discount = self._discount_factors()
        self.cost_beyond: dict[str, np.ndarray] = {}
        self.base_cost = {i.id: self._base_cost(i) for i in p.initiatives}
        self.base_enrolment = {c.id: self._base_enrolment(c) for c in p.contracts}
        self.metric_draws = {
            c.id: [self._metric_draws(c, x) for x in c.metrics] for c in p.contracts
        }
        self.cost_factor = {i.id: np.ones((self.S, model.T_ext)) for i in p.initiatives}
        self.enrolment_factor = {c.id: np.ones((self.S, model.T)) for c in p.contracts}
        self.stopped_from = {c.id: np.full(self.S, model.T_ext) for c in p.contracts}
        self.steps_in: dict[str, np.ndarray] = {}
        for gate in sorted(p.gates, key=lambda g: g.month):
            self._gate(gate)
        self.costs = {i.id: self._initiative(i) for i in p.initiatives}
        for contract in p.contracts:
            self._contract(contract)
        self._funds()

    # -- helpers ------------------------------------------------------------------------------

    def put(self, key: SeriesKey, values: np.ndarray) -> None:
        """Add ``values`` ``(S, T)`` to the series ``key``."""
        column = self.m.layout.position[key]
        self.kept.add(column, values)
        if self.fiscal is not self.kept and key.flow in FUND_OUTFLOWS:  # what budgets read
            self.fiscal.add(column, values)
        if key.flow in _DISCOUNTED:
            self._present_value(key, (values * self.discount).sum(axis=1))

    def put_balance(self, key: SeriesKey, values: np.ndarray) -> None:
        """Keep a balance ``(S, T)``: each period holds its value at the period's last month."""
        self.kept.add_last(self.m.layout.position[key], values)

    def put_at(self, key: SeriesKey, month: int, values: np.ndarray) -> None:
        """Add ``values`` ``(S,)`` to the series ``key`` in ``month``."""
        column = self.m.layout.position[key]
        self.kept.add_at(column, month, values)
        if self.fiscal is not self.kept and key.flow in FUND_OUTFLOWS:
            self.fiscal.add_at(column, month, values)
        if key.flow in _DISCOUNTED:
            self._present_value(key, values * self.discount[:, month])

    def _discount_factors(self) -> np.ndarray:
        """Each month's discount factor (its end, from the price-base month's start), ``(S, T)``."""
        p = self.m.programme
        base = self.m.grid.index(p.price_base)
        years = (np.arange(self.m.T) + 1 - base) / 12.0
        factors = discount_factors(p.discount_rate, years)[None, :]
        if p.deflator is None:
            return np.broadcast_to(factors, (self.S, self.m.T))
        prices = self.index("programme/deflator", p.deflator)[:, : self.m.T]
        return np.asarray(factors / prices)

    def _present_value(self, key: SeriesKey, amount: np.ndarray) -> None:
        """Add a flow's present value to its payer's and fund's (and contract's) figures."""
        if key.flow == "advance_refund":  # money back to the payer, into its fund
            self.scalars[f"npv/payer/{key.payee}"] -= amount
            self.scalars[f"npv/fund/{key.fund}"] -= amount
            return
        if key.flow in FUND_OUTFLOWS:
            self.scalars[f"npv/payer/{key.payer}"] += amount
            if key.fund:
                self.scalars[f"npv/fund/{key.fund}"] += amount
        if key.flow in ("outcome_payment", "advance_offset"):
            self.scalars[f"pv/contract/{key.contract}/payments"] += amount

    def index(self, key: str, rate: Distribution) -> np.ndarray:
        """The price index per scenario and month ``(S, T_ext)`` for a yearly-capable rate.

        index(m) = Π (1 + rate of fiscal year y) over the fiscal years after the price base's
        up to m's; before the base, the inverse (DESIGN §4.8.9).
        """
        rates = self.d.yearly(key, rate)
        growth = np.cumprod(1.0 + rates, axis=1)
        by_year = growth / growth[:, self.m.base_year_position : self.m.base_year_position + 1]
        # Fancy indexing along the months lays the result out column by column; later sums
        # over months would then add in an order that depends on the number of scenarios.
        return np.ascontiguousarray(by_year[:, self.m.year_of_month])

    def _by_month(self, values: np.ndarray) -> np.ndarray:
        """Months ``0…T_ext−1`` folded into the horizon: what lies past it goes to T − 1."""
        T = self.m.T
        inside = values[:, :T].copy()
        inside[:, T - 1] += values[:, T:].sum(axis=1)
        return inside

    # -- §4.2 costs ---------------------------------------------------------------------------

    def _base_cost(self, initiative: Initiative) -> np.ndarray:
        """The initiative's cost per scenario and month ``(S, T_ext)``, before any gate."""
        key = f"initiatives/{initiative.id}"
        amount = self.d.scalar(f"{key}/commitment", initiative.commitment) * self.d.scalar(
            f"{key}/overrun", initiative.overrun
        )
        delay = self.d.scalar(f"{key}/delay", initiative.delay)
        if np.all(delay == delay[0]):
            delay = delay[:1]  # one profile serves every scenario
        whole = np.floor(delay)
        fraction = delay - whole
        weights = profile_weights(
            initiative.cost_profile, initiative.duration_months, initiative.cost_weights
        )
        padded = np.concatenate([[0.0], weights, [0.0]])
        start = self.m.grid.index(initiative.start)
        size = len(weights)
        T_ext = self.m.T_ext
        # Months reach as far as the longest delay pushes the profile (at most 100 years on).
        length = int(min(max(T_ext, start + whole.max() + size + 2), T_ext + MAX_MONTHS))
        offset = np.arange(length)[None, :] - start - whole[:, None].astype(np.int64)
        this = padded[np.clip(offset, -1, size) + 1]
        previous = padded[np.clip(offset - 1, -1, size) + 1]
        profile = (1.0 - fraction[:, None]) * this + fraction[:, None] * previous
        index = self.index(f"{key}/indexation", initiative.indexation)
        if length > T_ext:
            # After the months the engine tracks, prices go on rising once per fiscal year,
            # each later year at its own draw of the rate.
            last_year = int(self.m.fiscal_year[-1])
            fiscal = self.m.grid.fiscal_year_of(np.arange(T_ext, length))
            later_years = tuple(range(last_year + 1, int(fiscal.max()) + 1))
            rates = self.d.yearly(f"{key}/indexation", initiative.indexation, later_years)
            growth = np.cumprod(np.concatenate([np.ones((self.S, 1)), 1.0 + rates], axis=1), axis=1)
            later = index[:, -1:] * growth[:, fiscal - last_year]
            index = np.concatenate([index, later], axis=1)
        cost = amount[:, None] * profile * index
        # How far the months reach depends on the chunk's longest delay, so every sum here is
        # one that trailing months of nothing cannot change: running sums, from the left.
        beyond = np.cumsum(cost[:, T_ext:], axis=1)[:, -1] if length > T_ext else 0.0
        # Whatever is still beyond (a delay over a century) is valued at the last prices; a
        # profile that ends inside the months leaves nothing beyond, whatever its rounding.
        ends_inside = start + whole + size < length
        left = np.clip(1.0 - np.cumsum(profile, axis=1)[:, -1], 0.0, None)
        rest = np.where(ends_inside, 0.0, left) * index[:, -1]
        self.cost_beyond[initiative.id] = beyond + amount * rest
        return np.asarray(cost[:, :T_ext])

    def _initiative(self, initiative: Initiative) -> np.ndarray:
        """Record the initiative's grants; return its cost inside the horizon ``(S, T)``."""
        T = self.m.T
        factor = self.cost_factor[initiative.id]
        cost = self.base_cost[initiative.id] * factor
        beyond = self.cost_beyond[initiative.id] * factor[:, -1]
        # Costs past the horizon are not spent inside it: report them, never drop them.
        self.put_at(
            SeriesKey("unpaid_after_end", "", initiative.owner, initiative=initiative.id),
            T - 1,
            cost[:, T:].sum(axis=1) + beyond,
        )
        inside = cost[:, :T]
        if initiative.id not in self.m.paid_by:  # paid by its funds: the owner carries it
            owner = initiative.owner
            self.put(SeriesKey("delivery_cost", owner, owner, initiative=initiative.id), inside)
        funds = {f.id: f for f in self.m.programme.funds}
        for share in initiative.funds:
            owner = funds[share.fund].owner
            self.put(
                SeriesKey("grant", owner, initiative.owner, "", initiative.id, share.fund),
                inside * share.share,
            )
        return inside

    # -- §4.3 enrolment and outcomes ----------------------------------------------------------

    def _base_enrolment(self, contract: OutcomeContract) -> np.ndarray:
        """Expected participants enrolled per scenario and month ``(S, T)``, before any gate."""
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
        return enrolled

    def _enrolment(self, contract: OutcomeContract) -> np.ndarray:
        """Participants enrolled ``(S, T)`` after the gates decided so far, with any noise."""
        mean = self.base_enrolment[contract.id] * self.enrolment_factor[contract.id]
        if contract.enrolment.poisson and not self.d.expected:
            return self.d.poisson(f"contracts/{contract.id}/enrolment/noise", mean)
        return mean

    def _metric_draws(self, contract: OutcomeContract, metric: OutcomeMetric) -> _MetricDraws:
        key = f"contracts/{contract.id}/metrics/{metric.id}"
        return _MetricDraws(
            key=key,
            share=self.d.scalar(f"{key}/share_achieving", metric.share_achieving),
            baseline=self.d.scalar(f"{key}/baseline", metric.baseline),
            price=self.d.scalar(f"{key}/price", metric.price),
        )

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
        # Shifted sums over the months anyone enrols in, element by element: no matrix
        # product, whose rounding could depend on how many scenarios share the chunk.
        active = np.flatnonzero(enrolled.any(axis=0))
        entering = enrolled[:, active]
        for k in np.flatnonzero(pmf[:T]):
            reach = active + k
            inside = reach < T
            cohort[:, reach[inside]] += pmf[k] * entering[:, inside]
        # Pr(X ≥ T − m') for each enrolment month m': the part reached after the horizon.
        tail = np.cumsum(pmf[::-1])[::-1][T - np.arange(T)]
        cohort[:, T] = (enrolled * tail[None, :]).sum(axis=1)
        return cohort

    # -- §4.6 gates ---------------------------------------------------------------------------

    def _gate(self, gate: Gate) -> None:
        """Read the gate's condition per scenario, then apply its decision from its month on."""
        p = self.m.programme
        month = self.m.grid.index(gate.month)
        condition = gate.condition
        contract: OutcomeContract = p.find("contracts", condition.contract)
        j = [x.id for x in contract.metrics].index(condition.metric)
        metric = contract.metrics[j]
        draws = self.metric_draws[contract.id][j]
        cohort = self._cohort(metric, draws.key, self._enrolment(contract))
        verified = max(0, min(month - contract.verification_lag_months + 1, self.m.T))
        reached = cohort[:, :verified].sum(axis=1)
        achieved = draws.share * reached
        if condition.measure is GateMeasure.COUNT:
            measure, defined = achieved, np.ones(self.S, dtype=bool)
        else:
            defined = reached > 0
            measure = np.divide(achieved, reached, out=np.zeros(self.S), where=defined)
        met = defined & _compare(measure, condition.comparison, condition.target)
        self.scalars[f"gate_met/{gate.id}"] = met.astype(float)
        self.scalars[f"gate_measure/{gate.id}"] = np.where(defined, measure, np.nan)
        for decision, where in ((gate.if_met, met), (gate.if_not_met, ~met)):
            if decision.action is Action.STEP_IN:
                assert gate.contract is not None  # validated: step-in acts on a contract
                self.steps_in[gate.contract] = where
                continue
            if decision.action is Action.CONTINUE:
                continue
            factor = 0.0 if decision.action is Action.STOP else float(decision.factor or 0.0)
            scale = np.where(where, factor, 1.0)[:, None]
            if gate.contract is not None:
                self.enrolment_factor[gate.contract][:, month:] *= scale
                target: OutcomeContract = p.find("contracts", gate.contract)
                for initiative_id in target.initiatives:
                    self.cost_factor[initiative_id][:, month:] *= scale
                if decision.action is Action.STOP:
                    stopped = self.stopped_from[gate.contract]
                    stopped[where] = np.minimum(stopped[where], month)
            else:
                assert gate.initiative is not None  # validated: exactly one target
                self.cost_factor[gate.initiative][:, month:] *= scale

    # -- contracts: outcomes, caps, payments, financing ---------------------------------------

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
        if not contract.pay_enrolled_after_stop:
            payable_until = self.stopped_from[c][:, None]
            unstopped = np.arange(T_ext)[None, :] < payable_until
        for j, metric in enumerate(contract.metrics):
            draws = self.metric_draws[c][j]
            cohort = self._cohort(metric, draws.key, enrolled)
            achieved = self._by_month(draws.share[:, None] * cohort)
            self.put(SeriesKey("outcomes_achieved", contract=c, metric=metric.id), achieved)
            gain = draws.share - draws.baseline
            meets = gain >= metric.threshold * (1.0 - THRESHOLD_TOLERANCE)
            payable = np.where(meets, np.maximum(gain, 0.0), 0.0)[:, None] * cohort
            unit = draws.price[:, None] * self.index(f"{draws.key}/indexation", metric.indexation)
            count[:, j, lag : lag + T + 1] = payable
            if not contract.pay_enrolled_after_stop:
                count[:, j, :] *= unstopped
            value[:, j, :] = count[:, j, :] * unit
            earned = self._by_month(value[:, j])
            self.put(SeriesKey("earned", contract=c, metric=metric.id), earned)
        capped, capped_count, cut = apply_caps(value, count, enrolled_by, _limits(contract))
        for stage, name in enumerate(CAP_STAGES):
            self.scalars[f"cap_cut/{c}/{name}"] = cut[:, stage]
        for j, metric in enumerate(contract.metrics):
            capped_j = self._by_month(capped[:, j])
            self.put(SeriesKey("earned_capped", contract=c, metric=metric.id), capped_j)
            paid_j = self._by_month(capped_count[:, j])
            self.put(SeriesKey("outcomes_paid", contract=c, metric=metric.id), paid_j)
        gross = self._payments(contract, capped.sum(axis=1))
        # Each fund's share of what was earned after caps, before fiscal-year caps (§4.8.10).
        earned_total = self._by_month(capped.sum(axis=1))
        funds = {f.id: f for f in m.programme.funds}
        for payer in contract.payers:
            owner = funds[payer.fund].owner
            key = SeriesKey("fund_earned", owner, "", fund=payer.fund)
            self.put(key, payer.share * earned_total)
        cost = np.zeros((self.S, T))
        for initiative_id in contract.initiatives:
            owner = m.programme.find("initiatives", initiative_id).owner
            spent = self.costs[initiative_id]
            self.put(SeriesKey("delivery_cost", contract.provider, owner, c, initiative_id), spent)
            cost += spent
        _FINANCING[type(contract.financing)](self, contract, gross, cost)

    def _payments(self, contract: OutcomeContract, earned: np.ndarray) -> np.ndarray:
        """Payment timing and fiscal-year caps (§4.4): each payer's gross due ``(I, S, T)``."""
        m = self.m
        T, T_ext = m.T, m.T_ext
        c = contract.id
        first = m.grid.index(contract.start)
        settlement = self.settlement(contract)
        schedule = m.grid.schedule_months(
            contract.payment_schedule.value, contract.payment_rrule, first, T_ext
        )
        pay_month = next_payment_month(schedule, T_ext)
        gross = np.zeros((len(contract.payers), self.S, T))
        years = [int(year) for year in np.unique(m.fiscal_year[:T])]
        for i, payer in enumerate(contract.payers):
            due, unpaid = settle_dues(earned * payer.share, pay_month, settlement, T)
            caps = {year: cap for year in years if (cap := payer.cap_in(year)) is not None}
            paid, lost = fiscal_year_caps(
                due,
                schedule[schedule <= settlement],
                m.fiscal_year[:T],
                caps,
                carry=payer.cap_excess is CapExcess.CARRY,
                settlement=settlement,
            )
            self.put(SeriesKey("cap_forfeited", payer.payer, c, c, fund=payer.fund), lost)
            self.put(SeriesKey("unpaid_after_end", payer.payer, c, c, fund=payer.fund), unpaid)
            gross[i] = paid
        return gross

    def settlement(self, contract: OutcomeContract) -> int:
        """L = end + run-off: the month everything is settled (§4.8.2).

        The programme refuses a contract that settles after the horizon, so L ≤ T − 1.
        """
        settlement = self.m.grid.index(contract.last_month) + contract.run_off_months
        assert settlement <= self.m.T - 1, "validated: every contract settles inside the horizon"
        return settlement

    # -- §4.5 financing -----------------------------------------------------------------------

    def _pay_outcomes(self, contract: OutcomeContract, cash: np.ndarray) -> np.ndarray:
        """Record each payer's outcome payment in cash ``(I, S, T)``; return their sum."""
        c = contract.id
        for i, payer in enumerate(contract.payers):
            self.put(SeriesKey("outcome_payment", payer.payer, c, c, fund=payer.fund), cash[i])
        return np.asarray(cash.sum(axis=0))

    def _provider(self, contract: OutcomeContract, gross: np.ndarray, cost: np.ndarray) -> None:
        c = contract.id
        received = self._pay_outcomes(contract, gross)
        self.put(SeriesKey("provider_own_funds", contract.provider, "", c), cost)
        self.put(SeriesKey("provider_receipt", c, contract.provider, c), received)

    def _investor(self, contract: OutcomeContract, gross: np.ndarray, cost: np.ndarray) -> None:
        financing = contract.financing
        assert isinstance(financing, InvestorFinancing)
        c, S, T = contract.id, self.S, self.m.T
        received = self._pay_outcomes(contract, gross)
        last = self.m.grid.index(contract.last_month)
        settlement = self.settlement(contract)
        growth = (1.0 + financing.return_cap) ** (1.0 / 12.0)
        entitlement = np.zeros(S)
        drawn = np.zeros(S)
        distributed = np.zeros(S)
        bound = np.zeros(S, dtype=bool)
        used = np.minimum(received, cost)
        drawdown = np.zeros((S, T))
        distribution = np.zeros((S, T))
        owed = np.zeros((S, T))  # the entitlement at each month's end; it lapses after L
        for month in range(T):
            short = cost[:, month] - used[:, month]
            if month <= last:  # no draw-down after the contract's end
                take = np.minimum(short, np.maximum(financing.commitment - drawn, 0.0))
                drawdown[:, month] = take
                drawn += take
            entitlement = entitlement * growth + drawdown[:, month]
            surplus = received[:, month] - used[:, month]
            paid = np.minimum(surplus, entitlement)
            # The cap binds when capital is in and the investor would have taken more.
            bound |= (drawn > 0) & (surplus > paid * (1.0 + 1e-12) + 1e-9)
            entitlement -= paid
            distribution[:, month] = paid
            distributed += paid
            if month <= settlement:
                owed[:, month] = entitlement
        guarantee = np.maximum(financing.capital_protection * drawn - distributed, 0.0)
        investor, provider = financing.investor, contract.provider
        self.put(SeriesKey("receipts_used", c, provider, c), used)
        self.put(SeriesKey("investor_drawdown", investor, provider, c), drawdown)
        self.put(SeriesKey("provider_own_funds", provider, "", c), cost - used - drawdown)
        self.put(SeriesKey("investor_distribution", c, investor, c), distribution)
        self.put_balance(SeriesKey("investor_entitlement", c, investor, c), owed)
        self.put(SeriesKey("provider_receipt", c, provider, c), received - distribution)
        if financing.guarantor is not None:
            key = SeriesKey(
                "guarantee_payment",
                financing.guarantor,
                investor,
                c,
                fund=financing.guarantor_fund or "",
            )
            self.put_at(key, settlement, guarantee)
        flows = distribution - drawdown
        flows[:, settlement] += guarantee if financing.guarantor is not None else 0.0
        # The investor's months run from the first month any cost of the contract can fall in
        # to settlement; the same window for every scenario, so chunking changes nothing.
        first = min(
            [self.m.grid.index(contract.start)]
            + [
                self.m.grid.index(self.m.programme.find("initiatives", i).start)
                for i in contract.initiatives
            ]
        )
        window = flows[:, max(first, 0) : settlement + 1]
        self._investor_figures(c, window, drawn, distributed, guarantee, bound)

    def _investor_figures(
        self,
        c: str,
        flows: np.ndarray,
        drawn: np.ndarray,
        distributed: np.ndarray,
        guarantee: np.ndarray,
        bound: np.ndarray,
    ) -> None:
        returned = distributed + guarantee
        invested = drawn > 0
        monthly = irr(flows)
        self.scalars[f"investor/{c}/drawn"] = drawn
        self.scalars[f"investor/{c}/distributed"] = distributed
        self.scalars[f"investor/{c}/guarantee"] = guarantee
        self.scalars[f"investor/{c}/multiple"] = np.divide(
            returned, drawn, out=np.full(self.S, np.nan), where=invested
        )
        self.scalars[f"investor/{c}/irr"] = np.where(invested, (1.0 + monthly) ** 12 - 1.0, np.nan)
        self.scalars[f"investor/{c}/return_cap_bound"] = bound.astype(float)

    def _advances(self, contract: OutcomeContract, gross: np.ndarray, cost: np.ndarray) -> None:
        financing = contract.financing
        assert isinstance(financing, AdvanceFinancing)
        c, S, T = contract.id, self.S, self.m.T
        schedule = np.zeros(T)
        for advance in financing.advances:
            schedule[self.m.grid.index(advance.month)] += advance.amount
        for window in financing.windows:  # a monthly amount in each month of the window
            first = self.m.grid.index(window.start)
            schedule[first : first + window.months] += window.amount_per_month
        settlement = self.settlement(contract)
        cash = np.zeros_like(gross)
        pool = np.zeros(S)
        used = np.zeros((S, T))
        for i, payer in enumerate(contract.payers):
            paid_in = schedule * payer.share
            offset = _offsets(paid_in, gross[i])
            cash[i] = gross[i] - offset
            unearned = paid_in.sum() - offset[:, : settlement + 1].sum(axis=1)
            who = (payer.payer, c, c)
            self.put(SeriesKey("advance", *who, fund=payer.fund), np.broadcast_to(paid_in, (S, T)))
            self.put(SeriesKey("advance_offset", *who, fund=payer.fund), offset)
            back = SeriesKey(
                _unearned_flow(financing),
                contract.provider,
                payer.payer,
                c,
                fund=payer.fund,
            )
            self.put_at(back, settlement, unearned)
        for month in range(T):
            pool += schedule[month]
            take = np.minimum(cost[:, month], pool)
            used[:, month] = take
            pool -= take
        received = self._pay_outcomes(contract, cash)
        self.put(SeriesKey("advance_used", c, contract.provider, c), used)
        self.put(SeriesKey("provider_own_funds", contract.provider, "", c), cost - used)
        self.put(SeriesKey("provider_receipt", c, contract.provider, c), received)

    def _prefinancing(self, contract: OutcomeContract, gross: np.ndarray, cost: np.ndarray) -> None:
        financing = contract.financing
        assert isinstance(financing, Prefinancing)
        c, T = contract.id, self.m.T
        month = np.arange(T)[None, :]
        received = self._pay_outcomes(contract, gross)
        partner, provider = financing.partner, contract.provider
        if financing.gate is None:
            assert financing.months is not None  # validated: months or a gate
            end = self.m.grid.index(contract.start) + financing.months
            partner_part = np.where(month < end, cost, 0.0)
            self.put(SeriesKey("provider_own_funds", provider, "", c), cost - partner_part)
        else:
            gate: Gate = self.m.programme.find("gates", financing.gate)
            g = self.m.grid.index(gate.month)
            steps_in = self.steps_in[c][:, None]
            partner_part = np.where(month < g, cost, 0.0)
            step_in = np.where((month >= g) & steps_in, cost, 0.0)
            repayment = financing.repay_share * partner_part.sum(axis=1) * steps_in[:, 0]
            payer, fund = financing.step_in_payer or "", financing.step_in_fund or ""
            self.put(SeriesKey("step_in_funding", payer, provider, c, fund=fund), step_in)
            self.put_at(
                SeriesKey("prefinancing_repayment", payer, partner, c, fund=fund), g, repayment
            )
            self.put(
                SeriesKey("provider_own_funds", provider, "", c), cost - partner_part - step_in
            )
        self.put(
            SeriesKey("prefinancing", partner, provider, c, fund=financing.partner_fund or ""),
            partner_part,
        )
        self.put(SeriesKey("provider_receipt", c, provider, c), received)

    # -- §4.6 funds and budgets ---------------------------------------------------------------

    def _funds(self) -> None:
        m = self.m
        signs = dict.fromkeys(FUND_OUTFLOWS, 1.0)
        signs["advance_refund"] = -1.0
        weights = np.array([signs.get(key.flow, 0.0) for key in m.layout.keys])
        last_months = m.grid.last_months("fiscal_year")
        years = [int(y) for y in np.unique(m.fiscal_year[: m.T])]
        for fund in m.programme.funds:
            mine = np.array([key.fund == fund.id for key in m.layout.keys], dtype=bool)
            # Series by series in layout order: a BLAS product (tensordot) sums in an order
            # that depends on how many scenarios the chunk holds, which changes the rounding.
            by_year = _weighted_sum(weights[mine], self.fiscal.values[mine])
            outflow_key = SeriesKey("fund_outflow", fund.owner, "", fund=fund.id)
            kept_outflow = _weighted_sum(weights[mine], self.kept.values[mine])
            self.kept.values[m.layout.position[outflow_key]] = kept_outflow
            carry = np.zeros(self.S)
            budget = SeriesKey("budget", fund.owner, "", fund=fund.id)
            gap = SeriesKey("budget_gap", fund.owner, "", fund=fund.id)
            for y, year in enumerate(years):
                available = fund.amount(year) + carry
                outflow = by_year[:, y]
                self.put_at(budget, int(last_months[y]), np.broadcast_to(available, (self.S,)))
                self.put_at(gap, int(last_months[y]), outflow - available)
                carry = (
                    np.maximum(available - outflow, 0.0) if fund.carry_over else np.zeros(self.S)
                )

    # -- output -------------------------------------------------------------------------------

    def result(self) -> ChunkResult:
        values = np.ascontiguousarray(self.kept.values.transpose(1, 2, 0))
        return ChunkResult(values, self.scalars)


class _Accumulator:
    """Series summed into periods as they arrive: ``values[n, s, p]``."""

    def __init__(self, grid: TimeGrid, resolution: Resolution, series: int, scenarios: int):
        self.group, labels = grid.groups(resolution)
        self.starts = np.flatnonzero(np.r_[True, self.group[1:] != self.group[:-1]])
        self.ends = np.r_[self.starts[1:] - 1, grid.months - 1]
        self.monthly = len(labels) == grid.months
        self.values = np.zeros((series, scenarios, len(labels)))

    def add(self, column: int, monthly: np.ndarray) -> None:
        """Add a monthly series ``(S, T)``."""
        if self.monthly:
            self.values[column] += monthly
        else:
            self.values[column] += np.add.reduceat(monthly, self.starts, axis=1)

    def add_last(self, column: int, monthly: np.ndarray) -> None:
        """Add a monthly balance ``(S, T)``, taken at each period's last month."""
        self.values[column] += monthly[:, self.ends]

    def add_at(self, column: int, month: int, values: np.ndarray) -> None:
        """Add ``(S,)`` in one month."""
        self.values[column, :, self.group[month]] += values


FUND_OUTFLOWS: tuple[str, ...] = (
    "grant",
    "outcome_payment",
    "advance",
    "step_in_funding",
    "prefinancing",
    "prefinancing_repayment",
    "guarantee_payment",
    "advance_refund",
)
"""The flows that make up a fund's cash outflow (an advance refund counts negatively)."""

_DISCOUNTED = frozenset({*FUND_OUTFLOWS, "advance_offset"})


@attrs.frozen
class _MetricDraws:
    key: str
    share: np.ndarray
    baseline: np.ndarray
    price: np.ndarray


def _compare(measure: np.ndarray, comparison: Comparison, target: float) -> np.ndarray:
    """A gate comparison with 1e-9 relative tolerance (§4.8.7)."""
    slack = GATE_TOLERANCE * abs(target)
    if comparison is Comparison.AT_LEAST:
        return measure >= target - slack
    if comparison is Comparison.MORE_THAN:
        return measure > target + slack
    if comparison is Comparison.AT_MOST:
        return measure <= target + slack
    return measure < target - slack


def _offsets(paid_in: np.ndarray, due: np.ndarray) -> np.ndarray:
    """Each month's dues offset against the open advance balance, credited first (§4.8.5)."""
    offset = np.zeros_like(due)
    balance = np.zeros(due.shape[0])
    for month in range(due.shape[1]):
        balance = balance + paid_in[month]
        take = np.minimum(due[:, month], balance)
        offset[:, month] = take
        balance = balance - take
    return offset


_FINANCING = {
    ProviderFinancing: _Run._provider,
    InvestorFinancing: _Run._investor,
    AdvanceFinancing: _Run._advances,
    Prefinancing: _Run._prefinancing,
}


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
