"""Each entity's own rules: every field it validates, with the message that names it."""

# The house style puts the expected value first in asserts.

from __future__ import annotations

import datetime as dt
import math

import attrs
import pytest

from programma import (
    DISCOUNT_PRESETS,
    Action,
    Advance,
    AdvanceFinancing,
    Area,
    CostProfile,
    Decision,
    Engagement,
    Enrolment,
    EnrolmentWindow,
    ExperienceKind,
    Fund,
    FundKind,
    FundShare,
    Gate,
    GateCondition,
    GateMeasure,
    Initiative,
    Interest,
    InterestScale,
    InvestorFinancing,
    Normal,
    OutcomeContract,
    OutcomeMetric,
    Parameter,
    PayerShare,
    Phase,
    PhaseKind,
    Prefinancing,
    Programme,
    Ref,
    Role,
    Schedule,
    Stakeholder,
    StakeholderKind,
    Uniform,
    ValidationError,
    Yearly,
)

ID_EXPECTED = "an id of 1-100 letters, digits, '_', '-' or '.' (not starting with '-' or '.')"
START = dt.date(2021, 1, 1)


# -- valid fixtures --------------------------------------------------------------------------------


def area() -> Area:
    return Area("oost", "Leeuwarden Oost", code="WK008001", population=36_000)


def phase() -> Phase:
    return Phase("pilot", "Pilot", PhaseKind.PILOT, START, dt.date(2021, 12, 1))


def stakeholder() -> Stakeholder:
    return Stakeholder("gemeente", "Gemeente", StakeholderKind.MUNICIPALITY, description="Payer")


def interest() -> Interest:
    return Interest(
        "work", "gemeente", "More residents in work", InterestScale.NEIGHBOURHOOD, areas=("oost",)
    )


def engagement() -> Engagement:
    return Engagement(
        "voice",
        "bewoners",
        "pilot",
        Role.LIVED_EXPERIENCE_EXPERT,
        reason="Their experience",
        question="What blocks a first job?",
        concrete_role="Sits on the board",
        experience=ExperienceKind.SPECIFIC,
        experience_subject="The job centre",
    )


def fund() -> Fund:
    return Fund("results", "Results fund", FundKind.RESULTS, "gemeente", {2021: 100_000})


def fund_share() -> FundShare:
    return FundShare("results", 1.0)


def initiative() -> Initiative:
    return Initiative(
        "coaching",
        "Coaching",
        "provider",
        120_000,
        START,
        12,
        funds=[fund_share()],
        areas=("oost",),
        interests=("work",),
        description="Job coaching",
    )


def explicit_initiative() -> Initiative:
    return attrs.evolve(
        initiative(),
        duration_months=4,
        cost_profile=CostProfile.EXPLICIT,
        cost_weights=(0.4, 0.3, 0.2, 0.1),
    )


def metric() -> OutcomeMetric:
    return OutcomeMetric(
        "job",
        "Paid work for six months",
        price=8_000,
        share_achieving=0.4,
        baseline=0.1,
        time_to_outcome=12,
        value_per_outcome=20_000,
        name="Job",
    )


def window() -> EnrolmentWindow:
    return EnrolmentWindow(START, 6, per_month=10)


def payer_share() -> PayerShare:
    return PayerShare("gemeente", "results", 1.0, {2022: 50_000})


def contract() -> OutcomeContract:
    return OutcomeContract(
        "werkfit",
        "Werkfit",
        "provider",
        START,
        Enrolment([window()]),
        [metric()],
        [payer_share()],
        duration_months=24,
        initiatives=("coaching",),
        interests=("work",),
        areas=("oost",),
        description="Results-based job coaching",
    )


def contract_with_end() -> OutcomeContract:
    return attrs.evolve(contract(), duration_months=None, end=dt.date(2022, 12, 1))


def investor() -> InvestorFinancing:
    return InvestorFinancing(
        "impactfonds", 100_000, return_cap=0.08, capital_protection=0.5, guarantor="provincie"
    )


def advance() -> Advance:
    return Advance(dt.date(2021, 3, 1), 50_000)


def prefinancing() -> Prefinancing:
    return Prefinancing("fonds-x", months=6)


def gated_prefinancing() -> Prefinancing:
    return Prefinancing(
        "fonds-x",
        gate="step-in",
        partner_fund="pilotfonds",
        step_in_payer="gemeente",
        step_in_fund="results",
        repay_share=0.5,
    )


def condition() -> GateCondition:
    return GateCondition("werkfit", "job", GateMeasure.RATE, target=0.25)


def count_condition() -> GateCondition:
    return GateCondition("werkfit", "job", GateMeasure.COUNT, target=40)


def gate() -> Gate:
    return Gate(
        "scale-up",
        dt.date(2022, 1, 1),
        condition(),
        if_met=Decision(Action.SCALE, 2.0),
        if_not_met=Decision(Action.STOP),
        contract="werkfit",
        phase="pilot",
        name="Scale up",
    )


def initiative_gate() -> Gate:
    return attrs.evolve(gate(), contract=None, initiative="coaching")


def parameter() -> Parameter:
    return Parameter("shock", Normal(1.0, 0.1, low=0.5, high=1.5), description="A recession")


def programme() -> Programme:
    return Programme(
        "demo",
        "Demo",
        "EUR",
        START,
        5,
        price_base_date=START,
        shared_interest="Break the cycle",
        description="A demonstration",
    )


FIXTURES = [
    area,
    phase,
    stakeholder,
    interest,
    engagement,
    fund,
    fund_share,
    initiative,
    explicit_initiative,
    metric,
    window,
    payer_share,
    contract,
    contract_with_end,
    investor,
    advance,
    prefinancing,
    gated_prefinancing,
    condition,
    count_condition,
    gate,
    initiative_gate,
    parameter,
    programme,
]


def rejected(build, **changes) -> ValidationError:
    """The error raised when the fixture ``build()`` is changed by ``changes``."""
    with pytest.raises(ValidationError) as exc:
        attrs.evolve(build(), **changes)
    return exc.value


def problem_at(error: ValidationError, path: str):
    """The one problem of ``error`` at ``path``."""
    matching = [problem for problem in error.problems if problem.path == path]
    assert 1 == len(matching), f"problems at {path!r}: {error.paths}"
    return matching[0]


def name(build) -> str:
    return build.__name__


def cases(rows):
    """Parametrize rows that start with (fixture, field), named ``fixture.field``."""
    return [pytest.param(*row, id=f"{row[0].__name__}.{row[1]}") for row in rows]


class TestFixtures:
    """The fixtures these tests vary are valid."""

    @pytest.mark.parametrize("build", FIXTURES, ids=name)
    def test_valid(self, build):
        """Each fixture builds without a problem."""
        build()

    def test_error_lists_one_problem_per_line(self):
        """The message counts the problems and gives each its own line."""
        error = rejected(area, id="-x", name=" ")
        assert ("id", "name") == error.paths
        assert (
            f"2 problems:\n  id: expected {ID_EXPECTED}, got '-x'\n"
            "  name: expected a non-empty text, got ' '"
        ) == str(error)


