"""Distributions of uncertain quantities: their forms, means and supports.

A field that may be uncertain holds a :data:`Distribution`. A plain number given to such a field
becomes :class:`Fixed`. Every distribution knows its mean analytically (:func:`mean_of`) and the
interval it can take values in (:func:`support_of`), which is how a bounded field (a share in
[0, 1], an amount ≥ 0) refuses a distribution that could leave its domain.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    "mean_of",
    "support_of",
    "to_distribution",
]

_SQRT2 = math.sqrt(2.0)
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


@attrs.frozen
class Uniform(Checked):
    """Uniform on ``[low, high]``; ``low == high`` is allowed (degenerate).

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

    >>> mean_of(Triangular(0, 3, 6))
    3.0
    """


@attrs.frozen
class Pert(_ThreePoint):
    """PERT (a scaled beta) with ``low``, ``mode``, ``high`` and shape λ = 4.

    Its mean is ``(low + 4·mode + high) / 6``.

    >>> mean_of(Pert(800, 1000, 1500))
    1050.0
    """


@attrs.frozen
class Normal(Checked):
    """Normal with ``mean`` and standard deviation ``sd``, optionally truncated to ``[low, high]``.

    Truncation bounds are explicit: a bounded field accepts a normal only when it is truncated
    to lie inside the field's domain.

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
        elif self.sd > 0.0 and _truncated_mass(self.mean, self.sd, low, high) < 1e-9:
            yield Problem(
                "low",
                "truncation bounds that keep a probability of at least 1e-9",
                (self.low, self.high),
            )


