"""Stakeholder and interest analysis: who is at the table, and whose interests the money serves.

Three views of a programme's design, used by the design review and shown by
``programma review --analysis``:

* the engagement matrix: stakeholders × phases → the roles each plays;
* the group at the table per phase (how many stakeholders, not counting the merely informed);
* coverage: the budget (initiative costs) and the expected outcome payments attributed to each
  interest, each area and each stakeholder, computed from the expected-mode projection.

Attribution: an initiative's cost goes to the interests it serves and to the areas it works in;
a contract's outcome payments go to the interests it serves and to the areas it works in. When
an initiative or contract names several interests (or areas) its money is **split evenly**
among them; money of an element that names none is reported as unattributed. A stakeholder's
coverage is the sum over its own interests.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .._text import money, table
from ..engine.projection import Projection
from ..model.phases import Phase
from ..model.programme import Programme
from ..model.vocabulary import Role

__all__ = [
    "BUDGET_FLOWS",
    "OUTCOME_FLOWS",
    "Amounts",
    "Coverage",
    "analysis_report",
    "chronological_phases",
    "coverage",
    "engagement_matrix",
    "group_sizes",
    "matrix_text",
    "table_group",
]

BUDGET_FLOWS: tuple[str, ...] = ("delivery_cost",)
"""The flows that make up an initiative's cost: its delivery cost, whether its funds pay it
(by grants) or the financing of the contract that pays for it carries it."""

OUTCOME_FLOWS: tuple[str, ...] = ("outcome_payment", "advance_offset")
"""The flows that make up a contract's outcome payments: cash paid per verified outcome, and
the outcome payments met from advances already paid (no cash moves at the offset)."""

ROLE_CODES: dict[Role, str] = {
    Role.CO_OWNER: "O",
    Role.ENABLER: "E",
    Role.RISK_COVERER: "R",
    Role.CRITICAL_FRIEND: "F",
    Role.LIVED_EXPERIENCE_EXPERT: "X",
    Role.CONSULTED: "C",
    Role.INFORMED: "I",
}
"""The one-letter codes of roles in the text form of the engagement matrix."""


def chronological_phases(programme: Programme) -> list[tuple[int, Phase]]:
    """The phases with their index in the file, ordered by start (ties: file order).

    >>> from programma.examples import leeuwarden_oost
    >>> [phase.id for _, phase in chronological_phases(leeuwarden_oost())][:2]
    ['verkenning', 'concretisering']
    """
    return sorted(enumerate(programme.phases), key=lambda item: (item[1].start, item[0]))


def table_group(programme: Programme, phase_id: str) -> list[str]:
    """The stakeholders at the table in a phase: engaged in any role but ``informed``.

    Each stakeholder is counted once, in the order of their first engagement in the phase.

    >>> from programma.examples import leeuwarden_oost
    >>> table_group(leeuwarden_oost(), "verkenning")
    ['gemeente', 'ervaringsdeskundigen', 'bewoners', 'amaryllis', 'woningcorporaties']
    """
    group: list[str] = []
    for engagement in programme.engagements:
        if engagement.phase != phase_id or engagement.role is Role.INFORMED:
            continue
        if engagement.stakeholder not in group:
            group.append(engagement.stakeholder)
    return group


def group_sizes(programme: Programme) -> dict[str, int]:
    """Per phase (in chronological order), the number of stakeholders at the table.

    A stakeholder is at the table in a phase when it is engaged there in any role other than
    ``informed``; one with several engagements in a phase counts once.

    >>> from programma.examples import leeuwarden_oost
    >>> group_sizes(leeuwarden_oost())  # doctest: +NORMALIZE_WHITESPACE
    {'verkenning': 5, 'concretisering': 10, 'pilot': 11, 'uitvoering': 16,
     'opschaling': 11, 'borging': 5}
    """
    return {
        phase.id: len(table_group(programme, phase.id))
        for _, phase in chronological_phases(programme)
    }


def engagement_matrix(programme: Programme) -> dict[str, dict[str, tuple[Role, ...]]]:
    """Stakeholders × phases → the roles each stakeholder plays in each phase.

    Every stakeholder (in file order) maps every phase (in chronological order) to the roles
    of its engagements there, in file order; an empty tuple when it is not engaged.

    >>> from programma.examples import leeuwarden_oost
    >>> matrix = engagement_matrix(leeuwarden_oost())
    >>> matrix["inkoop"]["concretisering"], matrix["inkoop"]["verkenning"]
    ((<Role.RISK_COVERER: 'risk-coverer'>,), ())
    """
    phases = [phase.id for _, phase in chronological_phases(programme)]
    matrix: dict[str, dict[str, tuple[Role, ...]]] = {
        stakeholder.id: dict.fromkeys(phases, ()) for stakeholder in programme.stakeholders
    }
    for engagement in programme.engagements:
        row = matrix[engagement.stakeholder]
        row[engagement.phase] = (*row[engagement.phase], engagement.role)
    return matrix


@attrs.frozen
class Amounts:
    """Money attributed to one interest, area or stakeholder, over the whole horizon.

    Attributes:
        budget: Initiative costs (grants from funds, or delivery costs carried by a contract's
            financing), nominal, in expected mode.
        outcome_payments: Expected outcome payments (paid in cash, or met from advances).

    >>> Amounts(1_000.0, 250.0).budget
    1000.0
    """

    budget: float = 0.0
    outcome_payments: float = 0.0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.budget + other.budget, self.outcome_payments + other.outcome_payments)

    def scaled(self, factor: float) -> Amounts:
        """Both amounts multiplied by ``factor``."""
        return Amounts(self.budget * factor, self.outcome_payments * factor)

    def to_dict(self) -> dict[str, float]:
        """The amounts as plain data, rounded to cents."""
        return {
            "budget": round(self.budget, 2),
            "outcome_payments": round(self.outcome_payments, 2),
        }


@attrs.frozen(eq=False, repr=False)
class Coverage:
    """Whose interests the money serves: budget and expected outcome payments attributed.

    Money of an initiative or contract that names several interests (or areas) is split evenly
    among them; money of one that names none is in :attr:`unattributed`. Amounts are nominal
    totals over the horizon, from the expected-mode projection.

    Attributes:
        currency: The programme's currency.
        interests: Per interest (in file order), what the initiatives and contracts serving it
            spend and pay.
        areas: Per area (in file order), what is spent and paid for work in it.
        stakeholders: Per stakeholder (in file order), the sum over its own interests.
        unattributed: ``"interests"`` and ``"areas"``: the money of initiatives and contracts
            that name no interest, or no area.
        total: All initiative costs and all outcome payments.

    >>> from programma.examples import leeuwarden_oost
    >>> covered = coverage(leeuwarden_oost())
    >>> list(covered.areas)
    ['oud-oost', 'bilgaard', 'vrijheidswijk', 'heechterp-schieringen', 'camminghaburen']
    >>> covered.unattributed["interests"]
    Amounts(budget=0.0, outcome_payments=0.0)
    >>> print(str(covered).splitlines()[0])
    Coverage (expected mode; money split evenly over the interests and areas named)
    """

    currency: str
    interests: Mapping[str, Amounts]
    areas: Mapping[str, Amounts]
    stakeholders: Mapping[str, Amounts]
    unattributed: Mapping[str, Amounts]
    total: Amounts

    def __repr__(self) -> str:
        cur = self.currency
        return (
            f"<Coverage: budget {money(self.total.budget, cur)}, "
            f"outcome payments {money(self.total.outcome_payments, cur)}>"
        )

    def to_dict(self) -> dict[str, Any]:
        """The coverage as plain data, amounts rounded to cents."""
        return {
            "currency": self.currency,
            "interests": {key: value.to_dict() for key, value in self.interests.items()},
            "areas": {key: value.to_dict() for key, value in self.areas.items()},
            "stakeholders": {key: value.to_dict() for key, value in self.stakeholders.items()},
            "unattributed": {key: value.to_dict() for key, value in self.unattributed.items()},
            "total": self.total.to_dict(),
        }

    def __str__(self) -> str:
        cur = self.currency

        def rows(mapping: Mapping[str, Amounts], rest: Amounts | None) -> list[list[object]]:
            out: list[list[object]] = [
                [key, money(value.budget, cur), money(value.outcome_payments, cur)]
                for key, value in mapping.items()
            ]
            if rest is not None and (rest.budget or rest.outcome_payments):
                out.append(
                    ["(unattributed)", money(rest.budget, cur), money(rest.outcome_payments, cur)]
                )
            return out

        headers = ["budget", "outcome payments"]
        parts = [
            "Coverage (expected mode; money split evenly over the interests and areas named)",
            table(["interest", *headers], rows(self.interests, self.unattributed["interests"])),
            "",
            table(["area", *headers], rows(self.areas, self.unattributed["areas"])),
            "",
            table(["stakeholder", *headers], rows(self.stakeholders, None)),
            "",
            f"total: budget {money(self.total.budget, cur)}, "
            f"outcome payments {money(self.total.outcome_payments, cur)}",
        ]
        return "\n".join(parts)


def _spread(
    target: dict[str, Amounts], keys: Iterable[str], amounts: Amounts, rest: list[Amounts]
) -> None:
    """Add ``amounts`` split evenly over ``keys``; with no keys, to ``rest[0]``."""
    named = list(keys)
    if not named:
        rest[0] = rest[0] + amounts
        return
    share = amounts.scaled(1 / len(named))
    for key in named:
        target[key] = target[key] + share


def coverage(programme: Programme, projection: Projection | None = None) -> Coverage:
    """Budget and expected outcome payments per interest, per area and per stakeholder.

    An initiative's budget is the sum of its ``delivery_cost`` flows; a
    contract's outcome payments are its ``outcome_payment`` flows plus its ``advance_offset``
    (outcome payments met from advances). Both are taken from the expected-mode projection,
    over the whole horizon, and split evenly over the interests (and areas) the initiative or
    contract names.

    Args:
        programme: The programme.
        projection: Its expected-mode projection, at any resolution; computed when not given.

    Raises:
        ValueError: The projection is not in expected mode, or is of another programme.

    >>> from programma.examples import leeuwarden_oost
    >>> result = coverage(leeuwarden_oost())
    >>> round(result.interests["schuldenvrij"].outcome_payments, -3)
    876000.0
    """
    from ..engine.project import (
        project,  # the engine layer; imported late to keep this module light
    )

    if projection is None:
        projection = project(programme, initiatives=True)
    elif projection.mode != "expected":
        raise ValueError(
            f"coverage needs an expected-mode projection, got a {projection.mode} one: "
            "pass project(programme, initiatives=True) (scenarios=None)"
        )
    elif projection.programme != programme:
        raise ValueError(
            f"the projection is of programme {projection.programme.id!r}, "
            f"not of the programme reviewed ({programme.id!r})"
        )
    if projection.summed_initiatives:
        raise ValueError(
            "coverage needs each initiative's own series: pass project(programme, initiatives=True)"
        )
    totals = projection.values[0].sum(axis=0)
    budget: dict[str, float] = {initiative.id: 0.0 for initiative in programme.initiatives}
    paid: dict[str, float] = {contract.id: 0.0 for contract in programme.contracts}
    for n, key in enumerate(projection.series):
        if key.flow in BUDGET_FLOWS and key.initiative in budget:
            budget[key.initiative] += float(totals[n])
        elif key.flow in OUTCOME_FLOWS and key.contract in paid:
            paid[key.contract] += float(totals[n])

    interests = {interest.id: Amounts() for interest in programme.interests}
    areas = {area.id: Amounts() for area in programme.areas}
    no_interest, no_area = [Amounts()], [Amounts()]
    total = Amounts()
    elements: list[tuple[Amounts, tuple[str, ...], tuple[str, ...]]] = [
        (Amounts(budget=budget[i.id]), i.interests, i.areas) for i in programme.initiatives
    ] + [(Amounts(outcome_payments=paid[c.id]), c.interests, c.areas) for c in programme.contracts]
    for amounts, served, worked_in in elements:
        total = total + amounts
        _spread(interests, served, amounts, no_interest)
        _spread(areas, worked_in, amounts, no_area)
    stakeholders = {stakeholder.id: Amounts() for stakeholder in programme.stakeholders}
    for interest in programme.interests:
        stakeholders[interest.stakeholder] = (
            stakeholders[interest.stakeholder] + interests[interest.id]
        )
    return Coverage(
        currency=programme.currency,
        interests=interests,
        areas=areas,
        stakeholders=stakeholders,
        unattributed={"interests": no_interest[0], "areas": no_area[0]},
        total=total,
    )


def matrix_text(programme: Programme) -> str:
    """The engagement matrix as a text table, roles as one-letter codes with a legend."""
    matrix = engagement_matrix(programme)
    phases = [phase.id for _, phase in chronological_phases(programme)]
    rows = [
        [stakeholder, *("+".join(ROLE_CODES[role] for role in row[phase]) for phase in phases)]
        for stakeholder, row in matrix.items()
    ]
    legend = ", ".join(f"{code} {role.value}" for role, code in ROLE_CODES.items())
    lines = textwrap.wrap(f"roles: {legend}", width=96, subsequent_indent="  ")
    return "\n".join([table(["stakeholder", *phases], rows), *lines])


def analysis_report(programme: Programme, covered: Coverage | None = None) -> str:
    """The stakeholder and interest analysis as text: the matrix, group sizes and coverage.

    Coverage is shown when given (it needs a projection).
    """
    sizes = group_sizes(programme)
    parts = [
        "Engagement matrix (stakeholders × phases)",
        matrix_text(programme),
        "",
        "Group at the table per phase (stakeholders in any role but informed)",
        table(["phase", "start", "stakeholders"], _size_rows(programme, sizes)),
    ]
    if covered is not None:
        parts.extend(["", str(covered)])
    return "\n".join(parts)


def _size_rows(programme: Programme, sizes: Mapping[str, int]) -> list[list[object]]:
    starts: dict[str, dt.date] = {phase.id: phase.start for phase in programme.phases}
    return [[phase, starts[phase].isoformat(), size] for phase, size in sizes.items()]
