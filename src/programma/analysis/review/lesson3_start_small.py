"""Lesson 3 of the design review: think big, start small."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.financing import Prefinancing
from ...model.programme import Programme
from ...model.vocabulary import PhaseKind, Role, StakeholderKind
from ..coverage import chronological_phases, table_group
from .base import Hit, ReviewConfig, Severity, _rule
from .helpers import _CONCRETE_KINDS, _engaged_phases, _ids, _kinds


@_rule(
    "large-first-group",
    lesson=3,
    severity=Severity.WARNING,
    summary="A first phase with a large group.",
    condition=(
        "The first phase (the earliest start; ties: file order) has more than "
        "first_phase_max_group (default 6) stakeholders at the table: stakeholders with an "
        "engagement in the phase in a role other than informed, each counted once."
    ),
    settings=("first_phase_max_group",),
)
def _large_first_group(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    ordered = chronological_phases(p)
    if not ordered:
        return
    i, first = ordered[0]
    size = len(table_group(p, first.id))
    if size > config.first_phase_max_group:
        yield (
            f"phases[{i}]",
            f"The first phase {first.id!r} starts with {size} stakeholders at the table (more "
            f"than {config.first_phase_max_group}): keep the group small at first — a core that "
            "drives the movement, with the rest informed — and let it grow as plans become "
            "concrete.",
        )


@_rule(
    "group-does-not-grow",
    lesson=3,
    severity=Severity.WARNING,
    summary="A group that does not grow towards implementation.",
    condition=(
        "The programme has a phase of kind implementation that is not its first phase, and the "
        "first such phase (by start) has at least one engagement but no more stakeholders at "
        "the table (in a role other than informed) than the first phase."
    ),
)
def _group_does_not_grow(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    ordered = chronological_phases(p)
    implementation = [(i, phase) for i, phase in ordered if phase.kind is PhaseKind.IMPLEMENTATION]
    if not implementation or implementation[0][1] is ordered[0][1]:
        return
    (i, later), (_, first) = implementation[0], ordered[0]
    if later.id not in _engaged_phases(p):
        return  # reported by phase-without-engagement
    before, after = len(table_group(p, first.id)), len(table_group(p, later.id))
    if after <= before:
        yield (
            f"phases[{i}]",
            f"The group does not grow towards implementation: {after} stakeholders at the "
            f"table in {later.id!r} against {before} in the first phase {first.id!r}. As plans "
            "become concrete, bring in the enablers who will do the work and those who cover "
            "the risks (procurement, legal).",
        )


@_rule(
    "no-risk-coverers",
    lesson=3,
    severity=Severity.WARNING,
    summary="No procurement or legal once plans become concrete.",
    condition=(
        "The programme has a phase of kind concretisation, pilot or implementation, and in none"
        " of those phases is a stakeholder of kind procurement (one finding) or of kind legal "
        "(another finding) engaged in a role other than informed. The path is the first such "
        "phase."
    ),
)
def _no_risk_coverers(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    concrete = [(i, phase) for i, phase in chronological_phases(p) if phase.kind in _CONCRETE_KINDS]
    if not concrete:
        return
    kinds = _kinds(p)
    ids = {phase.id for _, phase in concrete}
    present = {
        kinds[e.stakeholder]
        for e in p.engagements
        if e.phase in ids and e.role is not Role.INFORMED
    }
    i, first = concrete[0]
    phases = _ids(phase.id for _, phase in concrete)
    for kind, who in (
        (StakeholderKind.PROCUREMENT, "procurement specialists"),
        (StakeholderKind.LEGAL, "legal affairs"),
    ):
        if kind not in present:
            yield (
                f"phases[{i}]",
                f"No {kind.value} stakeholder is at the table once plans become concrete "
                f"(phases {phases}): engage {who} from phase {first.id!r} on — they cover the "
                "risks of contracts and are often enablers themselves.",
            )


@_rule(
    "pilot-without-safeguard",
    lesson=3,
    severity=Severity.WARNING,
    summary="A pilot with no pre-financing or gate.",
    condition=(
        "An initiative marked pilot for which no contract that pays for it has pre-financing, "
        "no gate acts on it, and no gate acts on a contract that pays for it."
    ),
)
def _pilot_without_safeguard(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    for i, initiative in enumerate(p.initiatives):
        if not initiative.pilot:
            continue
        paying = [c for c in p.contracts if initiative.id in c.initiatives]
        prefinanced = any(isinstance(c.financing, Prefinancing) for c in paying)
        gated = any(
            gate.initiative == initiative.id or gate.contract in {c.id for c in paying}
            for gate in p.gates
        )
        if not prefinanced and not gated:
            yield (
                f"initiatives[{i}]",
                f"Pilot {initiative.id!r} has neither pre-financing nor a gate: let an external "
                "partner pre-finance it until a step-in gate, or add a gate that decides on its "
                "verified results whether to continue, scale up or stop.",
            )
