"""student_template/ is the reference with every solution region replaced by a stub."""
from __future__ import annotations

import ast
import importlib
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nngrade import reference, student_template
from nngrade.authoring.template import (
    TemplateError,
    stale_template_files,
    strip_solutions,
)

MODULES = ("layers", "losses", "network")
REFERENCE_DIR = Path(reference.__file__).resolve().parent
TEMPLATE_DIR = Path(student_template.__file__).resolve().parent

#: Every function the student writes (qualified names).
STUBBED = {
    "Sigmoid.forward", "Sigmoid.backward",
    "Softmax.forward", "Softmax.backward", "Softmax.jacobian",
    "Linear.__init__", "Linear.forward", "Linear.backward",
    "MSELoss.forward", "MSELoss.backward",
    "CrossEntropyLoss.forward", "CrossEntropyLoss.backward",
    "SoftmaxCrossEntropyLoss.forward", "SoftmaxCrossEntropyLoss.backward",
    "Network.forward", "Network.backward", "Network.parameters", "Network.step",
    "train",
}
REGION = re.compile(r"^\s*### BEGIN SOLUTION \(TODO: (.*?)\)(?: \(CODE: .*\))?\s*$")


def solution_regions() -> dict[str, str]:
    """Qualified name of the function enclosing each solution region -> its TODO text."""
    found = {}
    for module in MODULES:
        source = (REFERENCE_DIR / f"{module}.py").read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        functions = []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                functions.append((node.name, node))
            elif isinstance(node, ast.ClassDef):
                functions += [(f"{node.name}.{f.name}", f) for f in node.body if isinstance(f, ast.FunctionDef)]
        for number, line in enumerate(lines, start=1):
            match = REGION.match(line)
            if match:
                owner = [name for name, f in functions if f.lineno <= number <= f.end_lineno]
                assert len(owner) == 1, f"{module}.py:{number} is not inside exactly one function"
                assert owner[0] not in found
                found[owner[0]] = match[1]
    return found


def public_members(module):
    """Public classes, functions and constants defined in ``module`` itself."""
    return {name: obj for name, obj in vars(module).items()
            if not name.startswith("_") and not inspect.ismodule(obj)
            and getattr(obj, "__module__", module.__name__) == module.__name__}


def resolve(package, qualname):
    obj = package
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def dummy_call(func, owner=None):
    """Call ``func`` with placeholder arguments (a stub raises before looking at them)."""
    params = list(inspect.signature(func).parameters.values())
    args, kwargs = [], {}
    if owner is not None:
        args.append(object.__new__(owner))  # skip __init__, which may itself be a stub
        params = params[1:]
    for p in params:
        if p.default is not inspect.Parameter.empty:
            continue
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[p.name] = None
        else:
            args.append(None)
    return func(*args, **kwargs)


def test_the_stub_list_matches_the_solution_regions():
    assert set(solution_regions()) == STUBBED


def test_template_imports_cleanly_in_a_fresh_interpreter():
    result = subprocess.run([sys.executable, "-W", "error", "-c", "import student_template"],
                            capture_output=True, text=True, cwd=TEMPLATE_DIR.parent, timeout=60)
    assert result.returncode == 0, result.stderr


def test_same_public_names():
    assert student_template.__all__ == reference.__all__
    for name in reference.__all__:
        assert hasattr(student_template, name)
    for module in MODULES:
        ref = importlib.import_module(f"reference.{module}")
        tpl = importlib.import_module(f"student_template.{module}")
        assert set(public_members(tpl)) == set(public_members(ref)), module
        assert tpl.__doc__ == ref.__doc__, f"{module} module docstring"


@pytest.mark.parametrize("module", MODULES)
def test_same_signatures_and_docstrings(module):
    ref = importlib.import_module(f"reference.{module}")
    tpl = importlib.import_module(f"student_template.{module}")
    checked = 0
    for name, ref_obj in public_members(ref).items():
        tpl_obj = getattr(tpl, name)
        if inspect.isclass(ref_obj):
            assert inspect.getdoc(tpl_obj) == inspect.getdoc(ref_obj), name
            ref_methods = {k: v for k, v in vars(ref_obj).items() if inspect.isfunction(v)}
            tpl_methods = {k: v for k, v in vars(tpl_obj).items() if inspect.isfunction(v)}
            assert set(tpl_methods) == set(ref_methods), name
            pairs = [(f"{name}.{k}", tpl_methods[k], v) for k, v in ref_methods.items()]
        elif inspect.isfunction(ref_obj):
            pairs = [(name, tpl_obj, ref_obj)]
        else:
            assert tpl_obj == ref_obj, name  # constants such as CE_EPS
            continue
        for qualname, tpl_func, ref_func in pairs:
            assert inspect.signature(tpl_func) == inspect.signature(ref_func), qualname
            assert tpl_func.__doc__ == ref_func.__doc__, qualname
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("qualname", sorted(STUBBED))
def test_every_stub_raises_not_implemented_with_its_todo(qualname):
    todo = solution_regions()[qualname]
    func = resolve(student_template, qualname)
    owner = resolve(student_template, qualname.split(".")[0]) if "." in qualname else None
    with pytest.raises(NotImplementedError) as info:
        dummy_call(func, owner)
    assert str(info.value) == f"TODO: {todo}"


def test_non_stub_code_works_in_the_template():
    for cls in ("Sigmoid", "Softmax", "MSELoss", "CrossEntropyLoss", "SoftmaxCrossEntropyLoss"):
        getattr(student_template, cls)()
    assert student_template.Network([]).layers == []
    with pytest.raises(NotImplementedError):
        student_template.Linear(2, 3)
    assert student_template.layers.as_float_array([1, 2]).dtype.name == "float64"


