"""The assignment-agnostic engine: the grading flow, configuration, start-up, fixtures, resources.

Modules: ``grading`` (:func:`~nngrade.engine.grading.grade`), ``assignment`` (the
:class:`~nngrade.engine.assignment.Assignment` declaration, the seam),
``config``, ``selection`` (``--only`` and disabled checks), ``resources``,
``startup``, ``hidden_worker`` (the hidden checks' fresh worker), ``budget`` (the
whole-grade time budget), ``imports`` (the forbidden-imports policy),
``fixture_store``, ``blas``, ``fsutil``.
"""
