"""The worker watches every call's array arguments and reports the ones the submission's code wrote into."""
from __future__ import annotations

import numpy as np

from nngrade.sandbox import InPlaceWrite

WRITERS = """
import numpy as np


class Softmax:
    def forward(self, z):
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def backward(self, grad_s, *, scale=None):
        if scale is not None:
            scale[0] = 0.0
        return grad_s * 1.0

    def reshape(self, x):
        x.shape = (x.size,)
        return x.copy()

    def view_as_ints(self, x):
        x.dtype = np.int64
        return 0


class Network:
    def __init__(self, layers):
        layers[1]["W"][0, 0] += 1.0
        self.layers = layers


def train(net, loss, x, y):
    y[...] = np.nan
    return []


def leave_alone(x, nested):
    return float(np.nansum(x)) + len(nested)
"""


def test_a_method_writing_into_its_argument_is_reported_by_parameter_name(make_session):
    session = make_session({"nn.py": WRITERS})
    z = np.arange(15.0).reshape(5, 3)
    session.new("Softmax").call("forward", z)
    assert session.take_in_place_writes() == [InPlaceWrite("Softmax.forward", "z", 15, 15)]
    assert session.take_in_place_writes() == []  # taken: the list is empty again


def test_keyword_nested_shape_and_dtype_writes_are_reported(make_session):
    session = make_session({"nn.py": WRITERS})
    softmax = session.new("Softmax")
    softmax.call("backward", np.ones((2, 2)), scale=np.ones(3))
    session.new("Network", [{"W": np.zeros((2, 2))}, {"W": np.zeros((2, 2))}])
    softmax.call("reshape", np.ones((2, 3)))
    softmax.call("view_as_ints", np.ones(4))
    session.func("train", None, None, np.ones(3), np.array([1.0, np.nan]))
    assert session.take_in_place_writes() == [
        InPlaceWrite("Softmax.backward", "scale", 1, 3),
        InPlaceWrite("Network.__init__", "layers[1]['W']", 1, 4),
        InPlaceWrite("Softmax.reshape", "x", 6, 6, "shape"),
        InPlaceWrite("Softmax.view_as_ints", "x", 4, 4, "dtype"),
        InPlaceWrite("train", "y", 1, 2),  # the NaN already there is not a change
    ]


def test_calls_that_only_read_their_arguments_report_nothing(make_session, correct_session):
    session = make_session({"nn.py": WRITERS})
    assert session.func("leave_alone", np.array([np.nan, 1.0]), [np.ones(2), (np.ones(1),)]) == 3.0
    layer = correct_session.new("Linear", 3, 2)
    layer.call("forward", np.ones((4, 3)))
    layer.call("backward", np.ones((4, 2)))
    assert session.take_in_place_writes() == [] and correct_session.take_in_place_writes() == []
