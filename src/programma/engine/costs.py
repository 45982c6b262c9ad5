"""Costs (DESIGN §4.2, with §4.8.1 for fractional delays and §4.8.9 for indexation).

Initiative cost in month m = commitment × overrun × profile weight of month (m − start − delay)
× price index(m). Profiles sum to 1 over the duration. A fractional delay d splits each month's
cost between ⌊d⌋ and ⌊d⌋ + 1 by its fraction. Gates scale the cost from their month on (§4.6);
what falls past the horizon is reported as ``unpaid_after_end``, never dropped (§4.8.12).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import attrs
import numpy as np

from ..model.checks import MAX_MONTHS
from ..model.distributions import Distribution, Fixed, Ref, Samples, Yearly
from ..model.initiatives import Initiative
from ..model.moments import support_of
from ..model.vocabulary import CostProfile
from ..uncertainty.sampling import Draws
from .timeline import Timeline, price_index

__all__ = [
    "BaseCost",
    "InitiativeCost",
    "amounts_and_delays",
    "base_cost",
    "initiative_cost",
    "initiative_prices",
    "profile_weights",
    "shared_index",
    "summed_cost",
]


def profile_weights(
    profile: CostProfile, months: int, weights: tuple[float, ...] | None
) -> np.ndarray:
    """The share of the commitment spent in each month of an initiative; sums to 1.

    ``flat`` spreads evenly; ``front-loaded`` declines linearly (weights ∝ D, D−1, …, 1);
    ``s-curve`` follows the smoothstep F(x) = 3x² − 2x³ (weight of month j is
    F((j+1)/D) − F(j/D)); ``explicit`` takes the given weights.

    >>> profile_weights(CostProfile.FRONT_LOADED, 3, None).tolist()
    [0.5, 0.3333333333333333, 0.16666666666666666]
    >>> profile_weights(CostProfile.S_CURVE, 2, None).tolist()
    [0.5, 0.5]
    """
    if profile is CostProfile.FLAT:
        return np.full(months, 1.0 / months)
    if profile is CostProfile.FRONT_LOADED:
        raw = np.arange(months, 0, -1, dtype=float)
        return np.asarray(raw / raw.sum())
    if profile is CostProfile.S_CURVE:
        x = np.arange(months + 1) / months
        smooth = 3 * x**2 - 2 * x**3
        return np.diff(smooth)
    assert weights is not None  # validated: explicit profiles carry their weights
    return np.asarray(weights, dtype=float)


@attrs.frozen(eq=False)
class BaseCost:
    """An initiative's cost before any gate.

    Attributes:
        monthly: Per scenario and extended month, ``(scenarios, extended months)``.
        beyond: Per scenario, what falls after the extended months, at their last month's gate.
    """

    monthly: np.ndarray
    beyond: np.ndarray | float


@attrs.frozen(eq=False)
class InitiativeCost:
    """An initiative's cost after the gates.

    Attributes:
        inside: The cost in each month of the horizon, ``(scenarios, months)``.
        past_horizon: What falls after the horizon, per scenario: ``unpaid_after_end`` in T − 1.
    """

    inside: np.ndarray
    past_horizon: np.ndarray


def amounts_and_delays(
    initiatives: Sequence[Initiative], draws: Draws, amount: np.ndarray, delay: np.ndarray
) -> None:
    """Per initiative and scenario, the amount (commitment × overrun) and the start delay,
    written into the rows of ``amount`` and ``delay`` ``(len(initiatives), S)``."""
    keys = [f"initiatives/{initiative.id}" for initiative in initiatives]
    draws.scalars_into(
        amount, [f"{key}/commitment" for key in keys], [i.commitment for i in initiatives]
    )
    # The overruns, for now, in the delays' rows.
    draws.scalars_into(delay, [f"{key}/overrun" for key in keys], [i.overrun for i in initiatives])
    amount *= delay
    draws.scalars_into(delay, [f"{key}/delay" for key in keys], [i.delay for i in initiatives])


def initiative_prices(initiative: Initiative, draws: Draws, timeline: Timeline) -> np.ndarray:
    """An initiative's price index ``(scenarios, extended months)`` (§4.8.9): its indexation
    drawn from its own streams. A path :func:`shared_index` finds shared is the same whichever
    initiative draws it."""
    rates = draws.yearly(f"initiatives/{initiative.id}/indexation", initiative.indexation)
    return price_index(rates, timeline)


def base_cost(
    initiative: Initiative, draws: Draws, timeline: Timeline, index: np.ndarray
) -> BaseCost:
    """The initiative's cost per scenario and extended month, before any gate.

    ``index`` is its price index over the extended months (:func:`initiative_prices`).
    """
    key = f"initiatives/{initiative.id}"
    amounts, delays = np.empty((1, draws.size)), np.empty((1, draws.size))
    amounts_and_delays((initiative,), draws, amounts, delays)
    amount, delay = amounts[0], delays[0]
    if np.all(delay == delay[0]):
        delay = delay[:1]  # one profile serves every scenario
    whole = np.floor(delay)
    fraction = delay - whole
    weights = profile_weights(
        initiative.cost_profile, initiative.duration_months, initiative.cost_weights
    )
    padded = np.concatenate([[0.0], weights, [0.0]])
    start = timeline.grid.index(initiative.start)
    size = len(weights)
    extended_months = timeline.extended_months
    # Months reach as far as the longest delay pushes the profile (at most 100 years on).
    length = int(
        min(max(extended_months, start + whole.max() + size + 2), extended_months + MAX_MONTHS)
    )
    offset = np.arange(length)[None, :] - start - whole[:, None].astype(np.int64)
    # Index k + 1 of ``padded`` is weight k; indices before or after it clip to its zeros.
    this = np.take(padded, offset + 1, mode="clip")
    previous = np.take(padded, offset, mode="clip")
    # §4.8.1: the fraction of a delay moves that share of each month's weight one month on.
    profile = (1.0 - fraction[:, None]) * this + fraction[:, None] * previous
    if length > extended_months:
        # After the months the engine tracks, prices go on rising once per fiscal year,
        # each later year at its own draw of the rate.
        last_year = int(timeline.fiscal_year[-1])
        fiscal = timeline.grid.fiscal_year_of(np.arange(extended_months, length))
        later_years = tuple(range(last_year + 1, int(fiscal.max()) + 1))
        rates = draws.yearly(f"{key}/indexation", initiative.indexation, later_years)
        scenarios = draws.size
        growth = np.cumprod(np.concatenate([np.ones((scenarios, 1)), 1.0 + rates], axis=1), axis=1)
        later = index[:, -1:] * growth[:, fiscal - last_year]
        index = np.concatenate([index, later], axis=1)
    cost = amount[:, None] * profile * index
    # How far the months reach depends on the chunk's longest delay, so every sum here is
    # one that trailing months of nothing cannot change: running sums, from the left.
    beyond = (
        np.cumsum(cost[:, extended_months:], axis=1)[:, -1] if length > extended_months else 0.0
    )
    # Whatever is still beyond (a delay over a century) is valued at the last prices; a
    # profile that ends inside the months leaves nothing beyond, whatever its rounding.
    # Only a profile cut off by the months' end leaves a part of it: its running sum is taken
    # only then.
    cut_off = start + whole + size >= length
    left = np.zeros(len(whole))
    if cut_off.any():
        left[cut_off] = np.clip(1.0 - np.cumsum(profile[cut_off], axis=1)[:, -1], 0.0, None)
    rest = left * index[:, -1]
    return BaseCost(np.asarray(cost[:, :extended_months]), beyond + amount * rest)


def initiative_cost(base: BaseCost, factor: np.ndarray | None, months: int) -> InitiativeCost:
    """The cost after the gates' ``factor`` ``(scenarios, extended months)``, split at the horizon.

    ``None``: no gate acts on the initiative. Costs past the horizon are not spent inside it:
    they are reported, never dropped.
    """
    cost = base.monthly if factor is None else base.monthly * factor
    beyond = base.beyond if factor is None else base.beyond * factor[:, -1]
    return InitiativeCost(cost[:, :months], cost[:, months:].sum(axis=1) + beyond)


def shared_index(rate: Distribution) -> bool:
    """Whether an indexation rate gives every initiative that has it the same price path.

    Fixed rates, given values (``Samples``: scenario i takes value i, whoever names them) and
    references to programme parameters are the same for all who name them; any other
    distribution is drawn per initiative, from its own stream.
    """
    if isinstance(rate, Yearly):
        return all(shared_index(value) for _, value in rate.by_year)
    return isinstance(rate, Fixed | Ref | Samples)


def may_pass_tracked_months(
    initiative: Initiative, timeline: Timeline, parameters: Mapping[str, Distribution]
) -> bool:
    """Whether a delay may push the initiative's cost past the months the engine tracks.

    Judged from the delay's support, the same for every chunk: such an initiative is costed
    one by one (:func:`base_cost`), in every scenario, so that a scenario's cost never depends
    on the delays of the other scenarios in its chunk.
    """
    support = support_of(initiative.delay, parameters)
    if support is None or not math.isfinite(support[1]):
        return True
    start = timeline.grid.index(initiative.start)
    reach = start + math.floor(support[1]) + initiative.duration_months + 1
    return reach > timeline.extended_months


_BATCH = 256
"""Initiatives whose draws :func:`summed_cost` works on together."""


def summed_cost(
    initiatives: Sequence[Initiative], draws: Draws, timeline: Timeline, index: np.ndarray
) -> InitiativeCost:
    """The summed cost of initiatives that share one price path, ``index`` over the extended
    months (:func:`initiative_prices`), and no gate acts on.

    The same amounts as :func:`base_cost` and :func:`initiative_cost` give one by one (DESIGN
    §4.2, §4.8.1), computed without an array per initiative: each initiative puts its amount
    at its first month (split with the next month by a delay's fraction), the impulses of all
    initiatives with the same profile are added up with ``bincount``, and each profile is
    spread over its months once — a running sum for flat profiles, a sum over the profile's
    weights for the others, or, for a profile few initiatives share, each impulse's months laid
    out directly — before the one price path multiplies the total.

    Every initiative must stay inside the months the engine tracks whatever its delay
    (:func:`may_pass_tracked_months` is false): the others are costed one by one.
    """
    scenarios, extended_months = draws.size, timeline.extended_months
    # The initiatives of each cost profile, in their order: the sums below add them in it.
    by_profile: dict[tuple[CostProfile, int, tuple[float, ...] | None], list[Initiative]] = {}
    for initiative in initiatives:
        profile = (initiative.cost_profile, initiative.duration_months, initiative.cost_weights)
        by_profile.setdefault(profile, []).append(initiative)
    ordered = [initiative for group in by_profile.values() for initiative in group]
    # Each initiative's amount at its first month and the next (by the delay's fraction),
    # laid straight into one array per profile: ``(initiatives, 2, scenarios)``.
    places = np.empty((len(ordered), 2, scenarios), dtype=np.int64)
    amounts = np.empty((len(ordered), 2, scenarios))
    rows = np.arange(scenarios) * extended_months
    # A batch of initiatives at a time: their draws are made one by one (each from its own
    # streams), the arithmetic on them for the whole batch at once.
    for begin in range(0, len(ordered), _BATCH):
        batch = ordered[begin : begin + _BATCH]
        end = begin + len(batch)
        amount, delay = np.empty((len(batch), scenarios)), np.empty((len(batch), scenarios))
        amounts_and_delays(batch, draws, amount, delay)
        whole = np.floor(delay)
        fraction = delay - whole
        start = np.array([timeline.grid.index(i.start) for i in batch])
        size = np.array([i.duration_months for i in batch])
        assert (start + whole.max(axis=1) + size + 1 <= extended_months).all(), (
            "only initiatives that stay inside the tracked months are summed"
        )
        first = places[begin:end, 0]
        np.add(rows[None, :] + start[:, None], whole.astype(np.int64), out=first)
        np.add(first, 1, out=places[begin:end, 1])
        np.multiply(amount, 1.0 - fraction, out=amounts[begin:end, 0])
        np.multiply(amount, fraction, out=amounts[begin:end, 1])
    total = np.zeros((scenarios, extended_months))
    cells = scenarios * extended_months
    begin = 0
    for (kind, duration, given), group in by_profile.items():
        weights = profile_weights(kind, duration, given)
        end = begin + len(group)
        where, laid = places[begin:end].ravel(), amounts[begin:end].ravel()
        begin = end
        if where.size * len(weights) <= cells:
            # Few initiatives with this profile: lay each one's months out directly (no
            # initiative reaches past the tracked months, so none spills into the next row).
            laid_out = where[:, None] + np.arange(len(weights))[None, :]
            spread = np.bincount(
                laid_out.ravel(), (laid[:, None] * weights[None, :]).ravel(), minlength=cells
            )
            total += spread.reshape(scenarios, extended_months)
            continue
        impulse = np.bincount(where, laid, minlength=cells).reshape(scenarios, extended_months)
        total += _spread(impulse, weights)
    cost = total * index
    months = timeline.months
    return InitiativeCost(cost[:, :months], cost[:, months:].sum(axis=1))


def _spread(impulse: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row of ``impulse`` spread over the months after it by ``weights`` (a convolution)."""
    size = len(weights)
    if np.all(weights == weights[0]):  # flat: a running sum over the last ``size`` months
        running = np.cumsum(impulse, axis=1)
        spread = running.copy()
        spread[:, size:] -= running[:, :-size]
        spread *= weights[0]
        np.maximum(spread, 0.0, out=spread)
        # Where no initiative is under way the amount is exactly zero, not a rounding residue
        # of the running sum; elsewhere the residue is below 1e-15 of the sum (never < 0).
        started = np.cumsum(impulse != 0, axis=1, dtype=np.int32)
        active = started.copy()
        active[:, size:] -= started[:, :-size]
        spread[active == 0] = 0.0
        return spread
    spread = np.zeros_like(impulse)
    for month, weight in enumerate(weights):
        spread[:, month:] += weight * impulse[:, : impulse.shape[1] - month]
    return spread
