"""A projection as tidy rows and as files: records, CSV, JSON, a pandas DataFrame, Parquet.

The functions that :class:`~programma.engine.projection.Projection`'s methods (``to_records``,
``write_csv``, ``to_dict``, ``write_json``, ``to_pandas``, ``write_parquet``) call. Machine
output keeps full precision (every value as the shortest text that reads back exactly), is
deterministic, and goes out in blocks, so that memory stays bounded however many scenarios
there are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import attrs
import numpy as np

from .series import KEY_FIELDS

if TYPE_CHECKING:
    from .projection import Projection

__all__ = [
    "CSV_BLOCK_ROWS",
    "JSON_BLOCK_VALUES",
    "OUTPUT_FORMAT_VERSION",
    "PARQUET_BLOCK_ROWS",
    "TIDY_COLUMNS",
    "document",
    "pyarrow",
    "records",
    "to_pandas",
    "write_csv",
    "write_json",
    "write_parquet",
]

OUTPUT_FORMAT_VERSION = 1
"""The version of every JSON document programma writes (a projection, a summary, a simulation,
errors): raised when a document's shape changes in a way a reader must know of."""

TIDY_COLUMNS: tuple[str, ...] = (
    "scenario",
    "mode",
    "period",
    "period_start",
    "period_end",
    *KEY_FIELDS,
    "unit",
    "value",
)
"""The columns of the tidy rows (:meth:`Projection.to_records`, ``to_csv``, ``to_pandas``,
``to_parquet``), in order."""

CSV_BLOCK_ROWS = 65_536
"""Rows :meth:`Projection.write_csv` formats and writes at a time (bounds its memory)."""

PARQUET_BLOCK_ROWS = 262_144
"""Rows at most per row group of :meth:`Projection.write_parquet` (whole scenarios; bounds its
memory)."""

JSON_BLOCK_VALUES = 65_536
"""Values of one series :meth:`Projection.write_json` formats and writes at a time (at least
one scenario's periods)."""


def records(projection: Projection, *, include_zeros: bool) -> Iterator[dict[str, Any]]:
    """The tidy rows, one a scenario, period and series (:meth:`Projection.to_records`)."""
    keys = [attrs.asdict(key) for key in projection.series]
    units = projection.units
    bounds = projection.period_bounds
    for s in range(projection.scenarios):
        block = projection.values[s]
        for p, period in enumerate(projection.periods):
            row = block[p]
            for n in range(len(keys)) if include_zeros else np.flatnonzero(row):
                yield {
                    "scenario": s,
                    "mode": projection.mode,
                    "period": period,
                    "period_start": bounds[p][0],
                    "period_end": bounds[p][1],
                    **keys[n],
                    "unit": units[n],
                    "value": float(row[n]),
                }


def write_csv(projection: Projection, stream: TextIO, *, include_zeros: bool) -> None:
    """The tidy rows as CSV to an open text stream (:meth:`Projection.write_csv`)."""
    stream.write(_csv_line(TIDY_COLUMNS) + "\n")
    keys = [
        f"{_csv_line(attrs.astuple(key))},{_csv_line([unit])}"
        for key, unit in zip(projection.series, projection.units, strict=True)
    ]
    periods = [
        _csv_line([period, start.isoformat(), end.isoformat()])
        for period, (start, end) in zip(projection.periods, projection.period_bounds, strict=True)
    ]
    # One prefix per (period, series), in the order of a scenario's flattened values.
    prefixes = [f"{period},{key}," for period in periods for key in keys]
    mode = _csv_line([projection.mode])
    for s in range(projection.scenarios):
        lead = f"{s},{mode},"
        flat = projection.values[s].reshape(-1)
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


