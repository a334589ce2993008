"""Reference solution of the assignment: the definitive answer every check grades against.

The student template (``student_template/``) is generated from these files by
``nngrade template build``: code between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` becomes ``raise NotImplementedError("TODO: ...")``.
"""
from .layers import Linear, Sigmoid, Softmax
from .losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss
from .network import Network, train

__all__ = [
    "Sigmoid",
    "Softmax",
    "Linear",
    "MSELoss",
    "CrossEntropyLoss",
    "SoftmaxCrossEntropyLoss",
    "Network",
    "train",
]
