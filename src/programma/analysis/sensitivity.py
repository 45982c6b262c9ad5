"""Sensitivity analysis: which uncertain inputs move an output, one at a time and together.

An **output** is one number per scenario, named by a small spec ``KIND:ID:MEASURE``
(``fund:ID:total``, ``payer:ID:npv``, …) or given as a small value (:class:`FundTotal`, …):
see :mod:`~programma.analysis.outputs`. An **uncertain parameter** is any input the engine
draws per scenario, named by its path (:func:`~programma.uncertain_parameters`).

* :func:`one_way_sensitivity` (deterministic, "tornado"): each parameter set to its P10 and
  its P90 (or to given bounds), every other input at its mean (expected mode); the output at
  low, base and high, sorted by swing.
* :func:`global_sensitivity` (probabilistic): one Monte Carlo run, and each parameter's share
  of the output's variance, as its squared standardised regression coefficient.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import attrs
import numpy as np

from .._errors import Problem, ValidationError, described
from .._text import number, table
from ..engine.inputs import ParameterDraws, UncertainParameter, parameter_draws
from ..engine.inputs import uncertain_parameters as _uncertain_parameters
from ..engine.project import project
from ..model.checks import some_ids
from ..model.distributions import SCALAR_TYPES, Fixed, Ref, Yearly, describe
from ..model.programme import Programme
from ..model.whatif import parse_path
from ..uncertainty.cdf import quantile
from .outputs import InvestorIRR, Output, checked_output, evaluate, label, shown

__all__ = [
    "GlobalRow",
    "GlobalSensitivity",
    "OneWayRow",
    "OneWaySensitivity",
    "global_sensitivity",
    "one_way_sensitivity",
]


# -- values for people and for JSON -------------------------------------------------------------


def _input(value: float) -> str:
    """An input's value for people: whole units when large, four decimals when small."""
    return number(value, 0 if abs(value) >= 1000 else 4)


def _plain(value: float) -> float | None:
    """A float for JSON: NaN becomes ``None``."""
    return None if math.isnan(value) else value


# -- choosing parameters ------------------------------------------------------------------------


def _canonical(programme: Programme, path: object) -> tuple[str, object] | None:
    """``path`` with ids in place of indexes where entities have ids, and the value there.

    ``None`` when the path leads nowhere in the programme.
    """
    try:
        steps = parse_path(path)
    except ValidationError:
        return None
    obj: Any = programme
    shown = ""
    for step in steps:
        if step.field is not None:
            if not attrs.has(type(obj)) or step.field not in attrs.fields_dict(type(obj)):
                return None
            obj = getattr(obj, step.field)
            shown = f"{shown}.{step.field}" if shown else step.field
            continue
        key = step.key
        if not isinstance(obj, tuple) or not obj or key is None:
            return None
        if isinstance(obj[0], tuple):  # (year, value) pairs, keyed by the year
            found = [inner for year, inner in obj if str(year) == key]
            if not found:
                return None
            obj = found[0]
        elif key.isascii() and key.isdigit():
            if int(key) >= len(obj):
                return None
            obj = obj[int(key)]
            key = obj.id if isinstance(getattr(obj, "id", None), str) else key
        else:
            found = [item for item in obj if getattr(item, "id", None) == key]
            if not found:
                return None
            obj = found[0]
        shown = f"{shown}[{key}]"
    return shown, obj


