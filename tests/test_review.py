"""The design review: every rule triggered and cleared, the configuration, the output, and the
stakeholder and interest analysis."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

import attrs
import pytest

import programma
from programma import (
    Area,
    Decision,
    Engagement,
    Enrolment,
    EnrolmentWindow,
    Fund,
    FundShare,
    Gate,
    GateCondition,
    Initiative,
    Interest,
    OutcomeContract,
    OutcomeMetric,
    PayerShare,
    Phase,
    Prefinancing,
    Programme,
    Role,
    Stakeholder,
    ValidationError,
)
from programma.analysis.coverage import coverage, engagement_matrix, group_sizes
from programma.analysis.review import (
    LESSONS,
    RULES,
    Finding,
    Review,
    ReviewConfig,
    Severity,
    concentration_of,
    review,
)
from programma.examples import example_text, leeuwarden_oost

D = dt.date
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _engagement(id: str, stakeholder: str, phase: str, role: str, **fields: object) -> Engagement:
    return Engagement(id, stakeholder, phase, role, reason=f"{stakeholder} in {phase}", **fields)


def _expert(id: str, phase: str, experience: str = "specific") -> Engagement:
    return _engagement(
        id,
        "ervaringsdeskundigen",
        phase,
        "lived-experience-expert",
        question="Where does the route stall?",
        concrete_role="Tests the intake with the provider",
        experience=experience,
        experience_subject="The debt-help intake",
    )


def designed() -> Programme:
    """A small design that follows every lesson: the review finds nothing."""
    return Programme(
        "ontwerp",
        "A design that follows the lessons",
        "EUR",
        D(2021, 1, 1),
        5,
        shared_interest="Breaking poverty passed on from generation to generation",
        areas=[Area("wijk", "De Wijk")],
        phases=[
            Phase("verkenning", "Exploration", "exploration", D(2021, 1, 1), D(2021, 6, 1)),
            Phase(
                "concretisering", "Concretisation", "concretisation", D(2021, 7, 1), D(2021, 12, 1)
            ),
            Phase("uitvoering", "Implementation", "implementation", D(2022, 1, 1), D(2025, 12, 1)),
        ],
        stakeholders=[
            Stakeholder("gemeente", "Municipality", "municipality"),
            Stakeholder("aanbieder", "Provider", "provider"),
            Stakeholder(
                "ervaringsdeskundigen", "Lived-experience experts", "lived-experience-expert"
            ),
            Stakeholder("bewoners", "Residents", "resident"),
            Stakeholder("inkoop", "Procurement", "procurement"),
            Stakeholder("juridisch", "Legal", "legal"),
            Stakeholder("groningen", "Peer municipality", "other-municipality"),
            Stakeholder("raad", "Council", "other"),
        ],
        interests=[
            Interest("armoede", "gemeente", "Less poverty", "programme-area"),
            Interest("werk", "aanbieder", "Paid for results", "programme-area"),
            Interest("regels", "ervaringsdeskundigen", "Rules that do not punish", "system"),
            Interest("eigen-wijk", "bewoners", "A good street", "neighbourhood", areas=["wijk"]),
            Interest("inkopen", "inkoop", "Buy results", "system"),
            Interest("rechtmatig", "juridisch", "Lawful contracts", "system"),
            Interest("leren", "groningen", "Learn from a peer", "system"),
            Interest("verantwoord", "raad", "Accountable spending", "system"),
        ],
        engagements=[
            _engagement("v-gemeente", "gemeente", "verkenning", "co-owner"),
            _engagement("v-aanbieder", "aanbieder", "verkenning", "enabler"),
            _expert("v-ervaring", "verkenning", experience="general"),
            _engagement("c-gemeente", "gemeente", "concretisering", "co-owner"),
            _engagement("c-aanbieder", "aanbieder", "concretisering", "co-owner"),
            _expert("c-ervaring", "concretisering"),
            _engagement("c-inkoop", "inkoop", "concretisering", "risk-coverer"),
            _engagement("c-juridisch", "juridisch", "concretisering", "risk-coverer"),
            _engagement("c-groningen", "groningen", "concretisering", "consulted"),
            _engagement("u-gemeente", "gemeente", "uitvoering", "co-owner"),
            _engagement("u-aanbieder", "aanbieder", "uitvoering", "co-owner"),
            _expert("u-ervaring", "uitvoering"),
            _engagement("u-bewoners", "bewoners", "uitvoering", "consulted"),
            _engagement("u-raad", "raad", "uitvoering", "critical-friend"),
            _engagement("u-inkoop", "inkoop", "uitvoering", "risk-coverer"),
        ],
        funds=[Fund("budget", "Budget", "municipal-budget", "gemeente", {2021: 1e6})],
        initiatives=[
            Initiative(
                "snel",
                "Quick win",
                "gemeente",
                50_000,
                D(2021, 3, 1),
                6,
                quick_win=True,
                funds=[FundShare("budget", 1.0)],
                interests=["armoede"],
                areas=["wijk"],
            ),
            Initiative(
                "aanpak",
                "The long approach",
                "aanbieder",
                500_000,
                D(2022, 1, 1),
                48,
                funds=[FundShare("budget", 1.0)],
                interests=["armoede", "werk"],
                areas=["wijk"],
            ),
            Initiative(
                "pilot",
                "A pilot paid by a contract",
                "aanbieder",
                100_000,
                D(2022, 1, 1),
                12,
                pilot=True,
                interests=["werk"],
                areas=["wijk"],
            ),
        ],
        contracts=[
            OutcomeContract(
                "c",
                "Pilot contract",
                "aanbieder",
                D(2022, 1, 1),
                duration_months=24,
                enrolment=Enrolment([EnrolmentWindow(D(2022, 1, 1), 6, per_month=5)]),
                metrics=[OutcomeMetric("job", "A job", 1_000, 0.4, time_to_outcome=3)],
                payers=[PayerShare("gemeente", "budget", 1.0)],
                initiatives=["pilot"],
                interests=["werk"],
                areas=["wijk"],
            )
        ],
        gates=[
            Gate(
                "g",
                D(2022, 7, 1),
                GateCondition("c", "job", "count", 1),
                if_met=Decision("continue"),
                if_not_met=Decision("stop"),
                contract="c",
            )
        ],
    )


BASE = designed()


def found(programme: Programme, rule: str, config: ReviewConfig | None = None) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in review(programme, config=config).findings if f.rule == rule]


def replace(collection: str, entity_id: str, **changes: object) -> Programme:
    """The base design with one entity changed."""
    items = [
        attrs.evolve(item, **changes) if item.id == entity_id else item
        for item in getattr(BASE, collection)
    ]
    return attrs.evolve(BASE, **{collection: items})


def without(collection: str, *ids: str) -> Programme:
    """The base design without some entities of a collection."""
    items = [item for item in getattr(BASE, collection) if item.id not in ids]
    return attrs.evolve(BASE, **{collection: items})


def index(collection: str, entity_id: str, programme: Programme = BASE) -> int:
    """The position of an entity in its collection (its index in paths)."""
    return [item.id for item in getattr(programme, collection)].index(entity_id)


def added(collection: str, *items: object, programme: Programme = BASE) -> Programme:
    """A design with entities appended to a collection."""
    return attrs.evolve(programme, **{collection: [*getattr(programme, collection), *items]})


class TestBase:
    def test_designed_programme_has_no_findings(self) -> None:
        """The reference design follows every lesson."""
        assert () == review(BASE).findings

    def test_every_lesson_has_a_rule(self) -> None:
        """At least one rule per lesson, and rules are in lesson order."""
        lessons = [rule.lesson for rule in RULES.values()]
        assert set(LESSONS) == set(lessons)
        assert sorted(lessons) == lessons

    def test_rule_order(self) -> None:
        """The rules, and so the findings, keep their order, lesson by lesson and within one."""
        assert [
            "phase-without-engagement",
            "engagement-without-reason",
            "no-critical-friend",
            "implementation-late",
            "target-group-absent",
            "expert-without-question",
            "expert-without-role",
            "expert-experience-unclear",
            "no-specific-experience",
            "large-first-group",
            "group-does-not-grow",
            "no-risk-coverers",
            "pilot-without-safeguard",
            "no-shared-interest",
            "stakeholder-without-interest",
            "neighbourhood-interest-idle",
            "no-quick-win",
            "municipality-owns-everything",
            "no-peer-municipality",
            "money-spread-thin",
            "serves-no-interest",
        ] == [rule.id for rule in RULES.values()]

    def test_rules_are_data(self) -> None:
        """Every rule has an id, a lesson, a severity, a summary and a condition."""
        for rule_id, rule in RULES.items():
            assert rule_id == rule.id
            assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.id)
            assert isinstance(rule.severity, Severity)
            assert rule.summary.endswith(".")
            assert rule.condition.endswith(".")
            assert rule.lesson_title == LESSONS[rule.lesson]
            assert set(rule.settings) <= set(attrs.fields_dict(ReviewConfig))


# -- the rules, each triggered and cleared ----------------------------------------------------


def check(
    finding: Finding, rule: str, lesson: int, severity: str, path: str, *fragments: str
) -> None:
    """The finding has this rule, lesson, severity and path, and its message these fragments."""
    assert (rule, lesson, Severity(severity), path) == (
        finding.rule,
        finding.lesson,
        finding.severity,
        finding.path,
    )
    for fragment in fragments:
        assert fragment in finding.message


class TestLesson1:
    def test_phase_without_engagement(self) -> None:
        """A phase no engagement names is an error at the phase's path."""
        bare = attrs.evolve(
            BASE, engagements=[e for e in BASE.engagements if e.phase != "concretisering"]
        )
        [finding] = found(bare, "phase-without-engagement")
        check(
            finding,
            "phase-without-engagement",
            1,
            "error",
            "phases[1]",
            "Phase 'concretisering' has no one at the table",
            "record an engagement",
        )

    def test_phase_with_only_informed_is_not_empty(self) -> None:
        """One engagement, even as informed, clears it."""
        engagements = [e for e in BASE.engagements if e.phase != "concretisering"]
        engagements.append(_engagement("c-raad", "raad", "concretisering", "informed"))
        assert [] == found(attrs.evolve(BASE, engagements=engagements), "phase-without-engagement")

    def test_engagement_without_reason(self) -> None:
        """An engagement without a reason is a warning at its reason."""
        [finding] = found(
            replace("engagements", "u-raad", reason=None), "engagement-without-reason"
        )
        check(
            finding,
            "engagement-without-reason",
            1,
            "warning",
            f"engagements[{index('engagements', 'u-raad')}].reason",
            "'raad' as critical-friend in phase 'uitvoering'",
            "say what they add",
        )

    def test_no_critical_friend(self) -> None:
        """No critical friend anywhere is one warning on the engagements."""
        [finding] = found(replace("engagements", "u-raad", role="consulted"), "no-critical-friend")
        check(finding, "no-critical-friend", 1, "warning", "engagements", "critical friend")

    def test_no_engagements_no_critical_friend_finding(self) -> None:
        """Without any engagement the phases report it, not this rule."""
        assert [] == found(attrs.evolve(BASE, engagements=[]), "no-critical-friend")

    def test_implementation_late(self) -> None:
        """No provider or enabler in the first phase is an info finding."""
        [finding] = found(without("engagements", "v-aanbieder"), "implementation-late")
        check(
            finding,
            "implementation-late",
            1,
            "info",
            "phases[0]",
            "No one from implementation",
            "'verkenning'",
        )

    def test_an_enabler_who_is_not_a_provider_clears_it(self) -> None:
        """An enabler of any kind counts as someone from implementation."""
        programme = replace("engagements", "v-aanbieder", stakeholder="bewoners")
        assert [] == found(programme, "implementation-late")

    def test_a_provider_consulted_clears_it(self) -> None:
        """A provider in any role counts as someone from implementation."""
        programme = replace("engagements", "v-aanbieder", role="consulted")
        assert [] == found(programme, "implementation-late")


