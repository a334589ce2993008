"""The seam between the engine and an assignment: the :class:`Assignment` declaration.

The engine names no layer, check id or data set. Everything it needs to know
about the assignment being graded comes from one ``Assignment`` object that the
assignment package exports as ``ASSIGNMENT``, plus the extension modules an
instructor names in the configuration::

    [assignment]
    package = "nngrade.assignments.nn_from_scratch"   # the default

    [extensions]
    modules = ["tanh_checks.py"]     # a file beside the config, or a dotted module name

An extension module may define ``API = ("Tanh",)`` (names the worker describes
and student code must define) and any number of ``@check`` and ``@diagnosis``
functions; its checks are graded after the assignment's own, with the points
given under ``[checks]``.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

DEFAULT_PACKAGE = "nngrade.assignments.nn_from_scratch"


@dataclass(frozen=True)
class Resource:
    """A data resource that checks ask for through ``ctx.resource(name)`` (e.g. a data set).

    Attributes
    ----------
    load : callable
        ``load(options) -> value``; ``options`` is the engine's per-grade options
        (e.g. ``{"data_dir": ...}``). Raising :class:`ResourceUnavailable` makes the
        checks that need it ``not_run`` with the exception's text.
    groups : tuple of str
        Check groups that need the resource (it is loaded ahead only when one is selected).
    """

    load: Callable[[Mapping[str, Any]], Any]
    groups: tuple[str, ...] = ()


class ResourceUnavailable(RuntimeError):
    """A resource cannot be provided on this machine (the checks needing it are not run)."""


@dataclass(frozen=True)
class Assignment:
    """What the engine needs to know about one assignment.

    Attributes
    ----------
    package : str
        The assignment's dotted package name.
    title : str
        Shown in reports.
    api : tuple of str
        Names the submission must define; the worker describes exactly these.
    check_modules : tuple of str
        Dotted modules holding ``@check`` functions, in run order.
    groups : tuple of str
        Check groups, in run order.
    diagnosis_modules : tuple of str
        Dotted modules holding ``@diagnosis`` detectors.
    gate : str or None
        The check that grades the API itself: an import failure is charged to it
        (status ``error``) and every other check is ``not_run``.
    config_file : str
        File name of the assignment's default configuration inside its package.
    config_numbers : mapping
        ``(section, key) -> (type, low, high)`` for the assignment's numeric settings.
    validate_config : callable or None
        ``validate_config(config)`` raises ``ConfigError`` for what the table cannot say.
    resources : mapping of str to Resource
    worker_plugins : tuple of str
        Files in the package that run inside the sandbox beside the worker; each defines
        ``OPS = {"name": function(worker, request, arrays)}``: extra worker operations.
    figures : str or None
        Dotted module with ``figures_for(result) -> list[(caption, png_data_uri)]`` for the HTML pages.
    """

    package: str
    title: str
    api: tuple[str, ...]
    check_modules: tuple[str, ...]
    groups: tuple[str, ...]
    diagnosis_modules: tuple[str, ...] = ()
    gate: str | None = None
    config_file: str = "defaults.toml"
    config_numbers: Mapping[tuple[str, str], tuple[type, float, float]] = field(default_factory=dict)
    validate_config: Callable[[dict], None] | None = None
    resources: Mapping[str, Resource] = field(default_factory=dict)
    worker_plugins: tuple[str, ...] = ()
    figures: str | None = None

    def package_dir(self) -> Path:
        """The folder of the assignment package (where its data files and worker plugins are)."""
        module = importlib.import_module(self.package)
        return Path(next(iter(module.__path__))).resolve()

    def plugin_paths(self) -> list[Path]:
        """The worker plugin files, to be copied into the sandbox."""
        return [self.package_dir() / name for name in self.worker_plugins]

    def with_extensions(self, extensions: list[ModuleType]) -> Assignment:
        """This assignment with the API names, check and diagnosis modules of ``extensions`` added."""
        if not extensions:
            return self
        api = list(self.api)
        for module in extensions:
            api.extend(name for name in getattr(module, "API", ()) if name not in api)
        names = tuple(m.__name__ for m in extensions)
        groups = list(self.groups)
        for module in extensions:
            groups.extend(g for g in getattr(module, "GROUPS", ()) if g not in groups)
        return replace(self, api=tuple(api), check_modules=self.check_modules + names,
                       diagnosis_modules=self.diagnosis_modules + names, groups=tuple(groups))


def load_package(package: str) -> Assignment:
    """The ``ASSIGNMENT`` declared by ``package``."""
    module = importlib.import_module(package)
    declared = getattr(module, "ASSIGNMENT", None)
    if not isinstance(declared, Assignment):
        raise ImportError(f"{package} does not declare ASSIGNMENT = Assignment(...)")
    return declared


def load_extension(spec: str, base_dir: Path | None = None) -> ModuleType:
    """Import an extension module: a ``.py`` path (relative to ``base_dir``) or a dotted name."""
    if spec.endswith(".py"):
        path = Path(spec)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        path = path.resolve()
        name = "nngrade_extension_" + path.stem
        if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
            return sys.modules[name]
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None or not path.is_file():
            raise ImportError(f"extension module {spec!r} not found (looked at {path})")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        loader_spec.loader.exec_module(module)
        return module
    return importlib.import_module(spec)


@functools.lru_cache(maxsize=16)
def _resolved(package: str, extensions: tuple[str, ...], base_dir: str | None) -> Assignment:
    base = Path(base_dir) if base_dir else None
    return load_package(package).with_extensions([load_extension(e, base) for e in extensions])


def assignment_of(config: Mapping[str, Any] | None) -> Assignment:
    """The assignment a configuration names, with its extensions (the default assignment for None)."""
    if config is None:
        return load_package(DEFAULT_PACKAGE)
    section = config.get("assignment", {})
    extensions = config.get("extensions", {})
    return _resolved(section.get("package", DEFAULT_PACKAGE), tuple(extensions.get("modules", ())),
                     extensions.get("base_dir"))
