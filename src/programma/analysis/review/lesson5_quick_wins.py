"""Lesson 5 of the design review: long-term commitment through short-term results."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.checks import add_months
from ...model.programme import Programme
from .base import Hit, ReviewConfig, Severity, _rule
from .helpers import _ids


@_rule(
    "no-quick-win",
    lesson=5,
    severity=Severity.WARNING,
    summary="No quick win in the first two years that feeds a long-term outcome.",
    condition=(
        "No initiative is marked quick_win, starts before the programme's start plus "
        "quick_win_months (default 24), and serves an interest that an outcome contract serves "
        "or that an initiative not marked quick_win serves whose planned end is at or after "
        "that month."
    ),
    settings=("quick_win_months",),
)
def _no_quick_win(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    window_end = add_months(p.start, config.quick_win_months)
    early = [i for i in p.initiatives if i.quick_win and i.start < window_end]
    long_term = {interest for c in p.contracts for interest in c.interests} | {
        interest
        for i in p.initiatives
        if not i.quick_win and i.end >= window_end
        for interest in i.interests
    }
    if any(long_term.intersection(i.interests) for i in early):
        return
    by = window_end.isoformat()
    if not early:
        yield (
            "initiatives",
            f"No quick win starts in the first {config.quick_win_months} months (before {by}): "
            "plan a visible short-term result that builds the trust needed for the hard "
            "questions, that serves an interest of the long-term plan, and mark it "
            "quick_win = true.",
        )
    else:
        yield (
            "initiatives",
            f"No quick win in the first {config.quick_win_months} months feeds a long-term "
            f"outcome: {_ids(i.id for i in early)} serve no interest that an outcome contract "
            "or a long-running initiative also serves. Choose quick wins that fit the larger "
            "plan, and record the interest they share with it.",
        )
