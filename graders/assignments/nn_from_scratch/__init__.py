"""The neural-network-from-scratch assignment (NumPy): layers, losses, backprop, SGD, XOR, MNIST.

This package is the only code of the kit that knows this assignment: its API
(:mod:`.api`), its check modules (:mod:`.checks`), its misconception detectors
(:mod:`.diagnoses`), the grader's own mathematics (:mod:`.maths`), training
verification (:mod:`.training`), the MNIST data set (:mod:`.data`), its fixture
generators (:mod:`.fixture_build`), its figures (:mod:`.figures`), its default
configuration (``defaults.toml``) and the worker operation that trains inside the
sandbox (``worker_training.py``). The engine reads it through :data:`ASSIGNMENT`.
"""
from __future__ import annotations

from nngrade.engine.assignment import Assignment, Resource
from nngrade.engine.config import ConfigError

from .api import API_NAMES

_HERE = __name__

CONFIG_NUMBERS = {
    ("tolerances", "update_rtol"): (float, 0, 1),
    ("tolerances", "training_drift"): (float, 0, 1),
    ("xor", "hidden_units"): (int, 2, 1024),
    ("xor", "epochs"): (int, 1, 100000),
    ("xor", "lr_softmax_ce"): (float, 1e-9, 1e3),
    ("xor", "lr_mse"): (float, 1e-9, 1e3),
    ("mnist", "hidden_units"): (int, 1, 4096),
    ("mnist", "epochs"): (int, 1, 100),
    ("mnist", "min_steps"): (int, 0, 10**6),
    ("mnist", "lr"): (float, 1e-9, 1e3),
    ("mnist", "batch_size"): (int, 1, 60000),
    ("mnist", "seed"): (int, 0, 2**31),
    ("mnist", "floor"): (float, 0, 1),
    ("mnist", "margin"): (float, 0, 1),
    ("mnist", "time_budget"): (float, 1, 86400),
    ("mnist", "max_train"): (int, 0, 10**7),
}


def validate_config(config: dict) -> None:
    """What the number table cannot say: the XOR seeds are a non-empty list of integers >= 0."""
    seeds = config["xor"]["seeds"]
    if not (isinstance(seeds, list) and seeds and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                      for s in seeds)):
        raise ConfigError(f"xor.seeds = {seeds!r} is invalid: expected a non-empty list of non-negative integers")


def _load_mnist(options):
    from .data import provide_mnist

    return provide_mnist(options.get("data_dir"))


FAMILIES = ("api", "forward", "jacobians", "gradients", "init", "xor", "mnist")
DIAGNOSIS_FAMILIES = ("sign", "sigmoid", "softmax", "losses", "backprop", "init", "composition")

ASSIGNMENT = Assignment(
    package=_HERE,
    title="Neural network from scratch in NumPy",
    api=API_NAMES,
    check_modules=tuple(f"{_HERE}.checks.{family}" for family in FAMILIES),
    groups=FAMILIES,
    diagnosis_modules=tuple(f"{_HERE}.diagnoses.{family}" for family in DIAGNOSIS_FAMILIES),
    gate="api.conformance",
    config_file="defaults.toml",
    config_numbers=CONFIG_NUMBERS,
    validate_config=validate_config,
    resources={"mnist": Resource(load=_load_mnist, groups=("mnist",))},
    worker_plugins=("worker_training.py", "worker_stand_ins.py"),
    figures=f"{_HERE}.figures",
)
