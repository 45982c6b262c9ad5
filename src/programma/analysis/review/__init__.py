"""The design review: the practitioners' lessons as rules a programme design is checked against.

The lessons come from the manager of Leeuwarden Oost, a twenty-year programme against
intergenerational poverty (see ``docs/review-rules.md``). Each lesson becomes one or more
:class:`Rule` objects: data with an id, the lesson's number, a default severity, the exact
condition in words, the settings of :class:`ReviewConfig` that tune it, and a check that yields
the places in the programme where the condition holds. :func:`review` runs every enabled rule
and returns a :class:`Review` with the findings and the stakeholder and interest analysis.

The package holds, in order of reading: ``base`` (the lessons, :class:`Rule` and the registry
of rules, :class:`ReviewConfig`), ``findings`` (:class:`Finding`, :class:`Review` and
:func:`review`), ``helpers`` (what the rules of several lessons share), and one module of rules
per lesson, ``lesson1_table`` to ``lesson7_system_change``.
"""

from __future__ import annotations

# Each lesson module registers its rules as it is imported: the order of these imports, lesson
# by lesson, is the order of RULES and so of the findings of a review.
from . import (  # noqa: F401
    lesson1_table,
    lesson2_voice,
    lesson3_start_small,
    lesson4_interests,
    lesson5_quick_wins,
    lesson6_together,
    lesson7_system_change,
)
from .base import LESSONS, RULES, Hit, ReviewConfig, Rule, Severity
from .findings import Finding, Review, review
from .lesson7_system_change import concentration_of

__all__ = [
    "LESSONS",
    "RULES",
    "Finding",
    "Hit",
    "Review",
    "ReviewConfig",
    "Rule",
    "Severity",
    "concentration_of",
    "review",
]
