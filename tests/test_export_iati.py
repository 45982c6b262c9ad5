"""The IATI 2.03 export: valid against the official schema, filled from the model, deterministic."""

from __future__ import annotations

import datetime as dt
import io
import pathlib

import attrs
import numpy as np
import okfn_iati
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import programma
from programma.cli import EXIT_OK, EXIT_USAGE, main
from programma.examples import leeuwarden_oost
from programma.export import iati
from programma.export.iati import ExportError
from strategies import programmes

SCHEMA_FILE = (
    pathlib.Path(okfn_iati.__file__).parent / "schemas" / "2.03" / "iati-activities-schema.xsd"
)
PREFIX = "NL-KVK-12345678"
EXAMPLE = leeuwarden_oost()
PROGRAMME_ID = f"{PREFIX}-leeuwarden-oost"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


@pytest.fixture(scope="module")
def runs() -> programma.Projection:
    """The example over 200 Monte Carlo scenarios, by month."""
    return programma.project(EXAMPLE, scenarios=200, seed=3, resolution="month", initiatives=True)


@pytest.fixture(scope="module")
def expected_mode() -> programma.Projection:
    return programma.project(EXAMPLE, resolution="quarter", initiatives=True)


def parse(document: bytes) -> etree._Element:
    return etree.fromstring(document)


def assert_valid(schema: etree.XMLSchema, document: bytes) -> None:
    root = parse(document)
    assert schema.validate(root), str(schema.error_log)


def activity(root: etree._Element, identifier: str) -> etree._Element:
    (found,) = root.xpath("iati-activity[iati-identifier=$id]", id=identifier)
    return found


def disbursements(element: etree._Element, payer_name: str) -> dict[str, float]:
    """The planned disbursements of one provider-org, by period start."""
    return {
        pd.find("period-start").get("iso-date"): float(pd.findtext("value"))
        for pd in element.findall("planned-disbursement")
        if pd.findtext("provider-org/narrative") == payer_name
    }


class TestSchema:
    def test_example_with_a_monte_carlo_projection(
        self, schema: etree.XMLSchema, runs: programma.Projection
    ) -> None:
        """The example with a projection by month validates against the IATI 2.03 XSD."""
        assert_valid(schema, iati(EXAMPLE, runs, organisation_prefix=PREFIX))

    def test_example_by_quarter_and_without_projection(
        self, schema: etree.XMLSchema, expected_mode: programma.Projection
    ) -> None:
        """By quarter in expected mode, and with no projection at all, it validates too."""
        assert_valid(schema, iati(EXAMPLE, expected_mode, organisation_prefix=PREFIX))
        assert_valid(schema, iati(EXAMPLE, organisation_prefix=PREFIX))

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(programme=programmes(max_years=3), with_projection=st.booleans())
    def test_generated_programmes(
        self, programme: programma.Programme, with_projection: bool
    ) -> None:
        """Generated programmes validate, with and without a projection."""
        schema = etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))
        projection = (
            programma.project(programme, resolution="month", initiatives=True)
            if with_projection
            else None
        )
        refused: ExportError | None = None
        try:
            document = iati(
                programme,
                projection,
                organisation_prefix=PREFIX,
                reporting_org=programme.stakeholders[0].id,
                reporting_org_type="90",
            )
        except ExportError as error:
            refused = error
        if refused is not None:  # only texts that XML cannot hold are refused
            expected = {"text that XML 1.0 can hold (no control characters)"}
            assert expected == {problem.expected for problem in refused.problems}
            return
        assert_valid(schema, document)
        root = parse(document)
        assert 1 + len(programme.contracts) + len(programme.initiatives) == len(root)


