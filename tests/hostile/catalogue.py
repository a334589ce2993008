"""The hostile corpus: every entry, and the (entry, sandbox level) runs the tests make."""
from __future__ import annotations

import os
import shutil

from hostile import (
    entries_boundary,
    entries_escape,
    entries_forgery,
    entries_hidden,
    entries_host,
    entries_resources,
    entries_training,
)
from hostile.kit import Entry
from nngrade.sandbox.host.levels import LEVELS

ENTRIES: list[Entry] = [*entries_forgery.ENTRIES, *entries_escape.ENTRIES, *entries_resources.ENTRIES,
                        *entries_training.ENTRIES, *entries_hidden.ENTRIES, *entries_host.ENTRIES,
                        *entries_boundary.ENTRIES]
BY_NAME = {entry.name: entry for entry in ENTRIES}
CATEGORIES = sorted({entry.category for entry in ENTRIES})


def landlock_available() -> bool:
    """Whether the landlock level can run here (it is the fallback when namespaces are forbidden)."""
    return LEVELS["landlock"].unavailable_reason() is None


def best_level() -> str:
    """The level a default grading picks here (bwrap when installed)."""
    return "bwrap" if shutil.which("bwrap") else "landlock" if landlock_available() else "rlimits"


def runs() -> list[tuple[Entry, str | None]]:
    """``(entry, level)`` pairs: every entry at the best level, confinement attacks also at landlock.

    ``None`` means the default choice. A landlock run is skipped when landlock
    is the best level anyway.
    """
    pairs: list[tuple[Entry, str | None]] = [(entry, None) for entry in ENTRIES]
    if best_level() != "landlock" and landlock_available():
        pairs += [(entry, "landlock") for entry in ENTRIES if entry.landlock]
    return pairs


def mnist_dir() -> str | None:
    return os.environ.get("NNGRADE_MNIST_DIR") or None
