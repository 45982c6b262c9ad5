"""The model as plain data: entities from and to dicts, lists, numbers, text and dates.

The strict reading and the writing that files use (and that a change by path uses, so that a
value is read by the same rules wherever it comes from), with cattrs. Reading checks the shape
(known fields, required fields, types) and reports every shape problem with its path; the
entities then check their values.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import cattrs
import numpy as np
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from .._errors import Problem, ProgrammaError, ValidationError, described
from . import vocabulary as _vocabulary
from .checks import _DEFERRED, Checked, YearAmounts, as_float, as_tuple, is_number
from .distributions import (
    KIND_OF,
    SCALAR_TYPES,
    Fixed,
    Yearly,
    as_sample_values,
    to_distribution,
)
from .financing import FINANCING_TYPES
from .gates import Decision
from .vocabulary import __all__ as _vocabulary_names

__all__ = [
    "VARIANTS_TYPE",
    "Reader",
    "Writer",
    "clean",
    "join",
    "reader",
    "shape_problems",
    "typename",
    "writer",
]

VARIANTS_TYPE = dict[str, dict[str, Any]]
"""The type of a programme's ``variants``: names to tables of paths to values."""

_ENUMS: tuple[type[enum.Enum], ...] = tuple(
    getattr(_vocabulary, name) for name in _vocabulary_names
)

_DIST_BY_KIND: dict[str, type] = {kind: cls for cls, kind in KIND_OF.items()}
_DISTRIBUTION_CLASSES = frozenset(_DIST_BY_KIND.values())


class ShapeError(ProgrammaError):
    """A value of the wrong shape, found while structuring (``where`` is below the field)."""

    def __init__(self, expected: str, given: object, where: str = "") -> None:
        super().__init__(expected)
        self.expected, self.given, self.where = expected, given, where


# -- reading ----------------------------------------------------------------------------------


