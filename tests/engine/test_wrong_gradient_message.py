"""Training with a wrong but consistently followed gradient is named as such, with its factor or layer."""
from __future__ import annotations

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.maths import backprop
from nngrade.assignments.nn_from_scratch.maths.evaluate import XOR_X, init_params
from nngrade.assignments.nn_from_scratch.training.integrity import (
    IntegrityError,
    TrainingRun,
    WrongGradient,
    verify_training,
)

XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])
LR = 0.5


def _train(scale_grads):
    """Three steps of SGD that follow ``scale_grads(true gradients)`` exactly, with snapshots of each."""
    params = init_params((2, 3, 1), np.random.default_rng(3))
    run = TrainingRun((2, 3, 1), True, "MSELoss", XOR_X, XOR_Y, [np.arange(4)] * 3, LR,
                      [p.copy() for p in params])
    snapshots, current = [], [p.copy() for p in params]
    for step in range(3):
        grads = scale_grads(backprop.gradients(current, XOR_X, XOR_Y, loss="MSELoss", output_sigmoid=True))
        updated = [p - LR * g for p, g in zip(current, grads)]
        snapshots.append({"step": step, "params": current, "grads": grads, "updated": updated})
        current = updated
    return run, snapshots, current


def test_a_constant_factor_is_named_with_the_loss_it_points_to():
    run, snapshots, final = _train(lambda grads: [0.5 * g for g in grads])
    with pytest.raises(WrongGradient, match=r"every parameter's gradient is exactly 0\.5 x the true one .*"
                                            r"MSELoss\.backward"):
        verify_training(run, snapshots, [0, 1, 2], final, update_rtol=1e-3, drift=0.01)


def test_a_wrong_hidden_layer_gradient_clears_the_loss():
    run, snapshots, final = _train(lambda grads: [2.0 * grads[0], grads[1], *grads[2:]])
    with pytest.raises(WrongGradient, match=r"the output layer's gradients are right and W of Linear layer 0 is "
                                            r"the first to differ"):
        verify_training(run, snapshots, [0, 1, 2], final, update_rtol=1e-3, drift=0.01)


def test_an_update_that_is_not_the_reported_gradient_stays_an_integrity_failure():
    run, snapshots, final = _train(lambda grads: grads)
    snapshots[1]["updated"] = [u + 0.01 for u in snapshots[1]["updated"]]
    with pytest.raises(IntegrityError) as info:
        verify_training(run, snapshots, [0, 1, 2], final, update_rtol=1e-3, drift=0.01)
    assert not isinstance(info.value, WrongGradient)
    assert "training must update parameters only with the gradient" in str(info.value)
