"""Load a submitted folder: a Python package or a flat folder of ``.py`` files.

Rules (see also ``docs/SUBMISSIONS.md``):

* Hidden entries (name starting with ``.``), ``__pycache__`` and ``__MACOSX`` are
  skipped silently; symbolic links, special files, compiled files (``.pyc``,
  ``.so``, ...) and non-``.py`` files over :data:`MAX_DATA_FILE_BYTES` are skipped
  with a warning. Links are never followed.
* A folder with no ``.py`` file at its top level is looked into when it holds a
  single notebook (graded as a notebook), a single sub-folder, or several
  sub-folders of which exactly one is a package.
* With ``__init__.py`` at the top: the whole tree is copied as package
  ``nngrade_submission``.
* Without it: one top-level ``.py`` file is graded as a single file; several are
  copied as package ``nngrade_submission`` with a generated ``__init__.py`` holding
  ``from .<module> import *`` for each importable top-level module, in
  alphabetical order (so a name defined twice comes from the later module).
  Test files (``test_*.py``, ``*_test.py``, ``conftest.py``), ``setup.py`` and
  ``__main__.py`` are copied but not imported.
* Every copied ``.py`` file is syntax-checked with :func:`ast.parse`.
"""
from __future__ import annotations

import ast
import hashlib
import keyword
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..results import SubmissionInfo
from .common import (
    ENTRY,
    MAX_DATA_FILE_BYTES,
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    SubmissionError,
    human_size,
    make_dir,
    read_regular_file,
    syntax_check,
    write_file,
)
from .flat import DRIVER_STEMS, absolute_imports, defines_api, generated_init, imports_siblings_by_plain_name

#: Folder names skipped without a warning (besides hidden names).
SKIPPED_DIRS = frozenset({"__pycache__", "__MACOSX"})
#: Suffixes of compiled code, never copied: the grader only imports source.
COMPILED_SUFFIXES = frozenset({".pyc", ".pyo", ".so", ".pyd", ".dll", ".dylib"})
#: Top-level module stems that a generated ``__init__.py`` does not import.
NOT_IMPORTED = frozenset({"conftest", "setup", "__main__", "__init__"})
#: Names that are never reported as sibling imports (they resolve to real libraries).
LIBRARY_NAMES = frozenset(sys.stdlib_module_names) | {"numpy"}


@dataclass
class SourceFile:
    """One file kept from a submitted folder.

    Parameters
    ----------
    rel : PurePosixPath
        Path relative to the source root.
    data : bytes
        File content.
    """

    rel: PurePosixPath
    data: bytes


def _visible(name: str) -> bool:
    return not name.startswith(".") and name not in SKIPPED_DIRS


def _list_dir(folder: Path, display: str) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            entries = []
            for entry in it:
                entries.append(entry)
                if len(entries) > MAX_ENTRIES:
                    raise SubmissionError(
                        f"{display} holds more than {MAX_ENTRIES} entries; submit only your code"
                    )
            return sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        raise SubmissionError(f"could not read folder {display}: {exc.strerror or exc}") from None


def _skipped(entry: os.DirEntry, skip: frozenset[str]) -> bool:
    return bool(skip) and _is_plain_dir(entry) and os.path.realpath(entry.path) in skip


def _is_plain_dir(entry: os.DirEntry) -> bool:
    return entry.is_dir(follow_symlinks=False) and not entry.is_symlink()


def _is_plain_file(entry: os.DirEntry) -> bool:
    return entry.is_file(follow_symlinks=False) and not entry.is_symlink()


