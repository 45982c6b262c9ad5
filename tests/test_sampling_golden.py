"""Golden values of a seeded Monte Carlo run: a change in numpy's random streams is noticed.

The values were recorded with numpy 2.4 after Poisson counts became inverse-CDF draws. They
are regression values, not derived by hand: the other sampling tests check that the draws are
right; these check that they stay the same. ``rtol = 1e-9`` lets through differences in the
last bits of floating-point library functions between machines, and nothing else.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import numpy as np
import pytest

import programma as pg
from programma import (
    Beta,
    Enrolment,
    EnrolmentWindow,
    Fixed,
    Fund,
    FundShare,
    Initiative,
    LogNormal,
    Normal,
    OutcomeContract,
    OutcomeMetric,
    Parameter,
    PayerShare,
    Pert,
    Poisson,
    Programme,
    Ref,
    Samples,
    Stakeholder,
    Triangular,
    Uniform,
    Yearly,
)
from programma.uncertainty.sampling import Draws

RECORDED_WITH = "2.4"
SEED = 20240917
D = dt.date


def check(expected: list[float], actual: np.ndarray, what: str) -> None:
    """Fail with a message that names numpy's version as a likely cause."""
    if not np.allclose(expected, actual, rtol=1e-9, atol=0.0):
        pytest.fail(
            f"{what} changed: expected {expected}, got {actual.tolist()}. The golden values "
            f"were recorded with numpy {RECORDED_WITH}; this is numpy {np.__version__}. A "
            "changed numpy version can change its random streams (numpy promises the same "
            "streams only for the same version): if the sampling code did not change, check "
            "the numpy version before anything else, then record the values anew."
        )


DISTRIBUTIONS = {
    "fixed": Fixed(2.5),
    "uniform": Uniform(1.0, 3.0),
    "triangular": Triangular(0.0, 1.0, 4.0),
    "pert": Pert(800.0, 1000.0, 1500.0),
    "normal": Normal(0.0, 1.0),
    "truncated-normal": Normal(0.4, 0.2, low=0.0, high=1.0),
    "lognormal": LogNormal(0.0, 0.5),
    "beta": Beta(2.0, 5.0, low=10.0, high=20.0),
    "poisson": Poisson(3.5),
    "poisson-large": Poisson(2500.0),
    "samples": Samples(np.arange(256) * 0.5),
    "ref": Ref("shock", factor=2.0, offset=1.0),
}


def programme() -> Programme:
    """One initiative and one outcome contract with Poisson enrolment noise, over 3 years."""
    metric = OutcomeMetric(
        "job",
        "A job",
        price=Normal(1000.0, 150.0, low=0.0),
        share_achieving=Beta(4.0, 6.0),
        baseline=Uniform(0.0, 0.1),
        time_to_outcome=LogNormal(1.5, 0.4),
    )
    contract = OutcomeContract(
        "c",
        "Contract",
        "prov",
        D(2021, 1, 1),
        end=D(2022, 12, 1),
        enrolment=Enrolment(
            [
                EnrolmentWindow(D(2021, 1, 1), 12, per_month=Ref("demand", factor=20.0)),
                EnrolmentWindow(D(2022, 1, 1), 6, total=Triangular(30.0, 60.0, 120.0)),
            ],
            poisson=True,
        ),
        metrics=[metric],
        payers=[PayerShare("city", "budget", 1.0)],
        verification_lag_months=2,
    )
    initiative = Initiative(
        "i",
        "Initiative",
        "prov",
        commitment=Pert(80_000.0, 100_000.0, 150_000.0),
        start=D(2021, 1, 1),
        duration_months=12,
        delay=Poisson(2.0),
        overrun=Ref("shock"),
        indexation=Yearly({2021: Uniform(0.01, 0.03), 2022: Fixed(0.02)}),
        funds=[FundShare("budget", 1.0)],
    )
    return Programme(
        "golden",
        "Golden",
        "EUR",
        D(2021, 1, 1),
        3,
        stakeholders=[
            Stakeholder("city", "City", "municipality"),
            Stakeholder("prov", "Provider", "provider"),
        ],
        funds=[Fund("budget", "Budget", "municipal-budget", "city")],
        initiatives=[initiative],
        contracts=[contract],
        parameters=[
            Parameter("shock", Normal(1.0, 0.1, low=0.7, high=1.5)),
            Parameter("demand", Samples(np.linspace(0.5, 1.5, 300))),
        ],
    )


