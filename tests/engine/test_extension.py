"""An instructor's own check, for a layer the kit does not have, graded from outside the kit.

The extension is the example module of docs/EXTENDING.md, copied beside a course
configuration that names it and gives its checks points.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from submissions import reference_source, write_submission

from nngrade import grade, load_config
from nngrade.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tanh_checks.py"
TANH = '''
class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_y):
        return grad_y * {derivative}
'''
COURSE = '''
[extensions]
modules = ["tanh_checks.py"]

[checks]
"tanh.forward" = {{ points = 1 }}
"tanh.backward" = {{ points = 2 }}
{extra}
'''
#: Only the extension's checks and the API gate run: the assignment's own are graded elsewhere.
ONLY = "tanh or api"


@pytest.fixture
def course(tmp_path):
    def make(extra: str = "") -> Path:
        folder = tmp_path / "course"
        folder.mkdir(exist_ok=True)
        shutil.copy(EXAMPLE, folder / "tanh_checks.py")
        (folder / "course.toml").write_text(COURSE.format(extra=extra))
        return folder / "course.toml"
    return make


def _results(report):
    return {c.id: (c.status, c.points, c.max_points) for c in report.checks if c.id.startswith("tanh.")}


def test_a_submission_with_the_extra_layer_earns_its_points(course, tmp_path):
    source = reference_source() + TANH.format(derivative="(1 - self.y ** 2)")
    path = write_submission(tmp_path / "s", "with_tanh.py", source)
    report = grade(path, config=load_config(course()), only=ONLY)
    assert _results(report) == {"tanh.forward": ("passed", 1.0, 1.0), "tanh.backward": ("passed", 2.0, 2.0)}


def test_a_wrong_derivative_of_the_extra_layer_costs_only_its_check(course, tmp_path):
    source = reference_source() + TANH.format(derivative="self.y * (1 - self.y)")  # the sigmoid's derivative
    report = grade(write_submission(tmp_path / "s", "bad_tanh.py", source), config=load_config(course()), only=ONLY)
    assert _results(report) == {"tanh.forward": ("passed", 1.0, 1.0), "tanh.backward": ("failed", 0.0, 2.0)}
    backward = next(c for c in report.checks if c.id == "tanh.backward")
    assert "1 - y**2" in backward.message and "Tanh().backward(grad_y)" in backward.message


def test_a_submission_without_the_layer_is_told_what_it_lacks(course, tmp_path):
    report = grade(write_submission(tmp_path / "s", "no_tanh.py", reference_source()),
                   config=load_config(course()), only=ONLY)
    assert {c.id: c.status for c in report.checks if c.id.startswith("tanh.")} == \
        {"tanh.forward": "not_run", "tanh.backward": "not_run"}
    assert all("needs Tanh.forward" in c.message for c in report.checks if c.id.startswith("tanh."))


def test_the_extension_adds_to_the_total(course):
    from nngrade.engine.grading import selected_checks

    default_total = sum(points for _, points, _ in selected_checks(load_config(), "grade"))
    course_total = sum(points for _, points, _ in selected_checks(load_config(course()), "grade"))
    assert course_total == default_total + 3


def test_a_missing_extension_module_is_a_configuration_error(tmp_path):
    config = tmp_path / "course.toml"
    config.write_text('[extensions]\nmodules = ["nowhere.py"]\n')
    result = CliRunner().invoke(main, ["grade", "reference", "--config", str(config)])
    assert result.exit_code == 2 and "nowhere.py" in result.output
