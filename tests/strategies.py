"""Hypothesis strategies that build whole valid programmes, and the pieces they are made of.

Every strategy constructs valid values directly instead of filtering: ids are unique by
construction, dates are firsts of months inside the horizon, shares and cost weights are built
from whole parts so that they sum to 1 (to well within the model's 1e-9), and a bounded field
only gets distributions whose support stays inside its domain (a share gets bounded or
explicitly truncated distributions, never a plain normal).

The programmes are small (2-6 years, a handful of entities) so that property tests of the
engine stay fast. The entry point is :func:`programmes`; its keyword knobs narrow what is built
(how many contracts, which financing modes, which distribution kinds, how many values a
``samples`` distribution holds). The building blocks (:func:`distributions`, :func:`contracts`,
…) take a :class:`Frame`, the programme's time frame and named parameters, and the ids of the
entities they may refer to.

Ids carry a prefix per collection followed by a number (``s0``, ``c1_x.y``), so that an id is
unique across the whole programme, not only within its collection.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from programma import (
    Action,
    Advance,
    AdvanceFinancing,
    AdvanceWindow,
    Area,
    Beta,
    CapExcess,
    Comparison,
    CostProfile,
    Decision,
    Discrete,
    Distribution,
    Engagement,
    Enrolment,
    EnrolmentWindow,
    ExperienceKind,
    Financing,
    FinancingMode,
    Fixed,
    Fund,
    FundKind,
    FundShare,
    Gate,
    GateCondition,
    GateMeasure,
    Initiative,
    Interest,
    InterestScale,
    InvestorFinancing,
    LogNormal,
    Normal,
    OutcomeContract,
    OutcomeMetric,
    Parameter,
    PayerShare,
    Pert,
    Phase,
    PhaseKind,
    Poisson,
    Prefinancing,
    Programme,
    ProviderFinancing,
    Ref,
    Role,
    Samples,
    Schedule,
    Stakeholder,
    StakeholderKind,
    Triangular,
    UnearnedAdvance,
    Uniform,
    ValidationError,
    Yearly,
    mean_of,
    project,
    support_of,
)

__all__ = [
    "ALL_KINDS",
    "DOMAINS",
    "Frame",
    "areas",
    "contracts",
    "decisions",
    "distributions",
    "engagements",
    "enrolments",
    "financing_gates",
    "financings",
    "frames",
    "funds",
    "gates",
    "hard_programmes",
    "ids",
    "in_domain",
    "initiatives",
    "interests",
    "metrics",
    "numbers",
    "parameters",
    "payers",
    "phases",
    "programmes",
    "rrules",
    "shares",
    "stakeholders",
    "texts",
    "weights",
]

T = TypeVar("T")

DOMAINS: dict[str, tuple[float, float]] = {
    "any": (-math.inf, math.inf),
    "non_negative": (0.0, math.inf),
    "share": (0.0, 1.0),
    "rate": (-1.0, math.inf),  # open at -1: a rate must stay above -100 %
}
"""The domains of the model's bounded fields, by name, as ``(low, high)``."""

_OPEN_LOW = frozenset({"rate"})
_LIMITS = {"rate": 1.0}  # a rate's finite values stay at most 100 % a year

_SCALES: dict[str, tuple[float, float]] = {
    "any": (-100.0, 100.0),
    "non_negative": (0.0, 1_000.0),
    "share": (0.0, 1.0),
    "rate": (-0.02, 0.06),
}
"""The range values are usually drawn from in each domain (a strategy may pass its own)."""

ALL_KINDS: tuple[str, ...] = (
    "fixed",
    "uniform",
    "triangular",
    "pert",
    "normal",
    "lognormal",
    "beta",
    "poisson",
    "samples",
    "parameter",
    "yearly",
    "discrete",
)
"""Every distribution kind, by its name in files (``fixed`` is always available as fallback)."""

# Typical ranges of the model's distribution fields.
PRICE = (0.0, 20_000.0)
COMMITMENT = (0.0, 2_000_000.0)
TIME_TO_OUTCOME = (0.0, 18.0)
DELAY = (0.0, 6.0)
OVERRUN = (0.8, 1.5)
PER_MONTH = (0.0, 40.0)
TOTAL = (0.0, 400.0)
VALUE = (0.0, 50_000.0)
RATE = (-0.02, 0.06)
SHARE = (0.0, 1.0)

_AFFINE: tuple[tuple[float, float], ...] = (
    (1.0, 0.0),
    (0.5, 0.0),
    (2.0, 0.0),
    (0.5, 0.25),
    (0.25, 0.5),
    (-1.0, 1.0),
    (1.0, -0.5),
    (1.0, 10.0),
    (0.0, 0.5),
)
"""``(factor, offset)`` pairs for parameter references: dyadic, so the support is exact."""

_WORDS = (
    "Gemeente Leeuwarden",
    "Werkfit",
    "Bilgaard",
    "Heechterp-Schieringen",
    "Resultatenfonds",
    "Schuldhulp",
    "A safe street for every child",
    "Paid work for six months",
)
_ID_TAILS = ("x", "A.b-9", "_", "z..-", "0-0")


# -- small values ------------------------------------------------------------------------------


def in_domain(domain: str, support: tuple[float, float] | None) -> bool:
    """Whether every value in ``support`` lies in the named domain (as the model judges it)."""
    if support is None:
        return False
    low, high = DOMAINS[domain]
    above = support[0] > low if domain in _OPEN_LOW else support[0] >= low
    limit = _LIMITS.get(domain, 1e15)  # a finite upper end must stay within the limit
    return above and support[1] <= high and (support[1] == math.inf or support[1] <= limit)


@functools.lru_cache(maxsize=1024)
def numbers(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in ``[low, high]`` (no subnormals)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@functools.cache
def texts(max_size: int = 8) -> st.SearchStrategy[str]:
    """Non-blank text: mostly plain words, sometimes any Unicode (never lone surrogates)."""
    return st.one_of(
        st.sampled_from(_WORDS),
        st.sampled_from(_WORDS),
        st.text(min_size=1, max_size=max_size).filter(str.strip),
    )


@functools.cache
def ids(prefix: str, index: int) -> st.SearchStrategy[str]:
    """An id made unique by ``prefix`` and ``index``, sometimes with a tail of id characters."""
    head = f"{prefix}{index}"
    return st.sampled_from([head, head, head, *(f"{head}_{tail}" for tail in _ID_TAILS)])


@functools.lru_cache(maxsize=1024)
def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


def _subset(
    values: Sequence[T], max_size: int = 3, min_size: int = 0
) -> st.SearchStrategy[tuple[T, ...]]:
    return _subset_of(tuple(values), min_size, max_size)


@functools.lru_cache(maxsize=1024)
def _subset_of(
    values: tuple[T, ...], min_size: int, max_size: int
) -> st.SearchStrategy[tuple[T, ...]]:
    if not values:
        return st.just(())
    size = min(max_size, len(values))
    return st.lists(
        st.sampled_from(values), unique=True, min_size=min(min_size, size), max_size=size
    ).map(tuple)


def _one_of(values: Iterable[T]) -> st.SearchStrategy[T]:
    return _sampled(tuple(values))


@functools.lru_cache(maxsize=1024)
def _sampled(values: tuple[T, ...]) -> st.SearchStrategy[T]:
    return st.sampled_from(values)


@st.composite
def shares(draw: st.DrawFn, count: int) -> tuple[float, ...]:
    """``count`` shares in (0, 1] whose ``math.fsum`` is 1 to within rounding (≪ 1e-9).

    Each share is a whole number of parts of a common denominator.
    """
    if count == 1:
        return (1.0,)
    denominator = count * draw(_one_of([1, 3, 10, 64, 100]))
    cuts = sorted(draw(_cuts(denominator, count - 1)))
    bounds = [0, *cuts, denominator]
    return tuple((b - a) / denominator for a, b in itertools.pairwise(bounds))


@functools.lru_cache(maxsize=1024)
def _cuts(denominator: int, count: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, denominator - 1), unique=True, min_size=count, max_size=count)


