"""Projecting a programme and each of its variants with the same seed, side by side."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import numpy as np

from .._text import money, plural, table
from ..engine.project import ProjectionError
from ..model.programme import Programme
from .areas import area_outflows
from .projection import Projection, project
from .summary import PERCENTILE_METHOD, Spread

__all__ = ["BASE", "VariantProjections", "project_variants"]

BASE = "base"
"""The name the programme itself goes by among its variants (no variant may take it)."""


@attrs.frozen
class VariantProjections(Mapping[str, Projection]):
    """The projections of a programme (``"base"``) and of each of its variants, by name.

    Every projection has the same seed, so a variant's scenarios draw the same random numbers
    as the base's for everything the variant does not change (common random numbers): the
    differences between them are the variants' doing, not sampling noise.

    Attributes:
        projections: The projections by name, the base first, then the variants as declared.

    >>> import attrs
    >>> from programma.examples import leeuwarden_oost
    >>> programme = attrs.evolve(
    ...     leeuwarden_oost(), variants={"cheap": {"contracts[0].metrics[0].price": 6000}}
    ... )
    >>> both = project_variants(programme)
    >>> list(both)
    ['base', 'cheap']
    >>> both["cheap"].programme.contracts[0].metrics[0].price
    Fixed(value=6000.0)
    """

    projections: dict[str, Projection]

    def __getitem__(self, name: str) -> Projection:
        return self.projections[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.projections)

    def __len__(self) -> int:
        return len(self.projections)

    def fund_outflows(self) -> dict[str, dict[str, Spread]]:
        """Each fund's total cash outflow over the horizon, per name: its spread over scenarios.

        A fund's outflow is :meth:`Projection.outflow` summed over every period.
        """
        base = self.projections[BASE]
        out: dict[str, dict[str, Spread]] = {}
        for fund in base.programme.funds:
            out[fund.id] = {
                name: Spread.of(np.asarray(projection.outflow(fund.id)).sum(axis=1))
                for name, projection in self.projections.items()
            }
        return out

    def area_outflows(self) -> dict[str, dict[str, Spread]]:
        """Each neighbourhood's share of the funds' outflow over the horizon, per name.

        Each payment is split equally over the areas of its contract or initiative, as
        :func:`~programma.analysis.areas.area_outflows` splits it; ``(programme-wide)`` takes
        what names no area.
        """
        per_name = {name: area_outflows(p) for name, p in self.projections.items()}
        return {
            area: {name: Spread.of(outflows[area]) for name, outflows in per_name.items()}
            for area in per_name[BASE]
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the scenarios, the seed, and per fund and area and name the outflow's
        spread."""
        base = self.projections[BASE]
        return {
            "scenarios": base.scenarios,
            "seed": base.seed,
            "names": list(self.projections),
            "fund_outflow": {
                fund: {name: spread.as_dict() for name, spread in spreads.items()}
                for fund, spreads in self.fund_outflows().items()
            },
            "area_outflow": {
                area: {name: spread.as_dict() for name, spread in spreads.items()}
                for area, spreads in self.area_outflows().items()
            },
        }

    def __str__(self) -> str:
        base = self.projections[BASE]
        currency = base.programme.currency
        rows = []
        for fund, spreads in self.fund_outflows().items():
            reference = spreads[BASE].mean
            for name, spread in spreads.items():
                change = spread.mean - reference
                rows.append(
                    [
                        fund,
                        name,
                        money(spread.mean),
                        money(spread.p10),
                        money(spread.p90),
                        "" if name == BASE else ("+" if change > 0 else "") + money(change),
                    ]
                )
        head = (
            f"Total fund outflow over the horizon, {plural(base.scenarios, 'scenario')}, "
            f"seed {base.seed}; amounts in {currency}; percentiles by numpy's "
            f"{PERCENTILE_METHOD!r} method"
            if base.mode == "monte-carlo"
            else f"Total fund outflow over the horizon, expected mode; amounts in {currency}"
        )
        return "\n".join(
            [head, "", table(["fund", "variant", "mean", "P10", "P90", "vs base"], rows)]
        )


def project_variants(
    programme: Programme,
    *,
    variants: list[str] | tuple[str, ...] | None = None,
    **options: Any,
) -> VariantProjections:
    """Project the programme and each of its variants with the same seed and options.

    Args:
        programme: The programme, with its :attr:`~Programme.variants`.
        variants: The variants to project, in this order (default: every one, as declared).
        **options: Passed to :func:`project` for every projection (``scenarios``, ``seed``,
            ``resolution``, …), except ``variant``.

    Raises:
        ProjectionError: An unknown variant name, or a bad option.
    """
    if "variant" in options:
        raise ProjectionError("variant: give the names as variants=[…] to project_variants")
    names = list(programme.variants) if variants is None else list(variants)
    unknown = [name for name in names if name not in programme.variants]
    if unknown:
        known = ", ".join(map(repr, programme.variants)) or "the programme has none"
        raise ProjectionError(
            f"variants: expected names of the programme's variants ({known}), "
            f"got {', '.join(map(repr, unknown))}"
        )
    projections = {BASE: project(programme, **options)}
    for name in names:
        projections[name] = project(programme, variant=name, **options)
    return VariantProjections(projections)
