"""The summary of a projection: per fund and fiscal year, per contract, per investor.

Spreads are over scenarios: the mean, its standard error (sample standard deviation over √n),
and the 10th, 50th and 90th percentiles by numpy's ``linear`` method (Hyndman and Fan's type 7).
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from .._text import fixed, html_table, money, plural, table
from ..engine import CAP_STAGES, INVESTOR_FIGURES
from ..engine.exports import OUTPUT_FORMAT_VERSION
from ..engine.projection import Projection
from ..engine.series import SeriesKey
from ..model.financing import InvestorFinancing

__all__ = [
    "BREACH_TOLERANCE",
    "PERCENTILE_METHOD",
    "ContractFigures",
    "FundYear",
    "InvestorFigures",
    "Spread",
    "Summary",
    "percentiles",
    "summarise",
]

PERCENTILE_METHOD = "linear"
"""How percentiles are computed: numpy's default ``linear`` (Hyndman and Fan's type 7)."""


def percentiles(values: np.ndarray, qs: tuple[float, ...] = (10, 50, 90)) -> np.ndarray:
    """Percentiles over the first axis (scenarios), with :data:`PERCENTILE_METHOD`.

    >>> percentiles(np.arange(11.0)[:, None]).ravel().tolist()
    [1.0, 5.0, 9.0]
    """
    quantiles = np.asarray(qs, dtype=float)
    return np.asarray(np.percentile(np.asarray(values, dtype=float), quantiles, axis=0))


BREACH_TOLERANCE = 1e-6
"""A budget is breached when the outflow exceeds the available budget by more than this."""

_ACCRUAL_FLOWS = (
    "grant",
    "step_in_funding",
    "prefinancing",
    "prefinancing_repayment",
    "guarantee_payment",
)


@attrs.frozen
class Spread:
    """A quantity's distribution over scenarios.

    Attributes:
        mean: The mean.
        se: The standard error of the mean (0 with one scenario).
        p10: The 10th percentile.
        p50: The median.
        p90: The 90th percentile.
        missing: How many scenarios had no value (NaN), e.g. an IRR that does not exist.

    >>> Spread.of(np.array([1.0, 2.0, 3.0])).p50
    2.0
    """

    mean: float
    se: float
    p10: float
    p50: float
    p90: float
    missing: int = 0

    @classmethod
    def of(cls, values: np.ndarray) -> Spread:
        """The spread of ``values`` (one per scenario), leaving out NaN and counting it."""
        finite = values[~np.isnan(values)]
        missing = int(values.size - finite.size)
        if finite.size == 0:
            return cls(math.nan, math.nan, math.nan, math.nan, math.nan, missing)
        p10, p50, p90 = (float(x) for x in percentiles(finite))
        se = float(finite.std(ddof=1) / math.sqrt(finite.size)) if finite.size > 1 else 0.0
        return cls(float(finite.mean()), se, float(p10), float(p50), float(p90), missing)

    def as_dict(self) -> dict[str, float | int | None]:
        """Plain data; NaN becomes ``None`` (JSON has no NaN)."""
        return {
            k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in attrs.asdict(self).items()
        }


@attrs.frozen
class FundYear:
    """A fund in a fiscal year: cash outflow, accrual, budget and how often it is breached.

    ``earned`` is the fund's share of what contracts earned after their caps (before
    fiscal-year caps), at verification; ``accrual`` adds the fund's other payments to it.
    """

    fund: str
    year: str
    outflow: Spread
    accrual: Spread
    budget: Spread
    breach_probability: float
    earned: Spread


@attrs.frozen
class ContractFigures:
    """A contract over the whole horizon."""

    contract: str
    achieved: Spread
    paid_outcomes: Spread
    paid_by: dict[str, Spread]
    forfeited: Spread
    unpaid: Spread
    cap_bound: dict[str, float]
    cost_per_outcome: Spread
    cost_per_outcome_discounted: Spread


@attrs.frozen
class InvestorFigures:
    """An investor in one contract: capital, returns, IRR and multiple."""

    contract: str
    investor: str
    drawn: Spread
    distributed: Spread
    guarantee: Spread
    irr: Spread
    multiple: Spread
    loss_probability: float
    return_cap_bound: float


@attrs.frozen(repr=False)  # a short repr of its own; equality as attrs makes it
class Summary:
    """What a projection says, per fund and fiscal year, per contract, gate and investor.

    Attributes:
        scenarios: The number of scenarios.
        currency: The programme's currency.
        funds: Per fund and fiscal year.
        contracts: Per contract.
        gates: Per gate, the share of scenarios in which its condition held.
        gate_measures: Per gate, what its condition measured (the verified count or rate);
            scenarios with no rate (nothing verified) are counted as missing.
        investors: Per investor-financed contract.
        npv_payers: Per paying stakeholder, the present value of what it pays out.
        npv_funds: Per fund, the present value of its outflows.
    """

    scenarios: int
    currency: str
    funds: tuple[FundYear, ...]
    contracts: tuple[ContractFigures, ...]
    gates: dict[str, float]
    investors: tuple[InvestorFigures, ...]
    npv_payers: dict[str, Spread]
    npv_funds: dict[str, Spread]
    gate_measures: dict[str, Spread] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON (NaN as ``None``): the document of kind ``"summary"``.

        Its version is :data:`~programma.engine.exports.OUTPUT_FORMAT_VERSION`; its JSON
        Schema is what ``programma schema --output summary`` prints.

        >>> from programma import project
        >>> from programma.examples import leeuwarden_oost
        >>> document = project(leeuwarden_oost()).summary().to_dict()
        >>> document["kind"], document["format_version"], document["currency"]
        ('summary', 1, 'EUR')
        """

        def plain(value: Any) -> Any:
            if isinstance(value, Spread):
                return value.as_dict()
            if attrs.has(type(value)):
                return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, tuple | list):
                return [plain(v) for v in value]
            if isinstance(value, float) and math.isnan(value):
                return None
            return value

        return {
            "format_version": OUTPUT_FORMAT_VERSION,
            "kind": "summary",
            "percentile_method": PERCENTILE_METHOD,
            **plain(self),
        }

    def fund_totals(self) -> dict[str, tuple[float, str, float, float]]:
        """Per fund: the mean total outflow, the peak year, its mean outflow and the highest
        yearly probability of a breach. The mean of the total is the sum of the yearly means.
        """
        out: dict[str, tuple[float, str, float, float]] = {}
        for fund in dict.fromkeys(f.fund for f in self.funds):
            years = [f for f in self.funds if f.fund == fund]
            peak = max(years, key=lambda f: f.outflow.mean)
            out[fund] = (
                sum(f.outflow.mean for f in years),
                peak.year,
                peak.outflow.mean,
                max(f.breach_probability for f in years),
            )
        return out

    def to_pandas(self, *, quantiles: Sequence[int] = (10, 50, 90)) -> Any:
        """The funds per fiscal year as a pandas DataFrame (needs pandas).

        One row per fund and year: the outflow's mean, standard error and the chosen
        percentiles, the mean earned, accrual and budget, and the probability of a breach.

        Args:
            quantiles: Which of the percentiles 10, 50 and 90 to include, as columns
                ``outflow_p10`` …; ``()`` for none.

        Raises:
            ValueError: A percentile other than 10, 50 or 90.
            ImportError: pandas is not installed.
        """
        unknown = [q for q in quantiles if q not in (10, 50, 90)]
        if unknown:
            raise ValueError(f"quantiles: expected some of 10, 50 and 90, got {unknown}")
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install 'programma[pandas]'") from None
        rows = [
            {
                "fund": f.fund,
                "year": f.year,
                "outflow_mean": f.outflow.mean,
                "outflow_se": f.outflow.se,
                **{f"outflow_p{q}": getattr(f.outflow, f"p{q}") for q in quantiles},
                "earned_mean": f.earned.mean,
                "accrual_mean": f.accrual.mean,
                "budget_mean": f.budget.mean,
                "breach_probability": f.breach_probability,
            }
            for f in self.funds
        ]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"<Summary over {plural(self.scenarios, 'scenario')}: "
            f"{plural(len(self.fund_totals()), 'fund')}, "
            f"{plural(len(self.contracts), 'contract')}, "
            f"{plural(len(self.investors), 'investor')}; amounts in {self.currency}>"
        )

    def _repr_html_(self) -> str:
        """A notebook's view: per fund, contract and investor, one row each (escaped)."""
        funds = [
            [fund, money(total), year, money(peak), f"{fixed(breach * 100, 1)}%"]
            for fund, (total, year, peak, breach) in self.fund_totals().items()
            if total != 0
        ]
        contracts = [
            [
                c.contract,
                *(money(x) for x in (c.cost_per_outcome.mean, c.cost_per_outcome.p10)),
                money(c.cost_per_outcome.p90),
                fixed(c.paid_outcomes.mean, 1),
            ]
            for c in self.contracts
        ]
        investors = [
            [f"{i.investor} in {i.contract}", *(f"{fixed(x * 100, 1)}%" for x in _irr(i))]
            for i in self.investors
        ]
        parts = [
            f"<p>Summary over {plural(self.scenarios, 'scenario')}; amounts in "
            f"{html.escape(self.currency)}; funds paying nothing left out</p>",
            html_table(
                ["fund", "total (mean)", "peak year", "peak (mean)", "P(breach), worst year"],
                funds,
                caption="Fund outflows",
            ),
        ]
        if contracts:
            heads = ["contract", "mean", "P10", "P90", "outcomes paid"]
            parts.append(html_table(heads, contracts, caption="Cost per outcome paid"))
        if investors:
            heads = ["investor", "mean", "P10", "P90"]
            parts.append(html_table(heads, investors, caption="Investor IRR (annual)"))
        return "".join(parts)

    def __str__(self) -> str:
        cur = self.currency

        def spread(s: Spread) -> list[str]:
            return [money(s.mean), money(s.se), money(s.p10), money(s.p50), money(s.p90)]

        out = [
            f"Summary over {plural(self.scenarios, 'scenario')}; amounts in {cur}; "
            f"percentiles by numpy's {PERCENTILE_METHOD!r} method",
            "",
            "Funds per fiscal year (cash outflow, earned and accrual at verification, budget)",
            table(
                [
                    "fund",
                    "year",
                    "outflow mean",
                    "se",
                    "P10",
                    "P50",
                    "P90",
                    "earned mean",
                    "accrual mean",
                    "budget",
                    "P(breach)",
                ],
                [
                    [
                        f.fund,
                        f.year,
                        *spread(f.outflow),
                        money(f.earned.mean),
                        money(f.accrual.mean),
                        money(f.budget.mean),
                        fixed(f.breach_probability, 3),
                    ]
                    for f in self.funds
                ],
            ),
        ]
        for c in self.contracts:
            out += ["", f"Contract {c.contract}"]
            rows = [
                ["outcomes achieved", *(fixed(x, 1) for x in _five(c.achieved))],
                ["outcomes paid", *(fixed(x, 1) for x in _five(c.paid_outcomes))],
                *[[f"paid by {payer}", *spread(s)] for payer, s in c.paid_by.items()],
                ["forfeited (fiscal-year caps)", *spread(c.forfeited)],
                ["unpaid after end", *spread(c.unpaid)],
                ["cost per outcome paid", *spread(c.cost_per_outcome)],
                ["  discounted", *spread(c.cost_per_outcome_discounted)],
            ]
            out.append(table(["", "mean", "se", "P10", "P50", "P90"], rows, indent="  "))
            bound = ", ".join(f"{k} {fixed(v * 100, 1)}%" for k, v in c.cap_bound.items())
            out.append(f"  caps bound in: {bound or 'no caps set'}")
        out += ["", "Present values (discounted at the programme's rate; payers and funds)"]
        rows = [[f"payer {k}", *spread(v)] for k, v in self.npv_payers.items()]
        rows += [[f"fund {k}", *spread(v)] for k, v in self.npv_funds.items()]
        out.append(table(["", "mean", "se", "P10", "P50", "P90"], rows, indent="  "))
        if self.gates:
            out += ["", "Gates (share of scenarios whose condition held; what it measured)"]
            rows = []
            for g, v in self.gates.items():
                measured = self.gate_measures.get(g)
                five = _five(measured) if measured is not None else (math.nan,) * 5
                rows.append([g, f"{fixed(v * 100, 1)}%", *(fixed(x, 4) for x in five)])
            out.append(
                table(
                    ["gate", "met", "measure mean", "se", "P10", "P50", "P90"],
                    rows,
                    indent="  ",
                )
            )
        for i in self.investors:
            out += ["", f"Investor {i.investor} in {i.contract}"]
            rows = [
                ["drawn", *spread(i.drawn)],
                ["distributed", *spread(i.distributed)],
                ["guarantee", *spread(i.guarantee)],
                ["IRR (annual, %)", *(fixed(x * 100, 2) for x in _five(i.irr))],
                ["multiple", *(fixed(x, 3) for x in _five(i.multiple))],
            ]
            out.append(table(["", "mean", "se", "P10", "P50", "P90"], rows, indent="  "))
            out.append(
                f"  no IRR in {plural(i.irr.missing, 'scenario')}; loss in "
                f"{fixed(i.loss_probability * 100, 1)}%; return cap bound in "
                f"{fixed(i.return_cap_bound * 100, 1)}%"
            )
        return "\n".join(out) + "\n"


