"""The orchestrator: a programme compiled once (:class:`Model`), then run a chunk at a time.

A chunk runs the rules in the order of DESIGN §4: draws (§4.1), gates in month order (§4.6),
which read enrolment and outcomes (§4.3); costs (§4.2); per contract its outcomes, caps and
payment timing (§4.3, §4.4) and its financing (§4.5); then funds and budgets (§4.6). The rules
are pure functions in their own modules; only this module records output: series summed into
their kept periods, present values and per-scenario figures. Arrays are
``(scenarios, months)``; loops run only over what is recursive (months) or small (contracts,
metrics, payers).
"""

from __future__ import annotations

from collections.abc import Collection

import attrs
import numpy as np

from ..model.contracts import OutcomeContract
from ..model.distributions import Distribution
from ..model.financing import AdvanceFinancing, InvestorFinancing, Prefinancing
from ..model.gates import Gate
from ..model.initiatives import Initiative
from ..model.programme import Programme
from ..periods.grid import Resolution
from ..uncertainty.sampling import Draws
from . import (
    advances,
    budgets,
    caps,
    cohorts,
    costs,
    gates,
    investor,
    payments,
    prefinancing,
    present_values,
    provider,
)
from .layout import (
    DISCOUNTED,
    FUND_OUTFLOWS,
    Accumulator,
    Entry,
    InitiativeTargets,
    declare_series,
    initiative_targets,
)
from .series import SeriesKey
from .timeline import Timeline, fold_into_horizon, price_index
from .windows import Bounds, Window, months_used

__all__ = ["ChunkResult", "Model"]


@attrs.frozen
class ChunkResult:
    """What one chunk of scenarios produced: kept series and per-scenario scalars.

    Attributes:
        values: ``(S, P, N)``: scenarios × kept periods × series (a view; not contiguous).
        scalars: Per-scenario figures by name, each ``(S,)``.
    """

    values: np.ndarray
    scalars: dict[str, np.ndarray]


def financing_series(contract: OutcomeContract) -> list[SeriesKey]:
    """The series a contract's financing mode adds (§4.5)."""
    financing = contract.financing
    if isinstance(financing, InvestorFinancing):
        return investor.series(contract, financing)
    if isinstance(financing, AdvanceFinancing):
        return advances.series(contract, financing)
    if isinstance(financing, Prefinancing):
        return prefinancing.series(contract, financing)
    return []