# -- ids and texts ---------------------------------------------------------------------------------

ID_FIELDS = [
    (area, "id"),
    (phase, "id"),
    (stakeholder, "id"),
    (interest, "id"),
    (interest, "stakeholder"),
    (engagement, "id"),
    (engagement, "stakeholder"),
    (engagement, "phase"),
    (fund, "id"),
    (fund, "owner"),
    (fund_share, "fund"),
    (initiative, "id"),
    (initiative, "owner"),
    (metric, "id"),
    (payer_share, "payer"),
    (payer_share, "fund"),
    (contract, "id"),
    (contract, "provider"),
    (investor, "investor"),
    (investor, "guarantor"),
    (prefinancing, "partner"),
    (gated_prefinancing, "gate"),
    (gated_prefinancing, "partner_fund"),
    (gated_prefinancing, "step_in_payer"),
    (gated_prefinancing, "step_in_fund"),
    (condition, "contract"),
    (condition, "metric"),
    (gate, "id"),
    (gate, "contract"),
    (gate, "phase"),
    (initiative_gate, "initiative"),
    (parameter, "id"),
    (programme, "id"),
]
ID_LIST_FIELDS = [
    (interest, "areas"),
    (initiative, "areas"),
    (initiative, "interests"),
    (contract, "initiatives"),
    (contract, "interests"),
    (contract, "areas"),
]
BAD_IDS = ["", "-dash", ".dot", "has space", "ümlaut", "x" * 101, 5]
GOOD_IDS = ["a", "_x", "A-1.b_c", "9", "x" * 100]


VOCABULARY_FIELDS = cases(
    [
        (stakeholder, "kind"),
        (phase, "kind"),
        (interest, "scale"),
        (engagement, "role"),
        (fund, "kind"),
        (initiative, "cost_profile"),
        (contract, "payment_schedule"),
        (payer_share, "cap_excess"),
        (condition, "measure"),
        (condition, "comparison"),
    ]
)


class TestVocabulary:
    """A field with a fixed vocabulary takes its values and reports anything else by path."""

    @pytest.mark.parametrize(("build", "field"), VOCABULARY_FIELDS)
    @pytest.mark.parametrize("bad", ["nonsense", "", 3, None])
    def test_unknown_value(self, build, field, bad):
        """The problem names the field, every allowed value and what was given."""
        vocabulary = type(getattr(build(), field))
        problem = problem_at(rejected(build, **{field: bad}), field)
        allowed = ", ".join(repr(member.value) for member in vocabulary)
        assert f"one of {allowed}" == problem.expected
        assert bad == problem.given

    @pytest.mark.parametrize(("build", "field"), VOCABULARY_FIELDS)
    def test_values_convert(self, build, field):
        """Every value of the vocabulary, given as text, becomes its member."""
        vocabulary = type(getattr(build(), field))
        for member in vocabulary:
            try:
                built = attrs.evolve(build(), **{field: member.value})
            except ValidationError:  # another rule of the fixture refuses this member
                continue
            assert getattr(built, field) is member

    def test_reported_with_other_problems(self):
        """A wrong action is one problem among the others, all at once."""
        with pytest.raises(ValidationError) as exc:
            Decision("grow", factor=-1.0)
        assert ("action",) == exc.value.paths
        with pytest.raises(ValidationError) as exc:
            PayerShare("gemeente", "budget", 2.0, cap_excess="keep")
        assert ("share", "cap_excess") == exc.value.paths


class TestIds:
    """Ids, and references to ids, are 1-100 letters, digits, '_', '-' or '.'."""

    @pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
    @pytest.mark.parametrize(("build", "field"), cases(ID_FIELDS))
    def test_rejects_bad_id(self, build, field, bad):
        """A malformed id is reported at its field."""
        error = rejected(build, **{field: bad})
        assert ID_EXPECTED == problem_at(error, field).expected
        shown = repr(bad) if len(repr(bad)) <= 80 else repr(bad)[:77] + "..."
        assert f"{field}: expected {ID_EXPECTED}, got {shown}" in str(error)

    @pytest.mark.parametrize("good", GOOD_IDS)
    @pytest.mark.parametrize(("build", "field"), cases(ID_FIELDS))
    def test_accepts_good_id(self, build, field, good):
        """A well-formed id is accepted."""
        assert good == getattr(attrs.evolve(build(), **{field: good}), field)

    @pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
    @pytest.mark.parametrize(("build", "field"), cases(ID_LIST_FIELDS))
    def test_rejects_bad_id_in_list(self, build, field, bad):
        """A malformed id in a list is reported at its index."""
        error = rejected(build, **{field: ("fine", bad)})
        assert (f"{field}[1]",) == error.paths
        assert ID_EXPECTED == error.problems[0].expected

    @pytest.mark.parametrize(("build", "field"), cases(ID_LIST_FIELDS))
    def test_rejects_repeated_id_in_list(self, build, field):
        """An id listed twice is reported at its second place."""
        error = rejected(build, **{field: ("a", "b", "a")})
        assert (f"{field}[2]",) == error.paths
        assert f"{field}[2]: expected each id listed once, got 'a'" in str(error)

    @pytest.mark.parametrize(("build", "field"), cases(ID_LIST_FIELDS))
    def test_accepts_distinct_ids_in_list(self, build, field):
        """Distinct well-formed ids are accepted, as is an empty list."""
        assert ("a", "b") == getattr(attrs.evolve(build(), **{field: ["a", "b"]}), field)
        assert () == getattr(attrs.evolve(build(), **{field: []}), field)


REQUIRED_TEXTS = [
    (area, "name"),
    (phase, "name"),
    (stakeholder, "name"),
    (interest, "description"),
    (fund, "name"),
    (initiative, "name"),
    (metric, "definition"),
    (contract, "name"),
    (programme, "name"),
]
OPTIONAL_TEXTS = [
    (area, "code"),
    (stakeholder, "description"),
    (engagement, "reason"),
    (engagement, "question"),
    (engagement, "concrete_role"),
    (engagement, "experience_subject"),
    (initiative, "description"),
    (metric, "name"),
    (contract, "description"),
    (gate, "name"),
    (parameter, "description"),
    (programme, "shared_interest"),
    (programme, "description"),
]


