"""The engine: a programme compiled once into arrays, then run a chunk of scenarios at a time."""

from .run import CAP_STAGES, INVESTOR_FIGURES, ChunkResult, Model

__all__ = ["CAP_STAGES", "INVESTOR_FIGURES", "ChunkResult", "Model"]
