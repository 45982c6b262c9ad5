"""Tests for the shipped example programme, Leeuwarden Oost."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import attrs
import jsonschema
import pytest

import programma
from programma import (
    Action,
    AdvanceFinancing,
    ExperienceKind,
    FinancingMode,
    FundKind,
    InterestScale,
    InvestorFinancing,
    PhaseKind,
    Prefinancing,
    Programme,
    ProviderFinancing,
    Ref,
    Role,
    Schedule,
    StakeholderKind,
)
from programma.examples import EXAMPLES, example_text, leeuwarden_oost
from programma.files.programme_files import to_data

NEIGHBOURHOODS = {
    "Oud-Oost",
    "Bilgaard",
    "Vrijheidswijk",
    "Heechterp-Schieringen",
    "Camminghaburen",
}


@pytest.fixture(scope="module")
def programme() -> Programme:
    return leeuwarden_oost()


def _refs(obj: Any) -> Iterator[Ref]:
    """Every reference to a named parameter anywhere inside ``obj``."""
    if isinstance(obj, Ref):
        yield obj
    if attrs.has(type(obj)):
        for field in attrs.fields(type(obj)):
            yield from _refs(getattr(obj, field.name))
    elif isinstance(obj, tuple):
        for item in obj:
            yield from _refs(item)


def _months_between(first: dt.date, later: dt.date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def _phase_of(programme: Programme, kind: PhaseKind) -> programma.Phase:
    return next(phase for phase in programme.phases if phase.kind is kind)


def _provider_total(projection: programma.Projection, flow: str) -> float:
    """A flow of the provider-financed contract, summed over the horizon."""
    return float(projection.total(flow=flow, contract="vroeg-eropaf-oost").sum())


class TestLoads:
    def test_loads_a_programme(self, programme):
        """The example loads into a Programme."""
        assert isinstance(programme, Programme)
        assert "leeuwarden-oost" == programme.id

    def test_is_listed(self):
        """The example is listed among the shipped examples by its file name."""
        assert "leeuwarden-oost.toml" == EXAMPLES["leeuwarden-oost"]

    def test_spans_2021_to_2041(self, programme):
        """Twenty years, from a month in 2021 to a month in 2041."""
        assert 20 == programme.horizon_years
        assert 2021 == programme.start.year
        assert 2041 == programme.last_month.year

    def test_time_frame_and_money(self, programme):
        """Euros, calendar fiscal years, a price base date and the Dutch discount rate."""
        assert "EUR" == programme.currency
        assert 1 == programme.fiscal_year_start_month
        assert programme.price_base_date is not None
        assert "nl-2021" == programme.discount_rate

    def test_states_the_shared_interest(self, programme):
        """What binds the partners is written down."""
        assert "poverty" in (programme.shared_interest or "")


class TestRoundTrip:
    @pytest.mark.parametrize("fmt", ["toml", "json"])
    def test_round_trips(self, programme, fmt):
        """Dumping and loading gives an equal programme."""
        text = programma.dumps(programme, format=fmt)
        assert programme == programma.loads(text, format=fmt)


class TestSchema:
    def test_json_form_validates(self, programme):
        """The JSON form of the example validates against the JSON Schema."""
        schema = programma.schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(to_data(programme)))
        assert [] == [error.message for error in errors]


class TestSources:
    def test_every_number_has_a_comment(self):
        """Every line with a number outside a string carries a comment (source or rationale)."""
        missing = []
        for number, line in enumerate(example_text().splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            code = line.split(" #", 1)[0]
            bare = re.sub(r'"[^"]*"', '""', code)
            if re.search(r"\d", bare) and "#" not in line:
                missing.append(number)
        assert [] == missing

    def test_assumptions_are_marked(self):
        """Assumptions are marked as such, not passed off as sources."""
        assert example_text().count("assumption") > 20


class TestAreas:
    def test_five_named_neighbourhoods(self, programme):
        """The five neighbourhoods of Leeuwarden Oost, by name."""
        assert NEIGHBOURHOODS == {area.name for area in programme.areas}

    def test_population_about_36000(self, programme):
        """Every neighbourhood has a population, together about 36,000 residents."""
        populations = [area.population for area in programme.areas]
        assert None not in populations
        assert 36_000 == pytest.approx(sum(populations), rel=0.05)

    def test_cbs_codes(self, programme):
        """Official codes, where given, are CBS wijk codes of Leeuwarden (GM0080)."""
        codes = [area.code for area in programme.areas if area.code is not None]
        assert codes
        assert all(re.fullmatch(r"WK0080\d\d", code) for code in codes)


class TestFunds:
    def test_four_funds_and_the_municipal_budget(self, programme):
        """The donations, pilot, results and impact-investment funds and the budget line."""
        expected = {
            FundKind.DONATIONS,
            FundKind.PILOT,
            FundKind.RESULTS,
            FundKind.IMPACT_INVESTMENT,
            FundKind.MUNICIPAL_BUDGET,
        }
        assert expected <= {fund.kind for fund in programme.funds}

    def test_amounts_and_owners(self, programme):
        """Every fund has amounts per fiscal year and an owner among the stakeholders."""
        owners = {stakeholder.id for stakeholder in programme.stakeholders}
        assert all(fund.amounts for fund in programme.funds)
        assert all(fund.owner in owners for fund in programme.funds)

    def test_carry_over_where_sensible(self, programme):
        """Some funds carry unspent budget over; the municipal budget line does not."""
        by_kind = {fund.kind: fund for fund in programme.funds}
        assert by_kind[FundKind.RESULTS].carry_over
        assert not by_kind[FundKind.MUNICIPAL_BUDGET].carry_over


class TestPhases:
    def test_at_least_four_phases(self, programme):
        """At least four phases, from exploration to implementation and beyond."""
        kinds = {phase.kind for phase in programme.phases}
        assert len(programme.phases) >= 4
        assert {PhaseKind.EXPLORATION, PhaseKind.PILOT, PhaseKind.IMPLEMENTATION} <= kinds

    def test_consecutive_and_not_overlapping(self, programme):
        """Phases follow each other month by month, covering the whole horizon."""
        phases = sorted(programme.phases, key=lambda phase: phase.start)
        assert not any(phase.parallel for phase in phases)
        assert programme.start == phases[0].start
        assert programme.last_month == phases[-1].end
        for first, second in itertools.pairwise(phases):
            assert 1 == _months_between(first.end, second.start)


class TestStakeholders:
    def test_at_least_ten_of_six_kinds(self, programme):
        """At least ten stakeholders of at least six kinds."""
        assert len(programme.stakeholders) >= 10
        assert len({stakeholder.kind for stakeholder in programme.stakeholders}) >= 6

    def test_the_kinds_the_lessons_name(self, programme):
        """Municipality, residents, experts, providers, investor, partner, risk-coverers."""
        expected = {
            StakeholderKind.MUNICIPALITY,
            StakeholderKind.PROVIDER,
            StakeholderKind.RESIDENT,
            StakeholderKind.LIVED_EXPERIENCE_EXPERT,
            StakeholderKind.INVESTOR,
            StakeholderKind.EXTERNAL_PARTNER,
            StakeholderKind.FUNDER,
            StakeholderKind.PROCUREMENT,
            StakeholderKind.LEGAL,
            StakeholderKind.OTHER_MUNICIPALITY,
            StakeholderKind.OTHER,
        }
        assert expected == {stakeholder.kind for stakeholder in programme.stakeholders}


class TestEngagements:
    def test_every_phase_has_people_at_the_table(self, programme):
        """Every phase has engagements, each with a reason."""
        phases = Counter(engagement.phase for engagement in programme.engagements)
        assert {phase.id for phase in programme.phases} == set(phases)
        assert all(engagement.reason for engagement in programme.engagements)

    def test_lived_experience_is_secured(self, programme):
        """Lived-experience experts have a question, a concrete role and a kind of experience."""
        experts = [
            engagement
            for engagement in programme.engagements
            if engagement.role is Role.LIVED_EXPERIENCE_EXPERT
        ]
        assert {phase.id for phase in programme.phases} == {e.phase for e in experts}
        for engagement in experts:
            assert engagement.question
            assert engagement.concrete_role
            assert engagement.experience is not None
            assert engagement.experience_subject

    def test_specific_experience_when_plans_become_concrete(self, programme):
        """Specific experience is asked for in concretisation, general at the start."""
        kinds = {
            engagement.phase: engagement.experience
            for engagement in programme.engagements
            if engagement.role is Role.LIVED_EXPERIENCE_EXPERT
        }
        exploration = _phase_of(programme, PhaseKind.EXPLORATION)
        concretisation = _phase_of(programme, PhaseKind.CONCRETISATION)
        assert ExperienceKind.GENERAL is kinds[exploration.id]
        assert ExperienceKind.SPECIFIC is kinds[concretisation.id]

    def test_a_critical_friend(self, programme):
        """Someone is at the table as a critical friend."""
        roles = {engagement.role for engagement in programme.engagements}
        assert Role.CRITICAL_FRIEND in roles

    def test_risk_coverers_join_when_plans_become_concrete(self, programme):
        """Procurement and legal are not in exploration, and are there from concretisation."""
        kinds = {s.id: s.kind for s in programme.stakeholders}
        risk = {StakeholderKind.PROCUREMENT, StakeholderKind.LEGAL}
        exploration = _phase_of(programme, PhaseKind.EXPLORATION)
        concretisation = _phase_of(programme, PhaseKind.CONCRETISATION)
        at_table = {
            phase: {kinds[e.stakeholder] for e in programme.engagements if e.phase == phase}
            for phase in (exploration.id, concretisation.id)
        }
        assert not risk & at_table[exploration.id]
        assert risk <= at_table[concretisation.id]

    def test_the_group_grows_towards_implementation(self, programme):
        """The group is smallest at first and grows phase by phase up to implementation."""
        counts = Counter(engagement.phase for engagement in programme.engagements)
        phases = sorted(programme.phases, key=lambda phase: phase.start)
        implementation = _phase_of(programme, PhaseKind.IMPLEMENTATION)
        growing = [counts[phase.id] for phase in phases if phase.start <= implementation.start]
        assert min(counts.values()) == growing[0]
        assert sorted(growing) == growing
        assert max(counts.values()) == counts[implementation.id]


class TestInterests:
    def test_all_three_scales(self, programme):
        """Interests at neighbourhood, programme-area and system scale."""
        assert set(InterestScale) == {interest.scale for interest in programme.interests}

    def test_neighbourhood_interests_name_their_areas(self, programme):
        """A neighbourhood-scale interest says which neighbourhoods it concerns."""
        local = [i for i in programme.interests if i.scale is InterestScale.NEIGHBOURHOOD]
        assert all(interest.areas for interest in local)

    def test_every_stakeholder_has_its_own_interest(self, programme):
        """Each stakeholder's own interest is recorded."""
        holders = {interest.stakeholder for interest in programme.interests}
        assert {stakeholder.id for stakeholder in programme.stakeholders} == holders


