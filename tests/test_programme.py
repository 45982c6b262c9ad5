"""The programme: the rules between entities, reported all at once, and its time helpers."""

# The house style puts the expected value first in asserts.

from __future__ import annotations

import datetime as dt
import json

import attrs
import numpy as np
import pytest

import builders
import programma
from programma import (
    Action,
    Area,
    Decision,
    Engagement,
    Enrolment,
    EnrolmentWindow,
    Fixed,
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
    Stakeholder,
    StakeholderKind,
    Uniform,
    ValidationError,
    Yearly,
)

START = dt.date(2021, 1, 1)
HORIZON = "(2021-01-01 to 2025-12-01)"


# -- valid fixtures --------------------------------------------------------------------------------


def stakeholders() -> list[Stakeholder]:
    return [
        Stakeholder("gemeente", "Gemeente", StakeholderKind.MUNICIPALITY),
        Stakeholder("provider", "Provider", StakeholderKind.PROVIDER),
        Stakeholder("investor", "Impact fund", StakeholderKind.INVESTOR),
        Stakeholder("guarantor", "Province", StakeholderKind.FUNDER),
        Stakeholder("partner", "Foundation", StakeholderKind.EXTERNAL_PARTNER),
    ]


STAKEHOLDER_IDS = "'gemeente', 'provider', 'investor', 'guarantor', 'partner'"


def metric() -> OutcomeMetric:
    return OutcomeMetric("job", "Paid work for six months", 8_000, 0.4, time_to_outcome=6)


def enrolment() -> Enrolment:
    return Enrolment([EnrolmentWindow(START, 6, per_month=10)])


def contract() -> OutcomeContract:
    """A small contract paid from the results fund, with the provider financing it."""
    return OutcomeContract(
        "werkfit",
        "Werkfit",
        "provider",
        START,
        enrolment(),
        [metric()],
        [PayerShare("gemeente", "results", 1.0)],
        duration_months=24,
    )


def minimal() -> Programme:
    """A minimal valid programme: two stakeholders, one fund, one initiative, one contract."""
    return Programme(
        "demo",
        "Demo",
        "EUR",
        START,
        5,
        stakeholders=stakeholders()[:2],
        funds=[Fund("results", "Results fund", FundKind.RESULTS, "gemeente", {2021: 100_000})],
        initiatives=[
            Initiative("coaching", "Coaching", "provider", 120_000, START, 12, funds=[share()])
        ],
        contracts=[contract()],
    )


def share(fund: str = "results", value: float = 1.0) -> FundShare:
    return FundShare(fund, value)


def parts() -> dict:
    """The fields of a programme that uses every kind of reference, all valid."""
    bond = attrs.evolve(
        contract(),
        id="bond",
        initiatives=("bond-delivery",),
        interests=("work",),
        areas=("oost",),
        payers=[PayerShare("gemeente", "results", 1.0, {2022: 50_000})],
        financing=InvestorFinancing(
            "investor", 100_000, return_cap=0.05, capital_protection=0.5, guarantor="guarantor"
        ),
    )
    pilot = attrs.evolve(
        contract(),
        id="pilot",
        financing=Prefinancing(
            "partner",
            gate="step-in",
            partner_fund="pilot-fund",
            step_in_payer="gemeente",
            step_in_fund="results",
            repay_share=0.5,
        ),
    )
    return {
        "id": "oost",
        "name": "Leeuwarden Oost",
        "currency": "EUR",
        "start": START,
        "horizon_years": 5,
        "parameters": [Parameter("shock", Normal(1.0, 0.1, low=0.5, high=1.5))],
        "areas": [Area("oost", "Oost")],
        "phases": [
            Phase("pilot", "Pilot", PhaseKind.PILOT, START, dt.date(2021, 12, 1)),
            Phase(
                "rollout",
                "Roll-out",
                PhaseKind.IMPLEMENTATION,
                dt.date(2022, 1, 1),
                dt.date(2025, 12, 1),
            ),
        ],
        "stakeholders": stakeholders(),
        "interests": [
            Interest("work", "gemeente", "Work", InterestScale.NEIGHBOURHOOD, areas=("oost",))
        ],
        "engagements": [Engagement("e1", "gemeente", "pilot", Role.CO_OWNER)],
        "funds": [
            Fund("results", "Results", FundKind.RESULTS, "gemeente", {2021: 1e5, 2025: 1e5}),
            Fund("pilot-fund", "Pilot fund", FundKind.PILOT, "partner"),
        ],
        "initiatives": [
            Initiative(
                "coaching",
                "Coaching",
                "provider",
                120_000,
                START,
                12,
                overrun=Ref("shock"),
                funds=[share()],
                areas=("oost",),
                interests=("work",),
            ),
            Initiative("bond-delivery", "Bond delivery", "provider", 90_000, START, 24),
        ],
        "contracts": [bond, pilot],
        "gates": [
            Gate(
                "step-in",
                dt.date(2021, 7, 1),
                GateCondition("pilot", "job", GateMeasure.RATE, 0.25),
                if_met=Decision(Action.STEP_IN),
                if_not_met=Decision(Action.STOP),
                contract="pilot",
                phase="pilot",
            ),
            Gate(
                "scale-coaching",
                dt.date(2022, 1, 1),
                GateCondition("bond", "job", GateMeasure.COUNT, 10),
                if_met=Decision(Action.SCALE, 2.0),
                if_not_met=Decision(Action.STOP),
                initiative="coaching",
            ),
        ],
    }


def rich(**changes) -> Programme:
    """The programme of :func:`parts`, with some fields replaced."""
    return Programme(**{**parts(), **changes})


def changed(collection: str, index: int, change) -> dict:
    """The fields of :func:`parts` with one entity replaced by ``change(entity)``."""
    fields = parts()
    items = list(fields[collection])
    items[index] = change(items[index])
    fields[collection] = items
    return fields


def refused(**fields) -> ValidationError:
    """The error raised by a programme built from ``fields``."""
    with pytest.raises(ValidationError) as exc:
        Programme(**fields)
    return exc.value


def problem_at(error: ValidationError, path: str):
    """The one problem of ``error`` at ``path``."""
    matching = [problem for problem in error.problems if problem.path == path]
    assert 1 == len(matching), f"problems at {path!r}: {error.paths}"
    return matching[0]


def evolve(**changes):
    return lambda entity: attrs.evolve(entity, **changes)


def evolve_nested(field: str, index: int | None = None, **changes):
    """A change to ``entity.field`` (or ``entity.field[index]``)."""

    def change(entity):
        value = getattr(entity, field)
        if index is None:
            return attrs.evolve(entity, **{field: attrs.evolve(value, **changes)})
        items = list(value)
        items[index] = attrs.evolve(items[index], **changes)
        return attrs.evolve(entity, **{field: items})

    return change


