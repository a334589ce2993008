"""Build test submissions: the reference as one file, with small deliberate changes."""
from __future__ import annotations

import re
from pathlib import Path

# The checkout's reference package (not imported: tests/reference/ would shadow it on sys.path).
REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
MODULES = ("layers.py", "losses.py", "network.py")


def reference_source() -> str:
    """The reference solution as a single self-contained module (solution markers removed)."""
    parts = ["from __future__ import annotations\n", "import numpy as np\n"]
    for name in MODULES:
        text = (REFERENCE_DIR / name).read_text()
        text = re.sub(r"^from __future__ import annotations\n", "", text, flags=re.M)
        text = re.sub(r"^import numpy as np\n", "", text, flags=re.M)
        text = re.sub(r"^from \.\w+ import .*\n", "", text, flags=re.M)
        text = re.sub(r"^\s*### (BEGIN|END) SOLUTION.*\n", "", text, flags=re.M)
        parts.append(text)
    return "\n".join(parts)


def mutated_source(*replacements: tuple[str, str], append: str = "") -> str:
    """The reference with each ``old`` text replaced by ``new`` (each must occur exactly once)."""
    source = reference_source()
    for old, new in replacements:
        count = source.count(old)
        if count != 1:
            raise ValueError(f"expected exactly one occurrence of {old!r} in the reference, found {count}")
        source = source.replace(old, new)
    return source + ("\n" + append if append else "")


def write_submission(folder: Path, name: str, source: str) -> Path:
    """Write ``source`` to ``folder/name`` and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(source)
    return path
