"""The public corpus: every planted bug loses points and is named; correct implementations get nothing.

Each test grades one submission end to end; broken ones with two XOR seeds (tests/corpus/fast.toml).
"""
from __future__ import annotations

import re

import pytest
from corpus.broken import BROKEN
from corpus.harness import (
    FAST_CONFIG,
    all_diagnoses,
    correct_submissions,
    diagnosis_ids,
    grade_broken,
    grade_quickly,
    lost_points,
)
from submissions import REFERENCE_DIR

from nngrade.diagnoses import load_catalogue
from nngrade.engine import grading as engine
from nngrade.render import FeedbackSettings, render

CATALOGUE = load_catalogue()

ENTRIES = {entry.id: entry for entry in CATALOGUE}


@pytest.mark.parametrize("broken", BROKEN, ids=lambda b: b.name)
def test_planted_bug_loses_points_and_is_diagnosed(broken, tmp_path):
    report = grade_broken(broken, tmp_path, config_path=FAST_CONFIG)
    lost = lost_points(report)
    assert {broken.where, *broken.loses} <= lost
    assert not lost & set(broken.passes), f"should still pass: {sorted(lost & set(broken.passes))}"
    check = next(c for c in report.checks if c.id == broken.where)
    assert re.search(broken.message, check.message), check.message
    found = {d.id: d for d in check.diagnoses}
    assert broken.diagnosis in found, f"{broken.where} got {sorted(found)}; message:\n{check.message}"
    diagnosis = found[broken.diagnosis]
    assert (diagnosis.title, diagnosis.message) == (ENTRIES[broken.diagnosis].title,
                                                    ENTRIES[broken.diagnosis].message)
    assert re.fullmatch(broken.evidence, diagnosis.evidence), diagnosis.evidence
    for other in broken.also:
        assert broken.diagnosis in diagnosis_ids(report, other), other
    hidden = broken.where + ".hidden"
    if any(c.id == hidden for c in report.checks):
        assert broken.diagnosis in diagnosis_ids(report, hidden)


IN_PLACE = [b for b in BROKEN if b.where == "forward.inputs_unchanged"]


@pytest.mark.parametrize("broken", IN_PLACE, ids=lambda b: b.name)
def test_an_in_place_write_costs_the_in_place_check_and_only_what_it_corrupts(broken, tmp_path):
    report = grade_broken(broken, tmp_path, config_path=FAST_CONFIG)
    assert lost_points(report) == {broken.where, *broken.loses}


def test_every_catalogue_entry_has_a_broken_implementation():
    assert {e.id for e in CATALOGUE} == {b.diagnosis for b in BROKEN}
    assert len({b.name for b in BROKEN}) == len(BROKEN)


def _graded_with_observations(path, monkeypatch):
    """Grade ``path`` and keep every check's observations, passed checks included."""
    seen = {}
    original = engine._run_one

    def recording(spec, session, config, extras):
        outcome = original(spec, session, config, extras)
        seen[spec.id] = outcome[3].observations
        return outcome

    monkeypatch.setattr(engine, "_run_one", recording)
    return grade_quickly(path), seen


def _detectors_firing(observations_by_check) -> list[tuple[str, str, str]]:
    fired = []
    for check_id, observations in observations_by_check.items():
        for entry in CATALOGUE:
            if check_id.removesuffix(".hidden") in entry.checks:
                evidence = entry.detector(observations)
                if evidence:
                    fired.append((check_id, entry.id, evidence))
    return fired


CORRECT = [REFERENCE_DIR, *correct_submissions()]


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_implementation_scores_full_marks_and_no_detector_fires(path, monkeypatch):
    report, observations = _graded_with_observations(path, monkeypatch)
    assert lost_points(report) == set()
    assert all_diagnoses(report) == []
    # Stronger: no detector fires even on the observations of the checks that passed.
    assert len(observations) > 40
    assert _detectors_firing(observations) == []


def test_correct_corpus_is_large_enough():
    assert len(correct_submissions()) >= 8


def test_text_report_shows_the_likely_cause(tmp_path):
    broken = next(b for b in BROKEN if b.name == "softmax_without_shift")
    report = grade_broken(broken, tmp_path, config_path=FAST_CONFIG)
    text = render(report, "text", student_view=True)
    assert ">> Likely cause: Softmax without subtracting the row maximum" in text
    assert "Evidence: NaN at 8 of 12 elements, exactly where exp(z) overflows (z > 709.78)" in text
    assert "Fix: subtract each row's maximum before exponentiating" in text
    assert "np.exp(z - z.max(axis=1, keepdims=True))" not in text  # the code part: hint level "code" only
    code = render(report, "text", student_view=True, settings=FeedbackSettings(hints="code"))
    assert "Fix (code): e = np.exp(z - z.max(axis=1, keepdims=True))" in code