def find_source_root(root: Path, display: str, warnings: list[str],
                     skip: frozenset[str] = frozenset()) -> tuple[str, Path, str]:
    """Pick the folder (or notebook) inside a submitted folder that holds the code.

    Parameters
    ----------
    root : Path
        The submitted folder.
    display : str
        Its name in messages.
    warnings : list of str
        Receives a note when a sub-folder or notebook is chosen.
    skip : frozenset of str
        Real paths of folders to ignore (the grader's own work folder).

    Returns
    -------
    tuple
        ``(what, path, display)`` with `what` ``"folder"``, ``"notebook"`` or ``"zip"`` (a folder
        holding only one archive, e.g. a download that kept the student's zip).
    """
    for _ in range(MAX_DEPTH):
        visible = [e for e in _list_dir(root, display) if _visible(e.name) and not _skipped(e, skip)]
        if not visible:
            raise SubmissionError(f"submission folder {display} is empty", kind="package")
        files = [e for e in visible if _is_plain_file(e)]
        if any(e.name.lower().endswith(".py") for e in files):
            return "folder", root, display
        notebooks = [e for e in files if e.name.lower().endswith(".ipynb")]
        if len(notebooks) == 1:
            warnings.append(f"{display} has no .py files; grading the notebook {notebooks[0].name}")
            return "notebook", Path(notebooks[0].path), f"{display}/{notebooks[0].name}"
        if len(notebooks) > 1:
            names = ", ".join(e.name for e in notebooks)
            raise SubmissionError(
                f"submission folder {display} holds several notebooks ({names}) and no .py "
                "file; submit exactly one notebook",
                kind="notebook",
            )
        folders = [e for e in visible if _is_plain_dir(e)]
        packages = [e for e in folders if (Path(e.path) / "__init__.py").is_file()]
        archives = [e for e in files if e.name.lower().endswith(".zip")]
        if len(archives) == 1 and not folders:
            warnings.append(f"{display} has no .py files at its top level; grading the archive {archives[0].name}")
            return "zip", Path(archives[0].path), f"{display}/{archives[0].name}"
        if len(folders) == 1:
            chosen = folders[0]
        elif len(packages) == 1:
            chosen = packages[0]
        else:
            found = ", ".join(e.name for e in visible[:10])
            raise SubmissionError(
                f"submission folder {display} contains no Python (.py) file or notebook "
                f"(.ipynb) at its top level (found: {found})",
                kind="package",
            )
        warnings.append(f"{display} has no .py files at its top level; grading its folder {chosen.name}")
        root, display = Path(chosen.path), f"{display}/{chosen.name}"
    raise SubmissionError(f"submission folder {display} is nested too deeply", kind="package")


def collect_files(root: Path, display: str, warnings: list[str],
                  skip: frozenset[str] = frozenset()) -> list[SourceFile]:
    """Read every kept file under `root` (see the module rules), sorted by path.

    Folders whose real path is in `skip` (the grader's work folder) are ignored.

    Raises
    ------
    SubmissionError
        When a file cannot be read or the caps on size, file count or entries are exceeded.
    """
    files: list[SourceFile] = []
    total = 0
    stack: list[tuple[Path, PurePosixPath]] = [(root, PurePosixPath())]
    while stack:
        folder, rel_folder = stack.pop()
        for entry in _list_dir(folder, f"{display}/{rel_folder}" if rel_folder.parts else display):
            if not _visible(entry.name) or _skipped(entry, skip):
                continue
            rel = rel_folder / entry.name
            shown = f"{display}/{rel}"
            suffix = os.path.splitext(entry.name)[1].lower()
            if entry.is_symlink():
                warnings.append(f"skipped symbolic link {shown}: links are not followed")
            elif entry.is_dir(follow_symlinks=False):
                if len(rel.parts) >= MAX_DEPTH:
                    warnings.append(f"skipped folder {shown}: nested too deeply")
                else:
                    stack.append((Path(entry.path), rel))
            elif not entry.is_file(follow_symlinks=False):
                warnings.append(f"skipped {shown}: not a regular file")
            elif suffix in COMPILED_SUFFIXES:
                warnings.append(f"skipped compiled file {shown}: only source code is graded")
            elif suffix != ".py" and entry.stat(follow_symlinks=False).st_size > MAX_DATA_FILE_BYTES:
                warnings.append(
                    f"skipped {shown}: non-Python files over {human_size(MAX_DATA_FILE_BYTES)} "
                    "are not copied"
                )
            else:
                data = read_regular_file(Path(entry.path), MAX_TOTAL_BYTES, shown)
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    raise SubmissionError(
                        f"submission {display} is larger than the {human_size(MAX_TOTAL_BYTES)} limit"
                    )
                files.append(SourceFile(rel, data))
                if len(files) > MAX_FILES:
                    raise SubmissionError(
                        f"submission {display} has more than {MAX_FILES} files; submit only your code"
                    )
    return sorted(files, key=lambda f: f.rel.as_posix())