class TestActivities:
    def test_one_per_programme_contract_and_initiative(self) -> None:
        """1 + contracts + initiatives activities, with hierarchy 1 for the programme."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        assert 1 + 4 + 9 == len(root) == 1 + len(EXAMPLE.contracts) + len(EXAMPLE.initiatives)
        assert ["1"] + ["2"] * 13 == [a.get("hierarchy") for a in root]
        assert PROGRAMME_ID == root[0].findtext("iati-identifier")
        assert f"{PROGRAMME_ID}-contract-sib-werkroute" == root[1].findtext("iati-identifier")

    def test_related_activities_both_ways(self) -> None:
        """The programme lists each child; each child names the programme as its parent."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        children = [a.findtext("iati-identifier") for a in root[1:]]
        assert children == root[0].xpath("related-activity[@type='2']/@ref")
        for child in root[1:]:
            assert [PROGRAMME_ID] == child.xpath("related-activity[@type='1']/@ref")
        # a contract and the initiative whose cost its financing carries are siblings
        contract = activity(root, f"{PROGRAMME_ID}-contract-vroeg-eropaf-oost")
        initiative = f"{PROGRAMME_ID}-initiative-vroeg-eropaf-oost"
        assert [initiative] == contract.xpath("related-activity[@type='3']/@ref")

    def test_identifiers_unique(self) -> None:
        """A contract and an initiative with the same id get different identifiers."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        identifiers = root.xpath("iati-activity/iati-identifier/text()")
        assert len(identifiers) == len(set(identifiers))

    def test_participating_orgs_of_a_contract(self) -> None:
        """Payers fund, the municipality is accountable, the provider implements."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        contract = activity(root, f"{PROGRAMME_ID}-contract-schuldenvrij-oost")
        roles = [
            (org.get("role"), org.findtext("narrative"))
            for org in contract.findall("participating-org")
        ]
        assert [
            ("1", "Gemeente Leeuwarden"),
            ("1", "De Friesland Zorgverzekeraar"),
            ("2", "Gemeente Leeuwarden"),
            ("4", "Kredietbank Nederland"),
        ] == roles
        investor = activity(root, f"{PROGRAMME_ID}-contract-sib-werkroute")
        assert ["Impact investor (to be selected)"] == investor.xpath(
            "participating-org[@role='3']/narrative/text()"
        )

    def test_reporting_org(self) -> None:
        """The reporting org is the municipality, with the prefix and type 11."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        for element in root:
            reporting = element.find("reporting-org")
            assert (PREFIX, "11") == (reporting.get("ref"), reporting.get("type"))
            assert "Gemeente Leeuwarden" == reporting.findtext("narrative")

    def test_locations_with_official_codes(self) -> None:
        """Every area is a location of the programme; only areas with a code have a ref."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        locations = root[0].findall("location")
        assert 5 == len(locations)
        assert ["WK008021", "WK008036"] == [loc.get("ref") for loc in locations if loc.get("ref")]
        bilgaard = activity(root, f"{PROGRAMME_ID}-contract-samen-kansrijk-bilgaard")
        assert ["Bilgaard"] == bilgaard.xpath("location/name/narrative/text()")

    def test_dates_and_status(self) -> None:
        """Planned start and end from the model; status judged at ``as_of``."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        assert ["2021-10-01", "2041-09-30"] == root[0].xpath("activity-date/@iso-date")
        contract = activity(root, f"{PROGRAMME_ID}-contract-samen-kansrijk-bilgaard")
        # 2023-01 to 2025-06, three months of run-off: settled in September 2025
        assert ["2023-01-01", "2025-09-30"] == contract.xpath("activity-date/@iso-date")
        assert "1" == contract.find("activity-status").get("code")  # pipeline at the start
        for as_of, code in [("2024-06-01", "2"), ("2025-08-15", "3"), ("2025-10-01", "4")]:
            later = parse(
                iati(EXAMPLE, organisation_prefix=PREFIX, as_of=dt.date.fromisoformat(as_of))
            )
            status = activity(later, f"{PROGRAMME_ID}-contract-samen-kansrijk-bilgaard")
            assert code == status.find("activity-status").get("code")


class TestBudgets:
    def test_programme_budgets_are_the_funds(self) -> None:
        """Per fiscal year, the sum of the funds' amounts (read off leeuwarden-oost.toml)."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        budgets = {
            b.find("period-start").get("iso-date"): (
                b.find("period-end").get("iso-date"),
                float(b.findtext("value")),
            )
            for b in root[0].findall("budget")
        }
        # gemeentebegroting 100,000 + geeffonds 90,000 + pilotfonds 50,000
        assert ("2022-12-31", 240_000.0) == budgets["2022-01-01"]
        assert ("2023-12-31", 110_000.0) == budgets["2023-01-01"]  # pilotfonds alone
        # 120,000 + 42,000 + 70,000 + resultatenfonds 150,000 + preventiebudget 35,000
        assert ("2025-12-31", 417_000.0) == budgets["2025-01-01"]
        # the last fiscal year is cut short by the horizon (September 2041)
        assert ("2041-09-30", 256_000.0) == budgets["2041-01-01"]
        expected_years = sorted({year for fund in EXAMPLE.funds for year, _ in fund.amounts})
        assert [f"{year}-01-01" for year in expected_years] == sorted(budgets)

    def test_child_budgets_need_a_projection(self, expected_mode: programma.Projection) -> None:
        """Without a projection contracts have no budget; with one, per fiscal year."""
        bare = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        assert [] == bare.xpath("iati-activity[@hierarchy='2']/budget")
        assert [] == bare.xpath("//planned-disbursement")
        root = parse(iati(EXAMPLE, expected_mode, organisation_prefix=PREFIX))
        contract = activity(root, f"{PROGRAMME_ID}-contract-schuldenvrij-oost")
        by_year = {
            b.find("period-start").get("iso-date"): float(b.findtext("value"))
            for b in contract.findall("budget")
        }
        # FY2025: the July advance, 150,000 (0.8 municipality, 0.2 insurer); no outcome is
        # paid in 2025 beyond the advance it offsets
        assert 150_000.0 == by_year["2025-01-01"]


