"""A readable text summary of a programme (what ``programma show`` prints)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from .._text import money, number, plural, table
from ..model.distributions import Distribution, describe
from ..model.financing import AdvanceFinancing, InvestorFinancing, Prefinancing
from ..model.moments import mean_of
from ..model.programme import Programme
from ..model.references import COLLECTIONS

__all__ = ["describe_programme"]


def _period(start: dt.date, end: dt.date) -> tuple[str, str]:
    return start.isoformat(), end.isoformat()


def describe_programme(programme: Programme) -> str:
    """A readable overview of ``programme``: its time frame and every collection, as tables.

    Uncertain amounts are shown by their mean, with the distribution beside them.
    """
    p = programme
    params = p.parameter_distributions
    cur = p.currency

    def mean(dist: Distribution) -> float:
        return mean_of(dist, params, year=p.fiscal_year(p.price_base))

    def shown(dist: Distribution, *, as_money: bool = False, digits: int = 2) -> str:
        value = money(mean(dist), cur) if as_money else number(mean(dist), digits)
        return value if dist.__class__.__name__ == "Fixed" else f"{value} ({describe(dist)})"

    out = [
        f"{p.name} ({p.id})",
        f"  {p.start.isoformat()} to {p.last_month.isoformat()}: "
        + (f"{p.horizon_years} years, " if p.horizon_years is not None else "")
        + f"{p.months} months; fiscal years start in month {p.fiscal_year_start_month}",
        f"  currency {cur}; prices at {p.price_base.isoformat()}; discount rate {p.discount_rate}",
    ]
    if p.shared_interest:
        out.append(f"  shared interest: {p.shared_interest}")
    counts = ", ".join(plural(len(getattr(p, name)), name[:-1]) for name in COLLECTIONS)
    out.append(f"  {counts}")

    def section(title: str, headers: list[str], rows: list[list[object]]) -> None:
        if rows:
            out.extend(["", title, table(headers, rows, indent="  ")])

    section(
        "Parameters",
        ["id", "distribution", "mean"],
        [[q.id, describe(q.distribution), number(mean(q.distribution), 4)] for q in p.parameters],
    )
    section(
        "Areas",
        ["id", "name", "code", "population"],
        [[a.id, a.name, a.code or "", a.population or ""] for a in p.areas],
    )
    engaged = Counter(e.phase for e in p.engagements)
    section(
        "Phases",
        ["id", "kind", "from", "to", "months", "at the table"],
        [
            [
                ph.id,
                ph.kind.value,
                ph.start.isoformat(),
                ph.end.isoformat(),
                ph.months,
                engaged[ph.id],
            ]
            for ph in p.phases
        ],
    )
    section(
        "Stakeholders",
        ["id", "name", "kind"],
        [[s.id, s.name, s.kind.value] for s in p.stakeholders],
    )
    section(
        "Funds",
        ["id", "kind", "owner", "years", "total", "carry-over"],
        [
            [
                f.id,
                f.kind.value,
                f.owner,
                f"{f.amounts[0][0]}-{f.amounts[-1][0]}" if f.amounts else "",
                money(sum(a for _, a in f.amounts), cur),
                "yes" if f.carry_over else "no",
            ]
            for f in p.funds
        ],
    )
    paid_by = {i: c.id for c in p.contracts for i in c.initiatives}
    section(
        "Initiatives",
        ["id", "owner", "start", "months", "commitment", "paid by", "flags"],
        [
            [
                i.id,
                i.owner,
                i.start.isoformat(),
                i.duration_months,
                shown(i.commitment, as_money=True),
                f"contract {paid_by[i.id]}"
                if i.id in paid_by
                else ", ".join(f"{s.fund} {number(s.share * 100, 1)}%" for s in i.funds),
                " ".join(
                    flag for flag, on in (("pilot", i.pilot), ("quick-win", i.quick_win)) if on
                ),
            ]
            for i in p.initiatives
        ],
    )
    for c in p.contracts:
        financing = c.financing
        detail = ""
        if isinstance(financing, InvestorFinancing):
            detail = (
                f" by {financing.investor}: {money(financing.commitment, cur)}, return cap "
                f"{number(financing.return_cap * 100, 2)}%/year"
                + (
                    f", {number(financing.capital_protection * 100, 1)}% protected by "
                    f"{financing.guarantor}"
                    if financing.guarantor
                    else ""
                )
            )
        elif isinstance(financing, AdvanceFinancing):
            detail = (
                f": {plural(len(financing.advances), 'advance')}"
                + (
                    f" and {plural(len(financing.windows), 'advance window')}"
                    if financing.windows
                    else ""
                )
                + f" totalling {money(financing.total, cur)}, "
                f"unearned balance {financing.unearned.value}ed"
            )
        elif isinstance(financing, Prefinancing):
            detail = f" by {financing.partner}" + (
                f" until gate {financing.gate}, then {financing.step_in_payer} steps in"
                if financing.gate
                else f" for {financing.months} months"
            )
        payers = ", ".join(f"{s.payer}/{s.fund} {number(s.share * 100, 1)}%" for s in c.payers)
        out.extend(
            [
                "",
                f"Contract {c.id}: {c.name}",
                f"  provider {c.provider}; {c.start.isoformat()} to {c.last_month.isoformat()}"
                f" (+{c.run_off_months} months run-off); paid {c.payment_schedule.value}"
                + (f" ({c.payment_rrule})" if c.payment_rrule else "")
                + f" after a {c.verification_lag_months}-month verification lag",
                f"  financing: {financing.mode.value}{detail}",
                f"  payers: {payers}",
            ]
        )
        caps = [
            f"{name} {money(value, cur)}"
            for name, value in (("per participant", c.cap_per_participant), ("contract", c.cap))
            if value is not None
        ]
        if caps:
            out.append(f"  caps: {'; '.join(caps)}")
        enrolled = 0.0
        for window in c.enrolment.windows:
            if window.per_month is not None:
                enrolled += mean(window.per_month) * window.months
            elif window.total is not None:
                enrolled += mean(window.total)
        out.append(
            f"  enrolment: {number(enrolled, 0)} participants expected in "
            f"{plural(len(c.enrolment.windows), 'window')}"
            + (", Poisson noise" if c.enrolment.poisson else "")
        )
        out.append(
            table(
                ["metric", "price", "achieving", "baseline", "threshold", "months to outcome"],
                [
                    [
                        m.id,
                        shown(m.price, as_money=True),
                        shown(m.share_achieving),
                        shown(m.baseline),
                        number(m.threshold, 3),
                        shown(m.time_to_outcome, digits=1),
                    ]
                    for m in c.metrics
                ],
                indent="  ",
            )
        )
    section(
        "Gates",
        ["id", "month", "acts on", "condition", "if met", "if not met"],
        [
            [
                g.id,
                g.month.isoformat(),
                g.contract or g.initiative or "",
                f"{g.condition.contract}.{g.condition.metric} {g.condition.measure.value} "
                f"{g.condition.comparison.value} {number(g.condition.target, 4)}",
                g.if_met.action.value
                + (f" ×{number(g.if_met.factor, 2)}" if g.if_met.factor else ""),
                g.if_not_met.action.value
                + (f" ×{number(g.if_not_met.factor, 2)}" if g.if_not_met.factor else ""),
            ]
            for g in p.gates
        ],
    )
    return "\n".join(out) + "\n"