def tree_digest(files: list[SourceFile]) -> str:
    """SHA-256 over sorted relative paths and contents: for each file, the UTF-8 path,
    a NUL byte, the content length as 8 big-endian bytes, then the content."""
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda f: f.rel.as_posix()):
        digest.update(item.rel.as_posix().encode("utf-8", "surrogateescape") + b"\0")
        digest.update(len(item.data).to_bytes(8, "big"))
        digest.update(item.data)
    return digest.hexdigest()


def _importable(stem: str) -> bool:
    return stem.isidentifier() and not keyword.iskeyword(stem)


def _is_blank_module(data: bytes) -> bool:
    try:
        body = ast.parse(data).body
    except (SyntaxError, ValueError):
        return False
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return not body


def _import_text(node: ast.AST, limit: int = 80) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _relative_suggestion(node: ast.AST, dots: str, first: str, rest: str, names_folder: bool) -> str:
    module = rest if names_folder else ".".join(p for p in (first, rest) if p)
    if isinstance(node, ast.ImportFrom):
        return f"from {dots}{module} import ..."
    parent, _, last = module.rpartition(".")
    return f"from {dots}{parent} import {last}" if last else f"from {dots} import ..."


def sibling_import_warnings(files: list[SourceFile], package_name: str, display: str) -> list[str]:
    """Warn about absolute imports that only work when the folder itself is on ``sys.path``.

    Inside package ``nngrade_submission`` a module must import its siblings
    relatively (``from .layers import Linear``); ``from layers import Linear`` or
    ``from student_template.layers import Linear`` fail when graded. Nothing is
    rewritten: the submission stays as written.

    Parameters
    ----------
    files : list of SourceFile
        Files of the package (paths relative to the package root).
    package_name : str
        The submitted folder name, e.g. ``"student_template"``.
    display : str
        Folder name used in messages.
    """
    local = {f.rel.parts[0][:-3] for f in files if len(f.rel.parts) == 1 and f.rel.suffix == ".py"}
    local |= {f.rel.parts[0] for f in files if len(f.rel.parts) > 1 and f.rel.suffix == ".py"}
    local.discard("__init__")
    local -= LIBRARY_NAMES
    folder_name = package_name if package_name not in LIBRARY_NAMES | local else None
    warnings = []
    for item in files:
        if item.rel.suffix != ".py":
            continue
        try:
            tree = ast.parse(item.data)
        except (SyntaxError, ValueError, RecursionError):
            continue
        dots = "." * len(item.rel.parts)
        for node, modules in absolute_imports(tree):
            for module in modules:
                first, _, rest = module.partition(".")
                target = _relative_suggestion(node, dots, first, rest, first == folder_name)
                where = f"{display}/{item.rel} line {node.lineno}: `{_import_text(node)}`"
                if first == folder_name:
                    warnings.append(
                        f"{where} names the folder `{folder_name}`, but the grader imports your "
                        f"package as `{ENTRY}`; use a relative import such as `{target}`"
                    )
                    break
                if first in local:
                    warnings.append(
                        f"{where} imports a sibling module by its plain name, which fails inside "
                        f"a package; use a relative import such as `{target}`"
                    )
                    break
    return warnings


def _write_tree(files: list[SourceFile], target: Path) -> None:
    make_dir(target)
    for item in files:
        destination = target.joinpath(*item.rel.parts)
        for parent in reversed(destination.relative_to(target).parents[:-1]):
            make_dir(target / parent)
        write_file(destination, item.data)