class TestDisbursements:
    def test_advances_by_hand(self, expected_mode: programma.Projection) -> None:
        """Schuldenvrij Oost's advances: 150,000 in July 2025 and 300,000 in January 2026."""
        root = parse(iati(EXAMPLE, expected_mode, organisation_prefix=PREFIX))
        contract = activity(root, f"{PROGRAMME_ID}-contract-schuldenvrij-oost")
        municipality = disbursements(contract, "Gemeente Leeuwarden")
        insurer = disbursements(contract, "De Friesland Zorgverzekeraar")
        assert 0.8 * 150_000 == municipality["2025-07-01"]  # share 0.8 of the advance
        assert 0.2 * 150_000 == insurer["2025-07-01"]
        assert 0.8 * 300_000 == municipality["2026-01-01"]
        (quarter,) = [
            pd
            for pd in contract.findall("planned-disbursement")
            if pd.find("period-start").get("iso-date") == "2025-07-01"
            and pd.findtext("provider-org/narrative") == "Gemeente Leeuwarden"
        ]
        assert "2025-09-30" == quarter.find("period-end").get("iso-date")

    @pytest.mark.parametrize("quantile", [0.5, 0.9])
    def test_quantile_of_the_quarterly_flow(
        self, runs: programma.Projection, quantile: float
    ) -> None:
        """A quarter's disbursement is the quantile over scenarios of its summed flows."""
        root = parse(iati(EXAMPLE, runs, organisation_prefix=PREFIX, quantile=quantile))
        contract = activity(root, f"{PROGRAMME_ID}-contract-vroeg-eropaf-oost")
        paid = disbursements(contract, "Gemeente Leeuwarden")
        funding = {"outcome_payment", "advance", "step_in_funding", "prefinancing"}
        columns = [
            n
            for n, key in enumerate(runs.series)
            if key.flow in funding
            and key.contract == "vroeg-eropaf-oost"
            and key.payer == "gemeente"
        ]
        months = [runs.periods.index(f"2028-{m:02d}") for m in (4, 5, 6)]
        per_scenario = runs.values[:, months][:, :, columns].sum(axis=(1, 2))
        assert per_scenario.std() > 0  # a quarter that varies between scenarios
        assert round(float(np.percentile(per_scenario, 100 * quantile)), 2) == paid["2028-04-01"]

    def test_initiative_grants(self, expected_mode: programma.Projection) -> None:
        """An initiative's disbursements are the grants from its funds' owners."""
        root = parse(iati(EXAMPLE, expected_mode, organisation_prefix=PREFIX))
        initiative = activity(root, f"{PROGRAMME_ID}-initiative-wijkplannen")
        paid = disbursements(initiative, "Gemeente Leeuwarden")
        grants = expected_mode.total(flow="grant", initiative="wijkplannen")[0]
        assert round(float(grants.sum()), 2) == pytest.approx(
            sum(paid.values()), abs=0.01 * len(paid)
        )


