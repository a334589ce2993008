"""The package layout: one ``nngrade`` namespace, an engine that names no assignment, hermetic tests."""
from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
#: The assignment-agnostic parts of the kit.
ENGINE = ["graders/engine", "graders/checks", "graders/diagnoses", "graders/sandbox", "graders/loader",
          "graders/render", "graders/results.py"]
#: What only the assignment package may name: its layers, data sets, check ids and check families.
ASSIGNMENT_WORDS = re.compile(
    r"(?i:mnist)|\b(Sigmoid|Softmax|Linear|MSELoss|CrossEntropyLoss|SoftmaxCrossEntropyLoss|XOR|xor|"
    r"api\.conformance|forward\.\w+|jacobians\.\w+|gradients\.\w+|init\.linear)\b")


def _engine_files():
    for entry in ENGINE:
        path = ROOT / entry
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def _code_without_docstrings(path: Path) -> str:
    """The module's source with docstrings and comments removed (examples in prose are allowed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            body[0].value.value = ""
    return ast.unparse(tree)


def test_the_engine_names_no_layer_data_set_or_check_id():
    found = []
    for path in _engine_files():
        for match in ASSIGNMENT_WORDS.finditer(_code_without_docstrings(path)):
            found.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert found == [], "assignment names in engine code:\n" + "\n".join(found)


def test_the_purity_check_can_fail(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text('"""Sigmoid in prose is fine."""\nGATE = "api.conformance"\n')
    assert ASSIGNMENT_WORDS.findall(_code_without_docstrings(sample)) == ["api.conformance"]


def test_only_the_nngrade_namespace_is_installed():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = project["tool"]["setuptools"]
    packages = setuptools["packages"]
    assert packages and all(p == "nngrade" or p.startswith("nngrade.") for p in packages)
    assert setuptools["package-dir"] == {"nngrade": "graders", "nngrade.reference": "reference",
                                         "nngrade.student_template": "student_template",
                                         "nngrade.fixtures": "fixtures"}
    # Every package folder of the kit is listed, so none is left out of a wheel.
    on_disk = {"nngrade" + ("." + ".".join(p.parent.relative_to(ROOT / "graders").parts)
                            if p.parent != ROOT / "graders" else "")
               for p in (ROOT / "graders").rglob("__init__.py") if "__pycache__" not in p.parts}
    assert on_disk | {"nngrade.reference", "nngrade.student_template", "nngrade.fixtures"} == set(packages)
    assert project["project"]["scripts"] == {"nngrade": "nngrade.cli:main"}


def test_the_data_files_are_found_through_the_package():
    from nngrade.engine.fixture_store import fixtures_dir

    assert (fixtures_dir() / "manifest.json").is_file()
    assert fixtures_dir().resolve() == (ROOT / "fixtures").resolve()


def test_the_suite_never_touches_the_users_cache():
    from nngrade.engine.fsutil import user_cache_dir

    home_cache = Path.home() / ".cache"
    cache = Path(user_cache_dir("replays")).resolve()
    assert os.environ["XDG_CACHE_HOME"] == os.environ["NNGRADE_TEST_CACHE"]
    assert home_cache.resolve() not in cache.parents
    assert Path(os.environ["NNGRADE_TEST_CACHE"]).resolve() in cache.parents
