"""What a worker sees of the host file system, per isolation level.

* bwrap: :func:`filesystem_args` builds the read-only binds and the tmpfs
  masks that hide the grading kit inside bound directories.
* landlock: :func:`landlock_rules` builds the allow-list; Landlock cannot
  carve a hole in an allowed directory, so a directory that contains a hidden
  path is split into its children (it stays listable, the hidden path itself
  gets no read right).
"""
from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

#: Top-level system directories shown inside the bwrap sandbox.
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/bin")
#: Packages of the grading kit that student code must never see (each may live in its own folder).
KIT_PACKAGES = ("nngrade", "nngrade.reference", "nngrade.student_template", "nngrade.fixtures")
#: The kit's distribution: its ``direct_url.json`` names the source tree it was installed from.
DISTRIBUTION = "nngrade"
SOURCE_TREE_MARKERS = ("pyproject.toml", "setup.py", ".git")
#: A folder holding these is a copy of the kit's source tree (found by :func:`_copies_under`).
KIT_TREE_MARKERS = ("pyproject.toml", "reference", "fixtures")
SCAN_DEPTH = 3
#: Environment variable that moves the fixtures out of the kit (see fixture_store).
FIXTURES_VARIABLE = "NNGRADE_FIXTURES_DIR"
#: Devices a worker may open at the landlock level: (path, access).
LANDLOCK_DEVICES = (("/dev/null", "device"), ("/dev/zero", "read"), ("/dev/urandom", "read"),
                    ("/dev/random", "read"))
MAX_SPLIT_DEPTH = 8


def _is_inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


@functools.lru_cache(maxsize=1)
def kit_paths() -> tuple[str, ...]:
    """Real paths of every copy of the grading kit this process can tell about.

    The installed packages (editable or not), the source tree above them,
    the source tree a non-editable install was made from (pip's
    ``direct_url.json``), and copies of the source tree inside a venv's
    prefix (``<venv>/src/...``).
    """
    found = []
    for name in KIT_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        locations = list(spec.submodule_search_locations or []) if spec else []
        found += [os.path.realpath(location) for location in locations]
    roots = {os.path.dirname(path) for path in found}
    source = _installed_from()
    if source:
        roots.add(source)
    for root in roots:
        if any(os.path.exists(os.path.join(root, m)) for m in SOURCE_TREE_MARKERS):
            found.append(root)
    if sys.prefix != sys.base_prefix:
        found += _copies_under(os.path.realpath(sys.prefix))
    return tuple(sorted(set(found)))


def _installed_from() -> str | None:
    """The local folder the kit was installed from, per pip's ``direct_url.json`` (PEP 610)."""
    try:
        text = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        url = urlparse(json.loads(text or "{}").get("url", ""))
    except (importlib.metadata.PackageNotFoundError, ValueError, AttributeError, OSError):
        return None
    if url.scheme != "file":
        return None
    path = os.path.realpath(unquote(url.path))
    return path if os.path.isdir(path) else None


def _copies_under(prefix: str) -> list[str]:
    """Source trees of the kit up to :data:`SCAN_DEPTH` levels below a venv's prefix (its lib/ skipped)."""
    copies, frontier = [], [prefix]
    for _ in range(SCAN_DEPTH):
        deeper = []
        for folder in frontier:
            try:
                entries = [e for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
            except OSError:
                continue
            names = {e.name for e in entries}
            if folder != prefix and all(m in names or os.path.isfile(os.path.join(folder, m))
                                        for m in KIT_TREE_MARKERS):
                copies.append(folder)
                continue
            deeper += [e.path for e in entries if e.name not in ("lib", "lib64", "include", "bin", "__pycache__")]
        frontier = deeper
    return copies


def python_dirs(given: tuple[str, ...] = ()) -> list[str]:
    """Directories the interpreter and NumPy need, as given (may be symlinks).

    `given` replaces them (the folder of an interpreter copy, see ``interpreter.py``).
    """
    if given:
        return [os.path.abspath(path) for path in given]
    numpy_spec = importlib.util.find_spec("numpy")
    numpy_dir = list(numpy_spec.submodule_search_locations)[0]
    candidates = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable)),
                  numpy_dir, os.path.join(os.path.dirname(numpy_dir), "numpy.libs")]
    return [os.path.abspath(path) for path in candidates if os.path.isdir(path)]


def hidden_paths() -> tuple[str, ...]:
    """Real paths student code must never read: the kit, its source tree, the fixtures."""
    hidden = list(kit_paths())
    override = os.environ.get(FIXTURES_VARIABLE)
    if override:
        hidden.append(os.path.realpath(override))
    return tuple(sorted(set(hidden)))


#: Mount points the bwrap level creates before any bind (never re-created).
OWN_MOUNTS = ("/proc", "/dev", "/tmp")


