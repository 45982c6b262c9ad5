"""The design review: the practitioners' lessons as rules a programme design is checked against.

The lessons come from the manager of Leeuwarden Oost, a twenty-year programme against
intergenerational poverty (see ``docs/review-rules.md``). Each lesson becomes one or more
:class:`Rule` objects: data with an id, the lesson's number, a default severity, the exact
condition in words, the settings of :class:`ReviewConfig` that tune it, and a check that yields
the places in the programme where the condition holds. :func:`review` runs every enabled rule
and returns a :class:`Review` with the findings and the stakeholder and interest analysis.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ..._errors import Problem, ValidationError
from ...engine.projection import Projection
from ...model.checks import MAX_MONTHS, Checked, add_months, integer_at_least, raise_problems
from ...model.distributions import mean_of
from ...model.financing import Prefinancing
from ...model.programme import Programme
from ...model.stakeholders import Engagement
from ...model.vocabulary import ExperienceKind, InterestScale, PhaseKind, Role, StakeholderKind
from .. import coverage as _analysis
from ..coverage import Coverage, chronological_phases, table_group

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


_RULES: list[Rule] = []


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
        _RULES.append(
            Rule(id, lesson, severity, summary, " ".join(condition.split()), settings, check)
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


# -- findings and the review ------------------------------------------------------------------


@attrs.frozen
class Finding:
    """One place where a design departs from a lesson, and what to do about it.

    Attributes:
        rule: The id of the rule that found it.
        lesson: The number of the lesson the rule comes from.
        severity: How serious it is (the rule's default unless configured otherwise).
        path: The element concerned, in the file's terms (``phases[2]``,
            ``engagements[5].question``, ``initiatives``); empty for the programme as a whole.
        message: What is wrong and what to do.

    >>> finding = Finding("no-shared-interest", 4, Severity.ERROR, "shared_interest", "No …")
    >>> str(finding)
    'error: shared_interest: No … [no-shared-interest, lesson 4]'
    """

    rule: str
    lesson: int
    severity: Severity
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.severity.value}: {where}{self.message} [{self.rule}, lesson {self.lesson}]"

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain data."""
        return {
            "rule": self.rule,
            "lesson": self.lesson,
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
        }


