"""The programme: every entity of the model, and the rules that relate them to each other."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .._errors import Problem, described
from .._text import html_table, plural
from .areas import Area
from .checks import (
    Checked,
    PathNode,
    add_months,
    as_float,
    as_tuple,
    first_of_month,
    identifier,
    integer_at_least,
    is_number,
    month_index,
    months_count,
    raise_problems,
    text,
    tree_problems,
    walk_nodes,
    wrong_entities,
)
from .contracts import OutcomeContract
from .distributions import Distribution, Ref, Samples, Yearly, describe, to_distribution
from .domains import RATE, bounded
from .funds import Fund
from .gates import Gate
from .initiatives import Initiative
from .phases import Phase
from .references import References, well_formed_time
from .stakeholders import Engagement, Interest, Stakeholder

__all__ = ["DISCOUNT_PRESETS", "Parameter", "Programme"]

DISCOUNT_PRESETS: tuple[str, ...] = ("nl-2021", "uk-green-book", "uk-green-book-health")
"""Named discount-rate presets a programme may name instead of a rate."""


_CURRENCY = re.compile(r"[A-Z]{3}")


@attrs.frozen
class Parameter(Checked):
    """A named uncertain quantity shared by every field that refers to it (a common shock).

    Fields refer to it with :class:`~programma.Ref`; in a scenario all of them see one draw.

    >>> from programma import Normal
    >>> Parameter("employment_shock", Normal(1.0, 0.1, low=0.5, high=1.5)).id
    'employment_shock'
    """

    id: str
    distribution: Distribution = attrs.field(converter=to_distribution)
    description: str | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        inner = (
            [dist for _, dist in self.distribution.by_year]
            if isinstance(self.distribution, Yearly)
            else [self.distribution]
        )
        if any(isinstance(dist, Ref) for dist in inner):
            yield Problem(
                "distribution",
                "a distribution, not a reference to another parameter",
                described(describe(self.distribution)),
            )
        if self.description is not None:
            yield from text("description", self.description)


def _as_variants(value: object) -> Any:
    """A fresh dict of dicts from mappings; anything else is kept, to be reported."""
    if not isinstance(value, Mapping):
        return value
    return {
        name: dict(overrides) if isinstance(overrides, Mapping) else overrides
        for name, overrides in value.items()
    }


def _discount_rate(value: float | str) -> float | str:
    return value if isinstance(value, str) else as_float(value)


_SHOWN_COLLECTIONS = ("phases", "stakeholders", "funds", "initiatives", "contracts", "gates")
_SHOWN_ROWS = 12  # rows per table in a notebook's view; the rest are counted


def _bounded_table(caption: str, headers: list[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table of at most :data:`_SHOWN_ROWS` rows, the rest counted in its caption."""
    more = len(rows) - _SHOWN_ROWS
    title = f"{caption} (first {_SHOWN_ROWS} of {len(rows)})" if more > 0 else caption
    return html_table(headers, rows[:_SHOWN_ROWS], caption=title)