@attrs.frozen
class LogNormal(Checked):
    """Lognormal: the logarithm is normal with mean ``mu`` and standard deviation ``sigma``.

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


def _normal_pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def normal_cdf(z: float) -> float:
    """Φ(z), the standard normal CDF, as ½·erfc(−z/√2): accurate far into the lower tail.

    The one scalar normal CDF of the package: the model's truncated normal needs it, and the
    uncertainty layer above (sampling, the pmf of a time to outcome) imports it from here.

    >>> normal_cdf(0.0)
    0.5
    >>> round(normal_cdf(1.959963984540054), 12)
    0.975
    """
    return 0.5 * math.erfc(-z / _SQRT2)


def _truncated_mass(mean: float, sd: float, low: float, high: float) -> float:
    """Pr(low ≤ X ≤ high) for X ~ N(mean, sd²), without cancellation in either tail."""
    a, b = (low - mean) / sd, (high - mean) / sd
    # Halving is exact, so ½·erfc(p) − ½·erfc(q) equals ½·(erfc(p) − erfc(q)) bit for bit; only a
    # subnormal term can tell them apart, and only in a mass far below the 1e-9 a Normal needs.
    if a > 0:  # upper tail: a difference of survival functions, Φ(−a) − Φ(−b)
        return normal_cdf(-a) - normal_cdf(-b)
    if b < 0:  # lower tail, by symmetry
        return normal_cdf(b) - normal_cdf(a)
    return 0.5 * (math.erf(b / _SQRT2) - math.erf(a / _SQRT2))


def _truncated_normal_mean(dist: Normal) -> float:
    if dist.sd == 0.0 or (dist.low is None and dist.high is None):
        return dist.mean
    alpha = -math.inf if dist.low is None else (dist.low - dist.mean) / dist.sd
    beta = math.inf if dist.high is None else (dist.high - dist.mean) / dist.sd
    mass = _truncated_mass(0.0, 1.0, alpha, beta)
    exponent = (
        math.inf if math.isinf(alpha) or math.isinf(beta) else (beta - alpha) * (beta + alpha)
    )
    if abs(exponent) < 1.0:  # φ(α) − φ(β) = −φ(α)·expm1(−(β − α)(β + α)/2): narrow intervals
        difference = -_normal_pdf(alpha) * math.expm1(-exponent / 2)
    else:
        pdf_alpha = 0.0 if math.isinf(alpha) else _normal_pdf(alpha)
        pdf_beta = 0.0 if math.isinf(beta) else _normal_pdf(beta)
        difference = pdf_alpha - pdf_beta
    value = dist.mean + dist.sd * difference / mass
    low = -math.inf if dist.low is None else dist.low
    high = math.inf if dist.high is None else dist.high
    return min(max(value, low), high)


def mean_of(
    dist: Distribution,
    parameters: Mapping[str, Distribution] | None = None,
    *,
    year: int | None = None,
) -> float:
    """The mean of ``dist``, analytically.

    Args:
        dist: The distribution.
        parameters: The programme's named parameters, to resolve :class:`Ref`.
        year: For a yearly path (directly or through a parameter), the year.

    Raises:
        KeyError: A :class:`Ref` names a parameter not in ``parameters``.
        ValueError: A yearly path is met without a ``year``.

    >>> mean_of(Triangular(0.3, 0.4, 0.8))
    0.5
    """
    match dist:
        case Fixed(value=value):
            return value
        case Uniform(low=low, high=high):
            return (low + high) / 2
        case Triangular(low=low, mode=mode, high=high) | Pert(low=low, mode=mode, high=high) if (
            low == high
        ):
            return low  # degenerate: exactly the value every draw takes
        case Triangular(low=low, mode=mode, high=high):
            return (low + mode + high) / 3
        case Pert(low=low, mode=mode, high=high):
            return (low + 4 * mode + high) / 6
        case Normal():
            return _truncated_normal_mean(dist)
        case LogNormal(mu=mu, sigma=sigma):
            return math.exp(mu + sigma * sigma / 2)
        case Beta(alpha=a, beta=b, low=low, high=high):
            return low + (high - low) * a / (a + b)
        case Poisson(lam=lam):
            return lam
        case Samples(values=values):
            low, high = float(values.min()), float(values.max())
            if low == high:
                return low  # exact: fsum(n copies) / n can round away from the value
            # The correctly rounded sum, as a list of floats: fsum runs in C, with no Python loop.
            return math.fsum(values.tolist()) / values.size
        case Discrete(values=values, weights=weights):
            if len(values) == 1:
                return values[0]  # exact: one value carries all the weight
            return math.fsum(v * w for v, w in zip(values, weights, strict=True)) / math.fsum(
                weights
            )
        case Ref(name=name, factor=factor, offset=offset):
            if parameters is None or name not in parameters:
                raise KeyError(f"unknown parameter {name!r}")
            if _refers(parameters[name]):
                raise ValueError(f"parameter {name!r} refers to another parameter")
            return factor * mean_of(parameters[name], parameters, year=year) + offset
        case Yearly():
            if year is None:
                raise ValueError("a yearly path needs a year to have a mean")
            return mean_of(dist.at(year), parameters, year=year)
    raise TypeError(f"not a distribution: {dist!r}")  # pragma: no cover


def support_of(
    dist: Distribution, parameters: Mapping[str, Distribution] | None = None
) -> tuple[float, float] | None:
    """The smallest interval holding every value ``dist`` can take.

    Returns ``None`` when it cannot be known (a reference to a parameter that is not given).

    >>> support_of(Normal(0.4, 0.1))
    (-inf, inf)
    >>> support_of(Ref("p", factor=-2, offset=1), {"p": Uniform(0, 1)})
    (-1.0, 1.0)
    """
    match dist:
        case Fixed(value=value):
            return (value, value)
        case (
            Uniform(low=low, high=high)
            | Triangular(low=low, high=high)
            | Pert(low=low, high=high)
            | Beta(low=low, high=high)
        ):
            return (low, high)
        case Normal(low=low, high=high):
            return (-math.inf if low is None else low, math.inf if high is None else high)
        case LogNormal(mu=mu, sigma=sigma) if sigma == 0:  # all its mass at e^mu
            return (math.exp(mu), math.exp(mu))
        case LogNormal():
            return (0.0, math.inf)
        case Poisson():
            return (0.0, math.inf)
        case Samples(values=values):
            if not (isinstance(values, np.ndarray) and values.dtype == np.float64 and values.size):
                return None  # values that are not numbers: the distribution's own problem
            return (float(values.min()), float(values.max()))
        case Discrete(values=values):
            return (min(values), max(values)) if values else None
        case Ref(name=name, factor=factor, offset=offset):
            if parameters is None or name not in parameters or _refers(parameters[name]):
                return None  # unknown, or a reference itself: reported by the programme
            inner = support_of(parameters[name], parameters)
            if inner is None:
                return None
            ends = [_affine(factor, bound, offset) for bound in inner]
            return (min(ends), max(ends))
        case Yearly(by_year=by_year):
            parts = [support_of(d, parameters) for _, d in by_year]
            if not parts or any(part is None for part in parts):
                return None
            return (min(p[0] for p in parts if p), max(p[1] for p in parts if p))
    raise TypeError(f"not a distribution: {dist!r}")  # pragma: no cover


def _refers(dist: Distribution) -> bool:
    """Whether ``dist`` is, or holds, a reference to a parameter."""
    if isinstance(dist, Yearly):
        return any(isinstance(inner, Ref) for _, inner in dist.by_year)
    return isinstance(dist, Ref)


def _affine(factor: float, bound: float, offset: float) -> float:
    if factor == 0.0:
        return offset
    return factor * bound + offset


def is_yearly(dist: Distribution, parameters: Mapping[str, Distribution] | None = None) -> bool:
    """Whether ``dist`` is a yearly path, directly or through the parameter it refers to."""
    if isinstance(dist, Yearly):
        return True
    if isinstance(dist, Ref) and parameters is not None and dist.name in parameters:
        return isinstance(parameters[dist.name], Yearly)
    return False


def describe(dist: Distribution) -> str:
    """A short human description, as messages show it (``normal(mean=0.4, sd=0.1)``).

    >>> describe(Normal(0.4, 0.1))
    'normal(mean=0.4, sd=0.1)'
    >>> describe(Fixed(2))
    '2'
    """
    if isinstance(dist, Fixed):
        return fmt_number(dist.value)
    if isinstance(dist, Samples):
        return f"samples({len(dist.values)} values)"
    if isinstance(dist, Yearly):
        return f"yearly({', '.join(str(year) for year, _ in dist.by_year)})"
    if isinstance(dist, Discrete):
        values, weights = (", ".join(map(fmt_number, xs)) for xs in (dist.values, dist.weights))
        return f"discrete(values=[{values}], weights=[{weights}])"
    fields = [
        f"{field.name}={fmt_number(value) if is_number(value) else repr(value)}"
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


@attrs.frozen
class Domain:
    """The values a field may take: ``[low, high]``, or ``(low, high]`` when ``open_low``.

    ``limit`` bounds the values a distribution with a finite support may reach (a fixed
    number, a uniform, a truncated normal); a distribution without an upper end (lognormal,
    Poisson) is judged by ``high`` alone, and the engine reports a run it drives past what
    floating point holds.
    """

    low: float
    high: float
    open_low: bool = False
    limit: float = MAX_MAGNITUDE

    @property
    def phrase(self) -> str:
        """The domain in words, as messages show it.

        >>> Domain(0.0, 1.0).phrase
        'in [0, 1]'
        >>> Domain(-1.0, math.inf, open_low=True).phrase
        '> −1'
        """
        if self.high == math.inf:
            return f"{'>' if self.open_low else '≥'} {fmt_number(self.low).replace('-', '−')}"
        bracket = "(" if self.open_low else "["
        return f"in {bracket}{fmt_number(self.low)}, {fmt_number(self.high)}]"

    def holds(self, low: float, high: float) -> bool:
        """Whether every value in ``[low, high]`` lies in the domain."""
        above = low > self.low if self.open_low else low >= self.low
        return above and high <= self.high

    def beyond_limit(self, high: float) -> bool:
        """Whether a finite upper end ``high`` lies past :attr:`limit`."""
        return math.isfinite(high) and high > self.limit


MAX_RATE = 1.0
"""The largest finite value a yearly rate (indexation, a price index) may take: 100% a year."""

NON_NEGATIVE = Domain(0.0, math.inf)
SHARE = Domain(0.0, 1.0)
RATE = Domain(-1.0, math.inf, open_low=True, limit=MAX_RATE)


def _mean_beyond(
    dist: Distribution, parameters: Mapping[str, Distribution] | None, limit: float
) -> bool:
    """Whether the mean of ``dist`` (of any year of a yearly path) exceeds ``limit``."""
    values = [value for _, value in dist.by_year] if isinstance(dist, Yearly) else [dist]
    try:
        return any(mean_of(value, parameters) > limit for value in values)
    except (KeyError, TypeError, ValueError):  # a reference the programme reports itself
        return False


def within(
    path: str,
    dist: Distribution,
    domain: Domain,
    parameters: Mapping[str, Distribution] | None = None,
    *,
    yearly: bool = False,
) -> Iterator[Problem]:
    """Problems if ``dist`` can take a value outside ``domain`` (or is yearly where not allowed).

    A reference to a parameter that is not given is not judged here (the programme reports it).

    >>> for problem in within("price", Normal(100, 10), NON_NEGATIVE):
    ...     print(problem)  # doctest: +NORMALIZE_WHITESPACE
    price: expected a distribution whose values stay ≥ 0 (truncate it explicitly with
    low/high), got normal(mean=100, sd=10), which ranges over (−∞, ∞)
    """
    if not yearly and is_yearly(dist, parameters):
        yield Problem(
            path,
            "a distribution of one value per scenario (yearly paths are for indexation rates)",
            described(describe(dist)),
        )
        return
    support = support_of(dist, parameters)
    if support is None or math.isnan(support[0]) or math.isnan(support[1]):
        return  # NaN in the distribution itself is its own field's problem
    if domain.holds(*support):
        # a number past the limit in the distribution itself is its own field's problem
        own = support[1] > MAX_MAGNITUDE and not _refers(dist)
        limit = fmt_number(domain.limit)
        rate = domain is RATE
        if domain.beyond_limit(support[1]) and not own:
            given = dist.value if isinstance(dist, Fixed) else described(describe(dist))
            yield Problem(
                path,
                f"values of at most {limit}"
                + (" (100% a year)" if rate else " (the limit on any number in a programme)"),
                given,
            )
        elif rate and math.isinf(support[1]) and _mean_beyond(dist, parameters, domain.limit):
            # Unbounded above, it may exceed the limit in a scenario; on average it may not,
            # as its expected mode (every distribution at its mean) would be refused.
            yield Problem(
                path,
                f"a distribution whose mean is at most {limit} (100% a year)",
                described(describe(dist)),
            )
        return
    if isinstance(dist, Fixed):
        yield Problem(path, f"a number {domain.phrase}", dist.value)
        return
    low, high = (fmt_number(bound) for bound in support)
    hint = "" if isinstance(dist, Discrete) else " (truncate it explicitly with low/high)"
    yield Problem(
        path,
        f"a distribution whose values stay {domain.phrase}{hint}",
        described(f"{describe(dist)}, which ranges over ({low}, {high})"),
    )


def bounded(domain: Domain, *, yearly: bool = False) -> dict[str, object]:
    """Field metadata for a distribution field whose values must stay in ``domain``.

    Use as ``attrs.field(converter=to_distribution, metadata=bounded(SHARE))``.
    """

    def check(
        path: str, value: Distribution, parameters: Mapping[str, Distribution] | None
    ) -> Iterator[Problem]:
        return within(path, value, domain, parameters, yearly=yearly)

    return {"check": check, "domain": domain, "yearly": yearly}
