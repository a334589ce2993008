"""Find the submissions in a folder and give each a stable id.

Four layouts are recognised (see ``docs/BATCH.md``):

``gradescope``
    A Gradescope "Export Submissions" folder: ``submission_metadata.yml`` next
    to folders ``submission_<n>/`` (also when the folder holds just one
    ``assignment_*_export/`` folder). Id: ``<n>``; the submitters' names,
    student ids and emails come from the metadata.
``moodle``
    Moodle's "Download all submissions": entries named
    ``<Full Name>_<participant>_assignsubmission_<plugin>_[<file>]``. Id: the
    participant number.
``canvas``
    Canvas's "Download Submissions": files named
    ``<name>_[LATE_]<user id>_<submission id>_<file>``. Id: the Canvas user id.
``plain``
    Anything else: one submission per ``.py`` / ``.ipynb`` / ``.zip`` file or
    folder. Id: the name without its suffix.

When a Canvas or Moodle student has several files they are graded together as
one folder (a copy under the results folder), with the LMS prefix removed from
each file name.
"""
from __future__ import annotations

import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

#: Suffixes a plain-layout file must have to count as a submission.
SUBMISSION_SUFFIXES = (".py", ".ipynb", ".zip")
#: Names never treated as submissions.
IGNORED = re.compile(r"^(\.|__pycache__$|__MACOSX$|submission_metadata\.yml$|Thumbs\.db$)")

CANVAS = re.compile(r"^(?P<name>[^_]+?)_(?P<late>LATE_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$")
GRADESCOPE_FOLDER = re.compile(r"^submission_(?P<n>\d+)$")
RESUBMISSION_SUFFIX = re.compile(r"-\d+(?=\.[A-Za-z0-9]+$)")
UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Submission:
    """One submission to grade.

    Parameters
    ----------
    id : str
        Stable identifier: report file name and gradebook key (``[A-Za-z0-9._-]``).
    path : Path
        What the grader reads: a file or a folder.
    layout : str
        ``plain``, ``gradescope``, ``canvas`` or ``moodle``.
    student : dict
        What the layout says about the student: ``name``, ``sid``, ``email``,
        ``lms_id`` (empty strings when unknown).
    late : bool
        The platform flagged it late (Canvas's ``LATE_`` in the file names).
    """

    id: str
    path: Path
    layout: str
    student: dict = field(default_factory=dict)
    late: bool = False


class DiscoveryError(ValueError):
    """The submissions folder cannot be read as any layout."""


def safe_id(text: str) -> str:
    """``text`` reduced to characters safe in a file name (``[A-Za-z0-9._-]``), never empty or hidden."""
    cleaned = UNSAFE_ID.sub("_", text).strip("_").lstrip(".")
    return cleaned[:100] or "submission"


def _student(name="", sid="", email="", lms_id="") -> dict:
    return {"name": name, "sid": sid, "email": email, "lms_id": lms_id}


def _entries(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if not IGNORED.match(p.name))


#: Layouts ``--layout`` can force.
LAYOUTS = ("gradescope", "moodle", "canvas", "plain")


def detect_layout(root: Path) -> str:
    """The layout of the folder ``root``: the LMS whose naming most of its entries follow.

    A Moodle or Canvas download is recognised when some of its entries follow that LMS's naming
    and the others are either no submission at all (a stray ``notes.txt`` does not turn it into
    the plain layout) or fewer than half; the entries that do not follow it are ignored with a
    warning.
    """
    entries = _entries(root)
    exports = [p for p in entries if p.is_dir() and (p / "submission_metadata.yml").is_file()]
    if (root / "submission_metadata.yml").is_file() or (len(entries) == 1 and exports):
        return "gradescope"
    for layout, matches in (("moodle", lambda p: bool(MOODLE.match(p.name))),
                            ("canvas", lambda p: bool(CANVAS.match(p.name)) and p.is_file())):
        count = sum(map(matches, entries))
        others = [p for p in entries if not matches(p) and (p.is_dir() or p.suffix.lower() in SUBMISSION_SUFFIXES)]
        if count and (not others or 2 * count > len(entries)):
            return layout
    return "plain"


