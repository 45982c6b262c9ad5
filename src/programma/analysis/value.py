"""Value for money: the value outcomes create against what the programme's funds pay for them.

Per contract, per area and for the programme, per scenario and as spreads:

- **outcomes**: the outcomes counted, on a *basis* (:data:`BASES`): by default the
  **additional** outcomes, (s − b) · R, those achieved above the baseline, whether or not a
  threshold or a cap let them be paid;
- **value**: outcomes × the metric's ``value_per_outcome``, drawn per scenario from its own
  keyed stream, at the outcome month;
- **cost**: what the programme's funds pay out for the contract (its fund outflows: outcome
  payments, advances less refunds, step-in funding, pre-financing, guarantee payments; a
  repayment of pre-financing is left out, as the pre-financing it repays is already counted);
- **net social value** = value − cost and the **benefit–cost ratio** = value / cost, both
  from present values at a chosen discount rate or preset;
- **cost per outcome** = cost (undiscounted, as paid) / outcomes.

And per payer and per fund, for each fiscal year, the **maximum exposure**: the most its
outcome payments can be in that year under the caps (:class:`Exposure`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from .._errors import Problem, ValidationError
from ..engine.layout import FUND_OUTFLOWS
from ..engine.projection import Projection
from ..engine.values import value_draws
from ..finance import DISCOUNT_PRESETS, discount_factors
from ..model.checks import add_months
from ..model.contracts import OutcomeContract
from ..model.distributions import Distribution
from ..model.moments import support_of
from ..model.programme import Programme
from ..model.vocabulary import Action
from .areas import PROGRAMME_WIDE, split_over_areas
from .summary import PERCENTILE_METHOD, Spread

__all__ = [
    "BASES",
    "EXPOSURE_TERMS",
    "FIGURES",
    "VALUE_RECORD_FIELDS",
    "ContractExposure",
    "Exposure",
    "ValueForMoney",
    "ValueRow",
    "value_for_money",
]

Basis = Literal["additional", "achieved", "paid"]

BASES: tuple[str, ...] = ("additional", "achieved", "paid")
"""The outcomes value is counted on:

- ``additional`` (the default): achieved above the baseline, (s − b) · R — the outcomes the
  programme made happen, paid or not: the social value it adds;
- ``achieved``: every outcome achieved, s · R, with those that would have happened anyway;
- ``paid``: the outcomes paid for, after threshold and caps (``outcomes_paid``): what the
  payers bought.
"""

FIGURES: tuple[str, ...] = (
    "outcomes",
    "value_undiscounted",
    "cost_undiscounted",
    "value",
    "cost",
    "net_social_value",
    "benefit_cost_ratio",
    "cost_per_outcome",
)
"""The figures of a :class:`ValueRow`, each per scenario."""

_ADDITIVE = ("outcomes", "value_undiscounted", "cost_undiscounted", "value", "cost")

_COST_FLOWS = frozenset(FUND_OUTFLOWS) - {"prefinancing_repayment"}
"""A contract's cost: its fund outflows, less a repayment of pre-financing (a transfer back
to the partner whose pre-financing is counted already); an advance refund counts against."""

_NO_COST = 1e-9
"""A cost at most this is none: its ratio does not exist (NaN)."""


@attrs.frozen(kw_only=True, eq=False)
class ValueRow:
    """Value for money of a contract, an area or the programme, per scenario.

    Attributes:
        level: ``"contract"``, ``"area"`` or ``"programme"``.
        id: The contract's or area's id (or :data:`~programma.PROGRAMME_WIDE`), or the
            programme's id.
        outcomes: The outcomes counted on the basis, over the horizon.
        value_undiscounted: Their value, as it falls.
        cost_undiscounted: The cost, as paid.
        value: The present value of the value.
        cost: The present value of the cost.
        net_social_value: ``value − cost``.
        benefit_cost_ratio: ``value / cost``; NaN where there is no cost.
        cost_per_outcome: ``cost_undiscounted / outcomes``; NaN where there is no outcome.

    Every figure is an array ``(scenarios,)``; :meth:`spread` gives its spread.

    >>> row = ValueRow.of("contract", "c", outcomes=np.array([10.0]),
    ...                   value_undiscounted=np.array([50.0]), cost_undiscounted=np.array([40.0]),
    ...                   value=np.array([45.0]), cost=np.array([36.0]))
    >>> row.net_social_value.tolist(), row.benefit_cost_ratio.tolist(), row.cost_per_outcome
    ([9.0], [1.25], array([4.]))
    """

    level: Literal["contract", "area", "programme"]
    id: str
    outcomes: np.ndarray
    value_undiscounted: np.ndarray
    cost_undiscounted: np.ndarray
    value: np.ndarray
    cost: np.ndarray
    net_social_value: np.ndarray
    benefit_cost_ratio: np.ndarray
    cost_per_outcome: np.ndarray

    @classmethod
    def of(
        cls, level: Literal["contract", "area", "programme"], id: str, **sums: np.ndarray
    ) -> ValueRow:
        """The row from its additive figures; the net value and the ratios follow."""
        value, cost = sums["value"], sums["cost"]
        return cls(
            level=level,
            id=id,
            **sums,
            net_social_value=value - cost,
            benefit_cost_ratio=_ratio(value, cost, _NO_COST),
            cost_per_outcome=_ratio(sums["cost_undiscounted"], sums["outcomes"], 1e-12),
        )

    def spread(self, figure: str) -> Spread:
        """The spread over scenarios of one of :data:`FIGURES` (NaN scenarios: missing).

        Raises:
            KeyError: Not one of :data:`FIGURES`.
        """
        if figure not in FIGURES:
            raise KeyError(f"figure: expected one of {', '.join(FIGURES)}, got {figure!r}")
        return Spread.of(np.asarray(getattr(self, figure), dtype=float))


def _ratio(top: np.ndarray, bottom: np.ndarray, least: float) -> np.ndarray:
    return np.asarray(
        np.divide(top, bottom, out=np.full(np.shape(top), np.nan), where=np.abs(bottom) > least)
    )


EXPOSURE_TERMS: tuple[str, ...] = (
    "contract cap",
    "contract per-participant cap",
    "metrics",
)
"""The terms of a contract's bound, in the order a tie is named (see :class:`ContractExposure`)."""