class TestFixtures:
    """The fixtures these tests vary are valid."""

    def test_minimal(self):
        """The minimal programme is valid."""
        assert 1 == len(minimal().contracts)

    def test_rich(self):
        """The programme with every kind of reference is valid."""
        assert 2 == len(rich().gates)


# -- references ------------------------------------------------------------------------------------

REFERENCES = [
    # (collection, index, change, path, referenced collection, known ids)
    ("interests", 0, evolve(stakeholder="x"), "interests[0].stakeholder", "stakeholders", None),
    ("interests", 0, evolve(areas=("x",)), "interests[0].areas[0]", "areas", "'oost'"),
    ("engagements", 0, evolve(stakeholder="x"), "engagements[0].stakeholder", "stakeholders", None),
    ("engagements", 0, evolve(phase="x"), "engagements[0].phase", "phases", "'pilot', 'rollout'"),
    ("funds", 0, evolve(owner="x"), "funds[0].owner", "stakeholders", None),
    ("initiatives", 0, evolve(owner="x"), "initiatives[0].owner", "stakeholders", None),
    ("initiatives", 0, evolve(areas=("x",)), "initiatives[0].areas[0]", "areas", "'oost'"),
    (
        "initiatives",
        0,
        evolve(interests=("x",)),
        "initiatives[0].interests[0]",
        "interests",
        "'work'",
    ),
    (
        "initiatives",
        0,
        evolve(funds=[share("x")]),
        "initiatives[0].funds[0].fund",
        "funds",
        "'results', 'pilot-fund'",
    ),
    ("contracts", 0, evolve(provider="x"), "contracts[0].provider", "stakeholders", None),
    (
        "contracts",
        0,
        evolve(initiatives=("x",)),
        "contracts[0].initiatives[0]",
        "initiatives",
        "'coaching', 'bond-delivery'",
    ),
    ("contracts", 0, evolve(interests=("x",)), "contracts[0].interests[0]", "interests", "'work'"),
    ("contracts", 0, evolve(areas=("x",)), "contracts[0].areas[0]", "areas", "'oost'"),
    (
        "contracts",
        0,
        evolve_nested("payers", 0, payer="x"),
        "contracts[0].payers[0].payer",
        "stakeholders",
        None,
    ),
    (
        "contracts",
        0,
        evolve_nested("payers", 0, fund="x"),
        "contracts[0].payers[0].fund",
        "funds",
        "'results', 'pilot-fund'",
    ),
    (
        "contracts",
        0,
        evolve_nested("financing", investor="x"),
        "contracts[0].financing.investor",
        "stakeholders",
        None,
    ),
    (
        "contracts",
        0,
        evolve_nested("financing", guarantor="x"),
        "contracts[0].financing.guarantor",
        "stakeholders",
        None,
    ),
    (
        "contracts",
        1,
        evolve_nested("financing", partner="x"),
        "contracts[1].financing.partner",
        "stakeholders",
        None,
    ),
    (
        "contracts",
        1,
        evolve_nested("financing", partner_fund="x"),
        "contracts[1].financing.partner_fund",
        "funds",
        "'results', 'pilot-fund'",
    ),
    (
        "contracts",
        1,
        evolve_nested("financing", step_in_payer="x"),
        "contracts[1].financing.step_in_payer",
        "stakeholders",
        None,
    ),
    (
        "contracts",
        1,
        evolve_nested("financing", step_in_fund="x"),
        "contracts[1].financing.step_in_fund",
        "funds",
        "'results', 'pilot-fund'",
    ),
    (
        "contracts",
        1,
        evolve_nested("financing", gate="x"),
        "contracts[1].financing.gate",
        "gates",
        "'step-in', 'scale-coaching'",
    ),
    ("gates", 0, evolve(phase="x"), "gates[0].phase", "phases", "'pilot', 'rollout'"),
    ("gates", 0, evolve(contract="x"), "gates[0].contract", "contracts", "'bond', 'pilot'"),
    (
        "gates",
        1,
        evolve(initiative="x"),
        "gates[1].initiative",
        "initiatives",
        "'coaching', 'bond-delivery'",
    ),
    (
        "gates",
        0,
        evolve_nested("condition", contract="x"),
        "gates[0].condition.contract",
        "contracts",
        "'bond', 'pilot'",
    ),
]


class TestReferences:
    """Every reference names an existing entity; the message lists the known ids."""

    @pytest.mark.parametrize(
        ("collection", "index", "change", "path", "target", "known"),
        [pytest.param(*row, id=row[3]) for row in REFERENCES],
    )
    def test_missing_id(self, collection, index, change, path, target, known):
        """A reference to a missing id is reported at its path, listing the ids there are."""
        error = refused(**changed(collection, index, change))
        known = STAKEHOLDER_IDS if known is None else known
        expected = f"the id of one of the programme's {target} ({known})"
        assert expected == problem_at(error, path).expected
        assert f"{path}: expected {expected}, got 'x'" in str(error)

    def test_none_known(self):
        """When the collection is empty the message says there are none."""
        fields = changed("initiatives", 0, evolve(areas=("oost",)))
        fields["areas"] = []
        fields["interests"] = [attrs.evolve(fields["interests"][0], areas=())]
        fields["contracts"][0] = attrs.evolve(fields["contracts"][0], areas=())
        error = refused(**fields)
        assert ("initiatives[0].areas[0]",) == error.paths
        assert (
            "initiatives[0].areas[0]: expected the id of one of the programme's areas "
            "(there are none), got 'oost'"
        ) in str(error)

    def test_long_listing_is_cut(self):
        """Only the first eight known ids are listed."""
        areas = [Area(f"a{number}", f"Area {number}") for number in range(9)]
        error = refused(**{**changed("initiatives", 0, evolve(areas=("x",))), "areas": areas})
        listing = ", ".join(f"'a{number}'" for number in range(8))
        assert f"the id of one of the programme's areas ({listing}, …)" == (
            problem_at(error, "initiatives[0].areas[0]").expected
        )


class TestUniqueIds:
    """Ids are unique within each collection."""

    @pytest.mark.parametrize(
        "collection",
        [
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
        ],
    )
    def test_repeated_id(self, collection):
        """A second entity with an id already used is reported at its id."""
        fields = parts()
        items = list(fields[collection])
        fields[collection] = [*items, items[0]]
        error = refused(**fields)
        path = f"{collection}[{len(items)}].id"
        expected = f"an id unique among the programme's {collection}"
        assert expected == problem_at(error, path).expected
        assert f"{path}: expected {expected}, got '{items[0].id}'" in str(error)

    def test_same_id_in_different_collections(self):
        """Collections have their own ids: a fund may share an id with an area."""
        fields = parts()
        fields["areas"] = [Area("results", "Results")]
        fields["interests"] = [attrs.evolve(fields["interests"][0], areas=("results",))]
        fields["initiatives"][0] = attrs.evolve(fields["initiatives"][0], areas=("results",))
        fields["contracts"][0] = attrs.evolve(fields["contracts"][0], areas=("results",))
        assert "results" == Programme(**fields).areas[0].id


