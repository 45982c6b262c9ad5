"""The activities of an IATI 2.03 export: each element filled from the model or a projection.

:class:`ActivityWriter` builds the ``iati-activity`` of the programme and of each contract and
initiative: organisations and their roles, status and dates, locations, budgets, planned
disbursements and results, with the codes of IATI's codelists. :func:`~programma.export.iati.iati`
checks the arguments and writes the document.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from ..engine.projection import Projection
from ..model.checks import add_months
from ..model.contracts import OutcomeContract
from ..model.distributions import Distribution
from ..model.financing import InvestorFinancing, Prefinancing, ProviderFinancing
from ..model.initiatives import Initiative
from ..model.moments import mean_of
from ..model.programme import Programme
from ..model.vocabulary import StakeholderKind

__all__ = ["CONTRACT_FLOWS", "INITIATIVE_FLOWS", "ActivityWriter", "period_months"]

CONTRACT_FLOWS: tuple[str, ...] = (
    "outcome_payment",
    "advance",
    "step_in_funding",
    "prefinancing",
    "investor_drawdown",
)
"""The flows that fund an outcome contract: its planned disbursements and projected budget.

Money paid *into* the contract or to its provider by a payer, an investor or a pre-financing
partner. Flows that pay a funder back (refunds, distributions, repayments, guarantees) and the
provider's own spending (``delivery_cost``) are not disbursements to the activity.
"""

INITIATIVE_FLOWS: tuple[str, ...] = ("grant",)
"""The flows that fund an initiative: the grants from its funds."""

LOCAL_GOVERNMENT = "11"  # OrganisationType 11: Local Government
MUNICIPAL = (StakeholderKind.MUNICIPALITY, StakeholderKind.OTHER_MUNICIPALITY)
"""The stakeholder kinds whose OrganisationType is local government."""


# IATI codes used below, by codelist.
_FUNDING, _ACCOUNTABLE, _EXTENDING, _IMPLEMENTING = "1", "2", "3", "4"  # OrganisationRole
_PIPELINE, _IMPLEMENTATION, _FINALISATION, _CLOSED = "1", "2", "3", "4"  # ActivityStatus
_PLANNED_START, _PLANNED_END = "1", "3"  # ActivityDateType
_GENERAL, _OBJECTIVES = "1", "2"  # DescriptionType
_PARENT, _CHILD, _SIBLING = "1", "2", "3"  # RelatedActivityType
_ORIGINAL, _INDICATIVE = "1", "1"  # BudgetType (and planned-disbursement type), BudgetStatus
_OUTCOME = "2"  # ResultType
_UNIT, _PERCENTAGE = "1", "2"  # IndicatorMeasure
_ACTIVITY_REACH = "1"  # LocationReach: where the activity takes place


# -- dates -------------------------------------------------------------------------------------


def _month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def period_months(projection: Projection) -> list[tuple[int, int]]:
    """The first and last month (grid indices) of each period of the projection."""
    inverse, labels = projection.grid.groups(projection.resolution)
    firsts = [-1] * len(labels)
    lasts = [-1] * len(labels)
    for month, period in enumerate(inverse.tolist()):
        if firsts[period] < 0:
            firsts[period] = month
        lasts[period] = month
    return list(zip(firsts, lasts, strict=True))


def _status(start: dt.date, end: dt.date, settled: dt.date, as_of: dt.date) -> str:
    """ActivityStatus at ``as_of`` of an activity from ``start`` to ``end``, paid to ``settled``."""
    if as_of < start:
        return _PIPELINE
    if as_of <= _month_end(end):
        return _IMPLEMENTATION
    if as_of <= _month_end(settled):
        return _FINALISATION
    return _CLOSED


def _number(value: float) -> str:
    """A number as IATI's decimals take it: no exponent, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _money(value: float) -> str:
    """An amount rounded to cents (``-0.00`` written as ``0.00``)."""
    return f"{round(value, 2) + 0.0:.2f}"


