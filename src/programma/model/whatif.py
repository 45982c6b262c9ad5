"""What if: change a programme's values by path, and the named variants a programme declares.

A path names a field the way validation problems do (``contracts[2].metrics[0].price``): field
names joined by dots, and a key in brackets for an entry of a list. The key is an index from 0,
or the id of the entry in a list of entities with ids (``contracts[werk]``), or the year in a
table by year (``funds[0].amounts[2024]``, ``deflator.by_year[2030]``). A value is given in
any form the file format accepts for that field (a number for a distribution, a table
``{"dist": "pert", …}``, ``"2024-03"`` for a date) or as the object itself (:class:`Pert`).

Changing values rebuilds the programme along each path with :func:`attrs.evolve` and checks
the result as a whole: the original is never changed.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .._errors import Problem, ValidationError, described
from .checks import ID_EXPECTED, ID_PATTERN, YearAmounts, deferred_checks, some_ids
from .plain import reader, shape_problems, writer

if TYPE_CHECKING:
    from .programme import Programme

__all__ = ["apply_variant", "check_variants", "parse_path", "with_values"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATH_EXPECTED = (
    "a path of field names and [index or id] keys, such as contracts[werk].metrics[0].price"
)


@attrs.frozen
class _Step:
    """One step of a path: into a field (``.price``) or to an entry of a list (``[werk]``)."""

    field: str | None = None
    key: str | None = None

    def shown(self, prefix: str) -> str:
        if self.field is not None:
            return f"{prefix}.{self.field}" if prefix else self.field
        return f"{prefix}[{self.key}]"


class _PathError(Exception):
    """Problems found while following or applying one path (stops that path only)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def parse_path(path: object) -> tuple[_Step, ...]:
    """The steps of ``path``; raises ValidationError if it is not a path at all.

    >>> [s.field or s.key for s in parse_path("contracts[werk].metrics[0].price")]
    ['contracts', 'werk', 'metrics', '0', 'price']
    """
    try:
        return _steps(path)
    except _PathError as error:
        raise ValidationError(error.problems) from None


def _steps(path: object) -> tuple[_Step, ...]:
    def bad() -> _PathError:
        return _PathError([Problem(str(path), _PATH_EXPECTED, path)])

    if not isinstance(path, str) or not path:
        raise _PathError([Problem("", _PATH_EXPECTED, path)])
    steps: list[_Step] = []
    position = 0
    while position < len(path):
        char = path[position]
        if char == "[" and steps:
            end = path.find("]", position)
            key = path[position + 1 : end] if end > 0 else ""
            if not key or "[" in key:
                raise bad()
            steps.append(_Step(key=key))
            position = end + 1
            continue
        if char == "." and steps:
            position += 1
        elif steps:
            raise bad()
        match = _NAME.match(path, position)
        if match is None:
            raise bad()
        steps.append(_Step(field=match.group()))
        position = match.end()
    return tuple(steps)


# -- following a path -------------------------------------------------------------------------


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved type of each field of ``cls``, looked up once per class."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _describe(value: object) -> str:
    if isinstance(value, tuple):
        return "a list"
    if attrs.has(type(value)):
        return f"{type(value).__name__}(…)"
    if value is None:
        return "an unset value"
    return f"a plain value ({value!r})"


def _set(obj: Any, hint: Any, steps: tuple[_Step, ...], at: int, value: object, shown: str) -> Any:
    """``obj`` with the value at ``steps[at:]`` replaced: rebuilt along the way."""
    step = steps[at]
    here = step.shown(shown)
    last = at == len(steps) - 1
    if step.field is not None:
        if not attrs.has(type(obj)):
            raise _PathError(
                [
                    Problem(
                        here,
                        f"a path that stops at {shown} (a field inside a table of fields only)",
                        described(f"a field {step.field!r} inside {_describe(obj)}"),
                    )
                ]
            )
        names = [field.name for field in attrs.fields(type(obj))]
        if step.field not in names:
            raise _PathError(
                [
                    Problem(
                        here,
                        f"a field of {type(obj).__name__} ({', '.join(names)})",
                        described(f"an unknown field {step.field!r}"),
                    )
                ]
            )
        field_hint = _hints(type(obj))[step.field]
        child = getattr(obj, step.field)
        changed = (
            _convert(value, field_hint, here)
            if last
            else _set(child, field_hint, steps, at + 1, value, here)
        )
        return attrs.evolve(obj, **{step.field: changed})
    assert step.key is not None
    if isinstance(obj, np.ndarray):  # the values of Samples: an entry by its index, as a list
        obj, hint = tuple(obj.tolist()), tuple[float, ...]
    if not isinstance(obj, tuple):
        raise _PathError(
            [
                Problem(
                    here,
                    f"a path that stops at {shown} (a [key] inside a list only)",
                    described(f"[{step.key}] inside {_describe(obj)}"),
                )
            ]
        )
    item_hint = _item_hint(hint)
    position, pair = _locate(obj, item_hint, step.key, here)
    if pair:
        year, inner = obj[position]
        inner_hint = typing.get_args(item_hint)[1]
        new_inner = (
            _convert(value, inner_hint, here)
            if last
            else _set(inner, inner_hint, steps, at + 1, value, here)
        )
        new: Any = (year, new_inner)
    else:
        new = (
            _convert(value, item_hint, here)
            if last
            else _set(obj[position], item_hint, steps, at + 1, value, here)
        )
    return (*obj[:position], new, *obj[position + 1 :])


