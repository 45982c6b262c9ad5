"""Stakeholders, their interests, and their engagement in each phase."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from .._errors import Problem
from .checks import (
    Checked,
    as_tuple,
    identifier,
    identifiers,
    integer_at_least,
    text,
    vocabulary,
)
from .vocabulary import ExperienceKind, InterestScale, Role, StakeholderKind

__all__ = ["Engagement", "Interest", "Stakeholder"]


@attrs.frozen
class Stakeholder(Checked):
    """A party with a stake in the programme: a payer, a provider, an investor, residents…

    >>> Stakeholder("gemeente", "Gemeente Leeuwarden", StakeholderKind.MUNICIPALITY).kind
    <StakeholderKind.MUNICIPALITY: 'municipality'>
    """

    id: str
    name: str
    kind: StakeholderKind = attrs.field(**vocabulary(StakeholderKind))
    description: str | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from text("name", self.name)
        if self.description is not None:
            yield from text("description", self.description)


@attrs.frozen
class Interest(Checked):
    """A stakeholder's own interest, the scale it works at, and how much it weighs.

    Attributes:
        id: Unique among the programme's interests.
        stakeholder: The id of the stakeholder whose interest it is.
        description: The interest in words.
        scale: Neighbourhood, the programme area, or the system.
        priority: 1 is the highest.
        areas: For a neighbourhood-scale interest, the ids of the areas it concerns.

    >>> Interest("own-street", "bewoners", "A safe street", InterestScale.NEIGHBOURHOOD,
    ...          areas=("bilgaard",)).areas
    ('bilgaard',)
    """

    id: str
    stakeholder: str
    description: str
    scale: InterestScale = attrs.field(**vocabulary(InterestScale))
    priority: int = 1
    areas: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from identifier("stakeholder", self.stakeholder)
        yield from text("description", self.description)
        yield from integer_at_least("priority", self.priority, 1)
        yield from identifiers("areas", self.areas)


@attrs.frozen
class Engagement(Checked):
    """A stakeholder's role in a phase, and why they are at the table.

    For a lived-experience expert, ``question`` (what they are asked), ``concrete_role`` (what
    they do), ``experience`` (general, or of a specific process or provider) and
    ``experience_subject`` say how their voice is secured. The design review checks these.

    >>> Engagement("e1", "ervaringsdeskundigen", "verkenning", Role.LIVED_EXPERIENCE_EXPERT,
    ...            question="What blocks a first job?", experience=ExperienceKind.GENERAL).role
    <Role.LIVED_EXPERIENCE_EXPERT: 'lived-experience-expert'>
    """

    id: str
    stakeholder: str
    phase: str
    role: Role = attrs.field(**vocabulary(Role))
    reason: str | None = None
    question: str | None = None
    concrete_role: str | None = None
    experience: ExperienceKind | None = attrs.field(
        default=None, converter=attrs.converters.optional(ExperienceKind)
    )
    experience_subject: str | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from identifier("stakeholder", self.stakeholder)
        yield from identifier("phase", self.phase)
        for name in ("reason", "question", "concrete_role", "experience_subject"):
            value = getattr(self, name)
            if value is not None:
                yield from text(name, value)
        if self.experience_subject is not None and self.experience is None:
            yield Problem(
                "experience",
                "the kind of experience (general or specific) when a subject is given",
                None,
            )
