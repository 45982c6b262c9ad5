"""Maximum exposure: the most a contract, a payer or a fund can pay in outcome payments.

Per contract the most it can pay over its life under its caps (:class:`ContractExposure`), and
from those, per payer and per fund, the most it can pay in each fiscal year
(:class:`Exposure`): what a payer must be able to budget for however well the outcomes go.
Read from the programme alone, from the upper ends of its distributions, without a projection.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Literal

import attrs

from ..model.checks import add_months
from ..model.contracts import OutcomeContract
from ..model.distributions import Distribution
from ..model.moments import support_of
from ..model.programme import Programme
from ..model.vocabulary import Action

__all__ = [
    "EXPOSURE_TERMS",
    "ContractExposure",
    "Exposure",
    "contract_exposure",
    "yearly_exposure",
]


EXPOSURE_TERMS: tuple[str, ...] = (
    "contract cap",
    "contract per-participant cap",
    "metrics",
)
"""The terms of a contract's bound, in the order a tie is named (see :class:`ContractExposure`)."""


@attrs.frozen(kw_only=True)
class ContractExposure:
    """The most a contract can pay in outcome payments over its life, and why.

    ``bound`` = min(terms): ``contract cap`` C; ``contract per-participant cap`` P × N̄;
    ``metrics`` Σ_j M_j, with M_j = min(value cap V_j, count cap K_j × p̄_j × Ī_j,
    per-participant cap P_j × N̄, N̄ × p̄_j × Ī_j). N̄ is the most participants the
    enrolment can bring (each window's highest ``per_month`` × its months, or highest
    ``total``, times every gate's scale factor above 1; unbounded with Poisson noise); p̄_j the
    highest price the metric's price can take; Ī_j its highest price index in a fiscal year in
    which the contract can verify an outcome. The last term of M_j is the rate card: each
    participant achieving the outcome once at the highest price. A term that is not set, or
    whose distribution has no upper end, is ``inf``.

    Attributes:
        contract: The contract's id.
        bound: The bound (``inf``: unbounded).
        binding: The term that gives it, one of :data:`EXPOSURE_TERMS`, or ``"unbounded"``.
        terms: Every term's amount.
        participants: N̄.
    """

    contract: str
    bound: float
    binding: str
    terms: dict[str, float]
    participants: float


@attrs.frozen(kw_only=True)
class Exposure:
    """The most a payer (or a fund) can pay in outcome payments in one fiscal year.

    amount = Σ over the contracts' payer shares k of the payer (or fund) that can pay in the
    year of min(share_k × bound_c, fiscal-year cap_{k,y}) — the contract's bound
    (:class:`ContractExposure`) all falling in that year, but no more than the payer share's
    fiscal-year cap (a carried excess is capped again, so it cannot raise a year's payment).
    A contract can pay in the fiscal years from that of its start + verification lag to that
    of its settlement month, within the horizon.

    Attributes:
        level: ``"payer"`` (a stakeholder) or ``"fund"``.
        id: The stakeholder's or fund's id.
        year: The fiscal year (``FY2026``).
        amount: The maximum (``inf``: unbounded).
        contracts: The contracts that can pay in the year.
    """

    level: Literal["payer", "fund"]
    id: str
    year: str
    amount: float
    contracts: tuple[str, ...]


def _upper(dist: Distribution | None, programme: Programme) -> float:
    """The highest value ``dist`` can take (``inf`` when it has no upper end or is unknown)."""
    if dist is None:
        return 0.0
    support = support_of(dist, programme.parameter_distributions)
    return math.inf if support is None else support[1]


def _times(a: float, b: float) -> float:
    """a × b, where 0 × ∞ is 0 (nothing paid per participant, or no participant)."""
    return 0.0 if a == 0.0 or b == 0.0 else a * b