class TestInitiatives:
    def test_a_quick_win_early_serving_the_long_term(self, programme):
        """A quick win starts within two years and serves a programme-area or system interest."""
        scales = {interest.id: interest.scale for interest in programme.interests}
        quick = [initiative for initiative in programme.initiatives if initiative.quick_win]
        assert quick
        for initiative in quick:
            assert _months_between(programme.start, initiative.start) < 24
            wide = {scales[i] for i in initiative.interests} - {InterestScale.NEIGHBOURHOOD}
            assert wide

    def test_a_pilot(self, programme):
        """At least one initiative is a pilot."""
        assert any(initiative.pilot for initiative in programme.initiatives)

    def test_funds_or_a_contract_pay(self, programme):
        """An initiative paid by a contract lists no funds; the others' shares sum to 1."""
        paid_by_contract = {i for contract in programme.contracts for i in contract.initiatives}
        for initiative in programme.initiatives:
            if initiative.id in paid_by_contract:
                assert () == initiative.funds
            else:
                assert 1.0 == pytest.approx(sum(share.share for share in initiative.funds))


class TestParameters:
    def test_every_parameter_is_used(self, programme):
        """Every named parameter is referred to by some field."""
        used = {ref.name for ref in _refs(programme)}
        assert {parameter.id for parameter in programme.parameters} == used

    def test_labour_market_is_a_common_shock(self, programme):
        """The labour-market shock drives the share achieving of metrics in several contracts."""
        contracts = {
            contract.id
            for contract in programme.contracts
            for metric in contract.metrics
            if isinstance(metric.share_achieving, Ref)
            and "labour_market" == metric.share_achieving.name
        }
        assert len(contracts) >= 2


