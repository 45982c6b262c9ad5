"""Shared machinery for validating domain values and reporting every problem at once.

Every domain class lists its own problems (``_problems``, paths relative to itself); its
``__attrs_post_init__`` raises them as one :class:`~programma.ValidationError`. While a file is
being read the raising is deferred, so that the programme, once assembled, can report the
problems of every entity in the file together with its cross-reference problems.

The package's month arithmetic is here too (:func:`month_number`, :func:`year_and_month`,
:func:`month_index`, :func:`add_months`), once: the model is the lowest layer that needs it (a
contract's last month, a phase's length), and every validating module imports this one already,
so the periods, engine and analysis take it from here without reaching above their own layer.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import attrs
import numpy as np

from .._errors import Problem, ValidationError, described

_DEFERRED: ContextVar[bool] = ContextVar("programma_deferred_checks", default=False)

ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}")
ID_EXPECTED = "an id of 1-100 letters, digits, '_', '-' or '.' (not starting with '-' or '.')"


@contextmanager
def deferred_checks() -> Iterator[None]:
    """Within this block entities other than the programme do not raise their own problems."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


def raise_problems(problems: Iterable[Problem], *, deferrable: bool = True) -> None:
    """Raise every problem in ``problems`` as one ValidationError (unless checks are deferred)."""
    if deferrable and _DEFERRED.get():
        return
    found = list(problems)
    if found:
        raise ValidationError(found)


FieldCheck = Callable[[str, Any, "Mapping[str, Any] | None"], Iterable[Problem]]
"""A check kept in a field's metadata under ``"check"``: (path, value, parameters) → problems."""


class Checked:
    """Mix-in: validate on construction by raising what ``problems`` yields."""

    __slots__ = ()

    def _problems(self) -> Iterator[Problem]:
        """The problems of this object's own fields, with paths relative to it."""
        return iter(())

    def problems(self, parameters: Mapping[str, Any] | None = None) -> Iterator[Problem]:
        """Every problem of this object (not of the objects inside it), paths relative to it.

        Fields whose metadata holds a ``"check"`` are checked with ``parameters``, the
        programme's named parameters when known, to resolve references to them; a field left
        at None is checked only if its metadata says it is ``"required"``.
        """
        yield from own_problems(self, parameters)

    def problems_of_own_fields(self) -> list[Problem]:
        """The problems of this object's own fields (no parameters known), as a list."""
        if type(self).problems is Checked.problems:
            return own_problems(self, None)
        return list(self.problems())

    def __attrs_post_init__(self) -> None:
        if _DEFERRED.get():  # the programme reports it: the checks need not even start
            return
        raise_problems(self.problems())


_Rules = tuple["tuple[tuple[str, type, bool], ...]", "tuple[tuple[str, FieldCheck, bool], ...]"]
_RULES: dict[type, _Rules] = {}


def own_problems(obj: Checked, parameters: Mapping[str, Any] | None) -> list[Problem]:
    """What :meth:`Checked.problems` yields, as a list: the checks of one object's own fields.

    Made for speed (a programme may hold a million entities): the class's entity fields and
    field checks are looked up once per class, and a check that finds nothing adds nothing.
    """
    kind: Any = type(obj)
    rules = _RULES.get(kind)
    if rules is None:
        rules = _RULES[kind] = (_entity_fields(kind), _field_checks(kind))
    entities, checks = rules
    if entities and _any_wrong_entity(obj, entities):
        # the checks below would trip over an entity of the wrong type
        return list(wrong_entities(obj))
    found = list(obj._problems())
    for name, check, required in checks:
        value = getattr(obj, name)
        if value is not None or required:
            more = check(name, value, parameters)
            if more:
                found.extend(more)
    return found


@functools.cache
def _field_checks(cls: Any) -> tuple[tuple[str, FieldCheck, bool], ...]:
    """``(name, check, required)`` for each field of ``cls`` whose metadata holds a check."""
    return tuple(
        (field.name, field.metadata["check"], bool(field.metadata.get("required")))
        for field in attrs.fields(cls)
        if field.metadata.get("check") is not None
    )


