"""Lines the sandbox's environment prints that are not the submission's output.

Libraries the kit installs write to the worker's stderr on their own when they meet
the sandbox's reduced file system (fontconfig under bubblewrap finds no
``/etc/fonts``). Those lines would read as printed by the student's code; they are
dropped from captured output.
"""
from __future__ import annotations

import re

#: Whole lines written by libraries, never by the submission's own code.
KIT_NOISE = re.compile(
    r"^(Fontconfig (error|warning): .*"
    r"|Matplotlib is building the font cache; this may take a moment\."
    r"|Matplotlib created a temporary cache directory at .*)\r?$",
    re.M,
)


def without_kit_noise(text: str) -> str:
    """``text`` without the lines of :data:`KIT_NOISE` (and their line breaks)."""
    if "Fontconfig" not in text and "Matplotlib" not in text:
        return text
    return re.sub(KIT_NOISE.pattern + r"\n?", "", text, flags=re.M)
