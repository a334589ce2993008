"""LMS bundles: the student zip holds no reference code and no hidden values, and works on its own."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from submissions import REFERENCE_DIR, reference_source

from nngrade.assignments.nn_from_scratch.fixture_build import make_set
from nngrade.batch.bundles import gradescope_bundle, student_bundle
from nngrade.engine.fixture_store import hidden_set_seed

#: Runs the CLI from the unzipped bundle with `reference` made unimportable (the kit is installed here).
NO_REFERENCE = ("import sys; sys.modules['reference'] = None; import nngrade; "
                "assert nngrade.__file__.startswith(sys.argv[1]), nngrade.__file__; "
                "from nngrade.cli import main; main(sys.argv[2:])")


@pytest.fixture(scope="module")
def student_zip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "student.zip"
    path.write_bytes(student_bundle())
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def solution_regions() -> list[list[str]]:
    """Non-trivial code lines of each ``### BEGIN/END SOLUTION`` region of the reference, in order."""
    regions, current = [], None
    for path in sorted(REFERENCE_DIR.glob("*.py")):
        for line in path.read_text().splitlines():
            if "### BEGIN SOLUTION" in line:
                current = []
            elif "### END SOLUTION" in line:
                regions.append(current)
                current = None
            elif current is not None and len(line.strip()) >= 12 and not line.strip().startswith("#"):
                current.append(line.strip())
    return regions


def copied_solution(text: str, regions: list[list[str]]) -> list[str]:
    """Evidence that ``text`` copies the reference solution: consecutive pairs of its lines, or 3+ lines.

    The engine computes some quantities itself (e.g. its own ``param -= lr * grad``
    to verify training steps), so one coinciding formula line is not a copy.
    """
    lines = [line.strip() for line in text.splitlines()]
    present = set(lines)
    pairs = {(a, b) for a, b in zip(lines, lines[1:])}
    found = [line for region in regions for line in region if line in present]
    consecutive = [f"{a} / {b}" for region in regions for a, b in zip(region, region[1:]) if (a, b) in pairs]
    return consecutive + (found if len(set(found)) >= 3 else [])


def test_student_bundle_has_no_reference_and_no_hidden_values(student_zip):
    files = members(student_zip)
    names = list(files)
    assert "README.md" in names and "student_template/layers.py" in names and "nngrade/engine/grading.py" in names
    assert "nngrade/fixtures/public/softmax.npz" in names and "nngrade/fixtures/manifest.json" in names
    assert not [n for n in names if n.startswith("reference/") or "/reference/" in n]
    assert not [n for n in names if "hidden" in n.split("/")[:-1] or n.startswith("nngrade/fixtures/hidden")]

    listed = json.loads(files["nngrade/fixtures/manifest.json"])
    assert "hidden" not in json.dumps(listed)  # no hidden seed, no hidden file
    assert all(name.startswith("public/") or not name.endswith(".npz") for name in listed["files"])

    # A hidden set as one grade draws it: none of its arrays is in the bundle.
    secrets = 0
    for name, arrays in make_set(hidden_set_seed(b"an instructor's secret", "0" * 64)).items():
        for key, array in arrays.items():
            value = array.tobytes()
            if len(value) < 16:  # scalars such as the learning rate are not secrets
                continue
            secrets += 1
            assert not any(value in data for data in files.values()), f"{name}:{key} leaked"
    assert secrets > 20

    regions = solution_regions()
    assert sum(map(len, regions)) > 30
    for name, data in files.items():
        if name.endswith((".py", ".md", ".toml", ".json", ".txt")):
            assert copied_solution(data.decode("utf-8"), regions) == [], f"{name} copies the reference solution"


def test_the_copy_detector_finds_a_copied_reference_module():
    regions = solution_regions()
    for name in ("layers.py", "losses.py", "network.py"):
        assert copied_solution((REFERENCE_DIR / name).read_text(), regions), name


def test_student_bundle_without_diagnoses_ships_no_detector(tmp_path):
    path = tmp_path / "student.zip"
    path.write_bytes(student_bundle(diagnoses=False))
    names = [n for n in members(path) if "/diagnoses/" in n]
    assert sorted(names) == ["nngrade/assignments/nn_from_scratch/diagnoses/__init__.py",
                             "nngrade/diagnoses/__init__.py", "nngrade/diagnoses/catalogue.py"]