# -- shares and funding ----------------------------------------------------------------------------


class TestShares:
    """The shares of an initiative's funds, and of a contract's payers, sum to 1."""

    @pytest.mark.parametrize("values", [(0.5, 0.4), (0.7, 0.7)])
    def test_fund_shares(self, values):
        """Fund shares that do not sum to 1 are refused at the initiative's funds."""
        shares = [share("results", values[0]), share("pilot-fund", values[1])]
        error = refused(**changed("initiatives", 0, evolve(funds=shares)))
        assert ("initiatives[0].funds",) == error.paths
        assert f"initiatives[0].funds: expected shares that sum to 1, got {sum(values)!r}" in str(
            error
        )

    @pytest.mark.parametrize("values", [(0.5, 0.4), (0.7, 0.7)])
    def test_payer_shares(self, values):
        """Payer shares that do not sum to 1 are refused at the contract's payers."""
        payers = [
            PayerShare("gemeente", "results", values[0]),
            PayerShare("partner", "pilot-fund", values[1]),
        ]
        error = refused(**changed("contracts", 0, evolve(payers=payers)))
        assert ("contracts[0].payers",) == error.paths
        assert f"contracts[0].payers: expected shares that sum to 1, got {sum(values)!r}" in str(
            error
        )

    def test_shares_summing_to_one(self):
        """Shares that sum to 1 up to rounding are accepted."""
        thirds = [share("results", 0.1), share("pilot-fund", 0.2), share("third", 0.7)]
        fields = changed("initiatives", 0, evolve(funds=thirds))
        fields["funds"] = [*fields["funds"], Fund("third", "Third", FundKind.OTHER, "gemeente")]
        payers = [
            PayerShare("gemeente", "results", 0.1),
            PayerShare("partner", "pilot-fund", 0.2),
            PayerShare("investor", "third", 0.7),
        ]
        fields["contracts"][0] = attrs.evolve(fields["contracts"][0], payers=payers)
        built = Programme(**fields)
        assert 3 == len(built.contracts[0].payers)

    def test_payer_and_fund_listed_once(self):
        """The same payer and fund listed twice in a contract is refused at the second."""
        payers = [
            PayerShare("gemeente", "results", 0.5),
            PayerShare("gemeente", "results", 0.5),
        ]
        error = refused(**changed("contracts", 0, evolve(payers=payers)))
        assert ("contracts[0].payers[1]",) == error.paths
        assert (
            "contracts[0].payers[1]: expected each payer and fund pair listed once, "
            "got payer 'gemeente' with fund 'results' again"
        ) in str(error)

    def test_payer_from_two_funds(self):
        """One payer may pay its part from two funds."""
        payers = [
            PayerShare("gemeente", "results", 0.6),
            PayerShare("gemeente", "pilot-fund", 0.4),
        ]
        built = Programme(**changed("contracts", 0, evolve(payers=payers)))
        assert 2 == len(built.contracts[0].payers)


class TestInitiativeFunding:
    """An initiative is funded by funds or by one contract, never both, never neither."""

    def test_neither(self):
        """An initiative without funds that no contract pays for is refused."""
        error = refused(**changed("initiatives", 0, evolve(funds=[])))
        assert ("initiatives[0].funds",) == error.paths
        assert (
            "initiatives[0].funds: expected the funds that pay for it (or a contract that lists "
            "it in initiatives), got []"
        ) in str(error)

    def test_both(self):
        """An initiative with funds that a contract also pays for is refused."""
        error = refused(**changed("initiatives", 1, evolve(funds=[share()])))
        assert ("initiatives[1].funds",) == error.paths
        assert (
            "initiatives[1].funds: expected no funds: contract 'bond' pays for this initiative, "
            "got 1 fund share"
        ) in str(error)

    def test_paid_by_two_contracts(self):
        """An initiative that two contracts pay for is refused at its id."""
        error = refused(**changed("contracts", 1, evolve(initiatives=("bond-delivery",))))
        assert ("initiatives[1].id",) == error.paths
        assert (
            "initiatives[1].id: expected an initiative paid for by at most one contract, "
            "got 'bond-delivery', paid for by 'bond', 'pilot'"
        ) in str(error)

    def test_paid_by_many_contracts_named_briefly(self):
        """Of many contracts paying for one initiative, the message names the first eight."""
        fields = parts()
        bond = next(c for c in fields["contracts"] if "bond-delivery" in c.initiatives)
        fields["contracts"] = [
            *fields["contracts"],
            *(attrs.evolve(bond, id=f"copy{n}") for n in range(20)),
        ]
        message = str(problem_at(refused(**fields), "initiatives[1].id"))
        assert message.endswith(
            "paid for by 'bond', 'copy0', 'copy1', 'copy2', 'copy3', 'copy4', 'copy5', 'copy6', …"
        )


# -- time ------------------------------------------------------------------------------------------

OUTSIDE = [
    # (collection, index, change, path, what, given)
    (
        "initiatives",
        0,
        evolve(start=dt.date(2020, 12, 1)),
        "initiatives[0].start",
        "a start month",
        "2020-12-01",
    ),
    (
        "initiatives",
        0,
        evolve(start=dt.date(2026, 1, 1)),
        "initiatives[0].start",
        "a start month",
        "2026-01-01",
    ),
    (
        "initiatives",
        0,
        evolve(duration_months=61),
        "initiatives[0].duration_months",
        "an end month",
        "2026-01-01",
    ),
    (
        "contracts",
        0,
        evolve(start=dt.date(2020, 12, 1)),
        "contracts[0].start",
        "a start month",
        "2020-12-01",
    ),
    (
        "contracts",
        0,
        evolve(duration_months=61),
        "contracts[0].duration_months",
        "an end month",
        "2026-01-01",
    ),
    (
        "contracts",
        0,
        evolve(duration_months=None, end=dt.date(2026, 6, 1)),
        "contracts[0].end",
        "an end month",
        "2026-06-01",
    ),
    ("gates", 1, evolve(month=dt.date(2026, 1, 1)), "gates[1].month", "a gate month", "2026-01-01"),
    (
        "phases",
        0,
        evolve(start=dt.date(2020, 6, 1)),
        "phases[0].start",
        "a start month",
        "2020-06-01",
    ),
    ("phases", 1, evolve(end=dt.date(2026, 3, 1)), "phases[1].end", "an end month", "2026-03-01"),
]


