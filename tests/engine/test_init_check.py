"""The init.linear check accepts every usual zero-mean scheme and names what is wrong otherwise."""
import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.checks.init import SHAPES, convention_notes, weight_problem

RNG = np.random.default_rng(7)

SENSIBLE = {
    "pytorch uniform": lambda i, o: RNG.uniform(-1 / np.sqrt(i), 1 / np.sqrt(i), (i, o)),
    "xavier normal": lambda i, o: RNG.normal(0, np.sqrt(2 / (i + o)), (i, o)),
    "xavier uniform": lambda i, o: RNG.uniform(-np.sqrt(6 / (i + o)), np.sqrt(6 / (i + o)), (i, o)),
    "he normal": lambda i, o: RNG.normal(0, np.sqrt(2 / i), (i, o)),
    "N(0, 0.01)": lambda i, o: RNG.normal(0, 0.01, (i, o)),
    "N(0, 1)": lambda i, o: RNG.standard_normal((i, o)),
}


@pytest.mark.parametrize("scheme", SENSIBLE, ids=str)
@pytest.mark.parametrize("bias", ["zero", "small random"])
def test_sensible_schemes_pass(scheme, bias):
    for fan_in, fan_out in SHAPES:
        W = SENSIBLE[scheme](fan_in, fan_out)
        b = np.zeros(fan_out) if bias == "zero" else RNG.uniform(-0.1, 0.1, fan_out)
        assert weight_problem(W, b) is None, (scheme, fan_in, fan_out)


@pytest.mark.parametrize("W, b, expected", [
    (np.zeros((784, 128)), np.zeros(128), "every weight is 0. Identical weights give every output unit"),
    (np.full((784, 128), 0.1), np.zeros(128), "every weight is 0.1. Identical weights"),
    (np.tile(RNG.normal(0, 0.05, (784, 1)), (1, 128)), np.zeros(128),
     "all 128 columns of W are identical, so every output unit computes the same function"),
    (RNG.random((784, 128)), np.zeros(128), "Every weight is positive: rng.random / np.random.rand draw from [0, 1)."),
    (RNG.normal(0.5, 0.1, (784, 128)), np.zeros(128), "the weights have mean 0.5"),
    (RNG.normal(0, 1e-8, (784, 128)), np.zeros(128), "outside the accepted range [1e-06, 3.0]"),
    (RNG.normal(0, 10, (784, 128)), np.zeros(128), "outside the accepted range [1e-06, 3.0]; about "
                                                   "1/sqrt(in_features) = 0.03571 is usual."),
    (np.full((784, 128), np.nan), np.zeros(128), "W contains nan or inf."),
    (RNG.normal(0, 0.05, (784, 128)), np.full(128, np.inf), "b contains nan or inf."),
    (RNG.normal(0, 0.05, (784, 128)), np.full(128, 10.0), "the biases reach 10; zero, small or N(0, 1) biases"),
])
def test_unusable_initialisations_are_named(W, b, expected):
    assert expected in weight_problem(W, b)[0]


@pytest.mark.parametrize("scheme", ["N(0, 1)", "N(0, 0.01)", "xavier normal"], ids=str)
def test_standard_normal_biases_pass_whatever_the_draw(scheme):
    """Biases from N(0, 1), as in Nielsen's network.py: any draw passes, not only lucky ones."""
    for seed in range(200):
        draws = np.random.default_rng(seed)
        for fan_in, fan_out in SHAPES:
            W = SENSIBLE[scheme](fan_in, fan_out)
            assert weight_problem(W, draws.standard_normal(fan_out)) is None, (seed, fan_in, fan_out)


def test_tiny_but_random_weights_pass_with_a_note():
    """CS231n's N(0, 1e-4) draws train (slowly): a note, not a failure."""
    W = RNG.normal(0, 1e-4, (784, 128))
    assert weight_problem(W, np.zeros(128)) is None
    assert any("standard deviation 0.0001" in note for note in convention_notes(W, np.zeros(128)))