@functools.lru_cache(maxsize=1024)
def _whole_parts(count: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, 10), min_size=count, max_size=count)


@st.composite
def weights(draw: st.DrawFn, count: int) -> tuple[float, ...]:
    """``count`` weights ≥ 0 (some may be 0) whose ``math.fsum`` is 1 to within rounding."""
    parts = draw(_whole_parts(count))
    if not any(parts):
        parts[draw(st.integers(0, count - 1))] = 1
    total = sum(parts)
    return tuple(part / total for part in parts)


def rrules(months: Collection[int] = range(1, 13)) -> st.SearchStrategy[str]:
    """RFC 5545 rules accepted as payment schedules (YEARLY, MONTHLY, WEEKLY or DAILY).

    ``months`` are the calendar months (1-12) the contract and its run-off span: a rule must
    pay in at least one of them, so rules that name months name one of these.
    """
    spanned = sorted(set(months))
    options = [
        st.builds(
            lambda n, month_end: f"FREQ=MONTHLY;INTERVAL={n}" + (";BYMONTHDAY=-1" * month_end),
            st.integers(1, 12),
            st.booleans(),
        ),
        st.sampled_from(spanned).map(lambda month: f"FREQ=YEARLY;BYMONTH={month}"),
        st.integers(1, 13).map(lambda n: f"FREQ=WEEKLY;INTERVAL={n}"),
        st.integers(1, 120).map(lambda n: f"FREQ=DAILY;INTERVAL={n}"),
    ]
    if {3, 6, 9, 12} & set(spanned):
        options.append(st.just("FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"))
    return st.one_of(options)


