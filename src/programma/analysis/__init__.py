"""Analysis: summaries of projections, what-if variants, stakeholder coverage, the review."""