@functools.cache
def nested_fields(cls: Any) -> tuple[str, ...]:
    """The fields of an attrs class that may hold attrs values: entities, distributions.

    Read from the type hints, so a walk over a programme's entities passes over fields that
    hold only plain values (names, dates, numbers). A class whose hints cannot be resolved
    has every field listed.
    """
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # a hint that cannot be resolved: look into every field
        return tuple(field.name for field in attrs.fields(cls))
    return tuple(
        field.name for field in attrs.fields(cls) if _may_hold_attrs(hints.get(field.name))
    )


PathNode = tuple[Any, str, object]
"""Where a value is in a tree, kept as (parent's node or the root's path, field, entry) and
written out only when a problem is found there (see :func:`path_of`)."""

_FIELD = object()  # the entry of a plain field: the field's value itself


def path_of(node: PathNode | str) -> str:
    """A :data:`PathNode` written out as problems print it (``contracts[2].metrics[0]``)."""
    parts: list[str] = []
    while isinstance(node, tuple):
        node, name, entry = node
        parts.append(name if entry is _FIELD else f"{name}[{entry}]")
    if node:
        parts.append(node)
    return ".".join(reversed(parts))


def walk_nodes(
    root: Any, root_path: str = "", *, once: bool = False
) -> Iterator[tuple[Any, PathNode | str]]:
    """Every attrs value in ``root`` (itself first) with where it is, as a :data:`PathNode`.

    Depth first, each value before the values inside it, in field order: the order of a
    recursive walk, with an explicit stack, as a programme can hold a million entities. A path
    is written out (:func:`path_of`, as problems print it) only for the values a caller wants
    it for: entries of a list are ``[index]``, entries of a table of pairs (a yearly path)
    ``[key]``. With ``once``, an object met again (one price path named by many initiatives)
    is passed over.
    """
    seen: set[int] = set()
    fields_of: dict[type, tuple[str, ...]] = {}  # per class: its fields that may hold values
    stack: list[tuple[Any, PathNode | str]] = [(root, root_path)]
    pop, push = stack.pop, stack.append
    while stack:
        obj, node = pop()
        if once:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
        yield obj, node
        kind: Any = type(obj)
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = tuple(reversed(nested_fields(kind)))
        # Pushed last first, so that they come off the stack in order.
        for name in fields:
            value = getattr(obj, name)
            if isinstance(value, tuple):
                for index in range(len(value) - 1, -1, -1):
                    item = value[index]
                    if hasattr(type(item), "__attrs_attrs__"):
                        push((item, (node, name, index)))
                    elif (
                        isinstance(item, tuple)
                        and len(item) == 2
                        and hasattr(type(item[1]), "__attrs_attrs__")
                    ):
                        push((item[1], (node, name, item[0])))
            elif hasattr(type(value), "__attrs_attrs__"):
                push((value, (node, name, _FIELD)))


_Extra = Callable[[Any], Iterable[Problem]]

_VISIT = object()  # a child value to visit (its class has no quick test)
_PASS = object()  # a child not to visit: not an attrs value, or one with nothing to check


