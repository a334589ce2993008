"""The assignment's import policy (``[imports]``): what the loader found, and what the worker enforces.

Two layers, both assignment-agnostic: the submission's files are scanned for
import statements without running them (:func:`nngrade.loader.common.scan_imports`),
and a finding fails the gate check naming the module, the file and the line;
the worker also refuses the same imports when they happen
(``ImportGuard`` in ``sandbox/inside/import_guard.py``), which catches the ones no
scan can see (``importlib.import_module("to" + "rch")``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from nngrade.loader.common import ENTRY, scan_imports

#: Name of the policy file staged beside the worker (as ``plugin_imports.json``).
POLICY_FILE = "imports.json"


def policy_of(config: dict) -> dict:
    """``{"forbidden": [...], "allowed": [...]}`` from the configuration's ``[imports]`` section."""
    section = config.get("imports", {})
    return {"forbidden": list(section.get("forbidden", [])), "allowed": list(section.get("allowed", []))}


def write_policy(config: dict, folder: Path) -> list[Path]:
    """The policy file for the worker, written into ``folder``; ``[]`` when the policy is empty."""
    policy = policy_of(config)
    if not policy["forbidden"] and not policy["allowed"]:
        return []
    folder.mkdir(mode=0o755, exist_ok=True)
    path = folder / POLICY_FILE
    path.write_text(json.dumps(policy), encoding="utf-8")
    path.chmod(0o644)
    return [path]


def _own_names(module_dir: Path) -> set[str]:
    return {path.stem if path.suffix == ".py" else path.name for path in module_dir.rglob("*")
            if path.suffix == ".py" or path.is_dir()}


def refusal(name: str, policy: dict, own: set[str]) -> str | None:
    """Why ``name`` may not be imported under ``policy`` (None when it may)."""
    for banned in policy["forbidden"]:
        if name == banned or name.startswith(banned + "."):
            return "which this assignment forbids"
    top = name.partition(".")[0]
    allowed = policy["allowed"]
    if allowed and top not in allowed and top not in sys.stdlib_module_names and top not in own:
        return f"which is not among the modules this assignment allows ({', '.join(allowed)} and the standard library)"
    return None


def _where(relative: str, line: int) -> str:
    if relative == f"{ENTRY}.py":
        return f"line {line}"
    return f"{relative.removeprefix(ENTRY + '/')}, line {line}"


def findings(module_dir: Path, config: dict) -> list[str]:
    """Sentences naming every import of the loaded submission that the policy refuses, one per module."""
    policy = policy_of(config)
    if not policy["forbidden"] and not policy["allowed"]:
        return []
    module_dir = Path(module_dir)
    own = _own_names(module_dir) if policy["allowed"] else set()
    # NOTE: with only a deny-list, files that never spell a forbidden name are not parsed (grading stays fast).
    mentioning = None if policy["allowed"] else tuple(name.partition(".")[0] for name in policy["forbidden"])
    seen: dict[str, str] = {}
    for name, relative, line in scan_imports(module_dir, mentioning):
        why = refusal(name, policy, own)
        if why is not None and name not in seen:
            seen[name] = f"imports {name} ({_where(relative, line)}), {why}"
    return list(seen.values())


def findings_message(found: list[str]) -> str:
    """The gate check's message for the findings of :func:`findings`."""
    return ("your submission " + "; it ".join(found)
            + ". Remove the import: this assignment asks you to write that part yourself.")