def typename(value: object) -> object:
    names = {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return described(f"{name} {_short(value)}")
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise ShapeError("a string", typename(value))
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise ShapeError("true or false", typename(value))
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShapeError("a whole number", typename(value))
    return value


def _structure_float(value: object, _: type) -> float:
    if not is_number(value):
        raise ShapeError("a number", typename(value))
    return float(value)  # type: ignore[arg-type]


def _structure_date(value: object, _: type) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise ShapeError("a date (YYYY-MM-DD)", typename(value))
    if isinstance(value, dt.date):
        return value
    try:
        if len(value) == 7:
            return dt.date.fromisoformat(value + "-01")
        if len(value) == 10:
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise ShapeError("a date (YYYY-MM-DD or YYYY-MM)", value)


def _enum_hook(cls: type[enum.Enum]) -> Callable[[object, type], enum.Enum]:
    values = [member.value for member in cls]

    def structure(value: object, _: type) -> enum.Enum:
        if isinstance(value, str) and value in values:
            return cls(value)
        raise ShapeError(f"one of {', '.join(map(repr, values))}", typename(value))

    return structure


def _year(key: object) -> int:
    text = str(key)
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise ShapeError("a year of four digits as the key", described(repr(key)), f"[{key}]")
    return int(text)


def as_table(value: object, expected: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(expected, typename(value))
    return value


class Reader:
    """The strict converter that turns a file's data into a :class:`Programme`."""

    def __init__(self) -> None:
        c = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
        self.converter = c
        self._hooks: dict[Any, Callable[[Any, Any], Any]] = {}
        c.register_structure_hook(str, _structure_str)
        c.register_structure_hook(bool, _structure_bool)
        c.register_structure_hook(int, _structure_int)
        c.register_structure_hook(float, _structure_float)
        c.register_structure_hook(dt.date, _structure_date)
        for vocabulary in _ENUMS:  # StrEnums are strs: register each, or the str hook wins
            c.register_structure_hook(vocabulary, _enum_hook(vocabulary))
        c.register_structure_hook_factory(attrs.has, self._attrs_hook)
        c.register_structure_hook_factory(_is_homogeneous_tuple, self._tuple_hook)
        c.register_structure_hook_factory(_is_optional, self._optional_hook)
        c.register_structure_hook_func(lambda t: t == YearAmounts, self._year_amounts)
        c.register_structure_hook_func(_is_distribution_union, self._distribution)
        c.register_structure_hook_func(self._is_financing_type, self._financing)
        c.register_structure_hook_func(lambda t: t == (float | str), self._rate_or_name)
        c.register_structure_hook_func(_is_array, self._sample_values)
        self._decision_fields = make_dict_structure_fn(Decision, c)
        c.register_structure_hook(Decision, self._decision)
        c.register_structure_hook(Yearly, self._yearly)
        c.register_structure_hook_func(lambda t: t == VARIANTS_TYPE, self._variants)

    @staticmethod
    def _is_financing_type(t: Any) -> bool:
        args = set(typing.get_args(t))
        return _is_union(t) and args == set(FINANCING_TYPES.values())

    def _attrs_hook(self, cls: type) -> Callable[[object, type], Any]:
        generated: Callable[[Any, type], Any] = make_dict_structure_fn(cls, self.converter)
        label = f"a table of {cls.__name__} fields"
        fast: list[Callable[[dict[str, Any]], Any] | None] = []

        def structure(value: object, _: type) -> Any:
            # Reading a file (checks deferred): the fast way, which the exact way backs up.
            if type(value) is dict and _DEFERRED.get():
                if not fast:  # made on first use, once every hook it calls is registered
                    fast.append(_fast_structure_fn(cls, self.converter))
                build = fast[0]
                if build is not None:
                    try:
                        return build(value)
                    except _Built as built:
                        return _construct(cls, built.fields)
            return generated(as_table(value, label), cls)

        return structure

    def _tuple_hook(self, t: Any) -> Callable[[object, type], tuple[Any, ...]]:
        item = typing.get_args(t)[0]
        hooks: list[Callable[[Any, Any], Any]] = []

        def structure(value: object, _: type) -> tuple[Any, ...]:
            if not isinstance(value, list):  # never split a text or a table into a list
                raise ShapeError("a list", typename(value))
            if not hooks:  # looked up once, on first use, when every hook is registered
                hooks.append(self.converter.get_structure_hook(item))
            hook = hooks[0]
            out, errors = [], []
            for index, entry in enumerate(value):
                try:
                    out.append(hook(entry, item))
                except Exception as error:
                    note = IterableValidationNote(f"index {index}", index, item)
                    error.__notes__ = [*getattr(error, "__notes__", []), note]
                    errors.append(error)
            if errors:
                raise IterableValidationError("while structuring a list", errors, t)
            return tuple(out)

        return structure

    def _optional_hook(self, t: Any) -> Callable[[object, type], Any]:
        inner = next(arg for arg in typing.get_args(t) if arg is not types.NoneType)

        def structure(value: object, _: type) -> Any:
            if value is None:  # TOML has no null: an unset field is left out
                raise ShapeError(_NO_NULL, None)
            return self.converter.structure(value, inner)

        return structure

    def _year_amounts(self, value: object, _: type) -> YearAmounts:
        table = as_table(value, 'a table of amounts by year ({"2024" = 100000, …})')
        pairs = []
        for key, amount in table.items():
            year = _year(key)
            if not is_number(amount):
                raise ShapeError("a number", typename(amount), f"[{key}]")
            pairs.append((year, float(amount)))
        return tuple(sorted(pairs))

    def _distribution(self, value: object, t: Any) -> Any:
        if type(value) is dict:  # the common case first: a table naming a known distribution
            kind = value.get("dist")
            if type(kind) is str and kind in _SCALAR_KINDS:
                rest = {k: v for k, v in value.items() if k != "dist"}
                return self._hook(_DIST_BY_KIND[kind])(rest, _DIST_BY_KIND[kind])
        elif type(value) is float or type(value) is int:
            return _fixed(value)
        if value is None:
            raise ShapeError(_NO_NULL, None)
        if is_number(value):
            return _fixed(value)  # type: ignore[arg-type]
        kinds = [k for k in _DIST_BY_KIND if k != "yearly" or Yearly in typing.get_args(t)]
        expected = f"a number or a distribution table with 'dist' set to one of {_quoted(kinds)}"
        table = as_table(value, expected)
        kind = table.get("dist")
        if "dist" not in table:  # say what is accepted, in the terms of what was written
            hint = _discrete_hint(table)
            raise ShapeError(
                expected + (f" (values with weights are written {hint})" if hint else ""),
                described(f"a table {_short(table)} without 'dist'"),
            )
        if kind not in kinds:
            raise ShapeError(f"'dist' set to one of {_quoted(kinds)}", kind, ".dist")
        rest = {k: v for k, v in table.items() if k != "dist"}
        return self.converter.structure(rest, _DIST_BY_KIND[kind])

    def _yearly(self, value: object, _: type) -> Yearly:
        table = as_table(value, "a table with by_year")
        extra = set(table) - {"by_year"}
        if extra:
            raise ForbiddenExtraKeysError("", Yearly, extra)
        if "by_year" not in table:
            raise ShapeError("a table of distributions by year", described("nothing"), ".by_year")
        by_year = table["by_year"]
        if not isinstance(by_year, dict) or not by_year:
            raise ShapeError("a non-empty table of values by year", typename(by_year), ".by_year")
        scalar = typing.Union[SCALAR_TYPES]  # type: ignore[valid-type]  # noqa: UP007
        pairs = []
        problems: list[Problem] = []
        for key, item in by_year.items():
            if not (str(key).isascii() and str(key).isdigit() and len(str(key)) == 4):
                problems.append(
                    Problem(
                        f"by_year[{key}]", "a year of four digits as the key", described(repr(key))
                    )
                )
                continue
            try:
                pairs.append((int(key), self._distribution(item, scalar)))
            except Exception as error:  # every problem inside, with its path below the year
                problems.extend(shape_problems(error, f"by_year[{key}]"))
        if problems:
            raise ValidationError(problems)
        return Yearly(tuple(pairs))

    @staticmethod
    def _variants(value: object, _: type) -> dict[str, dict[str, Any]]:
        # Values stay as written here: the programme reads each as the field its path names.
        table = as_table(value, "a table of variants, each a table of paths to values")
        problems = [
            Problem(name, "a table of paths to values", typename(overrides))
            for name, overrides in table.items()
            if not isinstance(overrides, dict)
        ]
        if problems:
            raise ValidationError(problems)
        return {name: dict(overrides) for name, overrides in table.items()}

    def _financing(self, value: object, _: type) -> Any:
        table = as_table(value, "a table with a 'mode' key")
        mode = table.get("mode")
        if mode not in _MODES:
            raise ShapeError(f"'mode' set to one of {', '.join(map(repr, _MODES))}", mode, ".mode")
        rest = {k: v for k, v in table.items() if k != "mode"}
        return self._hook(FINANCING_TYPES[mode])(rest, FINANCING_TYPES[mode])

    def _hook(self, cls: Any) -> Callable[[Any, Any], Any]:
        """The converter's structure hook for ``cls``, looked up once."""
        hook = self._hooks.get(cls)
        if hook is None:
            hook = self._hooks[cls] = self.converter.get_structure_hook(cls)
        return hook

    def _decision(self, value: object, _: type) -> Decision:
        table = {"action": value} if isinstance(value, str) else value
        checked = as_table(table, "an action ('continue', 'stop', …) or a table {action, factor}")
        return self._decision_fields(checked, Decision)

    @staticmethod
    def _sample_values(value: object, _: type) -> object:
        # Straight to an array, checked by Samples at numpy's speed (not value by value here).
        if not isinstance(value, list | np.ndarray):  # never split a text or a table
            raise ShapeError("a list of numbers", typename(value))
        return as_sample_values(value)

    @staticmethod
    def _rate_or_name(value: object, _: type) -> float | str:
        if isinstance(value, str):
            return value
        if is_number(value):
            return float(value)  # type: ignore[arg-type]
        raise ShapeError("a rate or a preset name", typename(value))


_NO_NULL = "a value (leave an unset field out rather than writing null)"

_SCALAR_KINDS = frozenset(KIND_OF[cls] for cls in SCALAR_TYPES)
_MODES = [mode.value for mode in FINANCING_TYPES]


# -- the fast way to read a file ---------------------------------------------------------------
#
# cattrs' generated functions read a table field by field, each in its own try, so as to
# report every shape problem with its path; then the class's __init__ runs every converter
# and __attrs_post_init__. Reading a file of 100,000 contracts that is a million small
# objects. While a file is read the checks are deferred (the programme reports them all),
# so a table can be read faster: a field of a plain type that holds exactly that type is
# taken as it is, without calling its hook, and the object is made without its __init__,
# whose converters give back what the reader built. Errors are gathered and raised as
# cattrs' generated function raises them, so that every shape problem is reported as before.


class _Built(Exception):  # noqa: N818 - a signal, not an error
    """The fields of a table read the fast way, for a class that needs its own __init__."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields


def _construct(cls: type, fields: dict[str, Any]) -> Any:
    """``cls(**fields)``, its errors wrapped as cattrs' generated functions wrap them."""
    try:
        return cls(**fields)
    except Exception as error:
        raise ClassValidationError(f"While structuring {cls.__name__}", [error], cls) from None


_INLINE: dict[Callable[..., Any], type] = {
    _structure_str: str,
    _structure_int: int,
    _structure_float: float,
    _structure_bool: bool,
}
"""Hooks that give back a value of exactly their type unchanged: tested inline."""

_KEEPS: frozenset[Callable[..., Any]] = frozenset({as_float, as_tuple, to_distribution})
"""Converters that give back unchanged what the reader builds (a float, a tuple, a
distribution): not called on the fast way."""


def _bypasses_init(cls: type) -> bool:
    """Whether an object of ``cls`` may be made without its __init__ while checks are deferred.

    Its __init__ must do nothing but set each field (after converting it) and call
    :class:`~.checks.Checked`'s __attrs_post_init__, which does nothing then.
    """
    slots = {name for kind in cls.__mro__ for name in getattr(kind, "__slots__", ())}
    fields = attrs.fields(cls)
    return (
        getattr(cls, "__attrs_post_init__", None) is Checked.__attrs_post_init__
        and not hasattr(cls, "__attrs_pre_init__")
        and slots - {"__weakref__"} == {field.name for field in fields}
        and all(
            field.init
            and field.validator is None
            and field.alias == field.name
            and not (isinstance(field.default, attrs.Factory) and field.default.takes_self)  # type: ignore[arg-type]
            and not isinstance(field.converter, attrs.Converter)
            for field in fields
        )
    )


def _fast_structure_fn(
    cls: type, converter: cattrs.Converter
) -> Callable[[dict[str, Any]], Any] | None:
    """A function reading a table of ``cls``'s fields the fast way (None: cattrs' way only).

    It returns the object, or raises :class:`_Built` with the fields read for a class made by
    its own __init__; a table it cannot read, it reports as cattrs' generated function does.
    """
    try:
        fields = attrs.fields(attrs.resolve_types(cls))
    except Exception:
        return None
    if any(field.name.startswith("_") or not field.init for field in fields):
        return None
    bypass = _bypasses_init(cls)
    names: dict[str, Any] = {
        "_cls": cls,
        "_known": frozenset(field.name for field in fields),
        "_new": object.__new__,
        "_Built": _Built,
        "_MISSING": _MISSING,
        "_avn": AttributeValidationNote,
        "_cve": ClassValidationError,
        "_feke": ForbiddenExtraKeysError,
    }
    # Errors are gathered as cattrs' generated function gathers them (a note naming the field
    # on each, the unknown keys last), so that shape_problems() reports them alike.
    lines = ["def build(o):", "  errors = []"]
    for n, field in enumerate(fields):
        hook = converter.get_structure_hook(field.type)
        names[f"_h{n}"], names[f"_t{n}"] = hook, field.type
        key, indent = repr(field.name), "  "
        if field.default is not attrs.NOTHING:
            lines.append(f"  if {key} in o:")
            indent = "    "
        lines.append(f"{indent}try:")
        plain = _INLINE.get(hook)
        if plain is not None:
            names[f"_p{n}"] = plain
            lines.append(f"{indent}  v{n} = o[{key}]")
            lines.append(f"{indent}  if v{n}.__class__ is not _p{n}: v{n} = _h{n}(v{n}, _t{n})")
        else:
            lines.append(f"{indent}  v{n} = _h{n}(o[{key}], _t{n})")
        note = f"Structuring class {cls.__qualname__} @ attribute {field.name}"
        lines.append(f"{indent}except Exception as e:")
        lines.append(
            f"{indent}  e.__notes__ = getattr(e, '__notes__', []) + [_avn({note!r}, {key}, _t{n})]"
        )
        lines.append(f"{indent}  errors.append(e)")
        if field.default is attrs.NOTHING:
            continue
        if not bypass:
            lines.append(f"  else: v{n} = _MISSING")
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            names[f"_f{n}"] = field.default.factory
            made = f"_f{n}()"
            if field.converter is not None:
                names[f"_c{n}"] = field.converter
                made = f"_c{n}({made})"
            lines.append(f"  else: v{n} = {made}")
        else:  # the default as __init__ converts it (to a value that is never changed)
            default = field.default
            names[f"_d{n}"] = default if field.converter is None else field.converter(default)
            lines.append(f"  else: v{n} = _d{n}")
    lines.append("  if not _known.issuperset(o): errors.append(_feke('', _cls, set(o) - _known))")
    lines.append(f"  if errors: raise _cve({'While structuring ' + cls.__name__!r}, errors, _cls)")
    if bypass:
        lines.append("  try:")
        for n, field in enumerate(fields):
            if field.converter is not None and field.converter not in _KEEPS:
                names[f"_c{n}"] = field.converter
                given = f"if {field.name!r} in o: " if field.default is not attrs.NOTHING else ""
                lines.append(f"    {given}v{n} = _c{n}(v{n})")
        lines.append("    obj = _new(_cls)")
        for n, field in enumerate(fields):
            names[f"_s{n}"] = getattr(cls, field.name).__set__
            lines.append(f"    _s{n}(obj, v{n})")
        lines.append("  except Exception as exc:")
        lines.append(f"    raise _cve({'While structuring ' + cls.__name__!r}, [exc], _cls)")
        lines.append("  return obj")
    else:
        pairs = ", ".join(f"({field.name!r}, v{n})" for n, field in enumerate(fields))
        lines.append(f"  raise _Built({{k: v for k, v in ({pairs},) if v is not _MISSING}})")
    namespace: dict[str, Any] = {}
    exec(
        compile("\n".join(lines), f"<programma fast structure {cls.__name__}>", "exec"),
        names,
        namespace,
    )
    built: Callable[[dict[str, Any]], Any] = namespace["build"]
    return built


_MISSING = object()  # a field left out of a table: __init__ gives its default


def _fixed(value: float) -> Fixed:
    """``Fixed(value)`` for a number; made directly while checks are deferred (many are)."""
    if not _DEFERRED.get():
        return Fixed(value)
    fixed: Fixed = _new(Fixed)
    _set_fixed_value(fixed, float(value))
    return fixed


_new = object.__new__
_set_fixed_value = Fixed.value.__set__  # type: ignore[attr-defined]


def _quoted(names: list[str]) -> str:
    return ", ".join(map(repr, names))


def _discrete_hint(table: dict[str, Any]) -> str | None:
    """How a table of values to weights (``{3 = 0.5, 15 = 0.5}``) is written, if it is one."""
    values = []
    for key, weight in table.items():
        try:
            number = float(str(key))
        except ValueError:
            return None
        if not (is_number(weight) and math.isfinite(number)):
            return None
        values.append(str(key).strip())
    if not values:
        return None
    weights = ", ".join(str(weight) for weight in table.values())
    return f'{{ dist = "discrete", values = [{", ".join(values)}], weights = [{weights}] }}'


def _is_homogeneous_tuple(t: Any) -> bool:
    args = typing.get_args(t)
    return (
        typing.get_origin(t) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and t != YearAmounts
    )


def _is_optional(t: Any) -> bool:
    args = typing.get_args(t)
    return (
        _is_union(t) and len(args) == 2 and types.NoneType in args and not _is_distribution_union(t)
    )


def _is_distribution_union(t: Any) -> bool:
    """Whether ``t`` is a union of distribution classes (optionally with None)."""
    args = set(typing.get_args(t)) - {types.NoneType}
    return _is_union(t) and bool(args) and args <= _DISTRIBUTION_CLASSES


def _is_array(t: Any) -> bool:
    """Whether ``t`` is a numpy array type (the values of ``Samples``)."""
    return t is np.ndarray or typing.get_origin(t) is np.ndarray


def _is_union(t: Any) -> bool:
    return typing.get_origin(t) in (typing.Union, types.UnionType)


def join(path: str, name: object) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else str(name)


def shape_problems(error: BaseException, path: str) -> Iterator[Problem]:
    """Translate a structuring error (and every error inside it) into problems with paths."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without = error.group_exceptions()
        for inner, note in with_notes:
            name = note.index if isinstance(note, IterableValidationNote) else note.name
            yield from shape_problems(inner, join(path, name))
        for inner in without:
            yield from shape_problems(inner, path)
    elif isinstance(error, ForbiddenExtraKeysError):
        known = ", ".join(a.name for a in attrs.fields(error.cl)) if attrs.has(error.cl) else ""
        for key in sorted(map(str, error.extra_fields)):
            yield Problem(
                join(path, key),
                f"a known field of {error.cl.__name__} ({known})",
                described("an unknown field"),
            )
    elif isinstance(error, ShapeError):
        yield Problem(path + error.where, error.expected, error.given)
    elif isinstance(error, ValidationError):
        yield from (problem.under(path) for problem in error.problems)
    elif isinstance(error, KeyError):
        yield Problem(path, "a value (the field is required)", described("nothing"))
    else:
        yield Problem(path, "a valid value", described(f"{type(error).__name__}: {error}"))


# -- writing ----------------------------------------------------------------------------------


class Writer:
    """The converter that turns a :class:`Programme` into plain data for a file format."""

    def __init__(self, dates_as_text: bool) -> None:
        c = cattrs.Converter(omit_if_default=True)
        self.converter = c
        if dates_as_text:
            c.register_unstructure_hook(dt.date, dt.date.isoformat)
        else:
            c.register_unstructure_hook(dt.date, lambda d: d)
        c.register_unstructure_hook_func(
            lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value
        )
        c.register_unstructure_hook(Fixed, lambda f: f.value)
        for cls in _DISTRIBUTION_CLASSES - {Fixed, Yearly}:
            c.register_unstructure_hook(cls, self._tagged("dist", KIND_OF[cls]))
        c.register_unstructure_hook(Yearly, self._yearly)
        for mode, cls in FINANCING_TYPES.items():
            c.register_unstructure_hook(cls, self._tagged("mode", mode.value))
        c.register_unstructure_hook(Decision, self._decision)
        c.register_unstructure_hook_func(_is_array, _array_list)
        c.register_unstructure_hook_func(
            lambda t: t == YearAmounts, lambda pairs: {str(y): a for y, a in pairs}
        )

    def _tagged(self, key: str, tag: str) -> Callable[[Any], dict[str, Any]]:
        fields: dict[type, Callable[[Any], dict[str, Any]]] = {}

        def unstructure(value: Any) -> dict[str, Any]:
            cls = type(value)
            if cls not in fields:
                fields[cls] = cattrs.gen.make_dict_unstructure_fn(
                    cls, self.converter, _cattrs_omit_if_default=True
                )
            return {key: tag, **fields[cls](value)}

        return unstructure

    def _yearly(self, value: Yearly) -> dict[str, Any]:
        return {
            "dist": "yearly",
            "by_year": {str(year): self.converter.unstructure(d) for year, d in value.by_year},
        }

    @staticmethod
    def _decision(value: Decision) -> Any:
        if value.factor is None:
            return value.action.value
        return {"action": value.action.value, "factor": value.factor}

    def data(self, value: Any) -> Any:
        """``value`` (a programme, an entity, a distribution) as plain data."""
        return clean(self.converter.unstructure(value))


def _array_list(values: Any) -> list[Any]:
    """An array as a list of Python floats, each written with ``repr``'s shortest exact digits."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def clean(value: Any) -> Any:
    """Drop unset (None) fields, which TOML cannot hold, and turn tuples into lists."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


_READER: Reader | None = None
_WRITERS: dict[bool, Writer] = {}


def reader() -> Reader:
    """The strict reader (built once: building its converter takes a while)."""
    global _READER
    if _READER is None:
        _READER = Reader()
    return _READER


def writer(*, dates_as_text: bool) -> Writer:
    """The writer that gives dates as ISO text (for JSON) or as dates (for TOML)."""
    if dates_as_text not in _WRITERS:
        _WRITERS[dates_as_text] = Writer(dates_as_text)
    return _WRITERS[dates_as_text]
