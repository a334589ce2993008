"""The grading process uses one BLAS thread, unless the user chose otherwise."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _run(code: str, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    result = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


def test_importing_graders_first_sets_one_thread():
    seen = _run("import nngrade, os, json; import numpy; "
                f"print(json.dumps({{n: os.environ.get(n) for n in {VARIABLES!r}}}))")
    assert seen == dict.fromkeys(VARIABLES, "1")


def test_a_user_choice_is_kept():
    seen = _run("import nngrade, os, json; from nngrade.engine import blas; "
                "print(json.dumps([os.environ.get('OPENBLAS_NUM_THREADS'), blas.chosen_by_user()]))",
                OPENBLAS_NUM_THREADS="2")
    assert seen == ["2", {"OPENBLAS_NUM_THREADS": "2"}]


def test_numpy_loaded_first_is_limited_while_grading_only():
    pytest.importorskip("threadpoolctl")
    seen = _run("import json, numpy, threadpoolctl; from nngrade.engine import blas\n"
                "count = lambda: [i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas']\n"
                "before = count()\n"
                "with blas.single_thread():\n"
                "    with blas.single_thread():\n"
                "        inside = count()\n"
                "    still = count()\n"
                "print(json.dumps([before, inside, still, count()]))")
    before, inside, still, after = seen
    assert inside == still == [1] * len(before) and after == before
