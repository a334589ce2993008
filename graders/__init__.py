"""nngrade: the grading engine.

Flow, one direction, one sub-package per stage::

    submission -> loader -> sandbox (worker subprocess) -> checks -> results -> render
"""
__version__ = "0.1.0"