class TestTexts:
    """Names and descriptions are strings; required ones are not blank."""

    @pytest.mark.parametrize(
        ("bad", "expected", "shown"),
        [
            ("", "a non-empty text", "''"),
            (" \t", "a non-empty text", "' \\t'"),
            (5, "a string", "5"),
        ],
    )
    @pytest.mark.parametrize(("build", "field"), cases(REQUIRED_TEXTS + OPTIONAL_TEXTS))
    def test_rejects(self, build, field, bad, expected, shown):
        """A blank text or a non-string is reported at its field."""
        error = rejected(build, **{field: bad})
        assert expected == problem_at(error, field).expected
        assert f"{field}: expected {expected}, got {shown}" in str(error)

    @pytest.mark.parametrize(("build", "field"), cases(REQUIRED_TEXTS + OPTIONAL_TEXTS))
    def test_accepts_text(self, build, field):
        """Any non-blank text is accepted."""
        assert "Zuid 2 — ‘t Vliet" == getattr(
            attrs.evolve(build(), **{field: "Zuid 2 — ‘t Vliet"}), field
        )

    @pytest.mark.parametrize(("build", "field"), cases(OPTIONAL_TEXTS))
    def test_optional_text_may_be_left_out(self, build, field):
        """An optional text may be None."""
        changes = {field: None}
        if field == "experience_subject":
            changes["experience"] = None
        assert getattr(attrs.evolve(build(), **changes), field) is None


# -- dates -----------------------------------------------------------------------------------------

DATE_FIELDS = [
    (phase, "start"),
    (phase, "end"),
    (initiative, "start"),
    (window, "start"),
    (advance, "month"),
    (contract, "start"),
    (contract_with_end, "end"),
    (gate, "month"),
    (programme, "start"),
    (programme, "price_base_date"),
]


class TestFirstOfMonth:
    """Months are dates on the first day of a month."""

    @pytest.mark.parametrize(("build", "field"), cases(DATE_FIELDS))
    def test_rejects_other_days(self, build, field):
        """A date that is not a first of month is reported, shown as an ISO date."""
        error = rejected(build, **{field: dt.date(2021, 6, 15)})
        assert "the first day of a month" == problem_at(error, field).expected
        assert f"{field}: expected the first day of a month, got 2021-06-15" in str(error)

    @pytest.mark.parametrize(
        "bad", ["2021-06-01", dt.datetime(2021, 6, 1), 20210601], ids=["text", "datetime", "int"]
    )
    @pytest.mark.parametrize(("build", "field"), cases(DATE_FIELDS))
    def test_rejects_non_dates(self, build, field, bad):
        """A value that is not a date (a datetime is not one either) is reported, not a crash."""
        error = rejected(build, **{field: bad})
        assert "a date (YYYY-MM-DD)" == problem_at(error, field).expected

    @pytest.mark.parametrize(("build", "field"), cases(DATE_FIELDS))
    def test_accepts_first_of_month(self, build, field):
        """A first of month is accepted."""
        month = dt.date(2020, 12, 1) if build is contract else dt.date(2021, 6, 1)
        changes = {field: month}
        if build is phase:
            changes["start"] = changes["end"] = month
        assert month == getattr(attrs.evolve(build(), **changes), field)


class TestEndBeforeStart:
    """A phase or contract does not end before it starts."""

    @pytest.mark.parametrize("build", [phase, contract_with_end], ids=name)
    def test_rejects_end_before_start(self, build):
        """An end before the start is reported at end, naming the start."""
        error = rejected(build, end=dt.date(2020, 12, 1))
        assert ("end",) == error.paths
        assert "end: expected a month on or after start (2021-01-01), got 2020-12-01" in str(error)

    def test_phase_may_last_one_month(self):
        """A phase may end in the month it starts."""
        assert 1 == attrs.evolve(phase(), end=START).months

    def test_contract_may_last_one_month(self):
        """A contract may end in the month it starts."""
        built = attrs.evolve(
            contract_with_end(),
            end=START,
            enrolment=Enrolment([EnrolmentWindow(START, 1, total=5)]),
        )
        assert START == built.last_month


# -- numbers ---------------------------------------------------------------------------------------

INTEGER_FIELDS = [
    (area, "population", 0, 0),
    (interest, "priority", 1, 3),
    (initiative, "duration_months", 1, 1),
    (window, "months", 1, 1),
    (contract, "duration_months", 1, 6),
    (contract, "verification_lag_months", 0, 0),
    (contract, "run_off_months", 0, 0),
    (prefinancing, "months", 1, 1),
    (programme, "horizon_years", 1, 1),
]


def integer_phrase(field: str, low: int) -> str:
    """What a count field expects: month counts also have an upper bound of 1,200."""
    if field.endswith("months"):
        return f"a whole number of months from {low} to 1200"
    return f"an integer ≥ {low}"


class TestIntegers:
    """Counts of months, years and people are integers with a lower bound."""

    @pytest.mark.parametrize("offset", [-1, -5])
    @pytest.mark.parametrize(
        ("build", "field", "low", "good"),
        cases(INTEGER_FIELDS),
    )
    def test_rejects_below_bound(self, build, field, low, good, offset):
        """A value below the bound is reported with the bound."""
        error = rejected(build, **{field: low + offset})
        assert integer_phrase(field, low) == problem_at(error, field).expected
        assert f"{field}: expected {integer_phrase(field, low)}, got {low + offset}" in str(error)

    @pytest.mark.parametrize("bad", [1.5, 2.0, True, "3"], ids=repr)
    @pytest.mark.parametrize(
        ("build", "field", "low", "good"),
        cases(INTEGER_FIELDS),
    )
    def test_rejects_non_integers(self, build, field, low, good, bad):
        """A float, a boolean or a string is not an integer."""
        error = rejected(build, **{field: bad})
        assert integer_phrase(field, low) == problem_at(error, field).expected

    @pytest.mark.parametrize(
        ("build", "field", "low", "good"),
        cases(INTEGER_FIELDS),
    )
    def test_accepts_bound(self, build, field, low, good):
        """The bound itself (or a fitting value above it) is accepted."""
        assert good == getattr(attrs.evolve(build(), **{field: good}), field)

    def test_horizon_at_most_100_years(self):
        """A horizon above 100 years is refused; 100 is accepted."""
        error = rejected(programme, horizon_years=101)
        assert ("horizon_years",) == error.paths
        assert "horizon_years: expected at most 100 years, got 101" in str(error)
        assert 1200 == attrs.evolve(programme(), horizon_years=100).months


NUMBER_FIELDS = [
    # (fixture, field, bad value, expected phrase, good value)
    (metric, "threshold", -0.1, "a number in [0, 1]", 0.0),
    (metric, "threshold", 1.1, "a number in [0, 1]", 1.0),
    (metric, "threshold", math.nan, "a number in [0, 1]", 0.05),
    (metric, "cap_per_participant", -1.0, "a number ≥ 0", 0.0),
    (metric, "cap_per_participant", math.inf, "a finite number ≥ 0", 10_000.0),
    (metric, "cap_count", -1.0, "a number ≥ 0", 0.0),
    (metric, "cap_value", -1.0, "a number ≥ 0", 1e6),
    (metric, "cap_value", math.nan, "a finite number ≥ 0", 1e6),
    (contract, "cap_per_participant", -1.0, "a number ≥ 0", 0.0),
    (contract, "cap", -1.0, "a number ≥ 0", 1e6),
    (contract, "cap", math.inf, "a finite number ≥ 0", 1e6),
    (investor, "commitment", -1.0, "a number ≥ 0", 0.0),
    (investor, "return_cap", -0.01, "a number ≥ 0", 0.0),
    (investor, "return_cap", math.nan, "a finite number ≥ 0", 0.12),
    (investor, "capital_protection", 1.5, "a number in [0, 1]", 1.0),
    (investor, "capital_protection", -0.5, "a number in [0, 1]", 0.0),
    (advance, "amount", -1.0, "a number ≥ 0", 0.0),
    (gated_prefinancing, "repay_share", 1.5, "a number in [0, 1]", 1.0),
    (gated_prefinancing, "repay_share", -0.5, "a number in [0, 1]", 0.0),
    (condition, "target", -1.0, "a number ≥ 0", 0.0),
    (condition, "target", 1.5, "a rate in [0, 1]", 1.0),
    (count_condition, "target", math.inf, "a finite number ≥ 0", 40.0),
]


