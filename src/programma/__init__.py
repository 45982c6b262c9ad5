"""programma: model long-horizon public programmes and project their results-based funding.

The public API is re-exported here; everything else is private.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._atomic import OutputPathError
from ._errors import FormatVersionError, ParseError, Problem, ProgrammaError, ValidationError
from .analysis.compare import PROGRAMME_WIDE, DesignComparison, Difference, compare
from .analysis.coverage import Amounts, Coverage
from .analysis.exposure import ContractExposure, Exposure
from .analysis.outputs import (
    AreaTotal,
    CostPerOutcome,
    FundPeak,
    FundTotal,
    InvestorIRR,
    Output,
    PayerNPV,
    parse_output,
)
from .analysis.projection import Projection, project
from .analysis.review import LESSONS, RULES, Finding, Review, ReviewConfig, Rule, Severity, review
from .analysis.sensitivity import (
    GlobalRow,
    GlobalSensitivity,
    OneWayRow,
    OneWaySensitivity,
    global_sensitivity,
    one_way_sensitivity,
)
from .analysis.summary import ContractFigures, FundYear, InvestorFigures, Spread, Summary
from .analysis.value import ValueForMoney, ValueRow, value_for_money
from .analysis.variants import VariantProjections, project_variants
from .engine.inputs import ParameterDraws, UncertainParameter, parameter_draws, uncertain_parameters
from .engine.project import (
    DEFAULT_MAX_MEMORY,
    MEMORY_SHARE,
    MemoryBudgetError,
    ProjectionError,
    default_max_memory,
)
from .engine.series import FLOWS, MEASURES, SIGNED, STOCKS, SeriesKey
from .files.programme_files import FORMAT_VERSION, MAX_INPUT_BYTES, dump, dumps, load, loads
from .files.schema import schema
from .model.areas import Area
from .model.contracts import Enrolment, EnrolmentWindow, OutcomeContract, PayerShare
from .model.distributions import (
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
)
from .model.financing import (
    Advance,
    AdvanceFinancing,
    AdvanceWindow,
    Financing,
    InvestorFinancing,
    Prefinancing,
    ProviderFinancing,
)
from .model.funds import Fund
from .model.gates import Decision, Gate, GateCondition
from .model.initiatives import FundShare, Initiative
from .model.metrics import OutcomeMetric
from .model.moments import mean_of, support_of
from .model.phases import Phase
from .model.programme import DISCOUNT_PRESETS, Parameter, Programme
from .model.stakeholders import Engagement, Interest, Stakeholder
from .model.vocabulary import (
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
from .report.compare import comparison_report
from .report.value import value_report
from .uncertainty.cdf import quantile
from .uncertainty.sampling import BLOCK_SIZE

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
    "quantile",
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
    # comparing two designs
    "PROGRAMME_WIDE",
    "DesignComparison",
    "Difference",
    "compare",
    "comparison_report",
    # value for money
    "ContractExposure",
    "Exposure",
    "ValueForMoney",
    "ValueRow",
    "value_for_money",
    "value_report",
    # sensitivity analysis
    "AreaTotal",
    "CostPerOutcome",
    "FundPeak",
    "FundTotal",
    "GlobalRow",
    "GlobalSensitivity",
    "InvestorIRR",
    "OneWayRow",
    "OneWaySensitivity",
    "Output",
    "ParameterDraws",
    "PayerNPV",
    "UncertainParameter",
    "global_sensitivity",
    "one_way_sensitivity",
    "parameter_draws",
    "parse_output",
    "uncertain_parameters",
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