class TestLesson2:
    def test_target_group_absent(self) -> None:
        """A phase without experts or residents (beyond informed) is a warning."""
        programme = without("engagements", "u-ervaring", "u-bewoners")
        [finding] = found(programme, "target-group-absent")
        check(
            finding,
            "target-group-absent",
            2,
            "warning",
            "phases[2]",
            "no voice in phase 'uitvoering'",
        )

    def test_informed_residents_are_not_a_voice(self) -> None:
        """Residents who are only informed do not clear it."""
        programme = without("engagements", "u-ervaring")
        programme = attrs.evolve(
            programme,
            engagements=[
                attrs.evolve(e, role="informed") if e.id == "u-bewoners" else e
                for e in programme.engagements
            ],
        )
        assert ["phases[2]"] == [f.path for f in found(programme, "target-group-absent")]

    def test_consulted_residents_are_a_voice(self) -> None:
        """Residents consulted clear it."""
        assert [] == found(without("engagements", "u-ervaring"), "target-group-absent")

    def test_expert_without_question(self) -> None:
        """A lived-experience expert without a question is an error at the question."""
        [finding] = found(
            replace("engagements", "c-ervaring", question=None), "expert-without-question"
        )
        check(
            finding,
            "expert-without-question",
            2,
            "error",
            f"engagements[{index('engagements', 'c-ervaring')}].question",
            "'c-ervaring' (phase 'concretisering') has no question",
            "clear question",
        )

    def test_expert_without_concrete_role(self) -> None:
        """A lived-experience expert without a concrete role is an error at concrete_role."""
        programme = replace("engagements", "c-ervaring", concrete_role=None)
        [finding] = found(programme, "expert-without-role")
        check(
            finding,
            "expert-without-role",
            2,
            "error",
            f"engagements[{index('engagements', 'c-ervaring')}].concrete_role",
            "has no concrete role",
        )

    def test_expert_kind_in_another_role_counts(self) -> None:
        """A lived-experience-expert stakeholder consulted needs a question and a role too."""
        programme = added(
            "engagements", Engagement("x", "ervaringsdeskundigen", "uitvoering", "consulted")
        )
        k = len(programme.engagements) - 1
        assert [f"engagements[{k}].question"] == [
            f.path for f in found(programme, "expert-without-question")
        ]
        assert [f"engagements[{k}].concrete_role"] == [
            f.path for f in found(programme, "expert-without-role")
        ]
        assert [f"engagements[{k}].experience"] == [
            f.path for f in found(programme, "expert-experience-unclear")
        ]

    def test_informed_experts_need_no_question(self) -> None:
        """Experts who are only informed are not asked anything."""
        programme = added(
            "engagements", Engagement("x", "ervaringsdeskundigen", "uitvoering", "informed")
        )
        for rule in ("expert-without-question", "expert-without-role", "expert-experience-unclear"):
            assert [] == found(programme, rule)

    def test_experience_kind_missing(self) -> None:
        """An expert without an experience kind is a warning at experience."""
        programme = replace("engagements", "u-ervaring", experience=None, experience_subject=None)
        [finding] = found(programme, "expert-experience-unclear")
        check(
            finding,
            "expert-experience-unclear",
            2,
            "warning",
            f"engagements[{index('engagements', 'u-ervaring')}].experience",
            "'general' or 'specific'",
        )

    def test_experience_subject_missing(self) -> None:
        """An expert with a kind but no subject is a warning at experience_subject."""
        programme = replace("engagements", "u-ervaring", experience_subject=None)
        [finding] = found(programme, "expert-experience-unclear")
        check(
            finding,
            "expert-experience-unclear",
            2,
            "warning",
            f"engagements[{index('engagements', 'u-ervaring')}].experience_subject",
            "has specific experience, but not of what",
        )

    def test_no_specific_experience_in_concretisation(self) -> None:
        """Only general experience when plans are made concrete is an info finding."""
        programme = replace("engagements", "c-ervaring", experience="general")
        [finding] = found(programme, "no-specific-experience")
        check(
            finding,
            "no-specific-experience",
            2,
            "info",
            "phases[1]",
            "specific experience",
            "'concretisering'",
        )

    def test_specific_experience_elsewhere_does_not_count(self) -> None:
        """Specific experience in implementation does not clear concretisation."""
        programme = without("engagements", "c-ervaring")
        assert ["phases[1]"] == [f.path for f in found(programme, "no-specific-experience")]