def _choose(
    programme: Programme, chosen: Sequence[str] | None, where: str
) -> tuple[list[UncertainParameter], list[Problem]]:
    """The uncertain parameters named by ``chosen`` (default: every one), and the problems."""
    every = _uncertain_parameters(programme)
    if chosen is None:
        return list(every), []
    if isinstance(chosen, str) or not isinstance(chosen, Sequence):
        return [], [Problem(where, "a list of paths", chosen)]
    by_path = {parameter.path: parameter for parameter in every}
    paths = list(by_path)
    out: list[UncertainParameter] = []
    problems: list[Problem] = []
    for index, path in enumerate(chosen):
        here = f"{where}[{index}]"
        found = _canonical(programme, path)
        if found is not None and found[0] in by_path:
            if by_path[found[0]] not in out:
                out.append(by_path[found[0]])
            continue
        if found is not None and _is_distribution(found[1]):
            value = found[1]
            if isinstance(value, Yearly):
                reason = "a yearly path: name one of its entries (….by_year[YEAR])"
            elif isinstance(value, Ref):
                reason = f"a reference to parameter {value.name!r}: name the parameter"
            elif isinstance(value, Fixed):
                reason = f"a fixed {describe(value)}, which draws nothing"
            else:
                reason = f"{describe(value)}, which is not drawn per scenario"  # type: ignore[arg-type]
            problems.append(
                Problem(
                    here,
                    f"the path of an uncertain parameter ({some_ids(paths, 4)})",
                    described(f"{path!r}, {reason}"),
                )
            )
        else:
            problems.append(
                Problem(
                    here,
                    f"the path of one of the programme's uncertain parameters "
                    f"({some_ids(paths, 4)})",
                    path,
                )
            )
    return out, problems


def _is_distribution(value: object) -> bool:
    return isinstance(value, (*SCALAR_TYPES, Yearly))


# -- one-way sensitivity ------------------------------------------------------------------------


@attrs.frozen
class OneWayRow:
    """One parameter of a one-way sensitivity: a bar of a tornado chart.

    Attributes:
        parameter: The parameter's path.
        low: The value it was set to for ``output_low`` (its low quantile, or the low bound).
        high: The value it was set to for ``output_high``.
        output_low: The output with the parameter at ``low``, every other input at its mean.
        output_base: The output with every input at its mean.
        output_high: The output with the parameter at ``high``.
        swing: ``|output_high − output_low|`` (NaN where either does not exist).
    """

    parameter: str
    low: float
    high: float
    output_low: float
    output_base: float
    output_high: float
    swing: float


_ROW_FIELDS = ("parameter", "low", "high", "output_low", "output_base", "output_high", "swing")


@attrs.frozen
class OneWaySensitivity:
    """A one-way (deterministic) sensitivity of one output: tornado data.

    Attributes:
        output: The output analysed.
        base: The output in expected mode (every input at its mean).
        quantiles: The levels each parameter was set to, low and high (where no bounds were
            given).
        rows: One per parameter, largest swing first (a swing that does not exist last).
        currency: The programme's currency.
    """

    output: Output
    base: float
    quantiles: tuple[float, float]
    rows: tuple[OneWayRow, ...]
    currency: str

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as plain dicts (``parameter``, ``low``, …, ``swing``), unrounded."""
        return [attrs.asdict(row) for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, unrounded; NaN becomes ``None`` (JSON has no NaN)."""
        return {
            "analysis": "one-way",
            "output": str(self.output),
            "label": label(self.output),
            "currency": self.currency,
            "quantiles": list(self.quantiles),
            "base": _plain(self.base),
            "rows": [
                {k: v if isinstance(v, str) else _plain(v) for k, v in row.items()}
                for row in self.to_records()
            ],
        }

    def write_csv(self, stream: TextIO) -> None:
        """The rows as CSV, a header first; numbers as the shortest text that reads back."""
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(_ROW_FIELDS)
        for row in self.rows:
            writer.writerow([row.parameter, *(repr(getattr(row, f)) for f in _ROW_FIELDS[1:])])

    def __str__(self) -> str:
        low, high = (f"P{number(q * 100, 2)}" for q in self.quantiles)

        def show(value: float) -> str:
            return shown(self.output, value, "")

        rows = [
            [
                row.parameter,
                _input(row.low),
                _input(row.high),
                show(row.output_low),
                show(row.output_high),
                show(row.swing),
            ]
            for row in self.rows
        ]
        unit = "" if isinstance(self.output, InvestorIRR) else f"; amounts in {self.currency}"
        head = [
            f"One-way sensitivity of {self.output} ({label(self.output)})",
            f"each parameter at its {low} and {high} (or the bounds given), every other input "
            f"at its mean{unit}",
            f"base (every input at its mean): {show(self.base)}",
        ]
        headers = ["parameter", "low", "high", "output at low", "output at high", "swing"]
        return "\n".join([*head, "", table(headers, rows)])


