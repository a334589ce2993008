"""The real-code corpus: ports of public NumPy networks, each with the verdict its manifest entry states.

A correct port loses nothing beyond its documented deviations; a port with a
bug loses points on a check of its faulty unit, carries a diagnosis there,
and loses no check that grades only other units (no cascade). Graded with
two XOR seeds (tests/corpus/fast.toml).
"""
from __future__ import annotations

import pytest
from corpus.harness import FAST_CONFIG, grade_quickly
from corpus.real_harness import UNIT_CHECKS, judge_real, real_ports

PORTS = real_ports()


def test_the_manifest_lists_ports_and_known_units():
    assert len(PORTS) >= 20
    assert {p.correct for p in PORTS} == {True, False}
    unknown = {u for p in PORTS for u in p.units + p.also_units} - set(UNIT_CHECKS)
    assert not unknown, f"units the harness does not map to checks: {sorted(unknown)}"


@pytest.mark.parametrize("port", [p for p in PORTS if p.correct], ids=lambda p: p.name)
def test_correct_port_gets_full_marks(port):
    verdict = judge_real(port, grade_quickly(port.path, config_path=FAST_CONFIG))
    assert verdict.unexplained == set(), f"{port.name} lost {sorted(verdict.unexplained)}"


@pytest.mark.parametrize("port", [p for p in PORTS if not p.correct], ids=lambda p: p.name)
def test_buggy_port_is_caught_named_and_costs_no_other_unit(port):
    verdict = judge_real(port, grade_quickly(port.path, config_path=FAST_CONFIG))
    assert verdict.caught, f"{port.name}: no check of {port.units + port.also_units} lost points"
    assert verdict.named, f"{port.name}: no diagnosis on a check of {port.units}; found {verdict.diagnoses}"
    assert verdict.unexplained == set(), f"{port.name}: cascaded penalties on {sorted(verdict.unexplained)}"
