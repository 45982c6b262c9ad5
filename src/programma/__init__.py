"""programma: model long-horizon public programmes and project their results-based funding.

The public API is re-exported here; everything else is private.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._analysis import Amounts, Coverage
from ._areas import Area
from ._atomic import OutputPathError
from ._contracts import Enrolment, EnrolmentWindow, OutcomeContract, PayerShare
from ._distributions import (
    Beta,
    Discrete,
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Poisson,
    Ref,
    Samples,
    Scalar,
    Triangular,
    Uniform,
    Yearly,
    mean_of,
    support_of,
)
from ._errors import FormatVersionError, ParseError, Problem, ProgrammaError, ValidationError
from ._files import FORMAT_VERSION, MAX_INPUT_BYTES, dump, dumps, load, loads
from ._financing import (
    Advance,
    AdvanceFinancing,
    AdvanceWindow,
    Financing,
    InvestorFinancing,
    Prefinancing,
    ProviderFinancing,
)
from ._funds import Fund
from ._gates import Decision, Gate, GateCondition
from ._initiatives import FundShare, Initiative
from ._metrics import OutcomeMetric
from ._phases import Phase
from ._programme import DISCOUNT_PRESETS, Parameter, Programme
from ._project import (
    DEFAULT_MAX_MEMORY,
    MEMORY_SHARE,
    MemoryBudgetError,
    ProjectionError,
    default_max_memory,
    project,
)
from ._projection import Projection
from ._review import LESSONS, RULES, Finding, Review, ReviewConfig, Rule, Severity, review
from ._sampling import BLOCK_SIZE
from ._schema import schema
from ._series import FLOWS, MEASURES, SIGNED, STOCKS, SeriesKey
from ._stakeholders import Engagement, Interest, Stakeholder
from ._summary import ContractFigures, FundYear, InvestorFigures, Spread, Summary
from ._variants import VariantProjections, project_variants
from ._vocabulary import (
    Action,
    CapExcess,
    Comparison,
    CostProfile,
    ExperienceKind,
    FinancingMode,
    FundKind,
    GateMeasure,
    InterestScale,
    PhaseKind,
    Role,
    Schedule,
    StakeholderKind,
    UnearnedAdvance,
)

try:
    __version__ = version("programma")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    # the programme and its entities
    "Advance",
    "AdvanceFinancing",
    "AdvanceWindow",
    "Area",
    "Decision",
    "Engagement",
    "Enrolment",
    "EnrolmentWindow",
    "Financing",
    "Fund",
    "FundShare",
    "Gate",
    "GateCondition",
    "Initiative",
    "Interest",
    "InvestorFinancing",
    "OutcomeContract",
    "OutcomeMetric",
    "Parameter",
    "PayerShare",
    "Phase",
    "Prefinancing",
    "Programme",
    "ProviderFinancing",
    "Stakeholder",
    # vocabulary
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
    "DISCOUNT_PRESETS",
    # distributions
    "Beta",
    "Discrete",
    "Distribution",
    "Fixed",
    "LogNormal",
    "Normal",
    "Pert",
    "Poisson",
    "Ref",
    "Samples",
    "Scalar",
    "Triangular",
    "Uniform",
    "Yearly",
    "mean_of",
    "support_of",
    # projecting
    "BLOCK_SIZE",
    "DEFAULT_MAX_MEMORY",
    "FLOWS",
    "MEMORY_SHARE",
    "MEASURES",
    "SIGNED",
    "STOCKS",
    "ContractFigures",
    "FundYear",
    "InvestorFigures",
    "Projection",
    "SeriesKey",
    "Spread",
    "Summary",
    "default_max_memory",
    "project",
    "project_variants",
    "VariantProjections",
    # design review
    "LESSONS",
    "RULES",
    "Amounts",
    "Coverage",
    "Finding",
    "Review",
    "ReviewConfig",
    "Rule",
    "Severity",
    "review",
    # files
    "FORMAT_VERSION",
    "MAX_INPUT_BYTES",
    "dump",
    "dumps",
    "load",
    "loads",
    "schema",
    # errors
    "FormatVersionError",
    "MemoryBudgetError",
    "OutputPathError",
    "ParseError",
    "Problem",
    "ProgrammaError",
    "ProjectionError",
    "ValidationError",
    "__version__",
]