def _csv_line(cells: Sequence[str]) -> str:
    """Cells as one CSV line (quoted where needed), without the line end."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def document(projection: Projection) -> dict[str, Any]:
    """The projection as plain data, values unrounded (:meth:`Projection.to_dict`)."""
    return {
        **_json_head(projection),
        "series": [
            {**attrs.asdict(key), "unit": unit, "values": projection.values[:, :, n].tolist()}
            for n, (key, unit) in enumerate(zip(projection.series, projection.units, strict=True))
        ],
        "scalars": {name: _plain(v) for name, v in projection.scalars.items()},
    }


def write_json(projection: Projection, stream: TextIO) -> None:
    """:func:`document` as JSON to an open text stream, in blocks (``Projection.write_json``)."""

    def dumps(data: object) -> str:  # json.dumps uses the C encoder; json.dump does not
        return json.dumps(data, ensure_ascii=False, allow_nan=False)

    head = dumps({**_json_head(projection), "series": []})
    stream.write(head[:-2])  # everything up to the series' opening bracket
    periods = max(len(projection.periods), 1)
    rows = max(1, JSON_BLOCK_VALUES // periods)  # scenarios per block
    for n, (key, unit) in enumerate(zip(projection.series, projection.units, strict=True)):
        if n:
            stream.write(", ")
        fields = dumps({**attrs.asdict(key), "unit": unit, "values": []})
        stream.write(fields[:-2])  # the key fields and '"values": ['
        column = projection.values[:, :, n]
        for start in range(0, projection.scenarios, rows):
            block = dumps(column[start : start + rows].tolist())
            stream.write((", " if start else "") + block[1:-1])
        stream.write("]}")
    scalars = {name: _plain(v) for name, v in projection.scalars.items()}
    stream.write("], " + dumps({"scalars": scalars})[1:] + "\n")


def _json_head(projection: Projection) -> dict[str, Any]:
    """The fields of :func:`document` before the series."""
    return {
        "format_version": OUTPUT_FORMAT_VERSION,
        "kind": "projection",
        "programme": projection.programme.id,
        "currency": projection.programme.currency,
        "mode": projection.mode,
        "seed": projection.seed,
        "scenarios": projection.scenarios,
        "resolution": projection.resolution,
        "periods": projection.period_dicts(),
    }


def _plain(values: np.ndarray) -> list[Any]:
    """Per-scenario figures as a list of Python numbers, NaN as None (JSON's null)."""
    array = np.asarray(values)
    plain: list[Any] = array.tolist()
    if array.dtype.kind in "fc" and np.isnan(array).any():
        return [None if x != x else x for x in plain]  # x != x: NaN
    return plain


def to_pandas(projection: Projection, *, include_zeros: bool) -> Any:
    """The tidy rows as a pandas DataFrame (:meth:`Projection.to_pandas`)."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("to_pandas needs pandas: pip install 'programma[pandas]'") from None
    scenarios, periods, width = projection.values.shape
    # Scenario, period, series: the order of to_records. One copy, which the frame keeps.
    flat = np.ascontiguousarray(projection.values, dtype=np.float64).reshape(-1)
    keep = None if include_zeros else flat != 0  # NaN is kept, as flatnonzero keeps it

    def chosen(column: np.ndarray) -> np.ndarray:
        return column if keep is None else column[keep]

    def labels(pattern: np.ndarray, repeats: int, categories: Any, ordered: bool = False) -> Any:
        """A categorical column: ``pattern`` (codes into ``categories``) ``repeats`` times."""
        # The smallest signed codes pandas keeps as they are (it would convert others).
        kind = next(t for t in (np.int8, np.int16, np.int32) if len(categories) < np.iinfo(t).max)
        codes = chosen(np.tile(pattern.astype(kind, copy=False), repeats))
        # The codes are valid by construction: pandas need not check them.
        return pd.Categorical.from_codes(
            codes, dtype=pd.CategoricalDtype(categories, ordered=ordered), validate=False
        )

    period_codes = np.repeat(np.arange(periods), width)
    index = np.int32 if scenarios <= np.iinfo(np.int32).max else np.int64
    columns: dict[str, Any] = {
        "scenario": chosen(np.repeat(np.arange(scenarios, dtype=index), periods * width)),
        "mode": labels(np.zeros(periods * width, dtype=np.int8), scenarios, [projection.mode]),
        "period": labels(period_codes, scenarios, list(projection.periods)),
    }
    for end, name in enumerate(("period_start", "period_end")):
        # A period's first and last days, as ordered categories of dates (a code a row).
        days = np.array([bound[end] for bound in projection.period_bounds], "datetime64[D]")
        dates = pd.DatetimeIndex(days.astype("datetime64[ns]"))
        columns[name] = labels(period_codes, scenarios, dates, ordered=True)
    for field, categories, codes in _key_labels(projection):
        columns[field] = labels(codes, scenarios * periods, categories)
    columns["value"] = chosen(flat)
    return pd.DataFrame(columns, copy=False)


def write_parquet(projection: Projection, sink: BinaryIO, *, include_zeros: bool) -> None:
    """The tidy rows as Parquet to an open binary stream (:meth:`Projection.write_parquet`)."""
    pa, pq = pyarrow()
    scenarios, periods, width = projection.values.shape
    label = pa.dictionary(pa.int32(), pa.string())
    schema = pa.schema(
        [
            ("scenario", pa.int64()),
            ("mode", label),
            ("period", label),
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
            *[(field, label) for field in (*KEY_FIELDS, "unit")],
            ("value", pa.float64()),
        ]
    )
    # Per label column, its dictionary and the code of each (period, series) cell.
    period_codes = np.repeat(np.arange(periods, dtype=np.int32), width)
    cells: dict[str, tuple[Any, np.ndarray]] = {
        "mode": (pa.array([projection.mode]), np.zeros(periods * width, dtype=np.int32)),
        "period": (pa.array(list(projection.periods), pa.string()), period_codes),
    }
    for field, categories, codes in _key_labels(projection):
        cells[field] = (
            pa.array(categories, pa.string()),
            np.tile(codes.astype(np.int32), periods),
        )
    bounds = projection.period_bounds
    dates = [pa.array([bound[end] for bound in bounds], pa.date32()) for end in (0, 1)]
    per_block = max(1, PARQUET_BLOCK_ROWS // max(periods * width, 1))
    with pq.ParquetWriter(sink, schema) as writer:
        for first in range(0, scenarios, per_block):
            block = projection.values[first : first + per_block]
            flat = block.reshape(-1)
            keep = np.arange(flat.size) if include_zeros else np.flatnonzero(flat)
            cell = keep % (periods * width)  # the (period, series) cell of each row
            columns = {
                "scenario": pa.array(first + keep // max(periods * width, 1), pa.int64()),
                "period_start": dates[0].take(pa.array(cell // max(width, 1))),
                "period_end": dates[1].take(pa.array(cell // max(width, 1))),
                "value": pa.array(flat[keep], pa.float64()),
            }
            for name, (dictionary, codes) in cells.items():
                columns[name] = pa.DictionaryArray.from_arrays(
                    pa.array(codes[cell], pa.int32()), dictionary
                )
            writer.write_table(pa.table([columns[name] for name in TIDY_COLUMNS], schema=schema))


def _key_labels(projection: Projection) -> Iterator[tuple[str, list[str], np.ndarray]]:
    """Per label column of a series (its key fields and unit): the column's name, its distinct
    labels in order of first appearance, and each series' code into them."""
    for field in (*KEY_FIELDS, "unit"):
        names = (
            list(projection.units)
            if field == "unit"
            else [getattr(key, field) for key in projection.series]
        )
        categories = list(dict.fromkeys(names))
        at = {name: code for code, name in enumerate(categories)}
        yield field, categories, np.array([at[name] for name in names], dtype=np.int64)


def pyarrow() -> tuple[Any, Any]:
    """pyarrow and its Parquet module, or an ImportError that says how to install them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "Parquet output needs pyarrow: pip install 'programma[parquet]'"
        ) from None
    return pa, pq
