"""Configuration: the engine's defaults, the assignment's, and the instructor's file on top.

The engine's defaults ship in ``graders/default_config.toml`` (limits,
comparison tolerances, which assignment, extension modules); the assignment's
own settings and points in its package (``defaults.toml``). An instructor's
file overrides any subset of keys of either. Every value is checked when
loaded, and a bad value raises :class:`ConfigError` naming the key, the value
and what is allowed; so does a check id that no check has.
"""
from __future__ import annotations

import copy
import difflib
import sys
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range."""


# key path -> (type, minimum, maximum); None = unbounded. The assignment adds its own.
ENGINE_NUMBERS = {
    ("limits", "call_timeout"): (float, 0.1, 3600),
    ("limits", "total_timeout"): (float, 1, 86400),
    ("limits", "worker_start_timeout"): (float, 1, 3600),
    ("limits", "address_space_mb"): (int, 256, 1 << 20),
    ("limits", "cpu_seconds"): (int, 1, 86400),
    ("limits", "max_processes"): (int, 1, 4096),
    ("limits", "output_cap_kb"): (int, 1, 1 << 20),
    ("tolerances", "rtol"): (float, 0, 1),
    ("tolerances", "atol_scale"): (float, 0, 1),
}
CHECK_KEYS = {"points", "hidden", "disabled", "visibility"}


def _engine_defaults() -> dict[str, Any]:
    text = resources.files("nngrade").joinpath("default_config.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _assignment_defaults(assignment) -> dict[str, Any]:
    text = (assignment.package_dir() / assignment.config_file).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _combine(engine: dict, assignment: dict) -> dict:
    """The engine's defaults with the assignment's sections and keys added (assignment wins)."""
    combined = copy.deepcopy(engine)
    for section, values in assignment.items():
        if isinstance(values, dict):
            combined.setdefault(section, {}).update(copy.deepcopy(values))
        else:
            combined[section] = copy.deepcopy(values)
    return combined


def _merge(base: dict, override: dict, path: str = "") -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in base and path != "checks.":
            close = difflib.get_close_matches(str(key), [str(k) for k in base], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"unknown configuration key {where!r}{hint} (known keys here: {sorted(base)})")
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value, where + ".") if key != "checks" else _merge_checks(base[key], value)
        else:
            merged[key] = value
    return merged


def _merge_checks(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for check_id, entry in override.items():
        if not isinstance(entry, dict) or set(entry) - CHECK_KEYS:
            raise ConfigError(f"checks.{check_id!r} = {entry!r} is invalid: expected "
                              "{points = N, hidden = true|false, disabled = \"reason\"}")
        if isinstance(merged.get(check_id), dict):
            merged[check_id] = {**merged[check_id], **entry}
        else:
            merged[check_id] = entry
    return merged


def _validate_numbers(config: dict, numbers) -> None:
    for (section, key), (kind, low, high) in numbers.items():
        value = config[section][key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and kind is int:
            ok = float(value).is_integer()
        if not ok or not low <= value <= high:
            raise ConfigError(
                f"{section}.{key} = {value!r} is invalid: expected {kind.__name__} in [{low}, {high}]")
        config[section][key] = kind(value)


def _validate_checks(config: dict, known_ids: list[str] | None) -> None:
    for check_id, entry in config["checks"].items():
        if not isinstance(entry, dict) or set(entry) - CHECK_KEYS:
            raise ConfigError(f"checks.{check_id!r} = {entry!r} is invalid: expected "
                              "{points = N, hidden = true|false, disabled = \"reason\"}")
        points = entry.get("points", 0)
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise ConfigError(f"checks.{check_id!r}.points = {points!r} is invalid: expected a number >= 0")
        if not isinstance(entry.get("hidden", False), bool):
            raise ConfigError(f"checks.{check_id!r}.hidden must be true or false")
        reason = entry.get("disabled")
        if reason is not None and not (isinstance(reason, str) and reason.strip()):
            raise ConfigError(f"checks.{check_id!r}.disabled must be the reason, a non-empty string")
        if known_ids is not None and check_id not in known_ids:
            close = difflib.get_close_matches(check_id, known_ids, n=1, cutoff=0.5)
            hint = f"; the closest known id is {close[0]!r}" if close else ""
            raise ConfigError(f"checks.{check_id!r}: no check has this id{hint}")


def _imports(config: dict) -> None:
    """``[imports] forbidden`` and ``allowed`` must be lists of dotted module names."""
    for key in ("forbidden", "allowed"):
        names = config["imports"][key]
        if not (isinstance(names, list) and all(isinstance(n, str) and n and all(part.isidentifier()
                                                                                 for part in n.split("."))
                                                for n in names)):
            raise ConfigError(f"imports.{key} = {names!r} is invalid: expected a list of module names "
                              "such as [\"torch\", \"jax\"]")


def _extensions(config: dict, base_dir: Path | None) -> None:
    section = config["extensions"]
    modules = section.get("modules", [])
    if not (isinstance(modules, list) and all(isinstance(m, str) and m for m in modules)):
        raise ConfigError(f"extensions.modules = {modules!r} is invalid: expected a list of module names or .py paths")
    section["base_dir"] = str(base_dir) if base_dir is not None else None


def load_config(path: str | Path | None = None, *, known_checks: bool = True) -> dict[str, Any]:
    """The defaults, overridden by the TOML file at ``path`` when given.

    Parameters
    ----------
    path : str or Path, optional
        The instructor's file.
    known_checks : bool
        Refuse a ``[checks]`` id that no check of the assignment (and its extensions) has.

    Raises
    ------
    ConfigError
        When the file cannot be read or parsed, or a value is invalid.
    """
    from nngrade.engine.assignment import load_package

    override: dict[str, Any] = {}
    if path is not None:
        try:
            override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    engine = _engine_defaults()
    package = override.get("assignment", {}).get("package", engine["assignment"]["package"])
    try:
        assignment = load_package(package)
    except ImportError as exc:
        raise ConfigError(f"assignment.package = {package!r} cannot be loaded: {exc}") from None
    config = _merge(_combine(engine, _assignment_defaults(assignment)), override)
    _extensions(config, Path(path).resolve().parent if path is not None else None)
    seed = config["hidden"]["seed"]
    if isinstance(seed, bool) or not isinstance(seed, (str, int)):
        raise ConfigError(f"hidden.seed = {seed!r} is invalid: expected a string or an integer (the secret seed)")

    _imports(config)
    _validate_numbers(config, {**ENGINE_NUMBERS, **assignment.config_numbers})
    if assignment.validate_config is not None:
        assignment.validate_config(config)
    known = None
    if known_checks:
        known = _known_check_ids(config)
    _validate_checks(config, known)
    _validate_feedback(config)
    return config


def _validate_feedback(config: dict) -> None:
    from nngrade.batch.lateness import validate_late
    from nngrade.batch.similarity import validate_similarity
    from nngrade.render.settings import validate_feedback

    try:
        validate_feedback(config)
        validate_late(config)
        validate_similarity(config)
    except (ValueError, TypeError) as exc:
        raise ConfigError(str(exc)) from None


def _known_check_ids(config: dict) -> list[str]:
    from nngrade.checks.registry import collect
    from nngrade.engine.assignment import assignment_of

    try:
        assignment = assignment_of(config)
    except (ImportError, OSError, SyntaxError) as exc:
        raise ConfigError(f"extensions.modules: {exc}") from None
    try:
        return [spec.id for spec in collect(assignment)]
    except ValueError as exc:
        raise ConfigError(f"the checks cannot be registered: {exc}") from None


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


def disabled_reason(config: dict, check_id: str) -> str | None:
    """The instructor's reason for disabling ``check_id`` (or its public twin), None when enabled."""
    checks = config["checks"]
    entry = checks.get(check_id) or {}
    if "disabled" not in entry and check_id.endswith(".hidden"):
        entry = checks.get(check_id[: -len(".hidden")]) or {}
    return entry.get("disabled")
