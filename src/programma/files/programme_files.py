"""Programme files: TOML and JSON with one structure, read strictly and written atomically.

A file is a table of the programme's fields with a ``format_version``. Reading checks the shape
first (known fields, required fields, types) and reports every shape problem at once; once the
shape is right, the programme checks every value and reference and reports those at once.
Nothing in a file is executed, evaluated or imported.
"""

from __future__ import annotations

import datetime as dt
import enum
import errno
import gc
import json
import math
import os
import stat
import tomllib
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeAlias

import attrs
import cattrs
import tomli_w
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from .._errors import (
    FormatVersionError,
    ParseError,
    Problem,
    ProgrammaError,
    ValidationError,
    described,
)
from ..model import vocabulary as _vocabulary
from ..model.checks import YearAmounts, deferred_checks, is_number
from ..model.distributions import KIND_OF, SCALAR_TYPES, Fixed, Yearly
from ..model.financing import FINANCING_TYPES
from ..model.gates import Decision
from ..model.programme import VARIANTS_TYPE, Programme
from ..model.vocabulary import __all__ as _vocabulary_names
from .atomic import write_atomic

_ENUMS: tuple[type[enum.Enum], ...] = tuple(
    getattr(_vocabulary, name) for name in _vocabulary_names
)

__all__ = [
    "FORMAT_VERSION",
    "MAX_INPUT_BYTES",
    "Format",
    "dump",
    "dumps",
    "from_data",
    "load",
    "loads",
    "read_input",
    "to_data",
]

MAX_INPUT_BYTES = 64 * 1024**2
"""The largest programme file read by default: 64 MiB (the example is about 60 KiB)."""

FORMAT_VERSION = 1
"""The version of the file format this version of programma writes (and the newest it reads)."""

Format: TypeAlias = Literal["toml", "json"]
FORMATS: tuple[Format, ...] = ("toml", "json")

_DIST_BY_KIND: dict[str, type] = {kind: cls for cls, kind in KIND_OF.items()}
_DISTRIBUTION_CLASSES = frozenset(_DIST_BY_KIND.values())


class _ShapeError(ProgrammaError):
    """A value of the wrong shape, found while structuring (``where`` is below the field)."""

    def __init__(self, expected: str, given: object, where: str = "") -> None:
        super().__init__(expected)
        self.expected, self.given, self.where = expected, given, where


# -- reading ----------------------------------------------------------------------------------


def _typename(value: object) -> object:
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
        raise _ShapeError("a string", _typename(value))
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _ShapeError("true or false", _typename(value))
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ShapeError("a whole number", _typename(value))
    return value


def _structure_float(value: object, _: type) -> float:
    if not is_number(value):
        raise _ShapeError("a number", _typename(value))
    return float(value)  # type: ignore[arg-type]


def _structure_date(value: object, _: type) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise _ShapeError("a date (YYYY-MM-DD)", _typename(value))
    if isinstance(value, dt.date):
        return value
    try:
        if len(value) == 7:
            return dt.date.fromisoformat(value + "-01")
        if len(value) == 10:
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise _ShapeError("a date (YYYY-MM-DD or YYYY-MM)", value)


def _enum_hook(cls: type[enum.Enum]) -> Callable[[object, type], enum.Enum]:
    values = [member.value for member in cls]

    def structure(value: object, _: type) -> enum.Enum:
        if isinstance(value, str) and value in values:
            return cls(value)
        raise _ShapeError(f"one of {', '.join(map(repr, values))}", _typename(value))

    return structure


def _year(key: object) -> int:
    text = str(key)
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise _ShapeError("a year of four digits as the key", described(repr(key)), f"[{key}]")
    return int(text)