def filesystem_args(extra_readonly: tuple[str, ...], masks: tuple[str, ...]) -> list[str]:
    """bwrap arguments for the read-only view of the host filesystem.

    Parameters
    ----------
    extra_readonly : tuple of str
        More host directories to show read-only at the same path.
    masks : tuple of str
        Paths hidden behind an empty tmpfs wherever a bound directory
        contains them (the grading kit). A mask that would also hide a bound
        directory is skipped; the kit's package directories are masked
        individually anyway.
    """
    args: list[str] = []
    binds: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
            binds.append(path)
    new_binds = []
    # Shortest first, so a directory inside an already bound one is skipped.
    for real in sorted({os.path.realpath(p) for p in [*python_dirs(), *extra_readonly]}, key=len):
        if real == "/":
            raise ValueError("refusing to show the whole host filesystem in the sandbox")
        if not any(_is_inside(real, bound) for bound in binds):
            binds.append(real)
            new_binds.append(real)
    links = [(os.path.realpath(given), given) for given in python_dirs()
             if os.path.realpath(given) != given and not any(_is_inside(given, b) for b in binds)]

    created: set[str] = set(OWN_MOUNTS)

    def create_parents(target: str) -> None:
        # bwrap would create missing parents with mode 0700, unreadable by the worker.
        for parent in map(str, reversed(Path(target).parents)):
            if parent != "/" and parent not in created and not any(_is_inside(parent, b) for b in binds):
                args.extend(["--perms", "0755", "--dir", parent])
                created.add(parent)

    for real in new_binds:
        create_parents(real)
        args += ["--ro-bind", real, real]
    for real, given in links:
        create_parents(given)
        args += ["--symlink", real, given]
    applied: list[str] = []
    for mask in sorted(masks, key=len):
        exposed = any(_is_inside(mask, bound) for bound in binds)
        hides_a_bind = any(_is_inside(bound, mask) and bound != mask for bound in binds)
        if exposed and not hides_a_bind and not any(_is_inside(mask, m) for m in applied):
            args += ["--perms", "0755", "--size", "4096", "--tmpfs", mask]
            applied.append(mask)
    return args


def readable_except(root: str, hidden: tuple[str, ...], depth: int = 0) -> list[tuple[str, str]]:
    """Landlock rules granting read access to `root` except to the `hidden` paths.

    Parameters
    ----------
    root : str
        A real (symlink-free) path.
    hidden : tuple of str
        Real paths that must stay unreadable.

    Returns
    -------
    list of (str, str)
        ``(path, "read")`` for whole subtrees, ``(path, "list")`` for the
        directories on the way to a hidden path. Symlinked children are
        resolved first, so a link cannot smuggle a hidden path in.
    """
    if any(_is_inside(root, h) for h in hidden):
        return []  # see static_landlock_rules for a venv inside a hidden source tree
    if not any(_is_inside(h, root) for h in hidden):
        return [(root, "read")]
    if depth >= MAX_SPLIT_DEPTH or not os.path.isdir(root):
        return []
    rules = [(root, "list")]
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return rules
    for name in names:
        rules += readable_except(os.path.realpath(os.path.join(root, name)), hidden, depth + 1)
    return rules


@functools.lru_cache(maxsize=16)
def static_landlock_rules(extra_readonly: tuple[str, ...], hidden: tuple[str, ...],
                          interpreter_dirs: tuple[str, ...] = ()) -> tuple:
    """Read rules for the system directories, the Python installation and `extra_readonly`.

    A Python directory inside a hidden source tree (a venv inside the checkout)
    stays readable: only what is hidden below it is left out, and nothing
    else of that tree is granted.
    """
    python = {os.path.realpath(p) for p in python_dirs(interpreter_dirs)}
    roots = sorted({os.path.realpath(p) for p in [*SYSTEM_DIRS, *extra_readonly]} | python)
    if "/" in roots:
        raise ValueError("refusing to let the sandbox read the whole host filesystem")
    packages = set(kit_package_paths())
    rules: list[tuple[str, str]] = []
    for root in roots:
        blocking = tuple(h for h in hidden if not (root in python and root != h and _is_inside(root, h)
                                                   and h not in packages))
        rules += readable_except(root, blocking)
    return tuple(rules)


def kit_package_paths() -> tuple[str, ...]:
    """The kit's package folders (never readable, whatever contains them)."""
    return tuple(p for p in kit_paths() if not any(os.path.exists(os.path.join(p, m)) for m in SOURCE_TREE_MARKERS)
                 and os.path.exists(os.path.join(p, "__init__.py")))


def landlock_rules(worker_dir: Path, submission_dir: Path, scratch: Path, extra_readonly: tuple[str, ...] = (),
                   interpreter_dirs: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The whole Landlock allow-list of one worker.

    Read: the system directories, the Python installation and NumPy, the
    worker programs, the submission and `extra_readonly`, minus
    :func:`hidden_paths`. Read and write: the scratch directory only. A few
    devices (:data:`LANDLOCK_DEVICES`). Nothing else, so neither ``/proc``,
    ``/tmp`` nor any results directory is reachable.
    """
    hidden = hidden_paths()
    rules = list(static_landlock_rules(tuple(extra_readonly), hidden, tuple(interpreter_dirs)))
    rules += [(str(worker_dir), "read"), (str(submission_dir), "read"), (str(scratch), "write")]
    return rules + list(LANDLOCK_DEVICES)
