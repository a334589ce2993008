"""nngrade: the grading engine.

Flow, one direction, one sub-package per stage::

    submission -> loader -> sandbox (worker subprocess) -> checks -> results -> render
"""
from nngrade.engine.blas import limit_before_numpy

__version__ = "0.1.0"

limit_before_numpy()  # one BLAS thread for the grader's small products (see graders/blas.py)
