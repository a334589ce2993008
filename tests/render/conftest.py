"""Hand-built reports covering every status, a diagnosis, a hidden check and loader warnings."""
from __future__ import annotations

import pytest

from nngrade.results import CheckResult, Diagnosis, Report, SubmissionInfo

#: An expected value only the hidden check knows; must never reach students.
SENTINEL = "REFERENCE 0.7310585786"
#: Printing done by the submission during the hidden check.
HIDDEN_PRINT = "hidden-batch-print-7f3a"


def _checks() -> list[CheckResult]:
    return [
        CheckResult(
            id="api.functions", name="Required functions exist", group="api",
            points=2, max_points=2, status="passed",
            message="All 6 required functions found.", duration=0.01,
        ),
        CheckResult(
            id="forward.sigmoid", name="Sigmoid forward", group="forward",
            points=0, max_points=3, status="failed",
            message="Called sigmoid(z) on 6 inputs; expected the reference within 1e-6;\nsaw max error 0.46.",
            output="debug: z shape (6,)\n",
            duration=0.02,
            diagnoses=[Diagnosis(
                id="sigmoid_sign_flipped", title="Sign flipped in the exponent",
                message="You computed 1/(1+exp(z)) instead of 1/(1+exp(-z)).",
                evidence="yours = 1 - reference on 6/6 inputs",
            )],
        ),
        CheckResult(
            id="gradients.hidden_dense", name="Dense backward (hidden batch)", group="gradients",
            points=0, max_points=2, status="failed", visibility="hidden",
            message=f"Called dense_backward on the hidden batch; expected dW[0,0] = {SENTINEL}, saw 0.2689414214.",
            output=f"{HIDDEN_PRINT}\n",
            duration=0.03,
            diagnoses=[Diagnosis(
                id="gradient_sign_flipped", title="Gradient sign flipped",
                message=f"Expected {SENTINEL}.", evidence="yours = -1.000 x reference on 4/4 entries",
            )],
            data={"expected_dW": [0.7310585786]},
        ),
        CheckResult(
            id="xor.converges", name="XOR training converges", group="xor",
            points=0, max_points=3, status="timeout",
            message="Training did not finish within 60 s.", duration=60.0,
            data={"loss_curves": [[0.69, 0.5, float("nan")]], "seeds_converged": 0},
        ),
        CheckResult(
            id="mnist.accuracy", name="MNIST accuracy", group="mnist",
            points=0, max_points=4, status="not_run",
            message="Skipped: XOR training timed out.",
        ),
        CheckResult(
            id="gradients.dense", name="Dense backward", group="gradients",
            points=0, max_points=2, status="error",
            message="dense_backward raised ValueError: shapes (4,3) and (2,4) not aligned",
            duration=0.01,
        ),
    ]


def make_report(**overrides) -> Report:
    """The sample report (score 2/16); keyword arguments replace Report fields."""
    fields = dict(
        submission=SubmissionInfo(
            id="alice.ipynb", path="subs/alice.ipynb", kind="notebook", sha256="ab" * 32,
            warnings=["dropped 1 IPython magic line: %matplotlib inline"],
        ),
        mode="grade",
        kit_version="0.1.0",
        fixtures={"version": "2024.1", "manifest_sha256": "cd" * 32},
        environment={
            "python": "3.11.7", "numpy": "2.4.6", "platform": "Linux-6.1-x86_64",
            "sandbox": {"level": "bwrap", "features": {"network_blocked": True, "rlimits": True}, "notes": []},
        },
        checks=_checks(),
        output="Loading data...\n",
        duration=61.234567,
    )
    fields.update(overrides)
    return Report(**fields)


@pytest.fixture
def report() -> Report:
    return make_report()


@pytest.fixture
def report_factory():
    return make_report


@pytest.fixture
def sentinel() -> str:
    return SENTINEL


@pytest.fixture
def hidden_print() -> str:
    return HIDDEN_PRINT
