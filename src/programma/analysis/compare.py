"""Comparing two designs scenario by scenario: the paired differences B − A and their spread.

Both designs are projected with the same seed, so each scenario draws the same random numbers
for everything the two share (common random numbers, DESIGN §4.1): scenario by scenario, the
difference B − A is the designs' doing, not sampling noise, and its spread is the spread of the
difference itself, far tighter than that of two independent runs.
"""

from __future__ import annotations

import concurrent.futures as cf
import html
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from .._errors import Problem, ValidationError, described
from .._text import fixed, html_table, money, run_kind
from ..engine.project import ProjectionError
from ..model.financing import InvestorFinancing
from ..model.programme import Programme
from .areas import PROGRAMME_WIDE, area_outflows
from .projection import Projection, project
from .summary import PERCENTILE_METHOD, Spread

__all__ = [
    "COMPARED",
    "PROGRAMME_WIDE",
    "TOLERANCE",
    "DesignComparison",
    "Difference",
    "compare",
]

TOLERANCE = 1e-9
"""B is higher than A in a scenario when B − A > TOLERANCE × max(1, |A|, |B|): a difference
left by the order of additions is not counted as one."""

COMPARED: tuple[str, ...] = (
    "fund_outflow",
    "outcome_payments",
    "payments_npv",
    "investor_irr",
    "investor_net_return",
    "area_outflow",
)
"""The figures compared (a :class:`Difference`'s ``measure``):

- ``fund_outflow``: a fund's cash outflow, per fiscal year and over the horizon (``total``);
- ``outcome_payments``: a contract's outcome payments over the horizon, in cash or by advance
  offset;
- ``payments_npv``: their present value, at the programme's discount rate (and deflator);
- ``investor_irr``: an investor's annual IRR (no value where none exists);
- ``investor_net_return``: what it got back (distributions and guarantee) less what it drew;
- ``area_outflow``: the funds' cash outflow over the horizon, by the areas of the contract or
  initiative each payment is for.
"""

TOTAL = "total"
"""The ``year`` of a fund's outflow over the whole horizon."""

_KEYS = ("fund", "year", "contract", "investor", "area")


@attrs.frozen(kw_only=True)
class Difference:
    """One figure of two designs compared scenario by scenario: B − A.

    Attributes:
        measure: What is compared, one of :data:`COMPARED`.
        fund: The fund (``fund_outflow``), else empty.
        year: The fiscal year (``FY2028``) or ``"total"`` for the horizon (``fund_outflow``).
        contract: The contract (contract and investor figures), else empty.
        investor: The investor (investor figures), else empty.
        area: The area's id, or :data:`PROGRAMME_WIDE` (``area_outflow``), else empty.
        present: ``"both"``, or ``"a"`` or ``"b"`` for a figure of one design only, which is
            compared with zero in the other (an IRR, which has no zero, with nothing: its
            difference is missing in every scenario).
        a: The spread of A's figure over the scenarios.
        b: The spread of B's figure.
        difference: The spread of the paired difference B − A: its mean, standard error and
            percentiles over scenarios (scenarios where either has no value are missing).
        p_b_higher: The share of scenarios in which B's figure is higher than A's (beyond
            :data:`TOLERANCE`): for outflows and payments, the probability that B costs more.
            Over the scenarios with a difference; NaN where none has one.
        values: The paired difference B − A in each scenario, ``(scenarios,)``.

    >>> import numpy as np
    >>> same = Spread.of(np.array([1.0]))
    >>> d = Difference(
    ...     measure="outcome_payments", contract="c", present="both", a=same, b=same,
    ...     difference=Spread.of(np.array([0.0])), p_b_higher=0.0, values=np.zeros(1),
    ... )
    >>> d.difference.mean, d.p_b_higher
    (0.0, 0.0)
    """

    measure: str
    fund: str = ""
    year: str = ""
    contract: str = ""
    investor: str = ""
    area: str = ""
    present: Literal["both", "a", "b"]
    a: Spread
    b: Spread
    difference: Spread
    p_b_higher: float
    values: np.ndarray = attrs.field(eq=False, repr=False)

    def to_record(self) -> dict[str, Any]:
        """Plain data: the keys, ``present``, the means of A and B, and the difference's spread.

        Numbers are unrounded; a figure that does not exist is NaN.
        """
        d = self.difference
        return {
            "measure": self.measure,
            **{key: getattr(self, key) for key in _KEYS},
            "present": self.present,
            "a_mean": self.a.mean,
            "b_mean": self.b.mean,
            "mean": d.mean,
            "se": d.se,
            "p10": d.p10,
            "p50": d.p50,
            "p90": d.p90,
            "missing": d.missing,
            "p_b_higher": self.p_b_higher,
        }


