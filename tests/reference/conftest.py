"""Independent numerical oracles for the reference-solution tests, exposed as fixtures.

``fd`` bundles central finite differences and a relative-error measure. They
are written here from first principles and call the code under test only as
a black-box function, so they check it rather than restate it.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

#: Central-difference step for float64.
EPS = 1e-6
#: Largest accepted relative error between an analytic and a numerical gradient.
GRAD_TOL = 1e-7


def rel_err(a, b) -> float:
    """``||a - b|| / max(||a|| + ||b||, tiny)`` (Frobenius norms), in [0, 1].

    Symmetric in ``a`` and ``b``; 0 only when they are equal. The floor on the
    denominator keeps two zero arrays at 0 instead of 0/0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def numerical_jacobian(f, x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central differences of ``f()`` with respect to every entry of ``x``.

    ``f`` takes no argument and reads ``x``, which is perturbed in place one
    entry at a time and restored, so ``x`` may be an input array or a
    parameter array held by a layer. Returns an array of shape
    ``f().shape + x.shape`` (``x.shape`` alone when ``f`` returns a scalar).
    The divisor is the step actually taken, ``(x + eps) - (x - eps)`` as
    rounded in float64, not the nominal ``2 * eps``.
    """
    assert x.dtype == np.float64, "finite differences are run in float64"
    out_shape = np.shape(f())
    jac = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + eps
        up_x = x[idx]
        up = np.array(f(), dtype=np.float64)
        x[idx] = old - eps
        down_x = x[idx]
        down = np.array(f(), dtype=np.float64)
        x[idx] = old
        jac[(Ellipsis,) + idx] = (up - down) / (up_x - down_x)
    return jac


def numerical_gradient(f, x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to ``x``."""
    grad = numerical_jacobian(f, x, eps)
    assert grad.shape == x.shape, "f must return a scalar"
    return grad


def assert_gradient(analytic, numeric, what: str, tol: float = GRAD_TOL) -> None:
    """Fail unless ``analytic`` matches the finite differences ``numeric``."""
    analytic = np.asarray(analytic)
    assert analytic.shape == numeric.shape, f"{what}: shape {analytic.shape}, expected {numeric.shape}"
    # A vanishing numerical gradient would make any comparison vacuous.
    assert np.linalg.norm(numeric) > 1e-6, f"{what}: degenerate test input (zero gradient)"
    err = rel_err(analytic, numeric)
    assert err < tol, f"{what}: relative error {err:.3e} >= {tol:.0e}"


@pytest.fixture
def fd():
    """Finite-difference oracle: ``numerical_gradient``, ``numerical_jacobian``, ``rel_err``, ``assert_gradient``."""
    return SimpleNamespace(numerical_gradient=numerical_gradient, numerical_jacobian=numerical_jacobian,
                           rel_err=rel_err, assert_gradient=assert_gradient, eps=EPS, tol=GRAD_TOL)


@pytest.fixture
def rng():
    """A fixed-seed generator so every test sees the same random inputs."""
    return np.random.default_rng(12345)
