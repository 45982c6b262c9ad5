"""Gates: decisions at a month, taken on verified outcomes ("start small, scale at a gate")."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import attrs

from .._errors import Problem
from .checks import (
    Checked,
    as_float,
    at_least,
    first_of_month,
    identifier,
    is_number,
    text,
    vocabulary,
)
from .vocabulary import Action, Comparison, GateMeasure

__all__ = ["Decision", "Gate", "GateCondition"]


@attrs.frozen
class GateCondition(Checked):
    """What a gate tests: a contract's metric, as a verified count or rate, against a target.

    ``count`` counts achieved outcomes verified by the gate month; ``rate`` divides them by the
    verified cohort (0/0 is "not met"). Comparisons allow 1e-9 relative tolerance.

    >>> GateCondition("werkfit", "job", GateMeasure.RATE, target=0.25).comparison
    <Comparison.AT_LEAST: '>='>
    """

    contract: str
    metric: str
    measure: GateMeasure = attrs.field(**vocabulary(GateMeasure))
    target: float = attrs.field(converter=as_float)
    comparison: Comparison = attrs.field(default=Comparison.AT_LEAST, **vocabulary(Comparison))

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("contract", self.contract)
        yield from identifier("metric", self.metric)
        yield from at_least("target", self.target, 0.0)
        target_ok = is_number(self.target) and math.isfinite(self.target)
        if self.measure is GateMeasure.RATE and target_ok and self.target > 1:
            yield Problem("target", "a rate in [0, 1]", self.target)


@attrs.frozen
class Decision(Checked):
    """What a gate does from its month on: continue, scale by ``factor``, stop, or step in.

    >>> Decision(Action.SCALE, 2.0).factor
    2.0
    """

    action: Action = attrs.field(**vocabulary(Action))
    factor: float | None = None

    def _problems(self) -> Iterator[Problem]:
        if self.action is Action.SCALE:
            if self.factor is None:
                yield Problem("factor", "a scale factor > 0 for action 'scale'", None)
            else:
                yield from at_least("factor", self.factor, 0.0, strict=True)
        elif self.factor is not None and isinstance(self.action, Action):
            yield Problem("factor", f"no factor for action {self.action.value!r}", self.factor)


@attrs.frozen
class Gate(Checked):
    """A decision point: at ``month`` the condition is read, then the decision applies.

    A gate acts on exactly one contract (enrolment and cost) or one initiative (cost only).
    A contract's pre-financing gate must decide ``step-in`` if met and ``stop`` if not.

    Attributes:
        id: Unique among the programme's gates.
        month: The gate month (first of a month), often a phase boundary.
        condition: What is tested.
        if_met: The decision when the condition holds.
        if_not_met: The decision when it does not.
        contract: The id of the contract it acts on.
        initiative: The id of the initiative it acts on.
        phase: The id of the phase it belongs to, if any.
        name: A readable name.

    >>> g = Gate("scale-up", dt.date(2024, 1, 1),
    ...          GateCondition("werkfit", "job", GateMeasure.COUNT, 40),
    ...          if_met=Decision(Action.SCALE, 2.0), if_not_met=Decision(Action.STOP),
    ...          contract="werkfit")
    >>> g.if_met.action
    <Action.SCALE: 'scale'>
    """

    id: str
    month: dt.date
    condition: GateCondition
    if_met: Decision
    if_not_met: Decision
    contract: str | None = None
    initiative: str | None = None
    phase: str | None = None
    name: str | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from first_of_month("month", self.month)
        if (self.contract is None) == (self.initiative is None):
            yield Problem(
                "contract",
                "exactly one of contract or initiative (what the gate acts on)",
                (self.contract, self.initiative),
            )
        for name in ("contract", "initiative", "phase"):
            value = getattr(self, name)
            if value is not None:
                yield from identifier(name, value)
        if self.name is not None:
            yield from text("name", self.name)
        if self.initiative is not None:
            for name in ("if_met", "if_not_met"):
                decision: Decision = getattr(self, name)
                if decision.action is Action.STEP_IN:
                    yield Problem(
                        f"{name}.action",
                        "continue, scale or stop (a gate on an initiative cannot step in)",
                        decision.action.value,
                    )
