"""The checks between a programme's entities: references, uniqueness, shares, dates and phases.

Each entity checks its own fields; these checks need the whole programme (an id that must name
another entity, a date that must fall inside the horizon, shares that must add up).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .._errors import Problem, described
from .._text import plural
from .checks import MAX_MONTHS, add_months, is_number, month_index, some_ids
from .contracts import OutcomeContract
from .financing import InvestorFinancing, Prefinancing
from .gates import Gate
from .vocabulary import Action

if TYPE_CHECKING:
    from .programme import Programme

__all__ = ["COLLECTIONS", "References", "well_formed_time"]

_SHARE_TOLERANCE = 1e-9

COLLECTIONS: tuple[str, ...] = (
    "parameters",
    "areas",
    "phases",
    "stakeholders",
    "interests",
    "engagements",
    "funds",
    "initiatives",
    "contracts",
    "gates",
)


def _months_ok(value: object) -> bool:
    """Whether a month count is valid (else its entity reports it; dates are not computed)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_MONTHS


def well_formed_time(programme: Programme) -> bool:
    return not any(
        True
        for problem in programme._problems()
        if problem.path in ("start", "horizon_years", "horizon_months", "fiscal_year_start_month")
    )


class References:
    """The checks between entities: references, uniqueness, shares, dates, phases, gates."""

    def __init__(self, programme: Programme) -> None:
        self.p = programme
        self.ids: dict[str, list[str]] = {
            name: [entity.id for entity in getattr(programme, name)] for name in COLLECTIONS
        }
        # Sets for look-ups: a list would make references quadratic in the programme's size.
        self.known = {
            name: {i for i in ids if isinstance(i, str)} for name, ids in self.ids.items()
        }

    def problems(self) -> Iterator[Problem]:
        yield from self._unique_ids()
        yield from self._interests_and_engagements()
        yield from self._funds()
        yield from self._initiatives()
        yield from self._contracts()
        yield from self._gates()
        yield from self._phases()

    # -- helpers ------------------------------------------------------------------------------

    def ref(self, path: str, collection: str, value: str | None) -> Iterator[Problem]:
        """A problem if ``value`` is set and is not the id of an entity of ``collection``."""
        if value is None or self.has(collection, value):
            return
        known = self.ids[collection]
        listing = some_ids(known)
        what = f"the id of one of the programme's {collection}"
        yield Problem(path, f"{what} ({listing})" if known else f"{what} (there are none)", value)

    def has(self, collection: str, value: object) -> bool:
        """Whether ``value`` is the id of an entity of ``collection``."""
        if isinstance(value, str):
            return value in self.known[collection]
        return value in self.ids[collection]  # not an id at all: reported by its entity

    def refs(self, path: str, collection: str, values: Iterable[str]) -> Iterator[Problem]:
        for index, value in enumerate(values):
            yield from self.ref(f"{path}[{index}]", collection, value)

    @functools.cached_property
    def _last_month(self) -> dt.date:
        return self.p.last_month  # worked out once, not once per date checked

    @functools.cached_property
    def _fiscal_years(self) -> tuple[int, ...]:
        return self.p.fiscal_years

    def inside(self, path: str, month: dt.date, what: str = "a month") -> Iterator[Problem]:
        """A problem if ``month`` lies outside the programme's horizon."""
        if not isinstance(month, dt.date) or month.day != 1:
            return  # reported by the entity itself
        first, last = self.p.start, self._last_month
        if not first <= month <= last:
            yield Problem(
                path,
                f"{what} inside the horizon ({first.isoformat()} to {last.isoformat()})",
                described(month.isoformat()),
            )

    def years(self, path: str, pairs: Iterable[tuple[int, float]]) -> Iterator[Problem]:
        years = self._fiscal_years
        for year, _ in pairs:
            if year not in years:
                yield Problem(
                    f"{path}[{year}]",
                    f"a fiscal year of the programme ({years[0]} to {years[-1]})",
                    year,
                )

    @staticmethod
    def shares_sum(path: str, shares: list[float]) -> Iterator[Problem]:
        if not shares or not all(is_number(share) for share in shares):
            return
        total = math.fsum(shares)
        if abs(total - 1.0) > _SHARE_TOLERANCE:
            yield Problem(path, "shares that sum to 1", total)

    # -- rules --------------------------------------------------------------------------------

    def _unique_ids(self) -> Iterator[Problem]:
        for collection, ids in self.ids.items():
            seen: set[str] = set()
            for index, entity_id in enumerate(ids):
                try:
                    again = entity_id in seen
                    seen.add(entity_id)
                except TypeError:  # not an id at all (reported by its entity)
                    again = entity_id in ids[:index]
                if again:
                    yield Problem(
                        f"{collection}[{index}].id",
                        f"an id unique among the programme's {collection}",
                        entity_id,
                    )

    def _interests_and_engagements(self) -> Iterator[Problem]:
        for i, interest in enumerate(self.p.interests):
            yield from self.ref(f"interests[{i}].stakeholder", "stakeholders", interest.stakeholder)
            yield from self.refs(f"interests[{i}].areas", "areas", interest.areas)
        for i, engagement in enumerate(self.p.engagements):
            path = f"engagements[{i}]"
            yield from self.ref(f"{path}.stakeholder", "stakeholders", engagement.stakeholder)
            yield from self.ref(f"{path}.phase", "phases", engagement.phase)

    def _funds(self) -> Iterator[Problem]:
        for i, fund in enumerate(self.p.funds):
            yield from self.ref(f"funds[{i}].owner", "stakeholders", fund.owner)
            yield from self.years(f"funds[{i}].amounts", fund.amounts)

    def _initiatives(self) -> Iterator[Problem]:
        paid_by: dict[str, list[str]] = {}
        for contract in self.p.contracts:
            for initiative_id in contract.initiatives:
                paid_by.setdefault(initiative_id, []).append(contract.id)
        for i, initiative in enumerate(self.p.initiatives):
            path = f"initiatives[{i}]"
            yield from self.ref(f"{path}.owner", "stakeholders", initiative.owner)
            yield from self.refs(f"{path}.areas", "areas", initiative.areas)
            yield from self.refs(f"{path}.interests", "interests", initiative.interests)
            for j, share in enumerate(initiative.funds):
                yield from self.ref(f"{path}.funds[{j}].fund", "funds", share.fund)
            yield from self.inside(f"{path}.start", initiative.start, "a start month")
            if _months_ok(initiative.duration_months):
                yield from self.inside(f"{path}.duration_months", initiative.end, "an end month")
            contracts = paid_by.get(initiative.id, [])
            if len(contracts) > 1:
                yield Problem(
                    f"{path}.id",
                    "an initiative paid for by at most one contract",
                    described(f"{initiative.id!r}, paid for by {some_ids(contracts)}"),
                )
            if contracts and initiative.funds:
                yield Problem(
                    f"{path}.funds",
                    f"no funds: contract {contracts[0]!r} pays for this initiative",
                    described(plural(len(initiative.funds), "fund share")),
                )
            elif not contracts and not initiative.funds:
                yield Problem(
                    f"{path}.funds",
                    "the funds that pay for it (or a contract that lists it in initiatives)",
                    [],
                )
            yield from self.shares_sum(f"{path}.funds", [s.share for s in initiative.funds])

    def _contracts(self) -> Iterator[Problem]:
        # Paths are written out only where a reference may be broken: the programme may have
        # a hundred thousand contracts, nearly all of whose references hold.
        for i, contract in enumerate(self.p.contracts):
            path = f"contracts[{i}]"
            if not self.has("stakeholders", contract.provider):
                yield from self.ref(f"{path}.provider", "stakeholders", contract.provider)
            if contract.initiatives:
                yield from self.refs(f"{path}.initiatives", "initiatives", contract.initiatives)
            if contract.interests:
                yield from self.refs(f"{path}.interests", "interests", contract.interests)
            if contract.areas:
                yield from self.refs(f"{path}.areas", "areas", contract.areas)
            yield from self.inside(f"{path}.start", contract.start, "a start month")
            if (contract.end is None) != (contract.duration_months is None) and (
                contract.end is not None or _months_ok(contract.duration_months)
            ):
                where = "end" if contract.end is not None else "duration_months"
                last = contract.last_month
                outside = list(self.inside(f"{path}.{where}", last, "an end month"))
                yield from outside
                if not outside:
                    yield from self._settlement(path, contract, last)
            for j, payer in enumerate(contract.payers):
                if not self.has("stakeholders", payer.payer):
                    yield from self.ref(f"{path}.payers[{j}].payer", "stakeholders", payer.payer)
                if not self.has("funds", payer.fund):
                    yield from self.ref(f"{path}.payers[{j}].fund", "funds", payer.fund)
                if payer.fiscal_year_caps:
                    yield from self.years(
                        f"{path}.payers[{j}].fiscal_year_caps", payer.fiscal_year_caps
                    )
            pairs = [(payer.payer, payer.fund) for payer in contract.payers]
            for j, pair in enumerate(pairs):
                if pair in pairs[:j]:
                    yield Problem(
                        f"{path}.payers[{j}]",
                        "each payer and fund pair listed once",
                        described(f"payer {pair[0]!r} with fund {pair[1]!r} again"),
                    )
            yield from self.shares_sum(f"{path}.payers", [s.share for s in contract.payers])
            yield from self._financing(path, contract)

    def _settlement(self, path: str, contract: OutcomeContract, last: dt.date) -> Iterator[Problem]:
        """A problem if the contract, ending inside the horizon, settles after it (§4.8.2).

        Guarantees, advance refunds and forfeited carried excess all fall in the settlement
        month; settled at a month the horizon cuts, they would be figures of the cut.
        ``last`` is the contract's last month.
        """
        run_off = contract.run_off_months
        if not isinstance(last, dt.date) or last.day != 1 or not self.p.start <= last:
            return  # reported by the contract itself, or as an end outside the horizon
        if (
            not isinstance(run_off, int)
            or isinstance(run_off, bool)
            or not 0 <= run_off <= MAX_MONTHS
        ):
            return  # reported by the contract itself
        settlement = add_months(last, run_off)  # the contract's settlement_month
        horizon_end = self._last_month
        if settlement <= horizon_end:
            return
        months = month_index(self.p.start, settlement) + 1
        if self.p.horizon_months is None:
            horizon = f"horizon_years = {self.p.horizon_years}"
            needed = f"horizon_years ≥ {-(-months // 12)} or horizon_months ≥ {months}"
        else:
            horizon = f"horizon_months = {self.p.horizon_months}"
            needed = f"horizon_months ≥ {months}"
        yield Problem(
            f"{path}.run_off_months",
            f"a settlement month (end + run_off_months) inside the horizon, which ends "
            f"{horizon_end:%Y-%m} ({horizon})",
            described(
                f"{run_off} months: contract {contract.id!r} settles in {settlement:%Y-%m}, "
                f"which needs {needed}"
            ),
        )

    def _financing(self, path: str, contract: OutcomeContract) -> Iterator[Problem]:
        financing = contract.financing
        if not isinstance(financing, InvestorFinancing | Prefinancing):
            return
        fpath = f"{path}.financing"
        if isinstance(financing, InvestorFinancing):
            yield from self.ref(f"{fpath}.investor", "stakeholders", financing.investor)
            yield from self.ref(f"{fpath}.guarantor", "stakeholders", financing.guarantor)
            yield from self.ref(f"{fpath}.guarantor_fund", "funds", financing.guarantor_fund)
        elif isinstance(financing, Prefinancing):
            yield from self.ref(f"{fpath}.partner", "stakeholders", financing.partner)
            yield from self.ref(f"{fpath}.partner_fund", "funds", financing.partner_fund)
            yield from self.ref(f"{fpath}.step_in_payer", "stakeholders", financing.step_in_payer)
            yield from self.ref(f"{fpath}.step_in_fund", "funds", financing.step_in_fund)
            yield from self.ref(f"{fpath}.gate", "gates", financing.gate)
            yield from self._prefinancing_gate(fpath, contract, financing)

    def _prefinancing_gate(
        self, fpath: str, contract: OutcomeContract, financing: Prefinancing
    ) -> Iterator[Problem]:
        if financing.gate is None or financing.gate not in self.ids["gates"]:
            return
        gate: Gate = self.p.find("gates", financing.gate)
        if gate.contract != contract.id:
            yield Problem(
                f"{fpath}.gate",
                f"a gate that acts on this contract ({contract.id!r})",
                described(f"{gate.id!r}, which acts on {gate.contract or gate.initiative!r}"),
            )
        if gate.if_met.action is not Action.STEP_IN or gate.if_not_met.action is not Action.STOP:
            yield Problem(
                f"{fpath}.gate",
                "a pre-financing gate that decides 'step-in' if met and 'stop' if not",
                described(
                    f"{gate.id!r}, deciding {gate.if_met.action.value!r} if met and "
                    f"{gate.if_not_met.action.value!r} if not"
                ),
            )
        if isinstance(gate.month, dt.date) and isinstance(contract.start, dt.date):
            if gate.month <= contract.start:
                yield Problem(
                    f"{fpath}.gate",
                    f"a gate month after the contract's start ({contract.start.isoformat()})",
                    described(f"{gate.id!r} in {gate.month.isoformat()}"),
                )
            elif financing.months is not None and _months_ok(financing.months):
                planned = add_months(contract.start, financing.months)
                if planned != gate.month:
                    yield Problem(
                        f"{fpath}.months",
                        f"months that end at the gate month {gate.month.isoformat()} "
                        f"({month_index(contract.start, gate.month)} months), or no months",
                        financing.months,
                    )

    def _gates(self) -> Iterator[Problem]:
        financing_gates = {
            contract.financing.gate: contract.id
            for contract in self.p.contracts
            if isinstance(contract.financing, Prefinancing) and contract.financing.gate
        }
        for i, gate in enumerate(self.p.gates):
            path = f"gates[{i}]"
            yield from self.inside(f"{path}.month", gate.month, "a gate month")
            yield from self.ref(f"{path}.phase", "phases", gate.phase)
            yield from self.ref(f"{path}.contract", "contracts", gate.contract)
            yield from self.ref(f"{path}.initiative", "initiatives", gate.initiative)
            condition = gate.condition
            yield from self.ref(f"{path}.condition.contract", "contracts", condition.contract)
            if condition.contract in self.ids["contracts"]:
                contract: OutcomeContract = self.p.find("contracts", condition.contract)
                metrics = [metric.id for metric in contract.metrics]
                if condition.metric not in metrics:
                    yield Problem(
                        f"{path}.condition.metric",
                        f"the id of one of contract {contract.id!r}'s metrics "
                        f"({', '.join(map(repr, metrics))})",
                        condition.metric,
                    )
            for name in ("if_met", "if_not_met"):
                decision = getattr(gate, name)
                if decision.action is Action.STEP_IN and gate.id not in financing_gates:
                    yield Problem(
                        f"{path}.{name}.action",
                        "continue, scale or stop ('step-in' is for the gate a contract's "
                        "pre-financing names)",
                        Action.STEP_IN.value,
                    )
        seen: dict[str, str] = {}
        for contract in self.p.contracts:
            financing = contract.financing
            if isinstance(financing, Prefinancing) and financing.gate:
                if financing.gate in seen:
                    i = self.ids["contracts"].index(contract.id)
                    yield Problem(
                        f"contracts[{i}].financing.gate",
                        "a gate named by one contract's pre-financing only",
                        described(f"{financing.gate!r}, also named by {seen[financing.gate]!r}"),
                    )
                seen[financing.gate] = contract.id

    def _phases(self) -> Iterator[Problem]:
        phases = [
            (i, phase)
            for i, phase in enumerate(self.p.phases)
            if isinstance(phase.start, dt.date) and isinstance(phase.end, dt.date)
        ]
        for i, phase in phases:
            yield from self.inside(f"phases[{i}].start", phase.start, "a start month")
            yield from self.inside(f"phases[{i}].end", phase.end, "an end month")
        for a, (_, first) in enumerate(phases):
            for j, second in phases[a + 1 :]:
                if first.parallel or second.parallel:
                    continue
                if first.start <= second.end and second.start <= first.end:
                    yield Problem(
                        f"phases[{j}]",
                        f"a phase that does not overlap phase {first.id!r} "
                        f"({first.start.isoformat()} to {first.end.isoformat()}) "
                        "unless one of them is marked parallel",
                        described(f"{second.start.isoformat()} to {second.end.isoformat()}"),
                    )