class TestInsideHorizon:
    """Dates lie inside the programme's horizon."""

    @pytest.mark.parametrize(
        ("collection", "index", "change", "path", "what", "given"),
        [pytest.param(*row, id=f"{row[3]}={row[5]}") for row in OUTSIDE],
    )
    def test_outside(self, collection, index, change, path, what, given):
        """A month outside the horizon is reported, naming the horizon."""
        error = refused(**changed(collection, index, change))
        expected = f"{what} inside the horizon {HORIZON}"
        assert expected == problem_at(error, path).expected
        assert f"{path}: expected {expected}, got {given}" in str(error)

    def test_at_the_edges(self):
        """An initiative spanning the whole horizon is inside it."""
        built = rich(**changed("initiatives", 0, evolve(duration_months=60)))
        assert dt.date(2025, 12, 1) == built.initiatives[0].end


def thirty_months() -> dict:
    """The fields of :func:`parts` over 30 months: to June 2023, mid fiscal year 2023."""
    fields = {**parts(), "horizon_years": None, "horizon_months": 30}
    fields["phases"][1] = attrs.evolve(fields["phases"][1], end=dt.date(2023, 6, 1))
    fields["funds"][0] = attrs.evolve(fields["funds"][0], amounts={2021: 1e5, 2023: 5e4})
    return fields


class TestHorizonInMonths:
    """A horizon given in months instead of whole years (exactly one of the two)."""

    def test_thirty_months(self):
        """30 months from January 2021 end in June 2023, in a partial fiscal year 2023."""
        built = Programme(**thirty_months())
        assert (30, dt.date(2023, 6, 1)) == (built.months, built.last_month)
        assert (2021, 2022, 2023) == built.fiscal_years
        assert built.horizon_years is None

    def test_years_still_work(self):
        """horizon_years, by position or by name, keeps its meaning."""
        assert 60 == minimal().months
        assert rich().horizon_months is None
        assert 60 == rich(horizon_years=5).months
        positional = Programme("p", "P", "EUR", START, 2, 4)  # the fields after keep places
        assert (24, 4) == (positional.months, positional.fiscal_year_start_month)

    def test_neither(self):
        """A programme without a horizon is refused at horizon_years."""
        error = refused(**{**parts(), "horizon_years": None})
        assert (
            "1 problem:\n  horizon_years: expected exactly one of horizon_years or "
            "horizon_months, got neither"
        ) == str(error)

    def test_both(self):
        """Both forms at once are refused at horizon_months, even when they agree."""
        error = refused(**{**parts(), "horizon_years": 5, "horizon_months": 60})
        assert (
            "1 problem:\n  horizon_months: expected exactly one of horizon_years or "
            "horizon_months, got both"
        ) == str(error)

    @pytest.mark.parametrize(
        ("value", "given"),
        [(0, "0"), (-6, "-6"), (1201, "1201"), (30.0, "30.0"), (True, "True"), ("30", "'30'")],
    )
    def test_bad_values(self, value, given):
        """A month count outside 1-1,200 (100 years) or not a whole number is refused."""
        error = refused(**{**parts(), "horizon_years": None, "horizon_months": value})
        assert ("horizon_months",) == error.paths
        assert (
            f"horizon_months: expected a whole number of months from 1 to 1200, got {given}"
        ) == str(error.problems[0])

    def test_bounds(self):
        """One month and 1,200 months (the 100 years horizon_years allows) are accepted."""
        assert 1 == Programme("p", "P", "EUR", START, horizon_months=1).months
        longest = Programme("p", "P", "EUR", START, horizon_months=1200)
        assert Programme("p", "P", "EUR", START, 100).last_month == longest.last_month

    def test_dates_checked_against_the_months(self):
        """Dates and fiscal years are judged against the horizon in months."""
        fields = {**parts(), "horizon_years": None, "horizon_months": 30}
        error = refused(**fields)
        horizon = "(2021-01-01 to 2023-06-01)"
        assert (
            f"an end month inside the horizon {horizon}"
            == problem_at(error, "phases[1].end").expected
        )
        assert (
            "a fiscal year of the programme (2021 to 2023)"
            == problem_at(error, "funds[0].amounts[2025]").expected
        )

    def test_broken_horizon_skips_date_checks(self):
        """With a bad month count, only the programme's own problems are reported."""
        error = refused(**{**parts(), "horizon_years": None, "horizon_months": 0})
        assert ("horizon_months",) == error.paths

    def test_settlement_names_the_months(self):
        """A contract settling after a horizon in months names the months it needs."""
        fields = thirty_months()
        fields["contracts"][0] = attrs.evolve(fields["contracts"][0], run_off_months=7)
        error = refused(**fields)
        assert (
            "contracts[0].run_off_months: expected a settlement month (end + run_off_months) "
            "inside the horizon, which ends 2023-06 (horizon_months = 30), got 7 months: "
            "contract 'bond' settles in 2023-07, which needs horizon_months ≥ 31"
        ) == str(error.problems[0])
        fields["contracts"][0] = attrs.evolve(fields["contracts"][0], run_off_months=6)
        assert dt.date(2023, 6, 1) == Programme(**fields).contracts[0].settlement_month


class TestHorizonInFiles:
    """A horizon in months is read, written and described by the schema."""

    @pytest.fixture
    def programme(self) -> Programme:
        return Programme(**thirty_months())

    @pytest.mark.parametrize("fmt", ["toml", "json"])
    def test_round_trip(self, programme, fmt):
        """horizon_months is written as given, without horizon_years, and read back equal."""
        text = programma.dumps(programme, format=fmt)
        assert "horizon_months" in text
        assert "horizon_years" not in text
        assert programme == programma.loads(text, format=fmt)

    def test_toml_text(self, programme):
        """The TOML line is the plain count."""
        assert "horizon_months = 30" in programma.dumps(programme).splitlines()

    @pytest.mark.parametrize(
        ("line", "path", "expected"),
        [
            ("horizon_months = 2.5", "horizon_months", "a whole number"),
            ('horizon_months = "30"', "horizon_months", "a whole number"),
            ("horizon_months = 0", "horizon_months", "a whole number of months from 1 to 1200"),
            ("horizon_months = 30\nhorizon_years = 3", "horizon_months", "exactly one of"),
            ("", "horizon_years", "exactly one of"),
        ],
    )
    def test_bad_files(self, line, path, expected):
        """A bad or doubled horizon in a file is reported at its path."""
        text = (
            'format_version = 1\nid = "p"\nname = "P"\ncurrency = "EUR"\n'
            f"start = 2021-01-01\n{line}\n"
        )
        with pytest.raises(ValidationError) as exc:
            programma.loads(text)
        assert (path,) == exc.value.paths
        assert exc.value.problems[0].expected.startswith(expected)

    def test_schema_wants_exactly_one(self, programme):
        """The JSON Schema accepts either form of the horizon, and refuses both or neither."""
        jsonschema = pytest.importorskip("jsonschema")
        schema = programma.schema()
        data = json.loads(programma.dumps(programme, format="json"))
        jsonschema.validate(data, schema)
        jsonschema.validate(json.loads(programma.dumps(rich(), format="json")), schema)
        for broken in (
            {**data, "horizon_years": 3},
            {k: v for k, v in data.items() if k != "horizon_months"},
        ):
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(broken, schema)
        assert {"type": "integer"} == {
            k: v for k, v in schema["properties"]["horizon_months"].items() if k == "type"
        }


