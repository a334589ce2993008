"""Single ``.py`` submissions: normalisation, hashing, permissions and syntax errors."""
from __future__ import annotations

import hashlib
import stat

from nngrade.loader import ENTRY, load_submission

from ._support import API_SOURCE, import_names, listing


def test_py_file_is_copied_under_the_fixed_name(src, workdir):
    path = src / "alice_hw3.py"
    path.write_text(API_SOURCE)

    loaded = load_submission(path, workdir)

    assert loaded.ok
    assert loaded.entry == ENTRY == "nngrade_submission"
    assert loaded.info.kind == "py"
    assert loaded.info.id == "alice_hw3"
    assert loaded.info.path == str(path)
    assert loaded.info.error == ""
    assert loaded.info.warnings == []
    assert loaded.source_name == "alice_hw3.py"
    assert loaded.info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.module_dir.parent == workdir
    assert listing(loaded.module_dir) == ["nngrade_submission.py"]
    assert (loaded.module_dir / "nngrade_submission.py").read_bytes() == path.read_bytes()


def test_copied_files_are_world_readable(src, workdir):
    path = src / "sub.py"
    path.write_text(API_SOURCE)
    path.chmod(0o600)

    loaded = load_submission(path, workdir)

    assert stat.S_IMODE(loaded.module_dir.stat().st_mode) == 0o755
    assert stat.S_IMODE((loaded.module_dir / "nngrade_submission.py").stat().st_mode) == 0o644


def test_submission_id_overrides_the_file_stem(src, workdir):
    path = src / "sub.py"
    path.write_text(API_SOURCE)
    assert load_submission(path, workdir, submission_id="s12345").info.id == "s12345"


def test_each_load_gets_a_fresh_module_dir(src, workdir):
    path = src / "sub.py"
    path.write_text(API_SOURCE)
    first, second = load_submission(path, workdir), load_submission(path, workdir)
    assert first.module_dir != second.module_dir
    assert first.module_dir.is_dir() and second.module_dir.is_dir()


def test_file_named_numpy_does_not_shadow_numpy(src, workdir):
    path = src / "numpy.py"
    path.write_text(API_SOURCE)

    loaded = load_submission(path, workdir)

    assert loaded.ok and loaded.info.id == "numpy" and loaded.source_name == "numpy.py"
    assert listing(loaded.module_dir) == ["nngrade_submission.py"]
    names = import_names(loaded, "[m.__name__, m.np.__name__, hasattr(m.np, 'exp'), hasattr(m, 'Linear')]")
    assert names == ["nngrade_submission", "numpy", True, True]


def test_loading_never_runs_the_code(src, workdir, tmp_path):
    marker = tmp_path / "ran"
    path = src / "sub.py"
    path.write_text(f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n")

    loaded = load_submission(path, workdir)

    assert loaded.ok
    assert not marker.exists()


def test_syntax_error_names_file_line_and_text(src, workdir):
    lines = [f"x{i} = {i}" for i in range(11)] + ["    W += lr * dW)"]
    path = src / "submission.py"
    path.write_text("def step(W, dW, lr):\n" + "\n".join("    " + line for line in lines[:10]) + "\n" + lines[11] + "\n")

    loaded = load_submission(path, workdir)

    assert not loaded.ok
    assert loaded.module_dir is None and loaded.entry is None
    assert loaded.info.kind == "py"
    assert loaded.info.error == (
        "SyntaxError in submission.py line 12: unmatched ')'\n"
        "    W += lr * dW)\n"
        "                ^"
    )
    assert loaded.info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert list(workdir.iterdir()) == []


def test_indentation_error_is_named_as_such(src, workdir):
    path = src / "sub.py"
    path.write_text("def f():\nreturn 1\n")
    assert load_submission(path, workdir).info.error == (
        "IndentationError in sub.py line 2: expected an indented block after function "
        "definition on line 1\n    return 1\n    ^"
    )


def test_empty_file(src, workdir):
    path = src / "sub.py"
    path.write_text("\n  \n")
    loaded = load_submission(path, workdir)
    assert loaded.info.error == "submission file sub.py is empty"
    assert loaded.info.kind == "py"


def test_null_bytes(src, workdir):
    path = src / "sub.py"
    path.write_bytes(b"x = 1\n\0\n")
    assert load_submission(path, workdir).info.error == (
        "SyntaxError in sub.py: the file contains null bytes; is it really Python source?"
    )


def test_non_utf8_source_is_a_syntax_error(src, workdir):
    path = src / "sub.py"
    path.write_bytes(b"name = '\xe9t\xe9'\n")
    error = load_submission(path, workdir).info.error
    assert error.startswith("SyntaxError in sub.py line 1: (unicode error) 'utf-8' codec can't decode byte 0xe9")


def test_encoding_declaration_is_honoured(src, workdir):
    path = src / "sub.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n")
    loaded = load_submission(path, workdir)
    assert loaded.ok
    assert import_names(loaded, "m.name") == "\u00e9t\u00e9"
