"""The exceptions raised by programma, rooted in :class:`ProgrammaError`."""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

__all__ = [
    "SHOWN_PER_KIND",
    "SHOWN_TOTAL",
    "FormatVersionError",
    "ParseError",
    "Problem",
    "ProgrammaError",
    "ValidationError",
]


class ProgrammaError(Exception):
    """The root of every exception that programma raises on purpose."""


SHOWN_PER_KIND = 20
"""Problems of one kind (see :attr:`Problem.kind`) that a message shows before it counts."""

SHOWN_TOTAL = 200
"""Problems that a message shows at most, of all kinds together."""

_INDEX = re.compile(r"\[\d+\]")


@attrs.frozen
class Problem:
    """One thing wrong with an input: where it is, what was expected and what was given.

    Attributes:
        path: Where the problem is, in the file's own terms (``contracts[2].metrics[0].price``);
            empty for the programme as a whole.
        expected: What the field should have held, as a phrase (``a number ≥ 0``).
        given: What it held instead.

    >>> str(Problem("contracts[2].metrics[0].price", "a number ≥ 0", -5))
    'contracts[2].metrics[0].price: expected a number ≥ 0, got -5'
    """

    path: str
    expected: str
    given: object

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}expected {self.expected}, got {_show(self.given)}"

    @property
    def kind(self) -> str:
        """The problem with its list indices left out: many problems can be of one kind.

        >>> Problem("contracts[2].metrics[0].price", "a number ≥ 0", -5).kind
        'contracts[*].metrics[*].price: expected a number ≥ 0'
        """
        shape = _INDEX.sub("[*]", self.path)
        return f"{shape}: expected {self.expected}" if shape else f"expected {self.expected}"

    def under(self, prefix: str) -> Problem:
        """The same problem, with its path placed under ``prefix``.

        >>> str(Problem("price", "a number", "x").under("metrics[0]"))
        "metrics[0].price: expected a number, got 'x'"
        """
        if not prefix:
            return self
        if not self.path:
            return attrs.evolve(self, path=prefix)
        joiner = "" if self.path.startswith("[") else "."
        return attrs.evolve(self, path=f"{prefix}{joiner}{self.path}")


class _Given(str):
    """A description of a given value that is shown as it is, without quotes."""

    __slots__ = ()


def described(text: str) -> object:
    """Mark ``text`` as a description of what was given (shown without quotes)."""
    return _Given(text)


def _show(value: object) -> str:
    if isinstance(value, _Given):
        return str(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ValidationError(ProgrammaError, ValueError):
    """An input breaks one or more rules; :attr:`problems` lists every one of them.

    The message lists each problem on its own line, with its path; past
    :data:`SHOWN_PER_KIND` problems of one kind, or :data:`SHOWN_TOTAL` in all, it counts the
    rest (see :meth:`summary_lines`). :attr:`problems` always holds every one.

    Attributes:
        problems: Every problem found, in the order found.

    >>> err = ValidationError([Problem("horizon_years", "an integer ≥ 1", 0)])
    >>> print(err)
    1 problem:
      horizon_years: expected an integer ≥ 1, got 0
    >>> err.problems[0].path
    'horizon_years'
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("a ValidationError needs at least one problem")
        count = len(self.problems)
        head = f"{count:,} problem{'s' if count != 1 else ''}:"
        super().__init__("\n  ".join([head, *self.summary_lines()]))

    def summary_lines(
        self, per_kind: int | None = SHOWN_PER_KIND, total: int | None = SHOWN_TOTAL
    ) -> list[str]:
        """The problems as lines: the first ``per_kind`` of each kind, at most ``total`` in all.

        Problems keep the order found. What is left out is counted at the end, a line per kind
        (``… and 980 more problems like `contracts[*].price: expected a number ≥ 0```), then
        one for any left out by ``total``. ``None`` shows without limit.

        >>> err = ValidationError(
        ...     Problem(f"contracts[{i}].price", "a number ≥ 0", -1) for i in range(3)
        ... )
        >>> for line in err.summary_lines(per_kind=1):
        ...     print(line)
        contracts[0].price: expected a number ≥ 0, got -1
        … and 2 more problems like `contracts[*].price: expected a number ≥ 0`
        """
        lines: list[str] = []
        seen: dict[str, int] = {}
        hidden: dict[str, int] = {}
        over = 0
        for problem in self.problems:
            kind = problem.kind
            seen[kind] = seen.get(kind, 0) + 1
            if per_kind is not None and seen[kind] > per_kind:
                hidden[kind] = hidden.get(kind, 0) + 1
            elif total is not None and len(lines) >= total:
                over += 1
            else:
                lines.append(str(problem))
        for kind, count in hidden.items():
            lines.append(f"… and {count:,} more problem{'s' if count != 1 else ''} like `{kind}`")
        if over:
            lines.append(f"… and {over:,} more problem{'s' if over != 1 else ''}")
        return lines

    @property
    def paths(self) -> tuple[str, ...]:
        """The path of every problem, in order."""
        return tuple(problem.path for problem in self.problems)


class ParseError(ValidationError):
    """The text is not valid TOML or JSON at all (its position is in the message)."""


class FormatVersionError(ValidationError):
    """The file declares a ``format_version`` this version of programma cannot read."""
