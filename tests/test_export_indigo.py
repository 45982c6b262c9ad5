"""The INDIGO export: conformance to the INDIGO JSON Schemas, content, determinism, errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

import programma as pg
from builders import D, base_programme, contract
from profiles import examples
from programma import (
    Advance,
    AdvanceFinancing,
    Area,
    InvestorFinancing,
    PayerShare,
    Pert,
    ValidationError,
)
from programma.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from programma.examples import leeuwarden_oost
from programma.export import indigo
from programma.export.indigo import PAYMENT_FLOWS, indigo_text, write_indigo
from strategies import programmes

SCHEMAS = Path(__file__).parent / "data" / "schemas" / "indigo"
BASE = "https://indigo.schemas.test/"
KINDS = {"projects": "project.json", "organisations": "organisation.json", "funds": "fund.json"}


def _strict(schema: Any) -> Any:
    """The schema with no property besides the ones it names, at every level (in memory)."""
    if isinstance(schema, dict):
        out = {key: _strict(value) for key, value in schema.items()}
        if "properties" in schema:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def _registry(strict: bool) -> Registry:
    """The three schemas, each under a URI of its own name (upstream two share one ``$id``)."""
    resources = []
    for name in KINDS.values():
        schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        schema = _strict(schema) if strict else schema
        schema["$id"] = BASE + name
        resources.append(
            (BASE + name, Resource.from_contents(schema, default_specification=DRAFT7))
        )
    return Registry().with_resources(resources)


def _document_schema() -> dict[str, Any]:
    """The export: lists of ``{id, data}`` records whose data ``$ref`` the standard's files."""

    def records(name: str) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "data"],
                "additionalProperties": False,
                "properties": {"id": {"type": "string"}, "data": {"$ref": name}},
            },
        }

    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": BASE + "export.json",
        "type": "object",
        "required": list(KINDS),
        "additionalProperties": False,
        "properties": {kind: records(name) for kind, name in KINDS.items()},
    }


VALIDATORS = [
    jsonschema.Draft7Validator(_document_schema(), registry=_registry(strict=strict))
    for strict in (False, True)
]