@attrs.frozen(kw_only=True)
class ContractExposure:
    """The most a contract can pay in outcome payments over its life, and why.

    ``bound`` = min(terms): ``contract cap`` C; ``contract per-participant cap`` P × N̄;
    ``metrics`` Σ_j M_j, with M_j = min(value cap V_j, count cap K_j × p̄_j × Ī_j,
    per-participant cap P_j × N̄, N̄ × p̄_j × Ī_j). N̄ is the most participants the
    enrolment can bring (each window's highest ``per_month`` × its months, or highest
    ``total``, times every gate's scale factor above 1; unbounded with Poisson noise); p̄_j the
    highest price the metric's price can take; Ī_j its highest price index in a fiscal year in
    which the contract can verify an outcome. The last term of M_j is the rate card: each
    participant achieving the outcome once at the highest price. A term that is not set, or
    whose distribution has no upper end, is ``inf``.

    Attributes:
        contract: The contract's id.
        bound: The bound (``inf``: unbounded).
        binding: The term that gives it, one of :data:`EXPOSURE_TERMS`, or ``"unbounded"``.
        terms: Every term's amount.
        participants: N̄.
    """

    contract: str
    bound: float
    binding: str
    terms: dict[str, float]
    participants: float


@attrs.frozen(kw_only=True)
class Exposure:
    """The most a payer (or a fund) can pay in outcome payments in one fiscal year.

    amount = Σ over the contracts' payer shares k of the payer (or fund) that can pay in the
    year of min(share_k × bound_c, fiscal-year cap_{k,y}) — the contract's bound
    (:class:`ContractExposure`) all falling in that year, but no more than the payer share's
    fiscal-year cap (a carried excess is capped again, so it cannot raise a year's payment).
    A contract can pay in the fiscal years from that of its start + verification lag to that
    of its settlement month, within the horizon.

    Attributes:
        level: ``"payer"`` (a stakeholder) or ``"fund"``.
        id: The stakeholder's or fund's id.
        year: The fiscal year (``FY2026``).
        amount: The maximum (``inf``: unbounded).
        contracts: The contracts that can pay in the year.
    """

    level: Literal["payer", "fund"]
    id: str
    year: str
    amount: float
    contracts: tuple[str, ...]


VALUE_RECORD_FIELDS: tuple[str, ...] = (
    "section",
    "level",
    "id",
    "year",
    "figure",
    "mean",
    "se",
    "p10",
    "p50",
    "p90",
    "missing",
)
"""The fields of :meth:`ValueForMoney.to_records` (the columns of ``programma value --format
csv``)."""


