"""Shared test configuration: load the hypothesis profile (see :mod:`profiles`)."""

from __future__ import annotations

import profiles  # noqa: F401  (registers and loads the profile named by HYPOTHESIS_PROFILE)

try:
    import matplotlib
except ImportError:  # the core is also tested without the plot extra
    pass
else:
    matplotlib.use("Agg")  # charts are drawn and checked, never shown: no window on any machine
