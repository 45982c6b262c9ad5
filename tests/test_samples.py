"""Samples: values kept as a read-only float64 array, checked at numpy's speed, kept exactly."""

# The house style puts the expected value first in asserts.

from __future__ import annotations

import copy
import math
import pickle
import sys
import tracemalloc

import attrs
import numpy as np
import pytest

import programma as pg
from builders import MINIMAL_TOML, D, base_programme, contract
from programma import (
    Enrolment,
    EnrolmentWindow,
    Parameter,
    Ref,
    Samples,
    ValidationError,
    dumps,
    loads,
    mean_of,
    support_of,
)
from programma.files.programme_files import to_data
from programma.model import distributions
from programma.uncertainty.sampling import BLOCK_SIZE, Draws

SAMPLES_TOML = (
    MINIMAL_TOML
    + """
[[parameters]]
id = "shock"
distribution = {{ dist = "samples", values = {values} }}
"""
)


def only_problem(error: ValidationError):
    """The one problem of ``error``."""
    [problem] = error.problems
    return problem


DUPLICATES = [
    pytest.param(lambda value: pickle.loads(pickle.dumps(value)), id="pickle"),
    pytest.param(copy.deepcopy, id="deepcopy"),
    pytest.param(copy.copy, id="copy"),
]
"""Ways an object is made again without its ``__init__``: in another process, or copied."""


class TestStoredAsArray:
    """The values are a read-only float64 array of the Samples' own."""

    def test_a_list_becomes_a_read_only_float64_array(self) -> None:
        """A list of numbers is kept as a one-dimensional float64 array that cannot be written."""
        values = Samples([1, 2.5, 6]).values
        assert (np.float64, 1, False) == (values.dtype, values.ndim, values.flags.writeable)
        assert [1.0, 2.5, 6.0] == values.tolist()
        with pytest.raises(ValueError, match="read-only"):
            values[0] = 9.0

    def test_the_array_given_is_copied(self) -> None:
        """Changing the array given afterwards does not change the Samples."""
        array = np.array([1.0, 2.0])
        samples = Samples(array)
        array[0] = 99.0
        assert [1.0, 2.0] == samples.values.tolist()
        assert not np.shares_memory(array, samples.values)

    def test_a_read_only_view_given_is_copied(self) -> None:
        """A read-only view is copied too: what it views can still change."""
        base = np.array([1.0, 2.0, 3.0])
        view = base[1:]
        view.flags.writeable = False
        samples = Samples(view)
        base[2] = 99.0
        assert [2.0, 3.0] == samples.values.tolist()

    @pytest.mark.parametrize(
        "values",
        [
            pytest.param([1.5, 2, 6.0], id="list"),
            pytest.param((1.5, 2, 6.0), id="tuple"),
            pytest.param(np.array([1.5, 2.0, 6.0]), id="float64-array"),
            pytest.param(np.array([1.5, 2.0, 6.0], dtype=np.float32), id="float32-array"),
            pytest.param([np.float64(1.5), np.float32(2.0), np.float16(6.0)], id="float-scalars"),
            pytest.param([1.5, np.int64(2), np.uint8(6)], id="integer-scalars"),
            pytest.param((x for x in (1.5, 2, 6.0)), id="generator"),
        ],
    )
    def test_kinds_of_input_give_equal_samples(self, values: object) -> None:
        """Lists, tuples and arrays of any real numbers give equal Samples with equal hashes."""
        samples = Samples(values)
        assert [1.5, 2.0, 6.0] == samples.values.tolist()
        assert Samples([1.5, 2.0, 6.0]) == samples
        assert hash(Samples([1.5, 2.0, 6.0])) == hash(samples)

    @pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint8, np.uint64])
    def test_integer_arrays(self, dtype: type) -> None:
        """An array of integers, signed or not, equals the list of the same numbers."""
        samples = Samples(np.array([0, 3, 100], dtype=dtype))
        assert Samples([0, 3, 100]) == samples
        assert np.float64 == samples.values.dtype

    def test_float32_values_are_their_exact_doubles(self) -> None:
        """A float32 keeps the value it holds (no decimal rounding is invented)."""
        assert [float(np.float32(0.1))] == Samples(
            np.array([0.1], dtype=np.float32)
        ).values.tolist()