class TestSettlementInsideHorizon:
    """A contract settles (end + run-off) by the horizon's last month (DESIGN §4.8.2)."""

    def test_refused_with_its_message(self):
        """Settling a month after the horizon names the contract, the month and the horizon."""
        # werkfit ends 2022-12 (24 months from January 2021); the horizon ends 2025-12.
        fields = changed("contracts", 1, evolve(run_off_months=37))
        error = refused(**fields)
        assert ("contracts[1].run_off_months",) == error.paths
        assert (
            "1 problem:\n"
            "  contracts[1].run_off_months: expected a settlement month (end + run_off_months) "
            "inside the horizon, which ends 2025-12 (horizon_years = 5), got 37 months: "
            "contract 'pilot' settles in 2026-01, which needs horizon_years ≥ 6 or "
            "horizon_months ≥ 61"
        ) == str(error)

    def test_last_month_of_the_horizon_is_accepted(self):
        """L = T − 1 is inside the horizon; L = T is not."""
        built = rich(**changed("contracts", 0, evolve(run_off_months=36)))
        assert built.last_month == built.contracts[0].settlement_month
        error = refused(**changed("contracts", 0, evolve(run_off_months=37)))
        assert ("contracts[0].run_off_months",) == error.paths

    def test_with_an_end_month(self):
        """A contract given by its end month is judged the same way."""
        change = evolve(duration_months=None, end=dt.date(2025, 6, 1), run_off_months=7)
        error = refused(**changed("contracts", 0, change))
        problem = problem_at(error, "contracts[0].run_off_months")
        assert "contract 'bond' settles in 2026-01" in str(problem)

    def test_needed_years_round_up(self):
        """A settlement 13 months past a whole-year horizon needs two more years."""
        error = refused(**changed("contracts", 0, evolve(run_off_months=48)))
        assert str(problem_at(error, "contracts[0].run_off_months")).endswith(
            "settles in 2026-12, which needs horizon_years ≥ 6 or horizon_months ≥ 72"
        )
        error = refused(**changed("contracts", 0, evolve(run_off_months=49)))
        assert str(problem_at(error, "contracts[0].run_off_months")).endswith(
            "settles in 2027-01, which needs horizon_years ≥ 7 or horizon_months ≥ 73"
        )

    def test_reported_with_every_other_problem(self):
        """The settlement problem comes with the programme's other problems, at once."""
        fields = changed("contracts", 1, evolve(run_off_months=40))
        fields["currency"] = "euro"
        fields["funds"][0] = attrs.evolve(fields["funds"][0], owner="nobody")
        assert {"currency", "funds[0].owner", "contracts[1].run_off_months"} == set(
            refused(**fields).paths
        )

    def test_end_outside_is_reported_once(self):
        """A contract that already ends after the horizon is reported at its end only."""
        error = refused(**changed("contracts", 0, evolve(duration_months=61, run_off_months=6)))
        assert ("contracts[0].duration_months",) == error.paths

    def test_cut_guarantee_is_refused(self):
        """A run-off cut by the horizon, which used to settle a guarantee early, is refused.

        The investor draws 400, 400 and 200 (the cost of months 0–2). 10 enrolled a month in
        months 0–5 reach a €400 outcome 30 months later (share 0.15 over a 0.1 baseline: €200
        a month), verified 3 months on (months 33–38) and paid quarterly: €600 in months 35
        and 38, both below the investor's entitlement. Settled at month 41 the guarantee is
        max(0, 0.8 × 1,000 − 1,200) = 0; cut at month 35, as the horizon of three years once
        did, it was 0.8 × 1,000 − 600 = €200, an artefact of the cut.
        """
        work = Initiative("work", "Work", "prov", 1200, START, 3)
        metric = OutcomeMetric("job", "A job", 400, 0.15, baseline=0.1, time_to_outcome=30)
        financing = InvestorFinancing(
            "inv", 1000, 0.12, capital_protection=0.8, guarantor="guar", guarantor_fund="topup"
        )
        deal = builders.contract(
            initiatives=["work"], metrics=[metric], financing=financing, run_off_months=18
        )
        with pytest.raises(ValidationError) as exc:
            builders.base_programme(initiatives=[work], contracts=[deal])
        assert (
            "contracts[0].run_off_months: expected a settlement month (end + run_off_months) "
            "inside the horizon, which ends 2023-12 (horizon_years = 3), got 18 months: "
            "contract 'c' settles in 2024-06, which needs horizon_years ≥ 4 or "
            "horizon_months ≥ 42"
        ) == str(exc.value.problems[0])
        longer = builders.base_programme(horizon_years=4, initiatives=[work], contracts=[deal])
        projection = programma.project(longer)
        assert np.allclose(
            builders.at([35, 38], [600, 600], 48),
            builders.series(projection, flow="investor_distribution"),
        )
        assert np.allclose(np.zeros(48), builders.series(projection, flow="guarantee_payment"))


class TestFiscalYears:
    """Fund amounts and payer caps are for the programme's fiscal years."""

    def test_fund_year_outside(self):
        """A fund amount for a year the programme does not reach is refused."""
        fund = Fund("results", "Results", FundKind.RESULTS, "gemeente", {2020: 1, 2026: 1})
        error = refused(**{**parts(), "funds": [fund, parts()["funds"][1]]})
        assert ("funds[0].amounts[2020]", "funds[0].amounts[2026]") == error.paths
        assert (
            "funds[0].amounts[2026]: expected a fiscal year of the programme (2021 to 2025), "
            "got 2026"
        ) in str(error)

    def test_cap_year_outside(self):
        """A payer's cap for a year the programme does not reach is refused."""
        payers = [PayerShare("gemeente", "results", 1.0, {2030: 5})]
        error = refused(**changed("contracts", 0, evolve(payers=payers)))
        assert ("contracts[0].payers[0].fiscal_year_caps[2030]",) == error.paths
        assert (
            "contracts[0].payers[0].fiscal_year_caps[2030]: expected a fiscal year of the "
            "programme (2021 to 2025), got 2030"
        ) in str(error)

    def test_fiscal_years_follow_the_start_month(self):
        """With fiscal years from April, a January start lies in the previous fiscal year."""
        fields = changed("funds", 0, evolve(amounts={2020: 1, 2025: 1}))
        built = Programme(**{**fields, "fiscal_year_start_month": 4})
        assert (2020, 2021, 2022, 2023, 2024, 2025) == built.fiscal_years
        fields = changed("funds", 0, evolve(amounts={2026: 1}))
        error = refused(**{**fields, "fiscal_year_start_month": 4})
        assert "a fiscal year of the programme (2020 to 2025)" == (
            problem_at(error, "funds[0].amounts[2026]").expected
        )


