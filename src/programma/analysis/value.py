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
from .._text import run_kind
from ..engine.layout import FUND_OUTFLOWS
from ..engine.projection import Projection
from ..engine.values import value_draws
from ..finance import DISCOUNT_PRESETS, discount_factors
from .areas import PROGRAMME_WIDE, split_over_areas
from .exposure import ContractExposure, Exposure, contract_exposure, yearly_exposure
from .summary import PERCENTILE_METHOD, Spread

__all__ = [
    "BASES",
    "FIGURES",
    "VALUE_RECORD_FIELDS",
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
        kind = run_kind(self.mode, self.scenarios, self.seed)
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
    bounds = tuple(contract_exposure(programme, contract) for contract in programme.contracts)
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
        exposure=tuple(yearly_exposure(programme, bounds)),
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