class TestRefusals:
    """Anything but one-dimensional real numbers is refused at ``values``, what and where."""

    @pytest.mark.parametrize(
        ("values", "expected", "given"),
        [
            pytest.param([], "at least one value", "[]", id="empty"),
            pytest.param(np.array([]), "at least one value", "[]", id="empty-array"),
            pytest.param([1, math.nan], "finite numbers", "nan at index 1", id="nan"),
            pytest.param(
                np.array([np.inf, 1.0, -np.inf]),
                "finite numbers",
                "2 values that are not finite: inf at index 0, -inf at index 2",
                id="inf-array",
            ),
            pytest.param([10**400], "finite numbers", "1" + "0" * 36 + "... at index 0", id="huge"),
            pytest.param(
                ["1.5", 2.0, True],
                "numbers (integers or floats)",
                "2 values that are not numbers: '1.5' at index 0, True at index 2",
                id="text-and-bool",
            ),
            pytest.param(
                [1 + 2j], "numbers (integers or floats)", "(1+2j) at index 0", id="complex"
            ),
            pytest.param(
                np.ones((2, 3)),
                "a list of numbers (one dimension)",
                "an array of shape (2, 3)",
                id="2-d",
            ),
            pytest.param(
                np.array([True, False]),
                "a list of numbers (integers or floats)",
                "an array of true/false values",
                id="bool-array",
            ),
            pytest.param(
                np.array(["a"]),
                "a list of numbers (integers or floats)",
                "an array of text",
                id="text-array",
            ),
            pytest.param(
                np.array([1.0, 2.0], dtype=object),
                "a list of numbers (integers or floats)",
                "an array of Python objects",
                id="object-array",
            ),
            pytest.param(
                np.array([1j]),
                "a list of numbers (integers or floats)",
                "an array of complex numbers",
                id="complex-array",
            ),
            pytest.param(5.0, "a list of numbers", "5.0", id="number"),
            pytest.param("abc", "a list of numbers", "'abc'", id="text"),
            pytest.param({1.0, 2.0}, "a list of numbers", "{1.0, 2.0}", id="set"),
        ],
    )
    def test_refusal(self, values: object, expected: str, given: str) -> None:
        """One problem at ``values`` says what was expected and what was given, with indexes."""
        with pytest.raises(ValidationError) as exc:
            Samples(values)
        problem = only_problem(exc.value)
        assert ("values", expected) == (problem.path, problem.expected)
        assert f"values: expected {expected}, got {given}" in str(exc.value)

    def test_many_bad_values_are_counted(self) -> None:
        """The first five bad values are shown by index, the rest counted (one problem)."""
        values = np.zeros(100_000)
        bad = [3, 10, 11, 500, 70_000, 70_001, 99_999]
        values[bad] = [np.nan, np.inf, -np.inf, np.nan, np.nan, np.nan, np.inf]
        with pytest.raises(ValidationError) as exc:
            Samples(values)
        assert (
            "values: expected finite numbers, got 7 values that are not finite: nan at index 3, "
            "inf at index 10, -inf at index 11, nan at index 500, nan at index 70000 and 2 more"
        ) == str(only_problem(exc.value))

    @pytest.mark.parametrize(
        ("values", "expected", "given"),
        [
            pytest.param("[1.0, nan, 2.0]", "finite numbers", "nan at index 1", id="nan"),
            pytest.param(
                '[1.0, "2", true]',
                "numbers (integers or floats)",
                "2 values that are not numbers: '2' at index 1, True at index 2",
                id="not-numbers",
            ),
            pytest.param('"1, 2"', "a list of numbers", "a string '1, 2'", id="text"),
            pytest.param("[]", "at least one value", "[]", id="empty"),
        ],
    )
    def test_refusals_in_a_file_have_the_full_path(
        self, values: str, expected: str, given: str
    ) -> None:
        """Read from a file, the problem names the field by its path in the programme."""
        with pytest.raises(ValidationError) as exc:
            loads(SAMPLES_TOML.format(values=values))
        problem = only_problem(exc.value)
        path = "parameters[0].distribution.values"
        assert (path, expected) == (problem.path, problem.expected)
        assert f"{path}: expected {expected}, got {given}" in str(exc.value)