class TestPhases:
    """Phases do not overlap unless one of them is parallel."""

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (dt.date(2021, 12, 1), dt.date(2025, 12, 1)),
            (dt.date(2021, 3, 1), dt.date(2021, 4, 1)),
            (START, dt.date(2025, 12, 1)),
        ],
    )
    def test_overlap(self, start, end):
        """An overlapping phase is reported at the later-listed phase, naming the other."""
        error = refused(**changed("phases", 1, evolve(start=start, end=end)))
        assert ("phases[1]",) == error.paths
        assert (
            "phases[1]: expected a phase that does not overlap phase 'pilot' (2021-01-01 to "
            "2021-12-01) unless one of them is marked parallel, got "
            f"{start.isoformat()} to {end.isoformat()}"
        ) in str(error)

    @pytest.mark.parametrize("index", [0, 1])
    def test_parallel_may_overlap(self, index):
        """If either phase is parallel, overlap is allowed."""
        fields = changed("phases", 1, evolve(start=dt.date(2021, 6, 1)))
        fields["phases"][index] = attrs.evolve(fields["phases"][index], parallel=True)
        assert 2 == len(Programme(**fields).phases)

    def test_every_overlapping_pair(self):
        """Each overlapping pair is reported."""
        extra = Phase("extra", "Extra", PhaseKind.EMBEDDING, START, dt.date(2025, 12, 1))
        error = refused(**{**parts(), "phases": [*parts()["phases"], extra]})
        assert ("phases[2]", "phases[2]") == error.paths


# -- gates -----------------------------------------------------------------------------------------


class TestGates:
    """A gate tests a metric of a contract; only a pre-financing gate steps in."""

    def test_condition_metric_exists(self):
        """The condition's metric is one of the condition's contract's metrics."""
        error = refused(**changed("gates", 1, evolve_nested("condition", metric="debt")))
        assert ("gates[1].condition.metric",) == error.paths
        assert (
            "gates[1].condition.metric: expected the id of one of contract 'bond''s metrics "
            "('job'), got 'debt'"
        ) in str(error)

    @pytest.mark.parametrize("side", ["if_met", "if_not_met"])
    def test_step_in_only_for_prefinancing_gate(self, side):
        """A contract gate that no pre-financing names cannot step in, on either side."""
        gate = Gate(
            "review",
            dt.date(2022, 1, 1),
            GateCondition("bond", "job", GateMeasure.COUNT, 10),
            if_met=Decision(Action.CONTINUE),
            if_not_met=Decision(Action.STOP),
            contract="bond",
        )
        gate = attrs.evolve(gate, **{side: Decision(Action.STEP_IN)})
        error = refused(**{**parts(), "gates": [*parts()["gates"], gate]})
        path = f"gates[2].{side}.action"
        assert (path,) == error.paths
        assert (
            f"{path}: expected continue, scale or stop ('step-in' is for the gate a contract's "
            "pre-financing names), got 'step-in'"
        ) in str(error)


class TestPrefinancingGate:
    """A pre-financing gate acts on its contract, decides step-in/stop, after the start."""

    def test_acts_on_its_contract(self):
        """The gate a pre-financing names acts on that contract."""
        fields = changed("gates", 0, evolve(contract="bond"))
        error = refused(**fields)
        assert ("contracts[1].financing.gate",) == error.paths
        assert (
            "contracts[1].financing.gate: expected a gate that acts on this contract ('pilot'), "
            "got 'step-in', which acts on 'bond'"
        ) in str(error)

    def test_not_a_gate_on_an_initiative(self):
        """A gate on an initiative cannot be a pre-financing gate."""
        error = refused(
            **changed("contracts", 1, evolve_nested("financing", gate="scale-coaching"))
        )
        assert "contracts[1].financing.gate" in error.paths
        assert (
            "contracts[1].financing.gate: expected a gate that acts on this contract ('pilot'), "
            "got 'scale-coaching', which acts on 'coaching'"
        ) in str(error)

    @pytest.mark.parametrize(
        ("if_met", "if_not_met", "given"),
        [
            (Decision(Action.CONTINUE), Decision(Action.STOP), "'continue' if met and 'stop'"),
            (
                Decision(Action.STEP_IN),
                Decision(Action.CONTINUE),
                "'step-in' if met and 'continue'",
            ),
            (Decision(Action.STOP), Decision(Action.STEP_IN), "'stop' if met and 'step-in'"),
        ],
    )
    def test_decides_step_in_and_stop(self, if_met, if_not_met, given):
        """The gate steps in if met and stops if not."""
        error = refused(**changed("gates", 0, evolve(if_met=if_met, if_not_met=if_not_met)))
        assert ("contracts[1].financing.gate",) == error.paths
        assert (
            "contracts[1].financing.gate: expected a pre-financing gate that decides 'step-in' "
            f"if met and 'stop' if not, got 'step-in', deciding {given} if not"
        ) in str(error)

    @pytest.mark.parametrize("month", [START, dt.date(2020, 12, 1)])
    def test_after_contract_start(self, month):
        """The gate month lies after the contract's start."""
        error = refused(**changed("gates", 0, evolve(month=month)))
        path = "contracts[1].financing.gate"
        assert (
            "a gate month after the contract's start (2021-01-01)"
            == problem_at(error, path).expected
        )
        assert (
            f"{path}: expected a gate month after the contract's start (2021-01-01), got "
            f"'step-in' in {month.isoformat()}"
        ) in str(error)

    @pytest.mark.parametrize("months", [5, 7])
    def test_months_agree_with_gate(self, months):
        """Months given with a gate end at the gate month."""
        error = refused(**changed("contracts", 1, evolve_nested("financing", months=months)))
        assert ("contracts[1].financing.months",) == error.paths
        assert (
            "contracts[1].financing.months: expected months that end at the gate month "
            f"2021-07-01 (6 months), or no months, got {months}"
        ) in str(error)

    def test_matching_months(self):
        """Months that end at the gate month are accepted."""
        built = rich(**changed("contracts", 1, evolve_nested("financing", months=6)))
        assert 6 == built.contracts[1].financing.months

    def test_gate_named_by_two_contracts(self):
        """One gate serves one contract's pre-financing only."""
        fields = parts()
        second = attrs.evolve(fields["contracts"][1], id="pilot-2")
        fields["contracts"] = [*fields["contracts"], second]
        error = refused(**fields)
        path = "contracts[2].financing.gate"
        assert path in error.paths
        assert (
            f"{path}: expected a gate named by one contract's pre-financing only, got "
            "'step-in', also named by 'pilot'"
        ) in str(error)


# -- parameters ------------------------------------------------------------------------------------


# Distributions as a file writes them.
FIXED = {"dist": "fixed", "value": 1}


def ref(name: str) -> dict:
    return {"dist": "parameter", "name": name}