class TestLesson3:
    def big_first_group(self, role: str = "consulted") -> Programme:
        extra = [
            _engagement(f"v-{who}", who, "verkenning", role)
            for who in ("bewoners", "inkoop", "juridisch", "groningen")
        ]
        return added("engagements", *extra)

    def test_large_first_group(self) -> None:
        """Seven at the table in the first phase (more than 6) is a warning."""
        [finding] = found(self.big_first_group(), "large-first-group")
        check(
            finding,
            "large-first-group",
            3,
            "warning",
            "phases[0]",
            "starts with 7 stakeholders at the table (more than 6)",
        )

    def test_threshold(self) -> None:
        """first_phase_max_group raises the bar; exactly the maximum is fine."""
        config = ReviewConfig(first_phase_max_group=7)
        assert [] == found(self.big_first_group(), "large-first-group", config)
        strict = ReviewConfig(first_phase_max_group=2)
        assert ["phases[0]"] == [f.path for f in found(BASE, "large-first-group", strict)]

    def test_informed_do_not_count(self) -> None:
        """Stakeholders only informed are not at the table."""
        assert [] == found(self.big_first_group(role="informed"), "large-first-group")

    def test_first_phase_is_the_earliest(self) -> None:
        """The first phase is the earliest by start, whatever the file order."""
        reordered = attrs.evolve(self.big_first_group(), phases=BASE.phases[::-1])
        [finding] = found(reordered, "large-first-group")
        assert "phases[2]" == finding.path

    def test_group_does_not_grow(self) -> None:
        """As few at the table in implementation as in the first phase is a warning."""
        programme = without("engagements", "u-bewoners", "u-raad", "u-inkoop")
        [finding] = found(programme, "group-does-not-grow")
        check(
            finding,
            "group-does-not-grow",
            3,
            "warning",
            "phases[2]",
            "3 stakeholders at the table in 'uitvoering' against 3 in the first phase",
            "procurement, legal",
        )

    def test_group_that_grows_by_one_clears_it(self) -> None:
        """One more in implementation than in the first phase is growth."""
        programme = without("engagements", "u-bewoners", "u-raad")
        assert [] == found(programme, "group-does-not-grow")

    def test_an_empty_implementation_phase_is_reported_once(self) -> None:
        """An implementation phase nobody is at the table for is phase-without-engagement's."""
        programme = attrs.evolve(
            BASE, engagements=[e for e in BASE.engagements if e.phase != "uitvoering"]
        )
        assert [] == found(programme, "group-does-not-grow")
        assert 1 == len(found(programme, "phase-without-engagement"))

    def test_no_implementation_phase_no_finding(self) -> None:
        """Without an implementation phase there is nothing to grow towards."""
        programme = replace("phases", "uitvoering", kind="scale-up")
        programme = attrs.evolve(
            programme, engagements=[e for e in programme.engagements if e.phase != "uitvoering"]
        )
        assert [] == found(programme, "group-does-not-grow")

    def test_no_legal(self) -> None:
        """No legal stakeholder once plans are concrete is a warning at the first such phase."""
        [finding] = found(without("engagements", "c-juridisch"), "no-risk-coverers")
        check(
            finding,
            "no-risk-coverers",
            3,
            "warning",
            "phases[1]",
            "No legal stakeholder",
            "'concretisering', 'uitvoering'",
        )

    def test_no_procurement_and_no_legal(self) -> None:
        """Both missing gives two findings."""
        programme = without("engagements", "c-juridisch", "c-inkoop", "u-inkoop")
        messages = [f.message for f in found(programme, "no-risk-coverers")]
        assert 2 == len(messages)
        assert messages[0].startswith("No procurement stakeholder")
        assert messages[1].startswith("No legal stakeholder")

    def test_risk_coverers_informed_do_not_count(self) -> None:
        """Procurement only informed does not cover risks."""
        programme = attrs.evolve(
            BASE,
            engagements=[
                attrs.evolve(e, role="informed") if e.stakeholder == "inkoop" else e
                for e in BASE.engagements
            ],
        )
        assert 1 == len(found(programme, "no-risk-coverers"))

    def test_risk_coverers_only_in_exploration_do_not_count(self) -> None:
        """Legal at the table only while exploring does not count."""
        programme = without("engagements", "c-juridisch")
        programme = added(
            "engagements",
            _engagement("v-juridisch", "juridisch", "verkenning", "risk-coverer"),
            programme=programme,
        )
        assert 1 == len(found(programme, "no-risk-coverers"))

    def test_pilot_without_safeguard(self) -> None:
        """A pilot with neither pre-financing nor a gate is a warning at the initiative."""
        [finding] = found(attrs.evolve(BASE, gates=[]), "pilot-without-safeguard")
        check(
            finding,
            "pilot-without-safeguard",
            3,
            "warning",
            "initiatives[2]",
            "Pilot 'pilot' has neither pre-financing nor a gate",
        )

    def test_prefinancing_clears_it(self) -> None:
        """Pre-financing by an external partner is a safeguard."""
        programme = attrs.evolve(
            BASE,
            gates=[],
            stakeholders=[
                *BASE.stakeholders,
                Stakeholder("partner", "Partner", "external-partner"),
            ],
            contracts=[
                attrs.evolve(BASE.contracts[0], financing=Prefinancing("partner", months=6))
            ],
        )
        assert [] == found(programme, "pilot-without-safeguard")

    def test_gate_on_the_initiative_clears_it(self) -> None:
        """A gate acting on the pilot itself is a safeguard."""
        gate = attrs.evolve(BASE.gates[0], contract=None, initiative="pilot")
        assert [] == found(attrs.evolve(BASE, gates=[gate]), "pilot-without-safeguard")

    def test_a_grant_funded_pilot_without_gate(self) -> None:
        """A pilot paid from funds, with no gate, is found."""
        pilot = attrs.evolve(BASE.initiatives[0], id="p2", pilot=True, quick_win=False)
        programme = added("initiatives", pilot)
        assert ["initiatives[3]"] == [f.path for f in found(programme, "pilot-without-safeguard")]


