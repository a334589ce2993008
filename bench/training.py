"""Reference training against PyTorch on the CPU, and this machine's GEMM throughput.

Runs inside a child process whose BLAS thread count was fixed by the
environment before NumPy was imported (see :mod:`bench.child`); PyTorch is set
to the same count. Both trainings start from the same initial weights and walk
the same batches: the permutation of ``np.random.default_rng(seed)`` for each
epoch, as ``reference.train`` does.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from nngrade import reference
from nngrade.assignments.nn_from_scratch.maths.evaluate import init_params, predictions

SIZES = (784, 128, 10)
LR = 0.5
SQUARE = 2048
DTYPES = {"float64": np.float64, "float32": np.float32}


def torch_module():
    """The ``torch`` module, or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def layer_pairs(sizes=SIZES):
    """``(fan_in, fan_out)`` of each Linear layer."""
    return list(zip(sizes[:-1], sizes[1:]))


def training_flops(n_samples: int, epochs: int, *, input_gradient: bool, sizes=SIZES) -> float:
    """Floating-point operations of the matrix products of training (elementwise work not counted).

    Each sample costs ``2 * fan_in * fan_out`` per layer for the forward product,
    the same for the weight gradient ``x.T @ g`` and the same again for the input
    gradient ``g @ W.T``. The reference's ``Network.backward`` returns the input
    gradient of the first layer too (the API requires it); PyTorch skips it
    because the images do not require a gradient (``input_gradient=False``).
    """
    per_sample = 0.0
    for i, (fan_in, fan_out) in enumerate(layer_pairs(sizes)):
        products = 3 if (i > 0 or input_gradient) else 2
        per_sample += products * 2.0 * fan_in * fan_out
    return per_sample * n_samples * epochs


def batch_orders(n: int, batch_size: int, epochs: int, seed: int):
    """The index arrays of every step, exactly as ``reference.train`` draws them."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(epochs):
        order = rng.permutation(n)
        batches.extend(order[i:i + batch_size] for i in range(0, n, batch_size))
    return batches


class _FirstLinearNoInputGradient(reference.Linear):
    """The reference's first layer doing only PyTorch's work: the images need no gradient."""

    def backward(self, grad_y):
        self.dW = self.x.T @ grad_y
        self.db = grad_y.sum(axis=0)


def run_reference(data, params, batch_size: int, epochs: int, dtype, seed: int, *, input_gradient: bool = True):
    """Train the reference with ``reference.train``; returns (seconds, final parameters).

    ``input_gradient=False`` swaps in a first layer whose backward skips ``g @ W.T``
    (the product the API requires and PyTorch leaves out), so both sides do the same work.
    """
    first = reference.Linear if input_gradient else _FirstLinearNoInputGradient
    linears = [first(*SIZES[:2])] + [reference.Linear(a, b) for a, b in layer_pairs()[1:]]
    for i, linear in enumerate(linears):
        linear.W = params[2 * i].astype(dtype)
        linear.b = params[2 * i + 1].astype(dtype)
    net = reference.Network([linears[0], reference.Sigmoid(), linears[1]])
    x, y = data.x_train.astype(dtype), data.y_train.astype(dtype)
    began = time.perf_counter()
    reference.train(net, reference.SoftmaxCrossEntropyLoss(), x, y, epochs=epochs, lr=LR,
                    batch_size=batch_size, rng=np.random.default_rng(seed))
    seconds = time.perf_counter() - began
    return seconds, [p for linear in linears for p in (linear.W, linear.b)]


def run_torch(torch, data, params, batch_size: int, epochs: int, dtype, seed: int):
    """The same network, loss and SGD in PyTorch; returns (seconds, final parameters as NumPy)."""
    tdtype = torch.float64 if dtype is np.float64 else torch.float32
    model = torch.nn.Sequential(torch.nn.Linear(*SIZES[:2]), torch.nn.Sigmoid(), torch.nn.Linear(*SIZES[1:]))
    model = model.to(tdtype)
    with torch.no_grad():
        for i, layer in enumerate((model[0], model[2])):
            layer.weight.copy_(torch.from_numpy(params[2 * i].T.copy()))
            layer.bias.copy_(torch.from_numpy(params[2 * i + 1]))
    x = torch.from_numpy(data.x_train.astype(dtype))
    labels = torch.from_numpy(data.labels_train)
    optimiser = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = [torch.from_numpy(idx) for idx in batch_orders(len(labels), batch_size, epochs, seed)]
    began = time.perf_counter()
    total = 0.0
    for idx in batches:
        loss = loss_fn(model(x[idx]), labels[idx])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        total += loss.item() * len(idx)  # the reference's train() also reads every loss value
    seconds = time.perf_counter() - began
    final = []
    for layer in (model[0], model[2]):
        final += [layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()]
    return seconds, final


def accuracy(data, params) -> float:
    """Test accuracy of parameters, computed by the grader's own forward pass."""
    params64 = [np.asarray(p, dtype=np.float64) for p in params]
    return float(np.mean(predictions(params64, data.x_test, output_sigmoid=False) == data.labels_test))


#: Timed sides: the reference, the reference without the first layer's input gradient, PyTorch.
SIDES = ("reference", "same_work", "torch")


