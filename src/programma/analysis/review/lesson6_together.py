"""Lesson 6 of the design review: do it yourself and do it together."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.programme import Programme
from ...model.vocabulary import StakeholderKind
from .base import Hit, ReviewConfig, Severity, _rule
from .helpers import _kinds


@_rule(
    "municipality-owns-everything",
    lesson=6,
    severity=Severity.WARNING,
    summary="Every initiative owned by the municipality.",
    condition=(
        "The programme has at least one initiative, and every initiative's owner is a "
        "stakeholder of kind municipality."
    ),
)
def _municipality_owns_everything(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    kinds = _kinds(p)
    if p.initiatives and all(kinds[i.owner] is StakeholderKind.MUNICIPALITY for i in p.initiatives):
        yield (
            "initiatives",
            f"Every initiative ({len(p.initiatives)}) is owned by the municipality: don't keep "
            "everything — let partners who know better what is needed (providers, residents, "
            "funders) own parts of the plan.",
        )


@_rule(
    "no-peer-municipality",
    lesson=6,
    severity=Severity.INFO,
    summary="No other municipality to learn from.",
    condition=(
        "The programme has at least one engagement, and none is of a stakeholder of kind "
        "other-municipality."
    ),
)
def _no_peer_municipality(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    kinds = _kinds(p)
    if p.engagements and all(
        kinds[e.stakeholder] is not StakeholderKind.OTHER_MUNICIPALITY for e in p.engagements
    ):
        yield (
            "engagements",
            "No other municipality is engaged: municipalities learn from each other in small "
            "groups around a concrete question; engage a peer (kind 'other-municipality') in "
            "the phase where that question arises.",
        )