@attrs.frozen(eq=False, repr=False)
class Review:
    """The result of a design review: the findings, and the stakeholder and interest analysis.

    Findings are in lesson order, and within a lesson in the order of the rules and of the
    elements in the programme.

    Attributes:
        programme: The programme reviewed.
        config: The configuration used.
        findings: Every finding.

    >>> from programma.examples import leeuwarden_oost
    >>> result = review(leeuwarden_oost())
    >>> result
    <Design review of 'leeuwarden-oost': 0 errors, 1 warning, 0 info>
    >>> result.has_errors, [finding.rule for finding in result.warnings]
    (False, ['pilot-without-safeguard'])
    """

    programme: Programme
    config: ReviewConfig
    findings: tuple[Finding, ...]

    def of(self, severity: Severity | str) -> tuple[Finding, ...]:
        """The findings of one severity."""
        level = Severity(severity)
        return tuple(finding for finding in self.findings if finding.severity is level)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity error."""
        return self.of(Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings of severity warning."""
        return self.of(Severity.WARNING)

    @property
    def info(self) -> tuple[Finding, ...]:
        """The findings of severity info."""
        return self.of(Severity.INFO)

    @property
    def has_errors(self) -> bool:
        """Whether any finding has severity error (``programma review`` then exits with 3)."""
        return bool(self.errors)

    # -- the stakeholder and interest analysis ------------------------------------------------

    def engagement_matrix(self) -> dict[str, dict[str, tuple[Role, ...]]]:
        """Stakeholders × phases → the roles each stakeholder plays there (empty: absent).

        Stakeholders in file order, phases in chronological order.
        """
        return _analysis.engagement_matrix(self.programme)

    def group_sizes(self) -> dict[str, int]:
        """Per phase, in chronological order, the stakeholders at the table (not ``informed``)."""
        return _analysis.group_sizes(self.programme)

    def coverage(self, projection: Projection | None = None) -> Coverage:
        """Budget and expected outcome payments per interest, area and stakeholder.

        Computed from ``projection`` (an expected-mode projection of the programme) or, when
        it is not given, from ``project(programme)``. Money of an initiative or contract that
        names several interests or areas is split evenly among them.

        Raises:
            ValueError: The projection is not in expected mode, or of another programme.
        """
        return _analysis.coverage(self.programme, projection)

    # -- output -------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """The number of findings per severity."""
        return {level.value: len(self.of(level)) for level in Severity}

    def headline(self) -> str:
        """One line: the programme and the number of findings per severity."""
        counts = self.counts()
        parts = [
            f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
            f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}",
            f"{counts['info']} info",
        ]
        return f"Design review of {self.programme.id!r}: {', '.join(parts)}"

    def __repr__(self) -> str:
        return f"<{self.headline()}>"

    def __str__(self) -> str:
        lines = [self.headline()]
        if not self.findings:
            lines.append("No findings: the design follows every lesson checked.")
        for lesson, title in LESSONS.items():
            found = [finding for finding in self.findings if finding.lesson == lesson]
            if not found:
                continue
            lines.extend(["", f"Lesson {lesson}: {title}"])
            for finding in found:
                where = finding.path or "(programme)"
                lines.append(f"  {finding.severity.value} {finding.rule} at {where}")
                lines.extend(
                    textwrap.wrap(
                        finding.message,
                        width=96,
                        initial_indent="    ",
                        subsequent_indent="    ",
                        break_on_hyphens=False,
                    )
                )
        if self.config.disabled:
            lines.extend(["", f"Rules switched off: {', '.join(sorted(self.config.disabled))}"])
        return "\n".join(lines)

    def analysis_report(self, projection: Projection | None = None) -> str:
        """The engagement matrix, group sizes and coverage, as text tables."""
        return _analysis.analysis_report(self.programme, self.coverage(projection))

    def to_dict(self, *, analysis: bool = False) -> dict[str, Any]:
        """The review as plain data; with ``analysis`` also the matrix, group sizes and coverage.

        >>> from programma.examples import leeuwarden_oost
        >>> data = review(leeuwarden_oost()).to_dict()
        >>> data["counts"], data["findings"][0]["path"]
        ({'error': 0, 'warning': 1, 'info': 0}, 'initiatives[1]')
        """
        data: dict[str, Any] = {
            "programme": self.programme.id,
            "counts": self.counts(),
            "has_errors": self.has_errors,
            "findings": [finding.to_dict() for finding in self.findings],
            "config": self.config.to_dict(),
        }
        if analysis:
            data["engagement_matrix"] = {
                stakeholder: {phase: [role.value for role in roles] for phase, roles in row.items()}
                for stakeholder, row in self.engagement_matrix().items()
            }
            data["group_sizes"] = self.group_sizes()
            data["coverage"] = self.coverage().to_dict()
        return data


def review(programme: Programme, *, config: ReviewConfig | None = None) -> Review:
    """Check a programme's design against the practitioners' lessons.

    Runs every rule of :data:`RULES` (in lesson order) that ``config`` does not switch off,
    and gives each finding its rule's severity (or the one ``config`` sets). The review reads
    the programme only; the coverage analysis (:meth:`Review.coverage`) projects it when asked.

    Returns:
        The findings, in lesson order, with the stakeholder and interest analysis.

    Args:
        programme: The programme to review.
        config: Rules switched off, severities changed, thresholds (default: none, none, and
            the defaults of :class:`ReviewConfig`).

    >>> from programma.examples import leeuwarden_oost
    >>> print(review(leeuwarden_oost()).headline())
    Design review of 'leeuwarden-oost': 0 errors, 1 warning, 0 info
    """
    config = ReviewConfig() if config is None else config
    findings: list[Finding] = []
    for rule in RULES.values():
        severity = config.severity_of(rule)
        if severity is None:
            continue
        for path, message in rule.check(programme, config):
            findings.append(Finding(rule.id, rule.lesson, severity, path, message))
    return Review(programme, config, tuple(findings))


# -- helpers for the rules --------------------------------------------------------------------

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


# -- lesson 1: who is at the table, per phase ------------------------------------------------


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


