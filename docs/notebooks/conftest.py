"""pytest: the notebooks here run as scripts from ``tests/test_notebook.py``, not at collection.

``--doctest-modules`` would import each ``.py`` file under ``docs`` to look for doctests, and
importing a notebook runs it: its projections, and the charts it writes to the current folder.
"""

collect_ignore_glob = ["*.py"]