def _bound_pair(value: object) -> tuple[float, float] | None:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        return None
    low, high = value
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (low, high))
    if not numbers or not all(math.isfinite(x) for x in (low, high)):
        return None
    return float(low), float(high)


def one_way_sensitivity(
    programme: Programme,
    output: str | Output,
    *,
    parameters: Sequence[str] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    quantiles: tuple[float, float] = (0.1, 0.9),
) -> OneWaySensitivity:
    """Set each parameter to a low and a high value in turn, the others at their means.

    The base is the programme in expected mode. For each parameter, the programme is changed
    with :meth:`Programme.with_values`, the parameter's distribution replaced by a fixed value
    (its ``quantiles``, by default its P10 and P90, or the bounds given), and projected in
    expected mode again. A reference to a parameter follows it (``factor × value + offset``).

    Args:
        programme: The programme.
        output: A spec (``"fund:resultatenfonds:total"``) or an output object.
        parameters: The paths to vary, ids or indexes (default: every uncertain parameter,
            :func:`~programma.uncertain_parameters`).
        bounds: Low and high values by path, in place of the quantiles. A path given here is
            varied too, and may be any distribution of the programme, a fixed one included.
        quantiles: The low and high levels, ``0 < low < high < 1``.

    Raises:
        ValidationError: Every problem at once: a bad output or one the programme does not
            have (path ``output``), a path that is not an uncertain parameter
            (``parameters[i]``), bad bounds (``bounds[PATH]``), bad quantiles, or a value
            the programme refuses (the problems of :meth:`~Programme.with_values`).

    >>> from programma.examples import leeuwarden_oost
    >>> tornado = one_way_sensitivity(
    ...     leeuwarden_oost(),
    ...     "fund:resultatenfonds:total",
    ...     parameters=["parameters[labour_market].distribution"],
    ... )
    >>> row = tornado.rows[0]
    >>> round(row.low, 4), round(row.high, 4), round(row.output_low), round(row.output_high)
    (0.8088, 1.1762, 2831309, 3317291)
    """
    chosen, problems = checked_output(output, programme)
    q = _quantile_pair(quantiles)
    if q is None:
        problems.append(
            Problem("quantiles", "two levels 0 < low < high < 1, such as (0.1, 0.9)", quantiles)
        )
    varied, found = _choose(programme, parameters, "parameters")
    problems += found
    given: dict[str, tuple[float, float]] = {}
    if bounds is not None:
        if not isinstance(bounds, Mapping):
            problems.append(Problem("bounds", "a mapping of paths to (low, high)", bounds))
            bounds = {}
        for path, pair in bounds.items():
            here = f"bounds[{path}]"
            found_path = _canonical(programme, path)
            if found_path is None or not _is_distribution(found_path[1]):
                problems.append(Problem(here, "the path of a distribution of the programme", path))
                continue
            if isinstance(found_path[1], Yearly):
                problems.append(
                    Problem(
                        here,
                        "one value per scenario: name an entry of the yearly path "
                        "(….by_year[YEAR])",
                        path,
                    )
                )
                continue
            values = _bound_pair(pair)
            if values is None:
                problems.append(Problem(here, "two finite numbers (low, high)", pair))
                continue
            given[found_path[0]] = values
    # The values are set even when other arguments are wrong: what the programme refuses is
    # reported with the rest.
    paths = [parameter.path for parameter in varied]
    paths += [path for path in given if path not in paths]
    dists = {parameter.path: parameter.distribution for parameter in varied}
    named = programme.parameter_distributions
    changed: list[tuple[str, float, float, Programme, Programme]] = []
    for path in paths:
        if path in given:
            low, high = given[path]
        elif q is not None:
            low, high = (quantile(dists[path], level, named) for level in q)
        else:
            continue
        try:
            low_programme = programme.with_values({path: low})
            high_programme = programme.with_values({path: high})
        except ValidationError as error:
            problems += [problem.under(f"bounds[{path}]") for problem in error.problems]
            continue
        changed.append((path, low, high, low_programme, high_programme))
    if problems or chosen is None or q is None:
        raise ValidationError(problems)
    base = _expected(chosen, programme)
    rows = []
    for path, low, high, low_programme, high_programme in changed:
        at_low, at_high = _expected(chosen, low_programme), _expected(chosen, high_programme)
        rows.append(OneWayRow(path, low, high, at_low, base, at_high, abs(at_high - at_low)))
    rows.sort(key=lambda row: -row.swing if not math.isnan(row.swing) else math.inf)
    return OneWaySensitivity(chosen, base, q, tuple(rows), programme.currency)