RECORD_FIELDS: tuple[str, ...] = (
    "measure",
    *_KEYS,
    "present",
    "a_mean",
    "b_mean",
    "mean",
    "se",
    "p10",
    "p50",
    "p90",
    "missing",
    "p_b_higher",
)
"""The fields of :meth:`Difference.to_record`, in order (the columns of a comparison's CSV)."""


@attrs.frozen(kw_only=True, eq=False)
class DesignComparison:
    """Two designs projected with the same seed, and what B changes, scenario by scenario.

    Made by :func:`compare`. Every figure is a :class:`Difference` B − A.

    Attributes:
        a: The projection of design A (by fiscal year).
        b: The projection of design B (by fiscal year).
        a_label: What A is: its programme's id, and the variant if one was chosen.
        b_label: The same for B.
        funds: Per fund, each fiscal year's outflow, then the outflow over the horizon
            (``year="total"``); A's funds first, then those of B only.
        contracts: Per contract, ``outcome_payments`` then ``payments_npv``.
        investors: Per investor-financed contract, ``investor_irr`` then
            ``investor_net_return``.
        areas: Per area, ``area_outflow``; :data:`PROGRAMME_WIDE` last.

    >>> from programma.examples import leeuwarden_oost
    >>> a = leeuwarden_oost()
    >>> b = a.with_values({"contracts[sib-werkroute].metrics[uitstroom].price": 9000})
    >>> comparison = compare(a, b)
    >>> round(comparison.fund_outflow("pilotfonds").difference.mean, 6)
    0.0
    >>> comparison.outcome_payments("sib-werkroute").difference.mean > 0
    True
    """

    a: Projection
    b: Projection
    a_label: str
    b_label: str
    funds: tuple[Difference, ...]
    contracts: tuple[Difference, ...]
    investors: tuple[Difference, ...]
    areas: tuple[Difference, ...]

    @property
    def mode(self) -> Literal["expected", "monte-carlo"]:
        """``"expected"`` (exact differences of the means, no spread) or ``"monte-carlo"``."""
        return self.a.mode

    @property
    def scenarios(self) -> int:
        """The number of scenarios (1 in expected mode)."""
        return self.a.scenarios

    @property
    def seed(self) -> int | None:
        """The seed both designs were projected with (``None`` in expected mode)."""
        return self.a.seed

    @property
    def currency(self) -> str:
        """The currency of both designs."""
        return self.a.programme.currency

    @property
    def years(self) -> tuple[str, ...]:
        """The fiscal years of both designs."""
        return self.a.periods

    def __iter__(self) -> Iterator[Difference]:
        """Every difference: funds, contracts, investors, areas."""
        yield from self.funds
        yield from self.contracts
        yield from self.investors
        yield from self.areas

    def _find(
        self, rows: Sequence[Difference], measure: str, field: str, wanted: str
    ) -> Difference:
        """The row of ``measure`` whose ``field`` is ``wanted`` (the first, for a fund)."""
        for row in rows:
            if row.measure == measure and getattr(row, field) == wanted:
                return row
        known = list(dict.fromkeys(getattr(row, field) for row in rows if row.measure == measure))
        shown = ", ".join(map(repr, known)) or "none"
        raise KeyError(f"{field}: expected one of the compared ones ({shown}), got {wanted!r}")

    def fund_outflow(self, fund: str, year: str = TOTAL) -> Difference:
        """A fund's outflow in a fiscal year (``"FY2028"``), or over the horizon (``"total"``).

        Raises:
            KeyError: Neither design has the fund, or there is no such fiscal year.
        """
        self._find(self.funds, "fund_outflow", "fund", fund)
        rows = [row for row in self.funds if row.fund == fund]
        return self._find(rows, "fund_outflow", "year", year)

    def outcome_payments(self, contract: str) -> Difference:
        """A contract's outcome payments over the horizon (cash and advance offsets).

        Raises:
            KeyError: Neither design has the contract.
        """
        return self._find(self.contracts, "outcome_payments", "contract", contract)

    def payments_npv(self, contract: str) -> Difference:
        """The present value of a contract's outcome payments.

        Raises:
            KeyError: Neither design has the contract.
        """
        return self._find(self.contracts, "payments_npv", "contract", contract)

    def investor_irr(self, contract: str) -> Difference:
        """The annual IRR of the investor in a contract.

        Raises:
            KeyError: Neither design has an investor in the contract.
        """
        return self._find(self.investors, "investor_irr", "contract", contract)

    def investor_net_return(self, contract: str) -> Difference:
        """What the investor in a contract got back (distributions, guarantee) less it drew.

        Raises:
            KeyError: Neither design has an investor in the contract.
        """
        return self._find(self.investors, "investor_net_return", "contract", contract)

    def area_outflow(self, area: str) -> Difference:
        """The funds' outflow over the horizon for an area (or :data:`PROGRAMME_WIDE`).

        Raises:
            KeyError: Neither design has the area.
        """
        return self._find(self.areas, "area_outflow", "area", area)

    def to_records(self) -> list[dict[str, Any]]:
        """Every difference as plain data (:meth:`Difference.to_record`), unrounded."""
        return [row.to_record() for row in self]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: what was compared, and every difference (NaN as ``None``)."""
        return {
            "a": self.a_label,
            "b": self.b_label,
            "currency": self.currency,
            "mode": self.mode,
            "scenarios": self.scenarios,
            "seed": self.seed,
            "percentile_method": PERCENTILE_METHOD,
            "years": list(self.years),
            "differences": [
                {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
                for r in self.to_records()
            ],
        }

    def to_pandas(self) -> Any:
        """The records as a pandas DataFrame, one row per difference (needs pandas).

        Raises:
            ImportError: pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas needs pandas: pip install 'programma[pandas]'") from None
        return pd.DataFrame(self.to_records(), columns=list(RECORD_FIELDS))

    def _repr_html_(self) -> str:
        """A notebook's view: B − A per fund over the horizon, contract and investor (escaped)."""
        monte_carlo = self.mode == "monte-carlo"

        def cells(row: Difference, percent: bool = False) -> list[str]:
            def show(value: float) -> str:
                return f"{fixed(value * 100, 1)}%" if percent else money(value)

            d = row.difference
            out = [show(row.a.mean), show(row.b.mean), show(d.mean)]
            if monte_carlo:
                out += [show(d.p10), show(d.p90), fixed(row.p_b_higher, 3)]
            return out

        heads = ["A mean", "B mean", "B − A"] + (["P10", "P90", "P(B>A)"] if monte_carlo else [])
        funds = [[r.fund, *cells(r)] for r in self.funds if r.year == TOTAL]
        contracts = [
            [r.contract, *cells(r)] for r in self.contracts if r.measure == "outcome_payments"
        ]
        investors = [
            [f"{r.investor} in {r.contract}", *cells(r, percent=True)]
            for r in self.investors
            if r.measure == "investor_irr"
        ]
        kind = "expected mode" if not monte_carlo else f"{self.scenarios:,} paired scenarios"
        parts = [
            f"<p>Design B − design A, {kind}; B: {html.escape(self.b_label)}, "
            f"A: {html.escape(self.a_label)}; amounts in {html.escape(self.currency)}</p>",
            html_table(["fund", *heads], funds, caption="Fund outflow over the horizon"),
        ]
        if contracts:
            parts.append(html_table(["contract", *heads], contracts, caption="Outcome payments"))
        if investors:
            parts.append(html_table(["investor", *heads], investors, caption="IRR (annual)"))
        return "".join(parts)

    def __repr__(self) -> str:
        kind = run_kind(self.mode, self.scenarios, self.seed)
        return (
            f"<DesignComparison B − A, B: {self.b_label}, A: {self.a_label}; {kind}; "
            f"{sum(1 for _ in self)} differences>"
        )


