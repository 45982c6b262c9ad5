"""Charts of a programme and its projections, drawn with matplotlib (the ``plot`` extra).

Each chart takes an optional ``ax=`` (a new figure's axes when ``None``), returns the axes it
drew on (:func:`fan_charts`, with a panel per fund, returns its figure) and never calls
``pyplot.show()``: show or save the figure as you would any matplotlib figure, or write it
atomically with :func:`save_figure`.

* :func:`fan_chart`, :func:`fan_charts`: a fund's outflow per fiscal year, with its spread and
  its budget;
* :func:`cumulative_payments`: a contract's outcome payments over time, against its caps;
* :func:`investor_cash`: an investor's cash position over time;
* :func:`engagement_matrix`: who plays which role in each phase;
* :func:`tornado`, :func:`variance_shares`: what moves an output, one input at a time or
  as shares of its variance;
* :func:`comparison`, :func:`comparison_funds`: two designs compared, the paired difference
  B − A of a fund's outflow per fiscal year or of every fund's over the horizon.

Importing this package without matplotlib raises an ImportError that says how to install it.
"""

from __future__ import annotations

try:
    import matplotlib  # noqa: F401  (only to tell whether it is installed)
except ImportError:
    raise ImportError("programma.plot needs matplotlib: pip install 'programma[plot]'") from None

from .compare import comparison, comparison_funds
from .contracts import cumulative_payments, investor_cash
from .engagement import engagement_matrix
from .files import (
    FIGURE_FORMATS,
    save_comparison_charts,
    save_fan_charts,
    save_figure,
    save_sensitivity_chart,
)
from .funds import fan_chart, fan_charts
from .sensitivity import tornado, variance_shares

__all__ = [
    "FIGURE_FORMATS",
    "comparison",
    "comparison_funds",
    "cumulative_payments",
    "engagement_matrix",
    "fan_chart",
    "fan_charts",
    "investor_cash",
    "save_comparison_charts",
    "save_fan_charts",
    "save_figure",
    "save_sensitivity_chart",
    "tornado",
    "variance_shares",
]
