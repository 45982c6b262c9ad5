"""Readable tables of a projection, as ``programma simulate`` prints them."""

from __future__ import annotations

from typing import Any

from .._text import money, number, table
from ..analysis.summary import PERCENTILE_METHOD, Summary, percentiles
from ..engine.exports import OUTPUT_FORMAT_VERSION
from ..engine.projection import Projection

__all__ = ["period_means", "projection_report", "simulation_document"]

_CASH = ("grant", "delivery_cost", "outcome_payment", "provider_receipt")
_LOST = ("cap_forfeited", "unpaid_after_end")


def period_means(projection: Projection) -> dict[str, object]:
    """What :func:`projection_report` shows, as plain data: per period, the main flows.

    The periods are given with their dates (``label``, ``start``, ``end``), every amount in
    ``currency``. Numbers are the engine's, unrounded: machine output keeps full precision.
    """
    names = [*_CASH, *_LOST]
    totals = {name: projection.total(flow=name) for name in names}
    out: dict[str, object] = {
        "programme": projection.programme.id,
        "currency": projection.programme.currency,
        "mode": projection.mode,
        "scenarios": projection.scenarios,
        "seed": projection.seed,
        "resolution": projection.resolution,
        "periods": projection.period_dicts(),
        "mean": {name: totals[name].mean(axis=0).tolist() for name in names},
    }
    if projection.mode == "monte-carlo":
        spread = percentiles(totals["outcome_payment"])
        out["outcome_payment_p10"] = spread[0].tolist()
        out["outcome_payment_p90"] = spread[2].tolist()
    return out


def simulation_document(projection: Projection, summary: Summary) -> dict[str, Any]:
    """What ``programma simulate --format json`` writes: the document of kind ``"simulation"``.

    ``period_means`` holds what the first table shows (:func:`period_means`), ``summary`` the
    summary's own document (kind ``"summary"``); ``programma schema --output simulation``
    prints its JSON Schema.

    >>> from programma import project
    >>> from programma.examples import leeuwarden_oost
    >>> expected = project(leeuwarden_oost(), resolution="fiscal_year")
    >>> document = simulation_document(expected, expected.summary())
    >>> document["kind"], document["summary"]["kind"], document["period_means"]["resolution"]
    ('simulation', 'summary', 'fiscal_year')
    """
    return {
        "format_version": OUTPUT_FORMAT_VERSION,
        "kind": "simulation",
        "period_means": period_means(projection),
        "summary": summary.to_dict(),
    }


def projection_report(projection: Projection) -> str:
    """Per period, the mean of the main flows; with Monte Carlo, the spread of outcome payments."""
    cur = projection.programme.currency
    names = [*_CASH, *_LOST]
    totals = {name: projection.total(flow=name) for name in names}
    monte_carlo = projection.mode == "monte-carlo"
    headers = ["period", *(name.replace("_", " ") for name in names)]
    if monte_carlo:
        headers += ["payments P10", "payments P90"]
        spread = percentiles(totals["outcome_payment"])
    rows = []
    for p, period in enumerate(projection.periods):
        row: list[object] = [period]
        row += [money(float(totals[name][:, p].mean())) for name in names]
        if monte_carlo:
            row += [money(float(spread[0, p])), money(float(spread[2, p]))]
        rows.append(row)
    grand: list[object] = [
        "total",
        *(money(float(totals[name].sum(axis=1).mean())) for name in names),
    ]
    if monte_carlo:
        whole = percentiles(totals["outcome_payment"].sum(axis=1)[:, None])
        grand += [money(float(whole[0, 0])), money(float(whole[2, 0]))]
    rows.append(grand)
    kind = (
        "expected mode (every distribution at its mean)"
        if projection.mode == "expected"
        else f"{projection.scenarios:,} Monte Carlo scenarios (seed {projection.seed}); "
        f"means, and percentiles by numpy's {PERCENTILE_METHOD!r} method"
    )
    out = [
        f"{projection.programme.name} ({projection.programme.id}): {kind}",
        f"amounts in {cur}, per {projection.resolution.replace('_', ' ')}",
        "",
        table(headers, rows),
    ]
    achieved = projection.total(flow="outcomes_achieved").sum(axis=1).mean()
    paid = projection.total(flow="outcomes_paid").sum(axis=1).mean()
    out += ["", f"outcomes achieved {number(float(achieved), 1)}; paid {number(float(paid), 1)}"]
    return "\n".join(out) + "\n"
