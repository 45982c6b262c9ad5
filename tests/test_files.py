"""Programme files: exact round trips, the JSON Schema, a fuzzed reader, documented behaviour."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import programma
from builders import MINIMAL_TOML
from programma import (
    Enrolment,
    EnrolmentWindow,
    FormatVersionError,
    Fund,
    FundKind,
    Initiative,
    OutcomeContract,
    OutcomeMetric,
    Parameter,
    ParseError,
    PayerShare,
    ProgrammaError,
    Programme,
    Stakeholder,
    StakeholderKind,
    Uniform,
    ValidationError,
    Yearly,
    dump,
    dumps,
    load,
    loads,
)
from programma.files.programme_files import from_data, to_data
from programma.model.references import COLLECTIONS
from strategies import programmes

FORMATS = ("toml", "json")
SCHEMA = programma.schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

YEAR_TABLES = frozenset({"amounts", "fiscal_year_caps", "by_year"})
"""Tables keyed by year: the reader writes a key in them as ``amounts[2024]``."""

TAGS = frozenset({"dist", "mode"})
"""Keys that choose a table's type: a problem with one is reported at the table."""

NON_NEGATIVE_FIELDS = frozenset(
    {
        "format_version",
        "horizon_years",
        "fiscal_year_start_month",
        "population",
        "priority",
        "duration_months",
        "months",
        "verification_lag_months",
        "run_off_months",
        "commitment",
        "return_cap",
        "capital_protection",
        "repay_share",
        "amount",
        "share",
        "price",
        "share_achieving",
        "baseline",
        "threshold",
        "time_to_outcome",
        "cap_per_participant",
        "cap_count",
        "cap_value",
        "cap",
        "value_per_outcome",
        "per_month",
        "total",
        "delay",
        "overrun",
        "target",
        "factor",
    }
)
"""Fields of entities (not of distributions) whose value must be ≥ 0 (≥ 1 for some)."""

NON_NEGATIVE_SHAPES = frozenset({"sd", "sigma", "alpha", "beta", "lam"})
"""Fields of distributions that must be ≥ 0 on their own."""

NON_NEGATIVE_ITEMS = frozenset({"amounts", "fiscal_year_caps", "cost_weights"})
"""Tables and lists whose every entry must be ≥ 0."""


def _collect_keys(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        for value in node.values():
            _collect_keys(value, found)
    elif isinstance(node, list):
        for value in node:
            _collect_keys(value, found)
    return found


KNOWN_KEYS = sorted(_collect_keys(SCHEMA, set()))
"""Every field name a programme file may use, anywhere."""

INTERESTING_TEXT = [
    "2021-01",
    "2021-01-01",
    "2021-02-30",
    "2021-01-15",
    "2021-W01-1",
    "9999-12",
    "0001-01",
    "nl-2021",
    "uniform",
    "yearly",
    "parameter",
    "samples",
    "investor",
    "prefinancing",
    "scale",
    "step-in",
    "rrule",
    "FREQ=MONTHLY;INTERVAL=3",
    "FREQ=HOURLY",
    "DTSTART:20210101\nRRULE:FREQ=DAILY",
    "s0",
    "c0",
]


# -- helpers -----------------------------------------------------------------------------------


def outcome(read: Callable[[], Programme]) -> Programme | ProgrammaError:
    """What reading gives: a programme or a ProgrammaError (anything else propagates)."""
    try:
        return read()
    except ProgrammaError as error:
        return error


def check_outcome(result: Programme | ProgrammaError) -> None:
    """A reader's outcome keeps its promises: every problem says what was expected."""
    if isinstance(result, ValidationError):
        assert result.problems
        for problem in result.problems:
            assert isinstance(problem.expected, str)
            assert problem.expected.strip(), problem
        assert str(result)


def check_agrees_with_schema(result: Programme | ProgrammaError, document: Any) -> None:
    """A document the reader accepts is one the JSON Schema accepts too."""
    check_outcome(result)
    if isinstance(result, Programme):
        errors = [error.message for error in VALIDATOR.iter_errors(document)]
        assert [] == errors


def has_problem_under(result: Programme | ProgrammaError, path: str) -> bool:
    """Whether ``result`` is a ValidationError with a problem at ``path`` or inside it.

    A value of a list of samples (``….values[i]``) is reported at the list, with its index
    (all of a Samples' bad values are one problem: see ``tests/test_samples.py``).
    """
    if not isinstance(result, ValidationError):
        return False
    if any(found == path or found.startswith((f"{path}.", f"{path}[")) for found in result.paths):
        return True
    sample = re.fullmatch(r"(.*\.values)\[(\d+)\]", path)
    return sample is not None and any(
        problem.path == sample[1] and f"at index {sample[2]}" in str(problem)
        for problem in result.problems
    )


def locations(node: Any, tokens: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every place below ``node`` as (keys and indexes from the top, value), depth first."""
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        here = (*tokens, key)
        yield here, value
        yield from locations(value, here)


def path_of(tokens: tuple[Any, ...]) -> str:
    """The path the reader uses for a place (``contracts[0].payers[1].share``)."""
    text = ""
    parent: Any = None
    for token in tokens:
        if isinstance(token, int) or parent in YEAR_TABLES:
            text += f"[{token}]"
        else:
            text = f"{text}.{token}" if text else str(token)
        parent = token
    return text


def container(document: Any, tokens: tuple[Any, ...]) -> Any:
    """The table or list that holds the place ``tokens``."""
    for token in tokens[:-1]:
        document = document[token]
    return document


def json_kind(value: Any) -> str:
    """The JSON type of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


JUNK: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=4) | st.sampled_from(INTERESTING_TEXT),
    "number": st.integers(-3, 3) | st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "array": st.lists(st.integers(0, 3) | st.text(max_size=2), max_size=2),
    "object": st.dictionaries(st.text(max_size=3), st.integers(0, 3), max_size=2),
}
"""Values of each JSON type but null (null is the subject of its own test)."""

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(INTERESTING_TEXT)
)
json_keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=6)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_keys, inner, max_size=4),
    max_leaves=16,
)
"""Arbitrary JSON-like data whose tables mostly use the file's own field names."""