class TestLesson4:
    def test_no_shared_interest(self) -> None:
        """No shared interest is an error at shared_interest."""
        [finding] = found(attrs.evolve(BASE, shared_interest=None), "no-shared-interest")
        check(
            finding,
            "no-shared-interest",
            4,
            "error",
            "shared_interest",
            "what binds the partners",
        )

    def test_stakeholder_without_interest(self) -> None:
        """A stakeholder without an interest of its own is a warning at the stakeholder."""
        [finding] = found(without("interests", "leren"), "stakeholder-without-interest")
        check(
            finding,
            "stakeholder-without-interest",
            4,
            "warning",
            f"stakeholders[{index('stakeholders', 'groningen')}]",
            "'groningen' has no interest of its own",
            "the scale it works at",
        )

    def test_neighbourhood_interest_idle(self) -> None:
        """A neighbourhood where nothing happens is a warning at that area of the interest."""
        programme = added("areas", Area("elders", "Elsewhere"))
        programme = attrs.evolve(
            programme,
            interests=[
                attrs.evolve(i, areas=["wijk", "elders"]) if i.id == "eigen-wijk" else i
                for i in programme.interests
            ],
        )
        [finding] = found(programme, "neighbourhood-interest-idle")
        check(
            finding,
            "neighbourhood-interest-idle",
            4,
            "warning",
            f"interests[{index('interests', 'eigen-wijk')}].areas[1]",
            "about neighbourhood 'elders', but no initiative or contract works there",
        )

    def test_a_contract_in_the_area_clears_it(self) -> None:
        """A contract working in the neighbourhood is something happening there."""
        programme = attrs.evolve(
            BASE, initiatives=[attrs.evolve(i, areas=()) for i in BASE.initiatives]
        )
        assert [] == found(programme, "neighbourhood-interest-idle")
        programme = attrs.evolve(programme, contracts=[attrs.evolve(BASE.contracts[0], areas=())])
        assert 1 == len(found(programme, "neighbourhood-interest-idle"))

    def test_neighbourhood_interest_without_areas(self) -> None:
        """A neighbourhood interest naming no area is a warning at its areas."""
        [finding] = found(
            replace("interests", "eigen-wijk", areas=()), "neighbourhood-interest-idle"
        )
        assert f"interests[{index('interests', 'eigen-wijk')}].areas" == finding.path
        assert "names no neighbourhood" in finding.message

    def test_other_scales_need_no_area(self) -> None:
        """Programme-area and system interests are not checked for areas."""
        programme = replace("interests", "eigen-wijk", scale="programme-area", areas=())
        assert [] == found(programme, "neighbourhood-interest-idle")


