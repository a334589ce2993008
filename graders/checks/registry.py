"""The ``@check`` decorator (tags only) and the registry (validates and orders).

Adding a check: write one function in the family module of ``graders/checks/``
that takes a :class:`~nngrade.checks.context.CheckContext`, decorate it, and
give it points in ``default_config.toml``::

    @check("forward.sigmoid", name="Sigmoid forward values", group="forward",
           needs_api=("Sigmoid.forward",), variants=("public", "hidden"))
    def sigmoid_forward(ctx): ...

The function passes by returning ``None`` (full points) or a
:class:`~nngrade.checks.context.Partial`, and fails by raising
:class:`~nngrade.checks.context.CheckFailed`. With two ``variants`` the
registry makes two checks: ``forward.sigmoid`` on the public fixtures and
``forward.sigmoid.hidden`` on the hidden ones.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import Callable


@dataclass(frozen=True)
class CheckSpec:
    """Metadata of one registered check.

    Attributes
    ----------
    id, name, group : str
    func : callable
        ``func(ctx) -> None | Partial``.
    visibility : str
        Which fixture set it reads and whether students see it: ``public`` or ``hidden``.
    needs_api : tuple of str
        ``"Class.method"`` or function names the submission must define.
    needs : tuple of str
        Check ids that must pass first (else this one is ``not_run``).
    """

    id: str
    name: str
    group: str
    func: Callable
    visibility: str = "public"
    needs_api: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


def check(id: str, *, name: str, group: str, needs_api=(), needs=(), variants=("public",)):
    """Tag a function as a check; it is not registered until the registry collects it."""

    def tag(func):
        func.__check__ = dict(id=id, name=name, group=group, needs_api=tuple(needs_api),
                              needs=tuple(needs), variants=tuple(variants))
        return func

    return tag


def collect(assignment=None, modules=None) -> list[CheckSpec]:
    """All checks of the assignment's check modules (or of ``modules``), validated, in run order.

    Parameters
    ----------
    assignment : Assignment, optional
        Default: the default assignment (:func:`nngrade.engine.assignment.assignment_of`).
    modules : list of module, optional
        Collect from these modules instead (tests of the registry itself).

    Raises
    ------
    ValueError
        On a duplicate id, an unknown group or variant, or a dependency on an
        unknown or later check.
    """
    if modules is None:
        from nngrade.engine.assignment import assignment_of

        assignment = assignment or assignment_of(None)
        modules = [importlib.import_module(name) for name in assignment.check_modules]
    groups = tuple(assignment.groups) if assignment is not None else None
    specs: list[CheckSpec] = []
    hidden_twins = {getattr(f, "__check__")["id"] for m in modules for f in vars(m).values()
                    if getattr(f, "__check__", None) and "hidden" in f.__check__["variants"]}
    for module in modules:
        for func in vars(module).values():
            meta = getattr(func, "__check__", None)
            if meta is None or getattr(func, "__module__", None) != module.__name__:
                continue
            if groups is not None and meta["group"] not in groups:
                raise ValueError(f"check {meta['id']}: unknown group {meta['group']!r}; expected one of {groups}")
            base = CheckSpec(meta["id"], meta["name"], meta["group"], func,
                             needs_api=meta["needs_api"], needs=meta["needs"])
            for variant in meta["variants"]:
                if variant == "public":
                    specs.append(base)
                elif variant == "hidden":
                    specs.append(replace(base, id=base.id + ".hidden", name=base.name + " (hidden inputs)",
                                         visibility="hidden",
                                         needs=tuple(n + ".hidden" if n in hidden_twins else n
                                                     for n in base.needs)))
                else:
                    raise ValueError(f"check {base.id}: unknown variant {variant!r}")
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise ValueError(f"duplicate check id {spec.id!r}")
        missing = [n for n in spec.needs if n not in seen]
        if missing:
            raise ValueError(f"check {spec.id} needs {missing}, which are not registered before it")
        seen.add(spec.id)
    return specs
