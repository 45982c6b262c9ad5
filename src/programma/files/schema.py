"""The JSON Schema of programme files, generated from the model itself.

The schema describes the shape of a file (its fields, their types, which are required, the
choices of each enumeration). Rules between values (a share in [0, 1], ids that exist, shares
that sum to 1) are checked by :func:`programma.load`, which explains every problem it finds.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
import types
import typing
from typing import Any

import attrs
import numpy as np

from ..model.checks import ID_PATTERN, YearAmounts
from ..model.distributions import KIND_OF, SCALAR_TYPES, Fixed, Yearly
from ..model.financing import FINANCING_TYPES
from ..model.gates import Decision
from ..model.plain import VARIANTS_TYPE
from ..model.programme import DISCOUNT_PRESETS, Programme
from ..model.vocabulary import Action

__all__ = ["schema"]

SCHEMA_ID = "https://programma.readthedocs.io/schema/programme-1.json"
_DATE_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])(-01)?$"
_YEAR_PATTERN = r"^\d{4}$"


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a programme file, in its JSON form.

    >>> s = schema()
    >>> s["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    >>> "contracts" in s["properties"]
    True
    """
    from .programme_files import FORMAT_VERSION

    builder = _Builder()
    root = builder.object_schema(Programme)
    root["properties"] = {
        "format_version": {
            "type": "integer",
            "minimum": 1,
            "maximum": FORMAT_VERSION,
            "description": "The version of the file format.",
        },
        **root["properties"],
    }
    root["required"] = ["format_version", *root["required"]]
    # The horizon is given one way only: in whole years or in months.
    root["oneOf"] = [{"required": ["horizon_years"]}, {"required": ["horizon_months"]}]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "programma programme file",
        **root,
        "$defs": dict(sorted(builder.defs.items())),
    }


def field_docs(cls: type) -> dict[str, str]:
    """The description of each field, from the ``Attributes:`` section of the class docstring."""
    doc = inspect.getdoc(cls) or ""
    match = re.search(r"^Attributes:\n((?:(?: {4}.*)?\n?)+)", doc, flags=re.MULTILINE)
    if not match:
        return {}
    docs: dict[str, str] = {}
    current: list[str] = []
    for line in match.group(1).splitlines():
        head = re.match(r"^ {4}([\w, ]+):\s*(.*)$", line)
        if head and not line.startswith(" " * 8):
            current = [name.strip() for name in head.group(1).split(",")]
            for name in current:
                docs[name] = head.group(2).strip()
        elif line.strip() and current:
            for name in current:
                docs[name] = f"{docs[name]} {line.strip()}".strip()
    return docs


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def ref(self, name: str, build: typing.Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if name not in self.defs:
            self.defs[name] = {}  # reserve the name first: definitions may refer to themselves
            self.defs[name] = build()
        return {"$ref": f"#/$defs/{name}"}

    def object_schema(self, cls: type, *, tag: tuple[str, str] | None = None) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        docs = field_docs(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        if tag is not None:
            properties[tag[0]] = {"const": tag[1]}
            required.append(tag[0])
        for field in attrs.fields(cls):
            prop = self.type_schema(hints[field.name])
            if field.name == "id" or field.name.endswith("_id"):
                prop = {**prop, "pattern": f"^{ID_PATTERN.pattern}$"}
            if field.name in docs:
                prop = {**prop, "description": docs[field.name]}
            properties[field.name] = prop
            if field.default is attrs.NOTHING:
                required.append(field.name)
        out: dict[str, Any] = {"type": "object", "properties": properties}
        summary = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
        if summary:
            out = {"description": summary, **out}
        out["required"] = required
        out["additionalProperties"] = False
        return out

    def type_schema(self, hint: Any) -> dict[str, Any]:
        args = typing.get_args(hint)
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not types.NoneType]
            if set(members) <= set(KIND_OF):
                name = "Distribution" if Yearly in members else "Scalar"
                return self.ref(name, lambda: self.distribution_schema(Yearly in members))
            if set(members) == set(FINANCING_TYPES.values()):
                return self.ref("Financing", self.financing_schema)
            if set(members) == {float, str}:
                return {
                    "oneOf": [{"type": "number"}, {"enum": list(DISCOUNT_PRESETS)}],
                    "default": DISCOUNT_PRESETS[0],
                }
            if len(members) == 1:
                return self.type_schema(members[0])
        if hint == YearAmounts:
            return {
                "type": "object",
                "patternProperties": {_YEAR_PATTERN: {"type": "number"}},
                "additionalProperties": False,
            }
        if origin is tuple:
            return {"type": "array", "items": self.type_schema(args[0])}
        if origin is np.ndarray:  # the values of Samples: a list of numbers in a file
            return {"type": "array", "items": {"type": "number"}}
        if hint == VARIANTS_TYPE:
            # A path's value has the form of the field the path names: checked on reading.
            return {
                "type": "object",
                "propertyNames": {"pattern": f"^{ID_PATTERN.pattern}$"},
                "additionalProperties": {
                    "type": "object",
                    "propertyNames": {"minLength": 1},
                    "additionalProperties": {"not": {"type": "null"}},
                },
            }
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {"type": "integer"}
        if hint is float:
            return {"type": "number"}
        if hint is str:
            return {"type": "string"}
        if hint is dt.date:
            return {"type": "string", "pattern": _DATE_PATTERN, "description": "YYYY-MM-01"}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return {"enum": [member.value for member in hint]}
        if hint is Decision:
            return self.ref("Decision", self.decision_schema)
        if isinstance(hint, type) and attrs.has(hint):
            return self.ref(hint.__name__, lambda: self.object_schema(hint))
        raise TypeError(f"no schema for {hint!r}")  # pragma: no cover - a model change

    def distribution_schema(self, yearly: bool) -> dict[str, Any]:
        options: list[dict[str, Any]] = [{"type": "number", "description": "A fixed value."}]
        for cls in (*(c for c in SCALAR_TYPES if c is not Fixed), Fixed):
            options.append(
                self.ref(f"dist_{KIND_OF[cls]}", self._tagged(cls, "dist", KIND_OF[cls]))
            )
        if yearly:
            options.append(self.ref("dist_yearly", self.yearly_schema))
        return {"oneOf": options}

    def _tagged(self, cls: type, key: str, tag: str) -> typing.Callable[[], dict[str, Any]]:
        return lambda: self.object_schema(cls, tag=(key, tag))

    def yearly_schema(self) -> dict[str, Any]:
        return {
            "description": (inspect.getdoc(Yearly) or "").split("\n\n")[0].replace("\n", " "),
            "type": "object",
            "properties": {
                "dist": {"const": "yearly"},
                "by_year": {
                    "type": "object",
                    "patternProperties": {
                        _YEAR_PATTERN: self.ref("Scalar", lambda: self.distribution_schema(False))
                    },
                    "additionalProperties": False,
                    "minProperties": 1,
                },
            },
            "required": ["dist", "by_year"],
            "additionalProperties": False,
        }

    def financing_schema(self) -> dict[str, Any]:
        return {
            "oneOf": [
                self.ref(cls.__name__, self._tagged(cls, "mode", mode.value))
                for mode, cls in FINANCING_TYPES.items()
            ]
        }

    def decision_schema(self) -> dict[str, Any]:
        return {
            "oneOf": [
                {"enum": [a.value for a in Action if a is not Action.SCALE]},
                self.object_schema(Decision),
            ]
        }
