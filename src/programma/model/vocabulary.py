"""The programme's vocabulary: every closed set of choices, as string enumerations.

Values are written in files exactly as the enumeration's values (lower case, hyphenated).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Action",
    "CapExcess",
    "Comparison",
    "CostProfile",
    "ExperienceKind",
    "FinancingMode",
    "FundKind",
    "GateMeasure",
    "InterestScale",
    "PhaseKind",
    "Role",
    "Schedule",
    "StakeholderKind",
    "UnearnedAdvance",
]


class PhaseKind(StrEnum):
    """What a phase is for."""

    EXPLORATION = "exploration"
    CONCRETISATION = "concretisation"
    PILOT = "pilot"
    IMPLEMENTATION = "implementation"
    SCALE_UP = "scale-up"
    EMBEDDING = "embedding"


class StakeholderKind(StrEnum):
    """What kind of party a stakeholder is."""

    MUNICIPALITY = "municipality"
    PROVIDER = "provider"
    RESIDENT = "resident"
    LIVED_EXPERIENCE_EXPERT = "lived-experience-expert"
    INVESTOR = "investor"
    EXTERNAL_PARTNER = "external-partner"
    FUNDER = "funder"
    PROCUREMENT = "procurement"
    LEGAL = "legal"
    OTHER_MUNICIPALITY = "other-municipality"
    OTHER = "other"


class InterestScale(StrEnum):
    """The scale an interest works at."""

    NEIGHBOURHOOD = "neighbourhood"
    PROGRAMME_AREA = "programme-area"
    SYSTEM = "system"


class Role(StrEnum):
    """The role a stakeholder plays in a phase."""

    INFORMED = "informed"
    CONSULTED = "consulted"
    CO_OWNER = "co-owner"
    ENABLER = "enabler"
    CRITICAL_FRIEND = "critical-friend"
    RISK_COVERER = "risk-coverer"
    LIVED_EXPERIENCE_EXPERT = "lived-experience-expert"


class ExperienceKind(StrEnum):
    """What a lived-experience expert has experience of."""

    GENERAL = "general"
    """Experience of the situation in general (e.g. of living in poverty)."""
    SPECIFIC = "specific"
    """Experience of a specific process or provider (matters most when plans become concrete)."""


class FundKind(StrEnum):
    """Where a fund's money comes from."""

    MUNICIPAL_BUDGET = "municipal-budget"
    DONATIONS = "donations"
    PILOT = "pilot"
    RESULTS = "results"
    IMPACT_INVESTMENT = "impact-investment"
    NATIONAL_GRANT = "national-grant"
    OTHER = "other"


class CostProfile(StrEnum):
    """How an initiative's commitment is spread over its months."""

    FLAT = "flat"
    FRONT_LOADED = "front-loaded"
    S_CURVE = "s-curve"
    EXPLICIT = "explicit"


class Schedule(StrEnum):
    """When a contract pays what was verified."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    """The last month of each calendar quarter."""
    YEARLY = "yearly"
    """The last month of each fiscal year."""
    RRULE = "rrule"
    """The months of an RFC 5545 recurrence rule (``payment_rrule``)."""


class CapExcess(StrEnum):
    """What happens to an amount above a payer's fiscal-year cap."""

    FORFEIT = "forfeit"
    CARRY = "carry"


class UnearnedAdvance(StrEnum):
    """What happens at the contract's end to an advance not earned by outcomes."""

    REFUND = "refund"
    FORGIVE = "forgive"


class FinancingMode(StrEnum):
    """Who carries a contract's delivery cost before outcomes are paid."""

    PROVIDER = "provider"
    INVESTOR = "investor"
    ADVANCES = "advances"
    PREFINANCING = "prefinancing"


class GateMeasure(StrEnum):
    """What a gate's condition measures."""

    COUNT = "count"
    """Achieved outcomes verified by the gate month."""
    RATE = "rate"
    """Verified achieved outcomes over the verified cohort."""


class Comparison(StrEnum):
    """How a gate compares its measure with the target."""

    AT_LEAST = ">="
    MORE_THAN = ">"
    AT_MOST = "<="
    LESS_THAN = "<"


class Action(StrEnum):
    """What a gate decides."""

    CONTINUE = "continue"
    SCALE = "scale"
    STOP = "stop"
    STEP_IN = "step-in"