# -- time --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Frame:
    """A programme's time frame and named parameters: what every building block needs."""

    start: dt.date
    horizon_years: int | None
    fiscal_year_start_month: int = 1
    parameters: Mapping[str, Distribution] = dataclasses.field(default_factory=dict)
    horizon_months: int | None = None

    @property
    def months(self) -> int:
        """The number of months in the horizon (T)."""
        if self.horizon_months is not None:
            return self.horizon_months
        assert self.horizon_years is not None
        return 12 * self.horizon_years

    def month(self, index: int) -> dt.date:
        """The first of the month ``index`` months after the start (may be negative)."""
        position = self.start.year * 12 + self.start.month - 1 + index
        return dt.date(position // 12, position % 12 + 1, 1)

    def fiscal_year(self, month: dt.date) -> int:
        """The fiscal year ``month`` falls in, labelled by the calendar year it starts in."""
        return month.year if month.month >= self.fiscal_year_start_month else month.year - 1

    @property
    def fiscal_years(self) -> tuple[int, ...]:
        """Every fiscal year the horizon touches."""
        first = self.fiscal_year(self.start)
        last = self.fiscal_year(self.month(self.months - 1))
        return tuple(range(first, last + 1))


_FISCAL_MONTHS = st.sampled_from([1, 4, 7, 10]) | st.integers(1, 12)
_RARELY = st.sampled_from([False, False, False, True])
_SPREADS = st.sampled_from([0.0, 0.1, 0.5, 1.0]) | st.floats(0.01, 2.0)


@st.composite
def frames(draw: st.DrawFn, min_years: int = 2, max_years: int = 6) -> Frame:
    """A start (first of a month), a horizon and a fiscal-year start month.

    A quarter of the horizons are given in months (any count in the same range), so that
    the last fiscal year is often partial.
    """
    year = draw(st.integers(2015, 2035))
    month = draw(st.integers(1, 12))
    in_months = draw(_RARELY)
    return Frame(
        start=dt.date(year, month, 1),
        horizon_years=None if in_months else draw(st.integers(min_years, max_years)),
        fiscal_year_start_month=draw(_FISCAL_MONTHS),
        horizon_months=draw(st.integers(12 * min_years, 12 * max_years)) if in_months else None,
    )


# -- distributions -----------------------------------------------------------------------------


def _pair(draw: st.DrawFn, low: float, high: float) -> tuple[float, float]:
    a, b = sorted((draw(numbers(low, high)), draw(numbers(low, high))))
    return a, b


def _strict_pair(draw: st.DrawFn, low: float, high: float) -> tuple[float, float]:
    a, b = _pair(draw, low, high)
    if a == b:  # make room by moving one end to the edge of the range
        if a < high:
            b = high
        else:
            a = low
    return a, b


def _normal(draw: st.DrawFn, domain: str, low: float, high: float) -> Normal:
    dlow, dhigh = DOMAINS[domain]
    truncate_low = dlow > -math.inf or draw(st.booleans())
    truncate_high = dhigh < math.inf or draw(st.booleans())
    spread = draw(_SPREADS)
    if truncate_low and truncate_high:
        # the mean lies between the bounds and sd ≤ 2 × their distance: the truncated normal
        # keeps at least Pr(0 ≤ Z ≤ 0.5) ≈ 0.19 of its mass
        bottom, top = _strict_pair(draw, low, high)
        mean = draw(numbers(bottom, top))
        return Normal(mean, spread * (top - bottom), low=bottom, high=top)
    sd = spread * (high - low)
    if truncate_low:
        bottom = draw(numbers(low, high))
        return Normal(draw(numbers(bottom, high)), sd, low=bottom)
    if truncate_high:
        top = draw(numbers(low, high))
        return Normal(draw(numbers(low, top)), sd, high=top)
    return Normal(draw(numbers(low, high)), sd)


def _reference(
    draw: st.DrawFn, domain: str, parameters: Mapping[str, Distribution], *, yearly: bool
) -> Ref | None:
    names = sorted(
        name
        for name, dist in parameters.items()
        if (yearly or not isinstance(dist, Yearly)) and _fits(domain, Ref(name), parameters)
    )
    if not names:
        return None
    name = draw(_one_of(names))
    factor, offset = draw(_one_of(_AFFINE))
    scaled = Ref(name, factor, offset)
    return scaled if _fits(domain, scaled, parameters) else Ref(name)


def _fits(domain: str, reference: Ref, parameters: Mapping[str, Distribution]) -> bool:
    """Whether a reference's values stay in the domain, and a rate unbounded above on average."""
    support = support_of(reference, parameters)
    if not in_domain(domain, support):
        return False
    if domain != "rate" or support is None or support[1] != math.inf:
        return True
    try:
        return bool(mean_of(reference, parameters) <= _LIMITS["rate"])
    except (KeyError, TypeError, ValueError):  # a yearly parameter: judged year by year
        return True


@st.composite
def _scalars(
    draw: st.DrawFn,
    domain: str,
    scale: tuple[float, float],
    parameters: Mapping[str, Distribution],
    kinds: Collection[str],
    samples_size: int | None,
    yearly_refs: bool,
) -> Distribution:
    low, high = scale
    unbounded_above = DOMAINS[domain][1] == math.inf
    available = [
        kind
        for kind in ALL_KINDS
        if kind in kinds
        and kind != "yearly"
        and (unbounded_above or kind not in ("lognormal", "poisson"))
        and (kind != "parameter" or parameters)
    ]
    kind = draw(_one_of(available)) if available else "fixed"
    if kind == "uniform":
        return Uniform(*_pair(draw, low, high))
    if kind in ("triangular", "pert"):
        a, b, c = sorted(draw(numbers(low, high)) for _ in range(3))
        return (Triangular if kind == "triangular" else Pert)(a, b, c)
    if kind == "normal":
        return _normal(draw, domain, low, high)
    if kind == "lognormal":
        top = math.log(max(high, 1e-3))
        return LogNormal(draw(numbers(top - 3, top)), draw(numbers(0.0, 0.5)))
    if kind == "beta":
        alpha, beta = draw(numbers(0.5, 8.0)), draw(numbers(0.5, 8.0))
        if low <= 0 and high >= 1 and draw(st.booleans()):
            return Beta(alpha, beta)
        return Beta(alpha, beta, *_strict_pair(draw, low, high))
    if kind == "poisson":
        return Poisson(draw(numbers(0.0, max(high, 0.0))))
    if kind == "samples":
        size = samples_size if samples_size is not None else draw(st.integers(1, 4))
        return Samples([draw(numbers(low, high)) for _ in range(size)])
    if kind == "discrete":
        count = draw(st.integers(1, 3))
        points = draw(st.lists(numbers(low, high), unique=True, min_size=count, max_size=count))
        return Discrete(points, draw(shares(count)))
    if kind == "parameter":
        reference = _reference(draw, domain, parameters, yearly=yearly_refs)
        if reference is not None:
            return reference
    return Fixed(draw(numbers(low, high)))


def distributions(
    domain: str = "any",
    *,
    scale: tuple[float, float] | None = None,
    parameters: Mapping[str, Distribution] | None = None,
    yearly: bool = False,
    years: Sequence[int] = (2021, 2022, 2023, 2024),
    kinds: Collection[str] = ALL_KINDS,
    samples_size: int | None = None,
) -> st.SearchStrategy[Distribution]:
    """Distributions whose values stay in ``domain``: any, non_negative, share or rate.

    Args:
        domain: The field's domain; bounded domains get bounded or explicitly truncated forms.
        scale: The range ordinary values are drawn from (inside the domain).
        parameters: Named parameters a ``parameter`` reference may name (only those whose
            support, scaled, stays in the domain).
        yearly: Whether yearly paths (and references to yearly parameters) are allowed, as in
            indexation fields; ``years`` are the years a path may list.
        kinds: The kinds to draw from (names as in files); ``fixed`` is the fallback.
        samples_size: How many values a ``samples`` distribution holds (default 1-4). A Monte
            Carlo run of n scenarios needs at least n, or leave ``samples`` out of ``kinds``.
    """
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; expected one of {', '.join(DOMAINS)}")
    return _distributions(
        domain,
        _SCALES[domain] if scale is None else tuple(scale),
        tuple(sorted((parameters or {}).items())),
        yearly,
        tuple(sorted(set(years))),
        tuple(kind for kind in ALL_KINDS if kind in kinds),
        samples_size,
    )


@functools.lru_cache(maxsize=1024)
def _distributions(
    domain: str,
    scale: tuple[float, float],
    named: tuple[tuple[str, Distribution], ...],
    yearly: bool,
    years: tuple[int, ...],
    kinds: tuple[str, ...],
    samples_size: int | None,
) -> st.SearchStrategy[Distribution]:
    known = dict(named)
    scalar = _scalars(domain, scale, known, kinds, samples_size, yearly)
    if not (yearly and "yearly" in kinds and years):
        return scalar
    inner = _scalars(domain, scale, known, kinds, samples_size, False)
    return st.one_of(scalar, _yearly(years, inner))


@st.composite
def _yearly(
    draw: st.DrawFn, years: tuple[int, ...], inner: st.SearchStrategy[Distribution]
) -> Yearly:
    chosen = draw(_subset(years, max_size=3, min_size=1))
    return Yearly({year: draw(inner) for year in chosen})


@st.composite
def parameters(
    draw: st.DrawFn,
    frame: Frame,
    *,
    max_size: int = 3,
    kinds: Collection[str] = ALL_KINDS,
    samples_size: int | None = None,
) -> tuple[Parameter, ...]:
    """Named parameters: shares, amounts, rates (some yearly) and unbounded quantities."""
    found = []
    for index in range(draw(st.integers(0, max_size))):
        flavour = draw(_one_of(["share", "non_negative", "rate", "any"]))
        scale = (0.0, 10.0) if flavour == "non_negative" else None
        dist = draw(
            distributions(
                flavour,
                scale=scale,
                yearly=flavour == "rate",
                years=frame.fiscal_years,
                kinds=[kind for kind in kinds if kind != "parameter"],
                samples_size=samples_size,
            )
        )
        found.append(Parameter(draw(ids("p", index)), dist, draw(_optional(texts()))))
    return tuple(found)


# -- people and places -------------------------------------------------------------------------


@st.composite
def areas(draw: st.DrawFn, index: int) -> Area:
    """An area, with or without an official code and a population."""
    code = st.integers(0, 999_999).map(lambda n: f"WK{n:06d}")
    return Area(
        id=draw(ids("a", index)),
        name=draw(texts()),
        code=draw(_optional(code)),
        population=draw(_optional(st.integers(0, 50_000))),
    )


@st.composite
def phases(
    draw: st.DrawFn, frame: Frame, *, max_sequential: int = 4, max_parallel: int = 2
) -> tuple[Phase, ...]:
    """Phases one after another (gaps allowed), then some marked parallel that may overlap."""
    count = draw(st.integers(0, min(max_sequential, frame.months)))
    starts = sorted(draw(_subset(range(frame.months), max_size=count, min_size=count)))
    spans = []
    for position, first in enumerate(starts):
        limit = starts[position + 1] - 1 if position + 1 < count else frame.months - 1
        spans.append((first, draw(st.integers(first, limit)), draw(_RARELY)))
    for _ in range(draw(st.integers(0, max_parallel))):
        first = draw(st.integers(0, frame.months - 1))
        spans.append((first, draw(st.integers(first, frame.months - 1)), True))
    return tuple(
        Phase(
            id=draw(ids("ph", index)),
            name=draw(texts()),
            kind=draw(_one_of(PhaseKind)),
            start=frame.month(first),
            end=frame.month(last),
            parallel=parallel,
        )
        for index, (first, last, parallel) in enumerate(spans)
    )


@st.composite
def stakeholders(draw: st.DrawFn, index: int) -> Stakeholder:
    """A stakeholder of any kind."""
    return Stakeholder(
        id=draw(ids("s", index)),
        name=draw(texts()),
        kind=draw(_one_of(StakeholderKind)),
        description=draw(_optional(texts())),
    )


@st.composite
def interests(
    draw: st.DrawFn, index: int, *, stakeholders: Sequence[str], areas: Sequence[str] = ()
) -> Interest:
    """A stakeholder's interest at any scale, with a priority and perhaps areas."""
    return Interest(
        id=draw(ids("in", index)),
        stakeholder=draw(_one_of(stakeholders)),
        description=draw(texts()),
        scale=draw(_one_of(InterestScale)),
        priority=draw(st.integers(1, 5)),
        areas=draw(_subset(areas)),
    )


@st.composite
def engagements(
    draw: st.DrawFn, index: int, *, stakeholders: Sequence[str], phases: Sequence[str]
) -> Engagement:
    """A stakeholder's role in a phase; lived-experience experts usually say how."""
    role = draw(_one_of(Role))
    lived = role is Role.LIVED_EXPERIENCE_EXPERT and draw(st.booleans())
    experience = (
        draw(_one_of(ExperienceKind)) if lived else draw(_optional(_one_of(ExperienceKind)))
    )
    subject = draw(_optional(texts())) if experience is not None else None
    return Engagement(
        id=draw(ids("e", index)),
        stakeholder=draw(_one_of(stakeholders)),
        phase=draw(_one_of(phases)),
        role=role,
        reason=draw(_optional(texts())),
        question=draw(texts()) if lived else draw(_optional(texts())),
        concrete_role=draw(texts()) if lived else draw(_optional(texts())),
        experience=experience,
        experience_subject=subject,
    )


# -- money -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _year_amounts(years: tuple[int, ...], high: float) -> st.SearchStrategy[dict[int, float]]:
    return st.dictionaries(_one_of(years), numbers(0.0, high), max_size=len(years))


@st.composite
def funds(draw: st.DrawFn, frame: Frame, index: int, *, owners: Sequence[str]) -> Fund:
    """A fund of any kind with amounts for some fiscal years, with or without carry-over."""
    return Fund(
        id=draw(ids("f", index)),
        name=draw(texts()),
        kind=draw(_one_of(FundKind)),
        owner=draw(_one_of(owners)),
        amounts=draw(_year_amounts(frame.fiscal_years, 1_000_000.0)),
        carry_over=draw(st.booleans()),
    )


@st.composite
def initiatives(
    draw: st.DrawFn,
    frame: Frame,
    index: int,
    *,
    owners: Sequence[str],
    funds: Sequence[str] = (),
    areas: Sequence[str] = (),
    interests: Sequence[str] = (),
    kinds: Collection[str] = ALL_KINDS,
    samples_size: int | None = None,
) -> Initiative:
    """An initiative inside the horizon, paid by some of ``funds`` (shares summing to 1).

    With no ``funds`` it lists none: a contract must then name it among its initiatives.
    """
    first = draw(st.integers(0, frame.months - 1))
    duration = draw(st.integers(1, min(frame.months - first, 36)))
    profile = draw(_one_of(CostProfile))
    paid_by = draw(_subset(funds, max_size=3, min_size=1))
    fund_shares = draw(shares(len(paid_by))) if paid_by else ()
    options: dict[str, Any] = {
        "parameters": frame.parameters,
        "kinds": kinds,
        "samples_size": samples_size,
    }
    return Initiative(
        id=draw(ids("i", index)),
        name=draw(texts()),
        owner=draw(_one_of(owners)),
        commitment=draw(distributions("non_negative", scale=COMMITMENT, **options)),
        start=frame.month(first),
        duration_months=duration,
        cost_profile=profile,
        cost_weights=draw(weights(duration)) if profile is CostProfile.EXPLICIT else None,
        delay=draw(distributions("non_negative", scale=DELAY, **options)),
        overrun=draw(distributions("non_negative", scale=OVERRUN, **options)),
        indexation=draw(
            distributions("rate", scale=RATE, yearly=True, years=frame.fiscal_years, **options)
        ),
        pilot=draw(st.booleans()),
        quick_win=draw(st.booleans()),
        areas=draw(_subset(areas)),
        funds=[FundShare(fund, share) for fund, share in zip(paid_by, fund_shares, strict=True)],
        interests=draw(_subset(interests)),
        description=draw(_optional(texts())),
    )


# -- contracts ---------------------------------------------------------------------------------


@st.composite
def metrics(
    draw: st.DrawFn,
    frame: Frame,
    metric_id: str,
    *,
    kinds: Collection[str] = ALL_KINDS,
    samples_size: int | None = None,
) -> OutcomeMetric:
    """An outcome metric with every optional field sometimes set."""
    options: dict[str, Any] = {
        "parameters": frame.parameters,
        "kinds": kinds,
        "samples_size": samples_size,
    }
    return OutcomeMetric(
        id=metric_id,
        definition=draw(texts()),
        price=draw(distributions("non_negative", scale=PRICE, **options)),
        share_achieving=draw(distributions("share", scale=SHARE, **options)),
        baseline=draw(st.just(Fixed(0.0)) | distributions("share", scale=(0.0, 0.3), **options)),
        threshold=draw(st.just(0.0) | numbers(0.0, 0.2)),
        time_to_outcome=draw(distributions("non_negative", scale=TIME_TO_OUTCOME, **options)),
        cap_per_participant=draw(_optional(numbers(0.0, 30_000.0))),
        cap_count=draw(_optional(numbers(0.0, 500.0))),
        cap_value=draw(_optional(numbers(0.0, 2_000_000.0))),
        indexation=draw(
            distributions("rate", scale=RATE, yearly=True, years=frame.fiscal_years, **options)
        ),
        value_per_outcome=draw(_optional(distributions("non_negative", scale=VALUE, **options))),
        name=draw(_optional(texts())),
    )


@st.composite
def enrolments(
    draw: st.DrawFn,
    frame: Frame,
    first: int,
    last: int,
    *,
    max_windows: int = 2,
    kinds: Collection[str] = ALL_KINDS,
    samples_size: int | None = None,
) -> Enrolment:
    """Enrolment windows inside the months ``first`` … ``last`` (per month or a total)."""
    options: dict[str, Any] = {
        "parameters": frame.parameters,
        "kinds": kinds,
        "samples_size": samples_size,
    }
    windows = []
    for _ in range(draw(st.integers(1, max_windows))):
        begin = draw(st.integers(first, last))
        months = draw(st.integers(1, last - begin + 1))
        if draw(st.booleans()):
            size = {"per_month": draw(distributions("non_negative", scale=PER_MONTH, **options))}
        else:
            size = {"total": draw(distributions("non_negative", scale=TOTAL, **options))}
        windows.append(EnrolmentWindow(frame.month(begin), months, **size))
    return Enrolment(windows, poisson=draw(st.booleans()))


@st.composite
def payers(
    draw: st.DrawFn, frame: Frame, *, stakeholders: Sequence[str], funds: Sequence[str]
) -> tuple[PayerShare, ...]:
    """Payers with shares summing to 1, each with a fund and perhaps yearly caps.

    A payer may pay from two funds (each payer and fund pair appears once).
    """
    pairs = [(payer, fund) for payer in stakeholders for fund in funds]
    chosen = draw(_subset(pairs, max_size=3, min_size=1))
    return tuple(
        PayerShare(
            payer=payer,
            fund=fund,
            share=share,
            fiscal_year_caps=draw(_year_amounts(frame.fiscal_years, 500_000.0)),
            cap_excess=draw(_one_of(CapExcess)),
            fiscal_year_cap=draw(_optional(numbers(0.0, 500_000.0))),
        )
        for (payer, fund), share in zip(chosen, draw(shares(len(chosen))), strict=True)
    )


@st.composite
def financings(
    draw: st.DrawFn,
    frame: Frame,
    mode: FinancingMode | str,
    first: int,
    last: int,
    *,
    stakeholders: Sequence[str],
    funds: Sequence[str],
    gate_id: str | None = None,
) -> Financing:
    """A financing of ``mode`` for a contract running from month ``first`` to ``last``.

    A pre-financing names ``gate_id`` (a gate the caller builds with
    :func:`financing_gates`) when it is given and the contract has at least two months;
    otherwise it runs for some months without a gate.
    """
    mode = FinancingMode(mode)
    if mode is FinancingMode.PROVIDER:
        return ProviderFinancing()
    if mode is FinancingMode.INVESTOR:
        protection = draw(st.just(0.0) | numbers(0.0, 1.0))
        guarantors = _one_of(stakeholders)
        guarantor = draw(guarantors if protection > 0 else _optional(guarantors))
        guarantor_fund = (
            draw(_optional(_one_of(funds))) if guarantor is not None and funds else None
        )
        return InvestorFinancing(
            investor=draw(_one_of(stakeholders)),
            commitment=draw(numbers(0.0, 2_000_000.0)),
            return_cap=draw(numbers(0.0, 0.2)),
            capital_protection=protection,
            guarantor=guarantor,
            guarantor_fund=guarantor_fund,
        )
    if mode is FinancingMode.ADVANCES:
        advances = [
            Advance(frame.month(draw(st.integers(first, last))), draw(numbers(0.0, 200_000.0)))
            for _ in range(draw(st.integers(0, 3)))
        ]
        windows = []
        for _ in range(draw(st.integers(0 if advances else 1, 2))):
            begin = draw(st.integers(first, last))
            months = draw(st.integers(1, last - begin + 1))
            size = draw(numbers(0.0, 50_000.0))
            amount = {"per_month": size} if draw(st.booleans()) else {"total": size * months}
            windows.append(AdvanceWindow(frame.month(begin), months, **amount))
        return AdvanceFinancing(advances, unearned=draw(_one_of(UnearnedAdvance)), windows=windows)
    partner = draw(_one_of(stakeholders))
    partner_fund = draw(_optional(_one_of(funds))) if funds else None
    if gate_id is None or last == first or not funds or draw(st.booleans()):
        months = draw(st.integers(1, last - first + 1))
        return Prefinancing(partner, months=months, partner_fund=partner_fund)
    gate_month = draw(st.integers(first + 1, last))
    return Prefinancing(
        partner,
        months=draw(_one_of([None, gate_month - first])),
        gate=gate_id,
        partner_fund=partner_fund,
        step_in_payer=draw(_one_of(stakeholders)),
        step_in_fund=draw(_one_of(funds)),
        repay_share=draw(st.just(0.0) | numbers(0.0, 1.0)),
    )


@st.composite
def contracts(
    draw: st.DrawFn,
    frame: Frame,
    index: int,
    *,
    stakeholders: Sequence[str],
    funds: Sequence[str],
    initiatives: Sequence[str] = (),
    interests: Sequence[str] = (),
    areas: Sequence[str] = (),
    financing_modes: Collection[FinancingMode | str] = tuple(FinancingMode),
    gate_id: str | None = None,
    max_metrics: int = 2,
    max_windows: int = 2,
    kinds: Collection[str] = ALL_KINDS,
    samples_size: int | None = None,
) -> OutcomeContract:
    """An outcome contract inside the horizon that pays for ``initiatives``.

    Its metrics have ids ``m<index>-<j>``; a gated pre-financing names ``gate_id``.
    """
    first = draw(st.integers(0, frame.months - 1))
    last = draw(st.integers(first, min(frame.months - 1, first + 47)))
    options: dict[str, Any] = {"kinds": kinds, "samples_size": samples_size}
    count = draw(st.integers(1, max_metrics))
    metric_ids = [draw(ids(f"m{index}-", j)) for j in range(count)]
    schedule = draw(_one_of(Schedule))
    period: dict[str, Any] = (
        {"end": frame.month(last)} if draw(st.booleans()) else {"duration_months": last - first + 1}
    )
    mode = draw(_one_of(sorted(FinancingMode(m) for m in financing_modes)))
    # Settled inside the horizon (DESIGN §4.8.2).
    run_off = draw(st.integers(0, min(12, frame.months - 1 - last)))
    spanned = {frame.month(m).month for m in range(first, min(last + run_off, first + 11) + 1)}
    return OutcomeContract(
        id=draw(ids("c", index)),
        name=draw(texts()),
        provider=draw(_one_of(stakeholders)),
        start=frame.month(first),
        enrolment=draw(enrolments(frame, first, last, max_windows=max_windows, **options)),
        metrics=[draw(metrics(frame, metric_id, **options)) for metric_id in metric_ids],
        payers=draw(payers(frame, stakeholders=stakeholders, funds=funds)),
        initiatives=tuple(initiatives),
        payment_schedule=schedule,
        payment_rrule=draw(rrules(spanned)) if schedule is Schedule.RRULE else None,
        verification_lag_months=draw(st.integers(0, 6)),
        run_off_months=run_off,
        cap_per_participant=draw(_optional(numbers(0.0, 50_000.0))),
        cap=draw(_optional(numbers(0.0, 5_000_000.0))),
        financing=draw(
            financings(
                frame,
                mode,
                first,
                last,
                stakeholders=stakeholders,
                funds=funds,
                gate_id=gate_id,
            )
        ),
        pay_enrolled_after_stop=draw(st.booleans()),
        interests=draw(_subset(interests)),
        areas=draw(_subset(areas)),
        description=draw(_optional(texts())),
        **period,
    )


# -- gates -------------------------------------------------------------------------------------


def decisions(
    actions: Collection[Action] = (Action.CONTINUE, Action.SCALE, Action.STOP),
) -> st.SearchStrategy[Decision]:
    """Decisions among ``actions``; ``scale`` comes with a factor > 0."""
    return _decisions(tuple(sorted(actions)))


@functools.lru_cache(maxsize=16)
def _decisions(actions: tuple[Action, ...]) -> st.SearchStrategy[Decision]:
    def build(action: Action, factor: float) -> Decision:
        return Decision(action, factor if action is Action.SCALE else None)

    return st.builds(build, st.sampled_from(actions), numbers(0.1, 3.0))


@st.composite
def _conditions(draw: st.DrawFn, contract: OutcomeContract) -> GateCondition:
    measure = draw(_one_of(GateMeasure))
    target = numbers(0.0, 1.0) if measure is GateMeasure.RATE else numbers(0.0, 100.0)
    return GateCondition(
        contract=contract.id,
        metric=draw(_one_of([metric.id for metric in contract.metrics])),
        measure=measure,
        target=draw(target),
        comparison=draw(_one_of(Comparison)),
    )


@st.composite
def financing_gates(
    draw: st.DrawFn, frame: Frame, contract: OutcomeContract, *, phases: Sequence[str] = ()
) -> Gate:
    """The gate a contract's pre-financing names: step in if met, stop if not."""
    financing = contract.financing
    assert isinstance(financing, Prefinancing), "the contract's financing has no gate"
    assert financing.gate is not None, "the contract's pre-financing has no gate"
    first = (contract.start.year - frame.start.year) * 12 + contract.start.month - frame.start.month
    last = first + (
        (contract.last_month.year - contract.start.year) * 12
        + contract.last_month.month
        - contract.start.month
    )
    month = first + financing.months if financing.months else draw(st.integers(first + 1, last))
    return Gate(
        id=financing.gate,
        month=frame.month(month),
        condition=draw(_conditions(contract)),
        if_met=Decision(Action.STEP_IN),
        if_not_met=Decision(Action.STOP),
        contract=contract.id,
        phase=draw(_optional(_one_of(phases))) if phases else None,
        name=draw(_optional(texts())),
    )


@st.composite
def gates(
    draw: st.DrawFn,
    frame: Frame,
    index: int,
    *,
    contracts: Sequence[OutcomeContract],
    initiatives: Sequence[str] = (),
    phases: Sequence[str] = (),
) -> Gate:
    """A gate on a contract or an initiative that continues, scales or stops."""
    on_initiative = bool(initiatives) and draw(st.booleans())
    target: dict[str, str] = (
        {"initiative": draw(_one_of(initiatives))}
        if on_initiative
        else {"contract": draw(_one_of([contract.id for contract in contracts]))}
    )
    return Gate(
        id=draw(ids("g", index)),
        month=frame.month(draw(st.integers(0, frame.months - 1))),
        condition=draw(_conditions(contracts[draw(st.integers(0, len(contracts) - 1))])),
        if_met=draw(decisions()),
        if_not_met=draw(decisions()),
        phase=draw(_optional(_one_of(phases))) if phases else None,
        name=draw(_optional(texts())),
        **target,
    )


# -- whole programmes --------------------------------------------------------------------------


def _entities(draw: st.DrawFn, count: int, build: Any, *args: Any, **kwargs: Any) -> list[Any]:
    return [draw(build(*args, index, **kwargs)) for index in range(count)]


@st.composite
def programmes(
    draw: st.DrawFn,
    *,
    min_years: int = 2,
    max_years: int = 6,
    max_parameters: int = 3,
    max_areas: int = 3,
    max_phases: int = 4,
    max_stakeholders: int = 5,
    max_interests: int = 3,
    max_engagements: int = 3,
    max_funds: int = 3,
    max_initiatives: int = 3,
    min_contracts: int = 0,
    max_contracts: int = 3,
    max_metrics: int = 2,
    max_windows: int = 2,
    max_gates: int = 2,
    financing_modes: Collection[FinancingMode | str] = tuple(FinancingMode),
    kinds: Collection[str] = ALL_KINDS,
    samples_size: int | None = None,
) -> Programme:
    """Whole valid programmes with every entity and every form, kept small.

    Args:
        min_years, max_years: The horizon's range in years.
        max_parameters … max_gates: The most entities of each kind (gates besides the
            pre-financing gates, which come with their contracts).
        min_contracts, max_contracts: How many outcome contracts.
        financing_modes: The financing modes contracts draw from.
        kinds: The distribution kinds fields draw from (names as in files). Pass
            ``("fixed",)`` for programmes with no uncertainty at all.
        samples_size: How many values each ``samples`` distribution holds; a Monte Carlo run
            needs at least as many as it has scenarios (default 1-4).
    """
    frame = draw(frames(min_years, max_years))
    options: dict[str, Any] = {"kinds": kinds, "samples_size": samples_size}
    named = draw(parameters(frame, max_size=max_parameters, **options))
    frame = dataclasses.replace(
        frame, parameters={parameter.id: parameter.distribution for parameter in named}
    )

    people = _entities(draw, draw(st.integers(1, max(1, max_stakeholders))), stakeholders)
    people_ids = [person.id for person in people]
    places = _entities(draw, draw(st.integers(0, max_areas)), areas)
    place_ids = [place.id for place in places]
    stages = draw(phases(frame, max_sequential=max_phases, max_parallel=min(2, max_phases)))
    stage_ids = [stage.id for stage in stages]
    wants = _entities(
        draw,
        draw(st.integers(0, max_interests)),
        interests,
        stakeholders=people_ids,
        areas=place_ids,
    )
    want_ids = [want.id for want in wants]
    roles = (
        _entities(
            draw,
            draw(st.integers(0, max_engagements)),
            engagements,
            stakeholders=people_ids,
            phases=stage_ids,
        )
        if stages
        else []
    )

    contract_count = draw(st.integers(min_contracts, max_contracts))
    initiative_count = draw(st.integers(0, max_initiatives))
    paid_by = [
        draw(_optional(st.integers(0, contract_count - 1))) if contract_count else None
        for _ in range(initiative_count)
    ]
    fund_min = 1 if contract_count or initiative_count else 0
    pots = _entities(
        draw, draw(st.integers(fund_min, max(fund_min, max_funds))), funds, frame, owners=people_ids
    )
    pot_ids = [pot.id for pot in pots]

    works = [
        draw(
            initiatives(
                frame,
                index,
                owners=people_ids,
                funds=pot_ids if paid_by[index] is None else (),
                areas=place_ids,
                interests=want_ids,
                **options,
            )
        )
        for index in range(initiative_count)
    ]
    deals = [
        draw(
            contracts(
                frame,
                index,
                stakeholders=people_ids,
                funds=pot_ids,
                initiatives=[
                    work.id for work, by in zip(works, paid_by, strict=True) if by == index
                ],
                interests=want_ids,
                areas=place_ids,
                financing_modes=financing_modes,
                gate_id=f"g{index}",
                max_metrics=max_metrics,
                max_windows=max_windows,
                **options,
            )
        )
        for index in range(contract_count)
    ]
    decided = [
        draw(financing_gates(frame, deal, phases=stage_ids))
        for deal in deals
        if isinstance(deal.financing, Prefinancing) and deal.financing.gate is not None
    ]
    if deals:
        decided += [
            draw(
                gates(
                    frame,
                    contract_count + index,
                    contracts=deals,
                    initiatives=[work.id for work in works],
                    phases=stage_ids,
                )
            )
            for index in range(draw(st.integers(0, max_gates)))
        ]
    if decided and draw(st.booleans()):
        decided = draw(st.permutations(decided))

    return Programme(
        id=draw(ids("programme", 0)),
        name=draw(texts()),
        currency=draw(
            st.sampled_from(["EUR", "GBP", "USD"])
            | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
        ),
        start=frame.start,
        horizon_years=frame.horizon_years,
        horizon_months=frame.horizon_months,
        fiscal_year_start_month=frame.fiscal_year_start_month,
        price_base_date=draw(_optional(st.integers(-12, frame.months - 1).map(frame.month))),
        discount_rate=draw(
            st.sampled_from(["nl-2021", "uk-green-book", "uk-green-book-health"])
            | numbers(-0.05, 0.1)
        ),
        deflator=draw(
            _optional(
                distributions(
                    "rate",
                    scale=RATE,
                    parameters=frame.parameters,
                    yearly=True,
                    years=frame.fiscal_years,
                    **options,
                )
            )
        ),
        shared_interest=draw(_optional(texts())),
        description=draw(_optional(texts())),
        parameters=named,
        areas=places,
        phases=stages,
        stakeholders=people,
        interests=wants,
        engagements=roles,
        funds=pots,
        initiatives=works,
        contracts=deals,
        gates=decided,
    )


# -- programmes that reach the hard cases ------------------------------------------------------

HARD_MODES: tuple[FinancingMode, ...] = (
    FinancingMode.INVESTOR,
    FinancingMode.ADVANCES,
    FinancingMode.PREFINANCING,
)
"""The financing of the three contracts of :func:`hard_programmes`, in order."""


def _uncapped(contract: OutcomeContract, run_off: int) -> OutcomeContract:
    """The contract with no caps, baselines or thresholds, financed by its provider."""
    metrics = [
        attrs.evolve(
            metric,
            baseline=Fixed(0.0),
            threshold=0.0,
            cap_per_participant=None,
            cap_count=None,
            cap_value=None,
        )
        for metric in contract.metrics
    ]
    payers = [attrs.evolve(payer, fiscal_year_caps={}) for payer in contract.payers]
    return attrs.evolve(
        contract,
        metrics=metrics,
        payers=payers,
        cap=None,
        cap_per_participant=None,
        financing=ProviderFinancing(),
        run_off_months=run_off,
    )


@st.composite
def hard_programmes(
    draw: st.DrawFn,
    *,
    min_years: int = 2,
    max_years: int = 4,
    kinds: Collection[str] = ALL_KINDS,
    samples_size: int | None = None,
) -> Programme:
    """Programmes whose caps bind, whose investors draw and whose gates can go either way.

    Three contracts of :func:`programmes`, financed by an investor, by advances and by a
    gated pre-financing (:data:`HARD_MODES`, from the one that pays most), each paying for a
    flat initiative over its own months and settling in the horizon's last month. The
    strategy first projects the programme without caps in expected mode, then sets every
    amount against what that shows (the value a contract earns, what it pays inside the
    horizon):

    - the contract cap at 30–90% of the value earned;
    - each payer's fiscal-year caps at 20–90% of what it would pay in each year it pays;
    - the delivery cost at 2–10% of what is paid (the investor is repaid and its return cap
      binds; two times in three) or at 2–4 times it (the investor draws more than comes back
      and a guarantor covers 70–100% of what it drew), with a commitment of 80–120% of the
      cost;
    - one advance at the contract's start of 20–150% of what is paid;
    - a count gate on each contract (the pre-financing's own, stepping in or stopping; on
      the others any decision), in a month when outcomes are verified where there is one,
      with a target at 90–110% of the achieved outcomes verified by then.

    Metrics keep no baseline, threshold or cap of their own, so that the value earned is
    what the expected projection shows.
    """
    base = draw(
        programmes(
            min_years=min_years,
            max_years=max_years,
            min_contracts=len(HARD_MODES),
            max_contracts=len(HARD_MODES),
            max_initiatives=0,
            max_gates=0,
            financing_modes=(FinancingMode.PROVIDER,),
            kinds=kinds,
            samples_size=samples_size,
        )
    )

    def month_of(date: dt.date) -> int:
        return (date.year - base.start.year) * 12 + date.month - base.start.month

    last_month = base.months - 1
    plain = attrs.evolve(
        base,
        contracts=[
            _uncapped(deal, last_month - month_of(deal.last_month)) for deal in base.contracts
        ],
    )
    expected = project(plain, resolution="month")
    by_year = expected.by("fiscal_year")
    people = [person.id for person in base.stakeholders]
    pots = [pot.id for pot in base.funds]

    def paid_by(deal: OutcomeContract) -> float:
        return float(expected.total(flow="outcome_payment", contract=deal.id).sum())

    # The investor takes the contract that pays most, advances the next: both need payments.
    ranked = sorted(plain.contracts, key=paid_by, reverse=True)
    modes = {deal.id: mode for deal, mode in zip(ranked, HARD_MODES, strict=True)}
    deals, works, decided = [], [], []
    for index, deal in enumerate(plain.contracts):
        c, mode = deal.id, modes[deal.id]
        earned = float(expected.total(flow="earned", contract=c).sum())
        paid = paid_by(deal)
        first, last = month_of(deal.start), month_of(deal.last_month)
        payers = []
        for payer in deal.payers:
            due = by_year.total(
                flow="outcome_payment", contract=c, payer=payer.payer, fund=payer.fund
            )[0]
            caps = {
                int(label[2:]): draw(numbers(0.2, 0.9)) * float(amount)
                for label, amount in zip(by_year.periods, due, strict=True)
                if amount > 0
            }
            payers.append(attrs.evolve(payer, fiscal_year_caps=caps))
        # Where nothing is paid, a cost of its own still makes the investor draw.
        scale = paid if paid > 0 else draw(numbers(1_000.0, 100_000.0))
        rich = draw(st.sampled_from([True, True, False]))
        cost = scale * draw(numbers(0.02, 0.1) if rich else numbers(2.0, 4.0))
        work = Initiative(
            id=f"work{index}",
            name=draw(texts()),
            owner=deal.provider,
            commitment=cost,
            start=deal.start,
            duration_months=last - first + 1,
        )
        financing: Financing
        if mode is FinancingMode.INVESTOR:
            financing = InvestorFinancing(
                investor=draw(_one_of(people)),
                commitment=cost * draw(numbers(0.8, 1.2)),
                return_cap=draw(numbers(0.0, 0.2)),
                capital_protection=draw(numbers(0.7, 1.0)),
                guarantor=draw(_one_of(people)),
                guarantor_fund=draw(_optional(_one_of(pots))),
            )
        elif mode is FinancingMode.ADVANCES:
            amount = paid * draw(numbers(0.2, 1.5))
            financing = AdvanceFinancing(
                [Advance(deal.start, amount)], unearned=draw(_one_of(UnearnedAdvance))
            )
        elif last > first:
            gate_id = f"step{index}"
            financing = Prefinancing(
                partner=draw(_one_of(people)),
                gate=gate_id,
                partner_fund=draw(_optional(_one_of(pots))),
                step_in_payer=draw(_one_of(people)),
                step_in_fund=draw(_one_of(pots)),
                repay_share=draw(numbers(0.0, 1.0)),
            )
            decisions_ = (Decision(Action.STEP_IN), Decision(Action.STOP))
            months = range(first + 1, last + 1)  # a financing gate comes after the start
            decided.append(draw(_near_gate(deal, expected, gate_id, months, *decisions_)))
        else:  # a one-month contract has no month for a gate
            financing = Prefinancing(draw(_one_of(people)), months=1)
        if mode is not FinancingMode.PREFINANCING:
            months = range(first, last_month + 1)
            decided.append(
                draw(
                    _near_gate(
                        deal, expected, f"g{index}", months, draw(decisions()), draw(decisions())
                    )
                )
            )
        cap = draw(numbers(0.3, 0.9)) * earned if earned > 0 else None
        deals.append(
            attrs.evolve(deal, payers=payers, cap=cap, initiatives=(work.id,), financing=financing)
        )
        works.append(work)
    return attrs.evolve(base, contracts=deals, initiatives=works, gates=decided)


@st.composite
def _near_gate(
    draw: st.DrawFn,
    deal: OutcomeContract,
    expected: Any,
    gate_id: str,
    months: range,
    if_met: Decision,
    if_not_met: Decision,
) -> Gate:
    """A count gate on ``deal`` whose target is near the count expected by its month."""
    metric = draw(_one_of([metric.id for metric in deal.metrics]))
    achieved = expected.total(flow="outcomes_achieved", contract=deal.id, metric=metric)[0]
    lag = deal.verification_lag_months
    verified = {g: float(achieved[: max(g - lag + 1, 0)].sum()) for g in months}
    month = draw(_one_of([g for g, count in verified.items() if count > 0] or list(months)))
    return Gate(
        id=gate_id,
        month=_months_after(expected.programme.start, month),
        condition=GateCondition(
            contract=deal.id,
            metric=metric,
            measure=GateMeasure.COUNT,
            target=verified[month] * draw(numbers(0.9, 1.1)),
        ),
        if_met=if_met,
        if_not_met=if_not_met,
        contract=deal.id,
    )


def _months_after(date: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``date``'s."""
    position = date.year * 12 + date.month - 1 + months
    return dt.date(position // 12, position % 12 + 1, 1)


# -- extreme values ----------------------------------------------------------------------------

EXTREME_AMOUNTS = (0.0, -0.0, 5e-324, 1e-300, 1.0, 1e15)
"""Amounts at and next to the ends of what a programme may hold (1e15 is the limit)."""

EXTREME_SHARES = (0.0, 5e-324, 1.0)
EXTREME_RATES = (-0.99, 0.0, 1.0)  # a rate stays in (−1, 1]


def _evolved(value: Any, **changes: Any) -> Any:
    """``value`` with ``changes``, or ``value`` unchanged where the changes make it invalid."""

    try:
        return attrs.evolve(value, **changes)
    except ValidationError:
        return value


@st.composite
def extreme_programmes(draw: st.DrawFn, **options: Any) -> Programme:
    """Valid programmes from :func:`programmes` with amounts, shares and rates at their ends.

    Prices, caps, enrolment, commitments, budgets and rates are set to 0, -0.0, the smallest
    subnormal, 1e15 (the limit on any number) or their domain's ends, so that contracts pay
    nothing, investors draw nothing or everything, and funds have no budget or a huge one. A
    change that would make an entity invalid (a total below its parts, say) is left out.
    """
    amount = st.sampled_from(EXTREME_AMOUNTS)
    programme = draw(programmes(**options))
    contracts = []
    for contract in programme.contracts:
        metrics = [
            _evolved(
                metric,
                price=draw(amount),
                share_achieving=draw(st.sampled_from(EXTREME_SHARES)),
                cap_value=draw(st.none() | amount),
                cap_count=draw(st.none() | amount),
                indexation=draw(st.sampled_from(EXTREME_RATES)),
            )
            for metric in contract.metrics
        ]
        windows = [
            _evolved(
                window, **{"per_month" if window.per_month is not None else "total": draw(amount)}
            )
            for window in contract.enrolment.windows
        ]
        financing = contract.financing
        if hasattr(financing, "commitment"):
            financing = _evolved(financing, commitment=draw(amount))
        contracts.append(
            _evolved(
                contract,
                metrics=metrics,
                enrolment=_evolved(contract.enrolment, windows=windows),
                cap=draw(st.none() | amount),
                cap_per_participant=draw(st.none() | amount),
                financing=financing,
            )
        )
    initiatives = [
        _evolved(
            initiative,
            commitment=draw(amount),
            overrun=draw(amount),
            indexation=draw(st.sampled_from(EXTREME_RATES)),
        )
        for initiative in programme.initiatives
    ]
    funds = [
        _evolved(fund, amounts={year: draw(amount) for year, _ in fund.amounts})
        if draw(st.booleans())
        else _evolved(fund, amounts={})
        for fund in programme.funds
    ]
    return _evolved(programme, contracts=contracts, initiatives=initiatives, funds=funds)
