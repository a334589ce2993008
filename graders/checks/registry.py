"""The ``@check`` decorator (tags only) and the registry (validates and orders).

Adding a check: write one function in the family module of ``graders/checks/``
that takes a :class:`~graders.checks.context.CheckContext`, decorate it, and
give it points in ``default_config.toml``::

    @check("forward.sigmoid", name="Sigmoid forward values", group="forward",
           needs_api=("Sigmoid.forward",), variants=("public", "hidden"))
    def sigmoid_forward(ctx): ...

The function passes by returning ``None`` (full points) or a
:class:`~graders.checks.context.Partial`, and fails by raising
:class:`~graders.checks.context.CheckFailed`. With two ``variants`` the
registry makes two checks: ``forward.sigmoid`` on the public fixtures and
``forward.sigmoid.hidden`` on the hidden ones.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import Callable

#: The check family modules, in run order.
FAMILIES = ("api", "forward", "jacobians", "gradients", "init", "xor", "mnist")
GROUPS = FAMILIES


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


def collect(modules=None) -> list[CheckSpec]:
    """All checks of the family modules, validated, in run order.

    Raises
    ------
    ValueError
        On a duplicate id, an unknown group or variant, or a dependency on an
        unknown or later check.
    """
    modules = modules or [importlib.import_module(f"graders.checks.{f}") for f in FAMILIES]
    specs: list[CheckSpec] = []
    for module in modules:
        for func in vars(module).values():
            meta = getattr(func, "__check__", None)
            if meta is None or getattr(func, "__module__", None) != module.__name__:
                continue
            if meta["group"] not in GROUPS:
                raise ValueError(f"check {meta['id']}: unknown group {meta['group']!r}; expected one of {GROUPS}")
            base = CheckSpec(meta["id"], meta["name"], meta["group"], func,
                             needs_api=meta["needs_api"], needs=meta["needs"])
            for variant in meta["variants"]:
                if variant == "public":
                    specs.append(base)
                elif variant == "hidden":
                    specs.append(replace(base, id=base.id + ".hidden", name=base.name + " (hidden inputs)",
                                         visibility="hidden",
                                         needs=tuple(n + ".hidden" if n != "api.conformance" else n
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
