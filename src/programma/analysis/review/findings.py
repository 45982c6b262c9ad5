"""The findings of a design review, the review itself, and :func:`review` that runs it."""

from __future__ import annotations

import html
import textwrap
from typing import Any

import attrs

from ..._text import html_table
from ...engine.projection import Projection
from ...model.programme import Programme
from ...model.vocabulary import Role
from .. import coverage as _analysis
from ..coverage import Coverage
from .base import LESSONS, RULES, ReviewConfig, Severity


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


_SHOWN = 20  # findings in a notebook's view; the rest are counted


def _short(message: str, length: int = 160) -> str:
    return message if len(message) <= length else message[: length - 1] + "…"


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

    def _repr_html_(self) -> str:
        """A notebook's view: the headline and a table of the findings (escaped)."""
        rows = [
            [f.severity.value, f.lesson, f.rule, f.path or "(programme)", _short(f.message)]
            for f in self.findings[:_SHOWN]
        ]
        more = len(self.findings) - _SHOWN
        caption = f"first {_SHOWN} of {len(self.findings)} findings" if more > 0 else ""
        table = (
            html_table(["severity", "lesson", "rule", "where", "what"], rows, caption=caption)
            if rows
            else "<p>No findings: the design follows every lesson checked.</p>"
        )
        return f"<p><strong>{html.escape(self.headline())}</strong></p>{table}"

    def _repr_markdown_(self) -> str:
        """A notebook's view as Markdown: the headline and a line per finding."""

        def plain(text: str) -> str:  # names come from files: no Markdown or HTML in them
            return html.escape(text).replace("|", "&#124;").replace("`", "&#96;")

        lines = [f"**{plain(self.headline())}**", ""]
        lines += [
            f"- {f.severity.value}, lesson {f.lesson}, `{plain(f.rule)}` at "
            f"{plain(f.path or '(programme)')}: {plain(_short(f.message))}"
            for f in self.findings[:_SHOWN]
        ]
        if len(self.findings) > _SHOWN:
            lines.append(f"- … and {len(self.findings) - _SHOWN} more")
        return "\n".join(lines) + "\n"

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
