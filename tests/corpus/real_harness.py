"""Judge the grader on the real-code corpus (``tests/corpus/real/``, described by its ``MANIFEST.toml``).

Each port names the API units at fault (``units``, plus ``also`` for the
original's further bugs) or is correct, with ``api_deviations`` its original
genuinely has (e.g. a softmax without the max shift). A check belongs to the
units it grades (:data:`UNIT_CHECKS`); the XOR and MNIST runs are integration
by design and may fail for any bug. From a report this module computes:

- for a correct port, the checks lost beyond its deviations (false positives);
- for a port with a bug, whether it was caught (a check of its units lost
  points), named (a diagnosis on a check of its primary units) and which
  checks it lost although they grade none of its units (cascaded penalties).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

REAL_DIR = Path(__file__).resolve().parent / "real"
MANIFEST = REAL_DIR / "MANIFEST.toml"

#: API unit -> the checks that grade it (base ids; the ``.hidden`` twins follow). ``forward.inputs_unchanged``
#: calls every method that takes an array, so it grades each of them.
UNIT_CHECKS = {
    "Sigmoid.forward": ("forward.sigmoid", "forward.sigmoid_extreme", "forward.inputs_unchanged"),
    "Sigmoid.backward": ("jacobians.sigmoid_backward", "forward.inputs_unchanged"),
    "Softmax.forward": ("forward.softmax", "forward.softmax_extreme", "forward.softmax_square",
                        "forward.inputs_unchanged"),
    "Softmax.backward": ("jacobians.softmax_backward", "forward.inputs_unchanged"),
    "Softmax.jacobian": ("jacobians.softmax_jacobian", "forward.inputs_unchanged"),
    "Linear.__init__": ("init.linear",),
    "Linear.forward": ("forward.linear", "forward.inputs_unchanged"),
    "Linear.backward": ("jacobians.linear_backward", "gradients.no_accumulation", "forward.inputs_unchanged"),
    "MSELoss.forward": ("forward.mse", "forward.inputs_unchanged"),
    "MSELoss.backward": ("gradients.mse_backward",),
    "CrossEntropyLoss.forward": ("forward.cross_entropy", "forward.cross_entropy_soft", "forward.inputs_unchanged"),
    "CrossEntropyLoss.backward": ("gradients.cross_entropy_backward", "forward.cross_entropy_soft"),
    "SoftmaxCrossEntropyLoss.forward": ("forward.softmax_ce", "forward.softmax_ce_soft", "forward.inputs_unchanged"),
    "SoftmaxCrossEntropyLoss.backward": ("gradients.softmax_ce_backward", "forward.softmax_ce_soft"),
    "Network.forward": ("gradients.network_backward", "forward.inputs_unchanged"),
    "Network.backward": ("gradients.network_backward", "forward.inputs_unchanged"),
    "Network.parameters": ("gradients.step",),
    "Network.step": ("gradients.step",),
    "train": ("xor.train_function",),
}
#: Convergence checks: the student's own pieces train together, so any bug may cost them.
INTEGRATION = ("xor.softmax_ce", "xor.mse", "mnist.accuracy")
#: ``api_deviations`` of the manifest -> the checks that rightly fail for them.
DEVIATION_CHECKS = {
    "softmax_no_max_shift": ("forward.softmax_extreme", "forward.softmax_ce"),
    "cross_entropy_unclipped": ("forward.cross_entropy", "forward.softmax_ce"),
    "sigmoid_overflow_warning": (),
    "cce_backward_unclipped_divides_by_zero": (),
    "softmax_loss_log_of_underflowed_prob": ("forward.softmax_ce",),
    # Definitions that agree with the API on one-hot targets only (docs/API.md, soft targets):
    "fused_loss_soft_targets_argmax": ("forward.softmax_ce_soft",),
    "cross_entropy_soft_targets_log_of_weighted_probability": ("forward.cross_entropy_soft",),
}
#: Deviations of an original that its manifest entry does not list yet, each with what the grader measured.
#: (The manifest predates the SoftmaxCrossEntropyLoss check at logits of +/-1000.)
UNLISTED_DEVIATIONS = {
    "heorhii_crossentropy": {"softmax_loss_log_of_underflowed_prob":
                             "forward takes -log(probs[true]) of a max-shifted softmax: the probability underflows "
                             "to 0 at logits of +/-1000 and the loss is inf"},
}


@dataclass(frozen=True)
class Port:
    """One port of the manifest."""

    name: str
    path: Path
    correct: bool
    bug: str = ""
    units: tuple[str, ...] = ()
    also_units: tuple[str, ...] = ()
    deviations: tuple[str, ...] = ()

    def checks_of(self, units) -> set[str]:
        return {c for unit in units for c in UNIT_CHECKS.get(unit, ())}

    def allowed(self) -> set[str]:
        """Checks this port may lose: its units', its deviations' and (for a bug) the integration runs."""
        allowed = self.checks_of(self.units + self.also_units)
        allowed |= {c for d in self.deviations for c in DEVIATION_CHECKS.get(d, ())}
        return allowed | (set(INTEGRATION) if not self.correct else set())


def _units_in(text: str) -> tuple[str, ...]:
    """``("MSELoss.backward", "Network.step")`` from ``"sign_errors_cancel (MSELoss.backward, Network.step)"``."""
    found = re.search(r"\(([^)]*)\)", text)
    return tuple(u.strip() for u in found.group(1).split(",")) if found else ()


def real_ports() -> list[Port]:
    """The ports listed in the manifest whose file exists, in manifest order."""
    if not MANIFEST.exists():
        return []
    ports = []
    for name, entry in tomllib.loads(MANIFEST.read_text())["ports"].items():
        path = REAL_DIR / entry["file"]
        if not path.exists():
            continue
        ports.append(Port(name, path, bool(entry["correct"]), entry.get("bug", ""), tuple(entry.get("units", ())),
                          tuple(u for also in entry.get("also", ()) for u in _units_in(also)),
                          tuple(entry.get("api_deviations", ())) + tuple(UNLISTED_DEVIATIONS.get(name, ()))))
    return ports


def _base(check_id: str) -> str:
    return check_id.removesuffix(".hidden")


@dataclass
class RealVerdict:
    """How the grader did on one port."""

    port: Port
    lost: set[str] = field(default_factory=set)
    unexplained: set[str] = field(default_factory=set)
    caught: bool = False
    named: bool = False
    diagnoses: list[str] = field(default_factory=list)

    @property
    def full_marks(self) -> bool:
        """For a correct port: nothing lost beyond its documented deviations."""
        return self.port.correct and not self.unexplained

    def line(self) -> str:
        if self.port.correct:
            status = "full marks" if self.full_marks else f"LOST POINTS on {', '.join(sorted(self.unexplained))}"
            rightly = sorted(self.lost - self.unexplained)
            return f"{self.port.name:<32} {status}" + (f"  (deviations: {', '.join(rightly)})" if rightly else "")
        marks = f"caught {'yes' if self.caught else 'NO '}  named {'yes' if self.named else 'NO '}"
        cascade = f"  CASCADED: {', '.join(sorted(self.unexplained))}" if self.unexplained else ""
        return f"{self.port.name:<32} {marks}  {self.port.bug} ({', '.join(self.port.units)}){cascade}"


def judge_real(port: Port, report) -> RealVerdict:
    """Compare a report of ``port`` with its manifest entry (MNIST excluded, as in the other corpora)."""
    lost = {_base(c.id) for c in report.checks if c.points < c.max_points and c.group != "mnist"}
    verdict = RealVerdict(port, lost, lost - port.allowed())
    if port.correct:
        return verdict
    own = port.checks_of(port.units)
    verdict.caught = bool(lost & port.checks_of(port.units + port.also_units))
    verdict.diagnoses = sorted({f"{_base(c.id)}: {d.id}" for c in report.checks for d in c.diagnoses})
    verdict.named = any(_base(c.id) in own and c.points < c.max_points and c.diagnoses for c in report.checks)
    return verdict
