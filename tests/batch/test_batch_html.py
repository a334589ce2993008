"""HTML pages: escaping of submission-controlled text, no hidden data for students, and a real browser render."""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess

import pytest
from submissions import mutated_source, reference_source, write_submission

from nngrade.batch import run_batch
from nngrade.batch.analytics import summarize
from nngrade.batch.pages import class_page, student_page, write_feedback_pages
from nngrade.batch.store import ResultsStore
from nngrade.render.html import render_class_page, render_feedback_page

from ._support import BUGS

PAYLOAD = "<script>document.body.setAttribute('data-pwned','1')</script><img src=x onerror=alert(1)>"
SENTINEL = "HIDDEN-SENTINEL-31415"
CLASS_HEADINGS = ["Score distribution", "Pass rate per check", "Misconceptions across the class", "Submissions"]
FEEDBACK_HEADINGS = ["Checks", "XOR training", "Decision boundaries", "Softmax Jacobian"]


@pytest.fixture(scope="module")
def results(tmp_path_factory, fast_config, no_mnist):
    """A graded batch of three: correct, a backward bug, a Jacobian bug; feedback pages written."""
    folder = tmp_path_factory.mktemp("html")
    write_submission(folder / "in", "good.py", reference_source())
    write_submission(folder / "in", "sigmoid_bug.py", mutated_source(BUGS["sigmoid_backward"]))
    write_submission(folder / "in", "jacobian_bug.py", mutated_source(BUGS["jacobian_no_outer"]))
    run_batch(folder / "in", folder / "out", config_path=fast_config, mnist_dir=no_mnist, jobs=2,
              feedback_pages=True, progress=False)
    return folder / "out"


def hostile(report: dict) -> dict:
    """``report`` with submission-controlled text replaced by an injection payload."""
    report = copy.deepcopy(report)
    report["submission"]["id"] = PAYLOAD
    report["submission"]["warnings"] = [PAYLOAD]
    report["submission"]["error"] = PAYLOAD
    report["output"] = PAYLOAD
    for check in report["checks"]:
        if check["visibility"] == "public":
            check["message"] = check["output"] = PAYLOAD
            for diagnosis in check["diagnoses"]:
                diagnosis["message"] = diagnosis["evidence"] = PAYLOAD
    return report


def test_pages_escape_everything_a_submission_controls(results):
    store = ResultsStore(results)
    reports = [hostile(r) for r in store.iter_reports()]
    roster = {PAYLOAD: {"student": {"name": PAYLOAD}}}
    pages = [render_feedback_page(reports[0]),
             render_class_page(reports, summarize(reports), roster=roster, title=PAYLOAD, feedback_links=True)]
    for page in pages:
        assert "<script" not in page.lower() and "<img src=x" not in page
        assert "&lt;script&gt;" in page
        assert 'http-equiv="Content-Security-Policy"' in page


def test_feedback_pages_show_nothing_of_hidden_checks(results):
    report = json.loads((results / "reports" / "sigmoid_bug.json").read_text())
    hidden = [c for c in report["checks"] if c["visibility"] == "hidden"]
    assert hidden and all("sample" not in c["data"] for c in hidden)
    for check in hidden:
        check["message"] = check["output"] = SENTINEL
        check["data"] = {"loss_curves": [[1.0, 0.5]], "sample": {"yours": [[SENTINEL]]}}
        for diagnosis in check["diagnoses"]:
            diagnosis["message"] = SENTINEL
    page = render_feedback_page(report)
    assert SENTINEL not in page
    assert "Hidden test:" in page


def test_feedback_page_has_plots_and_diagnoses(results):
    page = student_page(results, "sigmoid_bug")
    for heading in FEEDBACK_HEADINGS:
        assert (f"<h2>{heading}</h2>" in page) == (heading != "Softmax Jacobian")
    assert page.count("data:image/png;base64,") == 2  # the Jacobian is shown only where it is wrong
    assert "Likely cause:" in page
    jacobian_page = student_page(results, "jacobian_bug")
    assert "<h2>Softmax Jacobian</h2>" in jacobian_page
    assert sorted(p.name for p in (results / "feedback").iterdir()) == [
        "good.html", "jacobian_bug.html", "sigmoid_bug.html"]
    assert write_feedback_pages(ResultsStore(results)) == 0  # pages newer than their reports are kept


def test_class_page_links_feedback_and_counts_misconceptions(results):
    page = class_page(results)
    for heading in CLASS_HEADINGS:
        assert f"<h2>{heading}</h2>" in page
    assert 'href="feedback/good.html"' in page
    assert "No misconception was diagnosed" not in page


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium in PATH (.ci/run installs Debian's chromium; apt-get install chromium)")


def browser(tmp_path, page_path, *args) -> subprocess.CompletedProcess:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
               f"--user-data-dir={tmp_path / 'profile'}", *args, page_path.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("kind", ["class", "feedback"])
def test_pages_render_in_a_headless_browser(results, tmp_path, kind):
    from PIL import Image

    store = ResultsStore(results)
    report = hostile(store.load_report("jacobian_bug"))  # a page with every figure: its Jacobian is wrong
    text = (class_page(results, title="Class report") if kind == "class" else render_feedback_page(report))
    page = tmp_path / f"{kind}.html"
    page.write_text(text, encoding="utf-8")

    png = tmp_path / f"{kind}.png"
    shot = browser(tmp_path, page, f"--screenshot={png}", "--window-size=1200,2000")
    assert png.exists() and png.stat().st_size > 10_000, shot.stderr[-2000:]
    colors = Image.open(png).convert("RGB").getcolors(maxcolors=1 << 24)
    assert len(colors) > 50, f"blank-looking screenshot: {len(colors)} colours"

    dom = browser(tmp_path, page, "--dump-dom").stdout
    expected = CLASS_HEADINGS if kind == "class" else FEEDBACK_HEADINGS
    assert [h for h in re.findall(r"<h2>(.*?)</h2>", dom) if h in expected] == expected
    assert dom.count("<img") >= 3
    assert 'data-pwned="1"' not in dom and "<script" not in dom.lower()


def test_report_command_refuses_a_folder_without_reports(tmp_path, results):
    from click.testing import CliRunner

    from nngrade.cli import main

    empty = CliRunner().invoke(main, ["report", str(tmp_path), "-o", str(tmp_path / "class.html")])
    assert empty.exit_code == 2 and not (tmp_path / "class.html").exists()
    assert f"no valid report in {tmp_path / 'reports'}: is {tmp_path} the -o folder of `nngrade batch`?" \
        in empty.output
    unknown = CliRunner().invoke(main, ["report", str(results), "-o", str(tmp_path / "x.html"), "--student", "zz"])
    assert unknown.exit_code == 2 and "no report for 'zz' in" in unknown.output
