"""A projection: every flow and measure of a programme, per scenario and period."""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal, Self, TextIO

import attrs
import numpy as np

from .._atomic import atomic_writer
from .._text import html_table, money, run_kind, table
from ..finance import discount_factors
from ..model.programme import Programme
from ..periods.grid import RESOLUTIONS, Resolution, TimeGrid
from . import exports
from .series import COUNTS, KEY_FIELDS, STOCKS, SeriesKey

__all__ = ["Projection"]

COUNT_UNIT = "count"
"""The unit of a measure that counts outcomes (:data:`~programma.engine.series.COUNTS`); every
other series is an amount in the programme's currency, whose code is its unit."""
_COARSER: dict[str, tuple[str, ...]] = {
    "month": ("month", "quarter", "year", "fiscal_year"),
    "quarter": ("quarter", "year", "fiscal_year"),
    "year": ("year", "fiscal_year"),
    "fiscal_year": ("fiscal_year", "year"),
}


_INITIATIVE_COSTS = frozenset({"grant", "delivery_cost", "unpaid_after_end"})
"""The flows an initiative's cost is recorded in (a contract's are keyed by the contract)."""


def _check_resolution(resolution: str) -> Resolution:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}")
    return resolution


@attrs.frozen(eq=False, repr=False)
class Projection:
    """What the engine computes: the fields and attributes :class:`programma.Projection` lists.

    This class selects, regroups and writes them; the public :class:`programma.Projection`,
    which ``programma.project`` returns, adds the summary.
    """

    programme: Programme
    mode: Literal["expected", "monte-carlo"]
    seed: int | None
    resolution: Resolution
    periods: tuple[str, ...]
    series: tuple[SeriesKey, ...]
    values: np.ndarray
    scalars: Mapping[str, np.ndarray] = attrs.field(factory=dict)

    @property
    def scenarios(self) -> int:
        """The number of scenarios (1 in expected mode)."""
        return int(self.values.shape[0])

    @property
    def grid(self) -> TimeGrid:
        """The programme's monthly grid."""
        p = self.programme
        return TimeGrid(p.start, p.months, p.fiscal_year_start_month)

    @property
    def summed_initiatives(self) -> bool:
        """Whether some initiatives' costs are summed per fund and area, not kept apart.

        ``project(..., initiatives=True)`` keeps every initiative in series of its own.
        """
        return any(
            key.flow in _INITIATIVE_COSTS and not key.initiative and not key.contract
            for key in self.series
        )

    # -- selecting ----------------------------------------------------------------------------

    def mask(self, **criteria: str | None) -> np.ndarray:
        """Which series match every given key field (``flow="grant"``, ``payer="gemeente"``…)."""
        unknown = set(criteria) - set(KEY_FIELDS)
        if unknown:
            raise TypeError(
                f"unknown series field(s) {', '.join(sorted(unknown))}; "
                f"the fields are {', '.join(KEY_FIELDS)}"
            )
        return np.array([key.matches(**criteria) for key in self.series], dtype=bool)

    def total(self, **criteria: str | None) -> np.ndarray:
        """The sum of every matching series, per scenario and period, ``(scenarios, periods)``."""
        return np.asarray(self.values[:, :, self.mask(**criteria)].sum(axis=2))

    def select(self, **criteria: str | None) -> Self:
        """A projection with only the matching series."""
        keep = self.mask(**criteria)
        return attrs.evolve(
            self,
            series=tuple(k for k, on in zip(self.series, keep, strict=True) if on),
            values=self.values[:, :, keep],
        )

    # -- regrouping ---------------------------------------------------------------------------

    def by(self, resolution: str) -> Self:
        """The same projection at a coarser resolution; totals are preserved exactly.

        Each coarse period holds the sum of its periods; a balance (:data:`~programma.STOCKS`,
        such as ``investor_entitlement``) holds the value of its last period instead.

        From months, any resolution; from quarters to years, and to fiscal years that start
        with a quarter; between years and fiscal years only when fiscal years are calendar
        years.

        Raises:
            ValueError: The periods do not nest in the requested ones.
        """
        target = _check_resolution(resolution)
        if target == self.resolution:
            return self
        grid = self.grid
        current, _ = grid.groups(self.resolution)
        wanted, labels = grid.groups(target)
        mapping = np.full(len(self.periods), -1)
        for month in range(grid.months):
            if mapping[current[month]] not in (-1, wanted[month]):
                raise ValueError(
                    f"cannot regroup {self.resolution} periods into {target} periods: "
                    f"{self.periods[current[month]]} spans two of them; project at "
                    "resolution='month' to regroup freely"
                )
            mapping[current[month]] = wanted[month]
        # In the layout of a projection's values (each cell's scenarios side by side), each
        # period added into its coarse one in order: the sums of np.add.at, slice by slice.
        values = np.zeros((len(self.series), len(labels), self.scenarios)).transpose(2, 1, 0)
        for period, coarse in enumerate(mapping.tolist()):
            values[:, coarse] += self.values[:, period]
        stocks = np.array([key.flow in STOCKS for key in self.series], dtype=bool)
        if stocks.any():
            # Periods run in order, so the last one mapped to a coarse period is its end.
            last = np.zeros(len(labels), dtype=np.int64)
            last[mapping] = np.arange(len(mapping))
            values[:, :, stocks] = self.values[:, last][:, :, stocks]
        return attrs.evolve(self, resolution=target, periods=labels, values=values)

    # -- reading what funds, investors and gates did -------------------------------------------

    def _one(self, flow: str, what: str, **criteria: str) -> np.ndarray:
        """The one series of ``flow`` matching ``criteria``, ``(scenarios, periods)``."""
        mask = self.mask(flow=flow, **criteria)
        if mask.sum() != 1:
            known = sorted({getattr(key, what) for key in self.series if key.flow == flow})
            raise ValueError(
                f"{what}: expected one with a {flow} series in this projection "
                f"({', '.join(map(repr, known)) or 'none'}), got {criteria[what]!r}"
            )
        return np.asarray(self.values[:, :, mask][:, :, 0])

    def outflow(self, fund: str) -> np.ndarray:
        """A fund's cash outflow per scenario and period, ``(scenarios, periods)``.

        The outflow is every payment made from the fund: grant + outcome_payment + advance +
        step_in_funding + prefinancing + prefinancing_repayment + guarantee_payment, less the
        advance refunds flowing back into it (DESIGN §4.8.10); the series ``fund_outflow``.
        Summed over a fiscal year, outflow − ``budget`` = ``budget_gap``.

        Raises:
            ValueError: The projection has no outflow of ``fund``.

        >>> from programma import project
        >>> from programma.examples import leeuwarden_oost
        >>> yearly = project(leeuwarden_oost()).by("fiscal_year")
        >>> gap = yearly.outflow("gemeentebegroting") - yearly.total(
        ...     flow="budget", fund="gemeentebegroting"
        ... )
        >>> bool(np.allclose(gap, yearly.total(flow="budget_gap", fund="gemeentebegroting")))
        True
        """
        return self._one("fund_outflow", "fund", fund=fund)

    def earned(self, fund: str) -> np.ndarray:
        """What a fund's payers earned per scenario and period, ``(scenarios, periods)``.

        Its share of each contract's ``earned_capped`` (after the contract's caps, before
        fiscal-year caps), at verification: the accrual of DESIGN §4.6; the series
        ``fund_earned``.

        Raises:
            ValueError: The projection has no earned series of ``fund``.

        >>> from programma import project
        >>> from programma.examples import leeuwarden_oost
        >>> expected = project(leeuwarden_oost())
        >>> by_funds = sum(expected.earned(f.id).sum() for f in expected.programme.funds)
        >>> bool(np.isclose(expected.total(flow="earned_capped").sum(), by_funds))
        True
        """
        return self._one("fund_earned", "fund", fund=fund)

    def entitlement(self, contract: str) -> np.ndarray:
        """An investor's entitlement at the end of each period, ``(scenarios, periods)``.

        E ← E·(1+r)^(1/12) + drawdown each month, less the month's distribution (DESIGN §4.5),
        up to the contract's settlement month; after it the entitlement has lapsed (0). The
        series ``investor_entitlement``: a balance, not an amount per period.

        Raises:
            ValueError: ``contract`` is not financed by an investor.
        """
        return self._one("investor_entitlement", "contract", contract=contract)

    def gate_measure(self, gate: str) -> np.ndarray:
        """What a gate's condition measured per scenario, ``(scenarios,)``.

        The count of achieved outcomes verified by the gate month, or their rate (verified
        achieved / verified cohort; NaN where nothing was verified), as compared with the
        target. Whether it was met is ``scalars[f"gate_met/{gate}"]``.

        Raises:
            ValueError: The programme has no gate ``gate``.
        """
        name = f"gate_measure/{gate}"
        if name not in self.scalars:
            known = [g.id for g in self.programme.gates]
            raise ValueError(
                f"gate: expected one of {', '.join(map(repr, known)) or 'no gates'}, got {gate!r}"
            )
        return np.asarray(self.scalars[name])

    # -- exporting ----------------------------------------------------------------------------

    @property
    def units(self) -> tuple[str, ...]:
        """The unit of each series: the currency code for amounts, ``"count"`` for counts.

        >>> from programma import project
        >>> from programma.examples import leeuwarden_oost
        >>> expected = project(leeuwarden_oost())
        >>> sorted(set(expected.units))
        ['EUR', 'count']
        """
        currency = self.programme.currency
        return tuple(COUNT_UNIT if key.flow in COUNTS else currency for key in self.series)

    @property
    def period_bounds(self) -> tuple[tuple[dt.date, dt.date], ...]:
        """Per period, its first and last day within the programme's months.

        A period cut by the programme's start or end (a fiscal year that began before the
        programme did) has the bounds of the part the programme covers.

        >>> from programma import project
        >>> from programma.examples import leeuwarden_oost
        >>> yearly = project(leeuwarden_oost(), resolution="fiscal_year")
        >>> yearly.periods[1], [day.isoformat() for day in yearly.period_bounds[1]]
        ('FY2022', ['2022-01-01', '2022-12-31'])
        """
        grid = self.grid
        inverse, labels = grid.groups(self.resolution)
        first = np.full(len(labels), grid.months, dtype=np.int64)
        np.minimum.at(first, inverse, np.arange(grid.months))
        last = grid.last_months(self.resolution)
        one_day = dt.timedelta(days=1)
        return tuple(
            (grid.month(int(a)), grid.month(int(b) + 1) - one_day)
            for a, b in zip(first.tolist(), last.tolist(), strict=True)
        )

    def to_records(self, *, include_zeros: bool = False) -> Iterator[dict[str, Any]]:
        """Tidy rows: the columns of :data:`TIDY_COLUMNS`, one row per scenario, period, series.

        ``scenario`` is the scenario's number (0 in expected mode, its only scenario) and
        ``mode`` says which mode it is; ``period_start`` and ``period_end`` are the period's
        first and last day (``datetime.date``, see :attr:`period_bounds`); ``unit`` is the
        currency code or ``"count"``. Rows whose value is exactly zero are left out unless
        ``include_zeros``. Values are the engine's, unrounded (as in every file this class
        writes).

        >>> from programma import project
        >>> from programma.examples import leeuwarden_oost
        >>> row = next(project(leeuwarden_oost()).to_records())
        >>> row["scenario"], row["mode"], row["unit"]
        (0, 'expected', 'EUR')
        """
        return exports.records(self, include_zeros=include_zeros)

    def to_csv(self, path: str | os.PathLike[str], *, include_zeros: bool = False) -> Path:
        """Write the tidy rows as CSV, atomically, every value as its shortest exact float.

        Rows are streamed to the file block by block, so the text is never held whole.
        """
        with atomic_writer(path, newline="") as stream:
            self.write_csv(stream, include_zeros=include_zeros)
        return Path(path)

    def write_csv(self, stream: TextIO, *, include_zeros: bool = False) -> None:
        """Write the tidy rows as CSV to an open text stream (see :meth:`to_csv`).

        The columns are those of :meth:`to_records`, dates as ISO text (``2021-12-31``).
        Values are written as Python's ``repr`` of the float, the shortest text that reads
        back as exactly the same number, so that totals in the file add up as the engine's
        do. Rows go out in blocks of at most 65,536, so memory stays bounded.

        >>> import io
        >>> from programma.examples import leeuwarden_oost
        >>> from programma import project
        >>> text = io.StringIO()
        >>> project(leeuwarden_oost()).write_csv(text)
        >>> print(text.getvalue().splitlines()[0])
        scenario,mode,period,period_start,period_end,flow,payer,payee,contract,initiative,fund,metric,area,unit,value
        """
        exports.write_csv(self, stream, include_zeros=include_zeros)

    def to_dict(self) -> dict[str, Any]:
        """The projection as plain data (what :meth:`to_json` writes), values unrounded.

        The document of kind ``"projection"``, version :data:`OUTPUT_FORMAT_VERSION`, whose
        JSON Schema ``programma schema --output projection`` prints: the programme's id and
        currency, the mode, seed, scenarios and resolution, the periods (``label``, ``start``,
        ``end``), every series (its key fields, its ``unit`` and its values per scenario and
        period) and the scalars.

        >>> from programma import project
        >>> from programma.examples import leeuwarden_oost
        >>> document = project(leeuwarden_oost(), resolution="fiscal_year").to_dict()
        >>> document["kind"], document["format_version"], document["periods"][0]
        ('projection', 1, {'label': 'FY2021', 'start': '2021-10-01', 'end': '2021-12-31'})
        """
        return exports.document(self)

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON, atomically; numbers are the shortest exact floats.

        The series are streamed to the file in blocks of scenarios (see :meth:`write_json`).
        """
        with atomic_writer(path) as stream:
            self.write_json(stream)
        return Path(path)

    def write_json(self, stream: TextIO) -> None:
        """Write :meth:`to_dict` as JSON to an open text stream, with a final line end.

        The text is exactly ``json.dump(self.to_dict(), stream, ensure_ascii=False,
        allow_nan=False)`` followed by ``"\\n"``: a scalar's NaN is ``null``, a NaN in a series
        is refused (ValueError). Each series goes out in blocks of at most 65,536 values
        (whole scenarios), so neither the whole document nor one long series is
        held as text or as Python floats.

        >>> import io, json
        >>> from programma.examples import leeuwarden_oost
        >>> from programma import project
        >>> text = io.StringIO()
        >>> expected = project(leeuwarden_oost())
        >>> expected.write_json(text)
        >>> json.loads(text.getvalue())["series"][0]["values"] == expected.values[:, :, 0].tolist()
        True
        """
        exports.write_json(self, stream)

    def period_dicts(self) -> list[dict[str, str]]:
        """The periods as plain data: ``label``, and ``start`` and ``end`` as ISO dates."""
        return [
            {"label": label, "start": start.isoformat(), "end": end.isoformat()}
            for label, (start, end) in zip(self.periods, self.period_bounds, strict=True)
        ]

    def to_pandas(self, *, include_zeros: bool = True) -> Any:
        """The tidy rows as a pandas DataFrame (needs the ``pandas`` extra).

        The same rows, columns, order and values as :meth:`to_records` (zeros included unless
        ``include_zeros=False``), built with array operations. ``scenario`` is int32 (int64
        past 2³¹ − 1 scenarios), ``value`` float64 (unrounded); the labels ``mode``,
        ``period``, the key fields and ``unit`` are categoricals, their categories in the
        projection's order; ``period_start`` and ``period_end`` are ordered categoricals of
        dates (datetime64[ns] categories: ``.dt`` works on them, and
        ``.astype("datetime64[ns]")`` gives plain dates to compare with any date).

        Raises:
            ImportError: pandas is not installed.

        >>> from programma.examples import leeuwarden_oost
        >>> from programma import project
        >>> frame = project(leeuwarden_oost(), resolution="fiscal_year").to_pandas()
        >>> str(frame["flow"].dtype), str(frame["value"].dtype), str(frame["scenario"].dtype)
        ('category', 'float64', 'int32')
        """
        return exports.to_pandas(self, include_zeros=include_zeros)

    def to_parquet(self, path: str | os.PathLike[str], *, include_zeros: bool = False) -> Path:
        """Write the tidy rows as a Parquet file, atomically (needs the ``parquet`` extra).

        See :meth:`write_parquet` for the columns; the file appears whole or not at all.

        Raises:
            ImportError: pyarrow is not installed.
            OutputPathError: ``path`` is empty or a folder.
        """
        exports.pyarrow()  # before the file is opened: no empty file for a missing library
        with atomic_writer(path) as stream:
            self.write_parquet(stream.buffer, include_zeros=include_zeros)
        return Path(path)

    def write_parquet(self, sink: BinaryIO, *, include_zeros: bool = False) -> None:
        """Write the tidy rows as Parquet to an open binary stream (needs ``pyarrow``).

        The rows, columns and order of :meth:`to_records` (zeros left out unless
        ``include_zeros``): ``scenario`` int64, ``period_start`` and ``period_end`` date32,
        ``value`` float64 (unrounded), the labels dictionary-encoded strings. Written in row
        groups of whole scenarios, at most :data:`PARQUET_BLOCK_ROWS` rows where a scenario
        allows, so memory stays bounded.

        Raises:
            ImportError: pyarrow is not installed.
        """
        exports.write_parquet(self, sink, include_zeros=include_zeros)

    def npv(
        self,
        rate: float | str | Sequence[tuple[float, float]] | None = None,
        *,
        base_date: dt.date | None = None,
        **criteria: str | None,
    ) -> np.ndarray:
        """The present value per scenario of the matching series, summed, ``(scenarios,)``.

        Each period's amount is discounted from the end of its last month to the start of
        ``base_date``'s month (default: the price base), in years of 12 months, at ``rate``
        (default: the programme's discount rate; a number, a preset or ``(from year, rate)``
        steps). Exact at monthly resolution; at a coarser one every amount is taken at its
        period's end. Amounts are nominal: the summary's present values, computed from the
        months, also apply the programme's deflator.
        """
        p = self.programme
        base = self.grid.index(p.price_base if base_date is None else base_date)
        years = (self.grid.last_months(self.resolution) + 1 - base) / 12.0
        factors = discount_factors(p.discount_rate if rate is None else rate, years)
        return np.asarray((self.total(**criteria) * factors[None, :]).sum(axis=1))

    # -- display ------------------------------------------------------------------------------

    def flow_totals(self) -> dict[str, np.ndarray]:
        """Per flow or measure name, the scenario-mean total per period."""
        mean = self.values.mean(axis=0)
        totals: dict[str, np.ndarray] = {}
        for n, key in enumerate(self.series):
            totals[key.flow] = totals.get(key.flow, 0.0) + mean[:, n]
        return totals

    def _headline(self) -> str:
        kind = run_kind(self.mode, self.scenarios, self.seed)
        return (
            f"Projection of {self.programme.id!r}: {kind}, {len(self.periods)} "
            f"{self.resolution.replace('_', ' ')} periods, {len(self.series)} series"
        )

    def _headline_rows(self) -> list[list[str]]:
        """Per cash flow and money measure, its total over the horizon (scenario mean)."""
        currency = self.programme.currency
        return [
            [name, money(float(values.sum()), currency)]
            for name, values in self.flow_totals().items()
            if name not in COUNTS and name not in STOCKS and name not in ("budget", "budget_gap")
        ]

    def __repr__(self) -> str:
        body = table(
            ["flow or measure", "total (scenario mean)"], self._headline_rows(), indent="  "
        )
        return f"<{self._headline()}\n{body}>"

    def _repr_html_(self) -> str:
        """A notebook's view: the headline and each flow's total, not a column per period."""
        return f"<p>{html.escape(self._headline())}</p>" + html_table(
            ["flow or measure", "total (scenario mean)"], self._headline_rows()
        )