@st.composite
def programme_like(draw: st.DrawFn) -> dict[str, Any]:
    """A table that looks like a programme file: right top-level fields, junk inside."""
    document: dict[str, Any] = {
        "format_version": 1,
        "id": "demo",
        "name": "Demo",
        "currency": "EUR",
        "start": "2021-01",
        "horizon_years": 3,
    }
    for name in draw(st.lists(st.sampled_from(COLLECTIONS), unique=True, max_size=4)):
        entity = st.dictionaries(json_keys, json_values, max_size=6)
        document[name] = draw(st.lists(entity, max_size=2))
    document.update(draw(st.dictionaries(json_keys, json_values, max_size=3)))
    return document


TOML_VALUES = [
    '"text"',
    '""',
    "1",
    "-1",
    "0.5",
    "1" + "0" * 30,
    "nan",
    "-inf",
    "true",
    "2021-01-01",
    "2021-01-01T00:00:00",
    "08:00:00",
    '"2021-01"',
    "[1, 2]",
    '["s0", "c0"]',
    "[]",
    "{}",
    '{ dist = "uniform", low = 0, high = 1 }',
    '{ dist = "yearly", by_year = { "2021" = 0.02, "2022" = { dist = "pert" } } }',
    '{ action = "scale", factor = 2 }',
    '{ "2022" = 1000 }',
]


@st.composite
def toml_like(draw: st.DrawFn) -> str:
    """TOML text made of the file's own field names, tables and typical values."""
    lines = ["format_version = 1"]
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.integers(0, 4)) == 0:
            name = draw(st.sampled_from(COLLECTIONS))
            lines.append(f"[[{name}]]" if draw(st.booleans()) else f"[{name}]")
        else:
            key = draw(st.sampled_from(KNOWN_KEYS))
            lines.append(f"{key} = {draw(st.sampled_from(TOML_VALUES))}")
    return "\n".join(lines) + "\n"


def small_programme() -> Programme:
    """A small valid programme: a contract that pays for an initiative, a yearly parameter."""
    start = dt.date(2021, 1, 1)
    return Programme(
        "demo",
        "Demo",
        "EUR",
        start,
        horizon_years=3,
        parameters=[Parameter("cpi", Yearly({2021: 0.02, 2022: Uniform(0.01, 0.03)}))],
        stakeholders=[
            Stakeholder("gemeente", "Gemeente", StakeholderKind.MUNICIPALITY),
            Stakeholder("provider", "Provider", StakeholderKind.PROVIDER),
        ],
        funds=[Fund("results", "Results fund", FundKind.RESULTS, "gemeente", {2022: 100_000})],
        initiatives=[Initiative("werkfit", "Werkfit", "provider", 100_000, start, 12)],
        contracts=[
            OutcomeContract(
                "werk",
                "Werk",
                "provider",
                start,
                duration_months=24,
                enrolment=Enrolment([EnrolmentWindow(start, 12, total=100)]),
                metrics=[OutcomeMetric("job", "A job", 8_000, 0.4)],
                payers=[PayerShare("gemeente", "results", 1.0)],
                initiatives=["werkfit"],
            )
        ],
    )


def small_document() -> dict[str, Any]:
    """The small programme as JSON data, to be changed by a test."""
    return to_data(small_programme(), "json")


# -- round trips -------------------------------------------------------------------------------


class TestRoundTrip:
    @given(programmes())
    def test_toml_text(self, programme: Programme) -> None:
        """A programme read back from its TOML text equals it, and writes the same text."""
        text = dumps(programme, format="toml")
        again = loads(text, format="toml")
        assert programme == again
        assert text == dumps(again, format="toml")

    @given(programmes())
    def test_json_text(self, programme: Programme) -> None:
        """A programme read back from its JSON text equals it, and writes the same text."""
        text = dumps(programme, format="json")
        again = loads(text, format="json")
        assert programme == again
        assert text == dumps(again, format="json")

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(programmes(), st.sampled_from(FORMATS))
    def test_file(self, tmp_path: Path, programme: Programme, fmt: str) -> None:
        """load(dump(p, path)) == p, and the folder holds nothing but the file."""
        path = tmp_path / f"programme.{fmt}"
        written = dump(programme, path)
        assert path == written
        assert programme == load(written)
        assert [path] == sorted(tmp_path.iterdir())
        path.unlink()

    def test_accepted_text_can_be_written(self, tmp_path: Path) -> None:
        """Text the reader accepts (even a lone surrogate from JSON) can be written back."""
        document = small_document() | {"name": "\ud800"}
        result = outcome(lambda: from_data(document))
        if isinstance(result, Programme):
            path = tmp_path / "programme.toml"
            assert result == load(dump(result, path))


class TestSchema:
    def test_schema_is_valid(self) -> None:
        """The schema is itself a valid draft 2020-12 JSON Schema."""
        jsonschema.Draft202012Validator.check_schema(SCHEMA)

    @given(programmes())
    def test_programmes_validate(self, programme: Programme) -> None:
        """Every valid programme's JSON form validates against the schema."""
        document = to_data(programme, "json")
        assert [] == [error.message for error in VALIDATOR.iter_errors(document)]

    def test_written_json_validates(self) -> None:
        """The JSON text written for a programme validates once parsed."""
        document = json.loads(dumps(small_programme(), format="json"))
        assert [] == [error.message for error in VALIDATOR.iter_errors(document)]