def measure_training(data, *, threads: int, batch_sizes, epochs: int, repeats: int, seed: int = 0) -> dict:
    """Interleaved repetitions of reference and PyTorch training for every batch size and dtype.

    Each repetition also times the large square matmul of each dtype
    (``ceiling_gflops``), so the fraction of the GEMM ceiling the training
    reaches compares figures measured side by side.

    Returns
    -------
    dict
        ``{"torch": version or None, "rows": [...]}``; each row has the batch
        size, dtype, median seconds of each side, their ratio, accuracies, the
        largest parameter difference between the two, and the run times.
    """
    torch = torch_module()
    if torch is not None:
        torch.set_num_threads(threads)
    params = init_params(SIZES, np.random.default_rng(seed))
    configs = [(b, name) for b in batch_sizes for name in DTYPES]
    times = {(b, name, side): [] for b, name in configs for side in SIDES}
    finals = {}
    squares = {name: _square_operands(dtype) for name, dtype in DTYPES.items()}
    ceilings = {name: [] for name in DTYPES}
    for rep in range(repeats):
        for name, operands in squares.items():
            ceilings[name].append(_gemm_rate(*operands))
        rotated = configs[rep % len(configs):] + configs[:rep % len(configs)]
        for batch_size, name in rotated:
            for side in SIDES[rep % len(SIDES):] + SIDES[:rep % len(SIDES)]:
                if side == "torch" and torch is None:
                    continue
                if side != "torch":
                    seconds, final = run_reference(data, params, batch_size, epochs, DTYPES[name], seed + 1,
                                                   input_gradient=side == "reference")
                else:
                    seconds, final = run_torch(torch, data, params, batch_size, epochs, DTYPES[name], seed + 1)
                times[(batch_size, name, side)].append(seconds)
                finals[(batch_size, name, side)] = final
    rows = []
    n = len(data.labels_train)
    for batch_size, name in configs:
        ref = statistics.median(times[(batch_size, name, "reference")])
        row = {"threads": threads, "batch_size": batch_size, "dtype": name, "epochs": epochs, "n_train": n,
               "ceiling_gflops": statistics.median(ceilings[name]),
               "reference_s": ref, "reference_runs": times[(batch_size, name, "reference")],
               "reference_accuracy": accuracy(data, finals[(batch_size, name, "reference")]),
               "reference_gflops": training_flops(n, epochs, input_gradient=True) / ref / 1e9}
        if torch is not None:
            tor = statistics.median(times[(batch_size, name, "torch")])
            same = statistics.median(times[(batch_size, name, "same_work")])
            row.update({"torch_s": tor, "torch_runs": times[(batch_size, name, "torch")], "ratio": ref / tor,
                        "same_work_s": same, "same_work_runs": times[(batch_size, name, "same_work")],
                        "same_work_ratio": same / tor,
                        "torch_accuracy": accuracy(data, finals[(batch_size, name, "torch")]),
                        "max_param_diff": max(float(np.max(np.abs(np.asarray(a, np.float64) - b)))
                                              for a, b in zip(finals[(batch_size, name, "reference")],
                                                              finals[(batch_size, name, "torch")]))})
        rows.append(row)
    return {"torch": None if torch is None else torch.__version__, "rows": rows}


def gemm_shapes(batch_sizes):
    """``(label, m, k, n)`` of the first layer's three training products per batch size, and a large square."""
    shapes = []
    fan_in, fan_out = SIZES[0], SIZES[1]
    for b in batch_sizes:
        shapes += [(f"x@W b={b}", b, fan_in, fan_out), (f"x.T@g b={b}", fan_in, b, fan_out),
                   (f"g@W.T b={b}", b, fan_out, fan_in)]
    shapes.append((f"square {SQUARE}", SQUARE, SQUARE, SQUARE))
    return shapes


def _square_operands(dtype):
    rng = np.random.default_rng(1)
    a, b = rng.random((SQUARE, SQUARE)).astype(dtype), rng.random((SQUARE, SQUARE)).astype(dtype)
    out = np.empty((SQUARE, SQUARE), dtype=dtype)
    np.matmul(a, b, out=out)  # warm-up
    return a, b, out


def _gemm_rate(a, b, out, minimum_seconds: float = 0.05) -> float:
    """GFLOP/s of ``np.matmul(a, b, out=out)`` over a block of at least ``minimum_seconds``."""
    flops = 2.0 * a.shape[0] * a.shape[1] * b.shape[1]
    count, began = 0, time.perf_counter()
    while True:
        np.matmul(a, b, out=out)
        count += 1
        elapsed = time.perf_counter() - began
        if elapsed >= minimum_seconds:
            return flops * count / elapsed / 1e9


def measure_gemm(*, threads: int, batch_sizes, repeats: int) -> dict:
    """Median GFLOP/s of NumPy matmul at the training's shapes and a large square, per dtype.

    Shapes are interleaved inside each repetition. Operands are C-contiguous
    except the transposed ones, which are views as in the reference.
    """
    rng = np.random.default_rng(0)
    operands = {}
    for name, dtype in DTYPES.items():
        for label, m, k, n in gemm_shapes(batch_sizes):
            a = rng.random((k, m)).astype(dtype).T if label.startswith("x.T") else rng.random((m, k)).astype(dtype)
            b = rng.random((n, k)).astype(dtype).T if label.startswith("g@W.T") else rng.random((k, n)).astype(dtype)
            operands[(name, label)] = (a, b, np.empty((m, n), dtype=dtype))
    rates = {key: [] for key in operands}
    for a, b, out in operands.values():
        np.matmul(a, b, out=out)  # warm-up: thread pool and caches
    for _ in range(repeats):
        for key, (a, b, out) in operands.items():
            rates[key].append(_gemm_rate(a, b, out))
    rows = [{"threads": threads, "dtype": name, "shape": label, "gflops": statistics.median(values)}
            for (name, label), values in rates.items()]
    return {"rows": rows}
