"""The reference's own compute for the operations the training checks make it do.

Runs in a child process with one BLAS thread, like the sandboxed worker (whose
environment sets ``OPENBLAS_NUM_THREADS=1``). Each function repeats, in this
process and without any sandbox or protocol, exactly the student-code calls of
one check: the same networks, initial parameters, batches and learning rates,
taken from the same configuration and fixtures. What the grader adds around
them (worker round trips, copies, validation, its own evaluation) is what the
overhead figure measures.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from nngrade import reference
from nngrade.assignments.nn_from_scratch.checks.xor import XOR_LABELS, XOR_X
from nngrade.assignments.nn_from_scratch.data import load_mnist
from nngrade.assignments.nn_from_scratch.fixture_build import generators
from nngrade.assignments.nn_from_scratch.maths.evaluate import init_params
from nngrade.assignments.nn_from_scratch.training.mnist_plan import plan, training_set
from nngrade.engine.config import load_config
from nngrade.engine.fixture_store import generate_fixture, load_fixture

#: Seed of the hidden fixture drawn here. A grade draws its hidden set from a secret and the submission;
#: the generator, shapes, epochs and batch size are the same whatever the seed, so the work is too.
BENCH_HIDDEN_SEED = "bench"


def build_network(sizes, params, *, output_sigmoid: bool):
    """A reference ``Network`` of Linear/Sigmoid layers holding copies of ``params``."""
    layers = []
    pairs = list(zip(sizes[:-1], sizes[1:]))
    for i, (fan_in, fan_out) in enumerate(pairs):
        linear = reference.Linear(fan_in, fan_out)
        linear.W = np.array(params[2 * i], dtype=np.float64)
        linear.b = np.array(params[2 * i + 1], dtype=np.float64)
        layers.append(linear)
        if i < len(pairs) - 1 or output_sigmoid:
            layers.append(reference.Sigmoid())
    return reference.Network(layers)


def train_steps(net, loss, x, y, batches, lr: float) -> list[float]:
    """The worker's ``train_steps`` loop without the sandbox: forward, loss, backward, step per batch."""
    losses = []
    for indices in batches:
        value = loss.forward(net.forward(x[indices]), y[indices])
        net.backward(loss.backward())
        net.step(lr)
        losses.append(float(value))
    return losses


def xor_compute(config: dict, loss_name: str) -> float:
    """Seconds of student compute of ``xor.softmax_ce`` (loss_name SoftmaxCrossEntropyLoss) or ``xor.mse``."""
    cfg = config["xor"]
    if loss_name == "MSELoss":
        sizes, targets = (2, cfg["hidden_units"], 1), XOR_LABELS[:, None].astype(float)
        lr, sigmoid_out = cfg["lr_mse"], True
    else:
        sizes, targets = (2, cfg["hidden_units"], 2), np.eye(2)[XOR_LABELS]
        lr, sigmoid_out = cfg["lr_softmax_ce"], False
    batches = np.tile(np.arange(4), (cfg["epochs"], 1))
    starts = [init_params(sizes, np.random.default_rng(seed)) for seed in cfg["seeds"]]
    began = time.perf_counter()
    for params in starts:
        net = build_network(sizes, params, output_sigmoid=sigmoid_out)
        train_steps(net, getattr(reference, loss_name)(), XOR_X, targets, batches, lr)
    return time.perf_counter() - began


def train_function_compute() -> float:
    """Seconds of student compute of ``xor.train_function`` (the public fixture, and a hidden one drawn as a grade
    draws it)."""
    total = 0.0
    for visibility in ("public", "hidden"):
        f = load_fixture("public", "train") if visibility == "public" else \
            generate_fixture(generators()["train"], BENCH_HIDDEN_SEED, "train")
        sizes = (f["x"].shape[1], f["p0"].shape[1], f["y"].shape[1])
        began = time.perf_counter()
        net = build_network(sizes, [f[f"p{i}"] for i in range(4)], output_sigmoid=False)
        reference.train(net, reference.SoftmaxCrossEntropyLoss(), f["x"], f["y"], epochs=int(f["epochs"]),
                        lr=float(f["lr"]), batch_size=int(f["batch_size"]),
                        rng=np.random.default_rng(int(f["rng_seed"])))
        total += time.perf_counter() - began
    return total


class MnistCompute:
    """The MNIST check's training, prepared once (data loading is not student compute)."""

    def __init__(self, directory: str, config: dict):
        self.cfg = config["mnist"]
        data = load_mnist(directory)
        x, labels = training_set(data, self.cfg)
        self.sizes, self.params, self.batches = plan(len(labels), self.cfg, self.cfg["seed"])
        self.x = x.reshape(len(x), -1).astype(np.float64) * (1 / 255)
        self.y = np.eye(10)[labels]
        self.steps = len(self.batches)

    def __call__(self) -> float:
        net = build_network(self.sizes, self.params, output_sigmoid=False)
        began = time.perf_counter()
        train_steps(net, reference.SoftmaxCrossEntropyLoss(), self.x, self.y, self.batches, self.cfg["lr"])
        return time.perf_counter() - began


class CheckCompute:
    """Every training check's compute, prepared once and measured on request.

    Parameters
    ----------
    directory : str or None
        MNIST folder; None leaves ``mnist.accuracy`` out.
    """

    def __init__(self, directory: str | None):
        config = load_config(None)
        self.tasks = {"xor.softmax_ce": lambda: xor_compute(config, "SoftmaxCrossEntropyLoss"),
                      "xor.mse": lambda: xor_compute(config, "MSELoss"),
                      "xor.train_function": train_function_compute}
        self.mnist = MnistCompute(directory, config) if directory else None
        if self.mnist is not None:
            self.tasks["mnist.accuracy"] = self.mnist
        for task in self.tasks.values():
            task()  # warm-up: imports, caches, BLAS buffers

    def measure(self, *, repeats: int) -> dict:
        """Median seconds per check over ``repeats`` interleaved rounds.

        Returns
        -------
        dict
            ``{"xor.softmax_ce": s, "xor.mse": s, "xor.train_function": s,
            "mnist.accuracy": s, "runs": {...}, "mnist_steps": int}``
        """
        runs = {name: [] for name in self.tasks}
        for _ in range(repeats):
            for name, task in self.tasks.items():
                runs[name].append(task())
        result = {name: statistics.median(values) for name, values in runs.items()}
        result["runs"] = runs
        result["mnist_steps"] = self.mnist.steps if self.mnist is not None else 0
        return result