def _irr(i: InvestorFigures) -> tuple[float, float, float]:
    return (i.irr.mean, i.irr.p10, i.irr.p90)


def _five(s: Spread) -> tuple[float, ...]:
    return (s.mean, s.se, s.p10, s.p50, s.p90)


def summarise(projection: Projection) -> Summary:
    """Summarise ``projection`` (see :class:`Summary`).

    Raises:
        ValueError: The projection's periods do not regroup into fiscal years.
    """
    p = projection.programme
    by_year = projection.by("fiscal_year")
    total = by_year.values.sum(axis=1)  # (S, N): the whole horizon
    index = _SeriesIndex(by_year.series)

    def horizon(**criteria: str) -> np.ndarray:
        return np.asarray(total[:, index.columns(**criteria)].sum(axis=1))

    def per_year(**criteria: str) -> np.ndarray:
        return np.asarray(by_year.values[:, :, index.columns(**criteria)].sum(axis=2))

    funds = []
    for fund in p.funds:
        outflow = by_year.outflow(fund.id)
        earned = by_year.earned(fund.id)
        accrual = earned + sum(per_year(flow=name, fund=fund.id) for name in _ACCRUAL_FLOWS)
        budget = per_year(flow="budget", fund=fund.id)
        gap = per_year(flow="budget_gap", fund=fund.id)
        for y, year in enumerate(by_year.periods):
            funds.append(
                FundYear(
                    fund=fund.id,
                    year=year,
                    outflow=Spread.of(np.asarray(outflow)[:, y]),
                    accrual=Spread.of(np.asarray(accrual)[:, y]),
                    budget=Spread.of(budget[:, y]),
                    breach_probability=float((gap[:, y] > BREACH_TOLERANCE).mean()),
                    earned=Spread.of(earned[:, y]),
                )
            )
    contracts = []
    investors = []
    for contract in p.contracts:
        c = contract.id
        several = {
            p.payer for p in contract.payers if sum(q.payer == p.payer for q in contract.payers) > 1
        }
        paid_by = {
            (f"{payer.payer} ({payer.fund})" if payer.payer in several else payer.payer): Spread.of(
                horizon(flow="outcome_payment", contract=c, payer=payer.payer, fund=payer.fund)
                + horizon(flow="advance", contract=c, payer=payer.payer, fund=payer.fund)
                - horizon(flow="advance_refund", contract=c, payee=payer.payer, fund=payer.fund)
            )
            for payer in contract.payers
        }
        limits = {
            "metric_per_participant": any(
                m.cap_per_participant is not None for m in contract.metrics
            ),
            "metric_count": any(m.cap_count is not None for m in contract.metrics),
            "metric_value": any(m.cap_value is not None for m in contract.metrics),
            "contract_per_participant": contract.cap_per_participant is not None,
            "contract": contract.cap is not None,
        }
        cap_bound = {
            stage: float((projection.scalars[f"cap_cut/{c}/{stage}"] > BREACH_TOLERANCE).mean())
            for stage in CAP_STAGES
            if limits[stage]
        }
        payments = horizon(flow="outcome_payment", contract=c) + horizon(
            flow="advance_offset", contract=c
        )
        outcomes = horizon(flow="outcomes_paid", contract=c)
        present = projection.scalars[f"pv/contract/{c}/payments"]
        contracts.append(
            ContractFigures(
                contract=c,
                achieved=Spread.of(horizon(flow="outcomes_achieved", contract=c)),
                paid_outcomes=Spread.of(horizon(flow="outcomes_paid", contract=c)),
                paid_by=paid_by,
                forfeited=Spread.of(horizon(flow="cap_forfeited", contract=c)),
                unpaid=Spread.of(horizon(flow="unpaid_after_end", contract=c)),
                cap_bound=cap_bound,
                cost_per_outcome=Spread.of(_per(payments, outcomes)),
                cost_per_outcome_discounted=Spread.of(_per(present, outcomes)),
            )
        )
        if isinstance(contract.financing, InvestorFinancing):
            figure = {name: projection.scalars[f"investor/{c}/{name}"] for name in INVESTOR_FIGURES}
            returned = figure["distributed"] + figure["guarantee"]
            invested = figure["drawn"] > 0
            investors.append(
                InvestorFigures(
                    contract=c,
                    investor=contract.financing.investor,
                    drawn=Spread.of(figure["drawn"]),
                    distributed=Spread.of(figure["distributed"]),
                    guarantee=Spread.of(figure["guarantee"]),
                    irr=Spread.of(figure["irr"]),
                    multiple=Spread.of(figure["multiple"]),
                    loss_probability=float((invested & (returned < figure["drawn"])).mean()),
                    return_cap_bound=float(figure["return_cap_bound"].mean()),
                )
            )
    gates = {g.id: float(projection.scalars[f"gate_met/{g.id}"].mean()) for g in p.gates}
    gate_measures = {g.id: Spread.of(projection.gate_measure(g.id)) for g in p.gates}
    npv_payers = {
        name.split("/", 2)[2]: Spread.of(values)
        for name, values in projection.scalars.items()
        if name.startswith("npv/payer/")
    }
    npv_funds = {f.id: Spread.of(projection.scalars[f"npv/fund/{f.id}"]) for f in p.funds}
    return Summary(
        scenarios=projection.scenarios,
        currency=p.currency,
        funds=tuple(funds),
        contracts=tuple(contracts),
        gates=gates,
        investors=tuple(investors),
        npv_payers=npv_payers,
        npv_funds=npv_funds,
        gate_measures=gate_measures,
    )


class _SeriesIndex:
    """The series grouped once by flow, contract and fund, so that each look-up only checks
    the series of its smallest group: a summary is linear in the number of series rather than
    series × contracts.
    """

    _FIELDS = ("flow", "contract", "fund")

    def __init__(self, series: Sequence[SeriesKey]) -> None:
        self.series = series
        groups: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        for n, key in enumerate(series):
            for field in self._FIELDS:
                groups[field, getattr(key, field)].append(n)
        self.groups = dict(groups)

    def columns(self, **criteria: str) -> np.ndarray:
        """The indices, in order, of the series matching every criterion (as ``mask``)."""
        keyed = [(f, v) for f, v in criteria.items() if f in self._FIELDS and v is not None]
        if keyed:
            candidates: Sequence[int] = min((self.groups.get(key, []) for key in keyed), key=len)
        else:
            candidates = range(len(self.series))
        chosen = [n for n in candidates if self.series[n].matches(**criteria)]
        return np.asarray(chosen, dtype=np.intp)


def _per(amount: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Amount per outcome, per scenario; NaN where no outcome was paid."""
    return np.asarray(
        np.divide(amount, count, out=np.full(amount.shape, np.nan), where=count > 1e-12)
    )
