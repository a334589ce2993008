"""The check registry: the decorator only tags; collect() validates."""
import types

import pytest

from nngrade.checks.registry import check, collect
from nngrade.engine.assignment import assignment_of

DEFAULT = assignment_of(None)


def module_with(*funcs):
    module = types.ModuleType("fake_checks")
    for f in funcs:
        f.__module__ = module.__name__
        setattr(module, f.__name__, f)
    return module


def test_decorator_only_tags():
    def f(ctx):
        return None

    tagged = check("x.one", name="One", group="forward")(f)
    assert tagged is f and f.__check__["id"] == "x.one"


def test_variants_make_hidden_twins_with_hidden_dependencies():
    @check("forward.a", name="A", group="forward", variants=("public", "hidden"))
    def a(ctx):
        pass

    @check("forward.b", name="B", group="forward", needs=("forward.a",), variants=("public", "hidden"))
    def b(ctx):
        pass

    specs = collect(DEFAULT, [module_with(a, b)])
    assert [s.id for s in specs] == ["forward.a", "forward.a.hidden", "forward.b", "forward.b.hidden"]
    assert specs[3].needs == ("forward.a.hidden",) and specs[3].visibility == "hidden"


@pytest.mark.parametrize("kwargs, message", [
    (dict(group="nope"), "unknown group 'nope'"),
    (dict(group="forward", needs=("forward.missing",)), "needs ['forward.missing']"),
    (dict(group="forward", variants=("secret",)), "unknown variant 'secret'"),
])
def test_invalid_declarations_are_rejected(kwargs, message):
    @check("forward.z", name="Z", **kwargs)
    def z(ctx):
        pass

    with pytest.raises(ValueError, match=None) as info:
        collect(DEFAULT, [module_with(z)])
    assert message in str(info.value)


def test_duplicate_ids_are_rejected():
    @check("forward.d", name="D", group="forward")
    def d1(ctx):
        pass

    @check("forward.d", name="D again", group="forward")
    def d2(ctx):
        pass

    with pytest.raises(ValueError, match="duplicate check id 'forward.d'"):
        collect(DEFAULT, [module_with(d1, d2)])


def test_real_registry_is_valid_and_starts_with_api():
    specs = collect()
    assert specs[0].id == "api.conformance"
    assert {s.group for s in specs} == {"api", "forward", "jacobians", "gradients", "init", "xor", "mnist"}