@attrs.frozen(kw_only=True, eq=False)
class ValueForMoney:
    """Value for money of a projection: per contract, per area, the programme, and exposure.

    Made by :func:`value_for_money`.

    Attributes:
        programme: The programme's id.
        currency: Its currency.
        mode: The projection's mode.
        scenarios: Its scenarios.
        seed: Its seed (``None`` in expected mode).
        basis: The outcomes counted, one of :data:`BASES`.
        discount: The discount rate or preset used.
        real: Whether amounts were deflated to real terms (the programme has a deflator).
        price_base: The month present values are at the start of (``2021-10``).
        contracts: A row per contract.
        areas: A row per area, :data:`~programma.PROGRAMME_WIDE` last.
        total: The programme: every contract together.
        metrics_without_value: The metrics (``contract/metric``) with no value per outcome:
            they count as outcomes but add no value.
        contract_exposure: Per contract, its bound.
        exposure: Per payer, then per fund, and fiscal year, the maximum exposure.
    """

    programme: str
    currency: str
    mode: Literal["expected", "monte-carlo"]
    scenarios: int
    seed: int | None
    basis: str
    discount: str | float
    real: bool
    price_base: str
    contracts: tuple[ValueRow, ...]
    areas: tuple[ValueRow, ...]
    total: ValueRow
    metrics_without_value: tuple[str, ...]
    contract_exposure: tuple[ContractExposure, ...]
    exposure: tuple[Exposure, ...]

    def __iter__(self) -> Iterator[ValueRow]:
        """Every row: contracts, areas, then the programme."""
        yield from self.contracts
        yield from self.areas
        yield self.total

    def contract(self, contract: str) -> ValueRow:
        """The row of a contract.

        Raises:
            KeyError: No such contract.
        """
        return _find(self.contracts, "contract", contract)

    def area(self, area: str) -> ValueRow:
        """The row of an area (or :data:`~programma.PROGRAMME_WIDE`).

        Raises:
            KeyError: No such area.
        """
        return _find(self.areas, "area", area)

    def max_exposure(self, id: str, year: str, *, level: str = "payer") -> float:
        """The maximum exposure of a payer (or, with ``level="fund"``, a fund) in a year.

        A year in which none of its contracts can pay has 0.

        Raises:
            KeyError: The payer or fund pays no contract.
        """
        mine = [e for e in self.exposure if e.level == level and e.id == id]
        if not mine:
            known = ", ".join(dict.fromkeys(repr(e.id) for e in self.exposure if e.level == level))
            raise KeyError(f"{level}: expected one that pays a contract ({known}), got {id!r}")
        return next((e.amount for e in mine if e.year == year), 0.0)

    def to_records(self) -> list[dict[str, Any]]:
        """Plain rows, unrounded: a row per figure of each row, then per exposure.

        A value-for-money row (``section="value"``) has ``level``, ``id``, ``figure`` and the
        figure's spread; an exposure row (``section="exposure"``) has ``level``, ``id``,
        ``year``, ``figure="max_exposure"`` and the amount as ``mean`` (a fixed amount: ``se``
        0 and every percentile the amount).
        """
        rows: list[dict[str, Any]] = []
        for row in self:
            for figure in FIGURES:
                s = row.spread(figure)
                rows.append(
                    {
                        "section": "value",
                        "level": row.level,
                        "id": row.id,
                        "year": "",
                        "figure": figure,
                        **attrs.asdict(s),
                    }
                )
        for e in self.exposure:
            rows.append(
                {
                    "section": "exposure",
                    "level": e.level,
                    "id": e.id,
                    "year": e.year,
                    "figure": "max_exposure",
                    "mean": e.amount,
                    "se": 0.0,
                    "p10": e.amount,
                    "p50": e.amount,
                    "p90": e.amount,
                    "missing": 0,
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: what was computed, the rows' spreads and the exposure.

        A figure that does not exist (NaN) and an unbounded exposure (``inf``) are ``None``.
        """
        return {
            "programme": self.programme,
            "currency": self.currency,
            "mode": self.mode,
            "scenarios": self.scenarios,
            "seed": self.seed,
            "basis": self.basis,
            "discount": self.discount,
            "real": self.real,
            "price_base": self.price_base,
            "percentile_method": PERCENTILE_METHOD,
            "metrics_without_value": list(self.metrics_without_value),
            "rows": [
                {
                    "level": row.level,
                    "id": row.id,
                    **{figure: row.spread(figure).as_dict() for figure in FIGURES},
                }
                for row in self
            ],
            "contract_exposure": [
                {
                    "contract": c.contract,
                    "bound": _finite(c.bound),
                    "binding": c.binding,
                    "terms": {k: _finite(v) for k, v in c.terms.items()},
                    "participants": _finite(c.participants),
                }
                for c in self.contract_exposure
            ],
            "exposure": [
                {
                    "level": e.level,
                    "id": e.id,
                    "year": e.year,
                    "amount": _finite(e.amount),
                    "contracts": list(e.contracts),
                }
                for e in self.exposure
            ],
        }

    def __repr__(self) -> str:
        kind = (
            "expected mode"
            if self.mode == "expected"
            else f"{self.scenarios:,} scenarios, seed {self.seed}"
        )
        return (
            f"<ValueForMoney {self.programme}: {kind}; basis {self.basis}, "
            f"discount {self.discount}; {len(self.contracts)} contracts>"
        )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _find(rows: Sequence[ValueRow], what: str, wanted: str) -> ValueRow:
    for row in rows:
        if row.id == wanted:
            return row
    known = ", ".join(repr(row.id) for row in rows) or "none"
    raise KeyError(f"{what}: expected one of {known}, got {wanted!r}")


def _check(discount: object, basis: object) -> list[Problem]:
    problems = []
    presets = ", ".join(map(repr, DISCOUNT_PRESETS))
    if discount is not None:
        if isinstance(discount, str):
            if discount not in DISCOUNT_PRESETS:
                problems.append(Problem("discount", f"a rate > -1 or one of {presets}", discount))
        elif (
            isinstance(discount, bool)
            or not isinstance(discount, int | float)
            or not math.isfinite(discount)
            or discount <= -1
        ):
            problems.append(Problem("discount", f"a rate > -1 or one of {presets}", discount))
    if basis not in BASES:
        problems.append(Problem("basis", f"one of {', '.join(map(repr, BASES))}", basis))
    return problems


def value_for_money(
    projection: Projection,
    *,
    discount: str | float | None = None,
    basis: Basis = "additional",
) -> ValueForMoney:
    """Value for money of a projection, per contract, per area and for the programme.

    The projection carries its programme: its metrics' ``value_per_outcome`` are drawn for
    the projection's scenarios from their own keyed streams (the same seed gives the same
    values, whatever else the programme holds), and read with the projection's outcomes and
    fund outflows. A metric without a value per outcome adds no value (it is listed in
    ``metrics_without_value``), never a guessed one.

    Present values are to the start of the programme's price-base month, each month's amounts
    at its end, as the engine's present values are, and deflated to real terms when the
    programme has a deflator (``value_per_outcome`` is at price-base prices and not indexed).
    A projection kept by quarter, year or fiscal year is discounted at each period's mean
    monthly factor (as if its amounts fell evenly over its months); by month it is exact.

    Args:
        projection: A projection made by :func:`~programma.project` (any resolution).
        discount: An annual rate (``0.03``) or one of :data:`~programma.DISCOUNT_PRESETS`;
            ``None``: the programme's own ``discount_rate``.
        basis: The outcomes counted, one of :data:`BASES`.

    Raises:
        ValidationError: An unknown preset, a rate ≤ −1, or an unknown basis (all at once).

    >>> from programma import project
    >>> from programma.examples import leeuwarden_oost
    >>> vfm = value_for_money(project(leeuwarden_oost()), discount="nl-2021")
    >>> row = vfm.contract("sib-werkroute")
    >>> bool(row.value[0] > 0), bool(row.cost[0] > 0)
    (True, True)
    >>> float(row.net_social_value[0]) == float(row.value[0] - row.cost[0])
    True
    """
    problems = _check(discount, basis)
    if problems:
        raise ValidationError(problems)
    programme = projection.programme
    rate = programme.discount_rate if discount is None else discount
    drawn = value_draws(
        programme,
        scenarios=None if projection.mode == "expected" else projection.scenarios,
        seed=projection.seed or 0,
    )
    factors = _period_factors(projection, rate, drawn.deflator)  # (S or 1, P)
    totals = projection.values  # (S, P, N)
    column = {key: n for n, key in enumerate(projection.series)}
    draws = {(m.contract, m.metric): m for m in drawn.metrics}
    funds = {f.id for f in programme.funds}
    without: list[str] = []
    sums: dict[str, dict[str, np.ndarray]] = {}
    for contract in programme.contracts:
        c = contract.id
        outcomes = np.zeros((projection.scenarios, len(projection.periods)))
        value = np.zeros_like(outcomes)
        for metric in contract.metrics:
            m = draws[c, metric.id]
            achieved = _series(totals, column, "outcomes_achieved", c, metric.id)
            if basis == "paid":
                counted = _series(totals, column, "outcomes_paid", c, metric.id)
            elif basis == "achieved":
                counted = achieved
            else:
                additional = np.maximum(m.share - m.baseline, 0.0)
                scale = _ratio(additional, m.share, 0.0)
                counted = achieved * np.nan_to_num(scale, nan=0.0)[:, None]
            outcomes += counted
            if m.value is None:
                without.append(f"{c}/{metric.id}")
            else:
                value += counted * m.value[:, None]
        cost = np.zeros_like(outcomes)
        for key, n in column.items():
            if key.contract == c and key.flow in _COST_FLOWS and key.fund in funds:
                cost += -totals[:, :, n] if key.flow == "advance_refund" else totals[:, :, n]
        sums[c] = {
            "outcomes": outcomes.sum(axis=1),
            "value_undiscounted": value.sum(axis=1),
            "cost_undiscounted": cost.sum(axis=1),
            "value": (value * factors).sum(axis=1),
            "cost": (cost * factors).sum(axis=1),
        }
    contracts = tuple(ValueRow.of("contract", c, **sums[c]) for c in sums)
    area_ids = [area.id for area in programme.areas]
    by_area = {
        figure: split_over_areas(
            ((contract.areas, sums[contract.id][figure]) for contract in programme.contracts),
            area_ids,
            projection.scenarios,
        )
        for figure in _ADDITIVE
    }
    areas = tuple(
        ValueRow.of("area", area, **{figure: by_area[figure][area] for figure in _ADDITIVE})
        for area in [*area_ids, PROGRAMME_WIDE]
    )
    whole = {
        figure: sum((sums[c][figure] for c in sums), np.zeros(projection.scenarios))
        for figure in _ADDITIVE
    }
    bounds = tuple(_contract_exposure(programme, contract) for contract in programme.contracts)
    return ValueForMoney(
        programme=programme.id,
        currency=programme.currency,
        mode=projection.mode,
        scenarios=projection.scenarios,
        seed=projection.seed,
        basis=basis,
        discount=rate,
        real=programme.deflator is not None,
        price_base=programme.price_base.strftime("%Y-%m"),
        contracts=contracts,
        areas=areas,
        total=ValueRow.of("programme", programme.id, **whole),
        metrics_without_value=tuple(without),
        contract_exposure=bounds,
        exposure=tuple(_exposure(programme, bounds)),
    )


def _series(
    totals: np.ndarray, column: Mapping[Any, int], flow: str, contract: str, metric: str
) -> np.ndarray:
    """One metric's count series ``(scenarios, periods)``."""
    for key, n in column.items():
        if key.flow == flow and key.contract == contract and key.metric == metric:
            return np.asarray(totals[:, :, n])
    raise ValueError(  # pragma: no cover - a projection of the programme has every series
        f"the projection has no {flow} series of {contract}/{metric}: project the programme "
        "with programma.project, not a selection of its series"
    )


def _period_factors(
    projection: Projection, rate: str | float, deflator: np.ndarray | None
) -> np.ndarray:
    """Each kept period's discount factor: the mean of its months' d(m).

    d(m) = factor over (m + 1 − base) / 12 years ÷ deflator index(m), as the engine's
    present values; ``(1, periods)`` without a deflator, else ``(scenarios, periods)``.
    """
    programme = projection.programme
    grid = projection.grid
    months = grid.months
    base = grid.index(programme.price_base)
    monthly = discount_factors(rate, (np.arange(months) + 1 - base) / 12.0)[None, :]
    if deflator is not None:
        monthly = monthly / deflator
    group, labels = grid.groups(projection.resolution)
    counts = np.bincount(group, minlength=len(labels)).astype(float)
    out = np.zeros((monthly.shape[0], len(labels)))
    for p in range(len(labels)):
        out[:, p] = monthly[:, group == p].sum(axis=1) / counts[p]
    return out


# -- maximum exposure -------------------------------------------------------------------------


def _upper(dist: Distribution | None, programme: Programme) -> float:
    """The highest value ``dist`` can take (``inf`` when it has no upper end or is unknown)."""
    if dist is None:
        return 0.0
    support = support_of(dist, programme.parameter_distributions)
    return math.inf if support is None else support[1]


def _times(a: float, b: float) -> float:
    """a × b, where 0 × ∞ is 0 (nothing paid per participant, or no participant)."""
    return 0.0 if a == 0.0 or b == 0.0 else a * b


def _participants(programme: Programme, contract: OutcomeContract) -> float:
    """N̄: the most participants the contract's enrolment can bring, gates included."""
    if contract.enrolment.poisson:
        return math.inf
    most = 0.0
    for window in contract.enrolment.windows:
        if window.per_month is not None:
            most += _times(_upper(window.per_month, programme), float(window.months))
        else:
            most += _upper(window.total, programme)
    for gate in programme.gates:
        if gate.contract == contract.id:
            for decision in (gate.if_met, gate.if_not_met):
                if decision.action is Action.SCALE and decision.factor is not None:
                    most = _times(most, max(1.0, decision.factor))
    return most


def _payment_years(programme: Programme, contract: OutcomeContract) -> list[int]:
    first = add_months(contract.start, contract.verification_lag_months)
    last = min(contract.settlement_month, programme.last_month)
    if first > last:
        return []
    return list(range(programme.fiscal_year(first), programme.fiscal_year(last) + 1))


def _index_bound(programme: Programme, rate: Distribution, years: Sequence[int]) -> float:
    """Ī: the highest price index a metric's rate can give in any of ``years``."""
    support = support_of(rate, programme.parameter_distributions)
    if support is None:
        return math.inf
    low, high = support
    base = programme.fiscal_year(programme.price_base)
    best = 0.0
    for year in years:
        k = year - base
        best = max(best, (1.0 + (high if k >= 0 else low)) ** k if k else 1.0)
    return best


def _contract_exposure(programme: Programme, contract: OutcomeContract) -> ContractExposure:
    participants = _participants(programme, contract)
    years = _payment_years(programme, contract)
    metrics = 0.0
    for metric in contract.metrics:
        top = _times(
            _upper(metric.price, programme), _index_bound(programme, metric.indexation, years)
        )
        caps = [_times(participants, top)]  # the rate card
        if metric.cap_value is not None:
            caps.append(metric.cap_value)
        if metric.cap_count is not None:
            caps.append(_times(metric.cap_count, top))
        if metric.cap_per_participant is not None:
            caps.append(_times(metric.cap_per_participant, participants))
        metrics += min(caps)
    terms = {
        "contract cap": math.inf if contract.cap is None else contract.cap,
        "contract per-participant cap": (
            math.inf
            if contract.cap_per_participant is None
            else _times(contract.cap_per_participant, participants)
        ),
        "metrics": metrics,
    }
    bound = min(terms.values())
    binding = next(name for name in EXPOSURE_TERMS if terms[name] == bound)
    return ContractExposure(
        contract=contract.id,
        bound=bound,
        binding=binding if math.isfinite(bound) else "unbounded",
        terms=terms,
        participants=participants,
    )


def _exposure(programme: Programme, bounds: Sequence[ContractExposure]) -> Iterator[Exposure]:
    """Per payer, then per fund, each fiscal year in which one of its contracts can pay."""
    found: dict[tuple[str, str, int], list[tuple[str, float]]] = {}
    for contract, bound in zip(programme.contracts, bounds, strict=True):
        for year in _payment_years(programme, contract):
            for share in contract.payers:
                cap = share.cap_in(year)
                amount = min(_times(share.share, bound.bound), math.inf if cap is None else cap)
                for level, who in (("payer", share.payer), ("fund", share.fund)):
                    found.setdefault((level, who, year), []).append((contract.id, amount))
    levels: tuple[tuple[Literal["payer", "fund"], list[str]], ...] = (
        ("payer", [s.id for s in programme.stakeholders]),
        ("fund", [f.id for f in programme.funds]),
    )
    for level, order in levels:
        mine = sorted(
            ((who, year) for lv, who, year in found if lv == level),
            key=lambda item: (order.index(item[0]), item[1]),
        )
        for who, year in mine:
            amounts = found[level, who, year]
            finite = all(math.isfinite(amount) for _, amount in amounts)
            yield Exposure(
                level=level,
                id=who,
                year=f"FY{year}",
                amount=math.fsum(amount for _, amount in amounts) if finite else math.inf,
                contracts=tuple(dict.fromkeys(c for c, _ in amounts)),
            )