def _item_hint(hint: Any) -> Any:
    """The type of a list's entries, from the list's type (``tuple[X, ...]``)."""
    args = [a for a in typing.get_args(hint) if a is not types.NoneType]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        return _item_hint(args[0])
    return args[0] if args else Any


def _is_pairs(item_hint: Any) -> bool:
    """Whether a list holds ``(year, value)`` pairs, keyed by the year."""
    return typing.get_origin(item_hint) is tuple and len(typing.get_args(item_hint)) == 2


def _locate(items: tuple[Any, ...], item_hint: Any, key: str, here: str) -> tuple[int, bool]:
    """The position of the entry ``key`` names, and whether the entries are year pairs."""
    if _is_pairs(item_hint):
        years = [str(year) for year, _ in items]
        if key in years:
            return years.index(key), True
        shown = ", ".join(years) if years else "there are none"
        raise _PathError([Problem(here, f"one of the years given ({shown})", key)])
    if key.isascii() and key.isdigit():
        index = int(key)
        if index < len(items):
            return index, False
        expected = (
            f"an index from 0 to {len(items) - 1}" if items else "an index (the list is empty)"
        )
        raise _PathError([Problem(here, expected, index)])
    ids = [getattr(item, "id", None) for item in items]
    if not items or not all(isinstance(i, str) for i in ids):
        kind = "the list is empty" if not items else "its entries have no ids"
        raise _PathError([Problem(here, f"an index from 0 ({kind})", key)])
    if key in ids:
        return ids.index(key), False
    raise _PathError([Problem(here, f"an index or the id of an entry ({some_ids(ids)})", key)])


# -- converting a value -----------------------------------------------------------------------


def _convert(value: object, hint: Any, here: str) -> Any:
    """``value`` as the field typed ``hint`` holds it, read as the file format reads it."""
    args = typing.get_args(hint)
    if value is None and types.NoneType in args:
        return None  # an optional field, unset
    if hint == YearAmounts and isinstance(value, tuple):
        value = {str(year): amount for year, amount in value}
    # The object itself (Pert(…), a date, an enum member) becomes its file form first: one
    # reading for every way of giving a value, and the file's rules for each field.
    plain = writer(dates_as_text=False).data(value)
    try:
        with deferred_checks():
            return reader().converter.structure(plain, hint)
    except Exception as error:
        raise _PathError(list(shape_problems(error, here))) from None


# -- applying many paths ----------------------------------------------------------------------


def _apply(
    programme: Programme, values: Mapping[str, object], *, keep_variants: bool
) -> tuple[Programme, dict[str, Any]]:
    """The programme with ``values`` set, and each value as the programme now holds it."""
    if not isinstance(values, Mapping):
        raise ValidationError(
            [Problem("", "a mapping of paths to values", described(type(values).__name__))]
        )
    problems: list[Problem] = []
    changes: dict[str, Any] = {}
    held: dict[str, Any] = {}
    root = _Root(programme, changes)
    with deferred_checks():  # entities report nothing alone; the programme reports it all
        for path, value in values.items():
            try:
                steps = _steps(path)
                if steps[0].field == "variants":
                    raise _PathError(
                        [Problem("variants", "a path to a field other than variants", path)]
                    )
                root.set(steps, value)
                held[path] = root.last_value
            except _PathError as error:
                problems.extend(error.problems)
        if problems:
            raise ValidationError(problems)
        fields = dict(changes)
        if not keep_variants:
            fields["variants"] = {}
        result = attrs.evolve(programme, **fields) if fields else programme
    assert isinstance(result, type(programme))
    return result, held


