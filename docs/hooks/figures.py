"""MkDocs hook: draw the figures of the plots page and the tutorial from the embedded example.

The figures are made by the code they document, at each build, so they always show what it
draws now; none is kept in the repository. Each is added to the site as a generated file under
``figures/``, where ``docs/plots.md`` or ``docs/tutorial.md`` links it. They are drawn as
``programma simulate --plot`` would draw them: without pyplot, as SVG with fixed ids (see
:func:`programma.plot.save_figure`).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

SCENARIOS = 1000
SEED = 42
LOWER_PRICE = {"id": "oost-lower-price", "contracts[sib-werkroute].metrics[uitstroom].price": 6_500}
"""The tutorial's design B: the example with a lower price per exit from benefits."""


def figures() -> dict[str, Callable[[], Any]]:
    """Each figure's path in the site, and how to draw it."""
    from matplotlib.figure import Figure

    import programma
    from programma import plot
    from programma.examples import leeuwarden_oost

    runs = programma.project(leeuwarden_oost(), scenarios=SCENARIOS, seed=SEED)

    @functools.cache
    def designs() -> programma.DesignComparison:
        """The example against a design that pays more per job and caps the debt contract."""
        a = leeuwarden_oost()
        b = a.with_values(
            {
                "contracts[sib-werkroute].metrics[uitstroom].price": 9000,
                "contracts[schuldenvrij-oost].cap": 2_000_000,
            }
        )
        return programma.compare(a, b, scenarios=SCENARIOS, seed=SEED)

    def one(draw: Callable[..., Any], size: tuple[float, float] = (8.0, 4.5)) -> Callable[[], Any]:
        def make() -> Any:
            figure = Figure(figsize=size, layout="constrained")
            draw(ax=figure.add_subplot())
            return figure

        return make

    return {
        "figures/fan-chart.svg": one(lambda ax: plot.fan_chart(runs, "resultatenfonds", ax=ax)),
        "figures/fan-charts.svg": lambda: plot.fan_charts(
            runs, figure=Figure(figsize=(12.0, 13.6))
        ),
        "figures/cumulative-payments.svg": one(
            lambda ax: plot.cumulative_payments(runs, "sib-werkroute", ax=ax)
        ),
        "figures/investor-cash.svg": one(
            lambda ax: plot.investor_cash(runs, "sib-werkroute", ax=ax)
        ),
        "figures/engagement-matrix.svg": one(
            lambda ax: plot.engagement_matrix(runs.programme, ax=ax), size=(13.0, 8.0)
        ),
        "figures/tutorial-fan-chart.svg": one(
            lambda ax: plot.fan_chart(runs, "resultatenfonds", ax=ax)
        ),
        "figures/tutorial-lower-price.svg": lambda: _side_by_side(
            (runs, "A: €8,000 per exit"),
            (
                programma.project(
                    runs.programme.with_values(LOWER_PRICE), scenarios=SCENARIOS, seed=SEED
                ),
                "B: €6,500 per exit",
            ),
        ),
        "figures/tornado.svg": one(
            lambda ax: plot.tornado(
                programma.one_way_sensitivity(leeuwarden_oost(), "payer:gemeente:npv"), ax=ax
            ),
            size=(13.0, 8.5),
        ),
        "figures/variance-shares.svg": one(
            lambda ax: plot.variance_shares(
                programma.global_sensitivity(
                    leeuwarden_oost(), "payer:gemeente:npv", scenarios=SCENARIOS, seed=SEED
                ),
                ax=ax,
            ),
            size=(13.0, 8.5),
        ),
        "figures/comparison.svg": one(
            lambda ax: plot.comparison(designs(), "resultatenfonds", ax=ax)
        ),
        "figures/comparison-funds.svg": one(lambda ax: plot.comparison_funds(designs(), ax=ax)),
    }


def _side_by_side(*designs: tuple[Any, str]) -> Any:
    """The tutorial's results fund in each design, a titled panel each, on one scale."""
    from matplotlib.figure import Figure

    from programma import plot

    figure = Figure(figsize=(12.0, 4.5), layout="constrained")
    for ax, (runs, title) in zip(
        figure.subplots(1, len(designs), sharey=True), designs, strict=True
    ):
        plot.fan_chart(runs, "resultatenfonds", ax=ax).set_title(title)
    return figure


def on_files(files: Any, config: Any, **kwargs: Any) -> Any:
    """Add the drawn figures to the site's files."""
    from matplotlib import rc_context
    from mkdocs.structure.files import File

    for path, draw in figures().items():
        buffer = io.BytesIO()
        with rc_context({"svg.hashsalt": "programma"}):
            draw().savefig(buffer, format="svg", metadata={"Date": None})
        files.append(File.generated(config, path, content=buffer.getvalue()))
    return files