class TestLesson5:
    def test_no_quick_win_at_all(self) -> None:
        """No quick win is a warning on the initiatives."""
        [finding] = found(replace("initiatives", "snel", quick_win=False), "no-quick-win")
        check(
            finding,
            "no-quick-win",
            5,
            "warning",
            "initiatives",
            "No quick win starts in the first 24 months (before 2023-01-01)",
        )

    def test_quick_win_too_late(self) -> None:
        """A quick win starting at the window's end is too late; a longer window takes it."""
        late = replace("initiatives", "snel", start=D(2023, 1, 1))
        assert ["initiatives"] == [f.path for f in found(late, "no-quick-win")]
        assert [] == found(late, "no-quick-win", ReviewConfig(quick_win_months=25))

    def test_quick_win_that_feeds_nothing_long_term(self) -> None:
        """A quick win serving only its own interest does not fit the long plan."""
        programme = replace("initiatives", "snel", interests=["eigen-wijk"])
        [finding] = found(programme, "no-quick-win")
        check(
            finding,
            "no-quick-win",
            5,
            "warning",
            "initiatives",
            "feeds a long-term outcome: 'snel' serve no interest",
        )

    def test_a_contract_is_a_long_term_outcome(self) -> None:
        """Sharing an interest with an outcome contract is enough."""
        programme = replace("initiatives", "snel", interests=["werk"])
        programme = attrs.evolve(
            programme,
            initiatives=[
                attrs.evolve(i, interests=["armoede"]) if i.id == "aanpak" else i
                for i in programme.initiatives
            ],
        )
        assert [] == found(programme, "no-quick-win")

    def test_a_short_initiative_is_not_long_term(self) -> None:
        """An initiative that ends within the window does not count as long term."""
        programme = replace("initiatives", "aanpak", duration_months=12, start=D(2021, 1, 1))
        assert 1 == len(found(programme, "no-quick-win"))


class TestLesson6:
    def test_municipality_owns_everything(self) -> None:
        """Every initiative owned by the municipality is a warning on the initiatives."""
        programme = attrs.evolve(
            BASE, initiatives=[attrs.evolve(i, owner="gemeente") for i in BASE.initiatives]
        )
        [finding] = found(programme, "municipality-owns-everything")
        check(
            finding,
            "municipality-owns-everything",
            6,
            "warning",
            "initiatives",
            "Every initiative (3) is owned by the municipality",
            "own parts of the plan",
        )

    def test_no_initiatives_no_finding(self) -> None:
        """Without initiatives there is nothing to own."""
        programme = attrs.evolve(BASE, initiatives=[], contracts=[], gates=[])
        assert [] == found(programme, "municipality-owns-everything")

    def test_no_peer_municipality(self) -> None:
        """No other municipality engaged is an info finding."""
        [finding] = found(without("engagements", "c-groningen"), "no-peer-municipality")
        check(
            finding,
            "no-peer-municipality",
            6,
            "info",
            "engagements",
            "concrete question",
        )


class TestLesson7:
    def spread(self) -> Programme:
        """Twelve initiatives of €100,000 each: an index of 1/12."""
        equal = [attrs.evolve(i, commitment=100_000) for i in BASE.initiatives]
        extra = [
            attrs.evolve(BASE.initiatives[1], id=f"extra-{k}", commitment=100_000) for k in range(9)
        ]
        return attrs.evolve(BASE, initiatives=[*equal, *extra])

    def test_money_spread_thin(self) -> None:
        """An index below 0.1 is a warning on the initiatives."""
        [finding] = found(self.spread(), "money-spread-thin")
        check(
            finding,
            "money-spread-thin",
            7,
            "warning",
            "initiatives",
            "spread thin over 12 initiatives",
            "index of their expected commitments is 0.083, below 0.1",
            "as if 12.0 initiatives shared it equally",
        )

    def test_hhi_threshold(self) -> None:
        """min_hhi moves the bar."""
        assert [] == found(self.spread(), "money-spread-thin", ReviewConfig(min_hhi=0.08))
        assert 1 == len(found(BASE, "money-spread-thin", ReviewConfig(min_hhi=0.9)))

    def test_top_k(self) -> None:
        """With top-k, the k largest must together hold min_top_k_share."""
        config = ReviewConfig(concentration="top-k")
        [finding] = found(self.spread(), "money-spread-thin", config)
        assert "the 3 largest take 25% of the expected commitments, below 50%" in finding.message
        wider = ReviewConfig(concentration="top-k", top_k=6)
        assert [] == found(self.spread(), "money-spread-thin", wider)

    def test_concentration_of(self) -> None:
        """The index is the sum of squared shares of expected commitments."""
        index, shares = concentration_of(BASE)
        assert math.isclose((50 / 650) ** 2 + (500 / 650) ** 2 + (100 / 650) ** 2, index)
        assert ["aanpak", "pilot", "snel"] == [key for key, _ in shares]

    def test_uncertain_commitments_by_their_mean(self) -> None:
        """A distribution counts by its mean."""
        programme = replace("initiatives", "snel", commitment=programma.Uniform(0, 100_000))
        assert math.isclose(concentration_of(programme)[1][-1][1], 50 / 650)

    def test_no_money_no_finding(self) -> None:
        """Without any expected commitment there is nothing to spread."""
        programme = attrs.evolve(
            BASE, initiatives=[attrs.evolve(i, commitment=0) for i in BASE.initiatives]
        )
        assert math.isnan(concentration_of(programme)[0])
        assert [] == found(programme, "money-spread-thin", ReviewConfig(min_hhi=1))

    def test_initiative_serving_no_interest(self) -> None:
        """An initiative without interests is a warning at its interests."""
        [finding] = found(replace("initiatives", "snel", interests=()), "serves-no-interest")
        check(
            finding,
            "serves-no-interest",
            7,
            "warning",
            "initiatives[0].interests",
            "Initiative 'snel' serves no stated interest",
        )

    def test_contract_serving_no_interest(self) -> None:
        """A contract without interests is a warning at its interests."""
        [finding] = found(replace("contracts", "c", interests=()), "serves-no-interest")
        check(
            finding,
            "serves-no-interest",
            7,
            "warning",
            "contracts[0].interests",
            "Contract 'c' serves no stated interest",
        )