def _quantile_pair(value: object) -> tuple[float, float] | None:
    pair = _bound_pair(value)
    if pair is None or not 0.0 < pair[0] < pair[1] < 1.0:
        return None
    return pair


def _expected(output: Output, programme: Programme) -> float:
    """The output in expected mode."""
    return float(evaluate(output, project(programme, resolution="fiscal_year"))[0])


# -- global sensitivity -------------------------------------------------------------------------


@attrs.frozen
class GlobalRow:
    """One parameter's part in the Monte Carlo variance of an output.

    Attributes:
        parameter: The parameter's path.
        share: Its share of the output's variance: the square of its standardised regression
            coefficient (for an entry of a yearly path, the sum over the years it governs).
        rank_correlation: Spearman's rank correlation of the output with the parameter's draw
            (for an entry of a yearly path, with the mean of its years' draws): its sign says
            which way the parameter moves the output.
    """

    parameter: str
    share: float
    rank_correlation: float


@attrs.frozen(eq=False)
class GlobalSensitivity:
    """A global (probabilistic) sensitivity of one output over a Monte Carlo run.

    Attributes:
        output: The output analysed.
        scenarios: The scenarios of the run.
        seed: Its seed.
        values: The output per scenario (NaN where it does not exist, such as an IRR).
        draws: Each scenario's draws of every uncertain parameter.
        missing: The scenarios left out because the output does not exist in them.
        r_squared: The share of the variance that a linear model in the parameters explains;
            the shares of the rows sum to about this.
        rows: One per parameter analysed, largest share first.
        currency: The programme's currency.
    """

    output: Output
    scenarios: int
    seed: int
    values: np.ndarray
    draws: ParameterDraws
    missing: int
    r_squared: float
    rows: tuple[GlobalRow, ...]
    currency: str

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as plain dicts (``parameter``, ``share``, ``rank_correlation``)."""
        return [attrs.asdict(row) for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, unrounded; NaN becomes ``None`` (JSON has no NaN)."""
        finite = self.values[~np.isnan(self.values)]
        return {
            "analysis": "global",
            "output": str(self.output),
            "label": label(self.output),
            "currency": self.currency,
            "scenarios": self.scenarios,
            "seed": self.seed,
            "missing": self.missing,
            "mean": _plain(float(finite.mean())) if finite.size else None,
            "sd": _plain(float(finite.std(ddof=1))) if finite.size > 1 else None,
            "r_squared": _plain(self.r_squared),
            "rows": [
                {
                    "parameter": row.parameter,
                    "share": _plain(row.share),
                    "rank_correlation": _plain(row.rank_correlation),
                }
                for row in self.rows
            ],
        }

    def write_csv(self, stream: TextIO) -> None:
        """The rows as CSV, a header first; numbers as the shortest text that reads back."""
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["parameter", "share", "rank_correlation"])
        for row in self.rows:
            writer.writerow([row.parameter, repr(row.share), repr(row.rank_correlation)])

    def __str__(self) -> str:
        finite = self.values[~np.isnan(self.values)]
        mean = float(finite.mean()) if finite.size else math.nan
        sd = float(finite.std(ddof=1)) if finite.size > 1 else math.nan

        def show(value: float) -> str:
            return shown(self.output, value, self.currency)

        head = [
            f"Global sensitivity of {self.output} ({label(self.output)})",
            f"{self.scenarios:,} Monte Carlo scenarios (seed {self.seed}); mean {show(mean)}, "
            f"standard deviation {show(sd)}"
            + (f"; {self.missing:,} scenario(s) without a value left out" if self.missing else ""),
            "share: the squared standardised regression coefficient; R² of the linear model "
            f"{number(self.r_squared, 3)}",
        ]
        rows = [
            [row.parameter, number(row.share, 3), number(row.rank_correlation, 3)]
            for row in self.rows
        ]
        return "\n".join([*head, "", table(["parameter", "share", "rank correlation"], rows)])


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties given the mean of their ranks (as Spearman's correlation needs)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return np.asarray(np.bincount(inverse, weights=ranks)[inverse] / counts[inverse])


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    scale = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / scale) if scale > 0 else math.nan


