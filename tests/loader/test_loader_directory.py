"""Folder submissions: packages, flat folders, skipped entries, caps and import warnings."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from nngrade.loader import common, directory, load_submission

from ._support import API_SOURCE, import_names, listing, write_notebook

LAYERS = API_SOURCE
LOSSES = "import numpy as np\n\n\nclass MSELoss:\n    def forward(self, y, t):\n        return np.mean((y - t) ** 2)\n"
NETWORK = "from .layers import Linear\n\n\nclass Network:\n    def __init__(self, layers):\n        self.layers = layers\n"
INIT = "from .layers import *\nfrom .losses import *\nfrom .network import *\n"


def make_package(root: Path, init: str | None = INIT) -> Path:
    root.mkdir(parents=True)
    if init is not None:
        (root / "__init__.py").write_text(init)
    (root / "layers.py").write_text(LAYERS)
    (root / "losses.py").write_text(LOSSES)
    (root / "network.py").write_text(NETWORK)
    return root


def test_package_is_copied_as_nngrade_submission(src, workdir):
    root = make_package(src / "student_template")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\0" * 10)
    (root / ".ipynb_checkpoints").mkdir()
    (root / ".ipynb_checkpoints" / "x.py").write_text("broken(")
    (root / "notes.txt").write_text("my notes")

    loaded = load_submission(root, workdir)

    assert loaded.ok, loaded.info.error
    assert loaded.info.kind == "package"
    assert loaded.info.id == "student_template"
    assert loaded.info.warnings == []
    assert listing(loaded.module_dir) == [
        "nngrade_submission",
        "nngrade_submission/__init__.py",
        "nngrade_submission/layers.py",
        "nngrade_submission/losses.py",
        "nngrade_submission/network.py",
        "nngrade_submission/notes.txt",
    ]
    package = loaded.module_dir / "nngrade_submission"
    assert stat.S_IMODE(package.stat().st_mode) == 0o755
    assert stat.S_IMODE((package / "layers.py").stat().st_mode) == 0o644
    assert import_names(loaded, "[hasattr(m, n) for n in ('Sigmoid', 'Linear', 'MSELoss', 'Network')]") == [True] * 4


def test_directory_hash_covers_relative_paths_and_contents(src, workdir):
    first = make_package(src / "a")
    second = make_package(src / "b")
    (second / "__pycache__").mkdir()
    (second / "__pycache__" / "junk.pyc").write_bytes(b"junk")
    digest = load_submission(first, workdir).info.sha256

    assert len(digest) == 64
    assert load_submission(second, workdir).info.sha256 == digest
    (second / "losses.py").write_text(LOSSES + "\n")
    assert load_submission(second, workdir).info.sha256 != digest
    (second / "losses.py").write_text(LOSSES)
    (second / "losses.py").rename(second / "losses2.py")
    assert load_submission(second, workdir).info.sha256 != digest


def test_folder_with_a_single_py_file_is_a_py_submission(src, workdir):
    (src / "json.py").write_text(API_SOURCE)
    (src / "README.md").write_text("hi")

    loaded = load_submission(src, workdir)

    assert loaded.ok and loaded.info.kind == "py"
    assert listing(loaded.module_dir) == ["nngrade_submission.py"]
    assert import_names(loaded, "hasattr(m, 'Linear')") is True


def test_flat_folder_gets_a_generated_init(src, workdir):
    root = make_package(src / "hw", init=None)
    (root / "network.py").write_text(NETWORK.replace("from .layers", "from nngrade_submission.layers"))
    (root / "test_layers.py").write_text("import pytest\n")
    (root / "my-utils.py").write_text("X = 1\n")

    loaded = load_submission(root, workdir)

    assert loaded.ok, loaded.info.error
    assert loaded.info.kind == "package"
    assert loaded.info.warnings == [
        "hw/my-utils.py is not imported: `my-utils` is not a valid module name",
        "hw has no __init__.py, so the grader made one that star-imports its modules in this "
        "order: layers, losses, network (a name defined in several modules comes from the last)",
    ]
    init = (loaded.module_dir / "nngrade_submission" / "__init__.py").read_text()
    assert init.splitlines()[-3:] == [
        "from .layers import *  # noqa: F401,F403",
        "from .losses import *  # noqa: F401,F403",
        "from .network import *  # noqa: F401,F403",
    ]
    assert (loaded.module_dir / "nngrade_submission" / "test_layers.py").is_file()
    assert import_names(loaded, "[hasattr(m, n) for n in ('Linear', 'MSELoss', 'Network')]") == [True] * 3


def test_flat_folder_of_only_tests_is_refused(src, workdir):
    (src / "test_a.py").write_text("x = 1\n")
    (src / "setup.py").write_text("x = 1\n")
    loaded = load_submission(src, workdir)
    assert loaded.info.error == (
        "submission folder src has no __init__.py and none of its .py files "
        "(setup.py, test_a.py) can be imported as the submission"
    )
    assert loaded.info.kind == "package"


def test_symlinks_are_not_followed(src, workdir):
    root = make_package(src / "pkg")
    os.symlink("/etc/passwd", root / "passwd.py")
    os.symlink("/etc", root / "etc")
    outside = src / "outside.py"
    outside.write_text("SECRET = 1\n")
    os.symlink(outside, root / "helper.py")

    loaded = load_submission(root, workdir)

    assert loaded.ok
    assert sorted(loaded.info.warnings) == [
        "skipped symbolic link pkg/etc: links are not followed",
        "skipped symbolic link pkg/helper.py: links are not followed",
        "skipped symbolic link pkg/passwd.py: links are not followed",
    ]
    names = listing(loaded.module_dir)
    assert not any(n.endswith(("passwd.py", "helper.py")) or "/etc" in n for n in names)
    assert not any(p.is_symlink() for p in loaded.module_dir.rglob("*"))


def test_compiled_and_large_data_files_are_skipped(src, workdir, monkeypatch):
    monkeypatch.setattr(directory, "MAX_DATA_FILE_BYTES", 100)
    root = make_package(src / "pkg")
    (root / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    (root / "layers.pyc").write_bytes(b"\0" * 8)
    (root / "weights.npy").write_bytes(b"\0" * 101)
    (root / "small.txt").write_bytes(b"\0" * 100)

    loaded = load_submission(root, workdir)

    assert loaded.info.warnings == [
        "skipped compiled file pkg/fast.cpython-311-x86_64-linux-gnu.so: only source code is graded",
        "skipped compiled file pkg/layers.pyc: only source code is graded",
        "skipped pkg/weights.npy: non-Python files over 100 bytes are not copied",
    ]
    assert "nngrade_submission/small.txt" in listing(loaded.module_dir)


def test_fifo_is_skipped_without_blocking(src, workdir):
    root = make_package(src / "pkg")
    os.mkfifo(root / "pipe.py")
    loaded = load_submission(root, workdir)
    assert loaded.ok
    assert loaded.info.warnings == ["skipped pkg/pipe.py: not a regular file"]


def test_syntax_error_in_a_package_module(src, workdir):
    root = make_package(src / "pkg")
    (root / "losses.py").write_text("def f(:\n    pass\n")
    loaded = load_submission(root, workdir)
    assert not loaded.ok and loaded.info.kind == "package"
    assert loaded.info.error == "SyntaxError in pkg/losses.py line 1: invalid syntax\n    def f(:\n          ^"
    assert loaded.info.sha256 != ""


def test_empty_folder(src, workdir):
    (src / ".DS_Store").write_text("x")
    (src / "__pycache__").mkdir()
    loaded = load_submission(src, workdir)
    assert loaded.info.error == "submission folder src is empty"
    assert loaded.info.kind == "package"


def test_folder_without_python_files(src, workdir):
    (src / "report.pdf").write_bytes(b"%PDF")
    (src / "a").mkdir()
    (src / "b").mkdir()
    loaded = load_submission(src, workdir)
    assert loaded.info.error == (
        "submission folder src contains no Python (.py) file or notebook (.ipynb) at its "
        "top level (found: a, b, report.pdf)"
    )


def test_single_subfolder_is_descended_into(src, workdir):
    make_package(src / "student_template")
    (src / "README.md").write_text("hi")
    loaded = load_submission(src, workdir)
    assert loaded.ok and loaded.info.kind == "package"
    assert loaded.info.warnings == [
        "src has no .py files at its top level; grading its folder student_template"
    ]


def test_the_only_package_among_subfolders_is_chosen(src, workdir):
    make_package(src / "student_template")
    (src / "data").mkdir()
    loaded = load_submission(src, workdir)
    assert loaded.ok
    assert "nngrade_submission/network.py" in listing(loaded.module_dir)


def test_folder_holding_one_notebook_is_a_notebook(src, workdir):
    write_notebook(src / "hw.ipynb", [("code", API_SOURCE)])
    loaded = load_submission(src, workdir)
    assert loaded.ok and loaded.info.kind == "notebook"
    assert loaded.info.warnings == ["src has no .py files; grading the notebook hw.ipynb"]
    assert import_names(loaded, "hasattr(m, 'Sigmoid')") is True


def test_folder_with_several_notebooks_is_refused(src, workdir):
    write_notebook(src / "a.ipynb", [("code", "x = 1")])
    write_notebook(src / "b.ipynb", [("code", "x = 1")])
    loaded = load_submission(src, workdir)
    assert loaded.info.kind == "notebook"
    assert loaded.info.error == (
        "submission folder src holds several notebooks (a.ipynb, b.ipynb) and no .py file; "
        "submit exactly one notebook"
    )


def test_plain_sibling_imports_are_warned_about(src, workdir):
    root = make_package(src / "student_template")
    (root / "network.py").write_text(
        "import os, layers\nfrom losses import MSELoss\nfrom student_template.layers import Linear\n"
        "import numpy as np\nfrom . import layers as L\n"
    )
    loaded = load_submission(root, workdir)
    assert loaded.ok
    assert loaded.info.warnings == [
        "student_template/network.py line 1: `import os, layers` imports a sibling module by its "
        "plain name, which fails inside a package; use a relative import such as `from . import layers`",
        "student_template/network.py line 2: `from losses import MSELoss` imports a sibling module "
        "by its plain name, which fails inside a package; use a relative import such as "
        "`from .losses import ...`",
        "student_template/network.py line 3: `from student_template.layers import Linear` names the "
        "folder `student_template`, but the grader imports your package as `nngrade_submission`; "
        "use a relative import such as `from .layers import ...`",
    ]


def test_empty_init_is_warned_about(src, workdir):
    root = make_package(src / "pkg", init='"""My package."""\n')
    loaded = load_submission(root, workdir)
    assert loaded.ok
    assert loaded.info.warnings == [
        "pkg/__init__.py is empty, so the grader will find no names in your package; import "
        "them there, e.g. `from .layers import *`"
    ]


def test_file_count_cap(src, workdir, monkeypatch):
    monkeypatch.setattr(directory, "MAX_FILES", 3)
    make_package(src / "pkg")
    (src / "pkg" / "extra.txt").write_text("x")
    loaded = load_submission(src / "pkg", workdir)
    assert loaded.info.error == "submission pkg has more than 3 files; submit only your code"


def test_total_size_cap(src, workdir, monkeypatch):
    monkeypatch.setattr(directory, "MAX_TOTAL_BYTES", 500)
    make_package(src / "pkg")
    (src / "pkg" / "big.py").write_text("x = 1\n" * 60)
    loaded = load_submission(src / "pkg", workdir)
    assert loaded.info.error == "submission pkg is larger than the 500 bytes limit"
    assert not loaded.ok
    (src / "pkg" / "big.py").write_text("x = 1\n" * 100)
    loaded = load_submission(src / "pkg", workdir)
    assert loaded.info.error == "pkg/big.py is 600 bytes, larger than the 500 bytes limit"


def test_unreadable_module(src, workdir, monkeypatch):
    root = make_package(src / "pkg")
    (root / "losses.py").chmod(0)
    if os.geteuid() == 0:  # root reads any file: let the kernel's answer for other users be simulated
        real_open = os.open

        def refusing_open(path, flags, *args, **kwargs):
            if os.fspath(path).endswith("losses.py"):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(common.os, "open", refusing_open)
    loaded = load_submission(root, workdir)
    assert loaded.info.error == "could not read pkg/losses.py: Permission denied"
