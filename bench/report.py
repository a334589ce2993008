"""Targets, the printed table and the JSON document of a benchmark run."""
from __future__ import annotations

import json
from pathlib import Path

from bench.data import FULL_TRAIN_ROWS as FULL_TRAIN
from bench.grading import TRAINING_CHECKS
from bench.training import SQUARE


def _fmt(value, spec: str = ".3f", missing: str = "n/a") -> str:
    return missing if value is None else format(value, spec)


def _seconds(value) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _table(headers, rows) -> list[str]:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cells[0], widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells[1:]]
    return ["  " + line.rstrip() for line in lines]


def training_row(training: dict, threads: int, batch: int, dtype: str) -> dict | None:
    for row in training.get(threads, {}).get("rows", []):
        if row["batch_size"] == batch and row["dtype"] == dtype:
            return row
    return None


def evaluate_targets(results: dict) -> list[dict]:
    """Each target with the measured value and whether it is met (None: not measured)."""
    targets = []

    def add(name, goal, measured, met, note=""):
        targets.append({"target": name, "goal": goal, "measured": measured, "met": met, "note": note})

    grading = results.get("grading", {}).get("medians", {})
    value = grading.get("fresh.none.total")
    warm = grading.get("warm.none.total")
    add("grading without MNIST", "<= 1 s",
        f"{_fmt(value, '.2f')} s fresh, {_fmt(warm, '.2f')} s warm" if value is not None else "n/a",
        None if value is None else value <= 1.0, "report duration of a one-off grade (fresh process)")
    mnist = grading.get("fresh.mnist.group.mnist")
    n_train = results.get("data", {}).get("n_train")
    extrapolated = mnist * FULL_TRAIN / n_train if mnist is not None and n_train else None
    measured_full = grading.get("fresh.full.group.mnist")
    worst = max((v for v in (extrapolated, measured_full) if v is not None), default=None)
    text = (f"{n_train // 1000}k: {_seconds(mnist)}; 60k extrapolated {_seconds(extrapolated)}; "
            f"60k synthetic {_seconds(measured_full)}")
    add("MNIST check, 60k images, 1 epoch", "<= 5 s", text if mnist is not None else "n/a",
        None if worst is None else worst <= 5.0, "met only if both 60k figures are within the goal")
    row = training_row(results.get("training", {}), 1, 64, "float64")
    ratio = row.get("ratio") if row else None
    add("reference vs PyTorch, batch 64", "<= 1.0x", _fmt(ratio, ".2f") + "x" if ratio is not None else "n/a",
        None if ratio is None else ratio <= 1.0, "1 thread each, float64 (the grading configuration)")
    same = row.get("same_work_ratio") if row else None
    add("  the same, without the input gradient PyTorch skips", "<= 1.0x",
        _fmt(same, ".2f") + "x" if same is not None else "n/a", None if same is None else same <= 1.0,
        "the reference's first layer minus g @ W.T, which the API's Network.backward must return")
    fraction = row["reference_gflops"] / row["ceiling_gflops"] if row else None
    add("reference training vs GEMM ceiling", ">= 60%", _fmt(fraction, ".0%") if fraction is not None else "n/a",
        None if fraction is None else fraction >= 0.60, f"batch 64, float64, 1 thread; ceiling = {SQUARE}^3 matmul")
    overhead = grading.get("fresh.overhead_training")
    warm_overhead = grading.get("warm.overhead_training")
    add("grader overhead", "<= 10%",
        f"{_fmt(overhead, '.0%')} fresh, {_fmt(warm_overhead, '.0%')} warm" if overhead is not None else "n/a",
        None if overhead is None else overhead <= 0.10, "training checks (XOR + MNIST), fresh process; see above")
    batch = results.get("batch")
    rate = next((r["per_minute"] for r in (batch or {}).get("rows", [])
                 if r["setup"] == "--jobs 2" and r["data"] == "with MNIST"), None)
    missing = "not measured" if batch is None else "not available"
    add("batch throughput", ">= 60 submissions/min", _fmt(rate, ".0f") + "/min" if rate is not None else missing,
        None if rate is None else rate >= 60, "--jobs 2, full grading with MNIST")
    return targets


