"""The performance suite's own logic (no timings are asserted)."""
import numpy as np

from bench.data import load_bench_data, synthetic_images, write_synthetic
from bench.report import evaluate_targets, render
from bench.training import batch_orders, training_flops


def test_training_flops_counts_three_products_per_layer_and_skips_the_input_gradient_for_torch():
    per_sample = 784 * 128 + 128 * 10
    assert training_flops(1, 1, input_gradient=True) == 6 * per_sample
    assert training_flops(10, 2, input_gradient=False) == 20 * (6 * per_sample - 2 * 784 * 128)


def test_batch_orders_match_reference_train():
    batches = batch_orders(10, 4, 2, seed=3)
    rng = np.random.default_rng(3)
    expected = []
    for _ in range(2):
        order = rng.permutation(10)
        expected += [order[0:4], order[4:8], order[8:10]]
    assert [b.tolist() for b in batches] == [e.tolist() for e in expected]


def test_synthetic_data_goes_through_the_grader_loader(tmp_path):
    images, labels = synthetic_images(rows=50)
    assert images.shape == (50, 28, 28) and images.dtype == np.uint8 and set(labels) <= set(range(10))
    folder = write_synthetic(tmp_path / "syn")
    data = load_bench_data(str(folder), synthetic=True)
    assert data.x_train.shape == (8000, 784) and data.x_test.shape == (2000, 784)
    assert data.y_train.shape == (8000, 10) and 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert "SYNTHETIC" in data.label


def _results():
    row = {"threads": 1, "batch_size": 64, "dtype": "float64", "epochs": 1, "n_train": 8000,
           "ceiling_gflops": 40.0, "reference_s": 0.2, "reference_accuracy": 0.9, "reference_gflops": 30.0,
           "torch_s": 0.25, "ratio": 0.8, "torch_accuracy": 0.9, "max_param_diff": 1e-16}
    names = ("xor.softmax_ce", "xor.mse", "xor.train_function", "mnist.accuracy")
    medians = {"worker_start": 0.2, "round_trip": 2e-4, "get_784x128": 5e-4, "store_mnist": 0.02,
               "training_compute": 0.8, "fresh.full.total": 3.4, "fresh.full.group.mnist": 2.5,
               "fresh.mnist.process_wall": 2.0, **{f"compute.{n}": 0.2 for n in names}}
    for case in ("fresh", "warm"):
        medians.update({f"{case}.none.total": 0.9, f"{case}.mnist.total": 1.3, f"{case}.mnist.setup": 0.25,
                        f"{case}.training_wall": 1.0, f"{case}.overhead_training": 0.2,
                        f"{case}.overhead_whole": 0.4, f"{case}.mnist.group.mnist": 0.4,
                        **{f"{case}.mnist.group.{g}": 0.1 for g in ("api", "forward", "xor")},
                        **{f"{case}.wall.{n}": 0.25 for n in names}})
    return {"meta": {"date": "d", "cpu": "cpu", "cores": 2, "python": "3", "numpy": "2", "blas": "b", "torch": "t",
                     "repeats": 5, "epochs": 1, "batch_repeats": 2, "command": "python -m bench", "load": [0.5, 0.7],
                     "grader_blas_threads": "1"},
            "data": {"label": "MNIST", "synthetic": False, "n_train": 8000, "n_test": 2000},
            "training": {1: {"torch": "t", "rows": [row]}},
            "grading": {"medians": medians, "runs": {}, "first_grade": 3.0, "first_grade_full": 5.0,
                        "mnist_steps": 125, "isolation": "bwrap", "not_passed": []},
            "batch": {"available": False, "reason": "nngrade.batch is not available", "rows": []}}


def test_targets_and_table():
    results = _results()
    results["targets"] = evaluate_targets(results)
    met = {t["target"]: t["met"] for t in results["targets"]}
    assert met["grading without MNIST"] is True
    assert met["MNIST check, 60k images, 1 epoch"] is True  # 0.4 * 7.5 = 3.0 and 2.5 measured
    assert met["reference vs PyTorch, batch 64"] is True
    assert met["reference training vs GEMM ceiling"] is True  # 30 / 40 = 75 %
    assert met["grader overhead"] is False
    assert met["batch throughput"] is None
    text = render(results)
    assert "EXTRAPOLATED" in text and "NOT AVAILABLE" in text and "Targets" in text


def test_the_compute_floor_repeats_every_training_check_without_fixture_files_for_the_hidden_set():
    """The hidden set is drawn per grade and never on disk: the floor must draw it the same way."""
    from bench.compute import CheckCompute

    compute = CheckCompute(None)  # its warm-up runs every task once
    assert set(compute.tasks) == {"xor.softmax_ce", "xor.mse", "xor.train_function"}
    measured = compute.measure(repeats=1)
    assert all(measured[name] > 0 for name in compute.tasks)