class _Root:
    """The programme's fields as changed so far: one programme is built at the end only."""

    def __init__(self, programme: Programme, changes: dict[str, Any]) -> None:
        self.programme, self.changes = programme, changes
        self.last_value: Any = None

    def set(self, steps: tuple[_Step, ...], value: object) -> None:
        kind = type(self.programme)  # the Programme class, not imported: it imports this module
        name = steps[0].field
        assert name is not None
        names = [field.name for field in attrs.fields(kind)]
        if name not in names:
            raise _PathError(
                [
                    Problem(
                        name,
                        f"a field of Programme ({', '.join(n for n in names if n != 'variants')})",
                        described(f"an unknown field {name!r}"),
                    )
                ]
            )
        hint = _hints(kind)[name]
        current = self.changes.get(name, getattr(self.programme, name))
        if len(steps) == 1:
            new = _convert(value, hint, name)
        else:
            new = _set(current, hint, steps, 1, value, name)
        self.changes[name] = new
        held = _value_at(new, steps[1:]) if len(steps) > 1 else new
        # The values of Samples as a list (tuple) of floats: a variant's table compares with ==.
        self.last_value = tuple(held.tolist()) if isinstance(held, np.ndarray) else held


def _value_at(obj: Any, steps: tuple[_Step, ...]) -> Any:
    """The value now at ``steps`` below ``obj`` (the path was just followed successfully)."""
    for step in steps:
        if step.field is not None:
            obj = getattr(obj, step.field)
            continue
        assert step.key is not None
        if isinstance(obj, np.ndarray):  # the values of Samples
            obj = obj[int(step.key)].item()
        elif obj and isinstance(obj[0], tuple):
            obj = next(inner for year, inner in obj if str(year) == step.key)
        elif step.key.isascii() and step.key.isdigit():
            obj = obj[int(step.key)]
        else:
            obj = next(item for item in obj if item.id == step.key)
    return obj


def with_values(programme: Programme, values: Mapping[str, object]) -> Programme:
    """A new programme: ``programme`` with the value at each path of ``values`` replaced.

    Paths are written as validation problems print them, with an entity's id allowed in place
    of its index (see the module's documentation). Values are set in the order given.

    Raises:
        ValidationError: Every bad path (an unknown field or id, an index out of range, a path
            into a plain value) and every value of the wrong form, with the path as written;
            or, once every value is set, every problem of the resulting programme with its
            full path.

    >>> from programma.examples import leeuwarden_oost
    >>> p = leeuwarden_oost()
    >>> q = with_values(p, {"discount_rate": 0.03})
    >>> q.discount_rate, p.discount_rate
    (0.03, 'nl-2021')
    """
    result, _ = _apply(programme, values, keep_variants=True)
    return result


def check_variants(programme: Programme) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Each variant with its values as the programme holds them, and the problems found.

    A variant's problems are placed under ``variants.NAME``: a bad path, a bad value, or a
    problem of the programme the variant makes (``variants.low.contracts[0].metrics[0].price``).
    """
    variants = programme.variants
    problems: list[Problem] = []
    held: dict[str, dict[str, Any]] = {}
    if not isinstance(variants, dict):
        return {}, [Problem("variants", "a table of variants by name", described(str(variants)))]
    for name, overrides in variants.items():
        where = f"variants.{name}"
        if not isinstance(name, str) or not ID_PATTERN.fullmatch(name):
            problems.append(Problem(where, f"a variant name: {ID_EXPECTED}", name))
            continue
        if name == "base":
            problems.append(
                Problem(where, "a variant name other than 'base' (the programme itself)", name)
            )
            continue
        if not isinstance(overrides, Mapping):
            problems.append(
                Problem(where, "a table of paths to values", described(_describe(overrides)))
            )
            continue
        unset = [path for path, value in overrides.items() if value is None]
        if unset:  # a file cannot hold it (TOML has no null): a variant must be writable
            problems.extend(
                Problem(f"{where}.{path}", "a value (a variant cannot unset a field)", None)
                for path in unset
            )
            continue
        try:
            _, held[name] = _apply(programme, overrides, keep_variants=False)
        except ValidationError as error:
            problems.extend(problem.under(where) for problem in error.problems)
    return held, problems


def apply_variant(programme: Programme, name: str) -> Programme:
    """The programme with variant ``name`` applied, and no variants of its own."""
    variants = programme.variants
    if name not in variants:
        known = ", ".join(map(repr, variants)) or "there are none"
        raise ValidationError(
            [Problem("variant", f"one of the programme's variants ({known})", name)]
        )
    result, _ = _apply(programme, variants[name], keep_variants=False)
    return result
