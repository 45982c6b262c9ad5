"""What a review rule is, the registry of rules, the lessons they come from, and how a
review is configured (rules switched off, severities changed, thresholds)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ..._errors import Problem, ValidationError
from ...model.checks import MAX_MONTHS, Checked, integer_at_least, raise_problems
from ...model.programme import Programme

LESSONS: dict[int, str] = {
    1: "Who is at the table, per phase",
    2: "Secure the voice of the target group",
    3: "Think big, start small",
    4: "Balance all interests",
    5: "Long-term commitment through short-term results",
    6: "Do it yourself and do it together",
    7: "Aim at system change",
}
"""The practitioners' lessons, by number, as the review names them."""


class Severity(StrEnum):
    """How serious a finding is.

    >>> Severity("warning") is Severity.WARNING
    True
    """

    ERROR = "error"
    """The design is clearly unsound: ``programma review`` exits with 3."""
    WARNING = "warning"
    """The design departs from a lesson: look at it, and fix it or explain why not."""
    INFO = "info"
    """Worth knowing; often a deliberate choice."""


Hit = tuple[str, str]
"""What a rule's check yields: the path of the element concerned, and the message."""

Check = Callable[[Programme, "ReviewConfig"], Iterator[Hit]]
"""A rule's check: the places where its condition holds in a programme."""


@attrs.frozen
class Rule:
    """One checkable lesson: an id, its lesson, a default severity, its condition and check.

    Attributes:
        id: The rule's id (``phase-without-engagement``), used to switch it off or change its
            severity in :class:`ReviewConfig`.
        lesson: The number of the lesson it comes from (see :data:`LESSONS`).
        severity: Its default severity.
        summary: What it checks, in a line.
        condition: The exact condition under which it reports a finding.
        settings: The names of the :class:`ReviewConfig` fields that tune it.
        check: The function that yields ``(path, message)`` for each place it finds.

    >>> rule = RULES["pilot-without-safeguard"]
    >>> rule.lesson, rule.severity
    (3, <Severity.WARNING: 'warning'>)
    """

    id: str
    lesson: int
    severity: Severity
    summary: str
    condition: str
    settings: tuple[str, ...]
    check: Check = attrs.field(eq=False, repr=False)

    @property
    def lesson_title(self) -> str:
        """The title of the rule's lesson."""
        return LESSONS[self.lesson]


_RULES: dict[str, Rule] = {}

RULES: Mapping[str, Rule] = MappingProxyType(_RULES)
"""Every rule of the design review by id, in lesson order (read-only)."""
# Filled as the lesson modules register their rules; the package imports them in lesson
# order, which is the order of this mapping and so of the findings.


def _rule(
    id: str,
    lesson: int,
    severity: Severity,
    summary: str,
    condition: str,
    settings: tuple[str, ...] = (),
) -> Callable[[Check], Check]:
    """Register the decorated check as a rule."""

    def register(check: Check) -> Check:
        _RULES[id] = Rule(
            id, lesson, severity, summary, " ".join(condition.split()), settings, check
        )
        return check

    return register


# -- configuration ----------------------------------------------------------------------------

Concentration = Literal["hhi", "top-k"]
_CONCENTRATIONS: tuple[str, ...] = ("hhi", "top-k")
_SETTINGS: dict[str, type] = {
    "first_phase_max_group": int,
    "quick_win_months": int,
    "concentration": str,
    "min_hhi": float,
    "top_k": int,
    "min_top_k_share": float,
}


_OPTION_PATHS = {"disabled": "--disable", "severities": "--severity"}


def _as_option(problem: Problem) -> Problem:
    """A configuration problem, with the command-line option as its path."""
    field = problem.path.split("[")[0]
    return attrs.evolve(problem, path=_OPTION_PATHS.get(field, f"--set {field}"))


def _to_ids(value: str | Iterable[str]) -> frozenset[str]:
    return frozenset([value] if isinstance(value, str) else value)


