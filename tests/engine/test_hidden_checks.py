"""Hidden checks: run last, in a fresh worker, on inputs drawn per grade from the instructor's secret."""
from __future__ import annotations

import re

import pytest
from submissions import REFERENCE_DIR, mutated_source, reference_source, write_submission

from nngrade.engine.config import ConfigError, load_config
from nngrade.engine.fixture_store import HIDDEN_SEED_VARIABLE
from nngrade.engine.grading import grade

DIAGONAL = REFERENCE_DIR.parent / "fixtures" / "submissions" / "diagonal_softmax_jacobian.py"


def configured(tmp_path, seed) -> dict:
    path = tmp_path / f"seed-{seed}.toml"
    path.write_text(f'[hidden]\nseed = "{seed}"\n')
    return load_config(path)


@pytest.fixture(autouse=True)
def no_seed_in_environment(monkeypatch):
    monkeypatch.delenv(HIDDEN_SEED_VARIABLE, raising=False)


@pytest.mark.parametrize("seed", ["course-2026", "7", "another secret"])
def test_the_reference_passes_the_hidden_checks_for_any_secret(tmp_path, seed):
    report = grade(REFERENCE_DIR, config=configured(tmp_path, seed), only="hidden")
    hidden = [c for c in report.checks if c.visibility == "hidden"]
    assert len(hidden) >= 15
    assert {c.id: c.message for c in hidden if c.status != "passed"} == {}


def hidden_messages(report) -> dict[str, str]:
    return {c.id: c.message for c in report.checks if c.visibility == "hidden" and c.status == "failed"}


def test_hidden_inputs_follow_the_secret_and_the_submission(tmp_path):
    first = hidden_messages(grade(DIAGONAL, config=configured(tmp_path, "a"), only="jacobian"))
    assert "jacobians.softmax_jacobian.hidden" in first
    again = hidden_messages(grade(DIAGONAL, config=configured(tmp_path, "a"), only="jacobian"))
    other_secret = hidden_messages(grade(DIAGONAL, config=configured(tmp_path, "b"), only="jacobian"))
    changed = write_submission(tmp_path / "changed", "nn.py", DIAGONAL.read_text() + "\n# one more line\n")
    other_submission = hidden_messages(grade(changed, config=configured(tmp_path, "a"), only="jacobian"))
    key = "jacobians.softmax_jacobian.hidden"
    assert again[key] == first[key]  # a regrade of the same submission is reproducible
    assert other_secret[key] != first[key] and other_submission[key] != first[key]


def test_the_environment_variable_wins_over_the_configuration(tmp_path, monkeypatch):
    from_config = hidden_messages(grade(DIAGONAL, config=configured(tmp_path, "a"), only="jacobian"))
    monkeypatch.setenv(HIDDEN_SEED_VARIABLE, "a")
    same = hidden_messages(grade(DIAGONAL, config=configured(tmp_path, "b"), only="jacobian"))
    key = "jacobians.softmax_jacobian.hidden"
    assert same[key] == from_config[key]


def test_hidden_checks_run_last_in_a_fresh_worker(tmp_path):
    source = mutated_source(append='''
import secrets as _secrets
import time as _time
_WORKER = _secrets.token_hex(8)
print("imported in worker", _WORKER, "at", repr(_time.time()))
_forward = Sigmoid.forward


def _printing_forward(self, x):
    print("token-of-worker", _WORKER)
    print("called at", repr(_time.time()))
    return _forward(self, x)


Sigmoid.forward = _printing_forward
''')
    report = grade(write_submission(tmp_path, "nn.py", source), config=configured(tmp_path, "x"))
    workers = {c.id: set(re.findall(r"^token-of-worker ([0-9a-f]{16})$", c.output, re.M)) for c in report.checks}
    public = set().union(*(w for i, w in workers.items() if not i.endswith(".hidden")))
    hidden = set().union(*(w for i, w in workers.items() if i.endswith(".hidden")))
    assert len(public) == 1 and len(hidden) == 1 and public != hidden
    assert re.findall(r"imported in worker (\w+)", report.output) == sorted(public)
    first_hidden = next(c for c in report.checks if c.id.endswith(".hidden") and c.output)
    assert "hidden checks' worker imported the submission" in first_hidden.output
    assert f"imported in worker {hidden.pop()}" in first_hidden.output
    # The hidden worker imported the submission only after the last call into the public one.
    hidden_import = float(re.search(r"imported in worker \w+ at ([0-9.]+)", first_hidden.output).group(1))
    public_calls = [float(t) for c in report.checks if not c.id.endswith(".hidden")
                    for t in re.findall(r"^called at ([0-9.]+)$", c.output, re.M)]
    assert public_calls and hidden_import > max(public_calls)
    # The report keeps the checks' declared order; every hidden check ran after every public one.
    assert [c.id for c in report.checks] == [c.id for c in grade(REFERENCE_DIR, config=configured(tmp_path, "x"),
                                                                 only="not mnist").checks]


def test_a_broken_import_starts_no_worker_for_the_hidden_checks(tmp_path):
    report = grade(write_submission(tmp_path, "nn.py", reference_source() + "\nraise ImportError('nope')\n"),
                   config=configured(tmp_path, "x"))
    hidden = [c for c in report.checks if c.visibility == "hidden"]
    assert hidden and {c.status for c in hidden} == {"not_run"}
    assert all("could not be imported" in c.message for c in hidden)


def test_the_student_precheck_draws_no_hidden_set(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    report = grade(REFERENCE_DIR, mode="check", only="not mnist")
    assert report.checks and all(c.visibility == "public" for c in report.checks)
    assert not (tmp_path / "cache" / "nngrade" / "hidden-seed").exists()


def test_a_hidden_seed_of_the_wrong_type_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[hidden]\nseed = 1.5\n")
    with pytest.raises(ConfigError, match="hidden.seed"):
        load_config(path)
