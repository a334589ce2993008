"""The grader-driven MNIST training plan, and the reference accuracy it is compared with.

The same plan (initial parameters and batch order, both from the grader's rng)
drives the student's network in the worker and the reference in the grader,
so the reference accuracy is the bar for exactly that budget.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from nngrade.assignments.nn_from_scratch.maths.evaluate import init_params, predictions
from nngrade.engine.fsutil import user_cache_dir, write_atomically


def epochs(n_train: int, cfg: dict) -> int:
    """``cfg["epochs"]``, raised until training takes at least ``cfg["min_steps"]`` SGD steps.

    A 4,000-image split gives 63 steps per epoch at batch 64: one epoch leaves the
    reference near 73% accuracy, below any sensible floor, while the full 60k set
    gives 938 steps in its single epoch.
    """
    per_epoch = -(-n_train // cfg["batch_size"])
    return max(cfg["epochs"], -(-cfg.get("min_steps", 0) // per_epoch))


def plan(n_train: int, cfg: dict, seed: int):
    """Initial parameters and the list of batch index arrays for :func:`epochs` epochs."""
    rng = np.random.default_rng(seed)
    sizes = (784, cfg["hidden_units"], 10)
    params = init_params(sizes, rng)
    batches = []
    for _ in range(epochs(n_train, cfg)):
        order = rng.permutation(n_train)
        batches.extend(order[i:i + cfg["batch_size"]] for i in range(0, n_train, cfg["batch_size"]))
    return sizes, params, batches


def training_set(data, cfg: dict):
    """Training images and labels, truncated to ``max_train`` when set."""
    limit = cfg["max_train"] or len(data.y_train)
    return data.x_train[:limit], data.y_train[:limit]


def plan_key(data, cfg: dict, seed: int) -> str:
    """Identifies a (data, hyperparameters, seed) combination for caching reference accuracies."""
    settings = {k: cfg[k] for k in ("hidden_units", "lr", "batch_size", "max_train")}
    settings["epochs"] = epochs(len(training_set(data, cfg)[1]), cfg)
    text = json.dumps({"data": data.fingerprint, "seed": seed, **settings}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def reference_accuracy_uncached(data, cfg: dict, seed: int) -> float:
    """Train the reference in this (trusted) process with the plan and return its test accuracy."""
    from nngrade import reference
    x, labels = training_set(data, cfg)
    sizes, params, batches = plan(len(labels), cfg, seed)
    layers = [reference.Linear(sizes[0], sizes[1]), reference.Sigmoid(), reference.Linear(sizes[1], sizes[2])]
    layers[0].W, layers[0].b, layers[2].W, layers[2].b = (p.copy() for p in params)
    net, loss = reference.Network(layers), reference.SoftmaxCrossEntropyLoss()
    x = x.astype(np.float64) / 255.0
    y = np.eye(10)[labels]
    for idx in batches:
        loss.forward(net.forward(x[idx]), y[idx])
        net.backward(loss.backward())
        net.step(cfg["lr"])
    final = [layers[0].W, layers[0].b, layers[2].W, layers[2].b]
    return float(np.mean(predictions(final, data.x_test / 255.0, output_sigmoid=False) == data.y_test))


def _cache_file() -> Path:
    return user_cache_dir("mnist_reference.json")


def reference_accuracy(data, cfg: dict, seed: int, fixtures_folder: Path | None = None):
    """The reference's accuracy for this plan: from the fixtures, the user cache, or computed.

    Returns
    -------
    (accuracy, origin) : (float or None, str)
        ``origin`` says where the number came from; accuracy is None when it is
        neither precomputed nor computable (a student bundle has no reference).
    """
    key = plan_key(data, cfg, seed)
    sources = []
    if fixtures_folder is not None:
        sources.append((fixtures_folder / "mnist_reference.json", "precomputed in the fixtures"))
    sources.append((_cache_file(), "computed earlier on this machine"))
    for path, origin in sources:
        try:
            entry = json.loads(path.read_text()).get(key)
        except (OSError, ValueError):
            continue
        if entry is not None:
            return float(entry["accuracy"]), origin
    try:
        accuracy = reference_accuracy_uncached(data, cfg, seed)
    except ImportError:
        return None, "unavailable (no reference in this installation)"
    try:
        store_reference_accuracy(_cache_file(), key, data, accuracy)
    except OSError:  # an unwritable cache costs a recomputation next time, never a grade
        pass
    return accuracy, "computed now with the reference"


def store_reference_accuracy(path: Path, key: str, data, accuracy: float) -> None:
    """Add one entry to a reference-accuracy JSON file (atomic replace)."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        entries = {}
    entries[key] = {"accuracy": accuracy, "source": data.source}
    write_atomically(path, json.dumps(entries, indent=2, sort_keys=True))


def precompute_reference_accuracy(data, cfg: dict, folder: Path) -> tuple[str, float]:
    """Train the reference on ``data`` with the configured plan and record its accuracy in ``folder``.

    The entry goes into ``folder/mnist_reference.json`` (kept with the fixtures and
    listed in their manifest), so graders with the same data, hyperparameters and
    seed never train the reference themselves.

    Returns
    -------
    (key, accuracy) : (str, float)
    """
    key = plan_key(data, cfg, cfg["seed"])
    accuracy = reference_accuracy_uncached(data, cfg, cfg["seed"])
    store_reference_accuracy(Path(folder) / "mnist_reference.json", key, data, accuracy)
    return key, accuracy