def render(results: dict) -> str:
    """The whole printed report."""
    meta, lines = results["meta"], []
    lines += [f"nngrade performance  {meta['date']}",
              f"machine: {meta['cpu']}, {meta['cores']} cores; Python {meta['python']}, NumPy {meta['numpy']} "
              f"({meta['blas']}), PyTorch {meta['torch'] or 'not installed'}",
              f"load average (1 min) at start / end: {meta['load'][0]:.2f} / {meta['load'][1]:.2f} "
              f"(the machine is shared; higher means noisier figures)",
              f"BLAS threads of the grading process: {meta.get('grader_blas_threads', 'n/a')}",
              f"data: {results['data']['label']}", f"command: {meta['command']}", ""]
    training, gemm = results.get("training", {}), results.get("gemm", {})
    if training:
        lines.append(f"Reference training vs PyTorch: 784-128-10 sigmoid MLP, softmax cross-entropy, SGD lr 0.5, "
                     f"{meta['epochs']} epoch(s), same initial weights and batches; median of {meta['repeats']}")
        rows = []
        for threads, part in sorted(training.items()):
            for r in part["rows"]:
                peak = r["ceiling_gflops"]
                rows.append([threads, r["batch_size"], r["dtype"], _fmt(r["reference_s"]), _fmt(r.get("torch_s")),
                             _fmt(r.get("ratio"), ".2f"), _fmt(r.get("same_work_ratio"), ".2f"),
                             _fmt(r["reference_accuracy"], ".4f"),
                             _fmt(r.get("torch_accuracy"), ".4f"), _fmt(r.get("max_param_diff"), ".1e"),
                             _fmt(r["reference_gflops"], ".1f"), _fmt(peak, ".1f"),
                             _fmt(r["reference_gflops"] / peak, ".0%")])
        lines += _table(["threads", "batch", "dtype", "ref s", "torch s", "ref/torch", "same work", "ref acc", "torch acc",
                         "max|dparam|", "ref GFLOP/s", "ceiling", "of ceiling"], rows)
        if not meta["torch"]:
            lines.append("  PyTorch is not installed: its columns are n/a (pip install torch to measure them).")
        lines += [f"  ceiling: GFLOP/s of a {SQUARE}x{SQUARE} matmul, same dtype and threads, timed in the same",
                  "  repetitions.",
                  "  ref GFLOP/s counts the matmuls the reference performs: forward, x.T@g and g@W.T for both",
                  "  layers (its Network.backward also returns the input gradient; PyTorch skips that product,",
                  "  a third of the first layer's work). Elementwise work is not counted.",
                  "  same work: the reference's time with its first layer skipping that product, over PyTorch's.", ""]
    if gemm:
        lines.append("GEMM throughput, numpy matmul (GFLOP/s, median): the first layer's training products "
                     "and a large square")
        shapes = [r["shape"] for r in next(iter(gemm.values()))["rows"] if r["dtype"] == "float64"]
        rows = []
        for threads, part in sorted(gemm.items()):
            for dtype in ("float64", "float32"):
                by_shape = {r["shape"]: r["gflops"] for r in part["rows"] if r["dtype"] == dtype}
                rows.append([threads, dtype] + [_fmt(by_shape.get(s), ".1f") for s in shapes])
        lines += _table(["threads", "dtype"] + shapes, rows) + [""]
    lines += _grading_lines(results)
    lines += _batch_lines(results)
    lines.append("Targets")
    lines += _table(["target", "goal", "measured", "met", "note"],
                    [[t["target"], t["goal"], t["measured"], {True: "yes", False: "NO", None: "n/a"}[t["met"]],
                      t["note"]] for t in results["targets"]])
    return "\n".join(lines) + "\n"