class TestResults:
    def test_a_result_per_metric(self, expected_mode: programma.Projection) -> None:
        """Each metric is an outcome result: baseline and target shares in percent."""
        root = parse(iati(EXAMPLE, expected_mode, organisation_prefix=PREFIX))
        contract = activity(root, f"{PROGRAMME_ID}-contract-sib-werkroute")
        results = contract.findall("result")
        assert len(EXAMPLE.contracts[0].metrics) == len(results)
        first = results[0]
        assert "2" == first.get("type")
        share = first.find("indicator[@measure='2']")
        # baseline = 0.25 in leeuwarden-oost.toml; the contract starts in July 2025
        assert ("2025", "2025-07-01", "25") == (
            share.find("baseline").get("year"),
            share.find("baseline").get("iso-date"),
            share.find("baseline").get("value"),
        )
        count = first.find("indicator[@measure='1']/period/target")
        achieved = expected_mode.total(
            flow="outcomes_achieved", contract="sib-werkroute", metric="uitstroom"
        )
        assert pytest.approx(float(achieved.sum()), abs=1e-6) == float(count.get("value"))

    def test_no_count_without_projection(self) -> None:
        """Without a projection only the share indicator is written."""
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX))
        assert [] == root.xpath("//indicator[@measure='1']")


class TestDeterminism:
    def test_same_input_same_bytes(self) -> None:
        """Two exports of the same programme and projection are identical."""
        first = programma.project(
            EXAMPLE, scenarios=50, seed=9, resolution="quarter", initiatives=True
        )
        second = programma.project(
            EXAMPLE, scenarios=50, seed=9, resolution="quarter", initiatives=True
        )
        assert iati(EXAMPLE, first, organisation_prefix=PREFIX) == iati(
            EXAMPLE, second, organisation_prefix=PREFIX
        )

    def test_datetimes_only_when_given(self) -> None:
        """No timestamp unless one is passed; then it is on the file and every activity."""
        assert b"datetime" not in iati(EXAMPLE, organisation_prefix=PREFIX)
        when = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        root = parse(iati(EXAMPLE, organisation_prefix=PREFIX, generated=when))
        assert "2025-01-02T03:04:05+00:00" == root.get("generated-datetime")
        assert {"2025-01-02T03:04:05+00:00"} == set(
            root.xpath("iati-activity/@last-updated-datetime")
        )


