"""Text that is safe to write anywhere: terminals, files, JSON, HTML and spreadsheets.

Messages, names and printed output in a report come partly from the
submission. Written verbatim, they could move the cursor and draw a forged
score over the real one (ANSI escapes, carriage returns), reorder what a
reader sees (bidirectional overrides), or make the writer itself fail (a lone
surrogate such as ``"\\udc80"`` cannot be encoded as UTF-8, and file names
that are not valid UTF-8 arrive as such surrogates). :func:`safe_text` shows
every such character as a visible escape instead, and :func:`safe_report`
applies it to every string of a report.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

#: Characters shown escaped: C0 controls but tab and newline, DEL, C1 controls (CSI, OSC, ...),
#: bidirectional embeddings, overrides and isolates, and lone surrogates (invalid UTF-8 decoded
#: with ``surrogateescape``, or a surrogate a submission wrote itself).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """``text`` with every unsafe character shown as a visible escape (``\\x1b``, ``\\udc80``).

    Windows line ends (``\\r\\n``) become ``\\n`` first; a carriage return on its
    own (which returns the cursor to the start of the line) is escaped like the
    other control characters. Tabs and newlines are kept. The result encodes as
    UTF-8 without errors, and applying the function again changes nothing.

    Parameters
    ----------
    text : str
        Any text, e.g. captured printing or an exception message.

    Returns
    -------
    str
        The safe text; ``text`` itself when it was safe already.
    """
    if not isinstance(text, str):
        text = str(text)
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(_escaped, text.replace("\r\n", "\n"))


def safe_value(value: Any) -> Any:
    """``value`` with :func:`safe_text` applied to every string inside (dicts, lists, dataclasses).

    Other values (numbers, arrays, None) are returned as they are; dataclass
    instances are copied, never changed in place.
    """
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(k) if isinstance(k, str) else k: safe_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(safe_value(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: safe_value(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


def safe_report(report):
    """A copy of ``report`` (a :class:`~nngrade.results.Report`) whose every string is :func:`safe_text`."""
    return safe_value(report)
