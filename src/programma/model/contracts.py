"""Outcome contracts: who pays whom for which outcomes, when, and under which caps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs

from .._errors import Problem, described
from .checks import (
    Checked,
    YearAmounts,
    add_months,
    as_float,
    as_tuple,
    between,
    first_of_month,
    identifier,
    identifiers,
    months_count,
    optional_at_least,
    per_month_or_total,
    text,
    to_year_amounts,
    vocabulary,
    year_amounts,
)
from .distributions import Distribution, to_distribution
from .domains import NON_NEGATIVE, bounded
from .financing import AdvanceFinancing, Financing, ProviderFinancing
from .metrics import OutcomeMetric
from .recurrence import rrule_problems
from .vocabulary import CapExcess, Schedule

__all__ = ["Enrolment", "EnrolmentWindow", "OutcomeContract", "PayerShare", "rrule_problems"]


class _Period:
    """A contract's months as messages show them, written out only when a message is made."""

    __slots__ = ("first", "last")

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first, self.last = first, last

    def __format__(self, spec: str) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


@attrs.frozen
class EnrolmentWindow(Checked):
    """Participants enrolled over ``months`` months from ``start``.

    Give either ``per_month`` (participants each month) or ``total`` (spread evenly).

    >>> EnrolmentWindow(dt.date(2023, 1, 1), 10, total=160).end
    datetime.date(2023, 10, 1)
    """

    start: dt.date
    months: int
    per_month: Distribution | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(to_distribution),
        metadata=bounded(NON_NEGATIVE),
    )
    total: Distribution | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(to_distribution),
        metadata=bounded(NON_NEGATIVE),
    )

    @property
    def end(self) -> dt.date:
        """The window's last month."""
        return add_months(self.start, self.months - 1)

    def _problems(self) -> Iterator[Problem]:
        yield from first_of_month("start", self.start)
        yield from months_count("months", self.months)
        yield from per_month_or_total(self.per_month, self.total)


@attrs.frozen
class Enrolment(Checked):
    """How participants enter a contract: windows, optionally with Poisson noise per month.

    >>> Enrolment([EnrolmentWindow(dt.date(2023, 1, 1), 6, per_month=10)]).poisson
    False
    """

    windows: tuple[EnrolmentWindow, ...] = attrs.field(converter=as_tuple)
    poisson: bool = False

    def _problems(self) -> Iterator[Problem]:
        if not self.windows:
            yield Problem("windows", "at least one enrolment window", [])


@attrs.frozen
class PayerShare(Checked):
    """A payer's share of a contract's outcome payments, the fund it pays from, and its caps.

    Attributes:
        payer: The id of the paying stakeholder.
        fund: The id of the fund it pays from.
        share: Its share of every payment, in (0, 1]; a contract's shares sum to 1.
        fiscal_year_caps: The most it pays in a fiscal year; a year not listed is uncapped
            (unless ``fiscal_year_cap`` is given).
        cap_excess: What happens to an amount above the cap: forfeit, or carry to the next
            payment month in the next fiscal year.
        fiscal_year_cap: The most it pays in every fiscal year not listed in
            ``fiscal_year_caps``.

    >>> PayerShare("gemeente", "resultatenfonds", 1.0, {2024: 100_000}).fiscal_year_caps
    ((2024, 100000.0),)
    >>> every_year = PayerShare("gemeente", "resultatenfonds", 1.0, {2024: 50_000},
    ...                         fiscal_year_cap=100_000)
    >>> every_year.cap_in(2023), every_year.cap_in(2024)
    (100000.0, 50000.0)
    """

    payer: str
    fund: str
    share: float = attrs.field(converter=as_float)
    fiscal_year_caps: YearAmounts = attrs.field(default=(), converter=to_year_amounts)
    cap_excess: CapExcess = attrs.field(default=CapExcess.FORFEIT, **vocabulary(CapExcess))
    fiscal_year_cap: float | None = attrs.field(
        default=None, converter=attrs.converters.optional(as_float)
    )

    def cap_in(self, year: int) -> float | None:
        """The most it pays in fiscal year ``year``; ``None`` when that year is uncapped.

        A year listed in ``fiscal_year_caps`` has its own cap; every other year has
        ``fiscal_year_cap``, when it is given.
        """
        return dict(self.fiscal_year_caps).get(year, self.fiscal_year_cap)

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("payer", self.payer)
        yield from identifier("fund", self.fund)
        yield from between("share", self.share, 0.0, 1.0)
        if self.share == 0.0:
            yield Problem("share", "a share > 0 (leave the payer out instead)", self.share)
        yield from year_amounts("fiscal_year_caps", self.fiscal_year_caps)
        yield from optional_at_least("fiscal_year_cap", self.fiscal_year_cap, 0.0)


