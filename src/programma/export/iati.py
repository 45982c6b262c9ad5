"""An IATI 2.03 activity file of a programme: its contracts and initiatives as child activities.

The International Aid Transparency Initiative (IATI) activity standard describes who funds and
implements an activity, where, with which budget and planned disbursements, and for which
results. :func:`iati` writes one ``iati-activity`` for the programme (hierarchy 1) and one for
each outcome contract and each initiative (hierarchy 2), linked both ways by
``related-activity``. Every element is filled from the model or from a projection; what the
model does not hold is left out, never made up. docs/export-iati.md maps each element to its
field.

Only the standard library writes the XML, so that the export needs nothing beyond programma's
own dependencies; the same input always gives the same bytes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from .._errors import Problem, ValidationError, described
from ..engine.projection import Projection
from ..model.checks import add_months
from ..model.contracts import OutcomeContract
from ..model.distributions import Distribution
from ..model.financing import InvestorFinancing, Prefinancing, ProviderFinancing
from ..model.initiatives import Initiative
from ..model.moments import mean_of
from ..model.programme import Programme
from ..model.stakeholders import Stakeholder
from ..model.vocabulary import StakeholderKind

__all__ = [
    "CONTRACT_FLOWS",
    "IATI_VERSION",
    "INITIATIVE_FLOWS",
    "ORGANISATION_TYPES",
    "ExportError",
    "iati",
]

IATI_VERSION = "2.03"
"""The version of the IATI activity standard written."""

ORGANISATION_TYPES: tuple[str, ...] = (
    "10", "11", "15", "21", "22", "23", "24", "30", "40", "60", "70", "71", "72", "73", "80", "90",
)  # fmt: skip
"""The codes of IATI's OrganisationType codelist (2.03), for ``reporting_org_type``."""

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

_PREFIX = re.compile(r"[A-Z]{2}-[A-Z0-9]+-[A-Za-z0-9](?:[A-Za-z0-9._:-]*[A-Za-z0-9])?")
_PREFIX_EXPECTED = (
    "an IATI organisation identifier: a registration agency code and a number joined by "
    "hyphens, such as 'NL-KVK-12345678' (letters, digits, '-', '_', '.' or ':'; no spaces)"
)
# The characters XML 1.0 can hold: a text with any other cannot be written as XML at all.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LOCAL_GOVERNMENT = "11"  # OrganisationType 11: Local Government
_MUNICIPAL = (StakeholderKind.MUNICIPALITY, StakeholderKind.OTHER_MUNICIPALITY)

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


class ExportError(ValidationError):
    """The export's arguments do not fit the programme; :attr:`problems` lists every one.

    >>> from programma.examples import leeuwarden_oost
    >>> try:
    ...     iati(leeuwarden_oost(), organisation_prefix="not a prefix")
    ... except ExportError as error:
    ...     print(error.paths)
    ('organisation_prefix',)
    """


def iati(
    programme: Programme,
    projection: Projection | None = None,
    *,
    organisation_prefix: str,
    reporting_org: str | None = None,
    reporting_org_type: str | None = None,
    quantile: float = 0.5,
    as_of: dt.date | None = None,
    generated: dt.datetime | None = None,
) -> bytes:
    """The programme as an IATI 2.03 ``iati-activities`` document, UTF-8 encoded.

    One activity for the programme and one per outcome contract and per initiative. Their
    identifiers are ``{organisation_prefix}-{programme.id}`` for the programme,
    ``…-contract-{id}`` for a contract and ``…-initiative-{id}`` for an initiative (a contract
    and an initiative may share an id). With a ``projection``, contracts and initiatives get
    planned disbursements per quarter and budgets per fiscal year: per scenario the sum of
    their funding flows (:data:`CONTRACT_FLOWS`, :data:`INITIATIVE_FLOWS`), then the
    ``quantile`` over scenarios (P50 by default; in expected mode the one value). Amounts are
    rounded to cents; periods and amounts that round to 0 are left out.

    Args:
        programme: The programme.
        projection: A projection of ``programme`` by month or by quarter (by quarter only when
            fiscal years start with a quarter); ``None`` leaves out every element it fills.
        organisation_prefix: The reporting organisation's IATI identifier (``NL-KVK-12345678``).
        reporting_org: The id of the stakeholder that reports (default: the programme's one
            municipality).
        reporting_org_type: Its IATI OrganisationType code (default: ``11``, local government,
            for a municipality; required for any other kind).
        quantile: The quantile over scenarios of projected amounts, in [0, 1].
        as_of: The date the activity statuses are judged at (default: the programme's start).
        generated: When the file is made: written as ``generated-datetime`` and
            ``last-updated-datetime``; left out when not given (the output then depends only on
            the input).

    Returns:
        The XML document, with its declaration, as UTF-8 bytes.

    Raises:
        ExportError: An argument does not fit (every problem listed, each with its argument).

    >>> from programma.examples import leeuwarden_oost
    >>> xml = iati(leeuwarden_oost(), organisation_prefix="NL-KVK-12345678")
    >>> xml.count(b"<iati-activity "), xml[:38]
    (14, b"<?xml version='1.0' encoding='utf-8'?>")
    """
    problems = list(
        _argument_problems(
            programme, projection, organisation_prefix, reporting_org, reporting_org_type, quantile
        )
    )
    problems.extend(_text_problems(programme))
    if problems:
        raise ExportError(problems)
    reporter = reporting_org if reporting_org is not None else _municipalities(programme)[0]
    kind = _stakeholder(programme, reporter).kind
    writer = _Writer(
        programme,
        projection,
        prefix=organisation_prefix,
        reporter=reporter,
        reporter_type=reporting_org_type or (_LOCAL_GOVERNMENT if kind in _MUNICIPAL else ""),
        quantile=quantile,
        as_of=as_of or programme.start,
        generated=generated,
    )
    root = ET.Element("iati-activities", version=IATI_VERSION)
    if generated is not None:
        root.set("generated-datetime", generated.isoformat())
    root.extend(writer.activities())
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