def number_field_id(row) -> str:
    return f"{name(row[0])}.{row[1]}={row[2]}"


class TestNumbers:
    """Plain-number fields are finite and lie in their range."""

    @pytest.mark.parametrize(
        ("build", "field", "bad", "expected", "good"),
        [pytest.param(*row, id=number_field_id(row)) for row in NUMBER_FIELDS],
    )
    def test_rejects_out_of_range(self, build, field, bad, expected, good):
        """A value out of range is reported with the range."""
        error = rejected(build, **{field: bad})
        assert expected == problem_at(error, field).expected
        assert f"{field}: expected {expected}, got {float(bad)!r}" in str(error)

    @pytest.mark.parametrize(
        ("build", "field", "bad", "expected", "good"),
        [pytest.param(*row, id=number_field_id(row)) for row in NUMBER_FIELDS],
    )
    def test_accepts_in_range(self, build, field, bad, expected, good):
        """A value in range (its bounds included) is accepted."""
        assert good == getattr(attrs.evolve(build(), **{field: good}), field)

    def test_count_target_may_exceed_one(self):
        """A count target is not a rate: it may be above 1."""
        assert 40.0 == attrs.evolve(condition(), measure=GateMeasure.COUNT, target=40).target

    @pytest.mark.parametrize(("build", "field"), cases([(metric, "cap_count"), (contract, "cap")]))
    def test_caps_are_optional(self, build, field):
        """A cap may be left out."""
        assert getattr(attrs.evolve(build(), **{field: None}), field) is None


SHARE_FIELDS = [(fund_share, "fund"), (payer_share, "payer")]


class TestShares:
    """A fund's or payer's share is in (0, 1]."""

    @pytest.mark.parametrize(("build", "what"), cases(SHARE_FIELDS))
    def test_rejects_zero(self, build, what):
        """A zero share is refused: leave the fund or payer out instead."""
        error = rejected(build, share=0)
        assert ("share",) == error.paths
        assert f"share: expected a share > 0 (leave the {what} out instead), got 0.0" in str(error)

    @pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan, math.inf], ids=repr)
    @pytest.mark.parametrize(("build", "what"), cases(SHARE_FIELDS))
    def test_rejects_outside_unit_interval(self, build, what, bad):
        """A share outside [0, 1] is refused."""
        error = rejected(build, share=bad)
        assert ("share",) == error.paths
        assert "a number in [0, 1]" == error.problems[0].expected

    @pytest.mark.parametrize("good", [1e-6, 0.25, 1])
    @pytest.mark.parametrize(("build", "what"), cases(SHARE_FIELDS))
    def test_accepts(self, build, what, good):
        """A share in (0, 1] is accepted."""
        assert good == attrs.evolve(build(), share=good).share


class TestYearAmounts:
    """Amounts per year have years from 1900 to 2300, each once, and amounts ≥ 0."""

    CASES = (
        ({1899: 1.0}, "[1899]", "a year from 1900 to 2300", "1899"),
        ({2301: 1.0}, "[2301]", "a year from 1900 to 2300", "2301"),
        (((2021, 1.0), (2021, 2.0)), "[2021]", "each year listed once", "2021"),
        ({2021: -1}, "[2021]", "a number ≥ 0", "-1.0"),
        ({2021: math.nan}, "[2021]", "a finite number ≥ 0", "nan"),
        ({2021: math.inf}, "[2021]", "a finite number ≥ 0", "inf"),
    )

    @pytest.mark.parametrize(("value", "where", "expected", "given"), CASES)
    @pytest.mark.parametrize(
        ("build", "field"), cases([(fund, "amounts"), (payer_share, "fiscal_year_caps")])
    )
    def test_rejects(self, build, field, value, where, expected, given):
        """A bad year or amount is reported at the year."""
        error = rejected(build, **{field: value})
        assert (f"{field}{where}",) == error.paths
        assert f"{field}{where}: expected {expected}, got {given}" in str(error)

    @pytest.mark.parametrize(
        ("build", "field"), cases([(fund, "amounts"), (payer_share, "fiscal_year_caps")])
    )
    def test_accepts_and_sorts(self, build, field):
        """Valid amounts are kept as sorted (year, float) pairs; none at all is fine."""
        built = attrs.evolve(build(), **{field: {2300: 0, 1900: 5}})
        assert ((1900, 5.0), (2300, 0.0)) == getattr(built, field)
        assert () == getattr(attrs.evolve(build(), **{field: {}}), field)

    def test_fund_amount_defaults_to_zero(self):
        """A year a fund does not list has no budget."""
        assert (100_000.0, 0.0) == (fund().amount(2021), fund().amount(2030))


BOUNDED_FIELDS = [
    # (fixture, field, out-of-domain number, phrase of the domain)
    (initiative, "commitment", -1, "≥ 0"),
    (initiative, "delay", -1, "≥ 0"),
    (initiative, "overrun", -0.5, "≥ 0"),
    (initiative, "indexation", -1, "> −1"),
    (metric, "price", -5, "≥ 0"),
    (metric, "share_achieving", 1.5, "in [0, 1]"),
    (metric, "baseline", -0.1, "in [0, 1]"),
    (metric, "time_to_outcome", -1, "≥ 0"),
    (metric, "indexation", -1.5, "> −1"),
    (metric, "value_per_outcome", -1, "≥ 0"),
    (window, "per_month", -1, "≥ 0"),
]


