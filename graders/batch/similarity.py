"""Similarity of submissions across a class, for the class page: winnowed token fingerprints (copydetect).

copydetect tokenizes each submission's code (names become placeholders, so
renaming variables changes nothing), keeps a winnowed set of fingerprints of
``noise_tokens``-long token runs (a set, so reordering functions changes
nothing), and drops the fingerprints of the boilerplate: the student template
handed out. Two submissions are reported when the larger of their two overlap
fractions reaches ``threshold``. Nothing here reads or changes a score: the
result is only shown on the class page, for a person to judge.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

#: Code files read from a submission folder or zip.
CODE_SUFFIXES = (".py", ".ipynb")
#: Bytes of code read per submission at most.
MAX_CODE_BYTES = 2 << 20


@dataclass(frozen=True)
class SimilarPair:
    """Two submissions whose code overlaps.

    Attributes
    ----------
    first, second : str
        Submission ids.
    similarity : float
        The larger overlap fraction of the two, in [0, 1].
    fractions : tuple of float
        The share of each one's fingerprinted tokens found in the other.
    code : tuple of str
        Each one's code, as compared.
    slices : tuple of list of (int, int)
        Character ranges of each one's code that the other shares.
    """

    first: str
    second: str
    similarity: float
    fractions: tuple[float, float]
    code: tuple[str, str]
    slices: tuple[list[tuple[int, int]], list[tuple[int, int]]]


@dataclass(frozen=True)
class SimilaritySettings:
    """The ``[similarity]`` section."""

    enabled: bool = True
    threshold: float = 0.7
    noise_tokens: int = 35
    window: int = 1
    max_pairs: int = 20

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "SimilaritySettings":
        return cls(**(config or {}).get("similarity", {}))


def _notebook_code(text: str) -> str:
    import nbformat

    notebook = nbformat.reads(text, as_version=4)
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def _file_code(name: str, data: bytes) -> str:
    text = data[:MAX_CODE_BYTES].decode("utf-8", errors="replace")
    if name.endswith(".ipynb"):
        try:
            return _notebook_code(text)
        except (ValueError, KeyError, json.JSONDecodeError, AttributeError):
            return ""
    return text


def submission_code(path: str | Path) -> str:
    """The code of a submission (a .py file, a notebook's code cells, a folder's or zip's code files)."""
    path = Path(path)
    if path.is_file() and path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.endswith(CODE_SUFFIXES) and "__MACOSX" not in n)
            return "\n\n".join(_file_code(n, archive.read(n)) for n in names)
    if path.is_file():
        return _file_code(path.name, path.read_bytes())
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in CODE_SUFFIXES and p.is_file()
                       and not p.is_symlink() and "__pycache__" not in p.parts)
        return "\n\n".join(_file_code(p.name, p.read_bytes()) for p in files)
    return ""


def template_code() -> str:
    """The student template handed out: the boilerplate every submission starts from."""
    from nngrade import student_template

    folder = Path(student_template.__file__).resolve().parent
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py")))


def similar_pairs(codes: Mapping[str, str], *, boilerplate: str = "",
                  settings: SimilaritySettings = SimilaritySettings()) -> list[SimilarPair]:
    """Pairs of submissions at or above ``settings.threshold``, most similar first.

    Parameters
    ----------
    codes : mapping
        Submission id -> its code (empty code is skipped).
    boilerplate : str
        Code whose fingerprints never count (the template).
    settings : SimilaritySettings
        Token run length, winnowing window, threshold and how many pairs to keep.

    Raises
    ------
    ImportError
        When copydetect is not installed (``pip install nngrade[similarity]``).
    """
    from copydetect import CodeFingerprint, compare_files

    def fingerprint(name: str, code: str, boiler=None):
        return CodeFingerprint(f"{name}.py", settings.noise_tokens, settings.window, boilerplate=boiler,
                               fp=io.StringIO(code), language="python")

    boiler = list(fingerprint("template", boilerplate).hashes) if boilerplate.strip() else None
    prints = {ident: fingerprint(ident, code, boiler) for ident, code in sorted(codes.items()) if code.strip()}
    idents = list(prints)
    pairs = []
    for i, first in enumerate(idents):
        for second in idents[i + 1:]:
            _, fractions, slices = compare_files(prints[first], prints[second])
            similarity = float(max(fractions))
            if similarity >= settings.threshold:
                pairs.append(SimilarPair(first, second, round(similarity, 4),
                                         (round(float(fractions[0]), 4), round(float(fractions[1]), 4)),
                                         (prints[first].raw_code, prints[second].raw_code),
                                         tuple(_ranges(s) for s in slices)))
    pairs.sort(key=lambda p: (-p.similarity, p.first, p.second))
    return pairs[: settings.max_pairs]


def _ranges(slices) -> list[tuple[int, int]]:
    if len(slices) != 2 or len(slices[0]) == 0:
        return []
    return [(int(a), int(b)) for a, b in zip(slices[0], slices[1])]


def class_similarity(roster: Mapping[str, Mapping], settings: SimilaritySettings) -> tuple[list[SimilarPair], str]:
    """The similar pairs of a results folder's roster, and a note when they could not be computed."""
    if not settings.enabled:
        return [], ""
    codes = {ident: submission_code(entry["path"]) for ident, entry in roster.items()
             if entry.get("path") and Path(entry["path"]).exists()}
    missing = len(roster) - len(codes)
    try:
        pairs = similar_pairs(codes, boilerplate=template_code(), settings=settings)
    except ImportError:
        return [], "Similarity needs copydetect: pip install 'nngrade[similarity]'."
    note = f"{missing} submission(s) no longer on disk were left out." if missing else ""
    return pairs, note


def validate_similarity(config: Mapping[str, Any]) -> None:
    """Check the ``[similarity]`` section; raises ValueError."""
    section = config.get("similarity", {})
    if not isinstance(section.get("enabled", True), bool):
        raise ValueError("similarity.enabled must be true or false")
    threshold = section.get("threshold", 0.7)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise ValueError(f"similarity.threshold = {threshold!r} is invalid: expected a number in (0, 1]")
    for key, low, high in (("noise_tokens", 5, 500), ("window", 1, 100), ("max_pairs", 1, 10000)):
        value = section.get(key, low)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"similarity.{key} = {value!r} is invalid: expected an integer in [{low}, {high}]")