@attrs.frozen(repr=False)  # a short repr of its own; equality and hashing as attrs makes them
class Programme(Checked):
    """A long-horizon public programme: its time frame and every entity in it.

    Entities refer to each other by id. Constructing a programme checks every rule that
    relates them (ids exist and are unique, shares sum to 1, dates lie inside the horizon,
    phases do not overlap unless parallel, …) and raises one
    :class:`~programma.ValidationError` listing every problem with its path.

    Attributes:
        id: The programme's id.
        name: Its name.
        currency: The ISO 4217 code all amounts are in (``EUR``).
        start: The first month (first day of a month).
        horizon_years: How many years the programme runs (1 to 100); it has
            ``12 × horizon_years`` months. Give ``horizon_years`` or ``horizon_months``.
        horizon_months: How many months the programme runs (1 to 1200), for a horizon that
            is not a whole number of years; the last fiscal year may then be partial.
        fiscal_year_start_month: The month fiscal years start in (1 = calendar years).
        price_base_date: The month prices are expressed at (default: ``start``).
        discount_rate: The annual discount rate for present values: a rate, or a preset name
            from :data:`DISCOUNT_PRESETS` (the Dutch standard is a real rate).
        deflator: The yearly general price rate (> −1) that turns nominal flows into real
            ones at price-base prices before discounting, possibly a yearly path; unset, flows
            are discounted as they are. It is separate from any contract's indexation.
        shared_interest: What binds the partners, in words.
        description: What the programme is.
        parameters: Named shared distributions (common shocks).
        areas: The neighbourhoods (or other areas) it works in.
        phases: Its phases, which do not overlap unless marked parallel.
        stakeholders: Everyone with a stake: payers, providers, investors, residents, …
        interests: The stakeholders' own interests, with their scale.
        engagements: Who is at the table in each phase, in which role, and why.
        funds: The funds and budget lines money is paid from.
        initiatives: What is delivered and what it costs.
        contracts: The outcome contracts.
        gates: The decision points on verified outcomes.
        variants: Named sets of changes to the programme ("what if"), each a mapping from a
            path (``contracts[werk].metrics[0].price``) to a value; see
            :meth:`with_values` and :meth:`variant`. Each is checked on construction.

    >>> p = Programme("demo", "Demo", "EUR", dt.date(2021, 1, 1), horizon_years=20)
    >>> p.months, p.last_month
    (240, datetime.date(2040, 12, 1))
    >>> short = Programme("demo", "Demo", "EUR", dt.date(2021, 1, 1), horizon_months=30)
    >>> short.months, short.last_month, short.fiscal_years
    (30, datetime.date(2023, 6, 1), (2021, 2022, 2023))
    """

    id: str
    name: str
    currency: str
    start: dt.date
    horizon_years: int | None = None
    # Keyword-only, so that the fields after it keep their positions in the constructor.
    horizon_months: int | None = attrs.field(default=None, kw_only=True)
    fiscal_year_start_month: int = 1
    price_base_date: dt.date | None = None
    discount_rate: float | str = attrs.field(default="nl-2021", converter=_discount_rate)
    deflator: Distribution | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(to_distribution),
        metadata=bounded(RATE, yearly=True),
    )
    shared_interest: str | None = None
    description: str | None = None
    parameters: tuple[Parameter, ...] = attrs.field(default=(), converter=as_tuple)
    areas: tuple[Area, ...] = attrs.field(default=(), converter=as_tuple)
    phases: tuple[Phase, ...] = attrs.field(default=(), converter=as_tuple)
    stakeholders: tuple[Stakeholder, ...] = attrs.field(default=(), converter=as_tuple)
    interests: tuple[Interest, ...] = attrs.field(default=(), converter=as_tuple)
    engagements: tuple[Engagement, ...] = attrs.field(default=(), converter=as_tuple)
    funds: tuple[Fund, ...] = attrs.field(default=(), converter=as_tuple)
    initiatives: tuple[Initiative, ...] = attrs.field(default=(), converter=as_tuple)
    contracts: tuple[OutcomeContract, ...] = attrs.field(default=(), converter=as_tuple)
    gates: tuple[Gate, ...] = attrs.field(default=(), converter=as_tuple)
    # Last, so that no constructor position moves; not hashed (a dict), compared.
    variants: dict[str, dict[str, Any]] = attrs.field(
        factory=dict, converter=_as_variants, hash=False
    )

    def __attrs_post_init__(self) -> None:
        lengths: list[int] = []
        raise_problems(_programme_problems(self, lengths), deferrable=False)
        _remember_fewest_samples(self, min(lengths, default=None))
        if self.variants:
            from .whatif import check_variants

            held, problems = check_variants(self)
            raise_problems(problems, deferrable=False)
            # Each value as the programme holds it (a date, a distribution), whatever form it
            # was given in: a variant read from a file then equals the one it was written from.
            object.__setattr__(self, "variants", held)

    @property
    def fewest_samples(self) -> int | None:
        """The fewest values a :class:`~programma.Samples` distribution anywhere in the
        programme holds (``None``: it has none): the most Monte Carlo scenarios it can run.

        >>> from programma.examples import leeuwarden_oost
        >>> leeuwarden_oost().fewest_samples is None
        True
        """
        if id(self) not in _FEWEST_SAMPLES:  # unpickled or copied: made without __init__
            lengths = [len(samples.values) for _, samples in samples_in(self)]
            _remember_fewest_samples(self, min(lengths, default=None))
        return _FEWEST_SAMPLES[id(self)]

    # -- what if ------------------------------------------------------------------------------

    def with_values(self, values: Mapping[str, object]) -> Programme:
        """A new programme with the value at each path of ``values`` replaced.

        Paths are written as validation problems print them (``contracts[2].metrics[0].price``),
        with an entity's id allowed in place of its index (``contracts[werk]``) and the year
        in a table by year (``funds[0].amounts[2024]``). Values take any form the file format
        accepts for the field (a number for a distribution, a table ``{"dist": "pert", …}``,
        ``"2024-03"`` for a date) or are the objects themselves. This programme is unchanged.

        Raises:
            ValidationError: Every bad path and bad value, with its path as written; or every
                problem of the resulting programme, with its full path.

        >>> p = Programme("p", "P", "EUR", dt.date(2021, 1, 1), 20)
        >>> p.with_values({"horizon_years": 25, "start": "2022-01"}).last_month
        datetime.date(2046, 12, 1)
        >>> try:
        ...     p.with_values({"horizon_years": 0, "stat": 1})
        ... except ValueError as error:  # a ValidationError
        ...     print(error.problems[0].path, "-", error.problems[0].given)
        stat - an unknown field 'stat'
        """
        from .whatif import with_values

        return with_values(self, values)

    def variant(self, name: str) -> Programme:
        """The programme with variant ``name``'s values set, and no variants of its own.

        Raises:
            ValidationError: The programme has no variant of that name (the message lists
                the ones it has).

        >>> p = Programme(
        ...     "p", "P", "EUR", dt.date(2021, 1, 1), 20, variants={"long": {"horizon_years": 30}}
        ... )
        >>> p.variant("long").horizon_years, p.variant("long").variants
        (30, {})
        """
        from .whatif import apply_variant

        return apply_variant(self, name)

    # -- display ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        """Its id, what it holds and its time frame, on one line.

        >>> from programma.examples import leeuwarden_oost
        >>> leeuwarden_oost()
        Programme(id='leeuwarden-oost', 4 contracts, 9 initiatives, 7 funds, 2021-10 to 2041-09)
        """
        counts = ", ".join(
            plural(len(getattr(self, name)), name[:-1])
            for name in ("contracts", "initiatives", "funds")
        )
        return f"Programme(id={self.id!r}, {counts}, {self.start:%Y-%m} to {self.last_month:%Y-%m})"

    def _repr_html_(self) -> str:
        """A notebook's view: name, time frame, and a table per main collection (escaped)."""
        counts = ", ".join(
            plural(len(getattr(self, name)), name[:-1]) for name in _SHOWN_COLLECTIONS
        )
        parts = [
            f"<p><strong>{html.escape(self.name)}</strong> ({html.escape(self.id)}): "
            f"{self.start:%Y-%m} to {self.last_month:%Y-%m}, {plural(self.months, 'month')}; "
            f"amounts in {html.escape(self.currency)}</p>",
            f"<p>{html.escape(counts)}</p>",
        ]
        funds = [
            [
                f.id,
                f.name,
                f.kind.value,
                f"{sum(a for _, a in f.amounts):,.0f}" if f.amounts else "",
            ]
            for f in self.funds
        ]
        contracts = [
            [c.id, c.name, c.provider, c.financing.mode.value, f"{c.start:%Y-%m}"]
            for c in self.contracts
        ]
        for caption, headers, rows in (
            ("Funds", ["id", "name", "kind", "budget"], funds),
            ("Contracts", ["id", "name", "provider", "financing", "start"], contracts),
        ):
            if rows:
                parts.append(_bounded_table(caption, headers, rows))
        return "".join(parts)

    # -- time ---------------------------------------------------------------------------------

    @property
    def months(self) -> int:
        """The number of months in the horizon (T): ``horizon_months`` or 12 × ``horizon_years``."""
        if self.horizon_months is not None:
            return self.horizon_months
        assert self.horizon_years is not None  # validated: exactly one is given
        return 12 * self.horizon_years

    @property
    def last_month(self) -> dt.date:
        """The last month of the horizon."""
        return add_months(self.start, self.months - 1)

    @property
    def price_base(self) -> dt.date:
        """The month prices are expressed at (``price_base_date``, or ``start``)."""
        return self.start if self.price_base_date is None else self.price_base_date

    def month_index(self, month: dt.date) -> int:
        """The index m of ``month`` on the programme's monthly grid (0 is ``start``).

        >>> Programme("p", "P", "EUR", dt.date(2021, 1, 1), 20).month_index(dt.date(2022, 3, 1))
        14
        """
        return month_index(self.start, month)

    def fiscal_year(self, month: dt.date) -> int:
        """The fiscal year ``month`` falls in, labelled by the calendar year it starts in.

        >>> uk = Programme("p", "P", "GBP", dt.date(2021, 1, 1), 20, fiscal_year_start_month=4)
        >>> uk.fiscal_year(dt.date(2022, 3, 1)), uk.fiscal_year(dt.date(2022, 4, 1))
        (2021, 2022)
        """
        return month.year if month.month >= self.fiscal_year_start_month else month.year - 1

    @property
    def fiscal_years(self) -> tuple[int, ...]:
        """Every fiscal year the horizon touches, in order."""
        return tuple(range(self.fiscal_year(self.start), self.fiscal_year(self.last_month) + 1))

    # -- lookups ------------------------------------------------------------------------------

    @property
    def parameter_distributions(self) -> dict[str, Distribution]:
        """The named parameters as a mapping from id to distribution."""
        return {parameter.id: parameter.distribution for parameter in self.parameters}

    def find(self, collection: str, entity_id: str) -> Any:
        """The entity with ``entity_id`` in the named collection (``"contracts"``, …).

        Raises:
            KeyError: No entity in that collection has that id.

        >>> Programme("p", "P", "EUR", dt.date(2021, 1, 1), 20).find("funds", "x")
        Traceback (most recent call last):
        ...
        KeyError: "no funds entity with id 'x'"
        """
        for entity in getattr(self, collection):
            if entity.id == entity_id:
                return entity
        raise KeyError(f"no {collection} entity with id {entity_id!r}")

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from text("name", self.name)
        if not isinstance(self.currency, str) or not _CURRENCY.fullmatch(self.currency):
            yield Problem("currency", "an ISO 4217 code of three capital letters", self.currency)
        yield from first_of_month("start", self.start)
        yield from self._horizon_problems()
        month = self.fiscal_year_start_month
        if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
            yield Problem("fiscal_year_start_month", "a month number from 1 to 12", month)
        if self.price_base_date is not None:
            yield from first_of_month("price_base_date", self.price_base_date)
        rate = self.discount_rate
        if isinstance(rate, str):
            if rate not in DISCOUNT_PRESETS:
                yield Problem(
                    "discount_rate", f"a rate or one of {', '.join(DISCOUNT_PRESETS)}", rate
                )
        elif not is_number(rate) or not math.isfinite(rate) or not -1 < rate <= 1:
            yield Problem("discount_rate", "a rate in (−1, 1] or a preset name", rate)
        for name in ("shared_interest", "description"):
            value = getattr(self, name)
            if value is not None:
                yield from text(name, value)

    def _horizon_problems(self) -> Iterator[Problem]:
        # Exactly one of the two, as a contract's end or duration: a file that gave both
        # could only be read by a precedence rule, and one of its figures would be ignored.
        years, months = self.horizon_years, self.horizon_months
        if years is None and months is None:
            yield Problem(
                "horizon_years",
                "exactly one of horizon_years or horizon_months",
                described("neither"),
            )
        elif years is not None and months is not None:
            yield Problem(
                "horizon_months",
                "exactly one of horizon_years or horizon_months",
                described("both"),
            )
        elif years is not None:
            horizon = list(integer_at_least("horizon_years", years, 1))
            if not horizon and years > 100:
                horizon.append(Problem("horizon_years", "at most 100 years", years))
            yield from horizon
        elif months is not None:
            yield from months_count("horizon_months", months, 1)  # 1200 months = 100 years