class TestBoundedDistributions:
    """Distribution fields keep every value they can take inside their domain."""

    @pytest.mark.parametrize(
        ("build", "field", "bad", "phrase"),
        cases(BOUNDED_FIELDS),
    )
    def test_rejects_number_outside(self, build, field, bad, phrase):
        """A number outside the domain is reported as a number."""
        error = rejected(build, **{field: bad})
        assert (field,) == error.paths
        assert f"{field}: expected a number {phrase}, got {float(bad)!r}" in str(error)

    @pytest.mark.parametrize(
        ("build", "field", "bad", "phrase"),
        cases(BOUNDED_FIELDS),
    )
    def test_rejects_untruncated_normal(self, build, field, bad, phrase):
        """An untruncated normal can leave any bounded domain."""
        error = rejected(build, **{field: Normal(0.5, 0.1)})
        assert (field,) == error.paths
        assert (
            f"{field}: expected a distribution whose values stay {phrase} (truncate it "
            "explicitly with low/high), got normal(mean=0.5, sd=0.1), which ranges over (−∞, ∞)"
        ) in str(error)

    @pytest.mark.parametrize(
        ("build", "field", "bad", "phrase"),
        cases(BOUNDED_FIELDS),
    )
    def test_accepts_truncated_normal(self, build, field, bad, phrase):
        """A normal truncated inside the domain is accepted."""
        dist = Normal(0.5, 0.1, low=0, high=1)
        assert dist == getattr(attrs.evolve(build(), **{field: dist}), field)

    @pytest.mark.parametrize(
        ("build", "field", "bad", "phrase"),
        cases([row for row in BOUNDED_FIELDS if row[1] != "indexation"]),
    )
    def test_rejects_yearly_path(self, build, field, bad, phrase):
        """Only indexation rates may be yearly paths."""
        error = rejected(build, **{field: Yearly({2021: 0.5})})
        assert (
            f"{field}: expected a distribution of one value per scenario (yearly paths are "
            "for indexation rates), got yearly(2021)"
        ) in str(error)

    @pytest.mark.parametrize("build", [initiative, metric], ids=name)
    def test_accepts_yearly_indexation(self, build):
        """An indexation rate may change by year."""
        path = Yearly({2021: 0.02, 2024: Uniform(0.01, 0.05)})
        assert path == attrs.evolve(build(), indexation=path).indexation

    def test_total_enrolment_is_bounded(self):
        """A window's total is ≥ 0 too."""
        error = rejected(window, per_month=None, total=-10)
        assert ("total",) == error.paths


# -- exactly one of --------------------------------------------------------------------------------


class TestExactlyOneOf:
    """Where two fields say the same thing, exactly one of them is given."""

    @pytest.mark.parametrize(
        ("changes", "given"),
        [({"end": dt.date(2022, 12, 1)}, "both"), ({"duration_months": None}, "neither")],
    )
    def test_contract_end_or_duration(self, changes, given):
        """A contract has an end or a duration, not both and not neither."""
        error = rejected(contract, **changes)
        assert ("end",) == error.paths
        assert f"end: expected exactly one of end or duration_months, got {given}" in str(error)

    @pytest.mark.parametrize(
        ("changes", "given"), [({"total": 60}, "both"), ({"per_month": None}, "neither")]
    )
    def test_window_per_month_or_total(self, changes, given):
        """An enrolment window has participants per month or a total, not both, not neither."""
        error = rejected(window, **changes)
        assert ("per_month",) == error.paths
        assert f"per_month: expected exactly one of per_month or total, got {given}" in str(error)

    def test_window_with_total(self):
        """A window with a total only is valid."""
        assert 60.0 == attrs.evolve(window(), per_month=None, total=60).total.value

    @pytest.mark.parametrize(
        ("changes", "given"),
        [
            ({"initiative": "coaching"}, "('werkfit', 'coaching')"),
            ({"contract": None}, "(None, None)"),
        ],
    )
    def test_gate_contract_or_initiative(self, changes, given):
        """A gate acts on one contract or one initiative."""
        error = rejected(gate, **changes)
        assert ("contract",) == error.paths
        assert (
            "contract: expected exactly one of contract or initiative (what the gate acts on), "
            f"got {given}"
        ) in str(error)


# -- gates and decisions ---------------------------------------------------------------------------


class TestDecision:
    """Scaling needs a factor > 0; other actions take no factor."""

    @pytest.mark.parametrize(
        ("factor", "message"),
        [
            (None, "factor: expected a scale factor > 0 for action 'scale', got None"),
            (0, "factor: expected a number > 0, got 0"),
            (-2.0, "factor: expected a number > 0, got -2.0"),
            (math.inf, "factor: expected a finite number > 0, got inf"),
        ],
    )
    def test_scale_needs_positive_factor(self, factor, message):
        """A scale decision without a positive factor is refused."""
        with pytest.raises(ValidationError) as exc:
            Decision(Action.SCALE, factor)
        assert ("factor",) == exc.value.paths
        assert message in str(exc.value)

    @pytest.mark.parametrize("action", [Action.CONTINUE, Action.STOP, Action.STEP_IN])
    def test_other_actions_take_no_factor(self, action):
        """A factor on any other action is refused, naming the action."""
        with pytest.raises(ValidationError) as exc:
            Decision(action, 2.0)
        assert ("factor",) == exc.value.paths
        assert f"factor: expected no factor for action '{action.value}', got 2.0" in str(exc.value)

    @pytest.mark.parametrize(
        ("action", "factor"),
        [(Action.SCALE, 0.5), (Action.SCALE, 3), (Action.CONTINUE, None), (Action.STOP, None)],
    )
    def test_accepts(self, action, factor):
        """Valid decisions are accepted."""
        assert factor == Decision(action, factor).factor


class TestInitiativeGate:
    """A gate on an initiative scales or stops its cost; it cannot step in."""

    @pytest.mark.parametrize("side", ["if_met", "if_not_met"])
    def test_cannot_step_in(self, side):
        """Step-in on an initiative gate is refused at the decision's action."""
        error = rejected(initiative_gate, **{side: Decision(Action.STEP_IN)})
        assert (f"{side}.action",) == error.paths
        assert (
            f"{side}.action: expected continue, scale or stop (a gate on an initiative cannot "
            "step in), got 'step-in'"
        ) in str(error)

    def test_contract_gate_may_step_in(self):
        """On its own a contract gate may decide to step in (the programme checks the rest)."""
        built = attrs.evolve(gate(), if_met=Decision(Action.STEP_IN))
        assert Action.STEP_IN == built.if_met.action


# -- financing -------------------------------------------------------------------------------------


class TestInvestorFinancing:
    """Capital protection needs a guarantor."""

    def test_guarantor_required_with_protection(self):
        """Protection above 0 without a guarantor is refused."""
        error = rejected(investor, guarantor=None)
        assert ("guarantor",) == error.paths
        assert (
            "guarantor: expected a guarantor when capital_protection is above 0, got None"
        ) in str(error)

    def test_no_guarantor_without_protection(self):
        """Without protection no guarantor is needed."""
        built = attrs.evolve(investor(), guarantor=None, capital_protection=0)
        assert built.guarantor is None


