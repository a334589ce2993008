"""The assignment's resources for one grade: each loaded at most once, its failure remembered."""
from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from nngrade.checks.compare import NotRun
from nngrade.engine.assignment import Resource, ResourceUnavailable


class Resources:
    """Loads the assignment's resources on first use (from any thread) and keeps them for the grade.

    Parameters
    ----------
    declared : mapping of str to Resource
        The assignment's resources.
    options : mapping
        Passed to each ``Resource.load`` (e.g. ``{"data_dir": ...}``).
    """

    def __init__(self, declared: Mapping[str, Resource], options: Mapping[str, Any]):
        self.declared = dict(declared)
        self.options = dict(options)
        self._values: dict[str, Any] = {}
        self._errors: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, name: str):
        """The resource's value; raises NotRun (the check is not run) when it is unavailable."""
        with self._lock:
            if name not in self._values and name not in self._errors:
                resource = self.declared.get(name)
                if resource is None:
                    self._errors[name] = f"resource {name!r} is not declared by the assignment"
                else:
                    try:
                        self._values[name] = resource.load(self.options)
                    except ResourceUnavailable as exc:
                        self._errors[name] = str(exc)
        if name in self._errors:
            raise NotRun(self._errors[name])
        return self._values[name]

    def prefetch(self, groups) -> None:
        """Load, ahead of the checks, every resource that a check of ``groups`` needs (errors wait for them)."""
        for name, resource in self.declared.items():
            if set(resource.groups) & set(groups):
                try:
                    self.get(name)
                except NotRun:
                    pass
