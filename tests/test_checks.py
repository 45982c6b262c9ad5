"""Validation of a whole file: every problem, in order, with its path, read the fast way."""

from __future__ import annotations

import json
import math
from typing import Any

import attrs
import pytest
from cattrs.errors import ClassValidationError
from hypothesis import given
from hypothesis import strategies as st

from programma import Fixed, Programme, Uniform, ValidationError, loads
from programma.examples import leeuwarden_oost
from programma.files.programme_files import from_data, to_data
from programma.model import plain
from programma.model.checks import MAX_MAGNITUDE, path_of, walk_nodes
from programma.model.domains import NON_NEGATIVE, RATE, SHARE, bounded, within
from strategies import programmes

PRICE = "expected a number ≥ 0, got -1.0"
"""What a price of -1 is told."""

EDGES = (
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    MAX_MAGNITUDE,
    -MAX_MAGNITUDE,
    math.nextafter(MAX_MAGNITUDE, math.inf),
    math.nextafter(-MAX_MAGNITUDE, -math.inf),
    math.inf,
    -math.inf,
    math.nan,
)
"""Floats at the edges of the checks' fast tests."""

numbers = st.floats() | st.sampled_from(EDGES)


def contract(i: int, **changes: Any) -> dict[str, Any]:
    """A valid simple contract as file data, with ``changes`` made to it."""
    data: dict[str, Any] = {
        "id": f"c{i}",
        "name": f"C{i}",
        "provider": "aanbieder",
        "start": "2026-01-01",
        "duration_months": 36,
        "enrolment": {"windows": [{"start": "2026-01-01", "months": 12, "total": 100}]},
        "payers": [{"payer": "gemeente", "fund": "f", "share": 1.0}],
        "metrics": [
            {
                "id": "m",
                "name": "M",
                "definition": "d",
                "price": 1000.0,
                "share_achieving": {"dist": "uniform", "low": 0.2, "high": 0.4},
                "time_to_outcome": 6,
            }
        ],
        "financing": {"mode": "provider"},
    }
    data.update(changes)
    return data


def document(contracts: list[dict[str, Any]]) -> str:
    """A programme file (JSON) holding ``contracts``."""
    return json.dumps(
        {
            "format_version": 1,
            "id": "p",
            "name": "P",
            "currency": "EUR",
            "start": "2025-01-01",
            "horizon_years": 20,
            "stakeholders": [
                {"id": "gemeente", "name": "Gemeente", "kind": "municipality"},
                {"id": "aanbieder", "name": "A", "kind": "provider"},
            ],
            "funds": [{"id": "f", "name": "F", "kind": "results", "owner": "gemeente"}],
            "contracts": contracts,
        }
    )


def metric(**changes: Any) -> list[dict[str, Any]]:
    """The contract's one metric with ``changes`` made to it."""
    return [{**contract(0)["metrics"][0], **changes}]


