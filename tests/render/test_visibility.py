"""Visibility per check and of the hidden total (Gradescope and PrairieLearn), and not-importable submissions."""
from __future__ import annotations

import tempfile

import pytest

from nngrade.engine.config import ConfigError, load_config
from nngrade.engine.grading import grade
from nngrade.render import FeedbackSettings, render_gradescope, render_prairielearn
from nngrade.results import CheckResult


def _settings(**kw) -> FeedbackSettings:
    return FeedbackSettings(**kw)


def test_gradescope_visibility_per_check_and_defaults(report):
    settings = _settings(check_visibility={"forward.sigmoid": "after_due_date"}, hidden_visibility="hidden")
    tests = {t["name"]: t for t in render_gradescope(report, settings=settings)["tests"]}
    assert tests["Sigmoid forward"]["visibility"] == "after_due_date"
    assert tests["Dense backward (hidden batch)"]["visibility"] == "hidden"
    assert tests["Required functions exist"]["visibility"] == "visible"
    assert tests["Hidden tests (total)"]["visibility"] == "after_published"


def test_prairielearn_maps_visibilities(report):
    settings = _settings(check_visibility={"forward.sigmoid": "after_due_date", "api.functions": "hidden"})
    results = render_prairielearn(report, settings=settings)
    tests = {t["name"]: t for t in results["tests"]}
    assert "Required functions exist" not in tests  # hidden: left out of tests, its points still count
    assert tests["Sigmoid forward"]["message"] == "Hidden test: 0/3 points"  # later: points only
    assert "Sign flipped" not in str(results)
    assert results["score"] == round(report.score / report.max_score, 6)


def test_prairielearn_hidden_total_only_when_visible(report):
    later = render_prairielearn(report)["message"]
    assert "1 hidden test worth 2 points (results later)" in later and "0/2" not in later
    now = render_prairielearn(report, settings=_settings(hidden_total="visible"))["message"]
    assert "Hidden test: 0/2 points." in now


def test_submission_that_cannot_be_imported_is_not_gradable_on_prairielearn(tmp_path):
    path = tmp_path / "boom.py"
    path.write_text("import numpy as np\nraise RuntimeError('module-level boom')\n", encoding="utf-8")
    with tempfile.TemporaryDirectory() as empty:
        report = grade(path, data_dir=empty)
    assert "module-level boom" in report.submission.import_error
    results = render_prairielearn(report)
    assert results["gradable"] is False
    assert "score" not in results and "tests" not in results
    assert any("module-level boom" in e for e in results["format_errors"])
    assert results["message"] == "Your submission could not be imported, so it was not graded."


def test_an_importable_submission_stays_gradable(report):
    assert report.submission.import_error == ""
    assert render_prairielearn(report)["gradable"] is True


@pytest.mark.parametrize("text, message", [
    ('[feedback]\nhints = "all"\n', "feedback.hints must be one of"),
    ('[feedback]\nhidden_total = "later"\n', "feedback.hidden_total must be one of"),
    ('[checks]\n"forward.sigmoid" = { points = 1, visibility = "soon" }\n', "visibility must be one of"),
    ('[feedback]\nleaderboard = [{ name = "x" }]\n', "feedback.leaderboard entry"),
    ('[feedback]\nleaderboard = [{ name = "x", check = "c", value = "v", order = "up" }]\n', "order must be"),
    ('[late]\npenalty_per_day = 2\n', "late.penalty_per_day"),
    ('[late]\ndue = "tomorrow"\n', "late.due"),
])
def test_bad_settings_are_refused_at_start_up(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_settings_from_config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[feedback]\nhints = "none"\nleaderboard_enabled = true\n'
                    '[checks]\n"xor.mse" = { points = 4, visibility = "after_due_date" }\n', encoding="utf-8")
    settings = FeedbackSettings.from_config(load_config(path))
    assert settings.hints == "none"
    assert [e.name for e in settings.leaderboard] == ["MNIST accuracy", "MNIST training time (s)"]
    xor = CheckResult(id="xor.mse.hidden", name="x", group="xor", points=0, max_points=1, status="failed",
                      visibility="hidden")
    assert settings.visibility(xor) == "after_due_date"
    assert FeedbackSettings.from_config(load_config()).leaderboard == ()


def _xor_report():
    from nngrade.results import Report, SubmissionInfo

    params = [[[1.0, -1.0], [1.0, -1.0]], [0.0, 0.5], [[1.0], [1.0]], [-0.5]]
    data = {"loss_curves": [[0.7, 0.4, 0.1], [0.7, 0.5, 0.2]], "seeds": [0, 1], "final_params": params}
    checks = [CheckResult(id="xor.mse", name="XOR (MSE)", group="xor", points=4, max_points=4, status="passed",
                          data=data),
              CheckResult(id="xor.mse.hidden", name="XOR (MSE), hidden", group="xor", points=0, max_points=4,
                          status="failed", visibility="hidden", data=data)]
    return Report(submission=SubmissionInfo(id="s", path="s.py", kind="py"), mode="grade", kit_version="0",
                  fixtures={}, environment={}, checks=checks)


def test_platforms_carry_pictures_of_public_checks_only():
    import json
    from pathlib import Path

    from jsonschema import Draft202012Validator

    from nngrade.render.images import check_images

    report = _xor_report()
    images = check_images(report)
    assert [label for label, _ in images["xor.mse"]] == ["XOR loss curves, MSE (2-H-1)",
                                                         "XOR decision boundary, MSE (2-H-1)"]
    assert "xor.mse.hidden" not in images
    gradescope = {t["name"]: t for t in render_gradescope(report, images=images)["tests"]}
    assert gradescope["XOR (MSE)"]["output_format"] == "html"
    assert gradescope["XOR (MSE)"]["output"].count('<img alt="XOR') == 2
    assert gradescope["XOR (MSE), hidden"]["output_format"] == "text"
    pl = render_prairielearn(report, images=images)
    schema = json.loads((Path(__file__).with_name("prairielearn_results.schema.json")).read_text())
    assert list(Draft202012Validator(schema).iter_errors(pl)) == []
    public, hidden = pl["tests"]
    assert [i["label"] for i in public["images"]] == [label for label, _ in images["xor.mse"]]
    assert "images" not in hidden
    assert render_prairielearn(report)["tests"][0].get("images") is None
