"""Helpers shared by the rules of several lessons."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from ...model.programme import Programme
from ...model.stakeholders import Engagement
from ...model.vocabulary import PhaseKind, Role, StakeholderKind

_CONCRETE_KINDS = (PhaseKind.CONCRETISATION, PhaseKind.PILOT, PhaseKind.IMPLEMENTATION)


def _kinds(programme: Programme) -> dict[str, StakeholderKind]:
    return {stakeholder.id: stakeholder.kind for stakeholder in programme.stakeholders}


def _is_expert(engagement: Engagement, kinds: Mapping[str, StakeholderKind]) -> bool:
    """Whether the engagement seats a lived-experience expert (not one merely informed)."""
    if engagement.role is Role.LIVED_EXPERIENCE_EXPERT:
        return True
    return (
        kinds[engagement.stakeholder] is StakeholderKind.LIVED_EXPERIENCE_EXPERT
        and engagement.role is not Role.INFORMED
    )


def _experts(programme: Programme) -> Iterator[tuple[int, Engagement]]:
    kinds = _kinds(programme)
    for k, engagement in enumerate(programme.engagements):
        if _is_expert(engagement, kinds):
            yield k, engagement


def _engaged_phases(programme: Programme) -> set[str]:
    return {engagement.phase for engagement in programme.engagements}


def _ids(values: Iterable[str]) -> str:
    return ", ".join(repr(value) for value in values)