def yearly(dist: dict) -> dict:
    return {"dist": "yearly", "by_year": {"2021": dist}}


class TestParameterReferences:
    """References resolve to programme parameters, which are not references themselves."""

    @pytest.mark.parametrize(
        ("change", "path"),
        [
            (evolve(overrun=Ref("recession")), "initiatives[0].overrun.name"),
            (
                evolve(indexation=Yearly({2021: 0.02, 2023: Ref("recession")})),
                "initiatives[0].indexation.by_year[2023].name",
            ),
        ],
    )
    def test_unknown_parameter(self, change, path):
        """A reference to an unknown parameter is reported, listing the parameters."""
        error = refused(**changed("initiatives", 0, change))
        assert (path,) == error.paths
        assert (
            f"{path}: expected the id of a programme parameter ('shock'), got 'recession'"
            in str(error)
        )

    def test_no_parameters(self):
        """Without parameters the message says none are defined."""
        error = refused(**{**changed("initiatives", 0, evolve(overrun=Ref("x"))), "parameters": []})
        assert (
            "initiatives[0].overrun.name: expected the id of a programme parameter (none are "
            "defined), got 'x'"
        ) in str(error)

    def test_refs_are_judged_by_their_parameter(self):
        """A bounded field refers to a parameter that stays inside its domain."""
        metric = attrs.evolve(contract().metrics[0], share_achieving=Ref("rate"))
        fields = changed("contracts", 0, evolve(metrics=[metric]))
        fields["parameters"] = [*fields["parameters"], Parameter("rate", Normal(0.4, 0.1))]
        error = refused(**fields)
        path = "contracts[0].metrics[0].share_achieving"
        assert (path,) == error.paths
        assert (
            f"{path}: expected a distribution whose values stay in [0, 1] (truncate it explicitly "
            "with low/high), got parameter(name='rate'), which ranges over (−∞, ∞)"
        ) in str(error)
        fields["parameters"][-1] = Parameter("rate", Normal(0.4, 0.1, low=0, high=1))
        assert Ref("rate") == Programme(**fields).contracts[0].metrics[0].share_achieving

    def test_scaled_ref_is_judged_after_scaling(self):
        """factor × parameter + offset must stay in the field's domain."""
        metric = attrs.evolve(contract().metrics[0], share_achieving=Ref("rate", factor=2))
        fields = changed("contracts", 0, evolve(metrics=[metric]))
        fields["parameters"] = [*fields["parameters"], Parameter("rate", Uniform(0.3, 0.6))]
        assert ("contracts[0].metrics[0].share_achieving",) == refused(**fields).paths

    def test_yearly_parameter_in_scalar_field(self):
        """A yearly parameter cannot be used where one value per scenario is expected."""
        metric = attrs.evolve(contract().metrics[0], price=Ref("price-path"))
        fields = changed("contracts", 0, evolve(metrics=[metric]))
        fields["parameters"] = [
            *fields["parameters"],
            Parameter("price-path", Yearly({2021: 8_000, 2024: 9_000})),
        ]
        error = refused(**fields)
        path = "contracts[0].metrics[0].price"
        assert (path,) == error.paths
        assert (
            f"{path}: expected a distribution of one value per scenario (yearly paths are for "
            "indexation rates), got parameter(name='price-path')"
        ) in str(error)

    def test_yearly_parameter_in_indexation(self):
        """A yearly parameter may be an indexation rate."""
        fields = changed("initiatives", 0, evolve(indexation=Ref("growth")))
        fields["parameters"] = [*fields["parameters"], Parameter("growth", Yearly({2021: 0.02}))]
        assert Ref("growth") == Programme(**fields).initiatives[0].indexation

    @pytest.mark.parametrize(
        "parameters",
        [
            pytest.param([("x", ref("shock")), ("shock", FIXED)], id="another"),
            pytest.param([("x", yearly(ref("shock"))), ("shock", FIXED)], id="yearly-another"),
            pytest.param([("x", ref("x"))], id="itself"),
            pytest.param([("x", yearly(ref("x")))], id="yearly-itself"),
            pytest.param([("x", ref("y")), ("y", ref("x"))], id="each-other"),
        ],
    )
    def test_parameter_that_is_a_reference(self, parameters):
        """A parameter that refers to a parameter (itself too) is reported, not a crash."""
        # Read from a file, so that the parameter does not refuse itself on construction
        # and the programme must judge fields that refer to it without looping forever.
        data = {
            "format_version": 1,
            "id": "p",
            "name": "P",
            "currency": "EUR",
            "start": "2021-01",
            "horizon_years": 5,
            "parameters": [{"id": id_, "distribution": dist} for id_, dist in parameters],
            "stakeholders": [{"id": "owner", "name": "Owner", "kind": "provider"}],
            "funds": [{"id": "f", "name": "F", "kind": "results", "owner": "owner"}],
            "initiatives": [
                {
                    "id": "i",
                    "name": "I",
                    "owner": "owner",
                    "commitment": ref("x"),
                    "indexation": ref("x"),
                    "start": "2021-01",
                    "duration_months": 12,
                    "funds": [{"fund": "f", "share": 1.0}],
                }
            ],
        }
        with pytest.raises(ValidationError) as exc:
            programma.loads(json.dumps(data), format="json")
        assert "a distribution, not a reference to another parameter" == (
            problem_at(exc.value, "parameters[0].distribution").expected
        )


# -- calendar limits -------------------------------------------------------------------------------

HUGE = 1_000_000
HUGE_COUNTS = [
    # (collection, index, change, paths at which the problem may be reported)
    (
        "initiatives",
        0,
        evolve(duration_months=HUGE),
        ("initiatives[0].duration_months", "duration_months"),
    ),
    (
        "contracts",
        0,
        evolve(duration_months=HUGE),
        ("contracts[0].duration_months", "duration_months"),
    ),
    (
        "contracts",
        0,
        lambda c: attrs.evolve(c, enrolment=Enrolment([EnrolmentWindow(START, HUGE, per_month=1)])),
        ("contracts[0].enrolment.windows[0]", "enrolment.windows[0]", "months"),
    ),
    (
        "contracts",
        1,
        evolve_nested("financing", months=HUGE),
        ("contracts[1].financing.months", "months"),
    ),
]


class TestCalendarLimits:
    """Month counts and dates far past any horizon are problems, not crashes."""

    @pytest.mark.parametrize(
        ("collection", "index", "change", "paths"),
        [pytest.param(*row, id=row[3][0]) for row in HUGE_COUNTS],
    )
    def test_huge_month_counts(self, collection, index, change, paths):
        """A month count beyond 1,200 is reported at its field."""
        with pytest.raises(ValidationError) as exc:
            Programme(**changed(collection, index, change))
        assert set(paths) & set(exc.value.paths)

    def test_horizon_past_year_9999(self):
        """A start after 2300 is reported at the start, with no crash on the horizon."""
        with pytest.raises(ValidationError) as exc:
            Programme(**{**parts(), "start": dt.date(9999, 1, 1), "horizon_years": 2})
        assert {"start", "horizon_years"} & set(exc.value.paths)