# -- configuration ---------------------------------------------------------------------------


class TestConfig:
    def test_switch_a_rule_off(self) -> None:
        """A disabled rule reports nothing, and the text says it was off."""
        programme = attrs.evolve(BASE, shared_interest=None)
        result = review(programme, config=ReviewConfig(disabled={"no-shared-interest"}))
        assert () == result.findings
        assert "Rules switched off: no-shared-interest" in str(result)

    def test_a_single_id_is_one_rule(self) -> None:
        """A bare string is one rule id, not a set of letters."""
        assert (
            frozenset({"no-shared-interest"})
            == ReviewConfig(disabled="no-shared-interest").disabled
        )

    def test_change_a_severity(self) -> None:
        """A severity override applies to the rule's findings."""
        programme = attrs.evolve(BASE, shared_interest=None)
        config = ReviewConfig(severities={"no-shared-interest": "warning"})
        result = review(programme, config=config)
        assert [Severity.WARNING] == [f.severity for f in result.findings]
        assert not result.has_errors

    def test_raise_a_severity(self) -> None:
        """An info rule can be made an error."""
        programme = without("engagements", "c-groningen")
        result = review(
            programme, config=ReviewConfig(severities=[("no-peer-municipality", "error")])
        )
        assert result.has_errors

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"disabled": {"nope"}}, "disabled: expected the id of a review rule ("),
            ({"severities": {"nope": "error"}}, "severities: expected the id of a review rule"),
            (
                {"severities": {"no-shared-interest": "fatal"}},
                "severities[no-shared-interest]: expected error, warning or info, got 'fatal'",
            ),
            ({"first_phase_max_group": 0}, "first_phase_max_group: expected an integer ≥ 1, got 0"),
            (
                {"quick_win_months": 0},
                "quick_win_months: expected a whole number of months from 1 to 1200, got 0",
            ),
            ({"concentration": "gini"}, "concentration: expected 'hhi' or 'top-k', got 'gini'"),
            ({"min_hhi": 1.5}, "min_hhi: expected a number in [0, 1], got 1.5"),
            ({"top_k": 0}, "top_k: expected an integer ≥ 1, got 0"),
            ({"min_top_k_share": -0.1}, "min_top_k_share: expected a number in [0, 1], got -0.1"),
        ],
    )
    def test_invalid(self, changes: dict[str, object], message: str) -> None:
        """Bad configuration is refused with the field's path."""
        with pytest.raises(ValidationError) as error:
            ReviewConfig(**changes)  # type: ignore[arg-type]
        assert message in str(error.value)

    def test_all_problems_at_once(self) -> None:
        """Every problem of a configuration is reported together."""
        with pytest.raises(ValidationError) as error:
            ReviewConfig(disabled={"a", "b"}, top_k=0)
        assert ("disabled", "disabled", "top_k") == error.value.paths

    def test_from_options(self) -> None:
        """Command-line text becomes a configuration."""
        config = ReviewConfig.from_options(
            disable=["no-peer-municipality"],
            severity=["pilot-without-safeguard=info"],
            settings=["first-phase-max-group=8", "min_hhi=0.05", "concentration=top-k"],
        )
        assert (
            ReviewConfig(
                disabled={"no-peer-municipality"},
                severities={"pilot-without-safeguard": "info"},
                first_phase_max_group=8,
                min_hhi=0.05,
                concentration="top-k",
            )
            == config
        )

    def test_from_options_names_the_options(self) -> None:
        """Problems of the configuration are reported under the option that set them."""
        with pytest.raises(ValidationError) as error:
            ReviewConfig.from_options(
                disable=["nope"], severity=["no-critical-friend=fatal"], settings=["top_k=0"]
            )
        assert ("--disable", "--severity", "--set top_k") == error.value.paths

    def test_from_options_problems(self) -> None:
        """Malformed options are reported together."""
        with pytest.raises(ValidationError) as error:
            ReviewConfig.from_options(
                severity=["x"], settings=["top_k=many", "colour=red", "min_hhi"]
            )
        assert ("--severity", "--set top_k", "--set", "--set") == error.value.paths

    def test_to_dict(self) -> None:
        """The configuration as plain data, with every threshold."""
        assert {
            "disabled": [],
            "severities": {},
            "first_phase_max_group": 6,
            "quick_win_months": 24,
            "concentration": "hhi",
            "min_hhi": 0.1,
            "top_k": 3,
            "min_top_k_share": 0.5,
        } == ReviewConfig().to_dict()


# -- the review's output ---------------------------------------------------------------------


def flawed() -> Programme:
    """The base design with one error, one warning and one info finding."""
    programme = attrs.evolve(BASE, shared_interest=None)
    return attrs.evolve(
        programme,
        engagements=[
            attrs.evolve(e, reason=None) if e.id == "u-raad" else e
            for e in programme.engagements
            if e.id != "c-groningen"
        ],
    )


