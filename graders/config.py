"""Assignment configuration: points, thresholds, hyperparameters, time budgets.

The defaults ship in ``graders/default_config.toml``; an instructor's file
overrides any subset of keys. Every value is checked when loaded, and a bad
value raises :class:`ConfigError` naming the key, the value and what is allowed.
"""
from __future__ import annotations

import copy
import sys
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """An assignment configuration value is missing, unknown or out of range."""


# key path -> (type, minimum, maximum); None = unbounded.
_NUMBERS = {
    ("limits", "call_timeout"): (float, 0.1, 3600),
    ("limits", "worker_start_timeout"): (float, 1, 3600),
    ("limits", "address_space_mb"): (int, 256, 1 << 20),
    ("limits", "cpu_seconds"): (int, 1, 86400),
    ("limits", "max_processes"): (int, 1, 4096),
    ("limits", "output_cap_kb"): (int, 1, 1 << 20),
    ("tolerances", "rtol"): (float, 0, 1),
    ("tolerances", "atol_scale"): (float, 0, 1),
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


def _defaults() -> dict[str, Any]:
    text = resources.files("graders").joinpath("default_config.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _merge(base: dict, override: dict, path: str = "") -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in base and path != "checks.":
            raise ConfigError(f"unknown configuration key {where!r}; known keys here: {sorted(base)}")
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value, where + ".") if key != "checks" else {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _validate(config: dict) -> None:
    for (section, key), (kind, low, high) in _NUMBERS.items():
        value = config[section][key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and kind is int:
            ok = float(value).is_integer()
        if not ok or not low <= value <= high:
            raise ConfigError(
                f"{section}.{key} = {value!r} is invalid: expected {kind.__name__} in [{low}, {high}]")
        config[section][key] = kind(value)
    seeds = config["xor"]["seeds"]
    if not (isinstance(seeds, list) and seeds and all(isinstance(s, int) and s >= 0 for s in seeds)):
        raise ConfigError(f"xor.seeds = {seeds!r} is invalid: expected a non-empty list of non-negative integers")
    for check_id, entry in config["checks"].items():
        if not isinstance(entry, dict) or set(entry) - {"points", "hidden"}:
            raise ConfigError(f"checks.{check_id!r} = {entry!r} is invalid: expected {{points = N, hidden = true|false}}")
        points = entry.get("points", 0)
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise ConfigError(f"checks.{check_id!r}.points = {points!r} is invalid: expected a number >= 0")
        if not isinstance(entry.get("hidden", False), bool):
            raise ConfigError(f"checks.{check_id!r}.hidden must be true or false")


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """The defaults, overridden by the TOML file at ``path`` when given.

    Raises
    ------
    ConfigError
        When the file cannot be read or parsed, or a value is invalid.
    """
    config = _defaults()
    if path is not None:
        try:
            override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
        config = _merge(config, override)
    _validate(config)
    return config


def check_settings(config: dict, check_id: str) -> tuple[float, bool | None]:
    """Points and hidden flag (None = not set) configured for ``check_id``.

    A ``*.hidden`` variant takes its public twin's points unless set itself.
    """
    checks = config["checks"]
    entry = checks.get(check_id)
    if entry is None and check_id.endswith(".hidden"):
        entry = {"points": checks.get(check_id[: -len(".hidden")], {}).get("points", 0)}
    entry = entry or {}
    return float(entry.get("points", 0)), entry.get("hidden")