class TestEqualityAndHash:
    """Samples compare by their values, and equal Samples hash alike."""

    def test_equal_values_are_equal(self) -> None:
        """Same values, whatever the input kind: equal, one hash, one entry in a set."""
        a, b = Samples([0.5, 1.0]), Samples(np.array([0.5, 1.0]))
        assert a == b
        assert hash(a) == hash(b)
        assert 1 == len({a, b})

    @pytest.mark.parametrize(
        "other",
        [
            pytest.param(Samples([0.5, 2.0]), id="a value"),
            pytest.param(Samples([0.5]), id="a prefix"),
            pytest.param(Samples([0.5, 1.0, 1.0]), id="longer"),
            pytest.param(pg.Fixed(0.5), id="another kind"),
        ],
    )
    def test_different_values_are_not_equal(self, other: object) -> None:
        """A different value, fewer or more values, or another distribution: not equal."""
        assert Samples([0.5, 1.0]) != other

    def test_signed_zeros_are_equal_and_hash_alike(self) -> None:
        """0.0 and -0.0 are equal numbers: Samples of them are equal, with one hash."""
        assert Samples([0.0, 1.0]) == Samples([-0.0, 1.0])
        assert hash(Samples([0.0, 1.0])) == hash(Samples([-0.0, 1.0]))

    def test_programmes_compare_through_their_samples(self) -> None:
        """Programmes with equal Samples are equal; with different ones, not."""
        one = base_programme(parameters=[Parameter("shock", Samples([1, 2]))])
        same = base_programme(parameters=[Parameter("shock", Samples(np.array([1.0, 2.0])))])
        other = base_programme(parameters=[Parameter("shock", Samples([1, 3]))])
        assert one == same
        assert one != other

    def test_evolve_converts_the_new_values(self) -> None:
        """attrs.evolve with new values gives a Samples holding them as a read-only array."""
        evolved = attrs.evolve(Samples([1.0]), values=[2, 3])
        assert Samples([2.0, 3.0]) == evolved
        assert not evolved.values.flags.writeable

    @pytest.mark.parametrize("duplicate", DUPLICATES)
    def test_copies_stay_equal_and_read_only(self, duplicate) -> None:
        """A pickled (another process) or copied Samples is equal and still read-only."""
        samples = Samples([0.1, 0.2, 0.3])
        copied = duplicate(samples)
        assert samples == copied
        assert not copied.values.flags.writeable


