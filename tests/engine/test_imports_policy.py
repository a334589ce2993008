"""The import policy ([imports]): found without running anything, refused when run, named in the gate check."""
from __future__ import annotations

import ast

import pytest
from submissions import reference_source, write_submission

from nngrade.engine.config import load_config
from nngrade.engine.grading import grade
from nngrade.loader.common import imported_modules

SCANNED = '''
import os, numpy.linalg as la
from torch import nn
from . import sibling
from .layers import Linear
import importlib
jax = importlib.import_module("jax.numpy")
auto = __import__("autograd")
def later():
    import tensorflow
if __name__ == "__main__":
    import matplotlib
else:
    import scipy
'''


def test_the_scan_finds_imports_without_running_them():
    found = imported_modules(ast.parse(SCANNED))
    assert found == [("os", 2), ("numpy.linalg", 2), ("torch", 3), ("importlib", 6), ("jax.numpy", 7),
                     ("autograd", 8), ("tensorflow", 10), ("scipy", 14)]


def test_the_assignment_forbids_the_autodiff_libraries_by_default():
    config = load_config()
    assert config["imports"] == {"forbidden": ["torch", "tensorflow", "jax", "autograd"], "allowed": []}


def _policy(tmp_path, text):
    return load_config(write_submission(tmp_path, "policy.toml", text))


def _gate(report):
    return next(c for c in report.checks if c.id == "api.conformance")


def test_a_module_outside_the_allow_list_is_named_by_the_gate(tmp_path):
    config = _policy(tmp_path, '[imports]\nallowed = ["numpy"]\n')
    path = write_submission(tmp_path, "uses_click.py", reference_source() + "\nimport json\nimport click\n")
    report = grade(path, config=config, only="api")
    gate = _gate(report)
    assert gate.status == "failed" and "imports click (line" in gate.message
    assert "not among the modules this assignment allows (numpy and the standard library)" in gate.message
    assert "json" not in gate.message  # the standard library is always allowed
    assert all(c.status == "not_run" for c in report.checks if c.id != "api.conformance")


@pytest.mark.parametrize("policy, refused", [
    ('[imports]\nallowed = ["numpy"]\n', "this assignment allows only numpy and the standard library"),
    ('[imports]\nforbidden = ["click"]\n', "this assignment forbids click"),
])
def test_the_worker_refuses_an_import_no_scan_sees(tmp_path, policy, refused):
    config = _policy(tmp_path, policy)
    hidden = "\nimport importlib\nimportlib.import_module('cl' + 'ick')\n"
    report = grade(write_submission(tmp_path, "hidden_click.py", reference_source() + hidden), config=config,
                   only="api")
    gate = _gate(report)
    assert gate.status == "error" and refused in gate.message


def test_without_a_policy_the_same_submission_imports(tmp_path):
    config = _policy(tmp_path, "[imports]\nforbidden = []\n")
    hidden = "\nimport importlib\nimportlib.import_module('cl' + 'ick')\nimport click\n"
    report = grade(write_submission(tmp_path, "click_ok.py", reference_source() + hidden), config=config,
                   only="api")
    assert _gate(report).status == "passed"
