"""The hypothesis profiles, loaded by ``conftest.py`` before any test runs.

Choose a profile with the environment variable ``HYPOTHESIS_PROFILE`` (default ``dev``)::

    HYPOTHESIS_PROFILE=thorough python -m pytest tests

``ci``
    What continuous integration runs (``.ci/run`` sets it): 50 examples per property,
    derandomized so that every run tries the same examples (a failure is never a fluke of the
    seed), no example database, and the blob to reproduce a failure printed with it.
``dev``
    The default, for working locally: 100 random examples per property; failures are kept in
    the local example database and replayed first on the next run.
``thorough``
    A long hunt, e.g. before a release: 2,000 examples per property, and 20 times its own
    count for a property that sets one (whole generated programmes are slow to build, so those
    properties run fewer examples; see :func:`examples`).

No profile has a deadline: tests never assert timings, and a whole generated programme can
take longer to build than hypothesis' default deadline on a slow machine. The ``too_slow``
health check is off for the same reason.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_RELAXED = [HealthCheck.too_slow]

settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_RELAXED,
)
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=_RELAXED)
settings.register_profile(
    "thorough", max_examples=2_000, deadline=None, suppress_health_check=_RELAXED
)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)

EXAMPLES_SCALE = {"thorough": 20}
"""How many times its own count of examples a property runs, by profile (default 1)."""


def examples(count: int) -> int:
    """A property's own number of examples, scaled up for a long hunt (``thorough``)."""
    return count * EXAMPLES_SCALE.get(PROFILE, 1)
