"""Shared test configuration: load the hypothesis profile (see :mod:`profiles`)."""

from __future__ import annotations

import profiles  # noqa: F401  (registers and loads the profile named by HYPOTHESIS_PROFILE)