class TestBadInput:
    @pytest.mark.parametrize("prefix", ["", "NL KVK 1", "nl-kvk-1", "NL-KVK-", "NL-KVK-1/2", "NL"])
    def test_bad_prefix(self, prefix: str) -> None:
        """A prefix that is not an IATI organisation identifier is refused, with its path."""
        with pytest.raises(ExportError, match="organisation_prefix: expected an IATI organisation"):
            iati(EXAMPLE, organisation_prefix=prefix)

    def test_every_problem_at_once(self) -> None:
        """Several bad arguments are reported together."""
        with pytest.raises(ExportError) as caught:
            iati(EXAMPLE, organisation_prefix="bad", quantile=1.5, reporting_org_type="12")
        assert ("organisation_prefix", "reporting_org_type", "quantile") == caught.value.paths

    def test_projection_by_fiscal_year(self) -> None:
        """Planned disbursements are per quarter: a projection by fiscal year is refused."""
        yearly = programma.project(EXAMPLE, resolution="fiscal_year", initiatives=True)
        with pytest.raises(
            ExportError, match="projection: expected a projection by month or by quarter"
        ):
            iati(EXAMPLE, yearly, organisation_prefix=PREFIX)

    def test_quarters_across_fiscal_years(self) -> None:
        """Fiscal years from February do not hold whole quarters: a monthly one is needed."""
        municipality = programma.Stakeholder("gemeente", "Gemeente", "municipality")
        february = programma.Programme(
            "p",
            "P",
            "EUR",
            dt.date(2021, 1, 1),
            2,
            fiscal_year_start_month=2,
            stakeholders=[municipality],
        )
        quarterly = programma.project(february, resolution="quarter", initiatives=True)
        with pytest.raises(ExportError, match="spans two fiscal years"):
            iati(february, quarterly, organisation_prefix=PREFIX)

    def test_projection_of_another_programme(self, expected_mode: programma.Projection) -> None:
        """A projection must be of the programme exported."""
        other = attrs.evolve(EXAMPLE, name="Another name")
        with pytest.raises(ExportError, match="a projection of this programme"):
            iati(other, expected_mode, organisation_prefix=PREFIX)

    def test_reporting_org(self) -> None:
        """An unknown reporter, or a non-municipal one without a type, is refused."""
        with pytest.raises(ExportError, match="reporting_org: expected the id of one of"):
            iati(EXAMPLE, organisation_prefix=PREFIX, reporting_org="nobody")
        with pytest.raises(ExportError, match="reporting_org_type: expected an IATI Organisation"):
            iati(EXAMPLE, organisation_prefix=PREFIX, reporting_org="amaryllis")
        root = parse(
            iati(
                EXAMPLE,
                organisation_prefix=PREFIX,
                reporting_org="amaryllis",
                reporting_org_type="22",
            )
        )
        assert ("22", "Amaryllis") == (
            root[0].find("reporting-org").get("type"),
            root[0].findtext("reporting-org/narrative"),
        )

    def test_text_xml_cannot_hold(self) -> None:
        """A control character in a name is refused with the name's path, not dropped."""
        renamed = attrs.evolve(EXAMPLE.stakeholders[0], name="Gemeente\x01")
        programme = attrs.evolve(
            EXAMPLE, stakeholders=(renamed, *EXAMPLE.stakeholders[1:]), variants={}
        )
        with pytest.raises(ExportError) as caught:
            iati(programme, organisation_prefix=PREFIX)
        assert ("stakeholders[0].name",) == caught.value.paths


class TestCommandLine:
    def test_writes_a_valid_file(self, schema: etree.XMLSchema, tmp_path: pathlib.Path) -> None:
        """`programma export iati --out` writes the example as a valid IATI file."""
        path = tmp_path / "oost.xml"
        err = io.StringIO()
        code = main(
            [
                "export",
                "iati",
                "--organisation-prefix",
                PREFIX,
                "--scenarios",
                "64",
                "--out",
                str(path),
            ],
            stdout=io.StringIO(),
            stderr=err,
        )
        assert (EXIT_OK, "") == (code, err.getvalue())
        assert_valid(schema, path.read_bytes())
        assert [] == [p.name for p in tmp_path.iterdir() if p != path]  # no temporary left

    def test_stdout_equals_the_api(self) -> None:
        """Without --out (or with --out -) the document goes to stdout, as the API makes it."""
        projection = programma.project(EXAMPLE, resolution="quarter", initiatives=True)
        expected = iati(EXAMPLE, projection, organisation_prefix=PREFIX).decode("utf-8")
        for extra in ([], ["--out", "-"]):
            out = io.StringIO()
            code = main(["export", "iati", "--organisation-prefix", PREFIX, *extra], stdout=out)
            assert (EXIT_OK, expected) == (code, out.getvalue())

    def test_bad_prefix_is_a_usage_error(self) -> None:
        """A bad prefix exits 2 and names the option; a missing one too."""
        err = io.StringIO()
        code = main(["export", "iati", "--organisation-prefix", "bad one"], stderr=err)
        assert EXIT_USAGE == code
        assert err.getvalue().startswith(
            "programma export iati: --organisation-prefix: expected an IATI organisation identifier"
        )
        assert EXIT_USAGE == main(["export", "iati"], stderr=io.StringIO())
        assert EXIT_USAGE == main(["export"], stderr=io.StringIO())
