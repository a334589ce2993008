"""Correct code that computes in float32 inside passes the shipped tolerances on any input.

Hidden inputs are drawn anew for every grade, so a tolerance that a correct
float32 implementation misses on a few percent of draws takes earned points from
a few percent of a class. This draws many inputs the way the softmax fixtures do.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from nngrade import load_config
from nngrade import reference as R
from nngrade.checks.compare import mismatch_report

FLOAT32 = Path(__file__).resolve().parents[1] / "corpus" / "correct" / "float32_internal.py"


def _float32_module():
    spec = importlib.util.spec_from_file_location("float32_internal", FLOAT32)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_float32_softmax_backward_passes_every_drawn_input():
    tolerances = load_config()["tolerances"]
    student = _float32_module()
    failures = []
    for seed in range(1500):
        rng = np.random.default_rng(seed)
        shape = (5, 3) if seed % 2 else (4, 4)
        z, g = rng.normal(0, 2, shape), rng.normal(size=shape)
        yours, ref = student.Softmax(), R.Softmax()
        yours.forward(z)
        ref.forward(z)
        problem = mismatch_report(np.asarray(yours.backward(g), dtype=np.float64), ref.backward(g),
                                  rtol=tolerances["rtol"], atol_scale=tolerances["atol_scale"])
        if problem:
            failures.append(seed)
    assert failures == [], f"{len(failures)} of 1500 draws fail, e.g. seed {failures[:3]}"


def test_a_real_bug_still_fails_at_the_shipped_tolerance():
    """The diagonal-only Jacobian differs on the order of the values, far beyond the tolerance."""
    tolerances = load_config()["tolerances"]
    rng = np.random.default_rng(0)
    z, g = rng.normal(0, 2, (5, 3)), rng.normal(size=(5, 3))
    ref = R.Softmax()
    s = ref.forward(z)
    assert mismatch_report(g * s * (1 - s), ref.backward(g), rtol=tolerances["rtol"],
                           atol_scale=tolerances["atol_scale"]) is not None