class Model:
    """A programme compiled for the engine: the timeline, the series layout, the fixed arrays.

    Compiling is done once per projection; :meth:`run` then runs any chunk of scenarios.
    Everything here is plain data and numpy arrays, so a model pickles to worker processes.
    """

    def __init__(self, programme: Programme, individually: Collection[str] = ()) -> None:
        self.programme = programme
        self.timeline = Timeline.of(programme)
        self.grid = self.timeline.grid
        self.parameters = programme.parameter_distributions
        self.paid_by = {i: c.id for c in programme.contracts for i in c.initiatives}
        self.individually = frozenset(individually)
        fund_owners = {f.id: f.owner for f in programme.funds}
        # Initiatives summed alike (same owner, areas and fund shares) share one set of
        # targets: worked out once, and declared once below.
        alike: dict[tuple[object, ...], InitiativeTargets] = {}
        self.targets: dict[str, InitiativeTargets] = {}
        for i in programme.initiatives:
            paid, alone = i.id in self.paid_by, i.id in self.individually
            signature = (i.id if alone else "", i.owner, i.areas, i.funds, paid)
            if signature not in alike:
                alike[signature] = initiative_targets(i, fund_owners, paid, alone)
            self.targets[i.id] = alike[signature]
        self.layout = declare_series(programme, self.targets, financing_series)
        # The initiatives a gate acts on: their costs take the gates' factors one by one.
        gated = {g.initiative for g in programme.gates if g.initiative is not None}
        for gate in programme.gates:
            if gate.contract is not None:
                gated.update(programme.find("contracts", gate.contract).initiatives)
        self.gated = frozenset(gated)
        # Costed one by one: what a gate scales, and what a contract reads as its cost.
        self.costed_alone = self.gated | self.paid_by.keys()
        # The others are summed in groups that share their series and their price path.
        # A price path is told apart by the object that gives it: one object named by many
        # initiatives is judged and hashed once (a path of Samples is large to hash).
        # An initiative a delay may push past the months the engine tracks is costed alone too
        # (its cost after them is valued at later years' prices), in every chunk alike.
        shared: dict[int, bool] = {}
        groups: dict[tuple[object, ...], tuple[bool, list[Initiative]]] = {}
        for initiative in programme.initiatives:
            rate = initiative.indexation
            if id(rate) not in shared:
                shared[id(rate)] = costs.shared_index(rate)
            summed = initiative.id not in self.costed_alone and not costs.may_pass_tracked_months(
                initiative, self.timeline, self.parameters
            )
            key = (self.targets[initiative.id], id(rate))
            group = key if summed and shared[id(rate)] else (initiative.id,)
            groups.setdefault(group, (summed, []))[1].append(initiative)
        self.shared_index = {i.id: shared[id(i.indexation)] for i in programme.initiatives}
        """Per initiative: whether its price path is one that others naming its indexation
        share (by id: ids of objects change when a model travels to another process)."""
        self.cost_groups = tuple((summed, tuple(group)) for summed, group in groups.values())
        """Each group of initiatives costed together: whether summed, and its initiatives."""
        self.payment_timing = {
            c.id: payments.PaymentTiming.of(c, self.timeline) for c in programme.contracts
        }
        grid = self.grid
        self.first_month = {
            c.id: min(
                [grid.index(c.start)]
                + [grid.index(programme.find("initiatives", i).start) for i in c.initiatives]
            )
            for c in programme.contracts
        }
        """Per contract, the first month any of its costs can fall in: its start, or the
        start of an initiative it pays for."""
        self.advance_schedules = {
            c.id: advances.advance_schedule(c.financing, self.timeline)
            for c in programme.contracts
            if isinstance(c.financing, AdvanceFinancing)
        }
        """Per advance-financed contract, its advances by month, before the split."""
        self.advance_months = {
            c: (int(months[0]), int(months[-1]))
            for c, schedule in self.advance_schedules.items()
            if (months := np.flatnonzero(schedule)).size
        }
        """Per contract with advances, the first and last month one is paid in."""

    @property
    def series(self) -> tuple[SeriesKey, ...]:
        """Every series a run produces, in order."""
        return tuple(self.layout.keys)

    @property
    def scalar_names(self) -> tuple[str, ...]:
        """The names of the per-scenario scalars a run produces.

        ``cap_cut/{contract}/{stage}``: what each cap stage cut; ``gate_met/{gate}``: 1 where
        the gate's condition held; ``gate_measure/{gate}``: what the condition compared with
        its target (the verified count, or the verified rate: NaN where nothing was verified);
        ``investor/{contract}/{figure}`` for investor-financed
        contracts: drawn, distributed, guarantee, multiple, irr (annual), return_cap_bound;
        ``npv/payer/{stakeholder}`` and ``npv/fund/{fund}``: the present value of what each
        pays out (advance refunds received back count against it); and
        ``pv/contract/{contract}/payments``: the present value of its outcome payments
        (cash and advance offsets). Present values are at the programme's discount rate, in
        real terms when it has a deflator, to the start of the price-base month, with each
        month's flows at the month's end.
        """
        programme = self.programme
        contracts = programme.contracts
        names = [f"cap_cut/{c.id}/{stage}" for c in contracts for stage in caps.CAP_STAGES]
        names += [f"gate_met/{gate.id}" for gate in programme.gates]
        names += [f"gate_measure/{gate.id}" for gate in programme.gates]
        names += [f"npv/payer/{payer}" for payer in self.payers]
        names += [f"npv/fund/{fund.id}" for fund in programme.funds]
        names += [f"pv/contract/{c.id}/payments" for c in programme.contracts]
        names += [
            f"investor/{c.id}/{figure}"
            for c in programme.contracts
            if isinstance(c.financing, InvestorFinancing)
            for figure in investor.INVESTOR_FIGURES
        ]
        return tuple(names)

    @property
    def payers(self) -> tuple[str, ...]:
        """Every stakeholder that pays a flow out of a fund or its own pocket, in order."""
        found: dict[str, None] = {}
        for key in self.layout.keys:
            if key.flow in FUND_OUTFLOWS and key.flow != "advance_refund":
                found[key.payer] = None
        return tuple(found)

    def working_bytes_per_scenario(self, resolution: Resolution) -> int:
        """An upper estimate of the memory one scenario needs inside a chunk.

        Monthly arrays live only inside a chunk: per initiative a gate acts on or a contract
        pays for, its cost and gate factor (2), and for the rest a few at a time (6); per
        contract its enrolment, gate factor, cohorts and scratch (12), per
        metric its values, counts and caps (10) and, with an investor, its entitlement path
        (1); the series are kept per period at the chosen resolution and by fiscal year.
        """
        programme = self.programme
        months = 2 * len(self.costed_alone) + 6 + 12
        for contract in programme.contracts:
            months += 12 + 10 * len(contract.metrics) + 2 * len(contract.payers)
            months += isinstance(contract.financing, InvestorFinancing)
        periods = len(self.grid.labels(resolution)) + len(self.grid.labels("fiscal_year"))
        return 8 * (self.timeline.extended_months * months + periods * len(self.layout.keys))

    def run(
        self,
        *,
        seed: int,
        first_block: int,
        blocks: int | None,
        resolution: Resolution,
        scenarios: int | None = None,
    ) -> ChunkResult:
        """Run one chunk: ``blocks`` blocks from ``first_block`` (``None``: expected).

        With ``scenarios``, only that many of the blocks' scenarios, from the first, are run
        (the last chunk of a run whose size is not a whole number of blocks).
        """
        draws = Draws(
            self.parameters,
            self.timeline.years,
            seed=seed,
            first_block=first_block,
            blocks=blocks,
            scenarios=scenarios,
        )
        return _Chunk(self, draws, resolution).result()