class TestAdvanceFinancing:
    """Advances are listed, and paid within the contract."""

    def test_needs_an_advance(self):
        """Advance financing without advances or windows is refused."""
        with pytest.raises(ValidationError) as exc:
            AdvanceFinancing([])
        assert ("advances",) == exc.value.paths
        assert "advances: expected at least one advance or advance window, got []" in str(exc.value)

    @pytest.mark.parametrize(
        ("month", "given"),
        [(dt.date(2020, 12, 1), "2020-12-01"), (dt.date(2023, 1, 1), "2023-01-01")],
    )
    def test_advance_inside_contract(self, month, given):
        """An advance before the start or after the end of the contract is refused."""
        financing = AdvanceFinancing([advance(), Advance(month, 10_000)])
        error = rejected(contract, financing=financing)
        assert ("financing.advances[1].month",) == error.paths
        assert (
            "financing.advances[1].month: expected a month inside the contract "
            f"(2021-01-01 to 2022-12-01), got {given}"
        ) in str(error)

    @pytest.mark.parametrize("month", [START, dt.date(2022, 12, 1)])
    def test_advance_at_contract_bounds(self, month):
        """Advances in the first and last month of the contract are accepted."""
        financing = AdvanceFinancing([Advance(month, 10_000)])
        assert 10_000 == attrs.evolve(contract(), financing=financing).financing.total


class TestPrefinancing:
    """Pre-financing runs for some months, or until a gate at which someone steps in."""

    def test_needs_months_or_gate(self):
        """Without months and without a gate it is refused."""
        error = rejected(prefinancing, months=None)
        assert ("months",) == error.paths
        assert "months: expected the months pre-financed, or a gate, got None" in str(error)

    @pytest.mark.parametrize("field", ["step_in_payer", "step_in_fund"])
    def test_no_step_in_without_gate(self, field):
        """Who steps in is only said with a gate."""
        error = rejected(prefinancing, **{field: "gemeente"})
        assert (field,) == error.paths
        assert f"{field}: expected no step-in without a gate, got 'gemeente'" in str(error)

    def test_no_repayment_without_gate(self):
        """A repayment share is only given with a gate."""
        error = rejected(prefinancing, repay_share=0.5)
        assert ("repay_share",) == error.paths
        assert "repay_share: expected no repayment without a gate, got 0.5" in str(error)

    @pytest.mark.parametrize("field", ["step_in_payer", "step_in_fund"])
    def test_gate_needs_who_steps_in(self, field):
        """With a gate, the payer and fund that step in are required."""
        error = rejected(gated_prefinancing, **{field: None})
        assert (field,) == error.paths
        assert f"{field}: expected who steps in at the gate, got None" in str(error)

    def test_gate_with_matching_months(self):
        """With a gate, months may also be given (the programme checks they agree)."""
        assert 6 == attrs.evolve(gated_prefinancing(), months=6).months


class TestCostWeights:
    """Explicit cost weights: one per month, non-negative, summing to 1; none otherwise."""

    def test_explicit_profile_needs_weights(self):
        """An explicit profile without weights is refused."""
        error = rejected(explicit_initiative, cost_weights=None)
        assert ("cost_weights",) == error.paths
        assert (
            "cost_weights: expected one weight per month for an explicit profile, got None"
        ) in str(error)

    @pytest.mark.parametrize("weights", [(0.5, 0.5), (0.2, 0.2, 0.2, 0.2, 0.2)])
    def test_one_weight_per_month(self, weights):
        """The number of weights equals duration_months."""
        error = rejected(explicit_initiative, cost_weights=weights)
        assert ("cost_weights",) == error.paths
        assert (
            "cost_weights: expected 4 weights (one per month of duration_months), "
            f"got {len(weights)} weights"
        ) in str(error)

    @pytest.mark.parametrize(
        ("weights", "message"),
        [
            ((0.6, 0.6, -0.1, -0.1), "cost_weights[2]: expected a number ≥ 0, got -0.1"),
            ((0.5, 0.5, math.nan, 0.0), "cost_weights[2]: expected a finite number ≥ 0, got nan"),
        ],
    )
    def test_non_negative(self, weights, message):
        """Each weight is a finite number ≥ 0."""
        error = rejected(explicit_initiative, cost_weights=weights)
        assert message in str(error)

    @pytest.mark.parametrize("weights", [(0.4, 0.3, 0.2, 0.2), (0.1, 0.1, 0.1, 0.1)])
    def test_sum_to_one(self, weights):
        """The weights sum to 1."""
        error = rejected(explicit_initiative, cost_weights=weights)
        assert ("cost_weights",) == error.paths
        assert f"cost_weights: expected weights that sum to 1, got {math.fsum(weights)!r}" in str(
            error
        )

    def test_sum_tolerates_rounding(self):
        """Weights that sum to 1 up to rounding are accepted."""
        weights = (0.1,) * 10
        built = attrs.evolve(explicit_initiative(), duration_months=10, cost_weights=weights)
        assert weights == built.cost_weights

    @pytest.mark.parametrize(
        "profile", [CostProfile.FLAT, CostProfile.FRONT_LOADED, CostProfile.S_CURVE]
    )
    def test_no_weights_unless_explicit(self, profile):
        """Weights with any other profile are refused."""
        error = rejected(explicit_initiative, cost_profile=profile)
        assert ("cost_weights",) == error.paths
        assert (
            "cost_weights: expected no weights unless cost_profile is 'explicit', "
            "got [0.4, 0.3, 0.2, 0.1]"
        ) in str(error)


class TestInitiativeFunds:
    """An initiative lists each fund once."""

    def test_fund_listed_once(self):
        """The same fund twice is refused at its second place."""
        error = rejected(initiative, funds=[FundShare("a", 0.5), FundShare("a", 0.5)])
        assert ("funds[1].fund",) == error.paths
        assert "funds[1].fund: expected each fund listed once, got 'a'" in str(error)