# -- arguments ---------------------------------------------------------------------------------


def _municipalities(programme: Programme) -> list[str]:
    return [s.id for s in programme.stakeholders if s.kind is StakeholderKind.MUNICIPALITY]


def _argument_problems(
    programme: Programme,
    projection: Projection | None,
    prefix: str,
    reporter: str | None,
    reporter_type: str | None,
    quantile: float,
) -> Iterator[Problem]:
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        yield Problem("organisation_prefix", _PREFIX_EXPECTED, prefix)
    ids = [s.id for s in programme.stakeholders]
    if reporter is None:
        municipalities = _municipalities(programme)
        if len(municipalities) != 1:
            yield Problem(
                "reporting_org",
                "the id of the reporting stakeholder, as the programme has not exactly one "
                "municipality to take by default",
                described(f"none, and {len(municipalities)} municipalities"),
            )
            return
        reporter = municipalities[0]
    elif reporter not in ids:
        shown = ", ".join(repr(i) for i in ids[:8]) + (", …" if len(ids) > 8 else "")
        yield Problem("reporting_org", f"the id of one of the stakeholders ({shown})", reporter)
        return
    if reporter_type is not None and reporter_type not in ORGANISATION_TYPES:
        yield Problem(
            "reporting_org_type",
            f"an IATI OrganisationType code ({', '.join(ORGANISATION_TYPES)})",
            reporter_type,
        )
    elif reporter_type is None and _stakeholder(programme, reporter).kind not in _MUNICIPAL:
        yield Problem(
            "reporting_org_type",
            f"an IATI OrganisationType code for the reporting stakeholder {reporter!r}, which "
            "is not a municipality",
            None,
        )
    if not isinstance(quantile, int | float) or not 0.0 <= quantile <= 1.0:
        yield Problem("quantile", "a number from 0 to 1", quantile)
    if projection is not None:
        yield from _projection_problems(programme, projection)


def _projection_problems(programme: Programme, projection: Projection) -> Iterator[Problem]:
    if projection.programme != programme:
        yield Problem(
            "projection",
            f"a projection of this programme ({programme.id!r})",
            described(f"a projection of another programme ({projection.programme.id!r})"),
        )
        return
    if projection.summed_initiatives:
        yield Problem(
            "projection",
            "a projection that keeps each initiative's series (project(..., initiatives=True))",
            described("a projection with initiatives summed per fund and area"),
        )
        return
    if projection.resolution not in ("month", "quarter"):
        yield Problem(
            "projection",
            "a projection by month or by quarter (planned disbursements are per quarter)",
            described(f"a projection by {projection.resolution}"),
        )
        return
    months = _period_months(projection)
    grid = projection.grid
    for label, (first, last) in zip(projection.periods, months, strict=True):
        if int(grid.fiscal_year_of(first)) != int(grid.fiscal_year_of(last)):
            yield Problem(
                "projection",
                "a projection by month when fiscal years do not start with a quarter",
                described(f"a projection by quarter, whose {label} spans two fiscal years"),
            )
            return


def _text_problems(programme: Programme) -> Iterator[Problem]:
    """Texts the export writes that XML 1.0 cannot hold (control characters and the like)."""
    fields: list[tuple[str, str | None]] = [
        ("name", programme.name),
        ("description", programme.description),
        ("shared_interest", programme.shared_interest),
    ]
    fields += [(f"stakeholders[{i}].name", s.name) for i, s in enumerate(programme.stakeholders)]
    fields += [(f"areas[{i}].name", a.name) for i, a in enumerate(programme.areas)]
    fields += [(f"areas[{i}].code", a.code) for i, a in enumerate(programme.areas)]
    for i, c in enumerate(programme.contracts):
        fields += [(f"contracts[{i}].name", c.name), (f"contracts[{i}].description", c.description)]
        for j, m in enumerate(c.metrics):
            path = f"contracts[{i}].metrics[{j}]"
            fields += [(f"{path}.name", m.name), (f"{path}.definition", m.definition)]
    for i, n in enumerate(programme.initiatives):
        fields += [
            (f"initiatives[{i}].name", n.name),
            (f"initiatives[{i}].description", n.description),
        ]
    for path, value in fields:
        if value is not None and _NOT_XML.search(value):
            yield Problem(path, "text that XML 1.0 can hold (no control characters)", value)


def _stakeholder(programme: Programme, stakeholder_id: str) -> Stakeholder:
    for stakeholder in programme.stakeholders:
        if stakeholder.id == stakeholder_id:
            return stakeholder
    raise KeyError(stakeholder_id)  # pragma: no cover  (the programme checks its references)


# -- dates -------------------------------------------------------------------------------------


def _month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _period_months(projection: Projection) -> list[tuple[int, int]]:
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


class _Writer:
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
        self.months = _period_months(projection) if projection is not None else []

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
        return _LOCAL_GOVERNMENT if self.names[stakeholder_id].kind in _MUNICIPAL else ""

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