# -- every problem at once -------------------------------------------------------------------------


class TestAllAtOnce:
    """A programme reports every problem it has in one error."""

    def test_several_different_problems(self):
        """Own fields, references, shares, dates, phases and gates are all reported together."""
        fields = parts()
        fields["currency"] = "euro"
        fields["funds"][0] = attrs.evolve(fields["funds"][0], owner="nobody")
        fields["initiatives"][0] = attrs.evolve(
            fields["initiatives"][0], funds=[share("results", 0.5)], start=dt.date(2020, 1, 1)
        )
        fields["phases"][1] = attrs.evolve(fields["phases"][1], start=dt.date(2021, 6, 1))
        fields["gates"][1] = attrs.evolve(
            fields["gates"][1], condition=attrs.evolve(fields["gates"][1].condition, metric="m")
        )
        fields["stakeholders"] = [*fields["stakeholders"], fields["stakeholders"][0]]
        error = refused(**fields)
        expected = {
            "currency",
            "stakeholders[5].id",
            "funds[0].owner",
            "initiatives[0].start",
            "initiatives[0].duration_months",
            "initiatives[0].funds",
            "gates[1].condition.metric",
            "phases[1]",
        }
        assert expected == set(error.paths)
        assert str(error).startswith(f"{len(expected)} problems:\n")
        assert len(expected) == len(str(error).splitlines()) - 1

    def test_broken_time_frame_skips_date_checks(self):
        """With no valid start, only the programme's own problems are reported."""
        error = refused(**{**parts(), "start": dt.date(2021, 1, 15)})
        assert ("start",) == error.paths


# -- helpers ---------------------------------------------------------------------------------------


class TestTimeHelpers:
    """Months, the last month, fiscal years and month indices."""

    def test_months_and_last_month(self):
        """A horizon of n years has 12n months, the last one 12n − 1 after the start."""
        built = Programme("p", "P", "EUR", dt.date(2021, 4, 1), 20)
        assert (240, dt.date(2041, 3, 1)) == (built.months, built.last_month)

    @pytest.mark.parametrize(
        ("month", "expected"),
        [
            (dt.date(2021, 1, 1), 2020),
            (dt.date(2021, 3, 1), 2020),
            (dt.date(2021, 4, 1), 2021),
            (dt.date(2021, 12, 1), 2021),
            (dt.date(2022, 3, 1), 2021),
            (dt.date(2022, 4, 1), 2022),
        ],
    )
    def test_fiscal_year_from_april(self, month, expected):
        """With fiscal years from April, a year is labelled by the calendar year it starts in."""
        built = attrs.evolve(minimal(), fiscal_year_start_month=4)
        assert expected == built.fiscal_year(month)

    @pytest.mark.parametrize("month", [dt.date(2021, 1, 1), dt.date(2021, 12, 1)])
    def test_calendar_fiscal_year(self, month):
        """With the default start month, the fiscal year is the calendar year."""
        assert 2021 == minimal().fiscal_year(month)

    @pytest.mark.parametrize(
        ("start_month", "start", "expected"),
        [
            (1, dt.date(2021, 1, 1), (2021, 2022)),
            (4, dt.date(2021, 1, 1), (2020, 2021, 2022)),
            (4, dt.date(2021, 4, 1), (2021, 2022)),
            (7, dt.date(2021, 3, 1), (2020, 2021, 2022)),
        ],
    )
    def test_fiscal_years(self, start_month, start, expected):
        """Every fiscal year the horizon touches, in order."""
        built = Programme("p", "P", "EUR", start, 2, fiscal_year_start_month=start_month)
        assert expected == built.fiscal_years

    @pytest.mark.parametrize(
        ("month", "expected"),
        [
            (START, 0),
            (dt.date(2022, 3, 1), 14),
            (dt.date(2025, 12, 1), 59),
            (dt.date(2020, 12, 1), -1),
        ],
    )
    def test_month_index(self, month, expected):
        """The index of a month on the programme's grid."""
        assert expected == minimal().month_index(month)


class TestLookups:
    """find and parameter_distributions."""

    @pytest.mark.parametrize(
        ("collection", "entity_id"),
        [("contracts", "pilot"), ("funds", "pilot-fund"), ("gates", "step-in"), ("areas", "oost")],
    )
    def test_find(self, collection, entity_id):
        """find returns the entity with that id."""
        found = rich().find(collection, entity_id)
        assert entity_id == found.id
        assert found in getattr(rich(), collection)

    def test_find_missing(self):
        """find raises KeyError for an unknown id."""
        with pytest.raises(KeyError, match="no contracts entity with id 'x'"):
            rich().find("contracts", "x")

    def test_parameter_distributions(self):
        """The parameters as a mapping from id to distribution."""
        parameters = [
            Parameter("shock", 1),
            Parameter("growth", Yearly({2021: Uniform(0, 0.1)})),
        ]
        assert {
            "shock": Fixed(1),
            "growth": Yearly({2021: Uniform(0, 0.1)}),
        } == rich(parameters=parameters).parameter_distributions

    def test_no_parameters(self):
        """Without parameters the mapping is empty."""
        assert {} == minimal().parameter_distributions


class TestHorizonShown:
    """The overview (``programma show``) states the horizon as it was given."""

    def test_in_months(self):
        """A horizon in months is shown in months only."""
        from programma.report.programme import describe_programme

        lines = describe_programme(Programme(**thirty_months())).splitlines()
        assert "  2021-01-01 to 2023-06-01: 30 months; fiscal years start in month 1" == lines[1]

    def test_in_years(self):
        """A horizon in years is shown in years and months."""
        from programma.report.programme import describe_programme

        lines = describe_programme(rich()).splitlines()
        assert (
            "  2021-01-01 to 2025-12-01: 5 years, 60 months; fiscal years start in month 1"
            == (lines[1])
        )


class TestNestedFields:
    def test_every_field_holding_an_entity_is_walked(self) -> None:
        """The validation walk looks into every field of the example that holds attrs values."""
        import attrs

        from programma.examples import leeuwarden_oost
        from programma.model.checks import nested_fields

        missed = set()
        stack: list[object] = [leeuwarden_oost()]
        while stack:
            obj = stack.pop()
            for field in attrs.fields(type(obj)):
                value = getattr(obj, field.name)
                items = value if isinstance(value, tuple) else (value,)
                held = [
                    item[1] if isinstance(item, tuple) and len(item) == 2 else item
                    for item in items
                ]
                held = [item for item in held if attrs.has(type(item))]
                if held and field.name not in nested_fields(type(obj)):
                    missed.add(f"{type(obj).__name__}.{field.name}")
                stack.extend(held)
        assert set() == missed