class TestFewestSamples:
    """A programme knows the fewest values any of its Samples holds: the scenarios it can run."""

    def test_the_fewest_anywhere(self) -> None:
        """Samples in a parameter and in a contract's metric: the shorter one counts."""
        base = contract()
        metric = attrs.evolve(base.metrics[0], price=Samples([900.0, 1000.0, 1100.0]))
        programme = base_programme(
            contracts=[attrs.evolve(base, metrics=[metric])],
            parameters=[Parameter("shock", Samples(np.arange(5)))],
        )
        assert 3 == programme.fewest_samples
        assert base_programme().fewest_samples is None

    @pytest.mark.parametrize("duplicate", DUPLICATES)
    def test_copies_count_alike(self, duplicate) -> None:
        """A programme made without its __init__ (unpickled, copied) counts its Samples too."""
        programme = base_programme(parameters=[Parameter("shock", Samples(np.arange(7)))])
        assert 7 == duplicate(programme).fewest_samples

    def test_a_new_programme_counts_its_own(self) -> None:
        """A programme with other values (a what-if) counts its own Samples."""
        programme = base_programme(parameters=[Parameter("shock", Samples(np.arange(7)))])
        changed = programme.with_values({"parameters[shock].distribution": Samples([1.0, 2.0])})
        assert (7, 2) == (programme.fewest_samples, changed.fewest_samples)

    def test_too_few_are_refused_by_path(self) -> None:
        """More scenarios than the fewest Samples: refused, naming where the Samples are."""
        programme = base_programme(
            parameters=[
                Parameter("long", Samples(np.arange(9))),
                Parameter("short", Samples(np.arange(4))),
            ]
        )
        pg.project(programme, scenarios=4)
        with pytest.raises(pg.ProjectionError, match=r"parameters\[1\]\.distribution: a Samples"):
            pg.project(programme, scenarios=5)


class TestFiles:
    """A file gives the values as a list of floats and reads them back bit for bit."""

    VALUES = (0.1 + 0.2, 1e-300, 5e-324, 1 / 3, -0.0, 123456789.123456789, 1e15, -2.5)

    @pytest.mark.parametrize("kind", ["toml", "json"])
    def test_round_trip_is_exact(self, kind: str) -> None:
        """Every value, the sign of a zero and the last bit included, comes back as it was."""
        programme = base_programme(parameters=[Parameter("shock", Samples(self.VALUES))])
        loaded = loads(dumps(programme, format=kind), format=kind)
        assert programme == loaded
        values = loaded.parameters[0].distribution.values
        assert np.array(self.VALUES).tobytes() == values.tobytes()
        assert not values.flags.writeable

    def test_written_as_a_list_of_floats(self) -> None:
        """The plain data of a file holds a list of Python floats, whatever the input kind."""
        programme = base_programme(parameters=[Parameter("shock", Samples(np.arange(3)))])
        written = to_data(programme)["parameters"][0]["distribution"]
        assert {"dist": "samples", "values": [0.0, 1.0, 2.0]} == written
        assert {float} == set(map(type, written["values"]))

    def test_text_keeps_the_shortest_exact_digits(self) -> None:
        """0.1 + 0.2 is written with the 17 digits that give it back, 0.1 with one."""
        programme = base_programme(parameters=[Parameter("shock", Samples([0.1 + 0.2, 0.1]))])
        assert "0.30000000000000004" in dumps(programme, format="json")
        assert "0.1," in dumps(programme, format="toml")

    def test_a_path_can_set_one_value(self) -> None:
        """A change by path reaches one value of a Samples, as in a list."""
        programme = base_programme(parameters=[Parameter("shock", Samples([1, 2, 3]))])
        changed = programme.with_values({"parameters[0].distribution.values[1]": 7})
        assert Samples([1, 7, 3]) == changed.parameters[0].distribution

    def test_a_variant_setting_the_values_reads_back_equal(self) -> None:
        """A variant that sets all the values is written and read back equal."""
        programme = base_programme(
            parameters=[Parameter("shock", Samples([1, 2, 3]))],
            variants={"low": {"parameters[0].distribution.values": np.array([0.5, 1.0, 1.5])}},
        )
        for kind in ("toml", "json"):
            assert programme == loads(dumps(programme, format=kind), format=kind)
        assert Samples([0.5, 1.0, 1.5]) == programme.variant("low").parameters[0].distribution