def tree_problems(
    root: Any,
    root_path: str,
    parameters: Mapping[str, Any] | None,
    extra: Mapping[type, _Extra],
) -> Iterator[Problem]:
    """The problems of every value in ``root``, in the order of :func:`walk_nodes`, with paths.

    Each :class:`Checked` value gives its own :meth:`~Checked.problems`; a value of a class in
    ``extra`` also gives what ``extra[class](value)`` yields (paths relative to the value). One
    pass over the tree, written for a million entities: a path is written out only for a value
    that has a problem, and a value that holds nothing else and passes its class's quick test
    (``_surely_valid``, such as a plain number that is a :class:`~.distributions.Fixed`) is
    not visited at all.
    """
    plans: dict[type, _Plan] = {}
    children: dict[type, Any] = {}  # per class: _PASS, _VISIT or its quick test
    stack: list[tuple[Any, PathNode | str]] = [(root, root_path)]
    pop, push = stack.pop, stack.append
    while stack:
        obj, node = pop()
        kind: Any = type(obj)
        plan = plans.get(kind)
        if plan is None:
            plan = plans[kind] = _plan(kind, extra)
        checked, own, more, fields = plan
        if not checked:
            found = list(more(obj)) if more is not None else []
        else:
            found = own_problems(obj, parameters) if own else list(obj.problems(parameters))
            if more is not None:
                found.extend(more(obj))
        if found:
            path = path_of(node)
            for problem in found:
                yield problem.under(path)
        # The values inside, pushed last first so that they are visited in order.
        for name in fields:
            value = getattr(obj, name)
            if isinstance(value, tuple):
                for index in range(len(value) - 1, -1, -1):
                    item = value[index]
                    how = children.get(type(item)) or _child(children, type(item), extra)
                    key: object = index
                    if how is _PASS:
                        if not (isinstance(item, tuple) and len(item) == 2):
                            continue
                        key, item = item  # an entry of a table of pairs (a yearly path)
                        how = children.get(type(item)) or _child(children, type(item), extra)
                        if how is _PASS:
                            continue
                    if how is _VISIT or not how(item):
                        push((item, (node, name, key)))
            else:
                how = children.get(type(value)) or _child(children, type(value), extra)
                if how is not _PASS and (how is _VISIT or not how(value)):
                    push((value, (node, name, _FIELD)))


_Plan = tuple[bool, bool, "_Extra | None", tuple[str, ...]]


def _plan(kind: type, extra: Mapping[type, _Extra]) -> _Plan:
    """How :func:`tree_problems` checks a value of ``kind`` and finds the values inside it.

    The fields are listed last first, as the values inside are pushed on a stack.
    """
    checked = issubclass(kind, Checked)
    own = checked and kind.problems is Checked.problems  # type: ignore[attr-defined]
    return (checked, own, extra.get(kind), tuple(reversed(nested_fields(kind))))


def _child(children: dict[type, Any], kind: Any, extra: Mapping[type, _Extra]) -> Any:
    """Whether a value of ``kind`` is visited: _PASS, _VISIT or the class's quick test.

    A value with nothing to check and nothing inside (a provider's financing) is passed over.
    """
    if not hasattr(kind, "__attrs_attrs__"):
        how: Any = _PASS
    elif (
        issubclass(kind, Checked)
        and kind.problems is Checked.problems
        and kind._problems is Checked._problems
        and kind not in extra
        and not _entity_fields(kind)
        and not _field_checks(kind)
        and not nested_fields(kind)
    ):
        how = _PASS
    else:
        how = kind.__dict__.get("_surely_valid") or _VISIT
    children[kind] = how
    return how


def _any_wrong_entity(obj: object, entities: tuple[tuple[str, type, bool], ...]) -> bool:
    """Whether :func:`wrong_entities` would find anything in ``obj`` (without building it)."""
    for name, cls, collection in entities:
        value = getattr(obj, name)
        if collection and isinstance(value, tuple):
            for item in value:
                if not isinstance(item, cls):
                    return True
        elif not isinstance(value, cls):
            return True
    return False


def _may_hold_attrs(hint: Any) -> bool:
    if hint is None or hint is Any or isinstance(hint, typing.TypeVar):
        return True  # nothing known: look
    if isinstance(hint, type) and attrs.has(hint):
        return True
    return any(_may_hold_attrs(arg) for arg in typing.get_args(hint) if arg is not Ellipsis)


