"""Every hostile submission earns nothing it did not compute, and never stops the grader.

Each run grades one entry of ``hostile.catalogue`` in its own grader process
(``python -m graders grade``) with a generous "did not hang" deadline, validates
the report against the schema, and requires 0 points on the attacked checks
and full points on the others. ``python tests/hostile/summary.py`` prints the
totals.
"""
from __future__ import annotations

import pytest

from hostile.catalogue import BY_NAME, CATEGORIES, ENTRIES, mnist_dir, runs
from hostile.kit import EVERYTHING
from hostile.runner import run_entry

#: Canaries that must fire at the rlimits level, which has no file-system or network isolation:
#: proof that they detect a leak, so their 0 points at the confining levels mean something.
CANARIES_WITHOUT_CONFINEMENT = ("reference_source_read", "fixtures_read", "reference_imported",
                                "loopback_network_answers", "answers_cached_across_runs")
REQUIRED_CATEGORIES = {"forgery", "exceptions", "monkeypatch", "values", "introspection", "secrets", "network",
                       "tampering", "resources", "training", "notebooks"}


def _id(run) -> str:
    entry, level = run
    return entry.name if level is None else f"{entry.name}@{level}"


@pytest.mark.parametrize("run", runs(), ids=_id)
def test_hostile_submission_earns_only_what_it_computes(run, tmp_path, request, record_property):
    entry, level = run
    if entry.needs_mnist and mnist_dir() is None:
        pytest.skip("NNGRADE_MNIST_DIR is not set: the MNIST training-integrity entries need the MNIST files")
    port = request.getfixturevalue("answer_server_port") if entry.server else None
    outcomes = run_entry(entry, tmp_path, level=level, port=port)
    for outcome in outcomes:
        record_property("hostile", {"entry": entry.name, "level": outcome.level, "unearned": outcome.unearned,
                                    "attacked_points": outcome.attacked_points})
        assert outcome.report is not None, outcome.problems
        assert outcome.unearned == 0, outcome.problems
        assert outcome.problems == [], "\n".join(outcome.problems)


def test_the_corpus_covers_every_attack_family():
    assert len(ENTRIES) >= 40
    assert len({entry.name for entry in ENTRIES}) == len(ENTRIES)
    assert REQUIRED_CATEGORIES <= set(CATEGORIES)
    for entry in ENTRIES:
        # Every entry claims something: attacked checks, or (for side-effect attacks) full marks elsewhere.
        assert entry.attacked or entry.after is not None or entry.honest, entry.name
        if entry.attacked == EVERYTHING:
            assert entry.honest == (), entry.name


@pytest.mark.parametrize("name", CANARIES_WITHOUT_CONFINEMENT)
def test_canaries_do_fire_without_confinement(name, tmp_path, request):
    entry = BY_NAME[name]
    port = request.getfixturevalue("answer_server_port") if entry.server else None
    outcomes = run_entry(entry, tmp_path, level="rlimits", port=port)
    assert outcomes[-1].report is not None and outcomes[-1].level == "rlimits"
    assert outcomes[-1].unearned > 0, "the canary did not detect an unconfined worker"