def test_template_is_not_stale():
    assert stale_template_files() == []


def copy_package(source: Path, dest: Path) -> Path:
    dest.mkdir()
    for path in source.glob("*.py"):
        shutil.copy(path, dest / path.name)
    return dest


def test_drift_detector_reports_an_edited_template_file(tmp_path):
    copy = copy_package(TEMPLATE_DIR, tmp_path / "template")
    assert stale_template_files(template_dir=copy) == []
    layers = copy / "layers.py"
    layers.write_text(layers.read_text(encoding="utf-8").replace("Pre-activations.", "Inputs."), encoding="utf-8")
    assert stale_template_files(template_dir=copy) == ["layers.py"]
    (copy / "network.py").unlink()
    (copy / "extra.py").write_text("x = 1\n", encoding="utf-8")
    assert stale_template_files(template_dir=copy) == ["extra.py", "layers.py", "network.py"]


def test_drift_detector_reports_a_reference_edit_not_propagated(tmp_path):
    ref = copy_package(REFERENCE_DIR, tmp_path / "reference")
    losses = ref / "losses.py"
    text = losses.read_text(encoding="utf-8")
    old = "(TODO: return the derivative of the mean loss with respect to probs, using the clipped probabilities)"
    assert old in text
    losses.write_text(text.replace(old, "(TODO: return the gradient)"), encoding="utf-8")
    assert stale_template_files(reference_dir=ref) == ["losses.py"]


# --- strip_solutions ------------------------------------------------------------------------------

def test_strip_solutions_replaces_regions_and_keeps_everything_else():
    source = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    ### BEGIN SOLUTION (TODO: return x + 1)\n"
        "    return x + 1\n"
        "    ### END SOLUTION\n"
        "\n"
        "Y = 2\n"
    )
    assert strip_solutions(source) == (
        "def f(x):\n"
        '    """Doc."""\n'
        '    raise NotImplementedError("TODO: return x + 1")\n'
        "\n"
        "Y = 2\n"
    )


def test_strip_solutions_escapes_quotes_and_backslashes():
    todo = r'split on "\t" and return a\b'
    source = f"def f():\n    ### BEGIN SOLUTION (TODO: {todo})\n    pass\n    ### END SOLUTION\n"
    namespace = {}
    exec(strip_solutions(source), namespace)
    with pytest.raises(NotImplementedError) as info:
        namespace["f"]()
    assert str(info.value) == f"TODO: {todo}"


@pytest.mark.parametrize("source, message", [
    ("def f():\n    ### BEGIN SOLUTION (TODO: x)\n    pass\n",
     "m.py:2: BEGIN SOLUTION is never closed"),
    ("def f():\n    ### BEGIN SOLUTION (TODO: x)\n    pass\n    ### BEGIN SOLUTION (TODO: y)\n"
     "    pass\n    ### END SOLUTION\n",
     "m.py:4: BEGIN SOLUTION inside the region opened at line 2"),
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n",
     "m.py:2: BEGIN SOLUTION needs a '(TODO: ...)' text for the student"),
    ("def f():\n    pass\n    ### END SOLUTION\n",
     "m.py:3: END SOLUTION without a BEGIN SOLUTION"),
], ids=["unclosed", "nested", "missing-todo", "unopened"])
def test_strip_solutions_rejects_malformed_regions(source, message):
    with pytest.raises(TemplateError) as info:
        strip_solutions(source, "m.py")
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


# --- hint levels ----------------------------------------------------------------------------------

REGION_WITH_CODE = "def f():\n    ### BEGIN SOLUTION (TODO: add one (an integer)) (CODE: return x + 1)\n    pass\n" \
                   "    ### END SOLUTION\n"


@pytest.mark.parametrize("hints, expected", [
    ("none", "TODO"),
    ("concept", "TODO: add one (an integer)"),
    ("code", "TODO: add one (an integer); return x + 1"),
])
def test_todo_text_follows_the_hint_level(hints, expected):
    assert f'raise NotImplementedError("{expected}")' in strip_solutions(REGION_WITH_CODE, hints=hints)


def test_unknown_hint_level_is_refused():
    with pytest.raises(TemplateError, match="hint level"):
        strip_solutions(REGION_WITH_CODE, hints="all")


def test_shipped_template_states_no_formula_of_a_code_part():
    """The template is built at hint level concept: no CODE part of the reference reaches a stub.

    (The docstrings are the handed-out specification and may state a formula.)
    """
    codes = [m[1] for path in REFERENCE_DIR.glob("*.py")
             for m in re.finditer(r"\(CODE: (.*)\)\s*$", path.read_text(encoding="utf-8"), re.M)]
    assert len(codes) >= 10
    stubs = "\n".join(line for p in TEMPLATE_DIR.glob("*.py") for line in p.read_text(encoding="utf-8").splitlines()
                      if "raise NotImplementedError(" in line)
    assert stubs.count("raise NotImplementedError(") >= 18
    assert [c for c in codes if c in stubs] == []


def test_template_build_cli_writes_the_chosen_level(tmp_path):
    from click.testing import CliRunner

    from nngrade.cli import main

    result = CliRunner().invoke(main, ["template", "build", "--hints", "code", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "losses.py").read_text(encoding="utf-8")
    assert "; -target / clipped_probs / n" in text
    assert stale_template_files(template_dir=tmp_path) == ["layers.py", "losses.py", "network.py"]