# -- fuzzing -----------------------------------------------------------------------------------


class TestFuzzText:
    @given(st.text())
    def test_any_toml_text(self, text: str) -> None:
        """Any text read as TOML gives a programme or a ProgrammaError."""
        check_outcome(outcome(lambda: loads(text, format="toml")))

    @given(st.text())
    def test_any_json_text(self, text: str) -> None:
        """Any text read as JSON gives a programme or a ProgrammaError."""
        check_outcome(outcome(lambda: loads(text, format="json")))

    @given(toml_like())
    def test_toml_like_text(self, text: str) -> None:
        """TOML built from the file's own field names gives a programme or a ProgrammaError."""
        check_outcome(outcome(lambda: loads(text, format="toml")))

    @given(st.binary(), st.sampled_from(FORMATS))
    def test_any_bytes(self, data: bytes, fmt: str) -> None:
        """Any bytes give a programme or a ProgrammaError."""
        check_outcome(outcome(lambda: loads(data, format=fmt)))

    @given(programmes(max_contracts=2), st.sampled_from(FORMATS), st.data())
    def test_edited_file(self, programme: Programme, fmt: str, data: st.DataObject) -> None:
        """A valid file with a stretch of its text replaced gives a programme or an error."""
        text = dumps(programme, format=fmt)
        start = data.draw(st.integers(0, len(text)), label="start")
        end = data.draw(st.integers(start, min(len(text), start + 20)), label="end")
        pieces = st.sampled_from(["", "[", "]", "{", "}", '"', "=", ",", "\n", "-", "1e999"])
        insert = data.draw(pieces | st.text(max_size=8), label="insert")
        edited = text[:start] + insert + text[end:]
        check_outcome(outcome(lambda: loads(edited, format=fmt)))


class TestFuzzData:
    @given(json_values)
    def test_any_data(self, data: Any) -> None:
        """Any JSON-like data gives a programme or a ProgrammaError."""
        check_outcome(outcome(lambda: from_data(data)))

    @given(programme_like())
    def test_programme_like_data(self, data: dict[str, Any]) -> None:
        """A programme-shaped table with junk inside gives a programme or a ProgrammaError."""
        check_outcome(outcome(lambda: from_data(data)))


ONE_OF_PAIR = {"horizon_months": "horizon_years", "duration_months": "end"}
"""Fields given as one of a pair; without either, the problem names the pair's first."""


class TestMutations:
    """A valid programme's data changed in one place: the reader names that place."""

    @given(programmes(max_contracts=2), st.data())
    def test_deleted_field(self, programme: Programme, data: st.DataObject) -> None:
        """Without a field the schema requires, a problem names the field."""
        document = to_data(programme, "json")
        keys = [tokens for tokens, _ in locations(document) if isinstance(tokens[-1], str)]
        tokens = data.draw(st.sampled_from(keys), label="deleted")
        table = container(document, tokens)
        del table[tokens[-1]]
        result = outcome(lambda: from_data(document))
        check_agrees_with_schema(result, document)
        if not VALIDATOR.is_valid(document):
            where = path_of(tokens[:-1] if tokens[-1] in TAGS else tokens)
            # Of a pair of which exactly one is given, "neither" is named at the pair's first;
            # a table left empty (a path by year without its one year) is named itself.
            first = ONE_OF_PAIR.get(tokens[-1])
            other = path_of((*tokens[:-1], first)) if first else where
            if not table:
                other = path_of(tokens[:-1])
            assert has_problem_under(result, where) or has_problem_under(result, other), (
                where,
                result,
            )

    @given(programmes(max_contracts=2), st.data())
    def test_value_of_another_type(self, programme: Programme, data: st.DataObject) -> None:
        """A value of a type the schema refuses gives a problem at its place."""
        document = to_data(programme, "json")
        tokens, value = data.draw(st.sampled_from(list(locations(document))), label="place")
        kind = data.draw(st.sampled_from(sorted(set(JUNK) - {json_kind(value)})), label="kind")
        container(document, tokens)[tokens[-1]] = data.draw(JUNK[kind], label="junk")
        result = outcome(lambda: from_data(document))
        check_agrees_with_schema(result, document)
        if not VALIDATOR.is_valid(document):
            assert has_problem_under(result, path_of(tokens)), (path_of(tokens), result)

    @given(programmes(max_contracts=2), st.data())
    def test_unknown_field(self, programme: Programme, data: st.DataObject) -> None:
        """An unknown field anywhere gives a problem that names it."""
        document = to_data(programme, "json")
        tables = [()] + [tokens for tokens, value in locations(document) if isinstance(value, dict)]
        tokens = data.draw(st.sampled_from(tables), label="table")
        table = document
        for token in tokens:
            table = table[token]
        key = "zz_" + data.draw(st.text(max_size=4), label="key")
        table[key] = data.draw(json_leaves, label="value")
        result = outcome(lambda: from_data(document))
        check_outcome(result)
        where = path_of((*tokens, key))
        assert has_problem_under(result, where), (where, result)
        assert isinstance(result, ValidationError)
        if not tokens or tokens[-1] not in YEAR_TABLES:
            named = [p for p in result.problems if p.path == where]
            assert named
            assert "a known field of" in named[0].expected

    @given(programmes(max_contracts=2), st.data())
    def test_negated_number(self, programme: Programme, data: st.DataObject) -> None:
        """A negated amount, share, count or month gives a problem at its place."""
        document = to_data(programme, "json")
        numbers = [
            (tokens, value)
            for tokens, value in locations(document)
            if json_kind(value) == "number" and value != 0
        ]
        if not numbers:
            return
        tokens, value = data.draw(st.sampled_from(numbers), label="place")
        parent = container(document, tokens)
        parent[tokens[-1]] = -value
        result = outcome(lambda: from_data(document))
        check_outcome(result)
        key = tokens[-1]
        owner = tokens[-2] if len(tokens) > 1 else None
        in_distribution = isinstance(parent, dict) and "dist" in parent
        meaningful = (
            (key in NON_NEGATIVE_FIELDS and not in_distribution)
            or (key in NON_NEGATIVE_SHAPES and in_distribution)
            or owner in NON_NEGATIVE_ITEMS
        )
        if meaningful:
            assert has_problem_under(result, path_of(tokens)), (path_of(tokens), result)

    @given(programmes(max_contracts=2), st.data())
    def test_renamed_id(self, programme: Programme, data: st.DataObject) -> None:
        """Renaming an entity that others refer to gives problems naming the old id."""
        document = to_data(programme, "json")
        values = [value for _, value in locations(document)]
        places = [
            (tokens, value)
            for tokens, value in locations(document)
            if tokens[-1] == "id" and isinstance(value, str)
        ]
        referred = [(tokens, value) for tokens, value in places if values.count(value) > 1]
        tokens, old = data.draw(st.sampled_from(referred or places), label="renamed")
        container(document, tokens)["id"] = "zz-renamed"
        result = outcome(lambda: from_data(document))
        check_outcome(result)
        if referred:
            assert isinstance(result, ValidationError)
            assert old in [problem.given for problem in result.problems]


