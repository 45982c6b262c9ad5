"""Lesson 4 of the design review: balance all interests."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.programme import Programme
from ...model.vocabulary import InterestScale
from .base import Hit, ReviewConfig, Severity, _rule


@_rule(
    "no-shared-interest",
    lesson=4,
    severity=Severity.ERROR,
    summary="No shared interest recorded.",
    condition="The programme has no shared_interest.",
)
def _no_shared_interest(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    if p.shared_interest is None:
        yield (
            "shared_interest",
            "No shared interest is recorded: agree at the very start what binds the partners "
            "(the people; breaking poverty) and record it as shared_interest.",
        )


@_rule(
    "stakeholder-without-interest",
    lesson=4,
    severity=Severity.WARNING,
    summary="A stakeholder whose own interest is not recorded.",
    condition="A stakeholder that no interest names.",
)
def _stakeholder_without_interest(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    owners = {interest.stakeholder for interest in p.interests}
    for i, stakeholder in enumerate(p.stakeholders):
        if stakeholder.id not in owners:
            yield (
                f"stakeholders[{i}]",
                f"Stakeholder {stakeholder.id!r} has no interest of its own recorded: record "
                "what it wants from the programme and the scale it works at (neighbourhood, "
                "programme area or system).",
            )


@_rule(
    "neighbourhood-interest-idle",
    lesson=4,
    severity=Severity.WARNING,
    summary="An interest at neighbourhood scale with nothing happening in that neighbourhood.",
    condition=(
        "An interest of scale neighbourhood that names no area (path …areas), or one of whose "
        "areas no initiative and no contract lists (path …areas[j])."
    ),
)
def _neighbourhood_interest_idle(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    active = {area for i in p.initiatives for area in i.areas}
    active.update(area for c in p.contracts for area in c.areas)
    for i, interest in enumerate(p.interests):
        if interest.scale is not InterestScale.NEIGHBOURHOOD:
            continue
        if not interest.areas:
            yield (
                f"interests[{i}].areas",
                f"Interest {interest.id!r} of {interest.stakeholder!r} is at neighbourhood "
                "scale but names no neighbourhood: list the areas it concerns.",
            )
        for j, area in enumerate(interest.areas):
            if area not in active:
                yield (
                    f"interests[{i}].areas[{j}]",
                    f"Interest {interest.id!r} of {interest.stakeholder!r} is about "
                    f"neighbourhood {area!r}, but no initiative or contract works there: plan "
                    f"something in {area!r}, or record the interest at the scale the programme "
                    "works at.",
                )
