"""Distributions of uncertain quantities: their forms, as frozen, validated values.

A field that may be uncertain holds a :data:`Distribution`. A plain number given to such a field
becomes :class:`Fixed`. Each form checks its own parameters and has a name in files
(:data:`KIND_OF`) and a short description for messages (:func:`describe`). What a form says about
its values, its mean and its support, is in :mod:`~programma.model.moments`; the domains a field's
distribution must stay in are in :mod:`~programma.model.domains`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from .._errors import Problem, described
from .checks import (
    MAX_MAGNITUDE,
    Checked,
    as_float,
    as_floats,
    at_least,
    finite,
    fmt_number,
    identifier,
    is_number,
)
from .normal import truncated_mass

__all__ = [
    "Beta",
    "Discrete",
    "Distribution",
    "Fixed",
    "LogNormal",
    "Normal",
    "Pert",
    "Poisson",
    "Ref",
    "Samples",
    "Scalar",
    "Triangular",
    "Uniform",
    "Yearly",
    "to_distribution",
]

_LOG_MAX = math.log(MAX_MAGNITUDE)  # 34.54: a lognormal's mean stays within the limit

MAX_POISSON_LAM = 1e9
"""The largest mean of a Poisson distribution: beyond it a normal describes the count as well."""


@attrs.frozen
class Fixed(Checked):
    """A known value. A plain number given where a distribution is expected becomes one.

    >>> Fixed(3).value
    3.0
    """

    value: float = attrs.field(converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from finite("value", self.value)

    def _surely_valid(self) -> bool:
        # The test of finite() for a float, inline: a programme holds many fixed values.
        value = self.value
        return type(value) is float and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE


@attrs.frozen
class Uniform(Checked):
    """Uniform on ``[low, high]``; ``low == high`` is allowed (degenerate).

    >>> from programma import mean_of
    >>> mean_of(Uniform(0.2, 0.4))
    0.30000000000000004
    """

    low: float = attrs.field(converter=as_float)
    high: float = attrs.field(converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from finite("low", self.low)
        yield from finite("high", self.high)
        if is_number(self.low) and is_number(self.high) and self.high < self.low:
            yield Problem("high", f"a number ≥ low ({fmt_number(self.low)})", self.high)

    def _surely_valid(self) -> bool:
        # _problems' tests for two floats, inline (NaN fails every comparison: it is reported).
        low, high = self.low, self.high
        return (
            type(low) is float
            and type(high) is float
            and -MAX_MAGNITUDE <= low <= high <= MAX_MAGNITUDE
        )


def _ordered_three(low: float, mode: float, high: float) -> Iterator[Problem]:
    yield from finite("low", low)
    yield from finite("mode", mode)
    yield from finite("high", high)
    if all(is_number(x) and math.isfinite(x) for x in (low, mode, high)):
        if mode < low:
            yield Problem("mode", f"a number ≥ low ({fmt_number(low)})", mode)
        if high < mode:
            yield Problem("high", f"a number ≥ mode ({fmt_number(mode)})", high)


@attrs.frozen
class _ThreePoint(Checked):
    """A distribution given by a minimum, a most likely value and a maximum."""

    low: float = attrs.field(converter=as_float)
    mode: float = attrs.field(converter=as_float)
    high: float = attrs.field(converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from _ordered_three(self.low, self.mode, self.high)


@attrs.frozen
class Triangular(_ThreePoint):
    """Triangular with minimum ``low``, most likely ``mode`` and maximum ``high``.

    >>> from programma import mean_of
    >>> mean_of(Triangular(0, 3, 6))
    3.0
    """


@attrs.frozen
class Pert(_ThreePoint):
    """PERT (a scaled beta) with ``low``, ``mode``, ``high`` and shape λ = 4.

    Its mean is ``(low + 4·mode + high) / 6``.

    >>> from programma import mean_of
    >>> mean_of(Pert(800, 1000, 1500))
    1050.0
    """


@attrs.frozen
class Normal(Checked):
    """Normal with ``mean`` and standard deviation ``sd``, optionally truncated to ``[low, high]``.

    Truncation bounds are explicit: a bounded field accepts a normal only when it is truncated
    to lie inside the field's domain.

    >>> from programma import mean_of
    >>> mean_of(Normal(1.0, 0.1))
    1.0
    >>> round(mean_of(Normal(0.0, 1.0, low=0.0)), 6)  # half-normal: sqrt(2 / pi)
    0.797885
    """

    mean: float = attrs.field(converter=as_float)
    sd: float = attrs.field(converter=as_float)
    low: float | None = attrs.field(default=None, converter=attrs.converters.optional(as_float))
    high: float | None = attrs.field(default=None, converter=attrs.converters.optional(as_float))

    def _problems(self) -> Iterator[Problem]:
        yield from finite("mean", self.mean)
        yield from at_least("sd", self.sd, 0.0)
        for name in ("low", "high"):
            bound = getattr(self, name)
            if bound is not None:
                yield from finite(name, bound)
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        if not all(map(is_number, (self.mean, self.sd, low, high))):
            return
        if high <= low:
            yield Problem("high", f"a number > low ({fmt_number(low)})", self.high)
        elif self.sd == 0.0 and not low <= self.mean <= high:
            yield Problem("mean", "a mean inside [low, high] when sd is 0", self.mean)
        elif self.sd > 0.0 and truncated_mass(self.mean, self.sd, low, high) < 1e-9:
            yield Problem(
                "low",
                "truncation bounds that keep a probability of at least 1e-9",
                (self.low, self.high),
            )


@attrs.frozen
class LogNormal(Checked):
    """Lognormal: the logarithm is normal with mean ``mu`` and standard deviation ``sigma``.

    >>> from programma import mean_of
    >>> round(mean_of(LogNormal(0.0, 0.5)), 6)  # exp(mu + sigma**2 / 2)
    1.133148
    """

    mu: float = attrs.field(converter=as_float)
    sigma: float = attrs.field(converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from finite("mu", self.mu)
        yield from at_least("sigma", self.sigma, 0.0)
        numbers = (self.mu, self.sigma)
        finite_numbers = all(is_number(x) and math.isfinite(x) for x in numbers)
        if finite_numbers and (self.sigma > 40 or self.mu + self.sigma**2 / 2 > _LOG_MAX):
            yield Problem(
                "mu", "mu + sigma²/2 ≤ 34.5 and sigma ≤ 40 (a mean of at most 1e15)", self.mu
            )


@attrs.frozen
class Beta(Checked):
    """Beta with shapes ``alpha`` and ``beta``, scaled from [0, 1] to ``[low, high]``.

    >>> from programma import mean_of
    >>> mean_of(Beta(2, 6))
    0.25
    """

    alpha: float = attrs.field(converter=as_float)
    beta: float = attrs.field(converter=as_float)
    low: float = attrs.field(default=0.0, converter=as_float)
    high: float = attrs.field(default=1.0, converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from at_least("alpha", self.alpha, 0.0, strict=True)
        yield from at_least("beta", self.beta, 0.0, strict=True)
        yield from finite("low", self.low)
        yield from finite("high", self.high)
        if is_number(self.low) and is_number(self.high) and not self.high > self.low:
            yield Problem("high", f"a number > low ({fmt_number(self.low)})", self.high)


@attrs.frozen
class Poisson(Checked):
    """Poisson counts with mean ``lam``.

    >>> from programma import mean_of
    >>> mean_of(Poisson(2.5))
    2.5
    """

    lam: float = attrs.field(converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        basic = list(at_least("lam", self.lam, 0.0))
        yield from basic
        if not basic and self.lam > MAX_POISSON_LAM:
            yield Problem("lam", "a mean of at most 1e9 (use a normal for larger counts)", self.lam)


_INTEGER_TYPES = (int, np.integer)
_FLOAT_TYPES = (float, np.floating)

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""A one-dimensional, read-only array of float64 values: how :class:`Samples` keeps its values."""

