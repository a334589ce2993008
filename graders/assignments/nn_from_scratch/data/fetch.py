"""Download the four official MNIST files into the nngrade cache.

Each file is fetched from the mirrors in order with :mod:`urllib`, streamed
into a temporary file next to its destination while its MD5 is computed, and
moved into place with an atomic rename only if the MD5 matches. A file that
is already present with the right MD5 is not downloaded again.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from .mnist import mnist_cache_dir

#: Mirrors of the official files, tried in this order.
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: Published MD5 sums of the official gzip-compressed files.
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

_CHUNK = 1 << 16
_USER_AGENT = "nngrade-mnist-fetch"


class FetchError(RuntimeError):
    """A file could not be downloaded from any mirror.

    Attributes
    ----------
    filename : str
        The file that failed.
    errors : dict of str to str
        For each URL tried, what went wrong.
    """

    def __init__(self, filename: str, errors: dict[str, str]):
        self.filename = filename
        self.errors = dict(errors)
        lines = "\n".join(f"  - {url}: {error}" for url, error in errors.items())
        super().__init__(
            f"could not download {filename} from any mirror:\n{lines}\n"
            "Check the network connection, or download the files by hand and "
            "pass --mnist-dir DIR (or set NNGRADE_MNIST_DIR)."
        )


def file_md5(path: str | Path) -> str:
    """Return the hex MD5 of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, target: Path, expected_md5: str, timeout: float,
              progress: Progress) -> None:
    """Download `url` to `target` atomically, or raise with the reason.

    The data goes to a temporary file in ``target.parent`` that is renamed
    to `target` only after its MD5 matched; on any failure it is removed.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    temp_path = Path(temp_name)
    task = None
    try:
        with os.fdopen(handle, "wb") as out, \
                urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            task = progress.add_task(escape(target.name), total=total)
            digest = hashlib.md5(usedforsecurity=False)
            received = 0
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                progress.update(task, advance=len(chunk))
        if total is not None and received != total:
            raise _BadDownload(
                f"connection closed after {received} of {total} bytes"
            )
        if digest.hexdigest() != expected_md5:
            raise _BadDownload(
                f"checksum mismatch: got md5 {digest.hexdigest()}, "
                f"expected {expected_md5}"
            )
        os.replace(temp_path, target)
    finally:
        if task is not None:
            progress.remove_task(task)
        temp_path.unlink(missing_ok=True)


class _BadDownload(ValueError):
    """The download ended early or its bytes do not have the expected MD5."""


def _describe(exc: BaseException) -> str:
    """Short, readable reason for a failed download."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect: {exc.reason}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, _BadDownload):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def fetch_mnist(
    dest: str | Path | None = None,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    progress: bool = True,
    checksums: Mapping[str, str] = MNIST_MD5,
    timeout: float = 30.0,
) -> Path:
    """Download the official MNIST files, verifying their MD5 sums.

    Parameters
    ----------
    dest : str or pathlib.Path, optional
        Directory to save into (created if needed). Default: the cache
        directory searched by :func:`nngrade.assignments.nn_from_scratch.data.load_mnist`
        (``$XDG_CACHE_HOME/nngrade/mnist`` or ``~/.cache/nngrade/mnist``).
    mirrors : sequence of str
        Base URLs tried in order; a file's URL is the base URL joined with
        its name.
    progress : bool, optional
        Show a progress bar and status lines on standard error.
    checksums : mapping of str to str, optional
        File name to expected hex MD5; these are the files downloaded.
        Default: the four official files, :data:`MNIST_MD5`.
    timeout : float, optional
        Seconds to wait for a connection or for data before giving up on
        a mirror.

    Returns
    -------
    pathlib.Path
        The destination directory, holding every file of `checksums`.

    Raises
    ------
    FetchError
        If a file could not be obtained from any mirror; the message lists
        each URL tried and its error. Files completed before stay in place.
    """
    dest = Path(dest) if dest is not None else mnist_cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    if not mirrors:
        raise ValueError("no mirrors given")
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
        TransferSpeedColumn(), TimeRemainingColumn(),
        console=console, disable=not progress, transient=True,
    )
    say = console.print if progress else (lambda *args, **kwargs: None)
    with bar:
        for filename, expected in checksums.items():
            target = dest / filename
            if target.is_file() and file_md5(target) == expected:
                say(f"{escape(filename)}: already present, md5 ok")
                continue
            errors: dict[str, str] = {}
            for mirror in mirrors:
                url = mirror.rstrip("/") + "/" + filename
                try:
                    _download(url, target, expected, timeout, bar)
                except (OSError, http.client.HTTPException, _BadDownload) as exc:
                    errors[url] = _describe(exc)
                    say(f"[yellow]{escape(url)}: {escape(errors[url])}[/yellow]")
                    continue
                say(f"{escape(filename)}: downloaded from {escape(mirror)}, md5 ok")
                break
            else:
                raise FetchError(filename, errors)
    return dest
