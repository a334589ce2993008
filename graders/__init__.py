"""nngrade: the grading engine.

Flow, one direction, one sub-package per stage::

    submission -> loader -> sandbox (worker subprocess) -> checks -> results -> render
"""
from nngrade.engine.blas import limit_before_numpy

__version__ = "0.1.0"

limit_before_numpy()  # one BLAS thread for the grader's small products (see graders/blas.py)


def check_notebook(unit, notebook=None):
    """Run the public checks of one unit of the notebook handout (see :mod:`nngrade.batch.handout`)."""
    import inspect

    from nngrade.batch import handout

    caller = inspect.currentframe().f_back
    if caller is None or caller.f_globals.get("__name__") != "__main__":
        return None
    return handout._check_in(caller.f_globals, unit, notebook)
