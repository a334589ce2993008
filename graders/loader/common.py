"""Shared limits, errors and file helpers of the submission loader.

Nothing here imports or executes submitted code: files are only read as
bytes, parsed with :func:`ast.parse` and written into the grader's work
directory.
"""
from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

#: Name under which every normalised submission is imported by the worker.
ENTRY = "nngrade_submission"

#: Largest total size of the kept files of one submission (bytes).
MAX_TOTAL_BYTES = 20 * 1024 * 1024
#: Largest number of files kept from one submission.
MAX_FILES = 500
#: Largest number of directory entries looked at while walking a submission.
MAX_ENTRIES = 5000
#: Deepest folder nesting walked inside a submission.
MAX_DEPTH = 16
#: Non-source files (anything but ``.py``) larger than this are skipped.
MAX_DATA_FILE_BYTES = 1024 * 1024
#: Largest notebook file read (notebooks carry their outputs, e.g. plots).
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
#: Largest zip archive read.
MAX_ZIP_BYTES = 50 * 1024 * 1024
#: Largest number of entries in a zip archive.
MAX_ZIP_MEMBERS = 1000

#: Permissions of copied files and folders: readable by an unprivileged sandbox uid.
FILE_MODE = 0o644
DIR_MODE = 0o755

#: Sentence listing what the loader accepts, used in error messages.
ACCEPTED = (
    "accepted submissions are a .py file, a .ipynb notebook, a directory "
    "(a Python package or a folder of .py files) or a .zip archive of one of these"
)


class SubmissionError(Exception):
    """A problem with the submitted files, reported to the student.

    Parameters
    ----------
    message : str
        Complete, student-readable explanation.
    kind : str, optional
        Submission kind as far as it is known when the problem was found.
    """

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def human_size(n: int) -> str:
    """Format a byte count as ``"20 MB"``, ``"1 MB"``, ``"512 KB"`` or ``"12 bytes"``."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


def read_regular_file(path: Path, limit: int, display: str) -> bytes:
    """Read a regular file without following a final symlink or blocking on a FIFO.

    Parameters
    ----------
    path : Path
        File to read.
    limit : int
        Largest accepted size in bytes.
    display : str
        Name of the file in error messages.

    Returns
    -------
    bytes
        The whole content.

    Raises
    ------
    SubmissionError
        When the file cannot be opened, is not a regular file or is larger than `limit`.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SubmissionError(f"could not read {display}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"could not read {display}: it is not a regular file")
        if info.st_size > limit:
            raise SubmissionError(
                f"{display} is {human_size(info.st_size)}, larger than the "
                f"{human_size(limit)} limit"
            )
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise SubmissionError(f"{display} is larger than the {human_size(limit)} limit")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise SubmissionError(f"could not read {display}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def format_syntax_error(exc: SyntaxError, where: str) -> str:
    """Render a syntax error as ``"SyntaxError in x.py line 12: msg"`` plus the offending line.

    Parameters
    ----------
    exc : SyntaxError
        The error raised by :func:`ast.parse` (or a subclass such as ``IndentationError``).
    where : str
        Location prefix, e.g. ``"submission.py line 12"`` or ``"hw.ipynb cell 2, line 3"``.

    Returns
    -------
    str
        Message with the offending source line indented by four spaces, and a caret
        under the reported column when it is known.
    """
    message = f"{type(exc).__name__} in {where}: {exc.msg}"
    text = (exc.text or "").rstrip("\r\n")
    if not text.strip():
        return message
    stripped = text.lstrip()
    message += f"\n    {stripped}"
    if exc.offset and exc.offset >= 1:
        column = exc.offset - 1 - (len(text) - len(stripped))
        if 0 <= column <= len(stripped):
            message += "\n    " + " " * column + "^"
    return message


def syntax_check(source: bytes | str, display: str) -> None:
    """Parse `source` without running it; raise a :class:`SubmissionError` on a syntax error.

    Parameters
    ----------
    source : bytes or str
        Python source. Bytes honour PEP 263 encoding declarations.
    display : str
        File name used in the message, e.g. ``"submission.py"``.
    """
    if (b"\0" if isinstance(source, bytes) else "\0") in source:
        raise SubmissionError(
            f"SyntaxError in {display}: the file contains null bytes; is it really Python source?"
        )
    try:
        ast.parse(source, filename=display)
    except SyntaxError as exc:
        where = f"{display} line {exc.lineno}" if exc.lineno else display
        raise SubmissionError(format_syntax_error(exc, where)) from None
    except (RecursionError, MemoryError):
        raise SubmissionError(f"{display} is too deeply nested to be parsed") from None


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to a new file `path` with mode :data:`FILE_MODE`."""
    with open(path, "xb") as handle:
        handle.write(data)
    os.chmod(path, FILE_MODE)


def make_dir(path: Path) -> None:
    """Create folder `path` (parents included) with mode :data:`DIR_MODE`."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


#: Calls whose first argument, when a string literal, names a module to import.
IMPORTING_CALLS = frozenset({"__import__", "import_module"})


def _is_main_guard(node: ast.AST) -> bool:
    """``if __name__ == "__main__":`` (never run when the grader imports the submission)."""
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def imported_modules(tree: ast.AST) -> list[tuple[str, int]]:
    """Absolute module names a parsed module imports, with their line numbers, in source order.

    Found: ``import a.b``, ``from a.b import c`` (not relative imports), and
    ``__import__("a")`` / ``importlib.import_module("a")`` with a literal
    name. Code under ``if __name__ == "__main__":`` is skipped: it never runs
    when the submission is imported. Nothing is executed.

    Parameters
    ----------
    tree : ast.AST
        A module parsed with :func:`ast.parse`.

    Returns
    -------
    list of (str, int)
        ``(dotted module name, line)`` pairs.
    """
    found: list[tuple[str, int]] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in IMPORTING_CALLS:
                found.append((node.args[0].value, node.lineno))
        if _is_main_guard(node):
            pending.extend(reversed(node.orelse))
            continue
        pending.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def scan_imports(module_dir: Path, mentioning: tuple[str, ...] | None = None) -> list[tuple[str, str, int]]:
    """Every absolute import in the ``.py`` files of a loaded submission, without running them.

    Parameters
    ----------
    module_dir : Path
        The loader's output folder (what the worker imports).
    mentioning : tuple of str, optional
        Parse only the files whose text contains one of these names (a file
        that never spells a module's name cannot import it by a literal name);
        default: parse every file.

    Returns
    -------
    list of (str, str, int)
        ``(module name, file relative to module_dir, line)``, files in sorted
        order. A file that does not parse (it was syntax-checked already) is skipped.
    """
    found = []
    paths = [Path(folder) / name for folder, _, names in os.walk(module_dir) for name in names if name.endswith(".py")]
    for path in sorted(paths):
        if path.is_symlink():
            continue
        try:
            data = path.read_bytes()
            if mentioning is not None and not any(name.encode() in data for name in mentioning):
                continue
            tree = ast.parse(data, filename=path.name)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
            continue
        relative = path.relative_to(module_dir).as_posix()
        found += [(name, relative, line) for name, line in imported_modules(tree)]
    return found