class TestPaymentRrule:
    """An rrule payment schedule has exactly one valid rule, without DTSTART."""

    @pytest.mark.parametrize(
        "rule",
        [
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1",
            "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=30",
            "FREQ=WEEKLY;BYDAY=FR",
            "FREQ=DAILY;INTERVAL=30",
        ],
    )
    def test_accepts_rule(self, rule):
        """A valid rule with an allowed frequency is accepted."""
        built = attrs.evolve(contract(), payment_schedule=Schedule.RRULE, payment_rrule=rule)
        assert rule == built.payment_rrule

    @pytest.mark.parametrize(
        ("rule", "expected"),
        [
            ("", "an RFC 5545 RRULE such as 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1'"),
            ("  ", "an RFC 5545 RRULE such as 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1'"),
            (
                "every month",
                "a rule with NAME=VALUE parts separated by ';' (not 'every month'); "
                "a FREQ part (FREQ=YEARLY, MONTHLY, WEEKLY or DAILY)",
            ),
            (
                "FREQ=FORTNIGHTLY",
                "a rule with FREQ=YEARLY, MONTHLY, WEEKLY or DAILY (not FORTNIGHTLY)",
            ),
            ("FREQ=MONTHLY;COUNT=x", "a rule with COUNT from 1 to 100000 (not X)"),
            ("FREQ=YEARLY;INTERVAL=0", "a rule with INTERVAL from 1 to 10000 (not 0)"),
            ("FREQ=YEARLY;INTERVAL=-1", "a rule with INTERVAL from 1 to 10000 (not -1)"),
            ("FREQ=MONTHLY;COUNT=0", "a rule with COUNT from 1 to 100000 (not 0)"),
            ("FREQ=MONTHLY;BYMONTHDAY=32", "a rule with BYMONTHDAY from ±1 to ±31 (not 32)"),
            ("FREQ=YEARLY;BYMONTH=13", "a rule with BYMONTH from 1 to 12 (not 13)"),
            (
                "FREQ=MONTHLY;BYDAY=1XY",
                "a rule with BYDAY as weekdays such as MO, 1MO or -1FR (not 1XY)",
            ),
            ("FREQ=MONTHLY;FREQ=YEARLY", "a rule with each part once (FREQ is repeated)"),
            ("FREQ=MONTHLY;COUNT=3;UNTIL=20221231", "a rule with COUNT or UNTIL, not both"),
            (
                "FREQ=MONTHLY;UNTIL=2022-12-31",
                "a rule with UNTIL as a date YYYYMMDD (not 2022-12-31)",
            ),
            (
                "FREQ=DAILY;BYHOUR=3",
                "a rule with known parts only (FREQ, INTERVAL, COUNT, BYMONTH, BYMONTHDAY, "
                "BYYEARDAY, BYWEEKNO, BYSETPOS, BYDAY, UNTIL, WKST), not BYHOUR",
            ),
            (
                "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
                "a rule with at least one occurrence (no month has that day)",
            ),
            (
                "DTSTART:20210101T000000\nRRULE:FREQ=MONTHLY",
                "the rule alone, without DTSTART or an RRULE: prefix",
            ),
            (
                "FREQ=MONTHLY;DTSTART=20210101",
                "the rule alone, without DTSTART or an RRULE: prefix",
            ),
            ("RRULE:FREQ=MONTHLY", "the rule alone, without DTSTART or an RRULE: prefix"),
            ("FREQ=MONTHLY\nFREQ=YEARLY", "the rule alone, without DTSTART or an RRULE: prefix"),
            ("FREQ=HOURLY", "a rule with FREQ=YEARLY, MONTHLY, WEEKLY or DAILY (not HOURLY)"),
            ("FREQ=MINUTELY", "a rule with FREQ=YEARLY, MONTHLY, WEEKLY or DAILY (not MINUTELY)"),
            ("FREQ=SECONDLY", "a rule with FREQ=YEARLY, MONTHLY, WEEKLY or DAILY (not SECONDLY)"),
        ],
    )
    def test_rejects_rule(self, rule, expected):
        """An invalid rule, a rule with DTSTART or a sub-daily frequency is refused."""
        error = rejected(contract, payment_schedule=Schedule.RRULE, payment_rrule=rule)
        assert ("payment_rrule",) == error.paths
        assert f"payment_rrule: expected {expected}, got {rule!r}" in str(error)

    @pytest.mark.parametrize(
        "rule",
        [
            "FREQ=DAILY;INTERVAL=7;BYDAY=MO",  # from a Friday, every seventh day is a Friday
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",  # no leap day in 2021-2023
            "FREQ=MONTHLY;UNTIL=20201231",  # ends before the contract starts
        ],
    )
    def test_rejects_rule_without_payment_month(self, rule):
        """A rule with no occurrence from the contract's start to its settlement is refused."""
        window = "from 2021-01 to 2022-12 (the contract's start to its settlement month)"
        error = rejected(contract, payment_schedule=Schedule.RRULE, payment_rrule=rule)
        assert ("payment_rrule",) == error.paths
        assert f"expected a rule with at least one occurrence {window}" in str(error)

    def test_refusing_a_rule_is_bounded(self, monkeypatch):
        """A rule that never matches is searched from within 800 years of the calendar's end.

        dateutil stops at the year 9999, so starting there bounds the search to at most two
        400-year cycles of days, whatever the contract's dates (before, from 2021 to 9999).
        """
        import datetime as dt

        from programma.model import recurrence as _recurrence

        starts = []
        real = _recurrence.rrulestr

        def recorded(text, *, dtstart):
            starts.append(dtstart)
            return real(text, dtstart=dtstart)

        monkeypatch.setattr(_recurrence, "rrulestr", recorded)
        rejected(
            contract,
            payment_schedule=Schedule.RRULE,
            payment_rrule="FREQ=DAILY;INTERVAL=7;BYDAY=MO;BYMONTH=2;BYMONTHDAY=30",
        )
        rejected(
            contract, payment_schedule=Schedule.RRULE, payment_rrule="FREQ=YEARLY;UNTIL=20000101"
        )
        assert starts, "the rule was never evaluated"
        assert all(dt.MAXYEAR - start.year <= 800 for start in starts)

    def test_rule_required_for_rrule_schedule(self):
        """An rrule schedule without a rule is refused."""
        error = rejected(contract, payment_schedule=Schedule.RRULE)
        assert ("payment_rrule",) == error.paths
        assert (
            "payment_rrule: expected an RRULE when payment_schedule is 'rrule', got None"
        ) in str(error)

    @pytest.mark.parametrize("schedule", [Schedule.MONTHLY, Schedule.QUARTERLY, Schedule.YEARLY])
    def test_no_rule_for_other_schedules(self, schedule):
        """A rule with a preset schedule is refused."""
        error = rejected(contract, payment_schedule=schedule, payment_rrule="FREQ=MONTHLY")
        assert ("payment_rrule",) == error.paths
        assert (
            "payment_rrule: expected no rule unless payment_schedule is 'rrule', got 'FREQ=MONTHLY'"
        ) in str(error)


