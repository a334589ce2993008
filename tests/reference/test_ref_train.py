"""train(): the shuffling and batching convention, the returned history, and the updates."""
from __future__ import annotations

import numpy as np
import pytest

import nngrade.reference as R


class Recorder:
    """An identity layer that records every batch it sees."""

    def __init__(self):
        self.batches = []

    def forward(self, x):
        self.batches.append(np.array(x, copy=True))
        return x

    def backward(self, grad):
        return grad


def problem(n=10, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.eye(k)[rng.integers(0, k, size=n)]
    return X, Y


def make_net(seed, d=3, hidden=5, k=2):
    rng = np.random.default_rng(seed)
    return R.Network([R.Linear(d, hidden, rng), R.Sigmoid(), R.Linear(hidden, k, rng)])


def hand_written_train(net, loss, X, Y, epochs, lr, batch_size, rng):
    """The documented convention, spelled out step by step."""
    n = len(X)
    history = []
    for _ in range(epochs):
        order = rng.permutation(n)
        batches = []
        start = 0
        while start < n:
            batches.append(order[start:min(start + batch_size, n)])
            start += batch_size
        weighted = []
        for idx in batches:
            value = loss.forward(net.forward(X[idx]), Y[idx])
            net.backward(loss.backward())
            for param, grad in net.parameters():
                param -= lr * grad
            weighted.append(value * len(idx))
        history.append(sum(weighted) / n)
    return history


@pytest.mark.parametrize("batch_size", [4, 5, 1, 10, 64])
@pytest.mark.parametrize("loss_cls", [R.SoftmaxCrossEntropyLoss, R.MSELoss])
def test_train_matches_a_hand_written_loop(loss_cls, batch_size):
    X, Y = problem()
    net_a, net_b = make_net(1), make_net(1)
    history = R.train(net_a, loss_cls(), X, Y, epochs=3, lr=0.5, batch_size=batch_size,
                      rng=np.random.default_rng(99))
    expected = hand_written_train(net_b, loss_cls(), X, Y, 3, 0.5, batch_size, np.random.default_rng(99))
    np.testing.assert_allclose(history, expected, rtol=1e-12, atol=1e-12)
    for (pa, _), (pb, _) in zip(net_a.parameters(), net_b.parameters()):
        np.testing.assert_allclose(pa, pb, rtol=1e-12, atol=1e-12)
    # The parameters did move.
    assert not np.allclose(net_a.layers[0].W, make_net(1).layers[0].W)


def test_train_returns_one_float_per_epoch():
    X, Y = problem()
    history = R.train(make_net(2), R.SoftmaxCrossEntropyLoss(), X, Y, epochs=7, lr=0.1, batch_size=3,
                      rng=np.random.default_rng(0))
    assert isinstance(history, list) and len(history) == 7
    assert all(type(v) is float and np.isfinite(v) for v in history)
    assert R.train(make_net(2), R.MSELoss(), X, Y, epochs=0, lr=0.1, batch_size=3,
                   rng=np.random.default_rng(0)) == []


def test_batches_are_consecutive_slices_of_one_permutation_per_epoch():
    n, batch_size, epochs = 10, 4, 3
    X = np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 2))  # row i holds i
    Y = np.zeros((n, 2))
    recorder = Recorder()
    net = R.Network([recorder, R.Linear(2, 2, np.random.default_rng(0))])
    R.train(net, R.MSELoss(), X, Y, epochs=epochs, lr=0.01, batch_size=batch_size,
            rng=np.random.default_rng(5))
    seen = [batch[:, 0].astype(int).tolist() for batch in recorder.batches]
    check = np.random.default_rng(5)
    expected = []
    for _ in range(epochs):
        order = check.permutation(n).tolist()
        expected += [order[0:4], order[4:8], order[8:10]]
    assert seen == expected
    assert [len(b) for b in seen] == [4, 4, 2] * epochs


def test_train_draws_exactly_one_permutation_per_epoch():
    X, Y = problem()
    rng = np.random.default_rng(11)
    R.train(make_net(3), R.MSELoss(), X, Y, epochs=4, lr=0.1, batch_size=3, rng=rng)
    check = np.random.default_rng(11)
    for _ in range(4):
        check.permutation(len(X))
    assert rng.bit_generator.state == check.bit_generator.state


def test_epoch_loss_is_the_size_weighted_mean_of_batch_losses():
    # lr = 0 keeps the network fixed, so each epoch's mean is the loss on the
    # whole data set; an unweighted mean of the batch losses (last batch 1
    # row out of 7) would differ.
    X, Y = problem(n=7)
    net = make_net(4)
    full = R.SoftmaxCrossEntropyLoss().forward(net.forward(X), Y)
    history = R.train(net, R.SoftmaxCrossEntropyLoss(), X, Y, epochs=3, lr=0.0, batch_size=3,
                      rng=np.random.default_rng(0))
    np.testing.assert_allclose(history, [full] * 3, rtol=1e-13)


def test_train_reduces_the_loss():
    X, _ = problem(n=40, seed=3)
    Y = np.eye(2)[(X[:, 0] + X[:, 1] > 0).astype(int)]  # linearly separable
    history = R.train(make_net(5), R.SoftmaxCrossEntropyLoss(), X, Y, epochs=30, lr=0.5, batch_size=8,
                      rng=np.random.default_rng(0))
    assert history[-1] < 0.5 * history[0]
