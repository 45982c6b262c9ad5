"""The outputs a sensitivity analysis reads: one number per scenario of a projection.

An output is named by a small spec ``KIND:ID:MEASURE``:

=================================  ===========================================================
spec                               the number
=================================  ===========================================================
``fund:ID:total``                  the fund's total cash outflow over the horizon
``fund:ID:peak``                   the fund's largest cash outflow in one fiscal year
``area:ID:total``                  the funds' cash outflow for the area over the horizon
``payer:ID:npv``                   the present value of what the stakeholder pays out
``contract:ID:irr``                the investor's annual IRR on the contract
``contract:ID:cost-per-outcome``   the contract's outcome payments per outcome paid
=================================  ===========================================================

In Python the same outputs are small values (:class:`FundTotal`, :class:`FundPeak`,
:class:`AreaTotal`, :class:`PayerNPV`, :class:`InvestorIRR`, :class:`CostPerOutcome`);
:func:`parse_output` reads a spec, and :func:`evaluate` reads the output from a projection.
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

import attrs
import numpy as np

from .._errors import Problem, ValidationError
from .._text import money, number
from ..engine.projection import Projection
from ..engine.run import Model
from ..model.checks import some_ids
from ..model.financing import InvestorFinancing
from ..model.programme import Programme
from .areas import PROGRAMME_WIDE, area_outflows

__all__ = [
    "AreaTotal",
    "CostPerOutcome",
    "FundPeak",
    "FundTotal",
    "InvestorIRR",
    "Output",
    "PayerNPV",
    "checked_output",
    "evaluate",
    "label",
    "parse_output",
    "shown",
]


@attrs.frozen
class FundTotal:
    """A fund's total cash outflow over the horizon (``Projection.outflow`` summed).

    >>> str(FundTotal("resultatenfonds"))
    'fund:resultatenfonds:total'
    """

    fund: str

    def __str__(self) -> str:
        return f"fund:{self.fund}:total"


@attrs.frozen
class FundPeak:
    """A fund's largest cash outflow in one fiscal year of the horizon.

    >>> str(FundPeak("resultatenfonds"))
    'fund:resultatenfonds:peak'
    """

    fund: str

    def __str__(self) -> str:
        return f"fund:{self.fund}:peak"


@attrs.frozen
class AreaTotal:
    """The funds' cash outflow for a neighbourhood over the horizon.

    Each payment is split equally over the areas of its contract or initiative (see
    :func:`programma.analysis.areas.area_outflows`); ``(programme-wide)`` takes what names no
    area.

    >>> str(AreaTotal("bilgaard"))
    'area:bilgaard:total'
    """

    area: str

    def __str__(self) -> str:
        return f"area:{self.area}:total"


@attrs.frozen
class PayerNPV:
    """The present value of what a stakeholder pays out, less refunds it receives.

    At the programme's discount rate, in real terms when it has a deflator: the figure
    ``Summary.npv_payers`` spreads.

    >>> str(PayerNPV("gemeente"))
    'payer:gemeente:npv'
    """

    payer: str

    def __str__(self) -> str:
        return f"payer:{self.payer}:npv"


@attrs.frozen
class InvestorIRR:
    """The investor's annual IRR on an investor-financed contract (NaN where there is none).

    >>> str(InvestorIRR("sib-werkroute"))
    'contract:sib-werkroute:irr'
    """

    contract: str

    def __str__(self) -> str:
        return f"contract:{self.contract}:irr"


@attrs.frozen
class CostPerOutcome:
    """A contract's outcome payments (cash and advance offsets) per outcome paid, over the
    horizon (NaN where none was paid): the summary's ``cost_per_outcome``.

    >>> str(CostPerOutcome("sib-werkroute"))
    'contract:sib-werkroute:cost-per-outcome'
    """

    contract: str

    def __str__(self) -> str:
        return f"contract:{self.contract}:cost-per-outcome"


Output: TypeAlias = FundTotal | FundPeak | AreaTotal | PayerNPV | InvestorIRR | CostPerOutcome
"""An output a sensitivity analysis reads: one number per scenario."""

_MEASURES: dict[tuple[str, str], type[Any]] = {
    ("fund", "total"): FundTotal,
    ("fund", "peak"): FundPeak,
    ("area", "total"): AreaTotal,
    ("payer", "npv"): PayerNPV,
    ("contract", "irr"): InvestorIRR,
    ("contract", "cost-per-outcome"): CostPerOutcome,
}
_SPEC_EXPECTED = (
    "an output written KIND:ID:MEASURE: fund:ID:total, fund:ID:peak, area:ID:total, "
    "payer:ID:npv, contract:ID:irr or contract:ID:cost-per-outcome"
)


def parse_output(spec: str | Output) -> Output:
    """The output a spec ``KIND:ID:MEASURE`` names; an output object is returned as it is.

    Raises:
        ValidationError: The spec is not of that form (the problem's path is ``output``).

    >>> parse_output("fund:resultatenfonds:peak")
    FundPeak(fund='resultatenfonds')
    """
    if isinstance(spec, FundTotal | FundPeak | AreaTotal | PayerNPV | InvestorIRR | CostPerOutcome):
        return spec
    parts = spec.split(":") if isinstance(spec, str) else []
    if len(parts) == 3 and parts[1] and (parts[0], parts[2]) in _MEASURES:
        output: Output = _MEASURES[parts[0], parts[2]](parts[1])
        return output
    raise ValidationError([Problem("output", _SPEC_EXPECTED, spec)])


def output_problems(output: Output, programme: Programme) -> list[Problem]:
    """What is wrong with ``output`` for this programme: an id it does not have."""
    match output:
        case FundTotal(fund=fund) | FundPeak(fund=fund):
            funds = [f.id for f in programme.funds]
            if fund not in funds:
                expected = f"the id of one of the programme's funds ({some_ids(funds)})"
                return [Problem("output", expected, str(output))]
        case AreaTotal(area=area):
            areas = [a.id for a in programme.areas] + [PROGRAMME_WIDE]
            if area not in areas:
                expected = f"the id of one of the programme's areas ({some_ids(areas)})"
                return [Problem("output", expected, str(output))]
        case PayerNPV(payer=payer):
            payers = list(Model(programme).payers)
            if payer not in payers:
                expected = f"the id of a stakeholder that pays out ({some_ids(payers)})"
                return [Problem("output", expected, str(output))]
        case InvestorIRR(contract=contract):
            investor = [
                c.id for c in programme.contracts if isinstance(c.financing, InvestorFinancing)
            ]
            if contract not in investor:
                expected = (
                    f"the id of an investor-financed contract ({some_ids(investor)})"
                    if investor
                    else "an investor-financed contract (the programme has none)"
                )
                return [Problem("output", expected, str(output))]
        case CostPerOutcome(contract=contract):
            contracts = [c.id for c in programme.contracts]
            if contract not in contracts:
                expected = f"the id of one of the programme's contracts ({some_ids(contracts)})"
                return [Problem("output", expected, str(output))]
    return []


def checked_output(
    output: str | Output, programme: Programme
) -> tuple[Output | None, list[Problem]]:
    """The output a spec names, and what is wrong with it for this programme (all at once).

    The output is ``None`` when the spec cannot be read.
    """
    try:
        chosen = parse_output(output)
    except ValidationError as error:
        return None, list(error.problems)
    return chosen, output_problems(chosen, programme)


def label(output: Output) -> str:
    match output:
        case FundTotal(fund=fund):
            return f"total cash outflow of fund {fund!r} over the horizon"
        case FundPeak(fund=fund):
            return f"largest fiscal-year cash outflow of fund {fund!r}"
        case AreaTotal(area=area):
            return f"total cash outflow of the funds for area {area!r} over the horizon"
        case PayerNPV(payer=payer):
            return f"present value of what {payer!r} pays out"
        case InvestorIRR(contract=contract):
            return f"investor's annual IRR on contract {contract!r}"
        case CostPerOutcome(contract=contract):
            return f"outcome payments per outcome paid of contract {contract!r}"
    raise TypeError(output)  # pragma: no cover


def evaluate(output: Output, projection: Projection) -> np.ndarray:
    """The output per scenario of a projection kept by fiscal year (or coarser to it)."""
    match output:
        case FundTotal(fund=fund):
            return np.asarray(projection.outflow(fund).sum(axis=1))
        case FundPeak(fund=fund):
            return np.asarray(projection.by("fiscal_year").outflow(fund).max(axis=1))
        case AreaTotal(area=area):
            return area_outflows(projection)[area]
        case PayerNPV(payer=payer):
            return np.asarray(projection.scalars[f"npv/payer/{payer}"], dtype=float)
        case InvestorIRR(contract=contract):
            return np.asarray(projection.scalars[f"investor/{contract}/irr"], dtype=float)
        case CostPerOutcome(contract=contract):
            paid = projection.total(flow="outcome_payment", contract=contract).sum(axis=1)
            offset = projection.total(flow="advance_offset", contract=contract).sum(axis=1)
            count = projection.total(flow="outcomes_paid", contract=contract).sum(axis=1)
            amount = paid + offset
            return np.asarray(
                np.divide(amount, count, out=np.full(amount.shape, np.nan), where=count > 1e-12)
            )
    raise TypeError(output)  # pragma: no cover


def shown(output: Output, value: float, currency: str) -> str:
    """An output's value for people: an IRR in percent, other outputs in whole units."""
    if isinstance(output, InvestorIRR):
        return f"{value * 100:.2f}%" if math.isfinite(value) else number(value)
    return money(value, currency)