class TestReview:
    def test_severity_properties(self) -> None:
        """errors, warnings and info split the findings; has_errors follows errors."""
        result = review(flawed())
        assert ["no-shared-interest"] == [f.rule for f in result.errors]
        assert ["engagement-without-reason"] == [f.rule for f in result.warnings]
        assert ["no-peer-municipality"] == [f.rule for f in result.info]
        assert result.has_errors
        assert {"error": 1, "warning": 1, "info": 1} == result.counts()

    def test_findings_in_lesson_order(self) -> None:
        """Findings come in lesson order."""
        assert [1, 4, 6] == [f.lesson for f in review(flawed()).findings]

    def test_text_is_grouped_by_lesson(self) -> None:
        """The text has a headline, then each lesson with its findings."""
        text = str(review(flawed()))
        k = index("engagements", "u-raad", flawed())
        assert text.startswith("Design review of 'ontwerp': 1 error, 1 warning, 1 info\n")
        assert (
            "\n\nLesson 1: Who is at the table, per phase\n"
            f"  warning engagement-without-reason at engagements[{k}].reason\n"
            "    Engagement 'u-raad' ('raad' as critical-friend in phase 'uitvoering') states no"
        ) in text
        assert (
            "\n\nLesson 4: Balance all interests\n  error no-shared-interest at shared_interest\n"
            in text
        )
        assert (
            "\n\nLesson 6: Do it yourself and do it together\n  info no-peer-municipality" in text
        )
        assert "Lesson 2" not in text
        assert all(len(line) <= 100 for line in text.splitlines())

    def test_text_without_findings(self) -> None:
        """A clean review says so."""
        assert (
            "Design review of 'ontwerp': 0 errors, 0 warnings, 0 info\n"
            "No findings: the design follows every lesson checked."
        ) == str(review(BASE))

    def test_to_dict(self) -> None:
        """Plain data: counts, findings with every field, the configuration; JSON-ready."""
        data = review(flawed()).to_dict()
        assert {"error": 1, "warning": 1, "info": 1} == data["counts"]
        assert data["has_errors"] is True
        assert {
            "rule": "no-shared-interest",
            "lesson": 4,
            "severity": "error",
            "path": "shared_interest",
            "message": review(flawed()).errors[0].message,
        } == data["findings"][1]
        assert data == json.loads(json.dumps(data))
        assert "coverage" not in data

    def test_to_dict_with_analysis(self) -> None:
        """With the analysis: the matrix (role values), group sizes and coverage."""
        data = review(BASE).to_dict(analysis=True)
        assert ["co-owner"] == data["engagement_matrix"]["gemeente"]["verkenning"]
        assert [] == data["engagement_matrix"]["raad"]["verkenning"]
        assert {"verkenning": 3, "concretisering": 6, "uitvoering": 6} == data["group_sizes"]
        assert "EUR" == data["coverage"]["currency"]
        assert data == json.loads(json.dumps(data))

    def test_finding_text(self) -> None:
        """A finding reads as severity, path, message, rule and lesson."""
        finding = review(flawed()).errors[0]
        assert str(finding).startswith("error: shared_interest: No shared interest is recorded")
        assert str(finding).endswith("[no-shared-interest, lesson 4]")

    def test_review_is_a_public_object(self) -> None:
        """review() returns a Review that keeps the programme and configuration."""
        config = ReviewConfig(min_hhi=0.2)
        result = review(BASE, config=config)
        assert isinstance(result, Review)
        assert (BASE, config) == (result.programme, result.config)


# -- the embedded example --------------------------------------------------------------------


@pytest.fixture(scope="module")
def result() -> Review:
    """The review of the embedded example."""
    return review(leeuwarden_oost())


class TestExample:
    def test_no_errors(self, result: Review) -> None:
        """The example has no errors."""
        assert () == result.errors

    def test_its_warnings_are_explained_in_the_docs(self, result: Review) -> None:
        """Every finding the example gets is named, with its path, in the rules reference."""
        section = (
            (DOCS / "review-rules.md")
            .read_text(encoding="utf-8")
            .split("## What the example gets", 1)[1]
        )
        assert result.findings
        for finding in result.findings:
            assert f"`{finding.rule}`" in section
            assert f"`{finding.path}`" in section

    def test_the_example_warning(self, result: Review) -> None:
        """The one warning: the debt-relief pilot has no gate."""
        assert [("pilot-without-safeguard", "initiatives[1]")] == [
            (f.rule, f.path) for f in result.findings
        ]


@pytest.fixture(scope="module")
def reference() -> str:
    """The rules reference, its whitespace normalised."""
    return " ".join((DOCS / "review-rules.md").read_text(encoding="utf-8").split())


class TestDocs:
    @pytest.mark.parametrize("rule_id", list(RULES))
    def test_every_rule_is_documented(self, reference: str, rule_id: str) -> None:
        """Each rule's row gives its lesson and severity; its exact condition is quoted."""
        rule = RULES[rule_id]
        assert f"| `{rule.id}` | {rule.lesson} | {rule.severity.value} |" in reference
        assert rule.condition in reference
        for setting in rule.settings:
            assert f"`{setting}`" in reference


def toml_blocks() -> list[str]:
    """The TOML code blocks of the how-to, in order."""
    text = (DOCS / "review.md").read_text(encoding="utf-8")
    return re.findall(r"```toml\n(.*?)```", text, flags=re.S)


class TestHowTo:
    def test_the_draft_engagement_has_the_errors_shown(self) -> None:
        """The how-to's first engagement gives the two errors and the warning it shows."""
        draft, _, _, _ = toml_blocks()
        result = review(programma.loads(example_text() + "\n" + draft, format="toml"))
        assert [
            ("expert-without-question", "engagements[61].question"),
            ("expert-without-role", "engagements[61].concrete_role"),
            ("expert-experience-unclear", "engagements[61].experience"),
            ("pilot-without-safeguard", "initiatives[1]"),
        ] == [(f.rule, f.path) for f in result.findings]

    def test_the_fixed_engagement_clears_them(self) -> None:
        """With a question, a concrete role and the experience, only the example's warning."""
        _, fixed, _, _ = toml_blocks()
        result = review(programma.loads(example_text() + "\n" + fixed, format="toml"))
        assert ["pilot-without-safeguard"] == [f.rule for f in result.findings]

    def test_the_pilot_fix_clears_the_warning(self) -> None:
        """Removing the pilot's funds and adding the pre-financed contract leaves no findings."""
        _, _, funds, contract = toml_blocks()
        text = example_text()
        assert 1 == text.count(funds)
        programme = programma.loads(text.replace(funds, "") + "\n" + contract, format="toml")
        assert () == review(programme).findings


