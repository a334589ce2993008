"""Configuration typos stop the grader; disabled checks say why; ``--only`` selects like ``pytest -k``."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from submissions import REFERENCE_DIR

from nngrade import grade, load_config
from nngrade.cli import main
from nngrade.engine.config import ConfigError
from nngrade.engine.selection import SelectionError, matcher


def _write(tmp_path, text):
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


def test_a_typo_in_a_check_id_stops_with_the_closest_known_id(tmp_path):
    path = _write(tmp_path, '[checks]\n"xor.mes" = { points = 10 }\n')
    with pytest.raises(ConfigError, match=r"checks\.'xor\.mes': no check has this id; the closest known id is 'xor\.mse'"):
        load_config(path)
    result = CliRunner().invoke(main, ["grade", str(REFERENCE_DIR), "--config", str(path)])
    assert result.exit_code == 2 and "'xor.mes'" in result.output and "'xor.mse'" in result.output


def test_a_hidden_twin_id_is_a_known_id(tmp_path):
    config = load_config(_write(tmp_path, '[checks]\n"forward.sigmoid.hidden" = { points = 3 }\n'))
    assert config["checks"]["forward.sigmoid.hidden"]["points"] == 3


def test_a_disabled_check_is_reported_with_its_reason_and_worth_nothing(tmp_path):
    path = _write(tmp_path, '[checks]\n"xor.mse" = { disabled = "this course does not teach MSE training" }\n')
    report = grade(REFERENCE_DIR, config=load_config(path), only="xor.mse or api")
    xor = {c.id: c for c in report.checks}["xor.mse"]
    assert (xor.status, xor.max_points) == ("not_run", 0.0)
    assert xor.message == "not run: disabled by the instructor: this course does not teach MSE training"


def test_a_disabled_check_needs_a_reason(tmp_path):
    with pytest.raises(ConfigError, match="disabled must be the reason"):
        load_config(_write(tmp_path, '[checks]\n"xor.mse" = { disabled = "" }\n'))


@pytest.mark.parametrize("expression, chosen, left_out", [
    ("softmax", "forward.softmax_extreme.hidden", "forward.sigmoid"),
    ("softmax and not hidden", "jacobians.softmax_backward", "forward.softmax.hidden"),
    ("(sigmoid or mse) and not xor", "gradients.mse_backward", "xor.mse"),
    ("NOT hidden", "forward.sigmoid", "forward.sigmoid.hidden"),
])
def test_only_reads_like_pytest_k(expression, chosen, left_out):
    wanted = matcher(expression.replace("NOT", "not"))
    assert wanted(chosen) and not wanted(left_out)


@pytest.mark.parametrize("expression", ["", "and", "softmax and", "(softmax", "softmax)"])
def test_a_malformed_expression_is_refused(expression):
    with pytest.raises(SelectionError):
        matcher(expression)


def test_only_runs_the_matches_and_what_they_need():
    from nngrade.checks.registry import collect

    needs = {spec.id: spec.needs for spec in collect()}
    wanted, pending = set(), ["gradients.step"]
    while pending:
        check_id = pending.pop()
        wanted.add(check_id)
        pending.extend(n for n in needs[check_id] if n not in wanted)
    report = grade(REFERENCE_DIR, only="gradients.step and not hidden")
    assert {c.id for c in report.checks if c.status == "passed"} == wanted
    assert {c.id: c.status for c in report.checks}["forward.sigmoid"] == "not_run"
    assert report.max_score == sum(c.max_points for c in report.checks if c.id in wanted) == report.score > 0


def test_check_exits_zero_when_every_selected_check_passes():
    result = CliRunner().invoke(main, ["check", str(REFERENCE_DIR), "--only", "forward.sigmoid"])
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(main, ["grade", str(REFERENCE_DIR), "--only", "softmax and"])
    assert bad.exit_code == 2 and "--only" in bad.output