def samples_in(programme: Programme) -> Iterator[tuple[PathNode | str, Samples]]:
    """Every Samples distribution anywhere in a programme, with the first place it is at
    (written out by :func:`~programma.model.checks.path_of` where it is needed)."""
    for value, node in walk_nodes(programme, once=True):
        if isinstance(value, Samples):
            yield node, value


_FEWEST_SAMPLES: dict[int, int | None] = {}
"""Per live programme (by id), :attr:`Programme.fewest_samples`: found while checking it, and
kept beside it (a programme holds only its fields) for as long as it lives."""


def _remember_fewest_samples(programme: Programme, fewest: int | None) -> None:
    _FEWEST_SAMPLES[id(programme)] = fewest
    weakref.finalize(programme, _FEWEST_SAMPLES.pop, id(programme), None)


def _programme_problems(programme: Programme, lengths: list[int]) -> Iterator[Problem]:
    """Every problem of the programme: of each entity on its own, then between entities.

    The number of values of each valid ``Samples`` met on the way is appended to ``lengths``.
    """
    wrong = list(wrong_entities(programme))
    if wrong:  # an entry that is not an entity (None, a dict): nothing else can be checked
        yield from wrong
        return
    parameters = programme.parameter_distributions
    yield from _tree_problems(programme, "", parameters, lengths)
    if not well_formed_time(programme):
        return  # the time frame is broken: the checks against it would only add noise
    yield from References(programme).problems()


def _tree_problems(
    root: Any, root_path: str, parameters: Mapping[str, Distribution], lengths: list[int]
) -> Iterator[Problem]:
    def unknown_parameter(ref: Ref) -> Iterator[Problem]:
        if ref.name not in parameters:
            known = ", ".join(map(repr, sorted(parameters))) or "none are defined"
            yield Problem("name", f"the id of a programme parameter ({known})", ref.name)

    def count(samples: Samples) -> Iterator[Problem]:
        values = samples.values
        if isinstance(values, np.ndarray) and values.ndim == 1:
            lengths.append(len(values))
        return iter(())

    return tree_problems(root, root_path, parameters, {Ref: unknown_parameter, Samples: count})
