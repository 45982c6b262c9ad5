"""A projection: every flow and measure of a programme, per scenario and period."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

import attrs
import numpy as np

from .._atomic import atomic_writer
from .._text import money, number, table
from ..finance import discount_factors
from ..model.programme import Programme
from ..periods.grid import RESOLUTIONS, Resolution, TimeGrid
from .series import COUNTS, STOCKS, SeriesKey

__all__ = ["Projection"]

_KEY_FIELDS = ("flow", "payer", "payee", "contract", "initiative", "fund", "metric", "area")
_COARSER: dict[str, tuple[str, ...]] = {
    "month": ("month", "quarter", "year", "fiscal_year"),
    "quarter": ("quarter", "year", "fiscal_year"),
    "year": ("year", "fiscal_year"),
    "fiscal_year": ("fiscal_year", "year"),
}


_INITIATIVE_COSTS = frozenset({"grant", "delivery_cost", "unpaid_after_end"})
"""The flows an initiative's cost is recorded in (a contract's are keyed by the contract)."""

CSV_BLOCK_ROWS = 65_536
"""Rows :meth:`Projection.write_csv` formats and writes at a time (bounds its memory)."""

JSON_BLOCK_VALUES = 65_536
"""Values of one series :meth:`Projection.write_json` formats and writes at a time (at least
one scenario's periods)."""


def _csv_line(cells: Sequence[str]) -> str:
    """Cells as one CSV line (quoted where needed), without the line end."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _check_resolution(resolution: str) -> Resolution:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}")
    return resolution


@attrs.frozen(eq=False, repr=False)
class Projection:
    """The flows and measures of a programme, per scenario, period and series.

    What the engine computes and how it is selected, regrouped and written; the public
    :class:`programma.Projection` adds the summary.

    ``values[s, p, n]`` is series ``series[n]`` in period ``periods[p]`` of scenario ``s``.
    In expected mode there is one scenario (every distribution at its mean).

    Attributes:
        programme: The programme projected.
        mode: ``"expected"`` or ``"monte-carlo"``.
        seed: The seed of a Monte Carlo run (``None`` in expected mode).
        resolution: The periods kept: month, quarter, year or fiscal_year.
        periods: The period labels (``2021-01``, ``2021Q1``, ``2021``, ``FY2021``).
        series: What each series is (flow or measure, payer, payee, contract, …).
        values: The numbers, ``(scenarios, periods, series)``.
        scalars: Per-scenario figures by name (e.g. how much each cap cut), each ``(scenarios,)``.
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
        unknown = set(criteria) - set(_KEY_FIELDS)
        if unknown:
            raise TypeError(
                f"unknown series field(s) {', '.join(sorted(unknown))}; "
                f"the fields are {', '.join(_KEY_FIELDS)}"
            )
        return np.array([key.matches(**criteria) for key in self.series], dtype=bool)

    def total(self, **criteria: str | None) -> np.ndarray:
        """The sum of every matching series, per scenario and period, ``(scenarios, periods)``."""
        return np.asarray(self.values[:, :, self.mask(**criteria)].sum(axis=2))

    def select(self, **criteria: str | None) -> Projection:
        """A projection with only the matching series."""
        keep = self.mask(**criteria)
        return attrs.evolve(
            self,
            series=tuple(k for k, on in zip(self.series, keep, strict=True) if on),
            values=self.values[:, :, keep],
        )

    # -- regrouping ---------------------------------------------------------------------------

    def by(self, resolution: str) -> Projection:
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
        values = np.zeros((self.scenarios, len(labels), len(self.series)))
        np.add.at(np.moveaxis(values, 1, 0), mapping, np.moveaxis(self.values, 1, 0))
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

    def _scenario_labels(self) -> list[int] | list[str]:
        if self.mode == "expected":
            return ["expected"]
        return list(range(self.scenarios))

    def to_records(self, *, include_zeros: bool = False) -> Iterator[dict[str, Any]]:
        """Tidy rows: scenario, period, the series' key fields, and value.

        Rows whose value is exactly zero are left out unless ``include_zeros``. Values are the
        engine's, unrounded (as in every file this class writes).
        """
        keys = [attrs.asdict(key) for key in self.series]
        for s, scenario in enumerate(self._scenario_labels()):
            block = self.values[s]
            for p, period in enumerate(self.periods):
                row = block[p]
                for n in range(len(keys)) if include_zeros else np.flatnonzero(row):
                    yield {
                        "scenario": scenario,
                        "period": period,
                        **keys[n],
                        "value": float(row[n]),
                    }

    def to_csv(self, path: str | os.PathLike[str], *, include_zeros: bool = False) -> Path:
        """Write the tidy rows as CSV, atomically, every value as its shortest exact float.

        Rows are streamed to the file block by block, so the text is never held whole.
        """
        with atomic_writer(path, newline="") as stream:
            self.write_csv(stream, include_zeros=include_zeros)
        return Path(path)

    def write_csv(self, stream: TextIO, *, include_zeros: bool = False) -> None:
        """Write the tidy rows as CSV to an open text stream (see :meth:`to_csv`).

        Values are written as Python's ``repr`` of the float, the shortest text that reads
        back as exactly the same number, so that totals in the file add up as the engine's
        do. Rows go out in blocks of at most 65,536, so memory stays bounded.

        >>> import io
        >>> from programma.examples import leeuwarden_oost
        >>> from programma import project
        >>> text = io.StringIO()
        >>> project(leeuwarden_oost()).write_csv(text)
        >>> text.getvalue().splitlines()[0]
        'scenario,period,flow,payer,payee,contract,initiative,fund,metric,area,value'
        """
        stream.write(_csv_line(["scenario", "period", *_KEY_FIELDS, "value"]) + "\n")
        keys = [_csv_line(attrs.astuple(key)) for key in self.series]
        # One prefix per (period, series), in the order of a scenario's flattened values.
        prefixes = [f"{_csv_line([period])},{key}," for period in self.periods for key in keys]
        for s, scenario in enumerate(self._scenario_labels()):
            lead = _csv_line([str(scenario)]) + ","
            flat = self.values[s].reshape(-1)
            where = np.arange(flat.size) if include_zeros else np.flatnonzero(flat)
            for start in range(0, where.size, CSV_BLOCK_ROWS):
                chosen = where[start : start + CSV_BLOCK_ROWS]
                stream.write(
                    "".join(
                        [
                            f"{lead}{prefixes[i]}{value!r}\n"
                            for i, value in zip(chosen.tolist(), flat[chosen].tolist(), strict=True)
                        ]
                    )
                )

    def to_dict(self) -> dict[str, Any]:
        """The projection as plain data (what :meth:`to_json` writes), values unrounded."""
        return {
            **self._json_head(),
            "series": [
                {**attrs.asdict(key), "values": self.values[:, :, n].tolist()}
                for n, key in enumerate(self.series)
            ],
            "scalars": {name: _plain(v) for name, v in self.scalars.items()},
        }

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

        def dumps(data: object) -> str:  # json.dumps uses the C encoder; json.dump does not
            return json.dumps(data, ensure_ascii=False, allow_nan=False)

        head = dumps({**self._json_head(), "series": []})
        stream.write(head[:-2])  # everything up to the series' opening bracket
        periods = max(len(self.periods), 1)
        rows = max(1, JSON_BLOCK_VALUES // periods)  # scenarios per block
        for n, key in enumerate(self.series):
            if n:
                stream.write(", ")
            fields = dumps({**attrs.asdict(key), "values": []})
            stream.write(fields[:-2])  # the key fields and '"values": ['
            column = self.values[:, :, n]
            for start in range(0, self.scenarios, rows):
                block = dumps(column[start : start + rows].tolist())
                stream.write((", " if start else "") + block[1:-1])
            stream.write("]}")
        scalars = {name: _plain(v) for name, v in self.scalars.items()}
        stream.write("], " + dumps({"scalars": scalars})[1:] + "\n")

    def _json_head(self) -> dict[str, Any]:
        """The fields of :meth:`to_dict` before the series."""
        return {
            "programme": self.programme.id,
            "currency": self.programme.currency,
            "mode": self.mode,
            "seed": self.seed,
            "scenarios": self.scenarios,
            "resolution": self.resolution,
            "periods": list(self.periods),
        }

    def to_pandas(self, *, include_zeros: bool = True) -> Any:
        """The tidy rows as a pandas DataFrame (needs the ``pandas`` extra).

        The same rows, columns, order and values as :meth:`to_records` (zeros included unless
        ``include_zeros=False``), built with array operations. ``value`` is float64, unrounded;
        the labels ``period`` and the key fields (and ``scenario`` in expected mode, where it is
        ``"expected"``) are categoricals, their categories in the projection's order; in Monte
        Carlo ``scenario`` is the scenario's number (int64).

        Raises:
            ImportError: pandas is not installed.

        >>> from programma.examples import leeuwarden_oost
        >>> from programma import project
        >>> frame = project(leeuwarden_oost(), resolution="fiscal_year").to_pandas()
        >>> str(frame["flow"].dtype), str(frame["value"].dtype)
        ('category', 'float64')
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas needs pandas: pip install 'programma[pandas]'") from None
        scenarios, periods, width = self.values.shape
        flat = self.values.reshape(-1)  # scenario, period, series: the order of to_records
        keep = None if include_zeros else flat != 0  # NaN is kept, as flatnonzero keeps it

        def chosen(column: np.ndarray) -> np.ndarray:
            return column if keep is None else column[keep]

        def labels(pattern: np.ndarray, repeats: int, categories: Sequence[str]) -> Any:
            """A categorical column: ``pattern`` (codes into ``categories``) ``repeats`` times."""
            # The smallest signed codes pandas keeps as they are (it would convert others).
            kind = next(
                t for t in (np.int8, np.int16, np.int32) if len(categories) < np.iinfo(t).max
            )
            codes = chosen(np.tile(pattern.astype(kind, copy=False), repeats))
            # The codes are valid by construction: pandas need not check them.
            return pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype(list(categories)), validate=False
            )

        if self.mode == "expected":
            scenario = labels(np.zeros(flat.size, dtype=np.int8), 1, ["expected"])
        else:
            scenario = chosen(np.repeat(np.arange(scenarios, dtype=np.int64), periods * width))
        columns: dict[str, Any] = {
            "scenario": scenario,
            "period": labels(np.repeat(np.arange(periods), width), scenarios, self.periods),
        }
        for field in _KEY_FIELDS:
            names = [getattr(key, field) for key in self.series]
            categories = list(dict.fromkeys(names))  # in order of first appearance
            at = {name: code for code, name in enumerate(categories)}
            codes = np.array([at[name] for name in names], dtype=np.int64)
            columns[field] = labels(codes, scenarios * periods, categories)
        columns["value"] = np.array(chosen(flat), dtype=np.float64)
        return pd.DataFrame(columns, copy=False)

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
        kind = (
            "expected mode"
            if self.mode == "expected"
            else f"{self.scenarios} scenarios, seed {self.seed}"
        )
        return (
            f"Projection of {self.programme.id!r}: {kind}, {len(self.periods)} "
            f"{self.resolution.replace('_', ' ')} periods, {len(self.series)} series"
        )

    def __repr__(self) -> str:
        totals = self.flow_totals()
        rows = [
            [name, money(float(values.sum()), self.programme.currency)]
            for name, values in totals.items()
            if name not in COUNTS and name not in STOCKS and name not in ("budget", "budget_gap")
        ]
        body = table(["flow or measure", "total (scenario mean)"], rows, indent="  ")
        return f"<{self._headline()}\n{body}>"

    def _repr_html_(self) -> str:
        totals = self.flow_totals()
        head = "".join(f"<th>{html.escape(p)}</th>" for p in self.periods)
        rows = "".join(
            f"<tr><th>{html.escape(name)}</th>"
            + "".join(f"<td>{number(float(v), 0)}</td>" for v in values)
            + "</tr>"
            for name, values in totals.items()
        )
        return (
            f"<p>{html.escape(self._headline())} (scenario means)</p>"
            f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>"
        )


def _plain(values: np.ndarray) -> list[Any]:
    """Per-scenario figures as a list of Python numbers, NaN as None (JSON's null)."""
    array = np.asarray(values)
    plain: list[Any] = array.tolist()
    if array.dtype.kind in "fc" and np.isnan(array).any():
        return [None if x != x else x for x in plain]  # x != x: NaN
    return plain