class TestEngine:
    """The engine takes scenario i's value from the array, whatever form it was given in."""

    @staticmethod
    def programme(shares: object) -> pg.Programme:
        """A contract enrolling ``10 × demand`` a month, ``demand`` given as Samples."""
        windows = [EnrolmentWindow(D(2021, 1, 1), 6, per_month=Ref("demand", factor=10.0))]
        return base_programme(
            contracts=[contract(enrolment=Enrolment(windows))],
            parameters=[Parameter("demand", Samples(shares))],
        )

    def test_list_and_array_give_identical_results(self) -> None:
        """A run from a list and a run from an int array of the same values are bit-identical."""
        demand = np.arange(1, 301)
        from_list = pg.project(self.programme(demand.tolist()), scenarios=300, seed=3)
        from_array = pg.project(self.programme(demand), scenarios=300, seed=3)
        assert from_list.series == from_array.series
        assert from_list.values.tobytes() == from_array.values.tobytes()
        achieved = from_list.series.index(
            next(key for key in from_list.series if key.flow == "outcomes_achieved")
        )
        # Scenario i enrols 10 × (i + 1) a month for 6 months, of whom 40% reach the outcome.
        expected = 24.0 * demand
        assert expected == pytest.approx(from_list.values[:, :, achieved].sum(axis=1), rel=1e-12)

    def test_scenarios_take_their_own_values(self) -> None:
        """A block of scenarios takes the values at its own indexes (scenario i, values[i])."""
        draws = Draws({}, (2021,), first_block=1, blocks=2)
        drawn = draws.scalar("x", Samples(np.arange(1000)))
        assert list(range(BLOCK_SIZE, 3 * BLOCK_SIZE)) == drawn.tolist()

    def test_a_draw_copies_only_its_scenarios(self) -> None:
        """Drawing 256 scenarios of a million values allocates for those 256, not a million."""
        samples = Samples(np.arange(1_000_000))
        draws = Draws({}, (2021,), blocks=1)
        tracemalloc.start()
        try:
            drawn = draws.scalar("x", samples)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert list(range(BLOCK_SIZE)) == drawn.tolist()
        assert peak < 800_000  # a tenth of the whole array's 8 MB (256 values take 2 kB)

    def test_expected_mode_takes_the_exact_mean(self) -> None:
        """The mean is the correctly rounded average; equal values give exactly that value."""
        values = [0.1] * 10 + [0.7]
        assert math.fsum(values) / 11 == mean_of(Samples(values))
        assert 0.1 == mean_of(Samples([0.1] * 10))
        assert float is type(mean_of(Samples(np.arange(3))))
        assert (0.0, 2.0) == support_of(Samples(np.array([2, 0, 1])))


class TestLargeSamples:
    """A million values are checked in one vectorised pass, with no Python loop over them."""

    @staticmethod
    def calls(build) -> int:
        """The Python function calls made by ``build()``."""
        count = 0

        def profile(frame, event, arg) -> None:
            nonlocal count
            count += event == "call"

        sys.setprofile(profile)
        try:
            build()
        finally:
            sys.setprofile(None)
        return count

    @pytest.mark.parametrize("kind", ["array", "list"])
    def test_no_call_per_value(self, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """A million values take as many Python calls as ten, and no per-value check is called."""

        def refuse(*args: object) -> bool:
            raise AssertionError("a value was checked by a Python call")

        monkeypatch.setattr(math, "isfinite", refuse)
        monkeypatch.setattr(distributions, "_is_sample_number", refuse)
        monkeypatch.setattr(distributions, "_is_finite_number", refuse, raising=False)
        big = np.random.default_rng(1).normal(size=1_000_000)
        small = big[:10]
        if kind == "list":
            big, small = big.tolist(), small.tolist()
        Samples(small)  # once first: what Python or numpy set up on a first call is not counted
        assert self.calls(lambda: Samples(small)) == self.calls(lambda: Samples(big))

    def test_memory_is_one_copy(self) -> None:
        """Building a Samples of a million values takes about one array's memory, not a tuple."""
        values = np.random.default_rng(2).normal(size=1_000_000)
        tracemalloc.start()
        try:
            samples = Samples(values)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # A copy (8 MB) and a boolean mask (1 MB); a tuple of Python floats would take 32 MB.
        assert peak < 1.5 * values.nbytes
        assert values.tobytes() == samples.values.tobytes()