@attrs.frozen
class OutcomeContract(Checked):
    """An outcome contract: payers pay a provider per verified outcome, by a rate card.

    Attributes:
        id: Unique among the programme's contracts.
        name: The contract's name.
        provider: The id of the providing stakeholder.
        start: The first month of the contract.
        end: The last month (inclusive); give ``end`` or ``duration_months``.
        duration_months: The contract's length in months.
        enrolment: How participants are enrolled.
        metrics: The outcomes paid for.
        payers: Who pays, from which fund, by which share.
        initiatives: The ids of the initiatives whose cost this contract's financing carries.
        payment_schedule: When verified outcomes are paid.
        payment_rrule: The RFC 5545 RRULE when ``payment_schedule`` is ``rrule``.
        verification_lag_months: Months from an outcome to its verification.
        run_off_months: Months after ``end`` in which outcomes are still paid.
        cap_per_participant: The most paid per enrolled participant, over all metrics (pooled).
        cap: The most paid under the contract.
        financing: How the delivery cost is carried (provider by default).
        pay_enrolled_after_stop: Whether cohorts enrolled before a stop stay payable.
        interests: The ids of the interests served.
        areas: The ids of the areas it works in.
        description: What it is.

    >>> window = EnrolmentWindow(dt.date(2022, 1, 1), 12, total=160)
    >>> c = OutcomeContract("werkfit", "Werkfit", "provider-a", dt.date(2022, 1, 1),
    ...                     duration_months=36, enrolment=Enrolment([window]),
    ...                     metrics=[OutcomeMetric("job", "Work", 8_000, 0.4)],
    ...                     payers=[PayerShare("gemeente", "resultatenfonds", 1.0)])
    >>> c.last_month
    datetime.date(2024, 12, 1)
    """

    id: str
    name: str
    provider: str
    start: dt.date
    enrolment: Enrolment
    metrics: tuple[OutcomeMetric, ...] = attrs.field(converter=as_tuple)
    payers: tuple[PayerShare, ...] = attrs.field(converter=as_tuple)
    end: dt.date | None = None
    duration_months: int | None = None
    initiatives: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    payment_schedule: Schedule = attrs.field(default=Schedule.QUARTERLY, **vocabulary(Schedule))
    payment_rrule: str | None = None
    verification_lag_months: int = 0
    run_off_months: int = 0
    cap_per_participant: float | None = attrs.field(
        default=None, converter=attrs.converters.optional(as_float)
    )
    cap: float | None = attrs.field(default=None, converter=attrs.converters.optional(as_float))
    financing: Financing = attrs.field(factory=ProviderFinancing)
    pay_enrolled_after_stop: bool = True
    interests: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    areas: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    description: str | None = None

    @property
    def last_month(self) -> dt.date:
        """The contract's last month (inclusive), from ``end`` or ``duration_months``."""
        if self.end is not None:
            return self.end
        assert self.duration_months is not None  # validated
        return add_months(self.start, self.duration_months - 1)

    @property
    def settlement_month(self) -> dt.date:
        """The last month in which anything is paid: ``last_month`` + ``run_off_months``."""
        return add_months(self.last_month, self.run_off_months)

    def metric(self, metric_id: str) -> OutcomeMetric:
        """The metric with id ``metric_id``.

        Raises:
            KeyError: There is no such metric.
        """
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        raise KeyError(f"contract {self.id!r} has no metric {metric_id!r}")

    def _problems(self) -> Iterator[Problem]:
        # Gathered in a list rather than yielded one by one: a file may hold 100,000 contracts.
        found = [
            *identifier("id", self.id),
            *text("name", self.name),
            *identifier("provider", self.provider),
        ]
        start_problems = first_of_month("start", self.start)
        found += start_problems
        period_problems = list(self._period_problems(ok=not start_problems))
        found += period_problems
        if not self.metrics:
            found.append(Problem("metrics", "at least one outcome metric", []))
        ids = [metric.id for metric in self.metrics]
        for index, metric_id in enumerate(ids):
            if metric_id in ids[:index]:
                found.append(
                    Problem(f"metrics[{index}].id", "an id unique within the contract", metric_id)
                )
        if not self.payers:
            found.append(Problem("payers", "at least one payer", []))
        found += identifiers("initiatives", self.initiatives)
        run_off = months_count("run_off_months", self.run_off_months, 0)
        timed = not (start_problems or period_problems or run_off)
        found += self._schedule_problems(timed=timed)
        found += months_count("verification_lag_months", self.verification_lag_months, 0)
        found += run_off
        found += optional_at_least("cap_per_participant", self.cap_per_participant, 0.0)
        found += optional_at_least("cap", self.cap, 0.0)
        found += identifiers("interests", self.interests)
        found += identifiers("areas", self.areas)
        if self.description is not None:
            found += text("description", self.description)
        return iter(found)

    def _period_problems(self, *, ok: bool) -> Iterator[Problem]:
        if (self.end is None) == (self.duration_months is None):
            yield Problem(
                "end",
                "exactly one of end or duration_months",
                described("both" if self.end is not None else "neither"),
            )
            return
        if self.end is not None:
            end_problems = list(first_of_month("end", self.end))
            yield from end_problems
            if end_problems:
                return
            if ok and self.end < self.start:
                yield Problem(
                    "end",
                    f"a month on or after start ({self.start.isoformat()})",
                    described(self.end.isoformat()),
                )
                return
        else:
            duration = list(months_count("duration_months", self.duration_months))  # type: ignore[arg-type]
            yield from duration
            if duration:
                return
        if not ok:
            return
        last = self.last_month
        period = _Period(self.start, last)
        for index, window in enumerate(self.enrolment.windows):
            if window.problems_of_own_fields():
                continue  # the window reports them itself
            if window.start < self.start or window.end > last:
                yield Problem(
                    f"enrolment.windows[{index}]",
                    f"a window inside the contract ({period})",
                    described(f"{window.start.isoformat()} for {window.months} months"),
                )
        if isinstance(self.financing, AdvanceFinancing):
            for index, advance in enumerate(self.financing.advances):
                if advance.problems_of_own_fields():
                    continue
                if not self.start <= advance.month <= last:
                    yield Problem(
                        f"financing.advances[{index}].month",
                        f"a month inside the contract ({period})",
                        described(advance.month.isoformat()),
                    )
            for index, advance_window in enumerate(self.financing.windows):
                if advance_window.problems_of_own_fields():
                    continue
                if advance_window.start < self.start or advance_window.end > last:
                    yield Problem(
                        f"financing.windows[{index}]",
                        f"a window inside the contract ({period})",
                        described(
                            f"{advance_window.start.isoformat()} for {advance_window.months} months"
                        ),
                    )

    def _schedule_problems(self, *, timed: bool) -> Iterator[Problem]:
        if self.payment_schedule is not Schedule.RRULE and self.payment_rrule is None:
            return iter(())  # the common case, without a generator
        return self._rrule_problems(timed=timed)

    def _rrule_problems(self, *, timed: bool) -> Iterator[Problem]:
        if self.payment_schedule is not Schedule.RRULE:
            if self.payment_rrule is not None:
                yield Problem(
                    "payment_rrule",
                    "no rule unless payment_schedule is 'rrule'",
                    self.payment_rrule,
                )
            return
        if self.payment_rrule is None:
            yield Problem("payment_rrule", "an RRULE when payment_schedule is 'rrule'", None)
            return
        # the rule starts with the contract and must pay at least once before settlement
        window = (self.start, add_months(self.settlement_month, 1)) if timed else (None, None)
        yield from rrule_problems("payment_rrule", self.payment_rrule, *window)