class _Output:
    """What a chunk records: series kept per period, and per-scenario figures."""

    def __init__(
        self, model: Model, resolution: Resolution, scenarios: int, discount: np.ndarray
    ) -> None:
        self.timeline = model.timeline
        self.position = model.layout.position
        series = len(model.layout.keys)
        self.kept = Accumulator(model.grid, resolution, series, scenarios)
        # The budgets read the fund outflows by fiscal year, whatever the kept resolution.
        self.fiscal = (
            self.kept
            if resolution == "fiscal_year"
            else Accumulator(model.grid, "fiscal_year", series, scenarios)
        )
        self.scalars: dict[str, np.ndarray] = {
            name: np.zeros(scenarios) for name in model.scalar_names
        }
        self.discount = discount

    def put(self, key: SeriesKey, values: np.ndarray, start: int = 0) -> None:
        """Add ``values`` ``(scenarios, w)``, the months ``start … start + w − 1``, to the
        series ``key``."""
        self.put_shares(((key, 1.0),), values, start)

    def put_shares(
        self, shares: tuple[tuple[SeriesKey, float], ...], values: np.ndarray, start: int = 0
    ) -> None:
        """Add ``share × values`` ``(scenarios, w)`` to each series of ``shares``.

        The values are the months ``start … start + w − 1`` (a window: whole periods). They
        are summed into periods, and discounted, once for all the series (one cost spread over
        areas and funds): each then takes its share of the sums.
        """
        periods, kept = self.kept.reduce(values, start)
        fiscal = present = None
        for key, share in shares:
            column = self.position[key]
            self.kept.values[column][:, periods] += kept if share == 1.0 else kept * share
            if self.fiscal is not self.kept and key.flow in FUND_OUTFLOWS:
                if fiscal is None:
                    fiscal = self.fiscal.reduce(values, start)
                years, sums = fiscal
                self.fiscal.values[column][:, years] += sums if share == 1.0 else sums * share
            if key.flow in DISCOUNTED:
                if present is None:
                    present = present_values.present_value(
                        values, self.discount, self.timeline, start
                    )
                self._present_value(key, present if share == 1.0 else present * share)

    def put_balance(self, key: SeriesKey, values: np.ndarray, start: int = 0) -> None:
        """Keep a balance ``(scenarios, w)``, the months ``start … start + w − 1``: each
        period holds its last month's value."""
        self.kept.add_last(self.position[key], values, start)

    def put_at(self, key: SeriesKey, month: int, values: np.ndarray) -> None:
        """Add ``values`` ``(scenarios,)`` to the series ``key`` in ``month``."""
        column, months = self.position[key], np.array([month])
        self.kept.add_at(column, months, values[:, None])
        if self.fiscal is not self.kept and key.flow in FUND_OUTFLOWS:
            self.fiscal.add_at(column, months, values[:, None])
        if key.flow in DISCOUNTED:
            amount = present_values.present_value_at(values, self.discount, month)
            self._present_value(key, amount)

    def put_measure(self, key: SeriesKey, months: np.ndarray, values: np.ndarray) -> None:
        """Add ``values[:, j]`` ``(scenarios, len(months))`` to the measure ``key`` (neither
        an outflow nor discounted) in month ``months[j]``."""
        assert key.flow not in DISCOUNTED, key.flow  # which holds every fund outflow
        self.kept.add_at(self.position[key], months, values)

    def record(self, entries: tuple[Entry, ...], start: int = 0) -> None:
        """Record what a rule returned, in its order; monthly values are the months from
        ``start`` (a window)."""
        for entry in entries:
            if entry.balance:
                self.put_balance(entry.key, entry.values, start)
            elif entry.month is not None:
                self.put_at(entry.key, entry.month, entry.values)
            else:
                self.put(entry.key, entry.values, start)

    def _present_value(self, key: SeriesKey, amount: np.ndarray) -> None:
        for name, against in present_values.targets(key):
            if against:
                self.scalars[name] -= amount
            else:
                self.scalars[name] += amount