def discover(root: Path, staging: Path, layout: str | None = None) -> tuple[list[Submission], list[str]]:
    """The submissions under ``root`` in id order, and warnings about skipped entries.

    Parameters
    ----------
    root : Path
        The submissions folder.
    staging : Path
        Folder where multi-file Canvas/Moodle submissions are assembled
        (recreated on every call).
    layout : str, optional
        One of :data:`LAYOUTS` to use instead of :func:`detect_layout`.

    Raises
    ------
    DiscoveryError
        When ``root`` is not a folder, or two submissions get the same id.
    """
    root = Path(root)
    if not root.is_dir():
        raise DiscoveryError(f"{root} is not a folder of submissions")
    if layout is not None and layout not in LAYOUTS:
        raise DiscoveryError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    layout = layout or detect_layout(root)
    entries = _entries(root)
    if layout == "gradescope":
        exports = [p for p in entries if p.is_dir() and (p / "submission_metadata.yml").is_file()]
        if (root / "submission_metadata.yml").is_file():
            found, warnings = _gradescope(root)
        elif len(exports) == 1:
            found, warnings = _gradescope(exports[0])
        else:
            raise DiscoveryError(f"{root} holds no submission_metadata.yml (nor one export folder holding it)")
    elif layout in ("moodle", "canvas"):
        pattern = MOODLE if layout == "moodle" else CANVAS
        kept = [p for p in entries if pattern.match(p.name) and (layout == "moodle" or p.is_file())]
        warnings = [f"ignored {p.name}: not named like a {layout.capitalize()} download entry"
                    for p in entries if p not in kept]
        found, more = _grouped(kept, pattern, layout, staging)
        warnings += more
    else:
        found, warnings = _plain(entries)
    ids: dict[str, Path] = {}
    for sub in found:
        if sub.id in ids:
            raise DiscoveryError(f"two submissions would share the id {sub.id!r}: {ids[sub.id]} and {sub.path}")
        ids[sub.id] = sub.path
    return sorted(found, key=lambda s: s.id), warnings


def _plain(entries: list[Path]) -> tuple[list[Submission], list[str]]:
    warnings, chosen = [], []
    for path in entries:
        if path.is_dir() or path.suffix.lower() in SUBMISSION_SUFFIXES:
            chosen.append(path)
        else:
            warnings.append(f"skipped {path.name}: not a .py, .ipynb or .zip file nor a folder")
    stems = [(path, safe_id(path.name if path.is_dir() else path.stem)) for path in chosen]
    counts = Counter(stem for _, stem in stems)
    found = []
    for path, stem in stems:
        # alice.py and alice.ipynb both exist: keep the suffix in both ids.
        ident = stem if counts[stem] == 1 else safe_id(path.name.replace(".", "_"))
        found.append(Submission(ident, path, "plain", _student()))
    return found, warnings


def _grouped(entries, pattern, layout, staging: Path) -> tuple[list[Submission], list[str]]:
    groups: dict[str, list[tuple[Path, re.Match]]] = {}
    for path in entries:
        match = pattern.match(path.name)
        groups.setdefault(match["uid"], []).append((path, match))
    if staging.exists():
        shutil.rmtree(staging)
    found = []
    for uid, members in sorted(groups.items()):
        name = members[0][1]["name"]
        student = _student(name=name, lms_id=uid)
        late = any(match.groupdict().get("late") for _, match in members)
        if len(members) == 1 and (members[0][0].is_dir() or members[0][1]["file"]):
            found.append(Submission(safe_id(uid), members[0][0], layout, student, late))
            continue
        folder = staging / safe_id(uid)
        folder.mkdir(parents=True)
        for path, match in members:
            target = folder / (RESUBMISSION_SUFFIX.sub("", match["file"]) or path.name)
            if path.is_dir():
                shutil.copytree(path, target, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy2(path, target, follow_symlinks=False)
        found.append(Submission(safe_id(uid), folder, layout, student, late))
    return found, []


def _gradescope(export: Path) -> tuple[list[Submission], list[str]]:
    metadata = parse_gradescope_metadata((export / "submission_metadata.yml").read_text(encoding="utf-8",
                                                                                        errors="replace"))
    found, warnings = [], []
    for path in _entries(export):
        match = GRADESCOPE_FOLDER.match(path.name)
        if not (match and path.is_dir()):
            warnings.append(f"skipped {path.name}: not a submission_<n> folder")
            continue
        submitters = metadata.get(path.name, [])
        joined = {key: "; ".join(s.get(key, "") for s in submitters if s.get(key)) for key in ("name", "sid", "email")}
        found.append(Submission(match["n"], path, "gradescope", _student(**joined, lms_id=match["n"])))
    return found, warnings


_KEY = re.compile(r"^(submission_\d+):\s*$")
_FIELD = re.compile(r"^\s*(?:-\s+)?:(name|sid|email):\s*(.*?)\s*$")


def parse_gradescope_metadata(text: str) -> dict[str, list[dict[str, str]]]:
    """Submitters per ``submission_<n>`` from Gradescope's ``submission_metadata.yml``.

    Only what the gradebook needs is read (``:name:``, ``:sid:``, ``:email:`` of
    each submitter, in order); this needs no YAML library and tolerates the
    Ruby-specific tags Gradescope writes elsewhere in the file.

    Returns
    -------
    dict
        ``{"submission_123": [{"name": ..., "sid": ..., "email": ...}, ...]}``.
    """
    result: dict[str, list[dict[str, str]]] = {}
    current = None
    in_submitters = False
    for line in text.splitlines():
        key = _KEY.match(line)
        if key:
            current, in_submitters = result.setdefault(key.group(1), []), False
            continue
        if current is None:
            continue
        stripped = line.strip()
        if stripped.startswith(":") and not line.startswith("    "):
            in_submitters = stripped.startswith(":submitters:")
            continue
        field_match = _FIELD.match(line)
        if in_submitters and field_match:
            if stripped.startswith("- ") or not current:
                current.append({})
            current[-1][field_match.group(1)] = _unquote(field_match.group(2))
    return result


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value