def problems_of(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        loads(text, format="json")
    return caught.value


class TestManyProblems:
    """A file with many problems of several kinds: each is told, in order, with its path."""

    @staticmethod
    def many() -> str:
        window = {"start": "2025-01-01", "months": 12, "total": 100}
        return document(
            [
                contract(0, enrolment={"windows": [window]}, metrics=metric(price=-1)),
                contract(
                    1,
                    id="bad id",
                    metrics=metric(share_achieving={"dist": "uniform", "low": 0.5, "high": 0.2}),
                ),
                contract(
                    2,
                    duration_months=0,
                    provider="nobody",
                    enrolment={"windows": [{"start": "2026-01-01", "months": 12, "total": -5}]},
                    payers=[{"payer": "gemeente", "fund": "f", "share": 0.5}],
                ),
                *(contract(i, metrics=metric(price=-1)) for i in range(3, 30)),
            ]
        )

    def test_every_problem_in_order(self) -> None:
        """Each entity's problems in the order of the file, then the references between them."""
        expected = [
            "contracts[0].enrolment.windows[0]: expected a window inside the contract "
            "(2026-01-01 to 2028-12-01), got 2025-01-01 for 12 months",
            f"contracts[0].metrics[0].price: {PRICE}",
            "contracts[1].id: expected an id of 1-100 letters, digits, '_', '-' or '.' "
            "(not starting with '-' or '.'), got 'bad id'",
            "contracts[1].metrics[0].share_achieving.high: expected a number ≥ low (0.5), got 0.2",
            "contracts[2].duration_months: expected a whole number of months from 1 to 1200, got 0",
            "contracts[2].enrolment.windows[0].total: expected a number ≥ 0, got -5.0",
            *(f"contracts[{i}].metrics[0].price: {PRICE}" for i in range(3, 30)),
            "contracts[2].provider: expected the id of one of the programme's stakeholders "
            "('gemeente', 'aanbieder'), got 'nobody'",
            "contracts[2].payers: expected shares that sum to 1, got 0.5",
        ]
        assert expected == [str(problem) for problem in problems_of(self.many()).problems]

    def test_message(self) -> None:
        """The message shows 20 problems of a kind and counts the rest."""
        lines = str(problems_of(self.many())).split("\n  ")
        prices = [f"contracts[{i}].metrics[0].price: {PRICE}" for i in range(3, 22)]
        assert [
            "35 problems:",
            *lines[1:3],
            *lines[3:7],
            *prices,
            *lines[-3:-1],
            "… and 8 more problems like `contracts[*].metrics[*].price: expected a number ≥ 0`",
        ] == lines
        assert [
            f"contracts[0].metrics[0].price: {PRICE}",
            "contracts[2].payers: expected shares that sum to 1, got 0.5",
        ] == [lines[2], lines[-2]]

    def test_every_price(self) -> None:
        """A price of -1 in every contract is told for every contract."""
        text = document([contract(i, metrics=metric(price=-1)) for i in range(50)])
        expected = [f"contracts[{i}].metrics[0].price: {PRICE}" for i in range(50)]
        assert expected == [str(problem) for problem in problems_of(text).problems]

    def test_shape_problems(self) -> None:
        """Values of the wrong shape in many contracts are each told, before any value."""
        metric_without_definition = metric()
        del metric_without_definition[0]["definition"]
        text = document(
            [
                contract(0, metrics=metric(price=-1)),  # a value problem: not told
                contract(1, duration_months="36"),
                contract(2, colour="red"),
                contract(3, metrics=metric_without_definition),
                contract(4, name=5),
                contract(5, enrolment={"windows": [{"start": "2026-01-01", "months": 1.5}]}),
            ]
        )
        fields = (
            "id, name, provider, start, enrolment, metrics, payers, end, duration_months, "
            "initiatives, payment_schedule, payment_rrule, verification_lag_months, "
            "run_off_months, cap_per_participant, cap, financing, pay_enrolled_after_stop, "
            "interests, areas, description"
        )
        assert [
            "contracts[1].duration_months: expected a whole number, got a string '36'",
            f"contracts[2].colour: expected a known field of OutcomeContract ({fields}), "
            "got an unknown field",
            "contracts[3].metrics[0].definition: expected a value (the field is required), "
            "got nothing",
            "contracts[4].name: expected a string, got 5",
            "contracts[5].enrolment.windows[0].months: expected a whole number, got 1.5",
        ] == [str(problem) for problem in problems_of(text).problems]


class TestQuickTests:
    """A value's quick test passes only values that have no problem."""

    @given(numbers)
    def test_fixed(self, value: float) -> None:
        """A fixed value passes its quick test exactly when it has no problem."""
        fixed = Fixed.__new__(Fixed)
        object.__setattr__(fixed, "value", value)
        assert (not list(fixed.problems())) == fixed._surely_valid()

    @given(numbers, numbers)
    def test_uniform(self, low: float, high: float) -> None:
        """A uniform passes its quick test exactly when it has no problem."""
        uniform = Uniform.__new__(Uniform)
        object.__setattr__(uniform, "low", low)
        object.__setattr__(uniform, "high", high)
        assert (not list(uniform.problems())) == uniform._surely_valid()

    @pytest.mark.parametrize("value", [True, 1, "1", None])
    def test_not_a_float(self, value: object) -> None:
        """A value that is not a float is never passed by the quick test."""
        fixed = Fixed.__new__(Fixed)
        object.__setattr__(fixed, "value", value)
        assert fixed._surely_valid() is False

    @pytest.mark.parametrize("domain", [NON_NEGATIVE, SHARE, RATE])
    @given(low=numbers, high=numbers)
    def test_bounded_uniform(self, domain: Any, low: float, high: float) -> None:
        """A bounded field's check of a uniform finds what within() finds."""
        uniform = Uniform.__new__(Uniform)
        object.__setattr__(uniform, "low", low)
        object.__setattr__(uniform, "high", high)
        for yearly in (False, True):
            check = bounded(domain, yearly=yearly)["check"]
            assert list(within("f", uniform, domain, yearly=yearly)) == list(
                check("f", uniform, None)  # type: ignore[operator]
            )

    @pytest.mark.parametrize("domain", [NON_NEGATIVE, SHARE, RATE])
    @given(value=numbers)
    def test_bounded_fixed(self, domain: Any, value: float) -> None:
        """A bounded field's check of a fixed number finds what within() finds."""
        fixed = Fixed.__new__(Fixed)
        object.__setattr__(fixed, "value", value)
        for yearly in (False, True):
            check = bounded(domain, yearly=yearly)["check"]
            assert list(within("f", fixed, domain, yearly=yearly)) == list(
                check("f", fixed, None)  # type: ignore[operator]
            )


def exact_reading(data: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Programme:
    """The programme read from ``data`` by cattrs' generated functions alone."""
    with monkeypatch.context() as patched:
        patched.setattr(plain, "_fast_structure_fn", lambda cls, converter: None)
        patched.setattr(plain, "_READER", None)
        return from_data(data)


class TestFastReading:
    """A valid file read the fast way gives what the exact way gives."""

    def test_example(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The example, read both ways, gives equal programmes of the same types."""
        data = to_data(leeuwarden_oost(), "json")
        fast, exact = from_data(data), exact_reading(data, monkeypatch)
        assert exact == fast
        assert [type(c.financing) for c in exact.contracts] == [
            type(c.financing) for c in fast.contracts
        ]

    @given(programmes(max_contracts=2))
    def test_programmes(self, programme: Programme) -> None:
        """Any valid programme, read both ways, gives the programme written."""
        data = to_data(programme, "json")
        with pytest.MonkeyPatch.context() as monkeypatch:
            exact = exact_reading(data, monkeypatch)
        assert programme == exact
        assert programme == from_data(data)

    def test_shape_problems(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Tables of the wrong shape are reported alike both ways."""
        text = document(
            [
                contract(0, duration_months="36", colour="red", name=5),
                contract(1, metrics=[{"id": "m", "price": "x", "extra": 1}], payers=[{}]),
                contract(2, enrolment={"windows": [{"start": 2026, "months": 1.5}]}),
            ]
        )
        with pytest.raises(ValidationError) as fast:
            from_data(json.loads(text))
        with pytest.raises(ValidationError) as exact:
            exact_reading(json.loads(text), monkeypatch)
        assert 12 == len(exact.value.problems)  # 3 in contract 0, 7 in 1, 2 in 2
        assert exact.value.problems == fast.value.problems

    def test_frozen(self) -> None:
        """An entity made the fast way is as frozen as one made by its constructor."""
        read = from_data(json.loads(document([contract(0)])))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            read.contracts[0].metrics[0].price.value = 5.0  # type: ignore[misc]
        assert hash(Fixed(1000.0)) == hash(read.contracts[0].metrics[0].price)

    def test_not_reading_a_file(self) -> None:
        """Outside a file's reading, an entity's own problems are raised as before."""
        with pytest.raises(ClassValidationError) as caught:
            plain.reader().converter.structure({"low": 0.5, "high": 0.2}, Uniform)
        assert ["high: expected a number ≥ low (0.5), got 0.2"] == [
            str(problem) for problem in plain.shape_problems(caught.value, "")
        ]


def recursive_paths(value: Any, path: str) -> list[str]:
    """Every attrs value's path, depth first in field order, written as a plain recursion."""
    found = [path]
    for field in attrs.fields(type(value)):
        inner = getattr(value, field.name)
        here = f"{path}.{field.name}" if path else field.name
        if attrs.has(type(inner)):
            found += recursive_paths(inner, here)
        elif isinstance(inner, tuple):
            for index, item in enumerate(inner):
                if attrs.has(type(item)):
                    found += recursive_paths(item, f"{here}[{index}]")
                elif isinstance(item, tuple) and len(item) == 2 and attrs.has(type(item[1])):
                    found += recursive_paths(item[1], f"{here}[{item[0]}]")
    return found


class TestWalk:
    """The walk over a programme's values, with its paths written out only when asked for."""

    def test_the_order_and_paths_of_a_recursive_walk(self) -> None:
        """Every value of the example, in the order and with the paths of a plain recursion."""
        programme = leeuwarden_oost()
        walked = [path_of(node) for _, node in walk_nodes(programme)]
        assert recursive_paths(programme, "") == walked

    @given(programmes())
    def test_generated_programmes(self, programme: Programme) -> None:
        """The same on generated programmes."""
        walked = [path_of(node) for _, node in walk_nodes(programme)]
        assert recursive_paths(programme, "") == walked