def _participants(programme: Programme, contract: OutcomeContract) -> float:
    """N̄: the most participants the contract's enrolment can bring, gates included."""
    if contract.enrolment.poisson:
        return math.inf
    most = 0.0
    for window in contract.enrolment.windows:
        if window.per_month is not None:
            most += _times(_upper(window.per_month, programme), float(window.months))
        else:
            most += _upper(window.total, programme)
    for gate in programme.gates:
        if gate.contract == contract.id:
            for decision in (gate.if_met, gate.if_not_met):
                if decision.action is Action.SCALE and decision.factor is not None:
                    most = _times(most, max(1.0, decision.factor))
    return most


def _payment_years(programme: Programme, contract: OutcomeContract) -> list[int]:
    first = add_months(contract.start, contract.verification_lag_months)
    last = min(contract.settlement_month, programme.last_month)
    if first > last:
        return []
    return list(range(programme.fiscal_year(first), programme.fiscal_year(last) + 1))


def _index_bound(programme: Programme, rate: Distribution, years: Sequence[int]) -> float:
    """Ī: the highest price index a metric's rate can give in any of ``years``."""
    support = support_of(rate, programme.parameter_distributions)
    if support is None:
        return math.inf
    low, high = support
    base = programme.fiscal_year(programme.price_base)
    best = 0.0
    for year in years:
        k = year - base
        best = max(best, (1.0 + (high if k >= 0 else low)) ** k if k else 1.0)
    return best


def contract_exposure(programme: Programme, contract: OutcomeContract) -> ContractExposure:
    participants = _participants(programme, contract)
    years = _payment_years(programme, contract)
    metrics = 0.0
    for metric in contract.metrics:
        top = _times(
            _upper(metric.price, programme), _index_bound(programme, metric.indexation, years)
        )
        caps = [_times(participants, top)]  # the rate card
        if metric.cap_value is not None:
            caps.append(metric.cap_value)
        if metric.cap_count is not None:
            caps.append(_times(metric.cap_count, top))
        if metric.cap_per_participant is not None:
            caps.append(_times(metric.cap_per_participant, participants))
        metrics += min(caps)
    terms = {
        "contract cap": math.inf if contract.cap is None else contract.cap,
        "contract per-participant cap": (
            math.inf
            if contract.cap_per_participant is None
            else _times(contract.cap_per_participant, participants)
        ),
        "metrics": metrics,
    }
    bound = min(terms.values())
    binding = next(name for name in EXPOSURE_TERMS if terms[name] == bound)
    return ContractExposure(
        contract=contract.id,
        bound=bound,
        binding=binding if math.isfinite(bound) else "unbounded",
        terms=terms,
        participants=participants,
    )


def yearly_exposure(programme: Programme, bounds: Sequence[ContractExposure]) -> Iterator[Exposure]:
    """Per payer, then per fund, each fiscal year in which one of its contracts can pay."""
    found: dict[tuple[str, str, int], list[tuple[str, float]]] = {}
    for contract, bound in zip(programme.contracts, bounds, strict=True):
        for year in _payment_years(programme, contract):
            for share in contract.payers:
                cap = share.cap_in(year)
                amount = min(_times(share.share, bound.bound), math.inf if cap is None else cap)
                for level, who in (("payer", share.payer), ("fund", share.fund)):
                    found.setdefault((level, who, year), []).append((contract.id, amount))
    levels: tuple[tuple[Literal["payer", "fund"], list[str]], ...] = (
        ("payer", [s.id for s in programme.stakeholders]),
        ("fund", [f.id for f in programme.funds]),
    )
    for level, order in levels:
        mine = sorted(
            ((who, year) for lv, who, year in found if lv == level),
            key=lambda item: (order.index(item[0]), item[1]),
        )
        for who, year in mine:
            amounts = found[level, who, year]
            finite = all(math.isfinite(amount) for _, amount in amounts)
            yield Exposure(
                level=level,
                id=who,
                year=f"FY{year}",
                amount=math.fsum(amount for _, amount in amounts) if finite else math.inf,
                contracts=tuple(dict.fromkeys(c for c, _ in amounts)),
            )
