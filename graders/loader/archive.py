"""Safe extraction of a submitted ``.zip`` archive into a staging folder.

The archive is refused as a whole when an entry has an absolute path, a drive
letter or a ``..`` component, when it is password-protected, damaged, has more
than :data:`MAX_ZIP_MEMBERS` entries or expands to more than
:data:`MAX_TOTAL_BYTES` (counted on the bytes actually decompressed, so a lying
header does not help a zip bomb). Symbolic links and other special entries are
skipped with a warning; hidden entries and ``__MACOSX`` are skipped silently.
Both ``/`` and ``\\`` separate path components.
"""
from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from pathlib import Path

from .common import (
    MAX_TOTAL_BYTES,
    MAX_ZIP_MEMBERS,
    SubmissionError,
    human_size,
    make_dir,
    write_file,
)
from .directory import SKIPPED_DIRS

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_SEPARATORS_RE = re.compile(r"[/\\]")
_CHUNK = 1024 * 1024


def safe_member_parts(name: str) -> list[str] | None:
    """Split a zip entry name into path components, or return None when it is unsafe.

    Parameters
    ----------
    name : str
        Entry name as stored in the archive.

    Returns
    -------
    list of str or None
        Components without empty and ``.`` parts; None for an absolute path, a drive
        letter, a ``..`` component or a NUL character.
    """
    if name.startswith(("/", "\\")) or _DRIVE_RE.match(name) or "\0" in name:
        return None
    parts = [part for part in _SEPARATORS_RE.split(name) if part not in ("", ".")]
    if ".." in parts:
        return None
    return parts


def _skipped_silently(parts: list[str]) -> bool:
    return any(part.startswith(".") or part in SKIPPED_DIRS for part in parts)


def extract_zip(data: bytes, display: str, target: Path, warnings: list[str]) -> int:
    """Extract the archive `data` into the empty folder `target`.

    Parameters
    ----------
    data : bytes
        The ``.zip`` file content.
    display : str
        Archive name in messages.
    target : Path
        Existing empty staging folder.
    warnings : list of str
        Receives notes about skipped entries.

    Returns
    -------
    int
        Number of files extracted.

    Raises
    ------
    SubmissionError
        When the archive is unreadable or breaks one of the rules above.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise SubmissionError(f"{display} is not a readable zip archive ({exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise SubmissionError(
                f"zip archive {display} has {len(members)} entries, more than the "
                f"{MAX_ZIP_MEMBERS} allowed; submit only your code"
            )
        for info in members:
            if safe_member_parts(info.filename) is None:
                raise SubmissionError(
                    f"zip archive {display} contains an unsafe path `{info.filename}`: entries "
                    "must stay inside the archive (no absolute paths, no `..`)"
                )
            if info.flag_bits & 0x1:
                raise SubmissionError(f"zip archive {display} is password-protected; submit it without a password")
        if sum(info.file_size for info in members) > MAX_TOTAL_BYTES:
            raise SubmissionError(
                f"zip archive {display} expands to more than the {human_size(MAX_TOTAL_BYTES)} limit"
            )
        return _extract_members(archive, members, display, target, warnings)


def _extract_members(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], display: str,
                     target: Path, warnings: list[str]) -> int:
    total = 0
    written: set[tuple[str, ...]] = set()
    for info in members:
        parts = safe_member_parts(info.filename) or []
        if not parts or _skipped_silently(parts):
            continue
        shown = f"{display}/{'/'.join(parts)}"
        file_type = stat.S_IFMT(info.external_attr >> 16)
        if file_type == stat.S_IFLNK:
            warnings.append(f"skipped symbolic link {shown}: links are not extracted")
            continue
        try:
            if info.is_dir() or file_type == stat.S_IFDIR:
                make_dir(target.joinpath(*parts))
                continue
            if file_type not in (0, stat.S_IFREG):
                warnings.append(f"skipped {shown}: not a regular file")
                continue
            if tuple(parts) in written:
                warnings.append(f"skipped duplicate entry {shown}: the first one is used")
                continue
            destination = target.joinpath(*parts)
            make_dir(destination.parent)
            chunks = []
            with archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    total += len(chunk)
                    if total > MAX_TOTAL_BYTES:
                        raise SubmissionError(
                            f"zip archive {display} expands to more than the "
                            f"{human_size(MAX_TOTAL_BYTES)} limit"
                        )
                    chunks.append(chunk)
            write_file(destination, b"".join(chunks))
            written.add(tuple(parts))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise SubmissionError(f"zip archive {display} is damaged at {shown} ({exc})") from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise SubmissionError(f"could not extract {shown} from zip archive {display}: {reason}") from None
    return len(written)
