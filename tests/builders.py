"""Small programmes for hand-computed engine tests, shared by the engine's test modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs
import numpy as np

import programma as pg
from programma import (
    Enrolment,
    EnrolmentWindow,
    Fund,
    OutcomeContract,
    OutcomeMetric,
    PayerShare,
    Programme,
    Stakeholder,
)

D = dt.date

MINIMAL_TOML = """\
format_version = 1
id = "demo"
name = "Demo"
currency = "EUR"
start = 2021-01-01
horizon_years = 5
"""
"""The smallest valid programme file: its header fields, nothing in it."""

COST_SOURCES = (
    "investor_drawdown",
    "advance_used",
    "prefinancing",
    "step_in_funding",
    "receipts_used",
    "provider_own_funds",
)
"""What meets a contract's monthly delivery cost (DESIGN §4 invariant 1, §4.8.11)."""


def base_programme(**changes: object) -> Programme:
    """A three-year programme from January 2021: payers, a provider, financiers and two funds."""
    programme = Programme(
        "hand",
        "Hand-computed",
        "EUR",
        D(2021, 1, 1),
        3,
        stakeholders=[
            Stakeholder("city", "City", "municipality"),
            Stakeholder("prov", "Provider", "provider"),
            Stakeholder("other", "Other payer", "funder"),
            Stakeholder("inv", "Investor", "investor"),
            Stakeholder("guar", "Guarantor", "funder"),
            Stakeholder("partner", "Partner", "external-partner"),
        ],
        funds=[
            Fund("budget", "Budget", "municipal-budget", "city"),
            Fund("topup", "Top-up", "national-grant", "other"),
        ],
    )
    return attrs.evolve(programme, **changes)


def contract(**changes: object) -> OutcomeContract:
    """10 participants a month for 6 months; share 0.4, baseline 0.1; outcome 6 months later."""
    base = OutcomeContract(
        "c",
        "Contract",
        "prov",
        D(2021, 1, 1),
        end=D(2022, 12, 1),
        enrolment=Enrolment([EnrolmentWindow(D(2021, 1, 1), 6, per_month=10)]),
        metrics=[
            OutcomeMetric(
                "job", "A job", price=1000, share_achieving=0.4, baseline=0.1, time_to_outcome=6
            )
        ],
        payers=[PayerShare("city", "budget", 1.0)],
        verification_lag_months=3,
        payment_schedule="quarterly",
    )
    return attrs.evolve(base, **changes)


def series(projection: pg.Projection, **criteria: str) -> np.ndarray:
    """The monthly total of the matching series in the one (expected) scenario."""
    return projection.total(**criteria)[0]


def at(months: Sequence[int], values: Sequence[float], length: int = 36) -> np.ndarray:
    """A monthly array with ``values`` in ``months`` and zeros elsewhere."""
    out = np.zeros(length)
    out[list(months)] = values
    return out