def test_student_bundle_checks_a_submission_on_its_own(student_zip, tmp_path):
    root = tmp_path / "unzipped"
    with zipfile.ZipFile(student_zip) as archive:
        archive.extractall(root)
    (root / "mine.py").write_text(reference_source())
    # A private cache: no MNIST reference accuracy computed earlier on this machine can be found.
    env = {**os.environ, "PYTHONPATH": str(root), "NNGRADE_FIXTURES_DIR": str(root / "nngrade" / "fixtures"),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def check(target):
        return subprocess.run([sys.executable, "-c", NO_REFERENCE, str(root), "check", target], cwd=root, env=env,
                              capture_output=True, text=True, timeout=600)

    template = check("student_template")
    assert template.returncode == 1, template.stderr[-3000:]
    assert "Summary:" in template.stdout and "TODO:" in template.stdout
    assert "hidden" not in template.stdout.lower()

    solved = check("mine.py")
    assert "Summary:" in solved.stdout, solved.stderr[-3000:]
    statuses = re.findall(r"^(PASS|FAIL|ERROR|TIMEOUT|NOT RUN)\s", solved.stdout, flags=re.M)
    assert statuses and set(statuses[:-1]) == {"PASS"}, solved.stdout[-3000:]
    # MNIST passes against the absolute floor (the reference cannot be imported), or is not run without data.
    assert statuses[-1] in ("PASS", "NOT RUN")


def test_gradescope_bundle_layout():
    files = members_from_bytes(gradescope_bundle())
    assert {"setup.sh", "run_autograder", "config.toml", "hidden_seed", "kit/pyproject.toml", "kit/reference/layers.py",
            "kit/fixtures/public/softmax.npz", "kit/graders/engine/grading.py"} <= set(files)
    assert not [name for name in files if "/hidden/" in name]
    run = files["run_autograder"][1].decode()
    assert "nngrade grade /autograder/submission --format gradescope" in run
    assert "-o /autograder/results/results.json" in run
    assert files["run_autograder"][0] & 0o111 and files["setup.sh"][0] & 0o111
    assert b"pip install" in files["setup.sh"][1]


def test_gradescope_bundle_carries_a_private_secret_of_its_own(tmp_path):
    first, second = members_from_bytes(gradescope_bundle()), members_from_bytes(gradescope_bundle())
    seed = first["hidden_seed"][1].strip()
    assert len(seed) >= 64 and seed != second["hidden_seed"][1].strip()
    assert first["hidden_seed"][0] & 0o777 == 0o600 and first["config.toml"][0] & 0o777 == 0o600
    assert b"chmod 600 /autograder/source/hidden_seed" in first["setup.sh"][1]
    assert b"chmod 600 /autograder/source/config.toml" in first["setup.sh"][1]
    assert b"NNGRADE_HIDDEN_SEED" in first["run_autograder"][1]
    assert not [name for name, (_, data) in first.items() if name != "hidden_seed" and seed in data]
    config = tmp_path / "course.toml"
    config.write_text('[hidden]\nseed = "the course secret"\n')
    own = members_from_bytes(gradescope_bundle(config))
    assert "hidden_seed" not in own and b"the course secret" in own["config.toml"][1]


def members_from_bytes(data: bytes) -> dict[str, tuple[int, bytes]]:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: (info.external_attr >> 16, archive.read(info)) for info in archive.infolist()}


def test_student_bundle_explains_mnist_ships_the_api_document_and_names_the_systems(student_zip):
    files = members(student_zip)
    readme = files["README.md"].decode("utf-8")
    api = files["docs/API.md"].decode("utf-8")
    assert api.startswith((Path(__file__).resolve().parents[2] / "docs" / "API.md").read_text().split("\n")[0])
    assert "Sigmoid" in api and "```python" not in api
    assert "see docs/API.md" in files["student_template/layers.py"].decode("utf-8")
    assert "nngrade data fetch mnist" in readme and '".[mnist-offline]"' in readme
    for system in ("Linux", "macOS", "Windows"):
        assert f"**{system}**" in readme
    assert "not a security boundary" in readme
    assert "WSL" not in readme and "`nngrade check` runs your code as a plain\n  subprocess" in readme
