"""Payment rules (RFC 5545 RRULEs): checked part by part, evaluated over a bounded window.

A rule is read strictly: only the parts listed in :data:`RRULE_LIMITS` (and ``FREQ``, ``UNTIL``,
``WKST``), each once, each value in its range. Evaluating a rule never searches past the window
asked for by more than one 400-year calendar cycle, so a rule that never matches is refused in
a fraction of a second, never after a search to the year 9999.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from dateutil.rrule import rrulestr

from .._errors import Problem, described

__all__ = ["RRULE_LIMITS", "occurrence_months", "rrule_problems"]

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
"""The frequencies a payment rule may have (finer ones make no sense for monthly payments)."""

RRULE_LIMITS: dict[str, tuple[int, int]] = {
    "INTERVAL": (1, 10_000),
    "COUNT": (1, 100_000),
    "BYMONTH": (1, 12),
    "BYMONTHDAY": (1, 31),
    "BYYEARDAY": (1, 366),
    "BYWEEKNO": (1, 53),
    "BYSETPOS": (1, 366),
}
"""The whole-number parts of a rule and their ranges; BY* parts may also be negative
(counted from the end), never 0."""

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T\d{6}Z?)?")
_SIGNED = frozenset({"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"})
_KNOWN = ("FREQ", *RRULE_LIMITS, "BYDAY", "UNTIL", "WKST")
_CYCLE_YEARS = 400  # the Gregorian calendar, leap years and weekdays alike, repeats every 400 years
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February at its longest


def _parts(rule: str) -> tuple[dict[str, str], list[str]]:
    """The rule's parts by name, and what is wrong with its structure (as phrases)."""
    parts: dict[str, str] = {}
    wrong: list[str] = []
    for piece in rule.strip().split(";"):
        name, sep, value = piece.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not value:
            wrong.append(f"NAME=VALUE parts separated by ';' (not {piece!r})")
        elif name not in _KNOWN:
            wrong.append(f"known parts only ({', '.join(_KNOWN)}), not {name}")
        elif name in parts:
            wrong.append(f"each part once ({name} is repeated)")
        else:
            parts[name] = value
    return parts, wrong


def _value_problems(name: str, value: str) -> Iterator[str]:
    if name == "FREQ":
        if value not in FREQUENCIES:
            yield f"FREQ=YEARLY, MONTHLY, WEEKLY or DAILY (not {value})"
    elif name == "WKST":
        if value not in _WEEKDAYS:
            yield f"WKST set to a weekday (MO … SU), not {value}"
    elif name == "UNTIL":
        match = _UNTIL.fullmatch(value)
        try:
            if match is None:
                raise ValueError
            dt.date(*map(int, match.groups()))
        except ValueError:
            yield f"UNTIL as a date YYYYMMDD (not {value})"
    elif name == "BYDAY":
        for day in value.split(","):
            found = _BYDAY.fullmatch(day)
            if found is None or (found.group(1) and not 1 <= abs(int(found.group(1))) <= 53):
                yield f"BYDAY as weekdays such as MO, 1MO or -1FR (not {day})"
    else:
        low, high = RRULE_LIMITS[name]
        signed = name in _SIGNED
        for item in value.split(",") if name.startswith("BY") else [value]:
            try:
                number = int(item)
            except ValueError:
                number = 0 if signed else low - 1
            if not low <= (abs(number) if signed else number) <= high:
                span = f"±{low} to ±{high}" if signed else f"{low} to {high}"
                yield f"{name} from {span} (not {item})"


def _never_matches(parts: dict[str, str]) -> bool:
    """Whether BYMONTHDAY asks for days that none of the BYMONTH months has (Feb 30)."""
    if "BYMONTH" not in parts or "BYMONTHDAY" not in parts:
        return False
    months = [int(m) for m in parts["BYMONTH"].split(",")]
    days = [abs(int(d)) for d in parts["BYMONTHDAY"].split(",")]
    return all(day > _DAYS_IN_MONTH[month - 1] for month in months for day in days)


