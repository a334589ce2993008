"""Small file-system helpers shared by the CLI and batch grading."""
from __future__ import annotations

import errno
import hashlib
import os
import secrets
from pathlib import Path

#: Fresh temporary names tried before giving up (each is 16 random hex digits).
TEMPORARY_ATTEMPTS = 8


class UnsafePathError(OSError):
    """A write was refused because a symbolic link sits where the file or its folder goes."""


def temporary_name(name: str) -> str:
    """A fresh, unpredictable name for the temporary file that becomes ``name``."""
    return f".{name}.{secrets.token_hex(8)}.tmp"


def _open_folder(folder: Path) -> int:
    """Open ``folder`` itself (not what a symbolic link there points to) as a directory descriptor."""
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(folder):
            raise UnsafePathError(exc.errno, f"refusing to write into {folder}: it is a symbolic link") from None
        raise


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    Readers see either the old file or the complete new one, never a partial
    write. Symbolic links are never followed where the grader writes: the
    folder is opened with ``O_NOFOLLOW`` (a link there is refused), the
    temporary file is created relative to that folder with ``O_CREAT |
    O_EXCL | O_NOFOLLOW`` under an unpredictable name (anything already there,
    such as a planted link, is never opened), and the rename replaces a link
    at ``path`` instead of writing through it. The file gets the permissions
    ``open()`` would give it (``0666`` minus the umask).

    Parameters
    ----------
    path : Path
        Target file; its folder is created when missing.
    data : bytes
        The complete new content.

    Raises
    ------
    UnsafePathError
        When the folder is a symbolic link, or every temporary name tried was taken.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = _open_folder(path.parent)
    try:
        for _ in range(TEMPORARY_ATTEMPTS):
            temporary = temporary_name(path.name)
            try:
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                             0o666, dir_fd=folder)
                break
            except FileExistsError:
                continue
        else:
            raise UnsafePathError(errno.EEXIST, f"refusing to write {path}: {TEMPORARY_ATTEMPTS} temporary "
                                                "names next to it were already taken")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path.name, src_dir_fd=folder, dst_dir_fd=folder)
            os.fsync(folder)
        except BaseException:
            try:
                os.unlink(temporary, dir_fd=folder)
            except FileNotFoundError:
                pass
            raise
    finally:
        os.close(folder)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, newline-terminated) to ``path`` atomically; see :func:`write_bytes_atomically`."""
    write_bytes_atomically(path, (text if text.endswith("\n") else text + "\n").encode("utf-8"))


def remove_stale_temporaries(folder: Path) -> int:
    """Delete ``.*.tmp`` files an interrupted atomic write left in ``folder``; return how many."""
    removed = 0
    for leftover in Path(folder).glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def user_cache_dir(*parts: str) -> Path:
    """nngrade's folder in the user's cache, then ``parts`` (it may not exist).

    ``$XDG_CACHE_HOME/nngrade`` when that variable is set and not empty, else
    ``~/.cache/nngrade``.
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser().joinpath("nngrade", *parts)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