@functools.cache
def _entity_fields(cls: Any) -> tuple[tuple[str, type, bool], ...]:
    """``(name, entity class, is a collection)`` for each field holding entities of one class."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # a hint that cannot be resolved: nothing to check by type
        return ()
    found = []
    for field in attrs.fields(cls):
        hint = hints.get(field.name)
        args = typing.get_args(hint)
        if isinstance(hint, type) and attrs.has(hint):
            found.append((field.name, hint, False))
        elif (
            typing.get_origin(hint) is tuple
            and len(args) == 2
            and args[1] is Ellipsis
            and isinstance(args[0], type)
            and attrs.has(args[0])
        ):
            found.append((field.name, args[0], True))
    return tuple(found)


def wrong_entities(obj: object) -> Iterator[Problem]:
    """Problems for entities of the wrong type in ``obj``'s fields (``areas=[None]``)."""
    kind: Any = type(obj)
    for name, cls, collection in _entity_fields(kind):
        value = getattr(obj, name)
        items = enumerate(value) if collection and isinstance(value, tuple) else [(None, value)]
        for index, item in items:
            if not isinstance(item, cls):
                where = name if index is None else f"{name}[{index}]"
                yield Problem(
                    where,
                    f"an {cls.__name__}" if cls.__name__[0] in "AEIOU" else f"a {cls.__name__}",
                    described(_type_name(item)),
                )


def _type_name(value: object) -> str:
    return "None" if value is None else f"{type(value).__name__} {value!r:.40}"


def vocabulary(kind: type[enum.Enum]) -> dict[str, Any]:
    """The ``converter`` and ``metadata`` of an attrs field holding a member of ``kind``.

    A member's value (e.g. ``"step-in"``) converts to the member; anything else is kept as
    given, for validation to report with the field's path and the values allowed. Use as
    ``attrs.field(**vocabulary(Action))``.
    """

    def convert(value: object) -> object:
        try:
            return kind(value)
        except ValueError:
            return value

    def check(path: str, value: object, parameters: Mapping[str, Any] | None) -> Iterator[Problem]:
        if not isinstance(value, kind):
            allowed = ", ".join(repr(member.value) for member in kind)
            yield Problem(path, f"one of {allowed}", value)

    return {"converter": convert, "metadata": {"check": check, "required": True}}


def as_float(value: float) -> float:
    """A number as ``float`` (other values are left for validation to report)."""
    return float(value) if is_number(value) else value


def some_ids(ids: Sequence[object], shown: int = 8) -> str:
    """The first ``shown`` ids, quoted, and "…" if there are more: a message stays short.

    >>> some_ids(["a", "b"], shown=1)
    "'a', …"
    """
    return ", ".join(repr(k) for k in ids[:shown]) + (", …" if len(ids) > shown else "")


def as_floats(values: Iterable[float]) -> tuple[float, ...]:
    """Numbers as a tuple of ``float`` (other values are left for validation to report)."""
    return tuple(map(as_float, values))


def as_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """Any iterable as a tuple (the converter of every collection field)."""
    return tuple(values)