def _label(programme: Programme, variant: str | None) -> str:
    return programme.id if variant is None else f"{programme.id}, variant {variant}"


def _resolve(programme: object, variant: str | None, which: str) -> Programme:
    if not isinstance(programme, Programme):
        raise TypeError(
            f"compare() needs two Programmes, got {type(programme).__name__} as {which}"
        )
    if variant is None:
        return programme
    if not isinstance(variant, str) or variant not in programme.variants:
        known = ", ".join(map(repr, programme.variants)) or "the programme has none"
        raise ProjectionError(
            f"variant_{which}: expected one of {which.upper()}'s variants ({known}), "
            f"got {variant!r}"
        )
    return programme.variant(variant)


def _check_comparable(a: Programme, b: Programme) -> None:
    """Both designs must share a currency and a time grid: the same fiscal years, in months."""
    problems = []
    if b.currency != a.currency:
        problems.append(Problem("b.currency", f"A's currency, {a.currency!r}", b.currency))
    if b.start != a.start:
        problems.append(Problem("b.start", f"A's start, {a.start.isoformat()}", b.start))
    if b.months != a.months:
        problems.append(
            Problem(
                "b.horizon", f"A's horizon of {a.months} months", described(f"{b.months} months")
            )
        )
    if b.fiscal_year_start_month != a.fiscal_year_start_month:
        problems.append(
            Problem(
                "b.fiscal_year_start_month",
                f"A's, {a.fiscal_year_start_month}",
                b.fiscal_year_start_month,
            )
        )
    if problems:
        raise ValidationError(problems)