# -- documented behaviour ----------------------------------------------------------------------


class TestFormatVersion:
    def test_missing(self) -> None:
        """A file without format_version is refused with a problem naming it."""
        text = MINIMAL_TOML.replace("format_version = 1\n", "")
        with pytest.raises(ValidationError) as caught:
            loads(text)
        assert ("format_version",) == caught.value.paths

    @pytest.mark.parametrize("value", ['"1"', "1.0", "true", "0", "-1", "[1]"])
    def test_not_a_whole_number(self, value: str) -> None:
        """A format_version that is not a whole number ≥ 1 is refused."""
        text = MINIMAL_TOML.replace("format_version = 1", f"format_version = {value}")
        with pytest.raises(ValidationError, match="format_version: expected a whole number"):
            loads(text)

    def test_newer(self) -> None:
        """A file from a newer format version asks to upgrade programma."""
        newer = programma.FORMAT_VERSION + 1
        text = MINIMAL_TOML.replace("format_version = 1", f"format_version = {newer}")
        with pytest.raises(FormatVersionError, match="upgrade programma") as caught:
            loads(text)
        assert ("format_version",) == caught.value.paths
        assert newer == caught.value.problems[0].given

    def test_newer_wins_over_unknown_fields(self) -> None:
        """A newer file's unknown fields are not reported: the version explains them."""
        document = small_document()
        document["format_version"] = programma.FORMAT_VERSION + 1
        document["a_field_from_the_future"] = True
        with pytest.raises(FormatVersionError):
            from_data(document)

    def test_is_a_validation_error(self) -> None:
        """FormatVersionError is a ValidationError, a ProgrammaError and a ValueError."""
        assert issubclass(FormatVersionError, ValidationError)
        assert issubclass(FormatVersionError, ProgrammaError)
        assert issubclass(FormatVersionError, ValueError)

    def test_written_version(self) -> None:
        """Files are written with the current format version."""
        text = dumps(small_programme())
        assert programma.FORMAT_VERSION == tomllib.loads(text)["format_version"]


class TestParseErrors:
    def test_toml_syntax(self) -> None:
        """Broken TOML is a ParseError that says where."""
        with pytest.raises(ParseError, match=r"expected valid TOML.*line 7"):
            loads(MINIMAL_TOML + "colour = ]\n[stakeholders]\n")

    def test_json_syntax(self) -> None:
        """Broken JSON is a ParseError that says where."""
        with pytest.raises(ParseError, match=r"expected valid JSON.*line 1 column 2"):
            loads("{,}", format="json")

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_invalid_utf8(self, fmt: str) -> None:
        """Bytes that are not UTF-8 are a ParseError."""
        with pytest.raises(ParseError, match="expected UTF-8 text"):
            loads(b'{"name": "\xff\xfe"}', format=fmt)

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_too_deeply_nested(self, fmt: str) -> None:
        """Absurdly deep nesting is a ParseError, not a RecursionError."""
        text = "[" * 100_000 if fmt == "json" else "a = " + "[" * 100_000
        with pytest.raises(ParseError, match="nesting too deep"):
            loads(text, format=fmt)

    @pytest.mark.parametrize(
        ("text", "fmt"),
        [
            ("1" * 5_000, "json"),
            ('{"format_version": 1, "horizon_years": ' + "1" * 5_000 + "}", "json"),
            ("format_version = 1\nhorizon_years = " + "1" * 5_000, "toml"),
        ],
        ids=["json-top", "json-field", "toml-field"],
    )
    def test_number_too_long(self, text: str, fmt: str) -> None:
        """A number with thousands of digits is a ProgrammaError, not a bare ValueError."""
        with pytest.raises(ProgrammaError):
            loads(text, format=fmt)

    def test_not_a_table(self) -> None:
        """A file that is not a table of fields is refused at the top."""
        with pytest.raises(ValidationError, match="expected a table of programme fields") as caught:
            loads("[1, 2]", format="json")
        assert ("",) == caught.value.paths

    def test_unknown_format(self) -> None:
        """A format other than toml or json is a ValueError."""
        with pytest.raises(ValueError, match="format must be 'toml' or 'json'"):
            loads(MINIMAL_TOML, format="yaml")  # type: ignore[arg-type]


