"""The benchmark scripts at their tiny sizes: the contenders agree (no timing is asserted)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_capital  # noqa: E402
import bench_example  # noqa: E402
import bench_scaling  # noqa: E402
from _common import interleaved, median_of, outcome  # noqa: E402

from programma import project  # noqa: E402
from programma.examples import leeuwarden_oost  # noqa: E402

pytest.importorskip("heavylight")


def plain_outflow(d: bench_capital.Draws) -> np.ndarray:
    """The capital programme's outflow by loops over scenarios, initiatives and months."""
    scenarios, initiatives = d.delay.shape
    out = np.zeros((scenarios, bench_capital.T))
    for s in range(scenarios):
        for i in range(initiatives):
            first = int(d.start[i] + d.delay[s, i])
            for m in range(first, min(first + int(d.duration[i]), bench_capital.T)):
                index = 1.0
                for y in range(1, m // 12 + 1):
                    index *= 1.0 + d.rates[s, y]
                out[s, m] += d.commitment[i] * d.overrun[s, i] / d.duration[i] * index
    return out


@pytest.fixture(scope="module")
def draws() -> bench_capital.Draws:
    """The capital benchmark's draws at its tiny size."""
    return bench_capital.draws(*bench_capital.TINY)


class TestCapital:
    """The capital programme: floor, heavylight and programma give the same flows."""

    def test_floor_is_the_plain_sum(self, draws):
        """The numpy floor equals a loop over every scenario, initiative and month (up to the
        rounding a running sum of differences leaves, a few 1e-16 of the largest month)."""
        expected = plain_outflow(draws)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(
            expected, bench_capital.numpy_outflow(draws), rtol=1e-12, atol=1e-14 * scale
        )

    def test_draws(self, draws):
        """The inputs are in their ranges and the overrun has mean 1."""
        assert 0 <= draws.start.min()
        assert 179 >= draws.start.max()
        assert 6 <= draws.duration.min()
        assert 60 >= draws.duration.max()
        big = bench_capital.draws(10, 20_000)
        assert 1.0 == pytest.approx(big.overrun.mean(), abs=0.005)
        assert 3.0 == pytest.approx(big.delay.mean(), abs=0.05)

    @pytest.mark.parametrize("kind", ["heavylight", "programma", "programma-fy"])
    def test_contender_agrees(self, draws, kind):
        """Every contender agrees with the floor on the mean NPV and, where given, monthly."""
        outflow, npv = bench_capital.contender(kind, draws)()
        found = bench_capital.compare(outflow, npv, draws)
        assert found["mean_npv_difference"] <= bench_capital.TOLERANCE
        assert found.get("worst_monthly", 0.0) <= bench_capital.TOLERANCE

    def test_npv_by_hand(self):
        """€1,200 a month for 12 months from January 2021, no delay, overrun 1: the NPV is
        the sum of each month's flow discounted from its end at 3.5% a year."""
        d = bench_capital.Draws(
            start=np.array([0]),
            duration=np.array([12]),
            commitment=np.array([14_400.0]),
            delay=np.zeros((1, 1), dtype=int),
            overrun=np.ones((1, 1)),
            rates=np.full((1, bench_capital.YEARS), 0.02),
        )
        expected = sum(1_200.0 * 1.035 ** -((m + 1) / 12) for m in range(12))
        _, npv = bench_capital.contender("programma", d)()
        assert expected == pytest.approx(float(npv[0]), rel=1e-12)

    def test_measure(self):
        """A child's measurement reports the statistics and the distance from the floor."""
        result = bench_capital.measure("programma-fy", 20, 10, None)
        assert result["mean_npv_difference"] <= bench_capital.TOLERANCE
        assert result["p50_npv"] <= result["p90_npv"]


class TestExample:
    """The example and its copies against the oracle of the tests."""

    def test_example_agrees_with_the_oracle(self):
        """The engine gives the oracle's value in every series, scenario and month."""
        from oracle import oracle

        _, scenarios = bench_example.TINY
        programme = leeuwarden_oost()
        differ, compared = bench_example.mismatches(
            programme, oracle(programme, scenarios=scenarios, seed=bench_example.SEED)
        )
        assert (0, True) == (differ, compared > 0)

    def test_copies_pay_in_proportion(self):
        """Two copies of every contract pay twice the outcome payments, in expected mode."""
        example = leeuwarden_oost()
        doubled = bench_example.replicate(example, 2)
        assert 2 * len(example.contracts) == len(doubled.contracts)
        assert 2 * len(example.gates) == len(doubled.gates)
        one = project(example).total(flow="outcome_payment").sum()
        two = project(doubled).total(flow="outcome_payment").sum()
        assert 2 * one == pytest.approx(two, rel=1e-12)

    def test_copies_of_one_contract(self):
        """Copies of one contract take its initiatives along and leave the others out."""
        one = bench_example.replicate(leeuwarden_oost(), 3, (bench_scaling.CONTRACT,))
        assert 3 == len(one.contracts)
        assert {"sib-werkroute", "sib-werkroute.1", "sib-werkroute.2"} == {
            c.id for c in one.contracts
        }


class TestRunner:
    """Fresh-process runs, interleaved, and their medians."""

    def test_interleaved_order_and_failures(self, tmp_path):
        """Cases take turns; a failing case is not run again and says why."""
        log = tmp_path / "order.txt"
        script = tmp_path / "child.py"
        script.write_text(
            "import json, sys\n"
            f"open({str(log)!r}, 'a').write(sys.argv[2])\n"
            "if sys.argv[2] == 'C': sys.exit('broken')\n"
            "print(json.dumps({'seconds': float(len(open(" + repr(str(log)) + ").read()))}))\n",
            encoding="utf-8",
        )
        results = interleaved(script, [(c, [c]) for c in "ABC"], 2, 30.0, log=lambda _: None)
        assert "ABCAB" == log.read_text()
        assert "ok" == outcome(results["A"])
        assert outcome(results["C"]).startswith("failed")
        assert 2.5 == median_of(results["A"], "seconds")  # runs 1 and 4: 1.0 and 4.0

    def test_date_helper(self):
        """Initiative start months map to the first of the month."""
        assert dt.date(2022, 3, 1) == bench_capital._month(14)