def compare(
    a: Programme,
    b: Programme,
    *,
    scenarios: int | None = None,
    seed: int = 0,
    variant_a: str | None = None,
    variant_b: str | None = None,
    chunk_size: int | None = None,
    executor: cf.Executor | None = None,
    max_memory: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> DesignComparison:
    """Project two designs with the same seed and compare them scenario by scenario: B − A.

    Each scenario of B draws the same random numbers as the same scenario of A for everything
    the two share (common random numbers): a fund, contract or area that B does not touch has
    a difference of exactly 0 in every scenario. The spread of the difference (its P10, P50,
    P90) is the spread of what B changes, not of two runs' sampling noise.

    Compared, each as a :class:`Difference` (see :data:`COMPARED`): per fund and fiscal year
    its cash outflow; per contract its outcome payments and their present value; per investor
    its IRR and net return; per area the funds' outflow for it. A payment is for the areas of
    its contract, or of its initiative for a grant, in equal shares when there are several
    (an entity's areas say where it works, not how much in each); one whose entity names no
    area is :data:`PROGRAMME_WIDE`. A figure of one design only is compared with zero (an
    IRR with nothing: its difference is missing). Present values are each at its own
    programme's discount rate, price base and deflator.

    Args:
        a: Design A, the reference.
        b: Design B.
        scenarios: ``None`` for expected mode (exact differences of the designs at their
            means, one scenario, no spread), or the number of Monte Carlo scenarios.
        seed: The seed of both projections.
        variant_a: A variant of ``a`` to compare (default: ``a`` as it is).
        variant_b: A variant of ``b`` to compare; ``compare(p, p, variant_b="low")``
            compares a programme with one of its variants.
        chunk_size: As for :func:`~programma.project`.
        executor: As for :func:`~programma.project`.
        max_memory: As for :func:`~programma.project`, for each projection in turn.
        workers: As for :func:`~programma.project`.
        progress: As for :func:`~programma.project`, called for A's run, then B's.

    Raises:
        ValidationError: The designs do not share a currency, start, horizon and fiscal year
            (their problems' paths start with ``b.``).
        ProjectionError: A bad argument, or a variant a design does not have.
        MemoryBudgetError: A projection would exceed ``max_memory``.

    >>> from programma.examples import leeuwarden_oost
    >>> a = leeuwarden_oost()
    >>> b = a.with_values({"contracts[sib-werkroute].metrics[uitstroom].price": 9000})
    >>> runs = compare(a, b, scenarios=256, seed=1)
    >>> runs.fund_outflow("gemeentebegroting").difference.p90
    0.0
    """
    first = _resolve(a, variant_a, "a")
    second = _resolve(b, variant_b, "b")
    _check_comparable(first, second)
    options: dict[str, Any] = {
        "scenarios": scenarios,
        "seed": seed,
        "resolution": "fiscal_year",
        "chunk_size": chunk_size,
        "executor": executor,
        "max_memory": max_memory,
        "workers": workers,
        "progress": progress,
    }
    pa = project(first, **options)
    pb = project(second, **options)
    return DesignComparison(
        a=pa,
        b=pb,
        a_label=_label(first, variant_a),
        b_label=_label(second, variant_b),
        funds=tuple(_funds(pa, pb)),
        contracts=tuple(_contracts(pa, pb)),
        investors=tuple(_investors(pa, pb)),
        areas=tuple(_areas(pa, pb)),
    )


# -- the figures ------------------------------------------------------------------------------


def _present(in_a: bool, in_b: bool) -> Literal["both", "a", "b"]:
    return "both" if in_a and in_b else "a" if in_a else "b"


def _difference(
    measure: str, va: np.ndarray | None, vb: np.ndarray | None, scenarios: int, **keys: str
) -> Difference:
    """B − A of one figure, ``None`` where a design has no such figure (compared with 0)."""
    nothing = np.full(scenarios, np.nan if measure == "investor_irr" else 0.0)
    a = nothing if va is None else np.asarray(va, dtype=float)
    b = nothing if vb is None else np.asarray(vb, dtype=float)
    diff = b - a
    known = ~np.isnan(diff)
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    higher = diff[known] > TOLERANCE * scale[known]
    return Difference(
        measure=measure,
        **keys,
        present=_present(va is not None, vb is not None),
        a=Spread.of(a),
        b=Spread.of(b),
        difference=Spread.of(diff),
        p_b_higher=float(higher.mean()) if higher.size else math.nan,
        values=diff,
    )


def _union(first: Sequence[str], second: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def _funds(pa: Projection, pb: Projection) -> Iterator[Difference]:
    ids_a = [f.id for f in pa.programme.funds]
    ids_b = [f.id for f in pb.programme.funds]
    for fund in _union(ids_a, ids_b):
        oa = pa.outflow(fund) if fund in ids_a else None
        ob = pb.outflow(fund) if fund in ids_b else None
        for y, year in enumerate(pa.periods):
            yield _difference(
                "fund_outflow",
                None if oa is None else oa[:, y],
                None if ob is None else ob[:, y],
                pa.scenarios,
                fund=fund,
                year=year,
            )
        yield _difference(
            "fund_outflow",
            None if oa is None else oa.sum(axis=1),
            None if ob is None else ob.sum(axis=1),
            pa.scenarios,
            fund=fund,
            year=TOTAL,
        )


def _payments(projection: Projection, contract: str) -> np.ndarray:
    """Outcome payments over the horizon, in cash and by advance offset, per scenario."""
    keep = projection.mask(contract=contract) & np.array(
        [key.flow in ("outcome_payment", "advance_offset") for key in projection.series]
    )
    return np.asarray(projection.values[:, :, keep].sum(axis=(1, 2)))


def _contracts(pa: Projection, pb: Projection) -> Iterator[Difference]:
    ids_a = [c.id for c in pa.programme.contracts]
    ids_b = [c.id for c in pb.programme.contracts]
    for contract in _union(ids_a, ids_b):
        in_a, in_b = contract in ids_a, contract in ids_b
        yield _difference(
            "outcome_payments",
            _payments(pa, contract) if in_a else None,
            _payments(pb, contract) if in_b else None,
            pa.scenarios,
            contract=contract,
        )
        name = f"pv/contract/{contract}/payments"
        yield _difference(
            "payments_npv",
            pa.scalars[name] if in_a else None,
            pb.scalars[name] if in_b else None,
            pa.scenarios,
            contract=contract,
        )


def _investor_figures(projection: Projection) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    found = {}
    for contract in projection.programme.contracts:
        if isinstance(contract.financing, InvestorFinancing):
            scalar = projection.scalars
            prefix = f"investor/{contract.id}/"
            net = (
                scalar[prefix + "distributed"]
                + scalar[prefix + "guarantee"]
                - scalar[prefix + "drawn"]
            )
            found[contract.id, contract.financing.investor] = {
                "investor_irr": np.asarray(scalar[prefix + "irr"]),
                "investor_net_return": np.asarray(net),
            }
    return found


def _investors(pa: Projection, pb: Projection) -> Iterator[Difference]:
    fa, fb = _investor_figures(pa), _investor_figures(pb)
    for key in dict.fromkeys([*fa, *fb]):
        contract, investor = key
        for measure in ("investor_irr", "investor_net_return"):
            yield _difference(
                measure,
                fa[key][measure] if key in fa else None,
                fb[key][measure] if key in fb else None,
                pa.scenarios,
                contract=contract,
                investor=investor,
            )


def _areas(pa: Projection, pb: Projection) -> Iterator[Difference]:
    oa, ob = area_outflows(pa), area_outflows(pb)
    order = [area for area in _union(list(oa), list(ob)) if area != PROGRAMME_WIDE]
    for area in [*order, PROGRAMME_WIDE]:
        yield _difference("area_outflow", oa.get(area), ob.get(area), pa.scenarios, area=area)