def is_number(value: object) -> bool:
    """Whether ``value`` is a real number (``bool`` is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


MAX_MAGNITUDE = 1e15
"""The largest size of any number in a programme (an amount, a count, a distribution's
parameter): a thousand trillion. Larger values are refused, so that sums over scenarios,
months and contracts stay finite in floating point."""

MAGNITUDE_EXPECTED = "a number from −1e15 to 1e15 (the limit on any number in a programme)"


def too_large(value: object) -> bool:
    """Whether ``value`` is a finite number larger in size than :data:`MAX_MAGNITUDE`."""
    return is_number(value) and _finite(value) and abs(value) > MAX_MAGNITUDE  # type: ignore[arg-type]


def _finite(value: float) -> bool:
    # an int is always finite; math.isfinite would fail converting one beyond float's range
    return isinstance(value, int) or math.isfinite(value)


# The checks below return their problems as a tuple rather than yielding them: a programme
# runs them millions of times, nearly always on good values, where a generator would cost more
# than the test itself. Each tests the common good case first (a float, an int) and only then
# works out which problem it is.

Problems = tuple[Problem, ...]
"""What a check returns: the problems found, most often none."""

_NONE: Problems = ()


def finite(path: str, value: float) -> Problems:
    """Problems if ``value`` is not a finite number within ±:data:`MAX_MAGNITUDE`."""
    if type(value) is float and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
        return _NONE
    if not is_number(value) or not _finite(value):
        return (Problem(path, "a finite number", value),)
    if too_large(value):
        return (Problem(path, MAGNITUDE_EXPECTED, value),)
    return _NONE


def at_least(path: str, value: float, low: float, *, strict: bool = False) -> Problems:
    """Problems if ``value`` is not a finite number ≥ ``low`` (``>`` when ``strict``).

    The number must also be within ±:data:`MAX_MAGNITUDE`.
    """
    if (
        type(value) is float
        and (low < value if strict else low <= value)
        and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE
    ):
        return _NONE
    sign = ">" if strict else "≥"
    if not is_number(value) or not _finite(value):
        return (Problem(path, f"a finite number {sign} {fmt_number(low)}", value),)
    if value < low or (strict and value == low):
        return (Problem(path, f"a number {sign} {fmt_number(low)}", value),)
    if too_large(value):
        return (Problem(path, MAGNITUDE_EXPECTED, value),)
    return _NONE


def between(path: str, value: float, low: float, high: float) -> Problems:
    """Problems if ``value`` is not a finite number in ``[low, high]``."""
    if type(value) is float and low <= value <= high and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
        return _NONE
    if not is_number(value) or not _finite(value) or not low <= value <= high:
        return (Problem(path, f"a number in [{fmt_number(low)}, {fmt_number(high)}]", value),)
    if too_large(value):
        return (Problem(path, MAGNITUDE_EXPECTED, value),)
    return _NONE


MAX_MONTHS = 1200
"""The most months any duration, lag or window may span (100 years)."""


def months_count(path: str, value: int, low: int = 1) -> Problems:
    """Problems if ``value`` is not a whole number of months from ``low`` to :data:`MAX_MONTHS`."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_MONTHS:
        return (Problem(path, f"a whole number of months from {low} to {MAX_MONTHS}", value),)
    return _NONE


def integer_at_least(path: str, value: int, low: int) -> Problems:
    """Problems if ``value`` is not an integer ≥ ``low`` (and at most :data:`MAX_MAGNITUDE`)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        return (Problem(path, f"an integer ≥ {low}", value),)
    if value > MAX_MAGNITUDE:
        return (Problem(path, MAGNITUDE_EXPECTED, value),)
    return _NONE


def per_month_or_total(per_month: object, total: object) -> Problems:
    """A problem unless a window gives exactly one of its amount per month and its total.

    >>> [p.expected for p in per_month_or_total(None, None)]
    ['exactly one of per_month or total']
    """
    if (per_month is None) == (total is None):
        return (
            Problem(
                "per_month",
                "exactly one of per_month or total",
                described("both" if total is not None else "neither"),
            ),
        )
    return _NONE


def optional_at_least(path: str, value: float | None, low: float) -> Problems:
    """Problems if ``value`` is set and not a finite number ≥ ``low``."""
    if value is None:
        return _NONE
    return at_least(path, value, low)


def identifier(path: str, value: str) -> Problems:
    """Problems if ``value`` is not a valid id."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        return (Problem(path, ID_EXPECTED, value),)
    return _NONE


def identifiers(path: str, values: Iterable[str]) -> Problems:
    """Problems for each entry of ``values`` that is not a valid id, or that repeats."""
    if type(values) is tuple and not values:  # most lists of ids are empty
        return _NONE
    found: list[Problem] = []
    seen: set[str] = set()
    for index, value in enumerate(values):
        found.extend(identifier(f"{path}[{index}]", value))
        if value in seen:
            found.append(Problem(f"{path}[{index}]", "each id listed once", value))
        seen.add(value)
    return tuple(found)


