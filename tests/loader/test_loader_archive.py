"""Zip submissions: accepted layouts and refused archives (traversal, links, bombs)."""
from __future__ import annotations

import hashlib
import stat
import zipfile
from pathlib import Path

import pytest

from nngrade.loader import archive, load_submission
from nngrade.loader.archive import safe_member_parts

from ._support import API_SOURCE, import_names, listing, write_notebook


def make_zip(path: Path, entries: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_zip_of_a_package_in_a_wrapping_folder(src, workdir):
    path = make_zip(src / "alice.zip", {
        "alice/": "",
        "alice/student_template/__init__.py": "from .layers import *\n",
        "alice/student_template/layers.py": API_SOURCE,
        "__MACOSX/alice/._layers.py": b"\0\0",
        "alice/.DS_Store": b"\0",
    })

    loaded = load_submission(path, workdir)

    assert loaded.ok, loaded.info.error
    assert loaded.info.kind == "package" and loaded.info.id == "alice"
    assert loaded.info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert listing(loaded.module_dir) == [
        "nngrade_submission", "nngrade_submission/__init__.py", "nngrade_submission/layers.py",
    ]
    assert loaded.info.warnings == [
        "alice.zip has no .py files at its top level; grading its folder alice",
        "alice.zip/alice has no .py files at its top level; grading its folder student_template",
    ]
    assert import_names(loaded, "hasattr(m, 'Linear')") is True
    assert [p.name for p in workdir.iterdir()] == [loaded.module_dir.name]


def test_zip_of_a_single_file_and_of_a_notebook(src, workdir, tmp_path):
    loaded = load_submission(make_zip(src / "a.zip", {"numpy.py": API_SOURCE}), workdir)
    assert loaded.ok and loaded.info.kind == "py"
    notebook = write_notebook(tmp_path / "hw.ipynb", [("code", API_SOURCE)])
    loaded = load_submission(make_zip(src / "b.zip", {"hw.ipynb": notebook.read_bytes()}), workdir)
    assert loaded.ok and loaded.info.kind == "notebook"


def test_syntax_error_inside_a_zip_names_the_member(src, workdir):
    path = make_zip(src / "sub.zip", {"layers.py": API_SOURCE, "losses.py": "def f(:\n"})
    loaded = load_submission(path, workdir)
    assert loaded.info.kind == "package"
    assert loaded.info.error == "SyntaxError in sub.zip/losses.py line 1: invalid syntax\n    def f(:\n          ^"


@pytest.mark.parametrize("name", [
    "../evil.py", "pkg/../../evil.py", "/etc/evil.py", "..\\evil.py", "C:\\evil.py", "\\\\server\\x.py",
])
def test_path_traversal_is_refused(src, workdir, name):
    path = make_zip(src / "sub.zip", {"ok.py": "x = 1\n", name: "x = 1\n"})

    loaded = load_submission(path, workdir)

    assert not loaded.ok and loaded.module_dir is None
    assert loaded.info.error == (
        f"zip archive sub.zip contains an unsafe path `{name}`: entries must stay inside the "
        "archive (no absolute paths, no `..`)"
    )
    assert list(workdir.iterdir()) == []
    assert not (src.parent / "evil.py").exists() and not (workdir.parent / "evil.py").exists()


def test_safe_member_parts():
    assert safe_member_parts("a/./b\\c.py") == ["a", "b", "c.py"]
    assert safe_member_parts("a/b/") == ["a", "b"]
    assert safe_member_parts("a..b/c.py") == ["a..b", "c.py"]
    assert safe_member_parts("a/../b.py") is None
    assert safe_member_parts("/b.py") is None
    assert safe_member_parts("D:b.py") is None


def test_symlink_entries_are_skipped(src, workdir):
    path = src / "sub.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("main.py", API_SOURCE)
        link = zipfile.ZipInfo("passwd.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")

    loaded = load_submission(path, workdir)

    assert loaded.ok and loaded.info.kind == "py"
    assert loaded.info.warnings == ["skipped symbolic link sub.zip/passwd.py: links are not extracted"]
    assert (loaded.module_dir / "nngrade_submission.py").read_text() == API_SOURCE


def test_zip_bomb_is_refused(src, workdir, monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 10_000)
    path = make_zip(src / "bomb.zip", {"a.py": "x = 1\n", "zeros.txt": b"\0" * 20_000})
    assert path.stat().st_size < 1_000
    loaded = load_submission(path, workdir)
    assert loaded.info.error == "zip archive bomb.zip expands to more than the 9.77 KB limit"
    assert list(workdir.iterdir()) == []


def test_too_many_members(src, workdir, monkeypatch):
    monkeypatch.setattr(archive, "MAX_ZIP_MEMBERS", 3)
    path = make_zip(src / "many.zip", {f"m{i}.py": "x = 1\n" for i in range(4)})
    assert load_submission(path, workdir).info.error == (
        "zip archive many.zip has 4 entries, more than the 3 allowed; submit only your code"
    )


def test_encrypted_member_is_refused(src, workdir):
    path = make_zip(src / "secret.zip", {"a.py": "x = 1\n"})
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1  # general purpose flag, bit 0: encrypted
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).infolist()[0].flag_bits & 0x1
    assert load_submission(path, workdir).info.error == (
        "zip archive secret.zip is password-protected; submit it without a password"
    )


def test_corrupt_and_empty_archives(src, workdir):
    path = src / "broken.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    loaded = load_submission(path, workdir)
    assert loaded.info.error == "broken.zip is not a readable zip archive (File is not a zip file)"
    assert loaded.info.kind == "unknown"
    empty = make_zip(src / "empty.zip", {"folder/": ""})
    assert load_submission(empty, workdir).info.error == "zip archive empty.zip contains no files"


def test_damaged_member_data(src, workdir):
    path = make_zip(src / "crc.zip", {"a.py": "x = 1\n" * 50})
    data = bytearray(path.read_bytes())
    offset = 30 + len("a.py") + 3
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    error = load_submission(path, workdir).info.error
    assert error.startswith("zip archive crc.zip is damaged at crc.zip/a.py (")
