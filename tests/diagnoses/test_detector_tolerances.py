"""The detectors judge mismatches with the tolerances the check ran with, and read no configuration at import."""
from __future__ import annotations

import importlib

import numpy as np

from nngrade.assignments.nn_from_scratch.diagnoses import numbers
from nngrade.checks.context import Observation


def test_importing_the_numbers_module_reads_no_configuration(monkeypatch):
    import nngrade.engine.config as config

    def refuse(*args, **kwargs):
        raise AssertionError("load_config called at import")

    monkeypatch.setattr(config, "load_config", refuse)
    importlib.reload(numbers)  # would raise if the module read the shipped tolerances at import
    monkeypatch.undo()
    importlib.reload(numbers)


def test_a_mismatch_is_judged_with_the_tolerances_of_the_configuration_in_use():
    reference = np.linspace(1.0, 2.0, 6)
    yours = reference * 1.01  # 1% off
    loose = Observation(yours=yours, reference=reference, tolerances=(0.05, 0.0))
    strict = Observation(yours=yours, reference=reference, tolerances=(1e-6, 0.0))
    assert numbers.mismatches({"forward": loose}) == []
    assert [key for key, _ in numbers.mismatches({"forward": strict})] == ["forward"]


def test_observations_without_tolerances_use_the_shipped_ones():
    reference = np.linspace(1.0, 2.0, 6)
    assert [k for k, _ in numbers.mismatches({"forward": Observation(reference * 1.01, reference)})] == ["forward"]
    assert numbers.mismatches({"forward": Observation(reference.copy(), reference)}) == []