def global_sensitivity(
    programme: Programme,
    output: str | Output,
    *,
    scenarios: int = 1000,
    seed: int = 0,
    parameters: Sequence[str] | None = None,
) -> GlobalSensitivity:
    """Each parameter's share of the Monte Carlo variance of an output.

    The programme is projected with ``scenarios`` and ``seed``; the output per scenario is
    regressed on every scenario's draws (:func:`~programma.parameter_draws`), all
    standardised: ``y = Σ βₖ xₖ + ε``. With independent inputs, as they are drawn, ``βₖ²`` is
    the share of the variance of ``y`` that input ``k`` explains through the linear model, and
    the shares sum to about R². What they leave, ``1 − R²``, is what no linear model in the
    inputs explains: non-linear effects and interactions (caps, thresholds, gates), and
    Poisson enrolment noise, which is not a parameter.

    Args:
        programme: The programme.
        output: A spec or an output object.
        scenarios: Monte Carlo scenarios; more than the number of columns of draws + 1.
        seed: The seed.
        parameters: The paths of the parameters to report (default: every one). The
            regression still takes every parameter in, so a share does not depend on which
            others are reported.

    Raises:
        ValidationError: A bad output, a path that is not an uncertain parameter, or too few
            scenarios for the regression.
        ProjectionError: Bad ``scenarios`` or ``seed``, too few samples.
    """
    chosen, problems = checked_output(output, programme)
    reported, found = _choose(programme, parameters, "parameters")
    problems += found
    if problems or chosen is None:
        raise ValidationError(problems)
    draws = parameter_draws(programme, scenarios=scenarios, seed=seed)
    projection = project(programme, scenarios=scenarios, seed=seed, resolution="fiscal_year")
    values = evaluate(chosen, projection)
    present = ~np.isnan(values)
    y, x = values[present], draws.values[present]
    width = x.shape[1]
    if y.size <= width + 1:
        raise ValidationError(
            [
                Problem(
                    "scenarios",
                    f"more scenarios with a value of the output than {width + 1} (the "
                    f"{width} columns of draws, and one), for the regression",
                    int(y.size),
                )
            ]
        )
    beta = np.zeros(width)
    r_squared = math.nan
    y_sd = float(y.std())
    if y_sd > 0:
        x_sd = x.std(axis=0)
        varying = x_sd > 0
        xs = (x[:, varying] - x[:, varying].mean(axis=0)) / x_sd[varying]
        ys = (y - y.mean()) / y_sd
        coefficients, *_ = np.linalg.lstsq(xs, ys, rcond=None)
        beta[varying] = coefficients
        residual = ys - xs @ coefficients
        r_squared = float(1.0 - (residual @ residual) / (ys @ ys))
    position = {name: k for k, name in enumerate(draws.columns)}
    rows = []
    for parameter in reported:
        columns = [position[name] for name in parameter.columns]
        share = float((beta[columns] ** 2).sum()) if y_sd > 0 else 0.0
        drawn = x[:, columns].mean(axis=1)
        rows.append(GlobalRow(parameter.path, share, _spearman(drawn, y)))
    rows.sort(key=lambda row: -row.share)
    return GlobalSensitivity(
        output=chosen,
        scenarios=scenarios,
        seed=seed,
        values=values,
        draws=draws,
        missing=int((~present).sum()),
        r_squared=r_squared,
        rows=tuple(rows),
        currency=programme.currency,
    )