def text(path: str, value: str, *, required: bool = True) -> Problems:
    """Problems if ``value`` is not a string (non-blank when ``required``)."""
    if not isinstance(value, str):
        return (Problem(path, "a string", value),)
    if not _encodable(value):
        return (Problem(path, "text that can be written as UTF-8 (no lone surrogates)", value),)
    if required and not value.strip():
        return (Problem(path, "a non-empty text", value),)
    return _NONE


def _encodable(value: str) -> bool:
    if value.isascii():  # nearly all text: nothing to encode
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def first_of_month(path: str, value: dt.date) -> Problems:
    """Problems if ``value`` is not a date on the first day of a month."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        return (Problem(path, "a date (YYYY-MM-DD)", value),)
    if not 1900 <= value.year <= 2300:
        return (Problem(path, "a date from 1900 to 2300", described(value.isoformat())),)
    if value.day != 1:
        return (Problem(path, "the first day of a month", described(value.isoformat())),)
    return _NONE


def month_number(month: dt.date) -> int:
    """The month's place on one unbroken count of months (January of year 0 is 0).

    >>> month_number(dt.date(2021, 3, 1)) - month_number(dt.date(2020, 12, 1))
    3
    """
    return month.year * 12 + month.month - 1


@typing.overload
def year_and_month(number: int) -> tuple[int, int]: ...
@typing.overload
def year_and_month(number: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
def year_and_month(number: int | np.ndarray) -> tuple[int | np.ndarray, int | np.ndarray]:
    """The calendar year and month (1-12) of a :func:`month_number` (or an array of them).

    >>> year_and_month(month_number(dt.date(2021, 12, 1)) + 1)
    (2022, 1)
    """
    return number // 12, number % 12 + 1


def month_index(start: dt.date, month: dt.date) -> int:
    """The number of whole months from ``start`` to ``month`` (both firsts of months).

    >>> month_index(dt.date(2021, 11, 1), dt.date(2023, 2, 1))
    15
    """
    return (month.year - start.year) * 12 + (month.month - start.month)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first of the month ``count`` months after ``month`` (which is a first of month).

    >>> add_months(dt.date(2021, 11, 1), 14)
    datetime.date(2023, 1, 1)
    >>> add_months(dt.date(2021, 1, 1), -1)
    datetime.date(2020, 12, 1)
    """
    year, calendar_month = year_and_month(month_number(month) + count)
    return dt.date(year, calendar_month, 1)


def fmt_number(number: float) -> str:
    """A number as the messages show it (``1``, ``0.5``, ``∞``)."""
    if number == math.inf:
        return "∞"
    if number == -math.inf:
        return "−∞"
    return f"{number:g}"


YearAmounts = tuple[tuple[int, float], ...]
"""Amounts per (fiscal) year, sorted by year."""


def to_year_amounts(value: object) -> YearAmounts:
    """Turn a mapping ``{year: amount}`` (or pairs) into sorted ``(year, amount)`` pairs.

    >>> to_year_amounts({2022: 5, 2021: 1.5})
    ((2021, 1.5), (2022, 5.0))
    """
    items = value.items() if isinstance(value, dict) else value
    if not isinstance(items, Iterable):
        raise TypeError(f"expected a mapping of year to amount, got {value!r}")
    pairs = [(year, float(amount) if is_number(amount) else amount) for year, amount in items]
    return tuple(sorted(pairs, key=lambda pair: pair[0]))


def year_amounts(path: str, pairs: YearAmounts) -> Problems:
    """Problems with amounts per year: years from 1900 to 2300, each once; amounts ≥ 0."""
    if not pairs:  # most payers have no caps by year
        return _NONE
    found: list[Problem] = []
    seen: set[int] = set()
    for year, amount in pairs:
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2300:
            found.append(Problem(f"{path}[{year}]", "a year from 1900 to 2300", year))
        elif year in seen:
            found.append(Problem(f"{path}[{year}]", "each year listed once", year))
        seen.add(year)
        found.extend(at_least(f"{path}[{year}]", amount, 0.0))
    return tuple(found)