class TestShapeProblems:
    def test_unknown_field(self) -> None:
        """An unknown field is named, with the fields that are known there."""
        with pytest.raises(ValidationError) as caught:
            loads(MINIMAL_TOML + 'colour = "red"\n')
        (problem,) = caught.value.problems
        assert "colour" == problem.path
        assert problem.expected.startswith("a known field of Programme (id, name, currency")
        assert "horizon_years" in problem.expected

    def test_unknown_nested_field(self) -> None:
        """An unknown field inside an entity is named with its full path."""
        document = small_document()
        document["contracts"][0]["metrics"][0]["colour"] = "red"
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        (problem,) = caught.value.problems
        assert "contracts[0].metrics[0].colour" == problem.path
        assert "a known field of OutcomeMetric (id, definition, price" in problem.expected

    @pytest.mark.parametrize(
        ("change", "path", "expected"),
        [
            ({"name": 5}, "name", "a string"),
            ({"horizon_years": "five"}, "horizon_years", "a whole number"),
            ({"horizon_years": 5.5}, "horizon_years", "a whole number"),
            ({"start": 20210101}, "start", "a date"),
            ({"discount_rate": [0.03]}, "discount_rate", "a rate or a preset name"),
        ],
    )
    def test_wrong_type(self, change: dict[str, Any], path: str, expected: str) -> None:
        """A value of the wrong type is named by its path, with the type expected."""
        document = small_document() | change
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        assert path in caught.value.paths
        problem = caught.value.problems[caught.value.paths.index(path)]
        assert problem.expected.startswith(expected)

    def test_wrong_types_inside(self) -> None:
        """Wrong types deep inside entities say 'expected a number', 'true or false' …"""
        document = small_document()
        document["funds"][0]["amounts"]["2022"] = "lots"
        document["funds"][0]["carry_over"] = "yes"
        document["contracts"][0]["metrics"][0]["price"] = "8000"
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        messages = str(caught.value)
        assert "funds[0].amounts[2022]: expected a number, got a string 'lots'" in messages
        assert "funds[0].carry_over: expected true or false, got a string 'yes'" in messages
        assert "contracts[0].metrics[0].price: expected a number or a distribution" in messages

    def test_all_shape_problems_at_once(self) -> None:
        """Every shape problem in a file is reported together, in file order."""
        document = small_document()
        document["name"] = 5
        document["stakeholders"][1]["kind"] = "alien"
        document["contracts"][0]["verification_lag_months"] = "3"
        document["contracts"][0]["payers"][0]["share"] = None
        document["gates"] = [{"id": "g"}]
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        paths = caught.value.paths
        assert "name" in paths
        assert "stakeholders[1].kind" in paths
        assert "contracts[0].verification_lag_months" in paths
        assert "contracts[0].payers[0].share" in paths
        assert "gates[0].month" in paths
        assert "gates[0].condition" in paths

    def test_missing_field(self) -> None:
        """A required field that is missing is named and said to be required."""
        document = small_document()
        del document["contracts"][0]["metrics"][0]["price"]
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        (problem,) = caught.value.problems
        assert "contracts[0].metrics[0].price" == problem.path
        assert "a value (the field is required)" == problem.expected

    def test_value_problems_at_once(self) -> None:
        """Once the shape is right, every value and reference problem is reported together."""
        document = small_document()
        document["currency"] = "euro"
        document["contracts"][0]["provider"] = "nobody"
        document["contracts"][0]["metrics"][0]["share_achieving"] = 1.5
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        assert {
            "currency",
            "contracts[0].provider",
            "contracts[0].metrics[0].share_achieving",
        } <= set(caught.value.paths)

    @pytest.mark.parametrize("value", ["werkfit", {"werkfit": 1}, ""])
    def test_text_for_a_list(self, value: Any) -> None:
        """A text or a table where a list of ids belongs is refused, not split into items."""
        document = small_document()
        document["contracts"][0]["initiatives"] = value
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        assert "contracts[0].initiatives" in caught.value.paths

    def test_null_agrees_with_schema(self) -> None:
        """A JSON null for an optional field is refused by the reader iff the schema refuses it."""
        document = small_document() | {"description": None}
        accepted = isinstance(outcome(lambda: from_data(document)), Programme)
        assert VALIDATOR.is_valid(document) == accepted

    def test_shape_problem_inside_a_yearly_path(self) -> None:
        """A shape problem inside a yearly path's entry is named with the entry's year."""
        document = small_document()
        entry = document["parameters"][0]["distribution"]["by_year"]["2022"]
        entry["colour"] = "red"
        entry["low"] = "x"
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        assert {
            "parameters[0].distribution.by_year[2022].colour",
            "parameters[0].distribution.by_year[2022].low",
        } == set(caught.value.paths)

    def test_bad_year_key(self) -> None:
        """A key that is not a year is named once in the path."""
        document = small_document()
        document["parameters"][0]["distribution"]["by_year"]["20x1"] = 0.01
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        assert ("parameters[0].distribution.by_year[20x1]",) == caught.value.paths

    @pytest.mark.parametrize(
        ("change", "paths"),
        [
            (
                lambda d: d["contracts"][0]["enrolment"]["windows"][0].update(months=10**9),
                {"contracts[0].enrolment.windows[0].months"},
            ),
            (
                lambda d: d["initiatives"][0].update(duration_months=10**9),
                {"initiatives[0].duration_months"},
            ),
            (lambda d: d.update(start="9999-01"), {"start"}),
            (lambda d: d.update(horizon_years=10**6), {"horizon_years"}),
        ],
        ids=["window-months", "initiative-months", "start", "horizon"],
    )
    def test_dates_past_the_calendar(
        self, change: Callable[[dict[str, Any]], None], paths: set[str]
    ) -> None:
        """Months or a start that would run past year 9999 are named by their path."""
        document = small_document()
        change(document)
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        assert paths <= set(caught.value.paths)