_SHOWN_VALUES = 5
"""Bad sample values that a problem shows by index before it counts the rest."""


def _is_sample_number(value: object) -> bool:
    """A real number, Python's or numpy's (not ``bool``, complex or a string)."""
    return isinstance(value, _INTEGER_TYPES + _FLOAT_TYPES) and not isinstance(
        value, bool | np.bool_
    )


def as_sample_values(values: object) -> object:
    """Sample values as a read-only float64 array of their own, whatever real numbers they are.

    A one-dimensional numpy array of integers or floats, or a list or tuple (or another ordered
    iterable) of Python or numpy real numbers, becomes a new array that cannot be written to:
    changing what was given afterwards changes nothing. Anything else is kept as given (a
    list or tuple as a tuple), for validation to report.

    >>> values = as_sample_values([1, 2.5])
    >>> values, values.flags.writeable
    (array([1. , 2.5]), False)
    """
    if isinstance(values, np.ndarray):
        if values.ndim == 1 and values.dtype.kind in "iuf":
            return _read_only(values.astype(np.float64))  # astype copies
        return values  # reported whole: a table, or values that are not real numbers
    if isinstance(values, str | bytes | Mapping | AbstractSet) or not isinstance(values, Iterable):
        return values  # text, a table, an unordered set or a single value: not a list
    items = values if isinstance(values, list | tuple) else tuple(values)
    # One pass over the types in C, then numpy converts: no Python loop over the values. The
    # types are checked first because numpy would turn True or "1.5" into a number.
    if all(map(_is_sample_kind, set(map(type, items)))):
        try:
            return _read_only(np.array(items, dtype=np.float64))
        except OverflowError:  # a Python integer beyond float's range, reported below
            pass
    return tuple(items)


