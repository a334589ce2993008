"""Folders as students run them: plain sibling imports, a driver main.py, archives inside folders."""
from __future__ import annotations

import shutil
import zipfile

from nngrade.engine.grading import grade
from nngrade.loader import load_submission
from nngrade.render import validate_report

from ._support import plain_folder

ONLY = "not mnist"
DRIVER = ("from layers import Linear, Sigmoid\nfrom network import Network, train\n\n"
          "net = Network([Linear(2, 2), Sigmoid()])\nraise SystemExit('the driver ran at import')\n")


def full_marks(report) -> bool:
    graded = [c for c in report.checks if c.status != "not_run" or "not selected" not in c.message]
    return bool(graded) and all(c.points == c.max_points for c in graded) and report.score == report.max_score


def test_a_folder_with_plain_sibling_imports_and_a_main_py_earns_full_marks(tmp_path):
    folder = plain_folder(tmp_path / "hw3", main=DRIVER)

    report = grade(folder, only=ONLY)

    validate_report(report.to_dict())
    assert report.submission.import_error == ""
    lost = {c.id: c.message for c in report.checks if c.points != c.max_points}
    assert lost == {} and report.score == report.max_score > 0
    assert report.submission.entry == "hw3: layers.py, losses.py, network.py"
    assert any("main.py is not imported" in w for w in report.submission.warnings)


def test_a_main_py_that_defines_the_api_is_imported(tmp_path, src=None):
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "main.py").write_text("class Sigmoid:\n    pass\n")
    (folder / "helpers.py").write_text("SCALE = 2\n")

    loaded = load_submission(folder, tmp_path / "work", api=("Sigmoid",))

    assert loaded.ok and loaded.info.entry == "hw: helpers.py, main.py"


def _zip_folder(folder, target):
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*.py")):
            archive.write(path, path.relative_to(folder.parent).as_posix())
    return target


def test_a_zip_inside_a_folder_is_graded(tmp_path):
    source = plain_folder(tmp_path / "src" / "hw3")
    download = tmp_path / "download" / "alice"
    download.mkdir(parents=True)
    _zip_folder(source, download / "hw3.zip")

    report = grade(download, only="api or forward")

    assert report.submission.error == "", report.submission.error
    assert report.score == report.max_score > 0
    assert any("grading the archive hw3.zip" in w for w in report.submission.warnings)
    assert report.submission.entry.startswith("alice/hw3.zip/hw3: layers.py")


def test_a_folder_inside_a_zip_inside_a_folder_inside_a_zip_is_unwrapped(tmp_path):
    source = plain_folder(tmp_path / "src" / "hw3")
    inner = _zip_folder(source, tmp_path / "inner.zip")
    outer_folder = tmp_path / "outer" / "bob"
    outer_folder.mkdir(parents=True)
    shutil.copy(inner, outer_folder / "hw3.zip")
    outer = tmp_path / "bob.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.write(outer_folder / "hw3.zip", "bob/hw3.zip")

    loaded = load_submission(outer, tmp_path / "work")

    assert loaded.ok, loaded.info.error
    assert loaded.info.entry == "bob.zip/bob/hw3.zip/hw3: layers.py, losses.py, network.py"
