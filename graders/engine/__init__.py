"""The assignment-agnostic engine: the grading flow, configuration, start-up, fixtures, resources.

Modules: ``grading`` (:func:`~nngrade.engine.grading.grade`), ``assignment`` (the
:class:`~nngrade.engine.assignment.Assignment` declaration, the seam),
``config``, ``selection`` (``--only`` and disabled checks), ``resources``,
``startup``, ``fixture_store``, ``blas``, ``fsutil``.
"""