class TestDates:
    def test_year_month_in_json(self) -> None:
        """JSON dates may be given as "YYYY-MM" (the first of the month)."""
        document = small_document() | {"start": "2021-01"}
        assert dt.date(2021, 1, 1) == loads(json.dumps(document), format="json").start

    def test_full_date_in_json(self) -> None:
        """JSON dates may be given as "YYYY-MM-DD"."""
        document = small_document() | {"start": "2021-01-01"}
        assert small_programme() == loads(json.dumps(document), format="json")

    def test_written_json_dates(self) -> None:
        """JSON files hold dates as "YYYY-MM-DD" text."""
        assert "2021-01-01" == json.loads(dumps(small_programme(), format="json"))["start"]

    @pytest.mark.parametrize(
        "value", ["2021-01-01T00:00:00", "2021-01-01 00:00:00Z", "2021-01-01T00:00:00+01:00"]
    )
    def test_toml_datetime_refused(self, value: str) -> None:
        """A TOML date-time where a date belongs is refused."""
        text = MINIMAL_TOML.replace("start = 2021-01-01", f"start = {value}")
        with pytest.raises(ValidationError, match=r"start: expected a date \(YYYY-MM-DD\)"):
            loads(text)

    def test_toml_time_refused(self) -> None:
        """A TOML time of day where a date belongs is refused."""
        text = MINIMAL_TOML.replace("start = 2021-01-01", "start = 08:00:00")
        with pytest.raises(ValidationError, match="start: expected a date"):
            loads(text)

    @pytest.mark.parametrize("value", ["2021-02-30", "2021-13", "01-2021", "2021/01/01", ""])
    def test_not_a_date(self, value: str) -> None:
        """Text that is not a date is refused with the forms accepted."""
        document = small_document() | {"start": value}
        with pytest.raises(ValidationError, match=r"expected a date \(YYYY-MM-DD or YYYY-MM\)"):
            from_data(document)

    def test_not_first_of_month(self) -> None:
        """A date that is not the first of a month is refused."""
        document = small_document() | {"start": "2021-01-15"}
        with pytest.raises(ValidationError, match="start: expected the first day of a month"):
            from_data(document)


class TestLoadDump:
    @pytest.mark.parametrize("name", ["p.toml", "p.json", "P.TOML", "p.Json"])
    def test_format_from_suffix(self, tmp_path: Path, name: str) -> None:
        """load and dump tell the format from the file's suffix."""
        path = tmp_path / name
        dump(small_programme(), path)
        text = path.read_text(encoding="utf-8")
        assert name.lower().endswith(".json") == text.startswith("{")
        assert small_programme() == load(path)

    def test_explicit_format_wins(self, tmp_path: Path) -> None:
        """An explicit format is used whatever the suffix."""
        path = tmp_path / "programme.txt"
        dump(small_programme(), path, format="json")
        assert small_programme() == load(path, format="json")

    @pytest.mark.parametrize("name", ["programme.yaml", "programme", "programme.toml.bak"])
    def test_unknown_suffix(self, tmp_path: Path, name: str) -> None:
        """An unknown suffix without a format is a ValueError that says what to do."""
        path = tmp_path / name
        with pytest.raises(ValueError, match=r"expected \.toml or \.json, or pass format="):
            dump(small_programme(), path)
        path.write_text(MINIMAL_TOML, encoding="utf-8")
        with pytest.raises(ValueError, match="cannot tell the format"):
            load(path)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file raises FileNotFoundError."""
        with pytest.raises(FileNotFoundError):
            load(tmp_path / "missing.toml")

    def test_not_utf8_file(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 is a ParseError."""
        path = tmp_path / "programme.toml"
        path.write_bytes(MINIMAL_TOML.encode("utf-16"))
        with pytest.raises(ParseError, match="UTF-8"):
            load(path)


