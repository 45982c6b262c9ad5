"""Uncertainty: reproducible keyed draws of every distribution, and their CDFs (§4.1)."""