# -- the stakeholder and interest analysis ---------------------------------------------------


class TestAnalysis:
    def test_engagement_matrix(self) -> None:
        """Every stakeholder × every phase (chronological) → roles, empty when absent."""
        programme = added(
            "engagements", _engagement("c-raad", "raad", "concretisering", "critical-friend")
        )
        programme = added(
            "engagements",
            _engagement("c-raad-2", "raad", "concretisering", "informed"),
            programme=programme,
        )
        matrix = engagement_matrix(attrs.evolve(programme, phases=programme.phases[::-1]))
        assert [s.id for s in BASE.stakeholders] == list(matrix)
        assert ["verkenning", "concretisering", "uitvoering"] == list(matrix["raad"])
        assert (Role.CRITICAL_FRIEND, Role.INFORMED) == matrix["raad"]["concretisering"]
        assert () == matrix["raad"]["verkenning"]
        assert review(programme).engagement_matrix() == engagement_matrix(programme)

    def test_group_sizes(self) -> None:
        """Distinct stakeholders per phase, not counting the informed."""
        programme = added(
            "engagements",
            _engagement("v-gemeente-2", "gemeente", "verkenning", "consulted"),
            _engagement("v-raad", "raad", "verkenning", "informed"),
        )
        assert {"verkenning": 3, "concretisering": 6, "uitvoering": 6} == group_sizes(programme)
        assert group_sizes(BASE) == review(BASE).group_sizes()


@pytest.fixture(scope="module")
def projection() -> programma.Projection:
    """The expected-mode projection of the base design."""
    return programma.project(BASE, initiatives=True)


class TestCoverage:
    def test_even_split_over_interests(self, projection: programma.Projection) -> None:
        """An initiative's cost is split evenly over its interests; contracts pay outcomes."""
        covered = coverage(BASE, projection)
        grant = float(projection.total(flow="grant", initiative="aanpak").sum())
        snel = float(projection.total(flow="grant", initiative="snel").sum())
        pilot = float(projection.total(flow="delivery_cost", initiative="pilot").sum())
        paid = float(projection.total(flow="outcome_payment", contract="c").sum())
        assert math.isclose(snel + grant / 2, covered.interests["armoede"].budget)
        assert math.isclose(grant / 2 + pilot, covered.interests["werk"].budget)
        assert math.isclose(paid, covered.interests["werk"].outcome_payments)
        assert 0 == covered.interests["armoede"].outcome_payments
        assert 0 < paid

    def test_totals_add_up(self, projection: programma.Projection) -> None:
        """Interests plus unattributed, areas plus unattributed, each equal the total."""
        programme = replace("initiatives", "snel", interests=(), areas=())
        covered = coverage(programme)
        for name, mapping in (("interests", covered.interests), ("areas", covered.areas)):
            budget = sum(a.budget for a in mapping.values()) + covered.unattributed[name].budget
            assert math.isclose(covered.total.budget, budget)
        assert 0 < covered.unattributed["interests"].budget
        stakeholders = sum(a.budget for a in covered.stakeholders.values())
        interests = sum(a.budget for a in covered.interests.values())
        assert math.isclose(interests, stakeholders)

    def test_per_stakeholder_is_over_its_interests(self, projection: programma.Projection) -> None:
        """A stakeholder's coverage is its interests' coverage."""
        covered = coverage(BASE, projection)
        assert covered.interests["werk"] == covered.stakeholders["aanbieder"]
        assert 0 == covered.stakeholders["raad"].budget

    def test_advances_count_as_outcome_payments(self) -> None:
        """Outcome payments met from advances count, as in the example's debt contract."""
        covered = review(leeuwarden_oost()).coverage()
        schulden = covered.interests["schuldenvrij"].outcome_payments
        assert 800_000 < schulden < 900_000  # a third of about €2.6m, most of it from advances

    def test_refuses_monte_carlo(self) -> None:
        """Coverage is an expected-mode figure."""
        mc = programma.project(BASE, scenarios=2)
        with pytest.raises(ValueError, match="expected-mode projection"):
            coverage(BASE, mc)

    def test_refuses_another_programme(self, projection: programma.Projection) -> None:
        """The projection must be of the programme reviewed."""
        with pytest.raises(ValueError, match="not of the programme reviewed"):
            coverage(flawed(), projection)

    def test_text_and_dict(self, projection: programma.Projection) -> None:
        """Coverage reads as three tables and serialises with cents."""
        covered = review(BASE).coverage(projection)
        text = str(covered)
        for heading in ("interest", "area", "stakeholder", "total: budget EUR"):
            assert heading in text
        assert re.fullmatch(
            r"<Coverage: budget EUR [\d,]+, outcome payments EUR [\d,]+>",
            repr(covered),
        )
        assert "<Design review of 'ontwerp': 0 errors, 0 warnings, 0 info>" == repr(review(BASE))
        data = covered.to_dict()
        assert set(data) == {
            "currency",
            "interests",
            "areas",
            "stakeholders",
            "unattributed",
            "total",
        }
        assert data["total"]["budget"] == round(covered.total.budget, 2)

    def test_analysis_report(self, projection: programma.Projection) -> None:
        """The report holds the matrix with its legend, group sizes and coverage."""
        report = review(BASE).analysis_report(projection)
        assert "Engagement matrix" in report
        assert "roles: O co-owner" in report
        assert "Group at the table per phase" in report
        assert "Coverage (expected mode" in report