def _table(value: object, expected: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _ShapeError(expected, _typename(value))
    return value


class _Reader:
    """The strict converter that turns a file's data into a :class:`Programme`."""

    def __init__(self) -> None:
        c = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
        self.converter = c
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

        def structure(value: object, _: type) -> Any:
            return generated(_table(value, label), cls)

        return structure

    def _tuple_hook(self, t: Any) -> Callable[[object, type], tuple[Any, ...]]:
        item = typing.get_args(t)[0]

        def structure(value: object, _: type) -> tuple[Any, ...]:
            if not isinstance(value, list):  # never split a text or a table into a list
                raise _ShapeError("a list", _typename(value))
            out, errors = [], []
            for index, entry in enumerate(value):
                try:
                    out.append(self.converter.structure(entry, item))
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
                raise _ShapeError(_NO_NULL, None)
            return self.converter.structure(value, inner)

        return structure

    def _year_amounts(self, value: object, _: type) -> YearAmounts:
        table = _table(value, 'a table of amounts by year ({"2024" = 100000, …})')
        pairs = []
        for key, amount in table.items():
            year = _year(key)
            if not is_number(amount):
                raise _ShapeError("a number", _typename(amount), f"[{key}]")
            pairs.append((year, float(amount)))
        return tuple(sorted(pairs))

    def _distribution(self, value: object, t: Any) -> Any:
        if value is None:
            raise _ShapeError(_NO_NULL, None)
        if is_number(value):
            return Fixed(value)  # type: ignore[arg-type]
        kinds = [k for k in _DIST_BY_KIND if k != "yearly" or Yearly in typing.get_args(t)]
        expected = f"a number or a distribution table with 'dist' set to one of {_quoted(kinds)}"
        table = _table(value, expected)
        kind = table.get("dist")
        if "dist" not in table:  # say what is accepted, in the terms of what was written
            hint = _discrete_hint(table)
            raise _ShapeError(
                expected + (f" (values with weights are written {hint})" if hint else ""),
                described(f"a table {_short(table)} without 'dist'"),
            )
        if kind not in kinds:
            raise _ShapeError(f"'dist' set to one of {_quoted(kinds)}", kind, ".dist")
        rest = {k: v for k, v in table.items() if k != "dist"}
        return self.converter.structure(rest, _DIST_BY_KIND[kind])

    def _yearly(self, value: object, _: type) -> Yearly:
        table = _table(value, "a table with by_year")
        extra = set(table) - {"by_year"}
        if extra:
            raise ForbiddenExtraKeysError("", Yearly, extra)
        if "by_year" not in table:
            raise _ShapeError("a table of distributions by year", described("nothing"), ".by_year")
        by_year = table["by_year"]
        if not isinstance(by_year, dict) or not by_year:
            raise _ShapeError("a non-empty table of values by year", _typename(by_year), ".by_year")
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
                problems.extend(_shape_problems(error, f"by_year[{key}]"))
        if problems:
            raise ValidationError(problems)
        return Yearly(tuple(pairs))

    @staticmethod
    def _variants(value: object, _: type) -> dict[str, dict[str, Any]]:
        # Values stay as written here: the programme reads each as the field its path names.
        table = _table(value, "a table of variants, each a table of paths to values")
        problems = [
            Problem(name, "a table of paths to values", _typename(overrides))
            for name, overrides in table.items()
            if not isinstance(overrides, dict)
        ]
        if problems:
            raise ValidationError(problems)
        return {name: dict(overrides) for name, overrides in table.items()}

    def _financing(self, value: object, _: type) -> Any:
        table = _table(value, "a table with a 'mode' key")
        modes = [mode.value for mode in FINANCING_TYPES]
        mode = table.get("mode")
        if mode not in modes:
            raise _ShapeError(f"'mode' set to one of {', '.join(map(repr, modes))}", mode, ".mode")
        rest = {k: v for k, v in table.items() if k != "mode"}
        return self.converter.structure(rest, FINANCING_TYPES[mode])

    def _decision(self, value: object, _: type) -> Decision:
        table = {"action": value} if isinstance(value, str) else value
        checked = _table(table, "an action ('continue', 'stop', …) or a table {action, factor}")
        return self._decision_fields(checked, Decision)

    @staticmethod
    def _rate_or_name(value: object, _: type) -> float | str:
        if isinstance(value, str):
            return value
        if is_number(value):
            return float(value)  # type: ignore[arg-type]
        raise _ShapeError("a rate or a preset name", _typename(value))

    def programme(self, data: object) -> Programme:
        if not isinstance(data, dict):
            raise ValidationError([Problem("", "a table of programme fields", _typename(data))])
        version = data.get("format_version")
        if version is None:
            raise ValidationError(
                [Problem("format_version", f"the file's format version ({FORMAT_VERSION})", None)]
            )
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValidationError(
                [Problem("format_version", "a whole number ≥ 1", _typename(version))]
            )
        if version > FORMAT_VERSION:
            raise FormatVersionError(
                [
                    Problem(
                        "format_version",
                        f"a format version this programma can read (up to {FORMAT_VERSION}); "
                        "the file was written by a newer programma, so upgrade programma",
                        version,
                    )
                ]
            )
        fields = {k: v for k, v in data.items() if k != "format_version"}
        try:
            with deferred_checks():
                built = self.converter.structure(fields, Programme)
        except Exception as error:  # every other error is a shape problem, reported with paths
            raise ValidationError(list(_shape_problems(error, ""))) from None
        return built


_NO_NULL = "a value (leave an unset field out rather than writing null)"


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


def _is_union(t: Any) -> bool:
    return typing.get_origin(t) in (typing.Union, types.UnionType)


def _join(path: str, name: object) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else str(name)


def _shape_problems(error: BaseException, path: str) -> Iterator[Problem]:
    """Translate a structuring error (and every error inside it) into problems with paths."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without = error.group_exceptions()
        for inner, note in with_notes:
            name = note.index if isinstance(note, IterableValidationNote) else note.name
            yield from _shape_problems(inner, _join(path, name))
        for inner in without:
            yield from _shape_problems(inner, path)
    elif isinstance(error, ForbiddenExtraKeysError):
        known = ", ".join(a.name for a in attrs.fields(error.cl)) if attrs.has(error.cl) else ""
        for key in sorted(map(str, error.extra_fields)):
            yield Problem(
                _join(path, key),
                f"a known field of {error.cl.__name__} ({known})",
                described("an unknown field"),
            )
    elif isinstance(error, _ShapeError):
        yield Problem(path + error.where, error.expected, error.given)
    elif isinstance(error, ValidationError):
        yield from (problem.under(path) for problem in error.problems)
    elif isinstance(error, KeyError):
        yield Problem(path, "a value (the field is required)", described("nothing"))
    else:
        yield Problem(path, "a valid value", described(f"{type(error).__name__}: {error}"))


# -- writing ----------------------------------------------------------------------------------


class _Writer:
    """The converter that turns a :class:`Programme` into plain data for a file format."""

    def __init__(self, fmt: Format) -> None:
        c = cattrs.Converter(omit_if_default=True)
        self.converter = c
        if fmt == "json":
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

    def data(self, programme: Programme) -> dict[str, Any]:
        body = self.converter.unstructure(programme)
        return {"format_version": FORMAT_VERSION, **_clean(body)}


def _clean(value: Any) -> Any:
    """Drop unset (None) fields, which TOML cannot hold, and turn tuples into lists."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


_READER: _Reader | None = None
_WRITERS: dict[str, _Writer] = {}


def _reader() -> _Reader:
    global _READER
    if _READER is None:
        _READER = _Reader()
    return _READER


def _writer(fmt: Format) -> _Writer:
    if fmt not in _WRITERS:
        _WRITERS[fmt] = _Writer(fmt)
    return _WRITERS[fmt]


# -- the public functions ---------------------------------------------------------------------


def from_data(data: object) -> Programme:
    """Build a programme from data as parsed from a file (a dict with ``format_version``).

    Raises:
        ValidationError: Listing every problem with its path.
        FormatVersionError: The data is from a newer format version.
    """
    return _reader().programme(data)


def to_data(programme: Programme, format: Format = "json") -> dict[str, Any]:
    """The programme as plain data for ``format`` (dates as text for JSON, as dates for TOML)."""
    return _writer(_check_format(format)).data(programme)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while a file becomes a programme.

    Reading builds a million small objects (and, for a broken file, an exception per problem)
    without making garbage cycles, yet each allocation counts toward the next full collection:
    a large file spent most of its time (and a broken one three quarters) in collections that
    found nothing. The collector's state is restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def loads(text: str | bytes, *, format: Format = "toml") -> Programme:
    """Read a programme from TOML or JSON text.

    Raises:
        ParseError: The text is not valid TOML or JSON.
        ValidationError: Listing every problem in the programme with its path.
        FormatVersionError: The text is from a newer format version.

    >>> p = loads('''
    ... format_version = 1
    ... id = "demo"
    ... name = "Demo"
    ... currency = "EUR"
    ... start = 2021-01-01
    ... horizon_years = 20
    ... ''')
    >>> p.months
    240
    """
    fmt = _check_format(format)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError([Problem("", "UTF-8 text", described(str(error)))]) from None
    text = text.removeprefix(_BOM)  # a byte-order mark says only "UTF-8": accepted, dropped
    with _no_cycle_collection():
        return from_data(_parsed(text, fmt))


def _parsed(text: str, fmt: Format) -> Any:
    """The data of TOML or JSON text; a ParseError says what is wrong with it."""
    try:
        return tomllib.loads(text) if fmt == "toml" else _json(text)
    except ParseError:  # keys repeated in a JSON object, each with its path
        raise
    except tomllib.TOMLDecodeError as error:
        raise ParseError([Problem("", "valid TOML", described(str(error)))]) from None
    except json.JSONDecodeError as error:
        raise ParseError([Problem("", "valid JSON", described(str(error)))]) from None
    except ValueError as error:  # e.g. an integer longer than Python converts
        raise ParseError([Problem("", f"valid {fmt.upper()}", described(str(error)))]) from None
    except RecursionError:
        raise ParseError(
            [Problem("", f"valid {fmt.upper()}", described("nesting too deep"))]
        ) from None


def load(
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> Programme:
    """Read a programme file; the format comes from the suffix (``.toml``, ``.json``) if not given.

    Only a regular file (or a link to one) of at most ``max_bytes`` is read: a pipe, a device
    or an endless input is refused before anything is read from it.

    Raises:
        OSError: The file cannot be read (e.g. FileNotFoundError).
        ValueError: The format cannot be told from the suffix and is not given.
        ParseError: The file is not a regular file, is larger than ``max_bytes``, or is not
            valid TOML or JSON.
        ValidationError, FormatVersionError: As :func:`loads`.
    """
    target = Path(path)
    fmt = format if format is not None else _format_of(target)
    return loads(read_input(target, max_bytes=max_bytes), format=fmt)


_BOM = "\ufeff"


def _kind_of_file(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_input(path: str | os.PathLike[str], *, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, read without blocking on a pipe.

    Raises:
        OSError: The file cannot be opened or read (IsADirectoryError for a folder).
        ParseError: It is not a regular file (a FIFO, a device such as ``/dev/zero``), or it
            is larger than ``max_bytes``.
    """
    _check_max_bytes(max_bytes)
    # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever; on a regular
    # file it changes nothing. fstat then judges what was opened (no race with a rename).
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise ParseError(
                [Problem("", "a regular file (or standard input)", described(_kind_of_file(mode)))]
            )
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data: bytes = read_limited(stream, max_bytes)
            return data
    finally:
        os.close(descriptor)


def read_limited(stream: typing.BinaryIO | typing.TextIO, max_bytes: int) -> Any:
    """Everything in ``stream`` if it holds at most ``max_bytes`` (characters for text)."""
    _check_max_bytes(max_bytes)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ParseError(
            [
                Problem(
                    "",
                    f"an input of at most {max_bytes:,} bytes (raise the limit with max_bytes "
                    "or --max-input-bytes)",
                    described("a larger input"),
                )
            ]
        )
    return data


def _check_max_bytes(max_bytes: object) -> None:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a whole number ≥ 1, got {max_bytes!r}")


class _Repeated(dict[str, Any]):
    """A JSON object in which a key occurs more than once; its members kept in order."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


def _json(text: str) -> Any:
    """Parse JSON, refusing a key repeated in one object (TOML refuses that too)."""
    repeated = False

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        built = dict(pairs)
        if len(built) == len(pairs):  # most files repeat no key: one dict, nothing kept
            return built
        repeated = True
        return _Repeated(pairs)

    data = json.loads(text, object_pairs_hook=members)
    if repeated:
        problems: list[Problem] = []
        _repeated_keys(data, "", problems)
        raise ParseError(problems)
    return data


def _repeated_keys(value: Any, path: str, problems: list[Problem]) -> None:
    """Report each repeated key with its path (a walk made only when the parser saw one)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:  # depth first, in the order of the text, without recursion
        value, path = stack.pop()
        inside: list[tuple[Any, str]] = []
        if isinstance(value, dict):
            seen: set[str] = set()
            for key, item in value.pairs if isinstance(value, _Repeated) else value.items():
                where = _join(path, key)
                if key in seen:
                    problems.append(
                        Problem(where, "each key once in an object", described("the key again"))
                    )
                seen.add(key)
                inside.append((item, where))
        elif isinstance(value, list):
            inside = [(item, f"{path}[{index}]") for index, item in enumerate(value)]
        stack.extend(reversed(inside))


def dumps(programme: Programme, *, format: Format = "toml") -> str:
    """The programme as TOML or JSON text; ``loads(dumps(p, format=f), format=f) == p``.

    >>> p = Programme("demo", "Demo", "EUR", dt.date(2021, 1, 1), 20)
    >>> print(dumps(p))
    format_version = 1
    id = "demo"
    name = "Demo"
    currency = "EUR"
    start = 2021-01-01
    horizon_years = 20
    <BLANKLINE>
    """
    fmt = _check_format(format)
    data = to_data(programme, fmt)
    if fmt == "toml":
        return tomli_w.dumps(data)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def dump(
    programme: Programme, path: str | os.PathLike[str], *, format: Format | None = None
) -> Path:
    """Write the programme to ``path`` atomically (never a half-written file).

    The format comes from the suffix (``.toml``, ``.json``) if not given.

    Returns:
        The path written.
    """
    target = Path(path)
    fmt = format if format is not None else _format_of(target)
    return write_atomic(target, dumps(programme, format=fmt))


def _format_of(path: Path) -> Format:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise ValueError(
        f"cannot tell the format of {str(path)!r} from its suffix: "
        "expected .toml or .json, or pass format='toml' or format='json'"
    )


def _check_format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise ValueError(f"format must be 'toml' or 'json', got {fmt!r}")
    return fmt
