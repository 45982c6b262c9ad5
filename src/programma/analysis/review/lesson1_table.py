"""Lesson 1 of the design review: who is at the table, per phase."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.programme import Programme
from ...model.vocabulary import Role, StakeholderKind
from ..coverage import chronological_phases
from .base import Hit, ReviewConfig, Severity, _rule
from .helpers import _engaged_phases, _kinds


@_rule(
    "phase-without-engagement",
    lesson=1,
    severity=Severity.ERROR,
    summary="A phase with no one at the table.",
    condition="A phase that no engagement names.",
)
def _phase_without_engagement(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    engaged = _engaged_phases(p)
    for i, phase in enumerate(p.phases):
        if phase.id not in engaged:
            yield (
                f"phases[{i}]",
                f"Phase {phase.id!r} has no one at the table: decide deliberately whom to "
                "involve in it, and record an engagement for each, with their role and the "
                "reason they are there.",
            )


@_rule(
    "engagement-without-reason",
    lesson=1,
    severity=Severity.WARNING,
    summary="An engagement with no stated reason for someone being there.",
    condition="An engagement without a reason.",
)
def _engagement_without_reason(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    for k, engagement in enumerate(p.engagements):
        if engagement.reason is None:
            yield (
                f"engagements[{k}].reason",
                f"Engagement {engagement.id!r} ({engagement.stakeholder!r} as "
                f"{engagement.role.value} in phase {engagement.phase!r}) states no reason: "
                "say what they add in this phase — their expertise, their drive, the work they "
                "will do or the risk they cover.",
            )


@_rule(
    "no-critical-friend",
    lesson=1,
    severity=Severity.WARNING,
    summary="No critical friend in any phase.",
    condition="The programme has at least one engagement, and none has the role critical-friend.",
)
def _no_critical_friend(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    if p.engagements and all(e.role is not Role.CRITICAL_FRIEND for e in p.engagements):
        yield (
            "engagements",
            "No one is at the table as a critical friend in any phase: engage a critic (the "
            "council, an independent assessor, a sceptical partner) with role "
            "'critical-friend', so that the hard questions are asked inside the programme.",
        )


@_rule(
    "implementation-late",
    lesson=1,
    severity=Severity.INFO,
    summary="No one from implementation in the first phase.",
    condition=(
        "The first phase (the earliest start; ties: file order) has at least one engagement, "
        "and none of its engagements has the role enabler or is of a stakeholder of kind "
        "provider."
    ),
)
def _implementation_late(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    ordered = chronological_phases(p)
    if not ordered:
        return
    i, first = ordered[0]
    kinds = _kinds(p)
    present = [e for e in p.engagements if e.phase == first.id]
    if present and not any(
        e.role is Role.ENABLER or kinds[e.stakeholder] is StakeholderKind.PROVIDER for e in present
    ):
        yield (
            f"phases[{i}]",
            f"No one from implementation is at the table in the first phase {first.id!r}: "
            "involve a provider or an enabler early — people who get energy from change, not "
            "those who find it daunting.",
        )