class TestContractParts:
    """A contract has metrics with unique ids, payers, and enrolment inside its months."""

    def test_needs_a_metric(self):
        """A contract without metrics is refused."""
        error = rejected(contract, metrics=[])
        assert ("metrics",) == error.paths
        assert "metrics: expected at least one outcome metric, got []" in str(error)

    def test_metric_ids_unique_within_contract(self):
        """Two metrics with one id are refused at the second."""
        error = rejected(contract, metrics=[metric(), metric()])
        assert ("metrics[1].id",) == error.paths
        assert "metrics[1].id: expected an id unique within the contract, got 'job'" in str(error)

    def test_distinct_metric_ids(self):
        """Metrics with distinct ids are accepted."""
        other = attrs.evolve(metric(), id="debt")
        assert 2 == len(attrs.evolve(contract(), metrics=[metric(), other]).metrics)

    def test_needs_a_payer(self):
        """A contract without payers is refused."""
        error = rejected(contract, payers=[])
        assert ("payers",) == error.paths
        assert "payers: expected at least one payer, got []" in str(error)

    def test_enrolment_needs_a_window(self):
        """An enrolment without windows is refused."""
        with pytest.raises(ValidationError) as exc:
            Enrolment([])
        assert ("windows",) == exc.value.paths
        assert "windows: expected at least one enrolment window, got []" in str(exc.value)

    @pytest.mark.parametrize(
        ("start", "months", "given"),
        [
            (dt.date(2020, 12, 1), 3, "2020-12-01 for 3 months"),
            (dt.date(2022, 10, 1), 4, "2022-10-01 for 4 months"),
            (dt.date(2023, 1, 1), 1, "2023-01-01 for 1 months"),
        ],
    )
    @pytest.mark.parametrize("build", [contract, contract_with_end], ids=name)
    def test_window_inside_contract(self, build, start, months, given):
        """A window starting before or ending after the contract is refused."""
        windows = [window(), EnrolmentWindow(start, months, total=30)]
        error = rejected(build, enrolment=Enrolment(windows))
        assert ("enrolment.windows[1]",) == error.paths
        assert (
            "enrolment.windows[1]: expected a window inside the contract (2021-01-01 to "
            f"2022-12-01), got {given}"
        ) in str(error)

    @pytest.mark.parametrize("build", [contract, contract_with_end], ids=name)
    def test_window_filling_contract(self, build):
        """A window covering exactly the contract's months is accepted."""
        enrolment = Enrolment([EnrolmentWindow(START, 24, per_month=5)])
        assert enrolment == attrs.evolve(build(), enrolment=enrolment).enrolment

    def test_last_and_settlement_month(self):
        """The last month follows from the duration; settlement adds the run-off."""
        built = attrs.evolve(contract(), run_off_months=6)
        assert (dt.date(2022, 12, 1), dt.date(2023, 6, 1)) == (
            built.last_month,
            built.settlement_month,
        )


class TestEngagement:
    """A lived-experience subject needs the kind of experience."""

    def test_subject_needs_experience(self):
        """A subject without the kind of experience is refused."""
        error = rejected(engagement, experience=None)
        assert ("experience",) == error.paths
        assert (
            "experience: expected the kind of experience (general or specific) when a subject is "
            "given, got None"
        ) in str(error)

    def test_experience_without_subject(self):
        """General experience needs no subject."""
        built = attrs.evolve(
            engagement(), experience=ExperienceKind.GENERAL, experience_subject=None
        )
        assert ExperienceKind.GENERAL == built.experience


class TestParameter:
    """A parameter holds a distribution, not a reference to another parameter."""

    @pytest.mark.parametrize(
        ("dist", "given"),
        [
            (Ref("other"), "parameter(name='other')"),
            (Ref("other", factor=2), "parameter(name='other', factor=2)"),
            (Yearly({2021: 0.02, 2024: Ref("other")}), "yearly(2021, 2024)"),
        ],
    )
    def test_rejects_reference(self, dist, given):
        """A reference, directly or in a yearly path, is refused."""
        error = rejected(parameter, distribution=dist)
        assert ("distribution",) == error.paths
        assert (
            "distribution: expected a distribution, not a reference to another parameter, "
            f"got {given}"
        ) in str(error)

    @pytest.mark.parametrize(
        "dist", [Normal(0.4, 0.1), Yearly({2021: 0.02, 2024: Uniform(0, 0.1)}), 3]
    )
    def test_accepts_distribution(self, dist):
        """Any distribution, unbounded or yearly, may be a parameter."""
        built = attrs.evolve(parameter(), distribution=dist)
        assert not isinstance(built.distribution, Ref)


# -- the programme's own fields --------------------------------------------------------------------


class TestProgrammeFields:
    """The programme's currency, horizon, fiscal year and discount rate."""

    @pytest.mark.parametrize("bad", ["eur", "EURO", "EU", "€", 978], ids=repr)
    def test_rejects_currency(self, bad):
        """A currency is three capital letters."""
        error = rejected(programme, currency=bad)
        assert ("currency",) == error.paths
        assert f"currency: expected an ISO 4217 code of three capital letters, got {bad!r}" in str(
            error
        )

    @pytest.mark.parametrize("good", ["EUR", "GBP", "USD"])
    def test_accepts_currency(self, good):
        """ISO 4217 codes are accepted."""
        assert good == attrs.evolve(programme(), currency=good).currency

    @pytest.mark.parametrize("bad", [0, 13, -1, True, 4.0], ids=repr)
    def test_rejects_fiscal_year_start_month(self, bad):
        """The fiscal year starts in a month from 1 to 12."""
        error = rejected(programme, fiscal_year_start_month=bad)
        assert ("fiscal_year_start_month",) == error.paths
        assert (
            f"fiscal_year_start_month: expected a month number from 1 to 12, got {bad!r}"
        ) in str(error)

    @pytest.mark.parametrize("good", [1, 4, 12])
    def test_accepts_fiscal_year_start_month(self, good):
        """Any month number is accepted."""
        assert (
            good == attrs.evolve(programme(), fiscal_year_start_month=good).fiscal_year_start_month
        )

    @pytest.mark.parametrize("preset", DISCOUNT_PRESETS)
    def test_accepts_discount_preset(self, preset):
        """Each preset name is accepted."""
        assert preset == attrs.evolve(programme(), discount_rate=preset).discount_rate

    def test_default_discount_rate(self):
        """The Dutch 2021 standard is the default."""
        assert "nl-2021" == programme().discount_rate

    @pytest.mark.parametrize("bad", ["nl-2016", "", "2.25%"])
    def test_rejects_unknown_preset(self, bad):
        """An unknown preset name is refused, listing the presets."""
        error = rejected(programme, discount_rate=bad)
        assert ("discount_rate",) == error.paths
        assert (
            "discount_rate: expected a rate or one of nl-2021, uk-green-book, "
            f"uk-green-book-health, got {bad!r}"
        ) in str(error)

    @pytest.mark.parametrize("good", [-0.5, 0, 0.0225, 1])
    def test_accepts_rate(self, good):
        """A rate in (−1, 1] is accepted, as a float."""
        assert float(good) == attrs.evolve(programme(), discount_rate=good).discount_rate

    @pytest.mark.parametrize("bad", [-1, -2, 1.5, math.nan, math.inf, True], ids=repr)
    def test_rejects_rate(self, bad):
        """A rate outside (−1, 1], or not a finite number, is refused."""
        error = rejected(programme, discount_rate=bad)
        assert ("discount_rate",) == error.paths
        assert "a rate in (−1, 1] or a preset name" == error.problems[0].expected

    def test_price_base_defaults_to_start(self):
        """Without a price base date, prices are at the start."""
        assert START == attrs.evolve(programme(), price_base_date=None).price_base

    def test_price_base_may_precede_start(self):
        """Prices may be expressed at a month before the programme starts."""
        built = attrs.evolve(programme(), price_base_date=dt.date(2019, 1, 1))
        assert dt.date(2019, 1, 1) == built.price_base

    def test_reports_every_own_problem(self):
        """All of the programme's own problems are reported together."""
        error = rejected(
            programme, id="", name="", currency="eur", horizon_years=0, discount_rate=2
        )
        assert ("id", "name", "currency", "horizon_years", "discount_rate") == error.paths
        assert str(error).startswith("5 problems:\n")
