"""Lesson 2 of the design review: the voice of the target group."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.programme import Programme
from ...model.vocabulary import ExperienceKind, PhaseKind, Role, StakeholderKind
from .base import Hit, ReviewConfig, Severity, _rule
from .helpers import _engaged_phases, _experts, _kinds


@_rule(
    "target-group-absent",
    lesson=2,
    severity=Severity.WARNING,
    summary="The target group's voice absent from a phase.",
    condition=(
        "A phase with at least one engagement in which no engagement has the role "
        "lived-experience-expert and no stakeholder of kind resident or lived-experience-expert"
        " is engaged in a role other than informed."
    ),
)
def _target_group_absent(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    kinds = _kinds(p)
    voices = {StakeholderKind.RESIDENT, StakeholderKind.LIVED_EXPERIENCE_EXPERT}
    for i, phase in enumerate(p.phases):
        present = [e for e in p.engagements if e.phase == phase.id]
        if present and not any(
            e.role is Role.LIVED_EXPERIENCE_EXPERT
            or (kinds[e.stakeholder] in voices and e.role is not Role.INFORMED)
            for e in present
        ):
            yield (
                f"phases[{i}]",
                f"The target group has no voice in phase {phase.id!r}: engage lived-experience "
                "experts or residents in it, in a role other than 'informed'.",
            )


@_rule(
    "expert-without-question",
    lesson=2,
    severity=Severity.ERROR,
    summary="A lived-experience expert without a clear question.",
    condition=(
        "An engagement with the role lived-experience-expert, or of a stakeholder of kind "
        "lived-experience-expert in a role other than informed, without a question."
    ),
)
def _expert_without_question(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    for k, engagement in _experts(p):
        if engagement.question is None:
            yield (
                f"engagements[{k}].question",
                f"Lived-experience expert engagement {engagement.id!r} (phase "
                f"{engagement.phase!r}) has no question: state the clear question they are "
                "asked, so that they know what is expected and you get the input you hope for.",
            )


@_rule(
    "expert-without-role",
    lesson=2,
    severity=Severity.ERROR,
    summary="A lived-experience expert without a concrete role.",
    condition=(
        "An engagement with the role lived-experience-expert, or of a stakeholder of kind "
        "lived-experience-expert in a role other than informed, without a concrete_role."
    ),
)
def _expert_without_role(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    for k, engagement in _experts(p):
        if engagement.concrete_role is None:
            yield (
                f"engagements[{k}].concrete_role",
                f"Lived-experience expert engagement {engagement.id!r} (phase "
                f"{engagement.phase!r}) has no concrete role: say what they do (co-write the "
                "outcome definitions, sit on the results panel, …) instead of letting them "
                "just join the table.",
            )


@_rule(
    "expert-experience-unclear",
    lesson=2,
    severity=Severity.WARNING,
    summary="A lived-experience expert whose kind of experience is not stated.",
    condition=(
        "An engagement with the role lived-experience-expert, or of a stakeholder of kind "
        "lived-experience-expert in a role other than informed, without an experience kind "
        "(path …experience), or with one but without an experience_subject (path "
        "…experience_subject)."
    ),
)
def _expert_experience_unclear(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    for k, engagement in _experts(p):
        if engagement.experience is None:
            yield (
                f"engagements[{k}].experience",
                f"Lived-experience expert engagement {engagement.id!r} (phase "
                f"{engagement.phase!r}) does not say what kind of experience they bring: set "
                "experience to 'general' or 'specific' (of a process or provider), and say of "
                "what in experience_subject.",
            )
        elif engagement.experience_subject is None:
            yield (
                f"engagements[{k}].experience_subject",
                f"Lived-experience expert engagement {engagement.id!r} (phase "
                f"{engagement.phase!r}) has {engagement.experience.value} experience, but not "
                "of what: name the situation, process or provider in experience_subject.",
            )


@_rule(
    "no-specific-experience",
    lesson=2,
    severity=Severity.INFO,
    summary="No specific experience when plans are made concrete.",
    condition=(
        "A phase of kind concretisation with at least one engagement, in which no "
        "lived-experience expert engagement has experience specific."
    ),
)
def _no_specific_experience(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    experts = [engagement for _, engagement in _experts(p)]
    engaged = _engaged_phases(p)
    for i, phase in enumerate(p.phases):
        if phase.kind is not PhaseKind.CONCRETISATION or phase.id not in engaged:
            continue
        if not any(
            e.phase == phase.id and e.experience is ExperienceKind.SPECIFIC for e in experts
        ):
            yield (
                f"phases[{i}]",
                f"No lived-experience expert brings specific experience (of a process or "
                f"provider) to concretisation phase {phase.id!r}, when it matters most: engage "
                "one with experience = 'specific' and name its subject.",
            )