# -- the document ------------------------------------------------------------------------------


class ActivityWriter:
    """Builds the activities of one export; holds what every activity shares."""

    def __init__(
        self,
        programme: Programme,
        projection: Projection | None,
        *,
        prefix: str,
        reporter: str,
        reporter_type: str,
        quantile: float,
        as_of: dt.date,
        generated: dt.datetime | None,
    ) -> None:
        self.p = programme
        self.projection = projection
        self.prefix = prefix
        self.reporter = reporter
        self.reporter_type = reporter_type
        self.quantile = float(quantile)
        self.as_of = as_of
        self.generated = generated
        self.names = {s.id: s for s in programme.stakeholders}
        self.order = {s.id: index for index, s in enumerate(programme.stakeholders)}
        self.funds = {f.id: f for f in programme.funds}
        self.carried = {i: c for c in programme.contracts for i in c.initiatives}
        self.months = period_months(projection) if projection is not None else []

    # identifiers

    @property
    def programme_id(self) -> str:
        return f"{self.prefix}-{self.p.id}"

    def contract_id(self, contract: OutcomeContract) -> str:
        return f"{self.programme_id}-contract-{contract.id}"

    def initiative_id(self, initiative: Initiative) -> str:
        return f"{self.programme_id}-initiative-{initiative.id}"

    # activities

    def activities(self) -> Iterator[ET.Element]:
        p = self.p
        children = [self.contract_id(c) for c in p.contracts]
        children += [self.initiative_id(i) for i in p.initiatives]
        descriptions = [(_GENERAL, p.description or p.name)]
        if p.shared_interest:
            descriptions.append((_OBJECTIVES, p.shared_interest))
        activity = self._head(self.programme_id, 1, p.name, descriptions, self._programme_orgs())
        self._status_and_dates(activity, p.start, p.last_month, p.last_month)
        self._locations(activity, [a.id for a in p.areas])
        self._fund_budgets(activity)
        for child in children:
            ET.SubElement(activity, "related-activity", ref=child, type=_CHILD)
        yield activity
        for contract in p.contracts:
            yield self._contract(contract)
        for initiative in p.initiatives:
            yield self._initiative(initiative)

    def _contract(self, c: OutcomeContract) -> ET.Element:
        descriptions = [(_GENERAL, c.description or c.name)]
        objectives = " ".join(f"{m.name or m.id}: {m.definition}" for m in c.metrics)
        descriptions.append((_OBJECTIVES, objectives))
        orgs = [(_FUNDING, payer) for payer in self._contract_funders(c)]
        orgs += self._accountable()
        if isinstance(c.financing, InvestorFinancing):
            orgs.append((_EXTENDING, c.financing.investor))
        orgs.append((_IMPLEMENTING, c.provider))
        activity = self._head(self.contract_id(c), 2, c.name, descriptions, orgs)
        self._status_and_dates(activity, c.start, c.last_month, c.settlement_month)
        self._locations(activity, c.areas)
        self._projected(activity, {"contract": c.id}, CONTRACT_FLOWS)
        ET.SubElement(activity, "related-activity", ref=self.programme_id, type=_PARENT)
        for initiative in self.p.initiatives:
            if initiative.id in c.initiatives:
                ref = self.initiative_id(initiative)
                ET.SubElement(activity, "related-activity", ref=ref, type=_SIBLING)
        for metric_index in range(len(c.metrics)):
            activity.append(self._result(c, metric_index))
        return activity

    def _initiative(self, i: Initiative) -> ET.Element:
        descriptions = [(_GENERAL, i.description or i.name)]
        carrier = self.carried.get(i.id)
        funders = (
            self._contract_funders(carrier, delivery=True)
            if carrier is not None
            else [self.funds[share.fund].owner for share in i.funds]
        )
        orgs = [(_FUNDING, funder) for funder in funders]
        orgs += self._accountable()
        if carrier is not None and isinstance(carrier.financing, InvestorFinancing):
            orgs.append((_EXTENDING, carrier.financing.investor))
        orgs.append((_IMPLEMENTING, i.owner))
        activity = self._head(self.initiative_id(i), 2, i.name, descriptions, orgs)
        self._status_and_dates(activity, i.start, i.end, i.end)
        self._locations(activity, i.areas)
        self._projected(activity, {"initiative": i.id}, INITIATIVE_FLOWS)
        ET.SubElement(activity, "related-activity", ref=self.programme_id, type=_PARENT)
        if carrier is not None:
            ref = self.contract_id(carrier)
            ET.SubElement(activity, "related-activity", ref=ref, type=_SIBLING)
        return activity

    # participating organisations

    def _accountable(self) -> list[tuple[str, str]]:
        ids = [s.id for s in self.p.stakeholders if s.kind is StakeholderKind.MUNICIPALITY]
        return [(_ACCOUNTABLE, i) for i in [*ids, self.reporter]]

    def _contract_funders(self, c: OutcomeContract, *, delivery: bool = False) -> list[str]:
        """Who funds a contract; with ``delivery``, who funds the cost of what it delivers."""
        financing = c.financing
        funders = [] if delivery else [payer.payer for payer in c.payers]
        if isinstance(financing, ProviderFinancing) and delivery:
            funders.append(c.provider)
        elif isinstance(financing, InvestorFinancing):
            funders.append(financing.investor)
            if financing.guarantor is not None:
                funders.append(financing.guarantor)
        elif isinstance(financing, Prefinancing):
            funders.append(financing.partner)
            if financing.step_in_payer is not None:
                funders.append(financing.step_in_payer)
        elif delivery:  # advances: the payers fund delivery through them
            funders.extend(payer.payer for payer in c.payers)
        return funders

    def _programme_orgs(self) -> list[tuple[str, str]]:
        p = self.p
        orgs = [(_FUNDING, fund.owner) for fund in p.funds]
        for contract in p.contracts:
            orgs += [(_FUNDING, funder) for funder in self._contract_funders(contract)]
        orgs += self._accountable()
        orgs += [
            (_EXTENDING, c.financing.investor)
            for c in p.contracts
            if isinstance(c.financing, InvestorFinancing)
        ]
        orgs += [(_IMPLEMENTING, c.provider) for c in p.contracts]
        orgs += [(_IMPLEMENTING, i.owner) for i in p.initiatives]
        return orgs

    def _org(self, parent: ET.Element, tag: str, stakeholder_id: str, **attributes: str) -> None:
        stakeholder = self.names[stakeholder_id]
        element = ET.SubElement(parent, tag)
        if stakeholder_id == self.reporter:
            element.set("ref", self.prefix)
        for name, value in attributes.items():
            element.set(name, value)
        kind_type = self._type(stakeholder_id)
        if kind_type:
            element.set("type", kind_type)
        _narrative(element, stakeholder.name)

    def _type(self, stakeholder_id: str) -> str:
        if stakeholder_id == self.reporter:
            return self.reporter_type
        return LOCAL_GOVERNMENT if self.names[stakeholder_id].kind in MUNICIPAL else ""

    # the parts of an activity, in the order of the schema

    def _head(
        self,
        identifier: str,
        hierarchy: int,
        title: str,
        descriptions: Sequence[tuple[str, str]],
        orgs: Iterable[tuple[str, str]],
    ) -> ET.Element:
        activity = ET.Element("iati-activity")
        if self.generated is not None:
            activity.set("last-updated-datetime", self.generated.isoformat())
        activity.set("default-currency", self.p.currency)
        activity.set("hierarchy", str(hierarchy))
        ET.SubElement(activity, "iati-identifier").text = identifier
        reporting = ET.SubElement(
            activity, "reporting-org", ref=self.prefix, type=self.reporter_type
        )
        _narrative(reporting, self.names[self.reporter].name)
        _narrative(ET.SubElement(activity, "title"), title)
        for kind, text in descriptions:
            _narrative(ET.SubElement(activity, "description", type=kind), text)
        unique = sorted(set(orgs), key=lambda org: (org[0], self.order[org[1]]))
        for role, stakeholder_id in unique:
            self._org(activity, "participating-org", stakeholder_id, role=role)
        return activity

    def _status_and_dates(
        self, activity: ET.Element, start: dt.date, end: dt.date, settled: dt.date
    ) -> None:
        ET.SubElement(activity, "activity-status", code=_status(start, end, settled, self.as_of))
        ET.SubElement(
            activity, "activity-date", {"type": _PLANNED_START, "iso-date": start.isoformat()}
        )
        last = _month_end(settled).isoformat()
        ET.SubElement(activity, "activity-date", {"type": _PLANNED_END, "iso-date": last})

    def _locations(self, activity: ET.Element, area_ids: Iterable[str]) -> None:
        wanted = set(area_ids)
        for area in self.p.areas:
            if area.id not in wanted:
                continue
            location = ET.SubElement(activity, "location")
            if area.code is not None:
                location.set("ref", area.code)
            ET.SubElement(location, "location-reach", code=_ACTIVITY_REACH)
            _narrative(ET.SubElement(location, "name"), area.name)

    def _fund_budgets(self, activity: ET.Element) -> None:
        """A budget per fiscal year that any fund lists: the sum of the funds' amounts."""
        years = sorted({year for fund in self.p.funds for year, _ in fund.amounts})
        for year in years:
            total = math.fsum(fund.amount(year) for fund in self.p.funds)
            start, end = self._fiscal_year(year)
            _period_value(activity, "budget", start, end, total, type=_ORIGINAL, status=_INDICATIVE)

    def _fiscal_year(self, year: int) -> tuple[dt.date, dt.date]:
        """The first day and the last day of fiscal ``year`` inside the horizon."""
        first = dt.date(year, self.p.fiscal_year_start_month, 1)
        last = add_months(first, 11)
        return max(first, self.p.start), _month_end(min(last, self.p.last_month))

    def _projected(
        self, activity: ET.Element, criteria: dict[str, str], flows: Sequence[str]
    ) -> None:
        """Budgets per fiscal year and planned disbursements per quarter and payer."""
        projection = self.projection
        if projection is None:
            return
        keys = [
            (index, key.payer)
            for index, key in enumerate(projection.series)
            if key.flow in flows and key.matches(**criteria)
        ]
        if not keys:
            return
        values = projection.values[:, :, [index for index, _ in keys]]  # (scenarios, periods, n)
        grid = projection.grid
        years = [int(grid.fiscal_year_of(first)) for first, _ in self.months]
        for year in sorted(set(years)):
            in_year = [period for period, y in enumerate(years) if y == year]
            per_scenario = values[:, in_year, :].sum(axis=(1, 2))
            amount = self._quantile(per_scenario)
            if _money(amount) != "0.00":
                start, end = self._fiscal_year(year)
                _period_value(
                    activity, "budget", start, end, amount, type=_ORIGINAL, status=_INDICATIVE
                )
        quarters = self._quarters()
        payers = sorted({payer for _, payer in keys}, key=lambda s: self.order.get(s, len(keys)))
        for (first, last), periods in quarters:
            for payer in payers:
                columns = [n for n, (_, who) in enumerate(keys) if who == payer]
                per_scenario = values[:, periods, :][:, :, columns].sum(axis=(1, 2))
                amount = self._quantile(per_scenario)
                if _money(amount) == "0.00":
                    continue
                element = _period_value(
                    activity,
                    "planned-disbursement",
                    grid.month(first),
                    _month_end(grid.month(last)),
                    amount,
                    type=_ORIGINAL,
                )
                if payer in self.names:
                    self._org(element, "provider-org", payer)

    def _quarters(self) -> list[tuple[tuple[int, int], list[int]]]:
        """The calendar quarters of the horizon: their first and last month, and their periods."""
        grid = self.projection.grid if self.projection is not None else None
        assert grid is not None
        inverse, _ = grid.groups("quarter")
        out: dict[int, tuple[list[int], list[int]]] = {}
        for period, (first, last) in enumerate(self.months):
            quarter = int(inverse[first])
            months, periods = out.setdefault(quarter, ([], []))
            months.extend((first, last))
            periods.append(period)
        return [((min(m), max(m)), periods) for m, periods in out.values()]

    def _quantile(self, per_scenario: np.ndarray) -> float:
        return float(np.quantile(per_scenario, self.quantile, method="linear"))

    def _mean(self, dist: Distribution, year: int) -> float:
        return mean_of(dist, self.p.parameter_distributions, year=year)

    def _result(self, c: OutcomeContract, index: int) -> ET.Element:
        metric = c.metrics[index]
        year = self.p.fiscal_year(c.start)
        result = ET.Element("result", type=_OUTCOME)
        _narrative(ET.SubElement(result, "title"), metric.name or metric.id)
        _narrative(ET.SubElement(result, "description"), metric.definition)
        indicator = ET.SubElement(result, "indicator", measure=_PERCENTAGE, ascending="1")
        _narrative(ET.SubElement(indicator, "title"), "Share of participants achieving it (%)")
        baseline = ET.SubElement(
            indicator,
            "baseline",
            {
                "year": str(c.start.year),
                "iso-date": c.start.isoformat(),
                "value": _number(100 * self._mean(metric.baseline, year)),
            },
        )
        _narrative(
            ET.SubElement(baseline, "comment"),
            "The share expected to achieve it without the contract (the metric's baseline).",
        )
        period = self._result_period(indicator, c)
        target = ET.SubElement(
            period, "target", value=_number(100 * self._mean(metric.share_achieving, year))
        )
        threshold = _number(100 * metric.threshold)
        _narrative(
            ET.SubElement(target, "comment"),
            "The share expected to achieve it (the metric's share achieving); outcomes are "
            f"paid when it is at least {threshold} points over the baseline.",
        )
        if self.projection is not None:
            achieved = self.projection.total(
                flow="outcomes_achieved", contract=c.id, metric=metric.id
            )
            count = self._quantile(achieved.sum(axis=1))
            counted = ET.SubElement(result, "indicator", measure=_UNIT, ascending="1")
            _narrative(ET.SubElement(counted, "title"), "Outcomes achieved")
            period = self._result_period(counted, c)
            target = ET.SubElement(period, "target", value=_number(count))
            _narrative(
                ET.SubElement(target, "comment"),
                f"The projection's quantile {_number(self.quantile)} over its scenarios of the "
                "outcomes achieved over the horizon.",
            )
        return result

    def _result_period(self, indicator: ET.Element, c: OutcomeContract) -> ET.Element:
        period = ET.SubElement(indicator, "period")
        ET.SubElement(period, "period-start", {"iso-date": c.start.isoformat()})
        ET.SubElement(
            period, "period-end", {"iso-date": _month_end(c.settlement_month).isoformat()}
        )
        return period


def _narrative(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "narrative").text = text


def _period_value(
    parent: ET.Element,
    tag: str,
    start: dt.date,
    end: dt.date,
    amount: float,
    **attributes: str,
) -> ET.Element:
    element = ET.SubElement(parent, tag, dict(attributes))
    ET.SubElement(element, "period-start", {"iso-date": start.isoformat()})
    ET.SubElement(element, "period-end", {"iso-date": end.isoformat()})
    value = ET.SubElement(element, "value", {"value-date": start.isoformat()})
    value.text = _money(amount)
    return element
