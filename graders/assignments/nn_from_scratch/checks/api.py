"""API conformance: the names, methods and signatures every other check calls.

This check runs first and is the assignment's gate (``ASSIGNMENT.gate``). The
engine marks a check ``not_run`` when a name of its ``needs_api`` is missing,
instead of letting it fail with an AttributeError.
"""
from __future__ import annotations

import ast

from nngrade.checks.compare import CheckFailed
from nngrade.checks.registry import check

from ..api import API, KEYWORDS


def _parameters(signature: str):
    """Parse ``"(self, x, *, lr)"`` into ``(positional, required, keywords, varargs, varkw)``.

    ``positional``: the positional parameter names; ``required``: how many of
    them have no default; ``keywords``: the names that can be passed by
    keyword; ``varargs``/``varkw``: whether ``*args``/``**kwargs`` are taken.

    Returns None when the text cannot be parsed (an exotic default value).
    """
    try:
        args = ast.parse(f"def f{signature}: pass").body[0].args
    except (SyntaxError, ValueError):
        return None
    positional = [a.arg for a in args.posonlyargs + args.args]
    required = len(positional) - len(args.defaults)
    keywords = [a.arg for a in args.kwonlyargs] + (positional[len(args.posonlyargs):])
    return positional, required, keywords, args.vararg is not None, args.kwarg is not None


def _signature_problem(name: str, signature: str, wanted: list[str], is_method: bool) -> str | None:
    parsed = _parameters(signature)
    if parsed is None:
        return None
    positional, required, keywords, varargs, varkw = parsed
    if is_method and positional:
        positional, required = positional[1:], max(required - 1, 0)
    wanted_positional = [w for w in wanted if "=" not in w and w != "*" and wanted.index(w) < (
        wanted.index("*") if "*" in wanted else len(wanted))]
    count = len(wanted_positional)
    if not varargs and len(positional) < count:
        return f"{name}{signature} takes {len(positional)} positional argument(s); expected {count} ({', '.join(wanted_positional)})"
    if required > count + sum("=" in w for w in wanted):
        return f"{name}{signature} requires {required} arguments; expected {count} ({', '.join(wanted_positional)})"
    for keyword in KEYWORDS.get(name, ()):
        if keyword not in keywords and not varkw:
            return f"{name}{signature} has no keyword argument {keyword!r}"
    return None


def api_problems(hello: dict) -> list[str]:
    """Every missing name or method and every incompatible signature, as sentences."""
    found = hello.get("names", {})
    problems = []
    for name, wanted in API.items():
        entry = found.get(name)
        if entry is None:
            problems.append(f"{name} is not defined")
            continue
        if isinstance(wanted, list):
            if entry.get("kind") != "function":
                problems.append(f"{name} should be a function, found a {entry.get('kind')}")
                continue
            problem = _signature_problem(name, entry.get("signature", "()"), wanted, is_method=False)
            problems.extend([problem] if problem else [])
            continue
        if entry.get("kind") != "class":
            problems.append(f"{name} should be a class, found a {entry.get('kind')}")
            continue
        methods = entry.get("methods", {})
        for method, params in wanted.items():
            if method not in methods:
                if method != "__init__":
                    problems.append(f"{name}.{method} is not defined")
                continue
            problem = _signature_problem(f"{name}.{method}", methods[method], params, is_method=True)
            problems.extend([problem] if problem else [])
    return problems


@check("api.conformance", name="Public names, methods and signatures", group="api")
def api_conformance(ctx):
    """Every class, method and function of the API exists with a compatible signature."""
    problems = api_problems(ctx.extras["hello"])
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise CheckFailed(
            f"Your submission does not define the API the assignment asks for:\n{listing}\n"
            "Fix: keep the names and signatures of the student template (see docs/API.md); "
            "checks that need a missing name are reported as not run.")