# -- lesson 2: the voice of the target group ------------------------------------------------


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


# -- lesson 3: think big, start small -------------------------------------------------------


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


# -- lesson 4: balance all interests --------------------------------------------------------


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


# -- lesson 5: long-term commitment through short-term results ------------------------------


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


# -- lesson 6: do it yourself and do it together --------------------------------------------


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


# -- lesson 7: aim at system change ---------------------------------------------------------


def concentration_of(programme: Programme) -> tuple[float, list[tuple[str, float]]]:
    """The Herfindahl–Hirschman index of expected commitments, and each initiative's share.

    The index is the sum of the squared shares of the initiatives' expected commitments (at
    price-base prices, before overrun and indexation): 1 when one initiative has all the money,
    1/n when n initiatives share it equally. Shares are sorted largest first; with no money
    the index is NaN.

    >>> from programma.examples import leeuwarden_oost
    >>> index, shares = concentration_of(leeuwarden_oost())
    >>> round(index, 3), shares[0][0]
    (0.201, 'structurele-aanpak')
    """
    parameters = programme.parameter_distributions
    amounts = [
        (
            i.id,
            mean_of(i.commitment, parameters, year=programme.fiscal_year(i.start)),
        )
        for i in programme.initiatives
    ]
    total = math.fsum(amount for _, amount in amounts)
    if total <= 0:
        return math.nan, []
    shares = sorted(((key, amount / total) for key, amount in amounts), key=lambda s: -s[1])
    return math.fsum(share * share for _, share in shares), shares


@_rule(
    "money-spread-thin",
    lesson=7,
    severity=Severity.WARNING,
    summary="Money spread thin over initiatives.",
    condition=(
        "The programme's initiatives have expected commitments that sum to more than 0, and "
        "with concentration 'hhi' (the default) their Herfindahl–Hirschman index (the sum of "
        "the squared shares) is below min_hhi (default 0.1, i.e. more spread than ten equal "
        "initiatives); with concentration 'top-k' the top_k (default 3) largest together have a"
        " share below min_top_k_share (default 0.5)."
    ),
    settings=("concentration", "min_hhi", "top_k", "min_top_k_share"),
)
def _money_spread_thin(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    index, shares = concentration_of(p)
    if not shares:
        return
    largest = ", ".join(f"{key!r} {share:.0%}" for key, share in shares[:3])
    advice = (
        "concentrate the money on fewer initiatives that serve the shared interest and can "
        "make a real difference, rather than a little of everything."
    )
    if config.concentration == "hhi":
        if index < config.min_hhi:
            yield (
                "initiatives",
                f"Money is spread thin over {len(shares)} initiatives: the Herfindahl–Hirschman "
                f"index of their expected commitments is {index:.3f}, below {config.min_hhi:g} "
                f"(as if {1 / index:.1f} initiatives shared it equally; largest: {largest}): "
                + advice,
            )
    else:
        top = math.fsum(share for _, share in shares[: config.top_k])
        if top < config.min_top_k_share:
            yield (
                "initiatives",
                f"Money is spread thin over {len(shares)} initiatives: the {config.top_k} "
                f"largest take {top:.0%} of the expected commitments, below "
                f"{config.min_top_k_share:.0%} (largest: {largest}): " + advice,
            )


@_rule(
    "serves-no-interest",
    lesson=7,
    severity=Severity.WARNING,
    summary="An initiative or contract serving no stated interest.",
    condition=(
        "An initiative (path initiatives[i].interests) or a contract (path "
        "contracts[j].interests) that lists no interest."
    ),
)
def _serves_no_interest(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    advice = (
        "serves no stated interest: name the interests it serves, or reconsider it — money "
        "that serves no one's stated interest does not change the system."
    )
    for i, initiative in enumerate(p.initiatives):
        if not initiative.interests:
            yield f"initiatives[{i}].interests", f"Initiative {initiative.id!r} {advice}"
    for j, contract in enumerate(p.contracts):
        if not contract.interests:
            yield f"contracts[{j}].interests", f"Contract {contract.id!r} {advice}"


RULES: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in _RULES})
"""Every rule of the design review by id, in lesson order (read-only)."""