def rrule_problems(
    path: str, rule: str, start: dt.date | None = None, stop: dt.date | None = None
) -> Iterator[Problem]:
    """Problems with an RFC 5545 RRULE used as a payment schedule.

    Only the rule itself is accepted (no DTSTART: the contract's start is used), with a
    frequency of YEARLY, MONTHLY, WEEKLY or DAILY and the parts of :data:`RRULE_LIMITS`.
    Given ``start`` and ``stop``, the rule must also have an occurrence in ``[start, stop)``.

    >>> [str(p) for p in rrule_problems("payment_rrule", "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1")]
    []
    >>> for problem in rrule_problems("payment_rrule", "FREQ=HOURLY"):
    ...     print(problem)  # doctest: +NORMALIZE_WHITESPACE
    payment_rrule: expected a rule with FREQ=YEARLY, MONTHLY, WEEKLY or DAILY (not HOURLY),
    got 'FREQ=HOURLY'
    """
    expected = "an RFC 5545 RRULE such as 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1'"
    if not isinstance(rule, str) or not rule.strip():
        yield Problem(path, expected, rule)
        return
    upper = rule.upper()
    if "DTSTART" in upper or "\n" in rule or upper.lstrip().startswith(("RRULE:", "EXRULE")):
        yield Problem(path, "the rule alone, without DTSTART or an RRULE: prefix", rule)
        return
    parts, wrong = _parts(rule)
    for name, value in parts.items():
        wrong.extend(_value_problems(name, value))
    if "FREQ" not in parts:
        wrong.append("a FREQ part (FREQ=YEARLY, MONTHLY, WEEKLY or DAILY)")
    if "COUNT" in parts and "UNTIL" in parts:
        wrong.append("COUNT or UNTIL, not both")
    if wrong:
        yield Problem(path, "a rule with " + "; ".join(wrong), rule)
        return
    if _never_matches(parts):
        yield Problem(path, "a rule with at least one occurrence (no month has that day)", rule)
    elif start is not None and stop is not None and not occurrence_months(rule, start, stop):
        last = (stop - dt.timedelta(days=1)).replace(day=1)  # the last month of the window
        yield Problem(
            path,
            f"a rule with at least one occurrence from {start:%Y-%m} to {last:%Y-%m} "
            "(the contract's start to its settlement month)",
            described(repr(rule)),
        )


def _shifted(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years)  # a 400-year shift keeps 29 February valid


def occurrence_months(rule: str, start: dt.date, stop: dt.date) -> list[dt.date]:
    """The firsts of the months in ``[start, stop)`` holding an occurrence of ``rule``.

    The rule starts at ``start`` (its DTSTART). It is evaluated with the whole calendar moved
    forward by whole 400-year cycles, next to the last year dateutil knows, so that a rule with
    no occurrence after ``stop`` ends its search within one cycle.

    >>> occurrence_months("FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1", dt.date(2021, 2, 1),
    ...                   dt.date(2022, 6, 1))
    [datetime.date(2021, 2, 1), datetime.date(2021, 8, 1), datetime.date(2022, 2, 1)]
    """
    parts, _ = _parts(rule)
    years = (dt.MAXYEAR - 1 - stop.year) // _CYCLE_YEARS * _CYCLE_YEARS
    if "UNTIL" in parts:  # moved with the calendar, as a date (occurrences fall at midnight)
        match = _UNTIL.fullmatch(parts["UNTIL"])
        assert match is not None  # validated
        until = dt.date(*map(int, match.groups()))
        if until.year + years > dt.MAXYEAR:
            del parts["UNTIL"]  # past the window anyway
        else:
            parts["UNTIL"] = _shifted(until, years).strftime("%Y%m%d")
    text = ";".join(f"{name}={value}" for name, value in parts.items())
    first = dt.datetime.combine(_shifted(start, years), dt.time())
    last = dt.datetime.combine(_shifted(stop, years), dt.time())
    found: set[dt.date] = set()
    for moment in rrulestr(text, dtstart=first):
        if moment >= last:
            break
        found.add(dt.date(moment.year - years, moment.month, 1))
    return sorted(found)