def check(document: dict[str, Any]) -> None:
    """Valid under the INDIGO schemas as published, and with no property they do not name."""
    text = indigo_text(document)  # what is written, read back
    data = json.loads(text)
    for validator in VALIDATORS:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        assert [] == [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def codelist_paths(schema: dict[str, Any]) -> set[tuple[str, ...]]:
    """The paths (list items as ``[]``) of the fields whose value a codelist restricts."""
    definitions = schema.get("definitions", {})

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if "$ref" in node:
            node = definitions[node["$ref"].rpartition("/")[2]]
        if "codelist" in node.get("properties", {}).get("value", {}):
            yield path
        for key, value in node.get("properties", {}).items():
            yield from walk(value, (*path, key))
        if "items" in node:
            yield from walk(node["items"], (*path, "[]"))

    return set(walk(schema, ()))


def written_paths(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from written_paths(value, (*path, key))
    elif isinstance(data, list):
        for item in data:
            yield from written_paths(item, (*path, "[]"))


def project_of(document: dict[str, Any], contract_id: str) -> dict[str, Any]:
    (found,) = [p["data"] for p in document["projects"] if p["id"].endswith("-" + contract_id)]
    return found


def hand(**changes: Any) -> pg.Programme:
    """The worked example of the docs: the city pays €9,000 in Dec 2021 and €7,000 in Mar 2022."""
    return base_programme(contracts=[contract(**{"cap": 16_000.0, **changes})])


class TestSchemas:
    """The export validates against the INDIGO JSON Schemas."""

    def test_example(self) -> None:
        """The example, without a projection."""
        check(indigo(leeuwarden_oost()))

    def test_example_with_expected_projection(self) -> None:
        """The example with its expected payment plan, by month."""
        programme = leeuwarden_oost()
        check(indigo(programme, pg.project(programme)))

    def test_example_with_monte_carlo_quantile(self) -> None:
        """The example with a quantile of a Monte Carlo run, by fiscal year."""
        programme = leeuwarden_oost()
        runs = pg.project(programme, scenarios=20, seed=3, resolution="fiscal_year")
        check(indigo(programme, runs, quantile=0.9, organisation_prefix="GB-COH-09506232"))

    @settings(max_examples=examples(15))
    @given(programmes(max_contracts=2, max_years=3))
    def test_generated_programmes(self, programme: pg.Programme) -> None:
        """Any valid programme, with its expected payment plan by quarter."""
        check(indigo(programme, pg.project(programme, resolution="quarter")))

    def test_no_codelist_field_is_written(self) -> None:
        """No field whose value a codelist restricts (the codelists are not vendored)."""
        schema = json.loads((SCHEMAS / "project.json").read_text(encoding="utf-8"))
        listed = codelist_paths(schema)
        assert ("delivery_locations", "[]", "location_country") in listed
        assert ("provider_side_cost", "[]", "phase") in listed
        programme = leeuwarden_oost()
        document = indigo(programme, pg.project(programme))
        written = {p for record in document["projects"] for p in written_paths(record["data"])}
        assert ("delivery_locations", "[]", "location_name") in written
        assert set() == written & listed


class TestContent:
    """Each field holds its model field, as computed by hand."""

    def test_identifiers_from_the_prefix(self) -> None:
        """Projects, organisations and funds are named from the prefix and the programme's id."""
        document = indigo(hand(), organisation_prefix="XM-DAC-1")
        assert ["XM-DAC-1-POJ-hand-c"] == [p["id"] for p in document["projects"]]
        assert "XM-DAC-1-ORG-hand-city" == document["organisations"][0]["id"]
        assert ["XM-DAC-1-FUND-hand-budget"] == [f["id"] for f in document["funds"]]
        data = project_of(document, "c")
        assert [{"id": "XM-DAC-1-FUND-hand-budget"}] == data["outcome_funds"]
        assert "XM-DAC-1-ORG-hand-prov" == data["service_provisions"][0]["organisation_id"]["value"]

    def test_metric_price_and_caps(self) -> None:
        """Price per unit is the metric's fixed price; cap_value the maximum price."""
        metric = pg.OutcomeMetric(
            "job", "A job", price=1000, share_achieving=0.4, cap_value=12_500.5, cap_count=12
        )
        data = project_of(indigo(hand(metrics=[metric])), "c")
        (pricing,) = data["outcome_pricings"]
        assert {"value": "job"} == pricing["outcome_metric_id"]
        assert {"amount": {"value": 1000.0}} == pricing["price_per_unit"]
        assert {"value": "EUR"} == pricing["currency"]
        assert {"amount": {"value": "12500.5"}} == pricing["maximum_price_if_all_targets_achieved"]
        assert "at most 12 outcomes paid" == pricing["notes"]
        assert "per payable outcome, at 2021-01 prices" == pricing["price_description"]["value"]
        assert [{"id": "job", "definition": {"value": "A job"}}] == data["outcome_metrics"]

    def test_uncertain_price_is_described_not_given(self) -> None:
        """An uncertain price has no single price per unit: it is described, exactly."""
        metric = pg.OutcomeMetric(
            "job", "A job", price=Pert(900, 1000, 1234.5), share_achieving=0.4
        )
        (pricing,) = project_of(indigo(hand(metrics=[metric])), "c")["outcome_pricings"]
        assert "price_per_unit" not in pricing
        assert pricing["price_description"]["value"].endswith(
            "uncertain: pert(low=900, mode=1000, high=1234.5)"
        )

    def test_contract_cap_and_payer_commitments(self) -> None:
        """The contract cap, and each payer's share of it as its maximum payment."""
        payers = [PayerShare("city", "budget", 0.7), PayerShare("other", "topup", 0.3)]
        data = project_of(indigo(hand(payers=payers)), "c")
        maximum = data["overall_project_finance"]["maximum_potential_outcome_payment_v2"]
        assert {"currency": {"value": "EUR"}, "amount": {"value": 16_000.0}} == maximum
        commitments = data["outcome_payment_commitments"]
        assert ["INDIGO-ORG-hand-city", "INDIGO-ORG-hand-other"] == [
            c["organisation_id"]["value"] for c in commitments
        ]
        assert [0.7 * 16_000, 0.3 * 16_000] == [
            c["maximum_potential_outcome_payment"]["amount"]["value"] for c in commitments
        ]
        # the municipality is a government body; a funder's legal form is not known
        assert (
            "Government/Public Sector/Public Bank"
            == (commitments[0]["organisation_role_category"]["value"])
        )
        assert "organisation_role_category" not in commitments[1]

    def test_no_cap_no_maximum(self) -> None:
        """Without a contract cap no maximum payment is stated, for the project or a payer."""
        data = project_of(indigo(base_programme(contracts=[contract()])), "c")
        assert "overall_project_finance" not in data
        assert "maximum_potential_outcome_payment" not in data["outcome_payment_commitments"][0]

    def test_investment(self) -> None:
        """Commitment, return cap as the maximum IRR in percent, loss from capital protection."""
        financing = InvestorFinancing("inv", 1000, return_cap=0.07, capital_protection=0.7,
                                      guarantor="guar")  # fmt: skip
        data = project_of(indigo(hand(financing=financing)), "c")
        (investment,) = data["investments"]
        assert "INDIGO-ORG-hand-inv" == investment["organisation_id"]["value"]
        assert {"exact": {"value": 1000.0}} == investment["investment_commitment"]["amount"]
        assert {"value": "IRR"} == investment["maximum_potential_return_type"]
        assert {"value": 7.0} == investment["maximum_potential_return"]  # 7 % a year
        assert {"value": "30%"} == investment["maximum_potential_loss"]  # 1 − 0.7, exactly
        assert "INDIGO-ORG-hand-guar" in investment["notes"]
        total = data["overall_project_finance"]["total_investment_commitment"]
        assert {"exact": {"value": 1000.0}} == total["amount"]

    def test_no_investment_without_an_investor(self) -> None:
        """Provider financing has no investment."""
        assert "investments" not in project_of(indigo(hand()), "c")

    def test_service_provision_dates_and_locations(self) -> None:
        """The provider from the contract's start to its end; its areas with their codes."""
        programme = base_programme(
            areas=[Area("north", "Noord", code="WK008001"), Area("south", "Zuid")],
            contracts=[contract(cap=16_000.0, areas=["north", "south"])],
        )
        data = project_of(indigo(programme), "c")
        (provision,) = data["service_provisions"]
        assert "prov" == provision["id"]
        assert {"start_date": {"value": "2021-01"}, "end_date": {"value": "2022-12"}} == (
            provision["planned_service"]
        )
        assert [
            {
                "service_provision_id": {"value": "prov"},
                "location_name": {"value": "Noord"},
                "adminstrative_geography_code": {"value": "WK008001"},
            },
            {"service_provision_id": {"value": "prov"}, "location_name": {"value": "Zuid"}},
        ] == data["delivery_locations"]
        dates = data["dates"]
        assert "2021-01" == dates["start_date_of_service_provision"]["value"]
        assert "2022-12" == dates["anticipated_end_date_of_service_provision"]["value"]
        assert 24 == dates["anticipated_duration_of_service_provision"]["value"]
        assert "2022-12" == dates["anticipated_completion_date"]["value"]  # no run-off

    def test_fixed_enrolment_is_the_target(self) -> None:
        """10 a month for 6 months: 60 targeted participants."""
        data = project_of(indigo(hand()), "c")
        assert {"targeted_number_service_users_or_beneficiaries_total": {"value": 60.0}} == (
            data["service_and_beneficiaries"]
        )

    def test_organisations_and_funds(self) -> None:
        """Every stakeholder is an organisation; funds that pay outcomes are outcome funds."""
        programme = attrs.evolve(
            hand(),
            funds=[
                pg.Fund("budget", "Budget", "municipal-budget", "city", {2021: 500, 2022: 250.5}),
                pg.Fund("topup", "Top-up", "national-grant", "other"),
            ],
        )
        document = indigo(programme)
        assert [s.name for s in programme.stakeholders] == [
            o["data"]["name"]["value"] for o in document["organisations"]
        ]
        assert {"value": "Government body"} == document["organisations"][0]["data"]["type"]
        assert "type" not in document["organisations"][1]["data"]
        (fund,) = document["funds"]  # "topup" pays no outcomes
        assert "INDIGO-ORG-hand-city" == fund["data"]["host_institution_of_outcome_fund"]["value"]
        scale = fund["data"]["dimensions_of_scale"]
        assert (
            750.5
            == scale["total_outcome_fund_value_outcomes_funding"]["aspiration"]["amount"]["value"]
        )
        assert 1 == scale["number_of_outcome_contracts"]["aspiration"]["value"]


def plan_amounts(data: dict[str, Any]) -> dict[tuple[str, str, str], float]:
    return {
        (
            p["period"]["start_date"]["value"],
            p["period"]["end_date"]["value"],
            p["payer_organisation_id"]["value"],
        ): p["money"]["amount"]["value"]
        for p in data["outcome_payments"]
    }


class TestPaymentPlan:
    """The planned outcome payments per period, from a projection."""

    def test_worked_example_by_month(self) -> None:
        """€9,000 in December 2021 and €7,000 in March 2022 (docs/financing.md)."""
        programme = hand()
        data = project_of(indigo(programme, pg.project(programme)), "c")
        city = "INDIGO-ORG-hand-city"
        assert {("2021-12", "2021-12", city): 9000.0, ("2022-03", "2022-03", city): 7000.0} == (
            pytest.approx(plan_amounts(data), rel=1e-12)
        )
        payment = data["outcome_payments"][0]
        assert "INDIGO-ORG-hand-prov" == payment["recipient_organisation_id"]["value"]
        assert {"value": "Planned"} == payment["type"]
        (plan,) = data["outcome_payment_plans"]
        assert {"value": "projected-mean"} == plan["id"]
        assert {"value": "projected-mean"} == payment["outcome_payment_plan_id"]

    def test_by_quarter(self) -> None:
        """Quarters run from their first month to their last."""
        programme = hand()
        data = project_of(indigo(programme, pg.project(programme, resolution="quarter")), "c")
        city = "INDIGO-ORG-hand-city"
        assert {("2021-10", "2021-12", city): 9000.0, ("2022-01", "2022-03", city): 7000.0} == (
            pytest.approx(plan_amounts(data), rel=1e-12)
        )

    def test_advances_offset_count_as_payments(self) -> None:
        """An advance that pays the dues leaves no cash payment, but the plan still has them."""
        financing = AdvanceFinancing([Advance(D(2021, 1, 1), 20_000)])
        programme = hand(financing=financing)
        projection = pg.project(programme)
        assert 0.0 == projection.total(flow="outcome_payment").sum()  # all offset
        data = project_of(indigo(programme, projection), "c")
        assert [9000.0, 7000.0] == pytest.approx(list(plan_amounts(data).values()), rel=1e-12)

    @pytest.mark.parametrize("quantile", [None, 0.0, 0.1, 0.5, 0.9, 1.0])
    def test_statistic_of_the_scenarios(self, quantile: float | None) -> None:
        """Each planned payment is the mean or quantile of its per-scenario series."""
        programme = leeuwarden_oost()
        runs = pg.project(programme, scenarios=30, seed=7, resolution="fiscal_year")
        document = indigo(programme, runs, quantile=quantile)
        for c in programme.contracts:
            found = plan_amounts(project_of(document, c.id))
            for payer in dict.fromkeys(s.payer for s in c.payers):
                per_scenario = sum(
                    runs.total(flow=flow, contract=c.id, payer=payer) for flow in PAYMENT_FLOWS
                )
                assert isinstance(per_scenario, np.ndarray)
                expected = (
                    per_scenario.mean(axis=0)
                    if quantile is None
                    else np.quantile(per_scenario, quantile, axis=0)
                )
                for period, amount in zip(runs.periods, expected, strict=True):
                    year = period.removeprefix("FY")
                    key = (f"{year}-01", f"{year}-12", f"INDIGO-ORG-leeuwarden-oost-{payer}")
                    if amount == 0.0:
                        assert key not in found
                    else:
                        assert amount == pytest.approx(found[key], rel=1e-12, abs=1e-9)

    def test_example_plan_adds_up_to_the_payments(self) -> None:
        """In expected mode, the plan of a contract adds up to what its payers pay for outcomes."""
        programme = leeuwarden_oost()
        projection = pg.project(programme)
        document = indigo(programme, projection)
        for c in programme.contracts:
            paid = sum(projection.total(flow=f, contract=c.id).sum() for f in PAYMENT_FLOWS)
            planned = math.fsum(plan_amounts(project_of(document, c.id)).values())
            assert paid == pytest.approx(planned, rel=1e-12)
            assert paid > 0

    def test_without_projection_no_plan(self) -> None:
        """Without a projection there is no plan."""
        data = project_of(indigo(hand()), "c")
        assert "outcome_payment_plans" not in data
        assert "outcome_payments" not in data


class TestDeterminism:
    """The same input gives the same bytes."""

    def test_same_bytes_twice(self, tmp_path: Path) -> None:
        """Two exports of the example with a Monte Carlo plan are byte for byte the same."""
        runs = [
            pg.project(leeuwarden_oost(), scenarios=10, seed=5, resolution="fiscal_year")
            for _ in range(2)
        ]
        paths = [
            write_indigo(indigo(leeuwarden_oost(), run, quantile=0.5), tmp_path / f"{i}.json")
            for i, run in enumerate(runs)
        ]
        assert paths[0].read_bytes() == paths[1].read_bytes()

    def test_keys_sorted_and_full_precision(self, tmp_path: Path) -> None:
        """Keys are sorted; numbers read back exactly."""
        programme = leeuwarden_oost()
        document = indigo(programme, pg.project(programme))
        path = write_indigo(document, tmp_path / "out.json")
        text = path.read_text(encoding="utf-8")
        assert (
            json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True) + ("\n")
            == text
        )
        assert document == json.loads(text)

    def test_no_shared_parts(self) -> None:
        """Changing one part of the data leaves every other part as it was."""
        document = indigo(leeuwarden_oost())
        pricings = document["projects"][0]["data"]["outcome_pricings"]
        pricings[0]["currency"]["value"] = "XXX"
        assert "EUR" == pricings[1]["currency"]["value"]
        finance = document["projects"][0]["data"]["overall_project_finance"]
        finance["total_investment_commitment"]["currency"]["value"] = "XXX"
        assert "EUR" == finance["maximum_potential_outcome_payment_v2"]["currency"]["value"]


class TestBadInput:
    """Bad arguments are reported all at once, each with its path."""

    def test_every_problem_at_once(self) -> None:
        """A bad prefix and a quantile outside [0, 1]."""
        programme = hand()
        with pytest.raises(ValidationError) as caught:
            indigo(programme, pg.project(programme), organisation_prefix="-x ", quantile=1.5)
        assert ("organisation_prefix", "quantile") == caught.value.paths

    @pytest.mark.parametrize("prefix", ["", "INDIGO-", "a b", "x/y", 7])
    def test_bad_prefix(self, prefix: Any) -> None:
        """A prefix must be letters, digits and '-', '.', '_' inside."""
        with pytest.raises(ValidationError) as caught:
            indigo(hand(), organisation_prefix=prefix)
        assert ("organisation_prefix",) == caught.value.paths

    @pytest.mark.parametrize("quantile", [-0.1, math.nan, True, "0.5"])
    def test_bad_quantile(self, quantile: Any) -> None:
        """A quantile is a number in [0, 1]."""
        programme = hand()
        with pytest.raises(ValidationError) as caught:
            indigo(programme, pg.project(programme), quantile=quantile)
        assert ("quantile",) == caught.value.paths

    def test_quantile_without_projection(self) -> None:
        """A quantile of nothing is refused rather than ignored."""
        with pytest.raises(ValidationError, match="without a projection"):
            indigo(hand(), quantile=0.5)

    def test_projection_of_another_programme(self) -> None:
        """A plan from another programme's projection is refused."""
        with pytest.raises(ValidationError, match="of programme 'leeuwarden-oost'"):
            indigo(hand(), pg.project(leeuwarden_oost()))

    def test_projection_of_another_version(self) -> None:
        """A projection of the same programme with other values is refused."""
        other = hand(cap=15_000.0)
        with pytest.raises(ValidationError, match="another version of 'hand'"):
            indigo(hand(), pg.project(other))

    def test_projection_without_outcome_payments(self) -> None:
        """A selection that drops a contract's outcome payments cannot give its plan."""
        programme = hand()
        projection = pg.project(programme).select(flow="delivery_cost")
        with pytest.raises(ValidationError, match=r"contracts\[0\] \('c'\)"):
            indigo(programme, projection)

    def test_not_a_projection(self) -> None:
        """Anything but a Projection is refused, by its type."""
        with pytest.raises(ValidationError, match="a Projection or None, got dict"):
            indigo(hand(), {})  # type: ignore[arg-type]

    def test_not_a_programme(self) -> None:
        """Anything but a Programme is refused, by its type."""
        with pytest.raises(ValidationError, match="a Programme, got str"):
            indigo("programme")  # type: ignore[arg-type]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(""))
    return code, out.getvalue(), err.getvalue()


class TestCommandLine:
    """``programma export indigo``."""

    def test_example_to_stdout(self) -> None:
        """Without FILE: the example, with its expected plan, as the API writes it."""
        code, out, err = run_cli("export", "indigo")
        assert (EXIT_OK, "") == (code, err)
        programme = leeuwarden_oost()
        assert indigo_text(indigo(programme, pg.project(programme))) == out

    def test_file_to_out(self, tmp_path: Path) -> None:
        """A programme file, a Monte Carlo quantile and a prefix, written to --out."""
        source = tmp_path / "hand.json"
        pg.dump(hand(), source)
        target = tmp_path / "indigo.json"
        code, out, err = run_cli(
            "export", "indigo", str(source), "--out", str(target), "--scenarios", "8",
            "--seed", "2", "--by", "quarter", "--quantile", "0.25",
            "--organisation-prefix", "NL-KVK-1",
        )  # fmt: skip
        assert (EXIT_OK, "", "") == (code, out, err)
        written = json.loads(target.read_text(encoding="utf-8"))
        check(written)
        runs = pg.project(hand(), scenarios=8, seed=2, resolution="quarter")
        assert indigo(hand(), runs, organisation_prefix="NL-KVK-1", quantile=0.25) == written
        assert "NL-KVK-1-POJ-hand-c" == written["projects"][0]["id"]

    def test_no_plan(self) -> None:
        """--no-plan leaves the projection out."""
        code, out, _ = run_cli("export", "indigo", "--no-plan")
        assert EXIT_OK == code
        assert indigo_text(indigo(leeuwarden_oost())) == out

    def test_invalid_file(self, tmp_path: Path) -> None:
        """An invalid programme exits 1 with its problems."""
        source = tmp_path / "bad.toml"
        source.write_text('format_version = 1\nid = "x"\n', encoding="utf-8")
        code, out, err = run_cli("export", "indigo", str(source))
        assert (EXIT_INVALID, "") == (code, out)
        assert "bad.toml" in err

    def test_bad_prefix(self) -> None:
        """A bad prefix exits 1, naming the option's field."""
        code, out, err = run_cli("export", "indigo", "--organisation-prefix", "a b")
        assert (EXIT_INVALID, "") == (code, out)
        assert "organisation_prefix: expected a prefix" in err

    @pytest.mark.parametrize("argv", [["export"], ["export", "iso"], ["export", "indigo",
                                      "--quantile", "2"]])  # fmt: skip
    def test_usage_errors(self, argv: list[str]) -> None:
        """No standard, an unknown one, or a quantile outside [0, 1] is a usage error."""
        assert EXIT_USAGE == run_cli(*argv)[0]

    def test_unwritable_out(self, tmp_path: Path) -> None:
        """A folder as --out exits 1 and writes nothing."""
        code, out, err = run_cli("export", "indigo", "--no-plan", "--out", str(tmp_path))
        assert (EXIT_INVALID, "") == (code, out)
        assert [] == list(tmp_path.iterdir())
        assert err


def test_dates_are_months() -> None:
    """Every date written is a month, as the model's are (INDIGO allows YYYY-MM)."""
    text = indigo_text(indigo(leeuwarden_oost(), pg.project(leeuwarden_oost())))
    dates = [v for k, v in _dates(json.loads(text))]
    assert dates
    assert all(dt.date.fromisoformat(d + "-01") for d in dates)


def _dates(data: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k.endswith("date") and isinstance(v, dict) and "value" in v:
                yield k, v["value"]
            else:
                yield from _dates(v, k)
    elif isinstance(data, list):
        for item in data:
            yield from _dates(item, key)
