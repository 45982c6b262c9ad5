"""The engine: a programme compiled once into arrays, then run a chunk of scenarios at a time.

One module per rule family of DESIGN §4, each a set of pure functions over arrays
(scenarios × months); :mod:`.run` compiles a programme (:class:`Model`) and runs a chunk.
"""

from .caps import CAP_STAGES
from .investor import INVESTOR_FIGURES
from .run import ChunkResult, Model

__all__ = ["CAP_STAGES", "INVESTOR_FIGURES", "ChunkResult", "Model"]
