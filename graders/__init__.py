"""nngrade: an autograder for the neural-network-from-scratch NumPy assignment.

Flow, one direction, one sub-package per stage::

    submission -> loader -> sandbox (worker subprocess) -> checks -> diagnoses -> results -> render

``nngrade.engine`` runs that flow for any assignment; ``nngrade.assignments``
holds the assignments (the shipped one: ``nn_from_scratch``).

The public API, imported on first use so that ``import nngrade`` stays cheap:

- :func:`grade` (``nngrade.engine.grading.grade``): grade one submission, return its :class:`Report`.
- :class:`Report` (``nngrade.results.Report``).
- :func:`check` (``nngrade.checks.registry.check``): the decorator of a check function.
- :func:`diagnosis` (``nngrade.diagnoses.catalogue.diagnosis``): the decorator of a misconception detector.
- :func:`load_config` (``nngrade.engine.config.load_config``).
"""
from nngrade.engine.blas import limit_before_numpy

__version__ = "0.1.0"
__all__ = ["Report", "check", "check_notebook", "diagnosis", "grade", "load_config"]

limit_before_numpy()  # one BLAS thread for the grader's small products (see graders/engine/blas.py)

_PUBLIC = {
    "grade": ("nngrade.engine.grading", "grade"),
    "Report": ("nngrade.results", "Report"),
    "check": ("nngrade.checks.registry", "check"),
    "diagnosis": ("nngrade.diagnoses.catalogue", "diagnosis"),
    "load_config": ("nngrade.engine.config", "load_config"),
}


def __getattr__(name: str):
    if name in _PUBLIC:
        import importlib

        module, attribute = _PUBLIC[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nngrade' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_PUBLIC))


def check_notebook(unit, notebook=None):
    """Run the public checks of one unit of the notebook handout (see :mod:`nngrade.batch.handout`)."""
    import inspect

    from nngrade.batch import handout

    caller = inspect.currentframe().f_back
    if caller is None or caller.f_globals.get("__name__") != "__main__":
        return None
    return handout._check_in(caller.f_globals, unit, notebook)