class _Chunk:
    """One chunk of scenarios, run rule by rule in the order of DESIGN §4."""

    def __init__(self, model: Model, draws: Draws, resolution: Resolution) -> None:
        self.model = model
        self.draws = draws
        self.timeline = model.timeline
        programme = model.programme
        scenarios = draws.size
        prices = None
        if programme.deflator is not None:
            prices = self.price_index("programme/deflator", programme.deflator)
        discount = present_values.monthly_discount(programme, self.timeline, prices, scenarios)
        self.output = _Output(model, resolution, scenarios, discount)
        self.bounds = Bounds.of(self.timeline, self.output.kept.starts)
        # §4.1–4.3: every draw the gates and rules below read.
        self.base_enrolment = {
            c.id: cohorts.base_enrolment(c, draws, self.timeline) for c in programme.contracts
        }
        self.metric_draws = {
            c.id: [cohorts.metric_draws(c, metric, draws) for metric in c.metrics]
            for c in programme.contracts
        }
        # §4.6: the gates, in month order, each reading outcomes after earlier gates' decisions.
        extended_months, months = self.timeline.extended_months, self.timeline.months
        self.factors = gates.Factors(
            cost={i: np.ones((scenarios, extended_months)) for i in model.gated},
            enrolment={c.id: np.ones((scenarios, months)) for c in programme.contracts},
            stopped_from={c.id: np.full(scenarios, extended_months) for c in programme.contracts},
            steps_in={},
        )
        for gate in sorted(programme.gates, key=lambda g: g.month):
            self.gate(gate)
        # §4.2: costs after the gates; §4.3–4.5: each contract; §4.6: funds and budgets.
        self.costs: dict[str, np.ndarray] = {}
        self.prices: dict[int, np.ndarray] = {}  # shared price paths, by their indexation's id
        for summed, group in model.cost_groups:
            self.initiatives(group, summed)
        for contract in programme.contracts:
            self.contract(contract)
        self.funds()

    def initiative_prices(self, initiative: Initiative) -> np.ndarray:
        """An initiative's price index; a path initiatives share worked out once a chunk."""
        rate = initiative.indexation
        if not self.model.shared_index[initiative.id]:
            return costs.initiative_prices(initiative, self.draws, self.timeline)
        found = self.prices.get(id(rate))
        if found is None:
            found = self.prices[id(rate)] = costs.initiative_prices(
                initiative, self.draws, self.timeline
            )
        return found

    def price_index(self, key: str, rate: Distribution, months: slice = slice(None)) -> np.ndarray:
        """The price index ``(scenarios, extended months)`` of a yearly-capable rate (§4.8.9),
        or over the extended ``months`` asked for."""
        return price_index(self.draws.yearly(key, rate), self.timeline, months)

    def enrolment(self, contract: OutcomeContract) -> np.ndarray:
        """E: enrolment after the gates decided so far."""
        factor = self.factors.enrolment[contract.id]
        return cohorts.enrolment(contract, self.base_enrolment[contract.id], factor, self.draws)

    def gate(self, gate: Gate) -> None:
        """Read the gate's condition, record it, apply its decision from its month on."""
        programme = self.model.programme
        month = self.timeline.grid.index(gate.month)
        condition = gate.condition
        contract: OutcomeContract = programme.find("contracts", condition.contract)
        position = [metric.id for metric in contract.metrics].index(condition.metric)
        drawn = self.metric_draws[contract.id][position]
        metric = contract.metrics[position]
        reached = cohorts.cohort(
            metric, drawn.key, self.enrolment(contract), self.draws, self.timeline
        )
        verified = gates.verified_months(
            month, contract.verification_lag_months, self.timeline.months
        )
        reading = gates.read(gate, reached, drawn.share, verified)
        self.output.scalars[f"gate_met/{gate.id}"] = reading.met.astype(float)
        self.output.scalars[f"gate_measure/{gate.id}"] = reading.measure
        initiatives_of = {c.id: c.initiatives for c in programme.contracts}
        self.factors = gates.decide(gate, month, reading.met, self.factors, initiatives_of)

    def initiatives(self, group: tuple[Initiative, ...], summed: bool) -> None:
        """Record the cost of initiatives that share their series (§4.2, §4.7).

        One initiative a gate acts on, a contract pays for or a delay may push past the
        tracked months is costed alone (a contract reads its cost); the others are summed
        without an array per initiative.
        """
        model, months = self.model, self.timeline.months
        if summed:
            index = self.initiative_prices(group[0])
            summed_cost = costs.summed_cost(group, self.draws, self.timeline, index)
            self.record_cost(model.targets[group[0].id], summed_cost)
            return
        for initiative in group:
            index = self.initiative_prices(initiative)
            base = costs.base_cost(initiative, self.draws, self.timeline, index)
            factor = self.factors.cost.get(initiative.id)
            cost = costs.initiative_cost(base, factor, months)
            if initiative.id in model.paid_by:
                self.costs[initiative.id] = cost.inside
            self.record_cost(model.targets[initiative.id], cost)

    def record_cost(self, targets: InitiativeTargets, cost: costs.InitiativeCost) -> None:
        """Put a cost into its series, each series its share (§4.7, §4.8.12)."""
        last = self.timeline.months - 1
        # Only the months it is spent in, in whole blocks (see .windows): a cost is nothing
        # outside them.
        if (spent := months_used([cost.inside])) is not None:
            window = self.bounds.window(*spent)
            self.output.put_shares(targets.inside, window.of_horizon(cost.inside), window.start)
        for key, share in targets.past_horizon:
            self.output.put_at(key, last, cost.past_horizon * share)

    def contract(self, contract: OutcomeContract) -> None:
        """Outcomes, caps, payment timing and financing of one contract (§4.3–4.5).

        Its arrays span its window: the months anything of it happens in (see
        :mod:`.windows`).
        """
        timeline, output = self.timeline, self.output
        months = timeline.months
        c = contract.id
        lag = contract.verification_lag_months
        enrolled = self.enrolment(contract)
        window = self.window(contract, enrolled)
        start = window.start

        def put(key: SeriesKey, values: np.ndarray) -> None:
            """Add the window's months of the horizon."""
            output.put(key, values, start)

        def folded(values: np.ndarray) -> np.ndarray:
            """The window's months, those past the horizon folded into its last."""
            return fold_into_horizon(values, months, start)

        enrolled = window.of_horizon(enrolled)
        enrolled_by = cohorts.enrolled_by_verification(enrolled, lag, window)
        shape = (self.draws.size, len(contract.metrics), window.width)
        value, count = np.zeros(shape), np.zeros(shape)
        payable_until = None if contract.pay_enrolled_after_stop else self.factors.stopped_from[c]
        for j, metric in enumerate(contract.metrics):
            drawn = self.metric_draws[c][j]
            reached = cohorts.cohort(metric, drawn.key, enrolled, self.draws, timeline, window)
            rate = metric.indexation
            index = self.price_index(f"{drawn.key}/indexation", rate, window.tracked)
            found = cohorts.outcomes(metric, drawn, reached, index, lag, payable_until, start)
            put(
                SeriesKey("outcomes_achieved", contract=c, metric=metric.id),
                folded(found.achieved),
            )
            verified = slice(found.first - start, found.first - start + found.payable.shape[1])
            count[:, j, verified] = found.payable
            value[:, j, verified] = found.value
            put(SeriesKey("earned", contract=c, metric=metric.id), folded(value[:, j]))
        limits = caps.contract_limits(contract)
        capped, capped_count, cut = caps.apply_caps(value, count, enrolled_by, limits)
        for stage, name in enumerate(caps.CAP_STAGES):
            output.scalars[f"cap_cut/{c}/{name}"] = cut[:, stage]
        for j, metric in enumerate(contract.metrics):
            put(SeriesKey("earned_capped", contract=c, metric=metric.id), folded(capped[:, j]))
            key = SeriesKey("outcomes_paid", contract=c, metric=metric.id)
            put(key, folded(capped_count[:, j]))
        timing = self.model.payment_timing[c]
        dues = payments.payer_dues(contract, capped.sum(axis=1), timeline, timing, window)
        for i, payer in enumerate(contract.payers):
            # A series nothing reaches stays 0 (no fiscal-year cap, nothing after settlement).
            if (forfeited := dues.forfeited[i]) is not None:
                put(SeriesKey("cap_forfeited", payer.payer, c, c, fund=payer.fund), forfeited)
            if (unpaid := dues.unpaid[i]) is not None:
                put(SeriesKey("unpaid_after_end", payer.payer, c, c, fund=payer.fund), unpaid)
        # Each fund's share of what was earned after caps, before fiscal-year caps (§4.8.10).
        earned_total = folded(capped.sum(axis=1))
        funds = {f.id: f for f in self.model.programme.funds}
        for payer in contract.payers:
            owner = funds[payer.fund].owner
            put(SeriesKey("fund_earned", owner, "", fund=payer.fund), payer.share * earned_total)
        cost = np.zeros((self.draws.size, window.inside))
        for initiative_id in contract.initiatives:
            owner = self.model.programme.find("initiatives", initiative_id).owner
            spent = window.of_horizon(self.costs[initiative_id])
            put(SeriesKey("delivery_cost", contract.provider, owner, c, initiative_id), spent)
            cost += spent
        self.finance(contract, dues.paid, cost, window)

    def window(self, contract: OutcomeContract, enrolled: np.ndarray) -> Window:
        """The months a contract's arrays span in this chunk: from the first month any of its
        costs, enrolment or advances can fall in, to the last month anything of it is verified
        or paid in, in any of the chunk's scenarios, and at least to its settlement."""
        model, months = self.model, self.timeline.months
        c = contract.id
        timing = model.payment_timing[c]
        first, last = model.first_month[c], timing.settlement
        if (advanced := model.advance_months.get(c)) is not None:
            first, last = min(first, advanced[0]), max(last, advanced[1])
        if (spent := months_used(self.costs[i] for i in contract.initiatives)) is not None:
            first, last = min(first, spent[0]), max(last, spent[1])
        if (enrolling := months_used([enrolled])) is not None:
            first = min(first, enrolling[0])
            for metric, drawn in zip(contract.metrics, self.metric_draws[c], strict=True):
                most = cohorts.most_months_to_outcome(metric, drawn.key, self.draws, months)
                verified = min(enrolling[1] + most, months) + contract.verification_lag_months
                last = max(last, verified, min(int(timing.pay_month[verified]), months - 1))
        return self.bounds.window(max(first, 0), last)

    def finance(
        self, contract: OutcomeContract, gross: np.ndarray, cost: np.ndarray, window: Window
    ) -> None:
        """Run the contract's financing mode (§4.5) on its window's months inside the horizon,
        and record what it returns."""
        financing, grid, start = contract.financing, self.timeline.grid, window.start
        settlement = self.model.payment_timing[contract.id].settlement
        if isinstance(financing, InvestorFinancing):
            flows = investor.finance(
                financing,
                gross,
                cost,
                last=grid.index(contract.last_month),
                settlement=settlement,
                first=self.model.first_month[contract.id],
                start=start,
            )
            self.output.record(investor.entries(contract, financing, flows), start)
            for figure, values in flows.figures.items():
                self.output.scalars[f"investor/{contract.id}/{figure}"] = values
        elif isinstance(financing, AdvanceFinancing):
            schedule = self.model.advance_schedules[contract.id]
            advanced = advances.finance(
                contract, schedule, gross, cost, settlement, self.timeline, start
            )
            self.output.record(advances.entries(contract, financing, advanced), start)
        elif isinstance(financing, Prefinancing):
            if financing.gate is None:
                assert financing.months is not None  # validated: months or a gate
                end, gate_month, steps_in = (
                    grid.index(contract.start) + financing.months,
                    None,
                    None,
                )
            else:
                gate: Gate = self.model.programme.find("gates", financing.gate)
                end, gate_month = None, grid.index(gate.month)
                steps_in = self.factors.steps_in[contract.id]
            prefinanced = prefinancing.finance(
                financing,
                gross,
                cost,
                end=end,
                gate_month=gate_month,
                steps_in=steps_in,
                timeline=self.timeline,
                start=start,
            )
            self.output.record(prefinancing.entries(contract, financing, prefinanced), start)
        else:
            self.output.record(provider.entries(contract, provider.finance(gross, cost)), start)

    def funds(self) -> None:
        """Each fund's outflow, budget and gap per fiscal year (§4.6, §4.8.10)."""
        model, output = self.model, self.output
        keys = model.layout.keys
        last_months = model.grid.last_months("fiscal_year")
        years = self.timeline.horizon_years
        for fund in model.programme.funds:
            mine, weights = budgets.outflow_weights(keys, fund.id)
            by_year = budgets.weighted_sum(output.fiscal.values, mine, weights)
            outflow_key = SeriesKey("fund_outflow", fund.owner, "", fund=fund.id)
            kept_outflow = (
                by_year
                if output.fiscal is output.kept
                else budgets.weighted_sum(output.kept.values, mine, weights)
            )
            output.kept.values[model.layout.position[outflow_key]] = kept_outflow
            budget = SeriesKey("budget", fund.owner, "", fund=fund.id)
            gap = SeriesKey("budget_gap", fund.owner, "", fund=fund.id)
            available, gap_by_year = budgets.year_budgets(fund, years, by_year)
            output.put_measure(budget, last_months, available)
            output.put_measure(gap, last_months, gap_by_year)

    def result(self) -> ChunkResult:
        """The kept series and the per-scenario figures.

        The values are a view of the series-major accumulator: whoever keeps them copies them
        once, into their final place, instead of a contiguous copy made here first.
        """
        return ChunkResult(self.output.kept.values.transpose(1, 2, 0), self.output.scalars)