def _read_only(array: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    array.flags.writeable = False
    return array


def _is_sample_kind(kind: type) -> bool:
    return issubclass(kind, _INTEGER_TYPES + _FLOAT_TYPES) and not issubclass(kind, bool | np.bool_)


def _is_finite_number(value: object) -> bool:
    """A real number that a float holds finitely (a huge Python integer does not)."""
    if not _is_sample_number(value):
        return False
    try:
        return math.isfinite(value)  # type: ignore[arg-type]
    except OverflowError:
        return False


def _bad_values(
    values: Sequence[object] | npt.NDArray[Any], bad: Sequence[int], kind: str
) -> object:
    """The first few bad values with their indexes, and how many more there are."""
    if len(bad) == 1:
        return described(f"{_shown(values[bad[0]])} at index {bad[0]}")
    listed = ", ".join(f"{_shown(values[i])} at index {i}" for i in bad[:_SHOWN_VALUES])
    rest = len(bad) - _SHOWN_VALUES
    more = f" and {rest:,} more" if rest > 0 else ""
    return described(f"{len(bad):,} values that are not {kind}: {listed}{more}")


def _shown(value: object) -> str:
    text = repr(float(value) if isinstance(value, np.floating) else value)
    return text if len(text) <= 40 else text[:37] + "..."


_ARRAY_KINDS = {
    "b": "true/false values",
    "c": "complex numbers",
    "O": "Python objects",
    "U": "text",
    "S": "bytes",
    "M": "dates",
    "m": "time spans",
}


def _same_values(a: object, b: object) -> bool:
    """Whether two ``Samples`` hold the same values (arrays compare value by value)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:  # values that validation refuses, held while a file is read
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


@attrs.frozen
class Samples(Checked):
    """Explicit values, one per scenario (scenario ``i`` takes ``values[i]``).

    Use it to feed draws from another model: a list of numbers or a one-dimensional numpy
    array of integers or floats. The values are kept as a read-only float64 array of the
    ``Samples``' own (a copy: changing the array given afterwards changes nothing), checked at
    numpy's speed, so that millions of values cost little; two ``Samples`` with the same
    values are equal, and a file keeps them exactly. In expected mode it takes the sample
    mean. A Monte Carlo run with more scenarios than values is refused rather than recycled.

    >>> from programma import mean_of
    >>> mean_of(Samples([1, 2, 6]))
    3.0
    >>> Samples(np.array([1, 2, 6])) == Samples([1.0, 2.0, 6.0])
    True
    >>> Samples([1, 2, 6]).values
    array([1., 2., 6.])
    """

    values: FloatArray = attrs.field(
        converter=as_sample_values, eq=attrs.cmp_using(eq=_same_values)
    )

    def __hash__(self) -> int:
        values: object = self.values
        if not isinstance(values, np.ndarray) or values.dtype != np.float64:
            return hash(Samples)  # values that validation refuses: equal or not, one hash
        # Adding 0.0 turns -0.0 into 0.0: the two are equal, so they must hash alike.
        return hash((Samples, (values + 0.0).tobytes()))

    def __reduce__(self) -> tuple[type[Samples], tuple[object]]:
        # Rebuilt through the constructor, so that a copy in another process is read-only too.
        return (Samples, (self.values,))

    def _problems(self) -> Iterator[Problem]:
        values: object = self.values
        if isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 1:
            if not values.size:
                yield Problem("values", "at least one value", [])
                return
            finite = np.isfinite(values)
            if not finite.all():  # only then the indexes are looked for
                yield Problem(
                    "values",
                    "finite numbers",
                    _bad_values(values, np.flatnonzero(~finite).tolist(), "finite"),
                )
            return
        if isinstance(values, np.ndarray):
            if values.ndim != 1:
                yield Problem(
                    "values",
                    "a list of numbers (one dimension)",
                    described(f"an array of shape {values.shape}"),
                )
            else:
                kind = _ARRAY_KINDS.get(values.dtype.kind, f"dtype {values.dtype}")
                yield Problem(
                    "values",
                    "a list of numbers (integers or floats)",
                    described(f"an array of {kind}"),
                )
            return
        if not isinstance(values, tuple):
            yield Problem("values", "a list of numbers", values)
            return
        if not values:
            yield Problem("values", "at least one value", [])
            return
        # Values that were not all real numbers: the slow path, taken only to report them.
        wrong = [i for i, value in enumerate(values) if not _is_sample_number(value)]
        if wrong:
            yield Problem(
                "values", "numbers (integers or floats)", _bad_values(values, wrong, "numbers")
            )
        infinite = [
            i
            for i, value in enumerate(values)
            if _is_sample_number(value) and not _is_finite_number(value)
        ]
        if infinite:
            yield Problem("values", "finite numbers", _bad_values(values, infinite, "finite"))


@attrs.frozen
class Ref(Checked):
    """A reference to a named programme parameter: ``factor × parameter + offset``.

    Every field that refers to the same parameter sees the same draw in a scenario; that is
    how a common shock (a recession hitting every employment outcome) is modelled.

    >>> from programma import mean_of
    >>> mean_of(Ref("shock", factor=0.5, offset=0.1), {"shock": Fixed(0.6)})
    0.4
    """

    name: str
    factor: float = attrs.field(default=1.0, converter=as_float)
    offset: float = attrs.field(default=0.0, converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("name", self.name)
        yield from finite("factor", self.factor)
        yield from finite("offset", self.offset)


WEIGHT_TOLERANCE = 1e-9
"""How far the weights of a :class:`Discrete` may sum from 1 (thirds written as decimals)."""


@attrs.frozen
class Discrete(Checked):
    """A value from a finite list: ``values[i]`` with probability ``weights[i]``.

    Weights are > 0 and sum to 1 (within :data:`WEIGHT_TOLERANCE`); weights that do not are
    refused with their sum, never normalised silently. Values may be listed in any order,
    each once. A Monte Carlo scenario takes one value, drawn by inverse CDF from one uniform
    (values in increasing order); expected mode takes the mean. As a time to outcome it puts
    each value's weight in the month ``⌊value⌋``.

    >>> from programma import mean_of, support_of
    >>> half_and_half = Discrete(values=(3, 15), weights=(0.5, 0.5))
    >>> mean_of(half_and_half), support_of(half_and_half)
    (9.0, (3.0, 15.0))
    """

    values: tuple[float, ...] = attrs.field(converter=as_floats)
    weights: tuple[float, ...] = attrs.field(converter=as_floats)

    def _problems(self) -> Iterator[Problem]:
        if not self.values:
            yield Problem("values", "at least one value", [])
        seen: set[float] = set()
        for index, value in enumerate(self.values):
            yield from finite(f"values[{index}]", value)
            if is_number(value) and value in seen:
                yield Problem(f"values[{index}]", "each value listed once", value)
            seen.add(value)
        if len(self.weights) != len(self.values):
            yield Problem(
                "weights",
                f"one weight per value ({len(self.values)})",
                described(f"{len(self.weights)} weights"),
            )
            return
        bad = False
        for index, weight in enumerate(self.weights):
            problems = list(at_least(f"weights[{index}]", weight, 0.0, strict=True))
            if weight == 0.0:
                problems = [Problem(f"weights[{index}]", "a weight > 0 (leave the value out)", 0.0)]
            bad = bad or bool(problems)
            yield from problems
        if not bad and self.weights:
            total = math.fsum(self.weights)
            if abs(total - 1.0) > WEIGHT_TOLERANCE:
                yield Problem(
                    "weights",
                    "weights that sum to 1",
                    described(f"weights summing to {total:.12g}"),
                )

    def cumulative(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The values in increasing order, and ``Pr(X ≤ value)`` at each (the last exactly 1).

        >>> Discrete((15, 3), (0.25, 0.75)).cumulative()
        ((3.0, 15.0), (0.75, 1.0))
        """
        pairs = sorted(zip(self.values, self.weights, strict=True))
        total = math.fsum(self.weights)
        running = [math.fsum(w for _, w in pairs[: i + 1]) / total for i in range(len(pairs))]
        running[-1] = 1.0
        return tuple(v for v, _ in pairs), tuple(running)


Scalar: TypeAlias = (
    Fixed
    | Uniform
    | Triangular
    | Pert
    | Normal
    | LogNormal
    | Beta
    | Poisson
    | Samples
    | Ref
    | Discrete
)
"""A distribution of one value per scenario."""

SCALAR_TYPES: tuple[type, ...] = (
    Fixed,
    Uniform,
    Triangular,
    Pert,
    Normal,
    LogNormal,
    Beta,
    Poisson,
    Samples,
    Ref,
    Discrete,
)


def _to_scalar(value: Scalar | float) -> Scalar:
    if isinstance(value, SCALAR_TYPES):
        return value  # type: ignore[return-value]
    if is_number(value):
        return Fixed(value)  # type: ignore[arg-type]
    raise TypeError(f"expected a number or a scalar distribution, got {value!r}")


YearlyInput: TypeAlias = Mapping[int, Scalar | float] | tuple[tuple[int, Scalar | float], ...]


def _to_path(value: YearlyInput) -> tuple[tuple[int, Scalar], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    pairs = [(year, _to_scalar(dist)) for year, dist in items]
    # Years that are not integers sort last and are reported by Yearly's own check.
    return tuple(
        sorted(pairs, key=lambda kv: (not _is_year(kv[0]), kv[0] if _is_year(kv[0]) else 0))
    )


def _is_year(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@attrs.frozen
class Yearly(Checked):
    """A yearly path: each listed (fiscal) year has its own distribution, drawn once per year.

    A value holds from its year until the next listed year; years before the first listed
    year take the first value.

    >>> from programma import mean_of
    >>> path = Yearly({2021: 0.02, 2025: Uniform(0.02, 0.04)})
    >>> [mean_of(path, year=y) for y in (2020, 2021, 2024, 2030)]
    [0.02, 0.02, 0.02, 0.03]
    """

    by_year: tuple[tuple[int, Scalar], ...] = attrs.field(converter=_to_path)

    def _problems(self) -> Iterator[Problem]:
        if not self.by_year:
            yield Problem("by_year", "at least one year", {})
        seen: set[int] = set()
        for year, _ in self.by_year:
            if not _is_year(year) or not 1900 <= year <= 2300:
                yield Problem(f"by_year[{year}]", "a year from 1900 to 2300", year)
            if year in seen:
                yield Problem(f"by_year[{year}]", "each year listed once", year)
            seen.add(year)

    def at(self, year: int) -> Scalar:
        """The distribution in force in ``year``.

        >>> Yearly({2021: 1, 2023: 2}).at(2022)
        Fixed(value=1.0)
        """
        current = self.by_year[0][1]
        for start, dist in self.by_year:
            if start > year:
                break
            current = dist
        return current


Distribution: TypeAlias = Scalar | Yearly
"""Any distribution: a scalar one or a yearly path."""


def to_distribution(value: Distribution | float) -> Distribution:
    """Turn a plain number into :class:`Fixed`; pass distributions through.

    >>> to_distribution(5)
    Fixed(value=5.0)
    """
    if isinstance(value, Yearly):
        return value
    return _to_scalar(value)


def describe(dist: Distribution, number: Callable[[float], str] = fmt_number) -> str:
    """A short human description, as messages show it (``normal(mean=0.4, sd=0.1)``).

    ``number`` writes each number (by default as messages do; an export passes one that
    writes them exactly).

    >>> describe(Normal(0.4, 0.1))
    'normal(mean=0.4, sd=0.1)'
    >>> describe(Fixed(2))
    '2'
    """
    if isinstance(dist, Fixed):
        return number(dist.value)
    if isinstance(dist, Samples):
        return f"samples({len(dist.values)} values)"
    if isinstance(dist, Yearly):
        return f"yearly({', '.join(str(year) for year, _ in dist.by_year)})"
    if isinstance(dist, Discrete):
        values, weights = (", ".join(map(number, xs)) for xs in (dist.values, dist.weights))
        return f"discrete(values=[{values}], weights=[{weights}])"
    fields = [
        f"{field.name}={number(value) if is_number(value) else repr(value)}"
        for field in attrs.fields(type(dist))
        if (value := getattr(dist, field.name)) is not None and value != field.default
    ]
    return f"{KIND_OF[type(dist)]}({', '.join(fields)})"


KIND_OF: dict[type, str] = {
    Fixed: "fixed",
    Uniform: "uniform",
    Triangular: "triangular",
    Pert: "pert",
    Normal: "normal",
    LogNormal: "lognormal",
    Beta: "beta",
    Poisson: "poisson",
    Samples: "samples",
    Ref: "parameter",
    Yearly: "yearly",
    Discrete: "discrete",
}
"""The name of each distribution in files (the value of its ``dist`` key)."""