def _to_overrides(
    value: Mapping[str, Severity | str] | Iterable[tuple[str, Severity | str]],
) -> tuple[tuple[str, Severity], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    out = []
    for rule_id, level in pairs:
        try:
            out.append((rule_id, Severity(level)))
        except ValueError:
            out.append((rule_id, level))  # type: ignore[arg-type]  # reported by validation
    return tuple(sorted(out, key=lambda pair: str(pair[0])))


@attrs.frozen
class ReviewConfig(Checked):
    """How to run the review: rules switched off, severities changed, thresholds.

    Attributes:
        disabled: The ids of rules not to run.
        severities: Per rule id, the severity its findings get instead of the default
            (a mapping, or pairs; kept as sorted pairs).
        first_phase_max_group: The most stakeholders at the table in the first phase
            (rule ``large-first-group``).
        quick_win_months: How many months from the programme's start a quick win must start
            within (rule ``no-quick-win``).
        concentration: The measure of how concentrated the money is over initiatives:
            ``"hhi"`` (Herfindahl–Hirschman index) or ``"top-k"`` (the largest k's share)
            (rule ``money-spread-thin``).
        min_hhi: With ``"hhi"``: the index below which money counts as spread thin.
        top_k: With ``"top-k"``: how many of the largest initiatives to take together.
        min_top_k_share: With ``"top-k"``: the share of the k largest below which money counts
            as spread thin.

    Raises:
        ValidationError: An unknown rule id, an unknown severity, or a threshold out of range.

    >>> config = ReviewConfig(disabled={"no-peer-municipality"},
    ...                       severities={"pilot-without-safeguard": "info"}, min_hhi=0.2)
    >>> config.severity_of(RULES["pilot-without-safeguard"])
    <Severity.INFO: 'info'>
    >>> config.severity_of(RULES["no-peer-municipality"]) is None
    True
    """

    disabled: frozenset[str] = attrs.field(default=frozenset(), converter=_to_ids)
    severities: tuple[tuple[str, Severity], ...] = attrs.field(default=(), converter=_to_overrides)
    first_phase_max_group: int = 6
    quick_win_months: int = 24
    concentration: Concentration = "hhi"
    min_hhi: float = 0.1
    top_k: int = 3
    min_top_k_share: float = 0.5

    def severity_of(self, rule: Rule) -> Severity | None:
        """The severity the rule's findings get, or ``None`` when the rule is switched off."""
        if rule.id in self.disabled:
            return None
        return dict(self.severities).get(rule.id, rule.severity)

    @classmethod
    def from_options(
        cls,
        *,
        disable: Sequence[str] = (),
        severity: Sequence[str] = (),
        settings: Sequence[str] = (),
    ) -> ReviewConfig:
        """A configuration from command-line text: rule ids, ``RULE=LEVEL``, ``NAME=VALUE``.

        Raises:
            ValidationError: A malformed or unknown option, every problem at once.

        >>> ReviewConfig.from_options(settings=["min_hhi=0.2"]).min_hhi
        0.2
        >>> ReviewConfig.from_options(severity=["no-critical-friend"])
        Traceback (most recent call last):
        ...
        programma._errors.ValidationError: 1 problem:
          --severity: expected RULE=LEVEL (error, warning or info), got 'no-critical-friend'
        """
        problems: list[Problem] = []
        overrides: list[tuple[str, str]] = []
        for text in severity:
            rule_id, sep, level = text.partition("=")
            if not sep:
                problems.append(Problem("--severity", "RULE=LEVEL (error, warning or info)", text))
            else:
                overrides.append((rule_id.strip(), level.strip()))
        values: dict[str, Any] = {}
        for text in settings:
            name, sep, raw = text.partition("=")
            name, raw = name.strip().replace("-", "_"), raw.strip()
            if not sep or name not in _SETTINGS:
                problems.append(
                    Problem("--set", f"NAME=VALUE, NAME one of {', '.join(_SETTINGS)}", text)
                )
                continue
            kind = _SETTINGS[name]
            try:
                values[name] = kind(raw)
            except ValueError:
                what = {int: "a whole number", float: "a number"}.get(kind, "a text")
                problems.append(Problem(f"--set {name}", what, raw))
        try:
            config = cls(disabled=frozenset(disable), severities=overrides, **values)
        except ValidationError as error:
            raise ValidationError([*problems, *map(_as_option, error.problems)]) from None
        raise_problems(problems, deferrable=False)
        return config

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain data."""
        return {
            "disabled": sorted(self.disabled),
            "severities": {rule_id: level.value for rule_id, level in self.severities},
            **{name: getattr(self, name) for name in _SETTINGS},
        }

    def _problems(self) -> Iterator[Problem]:
        known = ", ".join(RULES)
        for rule_id in sorted(self.disabled, key=str):
            if rule_id not in RULES:
                yield Problem("disabled", f"the id of a review rule ({known})", rule_id)
        for rule_id, level in self.severities:
            if rule_id not in RULES:
                yield Problem("severities", f"the id of a review rule ({known})", rule_id)
            if not isinstance(level, Severity):
                yield Problem(f"severities[{rule_id}]", "error, warning or info", level)
        yield from integer_at_least("first_phase_max_group", self.first_phase_max_group, 1)
        months = self.quick_win_months
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= MAX_MONTHS:
            yield Problem(
                "quick_win_months", f"a whole number of months from 1 to {MAX_MONTHS}", months
            )
        if self.concentration not in _CONCENTRATIONS:
            yield Problem("concentration", "'hhi' or 'top-k'", self.concentration)
        yield from _share("min_hhi", self.min_hhi)
        yield from integer_at_least("top_k", self.top_k, 1)
        yield from _share("min_top_k_share", self.min_top_k_share)


def _share(path: str, value: float) -> Iterator[Problem]:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or not 0 <= value <= 1:
        yield Problem(path, "a number in [0, 1]", value)