class TestAtomicDump:
    def test_no_temporary_files(self, tmp_path: Path) -> None:
        """Writing and overwriting leave the file and nothing else."""
        path = tmp_path / "programme.toml"
        dump(small_programme(), path)
        dump(small_programme(), path)
        assert [path] == list(tmp_path.iterdir())

    def test_failed_replace_keeps_the_original(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """If the final rename fails, the old file is intact and no temporary file remains."""
        path = tmp_path / "programme.toml"
        path.write_text("the original", encoding="utf-8")

        def fail(*_: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", fail)
        with pytest.raises(OSError, match="disk full"):
            dump(small_programme(), path)
        assert "the original" == path.read_text(encoding="utf-8")
        assert [path] == list(tmp_path.iterdir())

    def test_interrupted_write_keeps_the_original(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A Ctrl-C while writing leaves the old file intact and no temporary file."""
        path = tmp_path / "programme.json"
        path.write_text("the original", encoding="utf-8")

        def interrupt(*_: object) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "fsync", interrupt)
        with pytest.raises(KeyboardInterrupt):
            dump(small_programme(), path)
        assert "the original" == path.read_text(encoding="utf-8")
        assert [path] == list(tmp_path.iterdir())


def refuse_constant(constant: str) -> None:
    """Refuse NaN, Infinity and -Infinity, which are not JSON."""
    raise AssertionError(f"non-standard JSON constant {constant}")


class TestTextOutput:
    @given(programmes(max_contracts=2))
    def test_json_is_strict(self, programme: Programme) -> None:
        """JSON output has no NaN or Infinity and ends with a newline."""
        text = dumps(programme, format="json")
        assert text.endswith("\n")
        json.loads(text, parse_constant=refuse_constant)

    def test_toml_ends_with_newline(self) -> None:
        """TOML output ends with a newline."""
        assert dumps(small_programme()).endswith("\n")

    def test_unset_fields_are_left_out(self) -> None:
        """Unset optional fields are left out of the file (TOML has no null)."""
        text = dumps(small_programme(), format="json")
        assert "null" not in text
        assert "description" not in text


class TestNoCodeExecution:
    def test_code_in_text_stays_text(self, tmp_path: Path) -> None:
        """Text that looks like code is kept as text and never run."""
        marker = tmp_path / "ran"
        code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
        document = small_document() | {"name": code, "description": "{{ 7 * 7 }} ${7*7}"}
        programme = loads(json.dumps(document), format="json")
        assert code == programme.name
        assert "{{ 7 * 7 }} ${7*7}" == programme.description
        assert not marker.exists()

    @pytest.mark.parametrize("kind", ["__import__('os')", "Fixed", "programma.Fixed", "eval"])
    def test_code_as_a_kind(self, kind: str) -> None:
        """A distribution kind is only ever one of the names in files."""
        document = small_document()
        document["contracts"][0]["metrics"][0]["price"] = {"dist": kind, "value": 1}
        with pytest.raises(ValidationError, match="'dist' set to one of 'fixed', 'uniform'"):
            from_data(document)

    @pytest.mark.parametrize("key", ["__class__", "__init__", "__dict__", "_problems"])
    def test_dunder_fields(self, key: str) -> None:
        """Field names that are Python internals are unknown fields like any other."""
        document = small_document()
        document["stakeholders"][0][key] = "x"
        with pytest.raises(ValidationError) as caught:
            from_data(document)
        assert (f"stakeholders[0].{key}",) == caught.value.paths


# -- hostile and edge-case input -----------------------------------------------------------------


def cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    """Run the command line in this process; (exit code, standard output, standard error)."""
    from programma.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


class _BytesStdin(io.TextIOWrapper):
    """Standard input as a terminal gives it: text with a byte buffer underneath."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8")


def cli_bytes(*argv: str, stdin: bytes) -> tuple[int, str, str]:
    """The command line with ``stdin`` as bytes behind a text stream, as sys.stdin is."""
    from programma.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=_BytesStdin(stdin))
    return code, out.getvalue(), err.getvalue()


class TestByteOrderMark:
    """A UTF-8 byte-order mark is accepted and dropped, whatever the input."""

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_loads(self, fmt: str) -> None:
        """Text and bytes with a BOM read as without."""
        text = dumps(small_programme(), format=fmt)
        assert small_programme() == loads("\ufeff" + text, format=fmt)
        assert small_programme() == loads(b"\xef\xbb\xbf" + text.encode(), format=fmt)

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_load(self, tmp_path: Path, fmt: str) -> None:
        """A file with a BOM reads as without."""
        path = tmp_path / f"p.{fmt}"
        path.write_bytes(b"\xef\xbb\xbf" + dumps(small_programme(), format=fmt).encode())
        assert small_programme() == load(path)

    def test_json_on_standard_input(self) -> None:
        """BOM-prefixed JSON on standard input is told to be JSON, not read as TOML."""
        data = b"\xef\xbb\xbf" + dumps(small_programme(), format="json").encode()
        assert (0, "-: valid programme 'demo' (1 contract, 1 initiative)\n", "") == (
            cli_bytes("validate", "-", stdin=data)
        )


class TestLineEndings:
    """The same bytes get one verdict from a file, standard input and programma.load."""

    def verdicts(self, tmp_path: Path, data: bytes) -> set[tuple[int, str]]:
        path = tmp_path / "p.toml"
        path.write_bytes(data)
        from_file = cli("validate", str(path))
        from_stdin = cli_bytes("validate", "-", stdin=data)
        try:
            load(path)
            from_load = 0
        except ParseError:
            from_load = 1

        def problem(err: str) -> str:
            return err.splitlines()[-1].split(": ", 1)[1] if err else ""

        return {
            (from_file[0], problem(from_file[2])),
            (from_stdin[0], problem(from_stdin[2])),
            (from_load, problem(from_file[2])),
        }

    def test_cr_only_is_refused_everywhere(self, tmp_path: Path) -> None:
        """Lines ended by CR alone are not TOML: refused from a file, stdin and load alike."""
        data = dumps(small_programme()).replace("\n", "\r").encode()
        (verdict,) = self.verdicts(tmp_path, data)
        assert 1 == verdict[0]
        assert verdict[1].startswith("expected valid TOML, got Expected newline")

    def test_crlf_is_accepted_everywhere(self, tmp_path: Path) -> None:
        """Lines ended by CRLF are TOML: accepted from a file, stdin and load alike."""
        data = dumps(small_programme()).replace("\n", "\r\n").encode()
        assert {(0, "")} == self.verdicts(tmp_path, data)


class TestDuplicateJsonKeys:
    """A key repeated in a JSON object is refused, as TOML refuses it, with its path."""

    def test_top_level(self) -> None:
        """A repeated programme field is named."""
        text = '{"format_version": 1, "id": "a", "id": "b"}'
        with pytest.raises(ParseError) as exc:
            loads(text, format="json")
        assert ("id",) == exc.value.paths
        assert "id: expected each key once in an object, got the key again" == str(
            exc.value.problems[0]
        )

    def test_nested_all_at_once(self) -> None:
        """Every repeated key is reported, each at its path inside lists and tables."""
        document = json.dumps(small_document())
        text = document.replace('"price": 8000.0', '"price": 8000.0, "price": 1', 1).replace(
            '"currency": "EUR"', '"currency": "EUR", "currency": "USD"', 1
        )
        with pytest.raises(ParseError) as exc:
            loads(text, format="json")
        assert ("currency", "contracts[0].metrics[0].price") == exc.value.paths


class TestInputLimits:
    """programma.load reads only regular files, and at most max_bytes of them."""

    def test_max_bytes(self, tmp_path: Path) -> None:
        """A file larger than max_bytes is refused; the same file under a higher limit reads."""
        path = tmp_path / "p.toml"
        path.write_text(dumps(small_programme()), encoding="utf-8")
        size = path.stat().st_size
        with pytest.raises(ParseError) as exc:
            load(path, max_bytes=size - 1)
        assert f"an input of at most {size - 1:,} bytes" in exc.value.problems[0].expected
        assert small_programme() == load(path, max_bytes=size)

    def test_default_limit(self) -> None:
        """The default limit is 64 MiB."""
        assert 64 * 1024**2 == programma.MAX_INPUT_BYTES

    @pytest.mark.parametrize("bad", [0, -1, 1.5, True])
    def test_bad_limit(self, tmp_path: Path, bad: object) -> None:
        """A limit that is not a whole number ≥ 1 is a ValueError."""
        with pytest.raises(ValueError, match="max_bytes must be a whole number ≥ 1"):
            load(tmp_path / "p.toml", max_bytes=bad)  # type: ignore[arg-type]

    @pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
    def test_device(self, tmp_path: Path) -> None:
        """A link to a device is refused as one (/dev/zero too: tests/test_corpus.py)."""
        link = tmp_path / "null.toml"
        link.symlink_to("/dev/null")
        with pytest.raises(ParseError) as exc:
            load(link)
        assert "got a character device" in str(exc.value)

    def test_folder(self, tmp_path: Path) -> None:
        """A folder is an OSError (IsADirectoryError), as before."""
        folder = tmp_path / "p.toml"
        folder.mkdir()
        with pytest.raises(IsADirectoryError):
            load(folder)

    def test_cli_limit_option(self, tmp_path: Path) -> None:
        """--max-input-bytes applies to every command that reads a file."""
        path = tmp_path / "p.toml"
        path.write_text(dumps(small_programme()), encoding="utf-8")
        for command in ("validate", "show", "simulate", "review"):
            code, _, err = cli(command, "--max-input-bytes", "50", str(path))
            assert 1 == code, command
            assert "expected an input of at most 50 bytes" in err, command


class TestWrongObjects:
    """Objects of the wrong type are refused with a message, not an AttributeError."""

    @pytest.mark.parametrize(
        ("changes", "path", "expected", "given"),
        [
            ({"areas": [None]}, "areas[0]", "an Area", "None"),
            (
                {"contracts": [{"id": "c"}]},
                "contracts[0]",
                "an OutcomeContract",
                "dict {'id': 'c'}",
            ),
            ({"parameters": [3]}, "parameters[0]", "a Parameter", "int 3"),
        ],
    )
    def test_programme_collections(
        self, changes: dict[str, Any], path: str, expected: str, given: str
    ) -> None:
        """An entry that is not an entity of its collection is a problem at its place."""
        with pytest.raises(ValidationError) as exc:
            Programme("p", "P", "EUR", dt.date(2021, 1, 1), 3, **changes)
        assert [f"{path}: expected {expected}, got {given}"] == list(map(str, exc.value.problems))

    def test_nested(self) -> None:
        """An entry of the wrong type inside an entity is a problem at its place."""
        with pytest.raises(ValidationError) as exc:
            Enrolment([None])  # type: ignore[list-item]
        assert ["windows[0]: expected an EnrolmentWindow, got None"] == list(
            map(str, exc.value.problems)
        )

    def test_project_needs_a_programme(self) -> None:
        """project(None) is a TypeError that says what it needs."""
        with pytest.raises(TypeError, match="project\\(\\) needs a Programme, got NoneType"):
            programma.project(None)  # type: ignore[arg-type]


class TestTerminalText:
    """Control characters and escape sequences from a file are shown escaped, never raw."""

    RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\r")

    def hostile(self) -> Programme:
        import attrs

        p = small_programme()
        initiative = attrs.evolve(p.initiatives[0], description="bell\x07 and \x9b2J clear")
        return attrs.evolve(p, name="Demo \x1b[31mred\x1b[0m\r\u202eevil", initiatives=[initiative])

    @pytest.mark.parametrize(
        "argv",
        [
            ("show",),
            ("simulate",),
            ("simulate", "--format", "json"),
            ("review",),
            ("review", "--format", "json"),
        ],
    )
    def test_output(self, tmp_path: Path, argv: tuple[str, ...]) -> None:
        """No raw control character reaches the terminal; the escapes show what was there."""
        path = tmp_path / "p.toml"
        dump(self.hostile(), path)
        code, out, err = cli(*argv, str(path))
        assert code in (0, 3), err
        assert [] == [char for char in self.RAW if char in out + err]
        if "json" in argv:
            json.loads(out)  # the escapes are JSON's own: the document stays valid
        elif argv[0] != "review":  # the review names the programme by its id alone
            assert "Demo \\u001b[31mred\\u001b[0m\\u000d\\u202eevil" in out

    def test_model_keeps_the_text(self, tmp_path: Path) -> None:
        """Only the display is escaped: the text round-trips through a file unchanged."""
        path = tmp_path / "p.json"
        dump(self.hostile(), path)
        assert self.hostile() == load(path)


class TestCycleCollector:
    def test_state_restored_after_reading(self) -> None:
        """Reading a programme, valid or not, leaves the cycle collector as it found it."""
        import gc

        from programma import ValidationError, dumps, loads
        from programma.examples import leeuwarden_oost

        text = dumps(leeuwarden_oost())
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            try:
                loads(text)
                with pytest.raises(ValidationError):
                    loads(text.replace('currency = "EUR"', 'currency = "euro"'))
                assert enabled == gc.isenabled()
            finally:
                gc.enable()