def load_directory(root: Path, display: str, module_dir: Path, info: SubmissionInfo,
                   skip: frozenset[str] = frozenset(), api: tuple[str, ...] = ()) -> None:
    """Normalise the folder `root` (already chosen by :func:`find_source_root`) into `module_dir`.

    Parameters
    ----------
    root : Path
        Folder holding at least one top-level ``.py`` file.
    display : str
        Its name in messages.
    module_dir : Path
        Empty output folder; receives ``nngrade_submission.py`` or ``nngrade_submission/``.
    info : SubmissionInfo
        Receives the kind (``"py"`` for a single top-level file, else ``"package"``),
        the hash of the kept files (:func:`tree_digest`) and the warnings.
    skip : frozenset of str
        Real paths of folders to ignore (the grader's own work folder).
    api : tuple of str
        Names the assignment needs; a driver script (``main.py``) is imported only when it
        defines one of them (see :mod:`.flat`).
    """
    warnings = info.warnings
    files = collect_files(root, display, warnings, skip)
    top_py = [f for f in files if len(f.rel.parts) == 1 and f.rel.suffix == ".py"]
    has_init = any(f.rel.name == "__init__.py" for f in top_py)
    if len(top_py) == 1 and not has_init:
        chosen = top_py[0]
        info.kind, info.sha256 = "py", tree_digest([chosen])
        info.entry = f"{display}/{chosen.rel}"
        syntax_check(chosen.data, f"{display}/{chosen.rel}")
        write_file(module_dir / f"{ENTRY}.py", chosen.data)
        return

    info.kind, info.sha256 = "package", tree_digest(files)
    for item in files:
        if item.rel.suffix == ".py":
            syntax_check(item.data, f"{display}/{item.rel}")
    if has_init:
        init = next(f for f in top_py if f.rel.name == "__init__.py")
        info.entry = f"{display}/__init__.py"
        if len(top_py) > 1 and _is_blank_module(init.data):
            warnings.append(
                f"{display}/__init__.py is empty, so the grader will find no names in your "
                "package; import them there, e.g. `from .layers import *`"
            )
    else:
        modules, plain = _flat_modules(top_py, display, warnings, api)
        files = files + [SourceFile(PurePosixPath("__init__.py"), generated_init(modules, plain))]
        how = " by plain name, with the folder on sys.path, as when run from it," if plain else ""
        info.entry = f"{display}: " + ", ".join(f"{m}.py" for m in modules)
        warnings.append(
            f"{display} has no __init__.py, so the grader made one that star-imports its "
            f"modules{how} in this order: {', '.join(modules)} (a name defined in several modules "
            "comes from the last)"
        )
        if plain:
            _write_tree(files, module_dir / ENTRY)
            return
    warnings.extend(sibling_import_warnings(files, root.name, display))
    _write_tree(files, module_dir / ENTRY)


def _flat_modules(top_py: list[SourceFile], display: str, warnings: list[str],
                  api: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The modules a generated ``__init__.py`` imports, and those imported by plain name."""
    modules = []
    for item in top_py:
        stem = item.rel.stem
        if stem in NOT_IMPORTED or stem.startswith("test_") or stem.endswith("_test"):
            continue
        if not _importable(stem):
            warnings.append(f"{display}/{stem}.py is not imported: `{stem}` is not a valid module name")
            continue
        if stem in DRIVER_STEMS and not defines_api(item.data, api):
            warnings.append(f"{display}/{stem}.py is not imported: it is a driver script that defines none of "
                            "the names graded (importing it would run it)")
            continue
        modules.append(stem)
    if not modules:
        names = ", ".join(f.rel.name for f in top_py)
        raise SubmissionError(
            f"submission folder {display} has no __init__.py and none of its .py files "
            f"({names}) can be imported as the submission"
        )
    sources = {f.rel.stem: f.data for f in top_py if f.rel.stem in modules}
    if not imports_siblings_by_plain_name(sources):
        return modules, []
    plain = [m for m in modules if m not in LIBRARY_NAMES]
    for name in sorted(set(modules) - set(plain)):
        warnings.append(f"{display}/{name}.py has the name of a library module, so `import {name}` in your "
                        f"other modules gets the library; rename it")
    return modules, plain
