"""The student API of this assignment: the names, methods and signatures every check calls.

Read by the API check (:mod:`.checks.api`) and, through ``ASSIGNMENT.api``, by
the worker, which describes exactly these names of the submission.
"""
from __future__ import annotations

#: name -> {method: positional parameters after self}; "()" for functions lists all parameters.
API = {
    "Sigmoid": {"__init__": [], "forward": ["x"], "backward": ["grad_y"]},
    "Softmax": {"__init__": [], "forward": ["z"], "backward": ["grad_s"], "jacobian": ["z"]},
    "Linear": {"__init__": ["in_features", "out_features", "rng=None"], "forward": ["x"],
               "backward": ["grad_y"]},
    "MSELoss": {"__init__": [], "forward": ["pred", "target"], "backward": []},
    "CrossEntropyLoss": {"__init__": [], "forward": ["probs", "target"], "backward": []},
    "SoftmaxCrossEntropyLoss": {"__init__": [], "forward": ["logits", "target"], "backward": []},
    "Network": {"__init__": ["layers"], "forward": ["x"], "backward": ["grad_out"], "parameters": [],
                "step": ["lr"]},
    "train": ["network", "loss", "X", "Y", "*", "epochs", "lr", "batch_size", "rng"],
}
KEYWORDS = {"train": ("epochs", "lr", "batch_size", "rng")}

#: The names a submission must define, in the order of docs/API.md.
API_NAMES = tuple(API)