class TestGoldenValues:
    """Seeded draws and a seeded run give the values recorded with numpy 2.4."""

    DRAWS: ClassVar[dict[str, list[float]]] = {
        "fixed": [2.5, 2.5, 2.5],
        "uniform": [1.2156418278019425, 2.3006053069700747, 1.3149143542678663],
        "triangular": [1.2149872679549198, 1.2262438444423718, 2.0971730300695004],
        "pert": [837.3260653312639, 1103.7427644888953, 977.0091027473762],
        "normal": [-1.6125085548480087, 0.5696045922248768, -0.7337121146496257],
        "truncated-normal": [0.3796053544526776, 0.2504267107856528, 0.4671410330664694],
        "lognormal": [1.517848218680223, 0.4070342470120236, 1.1462619426047183],
        "beta": [11.392533537568761, 17.649694185882094, 11.966956720542814],
        "poisson": [5.0, 2.0, 3.0],
        "poisson-large": [2524.0, 2463.0, 2433.0],
        "samples": [0.0, 0.5, 127.5],
        "ref": [3.0341968343420396, 3.0301332281461923, 3.11209668662384],
    }
    NOISE: ClassVar[list[list[float]]] = [
        [1.0, 3.0, 52.0, 69998.0],
        [0.0, 5.0, 56.0, 69995.0],
        [0.0, 5.0, 58.0, 70377.0],
    ]
    RUN: ClassVar[dict[str, list[float]]] = {
        "outcomes_achieved": [
            86.18745267704188,
            72.51894253369281,
            132.76388093140145,
            130.94113284994887,
        ],
        "earned_capped": [
            82378.80143450423,
            71768.65227286311,
            104993.25604502123,
            127783.82178396973,
        ],
        "grant": [94758.22938530355, 114115.65198506364, 101376.24375224543, 84313.02773662946],
        "outcome_payment": [
            77262.42814338597,
            68754.5218793155,
            102003.04878439277,
            124620.73519707318,
        ],
    }

    @pytest.fixture
    def draws(self) -> Draws:
        shock = {"shock": Normal(1.0, 0.1, low=0.7, high=1.5)}
        return Draws(shock, (2021,), seed=SEED, first_block=0, blocks=1)

    @pytest.mark.parametrize("kind", list(DISTRIBUTIONS))
    def test_every_distribution_kind(self, draws: Draws, kind: str) -> None:
        """Scenarios 0, 1 and 255 of each kind's draw."""
        values = draws.scalar(f"golden/{kind}", DISTRIBUTIONS[kind])
        check(self.DRAWS[kind], values[[0, 1, 255]], f"the {kind} draw")

    def test_poisson_noise(self, draws: Draws) -> None:
        """Enrolment noise with means from 0.3 to 70,000, scenarios 0, 1 and 255."""
        means = np.array([[0.3, 4.0, 60.0, 7e4]] * 256)
        counts = draws.poisson("golden/noise", means)
        check(self.NOISE, counts[[0, 1, 255]], "the Poisson noise")  # type: ignore[arg-type]

    def test_programme_run(self) -> None:
        """Totals per scenario of a run of 300 scenarios (two blocks)."""
        projection = pg.project(programme(), scenarios=300, seed=SEED)
        for flow, expected in self.RUN.items():
            totals = projection.total(flow=flow).sum(axis=1)[[0, 1, 257, 299]]
            check(expected, totals, f"the total {flow}")
