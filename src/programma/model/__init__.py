"""The model (DESIGN §3a): the programme and its entities as frozen, validated values.

Nothing here knows about the engine, the analysis or the interfaces: a programme is plain data
that checks itself and reports every problem with its path.
"""
