"""The INDIGO export: outcome contracts as INDIGO projects, stakeholders as organisations.

INDIGO is the data standard for impact bonds and other outcome contracts kept by the
Government Outcomes Lab (University of Oxford). It describes three kinds of shared object, each
with its own JSON Schema: projects, organisations and funds. :func:`indigo` writes a programme
as such objects:

* every outcome contract as a **project**: its dates, outcome metrics and their pricing, the
  payers' outcome payment commitments, the investment (investor financing), the provider's
  service provision and its delivery locations (the contract's areas), and, from a projection,
  the planned outcome payments per period;
* every stakeholder as an **organisation**;
* every fund a contract pays outcomes from as an (outcome) **fund**.

Each object is a record ``{"id": …, "data": …}``, as INDIGO's data store serves them, its
``data`` conforming to the INDIGO schema. A field the model cannot fill is left out, never
guessed; ``docs/export-indigo.md`` maps every field written to its model field and lists what is
left out and why. The text is deterministic: the same programme and projection give the same
bytes (keys sorted, lists in the programme's order, no dates of writing).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from .._atomic import atomic_writer
from .._errors import Problem, ValidationError, described
from ..engine.projection import Projection
from ..model.checks import month_index
from ..model.contracts import OutcomeContract
from ..model.distributions import Distribution, Fixed, Yearly, describe
from ..model.financing import InvestorFinancing
from ..model.metrics import OutcomeMetric
from ..model.programme import Programme
from ..model.stakeholders import Stakeholder
from ..model.vocabulary import StakeholderKind

__all__ = ["PAYMENT_FLOWS", "indigo", "indigo_text", "write_indigo"]

PAYMENT_FLOWS: tuple[str, ...] = ("outcome_payment", "advance_offset")
"""The series a planned outcome payment adds up: the cash a payer pays for outcomes, and the
advances offset against what it owes (an advance turning into a payment for outcomes)."""

_PREFIX = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._\-]{0,98}[A-Za-z0-9])?")
_PREFIX_EXPECTED = (
    "a prefix of letters, digits, '-', '.' or '_' that starts and ends with a letter or digit "
    "(such as 'INDIGO', or an org-id such as 'GB-COH-09506232')"
)

_GOVERNMENT = frozenset({StakeholderKind.MUNICIPALITY, StakeholderKind.OTHER_MUNICIPALITY})
"""Stakeholder kinds that are government bodies; no other kind says what legal form a party
has (a provider may be a charity or a company), so no other kind is given a type or category."""


def indigo(
    programme: Programme,
    projection: Projection | None = None,
    *,
    organisation_prefix: str = "INDIGO",
    quantile: float | None = None,
) -> dict[str, Any]:
    """The programme as INDIGO projects, organisations and funds: plain, JSON-ready data.

    Identifiers follow INDIGO's form, the kind of object after the prefix, then the
    programme's id and the entity's: ``INDIGO-POJ-<programme>-<contract>``,
    ``INDIGO-ORG-<programme>-<stakeholder>``, ``INDIGO-FUND-<programme>-<fund>``. A publisher
    that is not INDIGO itself passes its own org-id as ``organisation_prefix``, so that its
    identifiers stay unique among every published dataset.

    Args:
        programme: The programme.
        projection: A projection of this programme; with it, each project gets an outcome
            payment plan: per period of the projection and per payer, the planned outcome
            payment (cash outcome payments plus advances offset against them, to the contract's
            provider). Periods in which it is 0 are left out.
        organisation_prefix: The prefix of every identifier.
        quantile: The quantile of the scenarios each planned payment is (numpy's ``linear``
            quantile, as in the summary's spreads); ``None``, the default, takes the mean. In
            expected mode both are the one scenario's value.

    Returns:
        ``{"projects": […], "organisations": […], "funds": […]}``, each a list of
        ``{"id": …, "data": …}`` records in the programme's order.

    Raises:
        ValidationError: The prefix is not one, the quantile is not in [0, 1] (or is given
            without a projection), or the projection is not of this programme or lacks the
            outcome payments of a contract; every problem at once.

    >>> from programma.examples import leeuwarden_oost
    >>> document = indigo(leeuwarden_oost())
    >>> [project["id"] for project in document["projects"]][:2]
    ['INDIGO-POJ-leeuwarden-oost-sib-werkroute', 'INDIGO-POJ-leeuwarden-oost-schuldenvrij-oost']
    >>> document["projects"][0]["data"]["outcome_pricings"][0]["price_per_unit"]
    {'amount': {'value': 8000.0}}
    """
    problems = list(_problems(programme, projection, organisation_prefix, quantile))
    if problems:
        raise ValidationError(problems)
    ids = _Ids(organisation_prefix, programme.id)
    plan = None if projection is None else _plan(projection, quantile)
    return {
        "projects": [
            {"id": ids.project(contract.id), "data": _project(programme, contract, ids, plan)}
            for contract in programme.contracts
        ],
        "organisations": [
            {"id": ids.organisation(stakeholder.id), "data": _organisation(stakeholder)}
            for stakeholder in programme.stakeholders
        ],
        "funds": [
            {"id": ids.fund(fund_id), "data": _fund(programme, fund_id, ids)}
            for fund_id in _outcome_funds(programme)
        ],
    }


def indigo_text(document: dict[str, Any]) -> str:
    """The export as JSON text: keys sorted, two-space indent, UTF-8 characters as they are.

    Numbers keep full precision (the shortest text that reads back exactly).

    >>> print(indigo_text({"projects": [], "funds": [], "organisations": []}), end="")
    {
      "funds": [],
      "organisations": [],
      "projects": []
    }
    """
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False, sort_keys=True)
    return text + "\n"


def write_indigo(document: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the export to ``path`` as :func:`indigo_text`, atomically.

    Returns:
        The path written.

    Raises:
        OutputPathError: ``path`` is empty or a folder.

    >>> import pathlib, tempfile
    >>> from programma.examples import leeuwarden_oost
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "indigo.json"
    >>> written = write_indigo(indigo(leeuwarden_oost()), target)
    >>> json.loads(written.read_text(encoding="utf-8"))["funds"][0]["id"]
    'INDIGO-FUND-leeuwarden-oost-pilotfonds'
    """
    with atomic_writer(path) as stream:
        stream.write(indigo_text(document))
    return Path(path)


# -- checks -----------------------------------------------------------------------------------


def _problems(
    programme: object, projection: object, prefix: object, quantile: object
) -> Iterator[Problem]:
    if not isinstance(programme, Programme):
        yield Problem("programme", "a Programme", described(type(programme).__name__))
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        yield Problem("organisation_prefix", _PREFIX_EXPECTED, prefix)
    if quantile is not None:
        number = isinstance(quantile, int | float) and not isinstance(quantile, bool)
        if not number or not 0.0 <= quantile <= 1.0:  # type: ignore[operator]  # NaN fails too
            yield Problem("quantile", "None (the mean) or a number in [0, 1]", quantile)
        elif projection is None:
            yield Problem(
                "quantile", "no quantile without a projection (the plan is read from one)", quantile
            )
    if projection is None:
        return
    if not isinstance(projection, Projection):
        yield Problem("projection", "a Projection or None", described(type(projection).__name__))
        return
    if not isinstance(programme, Programme):
        return
    if projection.programme != programme:
        other = projection.programme.id
        yield Problem(
            "projection",
            f"a projection of this programme ({programme.id!r}, as given)",
            described(
                f"a projection of programme {other!r}"
                if other != programme.id
                else f"a projection of another version of {other!r} (a variant, or changed values)"
            ),
        )
        return
    kept = {key.contract for key in projection.series if key.flow == "outcome_payment"}
    for index, contract in enumerate(programme.contracts):
        if contract.id not in kept:
            yield Problem(
                "projection",
                "a projection that keeps the outcome_payment series of every contract",
                described(f"none of contracts[{index}] ({contract.id!r})"),
            )


# -- identifiers and values -------------------------------------------------------------------


@attrs.frozen
class _Ids:
    """INDIGO identifiers: the prefix, the kind of object, the programme's id, the entity's."""

    prefix: str
    programme: str

    def project(self, contract: str) -> str:
        return f"{self.prefix}-POJ-{self.programme}-{contract}"

    def organisation(self, stakeholder: str) -> str:
        return f"{self.prefix}-ORG-{self.programme}-{stakeholder}"

    def fund(self, fund: str) -> str:
        return f"{self.prefix}-FUND-{self.programme}-{fund}"


def _value(value: object) -> dict[str, Any]:
    """INDIGO's wrapper of a single value."""
    return {"value": value}


def _month(month: dt.date) -> str:
    """A month as INDIGO's ``YYYY-MM`` date: every date of the model is a whole month."""
    return f"{month.year:04d}-{month.month:02d}"


def _number(number: float) -> str:
    """A number as text, exactly: ``160``, ``0.05``, ``1234.5``."""
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _percent(share: Decimal) -> str:
    """A share as an exact percentage: ``Decimal("0.5")`` → ``50``."""
    text = format((share * 100).normalize(), "f")
    return text


def _decimal(number: float) -> Decimal:
    """The decimal a float was written as (its shortest text), so 0.12 × 100 is 12 exactly."""
    return Decimal(repr(number))


def _describe(dist: Distribution) -> str:
    """A distribution in words with its numbers exact (``pert(low=6, mode=10, high=18)``)."""
    if isinstance(dist, Yearly):  # each year's distribution, where a message names the years
        return "yearly(" + ", ".join(f"{y}: {_describe(d)}" for y, d in dist.by_year) + ")"
    return describe(dist, _number)


def _unique(values: Iterable[str]) -> list[str]:
    """The values in order of first appearance, each once."""
    return list(dict.fromkeys(values))


def _government(programme: Programme, stakeholder: str) -> bool:
    return any(s.id == stakeholder and s.kind in _GOVERNMENT for s in programme.stakeholders)


def _role(programme: Programme, stakeholder: str) -> dict[str, Any]:
    """An organisation role category, where the model says it: a government body."""
    if _government(programme, stakeholder):
        return {"organisation_role_category": _value("Government/Public Sector/Public Bank")}
    return {}


# -- objects ----------------------------------------------------------------------------------


def _organisation(stakeholder: Stakeholder) -> dict[str, Any]:
    data: dict[str, Any] = {"name": _value(stakeholder.name)}
    if stakeholder.description is not None:
        data["description"] = _value(stakeholder.description)
    if stakeholder.kind in _GOVERNMENT:
        data["type"] = _value("Government body")
    return data


def _outcome_funds(programme: Programme) -> list[str]:
    """The funds some contract pays outcomes from, in the programme's order of funds."""
    paying = {share.fund for contract in programme.contracts for share in contract.payers}
    return [fund.id for fund in programme.funds if fund.id in paying]


def _fund(programme: Programme, fund_id: str, ids: _Ids) -> dict[str, Any]:
    fund = next(f for f in programme.funds if f.id == fund_id)
    contracts = [c for c in programme.contracts if any(s.fund == fund_id for s in c.payers)]
    payers = _unique(s.payer for c in contracts for s in c.payers if s.fund == fund_id)
    scale: dict[str, Any] = {
        "number_of_outcome_contracts": {"aspiration": _value(len(contracts))},
        "number_of_contributing_outcome_funders": {"aspiration": _value(len(payers))},
    }
    if fund.amounts:
        scale["total_outcome_fund_value_outcomes_funding"] = {
            "currency": _value(programme.currency),
            "aspiration": {"amount": _value(math.fsum(amount for _, amount in fund.amounts))},
        }
    return {
        "name": _value(fund.name),
        "host_institution_of_outcome_fund": _value(ids.organisation(fund.owner)),
        "dimensions_of_scale": scale,
        "organisations": [{"organisation_id": _value(ids.organisation(p))} for p in payers],
    }


def _project(
    programme: Programme, contract: OutcomeContract, ids: _Ids, plan: _Plan | None
) -> dict[str, Any]:
    def currency() -> dict[str, Any]:  # a new one at each use: no part of the data is shared
        return _value(programme.currency)

    data: dict[str, Any] = {"name": _value(contract.name)}
    if contract.description is not None:
        data["notes"] = _value(contract.description)
    data["dates"] = {
        "start_date_of_service_provision": _value(_month(contract.start)),
        "anticipated_end_date_of_service_provision": _value(_month(contract.last_month)),
        "anticipated_duration_of_service_provision": _value(
            month_index(contract.start, contract.last_month) + 1
        ),
        "anticipated_completion_date": _value(_month(contract.settlement_month)),
    }
    finance: dict[str, Any] = {}
    if contract.cap is not None:
        finance["maximum_potential_outcome_payment_v2"] = {
            "currency": currency(),
            "amount": _value(contract.cap),
        }
    financing = contract.financing
    if isinstance(financing, InvestorFinancing):
        finance["total_investment_commitment"] = {
            "currency": currency(),
            "amount": {"exact": _value(financing.commitment)},
        }
        data["investments"] = [_investment(programme, financing, ids)]
    if finance:
        data["overall_project_finance"] = finance
    target = _enrolment_target(contract)
    if target is not None:
        data["service_and_beneficiaries"] = {
            "targeted_number_service_users_or_beneficiaries_total": _value(target)
        }
    data["outcome_funds"] = [{"id": ids.fund(f)} for f in _unique(s.fund for s in contract.payers)]
    data["service_provisions"] = [_service_provision(programme, contract, ids)]
    locations = [_location(programme, contract, area) for area in contract.areas]
    if locations:
        data["delivery_locations"] = locations
    data["outcome_payment_commitments"] = [
        _commitment(programme, contract, payer, ids)
        for payer in _unique(s.payer for s in contract.payers)
    ]
    data["outcome_metrics"] = [_metric(metric) for metric in contract.metrics]
    base = _month(programme.price_base_date or programme.start)
    data["outcome_pricings"] = [
        _pricing(metric, programme.currency, base) for metric in contract.metrics
    ]
    if plan is not None:
        data.update(plan.for_contract(contract, programme.currency, ids))
    return data


def _enrolment_target(contract: OutcomeContract) -> float | None:
    """The participants the contract plans to enrol, when every window's number is fixed."""
    total: list[float] = []
    for window in contract.enrolment.windows:
        if isinstance(window.total, Fixed):
            total.append(window.total.value)
        elif isinstance(window.per_month, Fixed):
            total.append(window.per_month.value * window.months)
        else:
            return None  # an uncertain number: no single intended number to state
    return math.fsum(total)


def _service_provision(
    programme: Programme, contract: OutcomeContract, ids: _Ids
) -> dict[str, Any]:
    provision: dict[str, Any] = {
        "id": contract.provider,
        "organisation_id": _value(ids.organisation(contract.provider)),
        "planned_service": {
            "start_date": _value(_month(contract.start)),
            "end_date": _value(_month(contract.last_month)),
        },
        **_role(programme, contract.provider),
    }
    names = [i.name for i in programme.initiatives if i.id in contract.initiatives]
    if names:
        provision["intervention"] = _value("; ".join(names))
    return provision


def _location(programme: Programme, contract: OutcomeContract, area_id: str) -> dict[str, Any]:
    area = next(a for a in programme.areas if a.id == area_id)
    location: dict[str, Any] = {
        "service_provision_id": _value(contract.provider),
        "location_name": _value(area.name),
    }
    if area.code is not None:
        location["adminstrative_geography_code"] = _value(area.code)  # INDIGO's spelling
    return location


def _commitment(
    programme: Programme, contract: OutcomeContract, payer: str, ids: _Ids
) -> dict[str, Any]:
    shares = [s for s in contract.payers if s.payer == payer]
    commitment: dict[str, Any] = {
        "organisation_id": _value(ids.organisation(payer)),
        **_role(programme, payer),
        "notes": "; ".join(
            f"a share of {_number(s.share)} of every outcome payment, from fund {ids.fund(s.fund)}"
            for s in shares
        ),
    }
    if contract.cap is not None:
        # A payer pays its share of every payment, and the contract pays at most its cap.
        cap = contract.cap
        commitment["maximum_potential_outcome_payment"] = {
            "currency": _value(programme.currency),
            "amount": _value(math.fsum(s.share * cap for s in shares)),
        }
    return commitment


def _investment(programme: Programme, financing: InvestorFinancing, ids: _Ids) -> dict[str, Any]:
    protection = _decimal(financing.capital_protection)
    investment: dict[str, Any] = {
        "id": financing.investor,
        "organisation_id": _value(ids.organisation(financing.investor)),
        **_role(programme, financing.investor),
        "investment_commitment": {
            "currency": _value(programme.currency),
            "amount": {"exact": _value(financing.commitment)},
        },
        # The entitlement accrues at the return cap, so the investor's IRR cannot exceed it.
        "maximum_potential_return_type": _value("IRR"),
        "maximum_potential_return": _value(float(_decimal(financing.return_cap) * 100)),
        # In the worst case nothing is returned but what the guarantor tops up.
        "maximum_potential_loss": _value(f"{_percent(1 - protection)}%"),
    }
    if financing.guarantor is not None:
        investment["notes"] = (
            f"capital protection: at the contract's settlement "
            f"{ids.organisation(financing.guarantor)} tops up what was returned to "
            f"{_percent(protection)}% of the capital drawn"
        )
    return investment


def _metric(metric: OutcomeMetric) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": metric.id, "definition": _value(metric.definition)}
    if metric.baseline != Fixed(0.0) or metric.threshold != 0.0:
        target = (
            f"paid for the share achieving above a baseline of {_describe(metric.baseline)} "
            "(the share that would achieve it anyway)"
        )
        if metric.threshold != 0.0:
            target += f", when it is at least {_number(metric.threshold)} above the baseline"
        entry["outcome_metric_target"] = _value(target)
    if metric.name is not None:
        entry["notes"] = metric.name
    return entry


def _pricing(metric: OutcomeMetric, currency: str, base: str) -> dict[str, Any]:
    pricing: dict[str, Any] = {"outcome_metric_id": _value(metric.id), "currency": _value(currency)}
    if isinstance(metric.price, Fixed):
        pricing["price_per_unit"] = {"amount": _value(metric.price.value)}
        pricing["price_description"] = _value(f"per payable outcome, at {base} prices")
    else:
        pricing["price_description"] = _value(
            f"per payable outcome, at {base} prices, uncertain: {_describe(metric.price)}"
        )
    if metric.indexation != Fixed(0.0):
        pricing["contracted_increases_to_outcome_pricing"] = _value(
            f"indexed once a fiscal year after {base}, at a yearly rate of "
            f"{_describe(metric.indexation)}"
        )
    if metric.cap_value is not None:
        pricing["maximum_price_if_all_targets_achieved"] = {
            "amount": _value(_number(metric.cap_value))
        }
    caps = []
    if metric.cap_count is not None:
        caps.append(f"at most {_number(metric.cap_count)} outcomes paid")
    if metric.cap_per_participant is not None:
        caps.append(f"at most {_number(metric.cap_per_participant)} paid per participant")
    if caps:
        pricing["notes"] = "; ".join(caps)
    return pricing


# -- the payment plan -------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _Plan:
    """Planned outcome payments per contract and payer, per period of a projection."""

    id: str
    notes: str
    periods: tuple[tuple[dt.date, dt.date], ...]
    amounts: dict[tuple[str, str], np.ndarray]

    def for_contract(
        self, contract: OutcomeContract, currency: str, ids: _Ids
    ) -> dict[str, list[dict[str, Any]]]:
        payers = _unique(s.payer for s in contract.payers)
        payments = [
            {
                "outcome_payment_plan_id": _value(self.id),
                "period": {"start_date": _value(_month(first)), "end_date": _value(_month(last))},
                "payer_organisation_id": _value(ids.organisation(payer)),
                "recipient_organisation_id": _value(ids.organisation(contract.provider)),
                "type": _value("Planned"),
                "money": {"currency": _value(currency), "amount": _value(amount)},
            }
            for index, (first, last) in enumerate(self.periods)
            for payer in payers
            if (amount := float(self.amounts[contract.id, payer][index])) != 0.0
        ]
        plan = {
            "id": _value(self.id),
            "period": {
                "start_date": _value(_month(contract.start)),
                "end_date": _value(_month(contract.settlement_month)),
            },
            "notes": self.notes,
        }
        return {"outcome_payment_plans": [plan], "outcome_payments": payments}


def _plan(projection: Projection, quantile: float | None) -> _Plan:
    grid = projection.grid
    inverse, labels = grid.groups(projection.resolution)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for month, period in enumerate(inverse.tolist()):
        first.setdefault(period, month)
        last[period] = month
    periods = tuple((grid.month(first[p]), grid.month(last[p])) for p in range(len(labels)))
    amounts: dict[tuple[str, str], np.ndarray] = {}
    for contract in projection.programme.contracts:
        for payer in _unique(s.payer for s in contract.payers):
            keep = np.array(
                [
                    key.flow in PAYMENT_FLOWS and key.contract == contract.id and key.payer == payer
                    for key in projection.series
                ],
                dtype=bool,
            )
            per_scenario = projection.values[:, :, keep].sum(axis=2)
            amounts[contract.id, payer] = (
                per_scenario.mean(axis=0)
                if quantile is None
                else np.quantile(per_scenario, quantile, axis=0)
            )
    return _Plan(_plan_id(quantile), _plan_notes(projection, quantile), periods, amounts)


def _plan_id(quantile: float | None) -> str:
    return "projected-mean" if quantile is None else f"projected-q{_number(float(quantile))}"


def _plan_notes(projection: Projection, quantile: float | None) -> str:
    resolution = projection.resolution.replace("_", " ")
    what = (
        "cash outcome payments plus advances offset against them, per payer and "
        f"{resolution}, to the contract's provider"
    )
    if projection.mode == "expected":
        run = "in expected mode (every uncertain value at its mean)"
    else:
        statistic = "the mean" if quantile is None else f"the {_number(float(quantile))} quantile"
        run = (
            f"as {statistic} of {projection.scenarios:,} Monte Carlo scenarios "
            f"(seed {projection.seed})"
        )
    return f"Planned outcome payments projected by programma {run}: {what}."