class TestContracts:
    def test_every_financing_mode(self, programme):
        """Each of the four financing modes finances some contract."""
        modes = {contract.financing.mode for contract in programme.contracts}
        assert set(FinancingMode) == modes

    def test_contract_paid_initiatives_belong_to_the_provider(self, programme):
        """Each initiative a contract pays for is owned by that contract's provider."""
        for contract in programme.contracts:
            assert contract.initiatives
            for initiative_id in contract.initiatives:
                initiative = programme.find("initiatives", initiative_id)
                assert contract.provider == initiative.owner

    def test_payers_pay_from_their_own_funds(self, programme):
        """Every payer share names a fund that the paying stakeholder owns."""
        for contract in programme.contracts:
            for payer in contract.payers:
                assert payer.payer == programme.find("funds", payer.fund).owner

    def test_investor_calibrated_on_rotterdam(self, programme):
        """The investor puts in €680,000 at a 12% return cap, partly protected by a guarantor."""
        financing = next(
            contract.financing
            for contract in programme.contracts
            if isinstance(contract.financing, InvestorFinancing)
        )
        assert 680_000 == financing.commitment
        assert 0.12 == financing.return_cap
        assert 0 < financing.capital_protection <= 1
        assert financing.guarantor is not None

    def test_advances_are_reconciled(self, programme):
        """The advance-financed contract has an advance schedule inside the contract."""
        contract = next(
            contract
            for contract in programme.contracts
            if isinstance(contract.financing, AdvanceFinancing)
        )
        months = [advance.month for advance in contract.financing.advances]
        assert len(months) >= 2
        assert all(contract.start <= month <= contract.last_month for month in months)

    def test_provider_financed_early_help_on_rent_arrears(self, programme):
        """The provider-financed contract: early help on rent arrears, co-paid by the landlords."""
        contract = programme.find("contracts", "vroeg-eropaf-oost")
        assert isinstance(contract.financing, ProviderFinancing)
        assert FinancingMode.PROVIDER is contract.financing.mode
        provider = programme.find("stakeholders", contract.provider)
        assert StakeholderKind.PROVIDER is provider.kind
        assert {"woningcorporaties", "gemeente"} == {payer.payer for payer in contract.payers}
        assert 1.0 == pytest.approx(sum(payer.share for payer in contract.payers))
        assert {area.id for area in programme.areas} == set(contract.areas)

    def test_prefinancing_gate_decides_step_in_or_stop(self, programme):
        """The pre-financing gate acts on its contract: step in if met, stop if not."""
        for contract in programme.contracts:
            financing = contract.financing
            if not isinstance(financing, Prefinancing):
                continue
            gate = programme.find("gates", financing.gate)
            assert contract.id == gate.contract
            assert Action.STEP_IN is gate.if_met.action
            assert Action.STOP is gate.if_not_met.action
            assert financing.step_in_payer is not None
            assert financing.step_in_fund is not None

    def test_payment_schedules(self, programme):
        """Payments are monthly, quarterly, yearly and by an RRULE."""
        schedules = {contract.payment_schedule for contract in programme.contracts}
        assert set(Schedule) == schedules

    def test_rate_cards_are_complete(self, programme):
        """Every metric has a baseline, a time to outcome and a value per outcome."""
        metrics = [metric for contract in programme.contracts for metric in contract.metrics]
        assert all(metric.value_per_outcome is not None for metric in metrics)
        assert any(metric.threshold > 0 for metric in metrics)

    def test_caps(self, programme):
        """Contracts have caps per participant and in total, and a payer has yearly caps."""
        contracts = programme.contracts
        assert any(contract.cap_per_participant is not None for contract in contracts)
        assert all(contract.cap is not None for contract in contracts)
        assert any(payer.fiscal_year_caps for contract in contracts for payer in contract.payers)