def _grading_lines(results: dict) -> list[str]:
    grading = results.get("grading")
    if not grading:
        return []
    m, n_train, meta = grading["medians"], results["data"]["n_train"], results["meta"]

    def both(key: str, scale: float = 1.0, spec: str = ".3f") -> list[str]:
        return [_fmt(m[f"{case}.{key}"] * scale if f"{case}.{key}" in m else None, spec) for case in ("fresh", "warm")]

    families = [k.split(".group.")[1] for k in m if k.startswith("fresh.mnist.group.")]
    rows = [["set-up before the first check (probe, load, stage, worker start)"] + both("mnist.setup")]
    rows += [[f"check family {g} (sum of its checks' durations)"] + both(f"mnist.group.{g}") for g in families]
    rows += [["total without MNIST"] + both("none.total"),
             [f"total with MNIST ({n_train} training images)"] + both("mnist.total"),
             ["  process wall time of `python -m graders grade` (interpreter, imports, report)",
              _fmt(m.get("fresh.mnist.process_wall")), ""],
             ["  the very first grade (the grader also trains the reference for its accuracy, then caches it)",
              _fmt(grading["first_grade"]), ""]]
    if "fresh.full.total" in m:
        rows += [["MNIST check, 60k synthetic training images (measured)", _fmt(m["fresh.full.group.mnist"]), ""],
                 ["total with MNIST, 60k synthetic training images", _fmt(m["fresh.full.total"]), ""],
                 ["  the very first grade at 60k", _fmt(grading.get("first_grade_full")), ""]]
    rows += [[f"MNIST check, 60k-equivalent (EXTRAPOLATED: x {FULL_TRAIN}/{n_train})"]
             + both("mnist.group.mnist", FULL_TRAIN / n_train),
             ["worker start (new session: spawn, sandbox, import, hello)", _fmt(m["worker_start"]), ""],
             ["protocol round trip, small call (ms)", _fmt(m["round_trip"] * 1e3, ".2f"), ""],
             ["get a 784x128 float64 array (ms)", _fmt(m["get_784x128"] * 1e3, ".2f"), ""],
             [f"store the {n_train} MNIST training images in the worker (ms)", _fmt(m["store_mnist"] * 1e3, ".1f"), ""]]
    lines = [f"Grading latency of the reference (sandbox {grading['isolation']}; median of {meta['repeats']}; seconds)",
             "  fresh: `python -m graders grade` in a new process (one-off grading); warm: grade() again in one",
             "  process, as nngrade batch does after its first submission (in-memory caches filled)."]
    lines += _table(["what", "fresh", "warm"], rows)
    if grading["not_passed"]:
        lines.append(f"  checks not passed: {', '.join(grading['not_passed'])}")
    lines += ["", "Grader overhead = (wall time of the checks - the reference's own compute of the same calls)"
              " / wall time.",
              "  compute: the identical forward/loss/backward/step (and train) calls with the same parameters, batches",
              "  and learning rates, run in a plain process with one BLAS thread like the worker; wall: the checks'",
              "  durations in the report. Compute is measured just before and just after each repetition's grades",
              "  (their mean); median of the per-repetition ratios."]
    rows = []
    for name in TRAINING_CHECKS:
        work = m[f"compute.{name}"]
        rows.append([name, _fmt(work)] + [item for case in ("fresh", "warm") for item in (
            _fmt(m[f"{case}.wall.{name}"]), _fmt((m[f"{case}.wall.{name}"] - work) / m[f"{case}.wall.{name}"], ".0%"))])
    rows.append(["training checks (headline)", _fmt(m["training_compute"])]
                + [item for case in ("fresh", "warm") for item in (
                    _fmt(m[f"{case}.training_wall"]), _fmt(m[f"{case}.overhead_training"], ".0%"))])
    rows.append(["whole grade with MNIST (other checks' compute counted as 0)", _fmt(m["training_compute"])]
                + [item for case in ("fresh", "warm") for item in (
                    _fmt(m[f"{case}.mnist.total"]), _fmt(m[f"{case}.overhead_whole"], ".0%"))])
    if "fresh.wall_over_floor" in m:
        rows.append(["whole process (interpreter to report written) / floor (the compute above)",
                     _fmt(m["training_compute"]), _fmt(m.get("fresh.mnist.process_wall")),
                     _fmt(m["fresh.wall_over_floor"], ".2f") + "x", "", ""])
    return lines + _table(["checks (public + hidden)", "compute s", "fresh wall s", "fresh overhead",
                           "warm wall s", "warm overhead"], rows) + [""]


def _batch_lines(results: dict) -> list[str]:
    batch = results.get("batch")
    if batch is None:
        return []
    if not batch["available"]:
        return ["Batch throughput: NOT AVAILABLE: " + batch["reason"], ""]
    count = batch["rows"][0]["submissions"] if batch["rows"] else 0
    lines = [f"Batch throughput (run_batch on {count} copies of the reference; submissions/min, median of "
             f"{results['meta']['batch_repeats']}; wall time of the whole run_batch call)"]
    labels = sorted({r["data"] for r in batch["rows"]}, reverse=True)
    setups = list(dict.fromkeys(r["setup"] for r in batch["rows"]))
    by_key = {(r["setup"], r["data"]): r for r in batch["rows"]}
    rows = [[s] + [_fmt(by_key[(s, d)]["per_minute"], ".1f") for d in labels] for s in setups]
    lines += _table(["setup"] + labels, rows)
    if batch.get("dask_start_seconds") is not None:
        lines.append("  the Dask LocalCluster (2 single-threaded worker processes, as --scheduler local:2) was "
                     f"started once beforehand, in {batch['dask_start_seconds']:.1f} s, not counted above")
    for r in batch["rows"]:
        for error in r["errors"]:
            lines.append(f"  {r['setup']} {r['data']}: {error}")
    return lines + [""]


def write_json(results: dict, path: Path) -> None:
    """Write the results (string keys everywhere) as indented JSON."""
    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    path.write_text(json.dumps(plain(results), indent=2, sort_keys=True) + "\n")
