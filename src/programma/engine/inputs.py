"""A programme's uncertain inputs, each by its path, and what a Monte Carlo run draws for them.

An **uncertain parameter** is a distribution the engine draws once per scenario: a named
programme parameter, or a distribution written in a field (a price, a share achieving, a
commitment). Each is named by its path, as :meth:`Programme.with_values` and validation
problems write it, with ids where entities have them
(``contracts[sib-werkroute].metrics[uitstroom].price``, ``parameters[referral].distribution``).

What is not one: a fixed value (it draws nothing); a reference to a parameter (it reads the
parameter's draw: the parameter is the input); a time to outcome given as a distribution of
individual times, which spreads each cohort over months rather than drawing a value per
scenario (a time given as :class:`Samples` or through a parameter is drawn, and counts); a
metric's ``value_per_outcome`` (the engine does not use it); and Poisson enrolment noise,
which is drawn per month, not per scenario.

A yearly path draws each year's distribution once per scenario and year: every entry of its
``by_year`` that draws is an uncertain parameter of its own (``parameters[cpi].distribution
.by_year[2025]``), with one column of draws per fiscal year it governs
(``parameters[cpi].distribution@2026``).

:func:`parameter_draws` gives the draws a Monte Carlo run makes, scenario by scenario: the
same random streams, with the same keys (``docs/engine.md``), as the engine's own draws, so
they are the values the projection with that seed used.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np

from ..model.distributions import Distribution, Fixed, Ref, Samples, Scalar, Yearly
from ..model.programme import Programme
from ..uncertainty.sampling import BLOCK_SIZE, Draws
from .project import ProjectionError
from .timeline import Timeline

__all__ = ["ParameterDraws", "UncertainParameter", "parameter_draws", "uncertain_parameters"]


@attrs.frozen
class UncertainParameter:
    """One uncertain input of a programme: where it is, its distribution, what it draws.

    Attributes:
        path: Its path, as :meth:`Programme.with_values` takes it.
        distribution: The distribution at that path (for an entry of a yearly path, the
            entry's own).
        columns: The names of its columns of draws: ``(path,)`` for a value drawn once per
            scenario; ``("FIELD@YEAR", …)`` for an entry of a yearly path, one per fiscal year
            of the run that the entry governs.
        keys: The key of the random stream behind each column (see ``docs/engine.md``).

    >>> from programma.examples import leeuwarden_oost
    >>> cpi = uncertain_parameters(leeuwarden_oost())[2]
    >>> cpi.path, cpi.distribution
    ('parameters[cpi].distribution.by_year[2025]', Pert(low=0.005, mode=0.02, high=0.045))
    >>> cpi.columns[:2]
    ('parameters[cpi].distribution@2025', 'parameters[cpi].distribution@2026')
    >>> cpi.keys[:2]
    ('parameters/cpi@2025', 'parameters/cpi@2026')
    """

    path: str
    distribution: Scalar
    columns: tuple[str, ...]
    keys: tuple[str, ...]


def _draws_per_scenario(dist: Distribution) -> bool:
    """Whether a scalar distribution draws anything of its own (not fixed, not a reference)."""
    return not isinstance(dist, Fixed | Ref)


def _field(
    path: str, key: str, dist: Distribution, years: tuple[int, ...]
) -> Iterator[UncertainParameter]:
    """The uncertain parameters of one field: itself, or each drawing entry of its path."""
    if not isinstance(dist, Yearly):
        if _draws_per_scenario(dist):
            yield UncertainParameter(path, dist, (path,), (key,))
        return
    starts = [start for start, _ in dist.by_year]
    for position, (start, entry) in enumerate(dist.by_year):
        if not _draws_per_scenario(entry):
            continue
        # The years this entry is in force (as Yearly.at reads a path): from its start to the
        # next entry's; the first entry holds for the years before it too.
        governed = [
            year
            for year in years
            if max([0, *(i for i, s in enumerate(starts) if s <= year)]) == position
        ]
        yield UncertainParameter(
            f"{path}.by_year[{start}]",
            entry,
            tuple(f"{path}@{year}" for year in governed),
            tuple(f"{key}@{year}" for year in governed),
        )


def _all(programme: Programme, years: tuple[int, ...]) -> Iterator[UncertainParameter]:
    for parameter in programme.parameters:
        path = f"parameters[{parameter.id}].distribution"
        yield from _field(path, f"parameters/{parameter.id}", parameter.distribution, years)
    if programme.deflator is not None:
        yield from _field("deflator", "programme/deflator", programme.deflator, years)
    for initiative in programme.initiatives:
        path, key = f"initiatives[{initiative.id}]", f"initiatives/{initiative.id}"
        for name in ("commitment", "overrun", "delay", "indexation"):
            dist = getattr(initiative, name)
            yield from _field(f"{path}.{name}", f"{key}/{name}", dist, years)
    for contract in programme.contracts:
        path, key = f"contracts[{contract.id}]", f"contracts/{contract.id}"
        for index, window in enumerate(contract.enrolment.windows):
            for name in ("per_month", "total"):
                dist = getattr(window, name)
                if dist is not None:
                    yield from _field(
                        f"{path}.enrolment.windows[{index}].{name}",
                        f"{key}/enrolment/windows/{index}/{name}",
                        dist,
                        years,
                    )
        for metric in contract.metrics:
            where = f"{path}.metrics[{metric.id}]"
            stream = f"{key}/metrics/{metric.id}"
            for name in ("share_achieving", "baseline", "price", "indexation"):
                dist = getattr(metric, name)
                yield from _field(f"{where}.{name}", f"{stream}/{name}", dist, years)
            if isinstance(metric.time_to_outcome, Samples):  # one time per scenario
                yield from _field(
                    f"{where}.time_to_outcome",
                    f"{stream}/time_to_outcome",
                    metric.time_to_outcome,
                    years,
                )


def uncertain_parameters(programme: Programme) -> tuple[UncertainParameter, ...]:
    """Every uncertain input of ``programme``, in the order of the programme.

    Named parameters first, then the deflator, each initiative's commitment, overrun, delay
    and indexation, and each contract's enrolment windows and metrics (share achieving,
    baseline, price, indexation, and a time to outcome given as samples). See the module's
    documentation for what counts.

    >>> from programma.examples import leeuwarden_oost
    >>> for parameter in uncertain_parameters(leeuwarden_oost())[:4]:
    ...     print(parameter.path)
    parameters[labour_market].distribution
    parameters[referral].distribution
    parameters[cpi].distribution.by_year[2025]
    initiatives[energiecoaches-oost].commitment
    """
    return tuple(_all(programme, Timeline.of(programme).years))


@attrs.frozen(eq=False)
class ParameterDraws:
    """What a Monte Carlo run draws for each uncertain input: one row per scenario.

    Attributes:
        parameters: The uncertain parameters, in order.
        columns: The column names: every parameter's :attr:`~UncertainParameter.columns`, in
            order.
        values: The draws, ``(scenarios, columns)``: ``values[s, k]`` is what scenario ``s``
            drew for column ``k``.
        seed: The seed of the run.

    >>> from programma.examples import leeuwarden_oost
    >>> draws = parameter_draws(leeuwarden_oost(), scenarios=4, seed=1)
    >>> draws.values.shape
    (4, 32)
    >>> draws.column("parameters[referral].distribution").round(3).tolist()
    [0.814, 0.815, 0.851, 0.903]
    """

    parameters: tuple[UncertainParameter, ...]
    columns: tuple[str, ...]
    values: np.ndarray
    seed: int

    @property
    def scenarios(self) -> int:
        """The number of scenarios (rows)."""
        return int(self.values.shape[0])

    def column(self, name: str) -> np.ndarray:
        """The draws of one column, per scenario.

        Raises:
            KeyError: No column has that name.
        """
        if name not in self.columns:
            raise KeyError(f"no column {name!r} among the {len(self.columns)} columns of draws")
        return np.asarray(self.values[:, self.columns.index(name)])

    def to_records(self) -> Iterator[dict[str, float | int]]:
        """One dict per scenario: ``scenario`` and each column's draw (full precision)."""
        for scenario, row in enumerate(self.values.tolist()):
            yield {"scenario": scenario, **dict(zip(self.columns, row, strict=True))}

    def to_pandas(self) -> Any:
        """The draws as a pandas DataFrame: one column per column, indexed by ``scenario``.

        Needs the ``pandas`` extra (``pip install 'programma[pandas]'``).
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is installed in the test environment
            raise ImportError(
                "ParameterDraws.to_pandas needs pandas: pip install 'programma[pandas]'"
            ) from None
        index = pd.RangeIndex(self.scenarios, name="scenario")
        return pd.DataFrame(self.values, columns=list(self.columns), index=index)


def parameter_draws(programme: Programme, *, scenarios: int, seed: int = 0) -> ParameterDraws:
    """What each scenario of ``project(programme, scenarios=…, seed=…)`` draws for each input.

    The draws come from the engine's own keyed streams, so they are the values that
    projection used, scenario by scenario, and the first ``n`` rows are the same for any
    number of scenarios.

    Args:
        programme: The programme.
        scenarios: The number of scenarios (≥ 1).
        seed: The seed (≥ 0).

    Raises:
        ProjectionError: Bad ``scenarios`` or ``seed``, or a :class:`Samples` input with fewer
            values than scenarios.
    """
    problems = []
    if isinstance(scenarios, bool) or not isinstance(scenarios, int) or scenarios < 1:
        problems.append(f"scenarios: expected an integer ≥ 1, got {scenarios!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(f"seed: expected an integer ≥ 0, got {seed!r}")
    if problems:
        raise ProjectionError("; ".join(problems))
    timeline = Timeline.of(programme)
    parameters = tuple(_all(programme, timeline.years))
    short = [
        (p.path, len(p.distribution.values))
        for p in parameters
        if isinstance(p.distribution, Samples) and len(p.distribution.values) < scenarios
    ]
    if short:
        path, size = short[0]
        raise ProjectionError(
            f"{path}: a Samples distribution has {size} values but {scenarios} scenarios "
            "were asked for: give at least one value per scenario, or fewer scenarios"
        )
    draws = Draws(
        programme.parameter_distributions,
        timeline.years,
        seed=seed,
        blocks=math.ceil(scenarios / BLOCK_SIZE),
    )
    columns = [
        draws.scalar(key, parameter.distribution)[:scenarios]
        for parameter in parameters
        for key in parameter.keys
    ]
    values = np.stack(columns, axis=1) if columns else np.zeros((scenarios, 0))
    names = tuple(name for parameter in parameters for name in parameter.columns)
    return ParameterDraws(parameters, names, values, seed)