@pytest.fixture(scope="module")
def expected(programme) -> programma.Projection:
    """The example projected in expected mode, by fiscal year."""
    return programma.project(programme, resolution="fiscal_year")


class TestExpectedMode:
    def test_no_budget_is_breached(self, programme, expected):
        """At the expected values no fund's budget is breached in any fiscal year."""
        for fund in programme.funds:
            gaps = expected.total(flow="budget_gap", fund=fund.id)
            assert (gaps <= 0).all(), fund.id

    def test_the_provider_carries_its_cost(self, expected):
        """The provider pays the delivery cost itself and receives every outcome payment."""
        cost = _provider_total(expected, "delivery_cost")
        assert 0 < cost
        assert cost == pytest.approx(_provider_total(expected, "provider_own_funds"))
        assert _provider_total(expected, "outcome_payment") == pytest.approx(
            _provider_total(expected, "provider_receipt")
        )

    def test_the_rate_card_covers_the_providers_cost(self, expected):
        """At the expected shares the provider gets back a little more than it spent."""
        cost = _provider_total(expected, "delivery_cost")
        assert cost < _provider_total(expected, "provider_receipt") < 1.2 * cost


class TestGates:
    def test_a_gate_scales_a_contract_at_a_phase_boundary(self, programme):
        """A gate scales a contract in the month its phase starts."""
        scaling = [gate for gate in programme.gates if gate.if_met.action is Action.SCALE]
        assert scaling
        for gate in scaling:
            assert gate.phase is not None
            assert programme.find("phases", gate.phase).start == gate.month
