"""The worker answers calls about a submission; failures of student code are reported."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sandbox_support import CORRECT_NN, FAST

import nngrade.sandbox
from nngrade.assignments.nn_from_scratch.training.worker_calls import train_steps
from nngrade.sandbox import (
    Limits,
    ProtocolError,
    RemoteObject,
    Rng,
    StaleReference,
    StudentError,
    UnsupportedValue,
    WorkerCrashed,
)


def load_locally(path):
    """Import the (trusted, test-written) submission into the test process for expected values."""
    spec = importlib.util.spec_from_file_location("local_nn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- correct code


def test_hello_describes_the_api(correct_session):
    hello = correct_session.hello()
    names = hello["names"]
    assert set(names) == {"Sigmoid", "Linear", "MSELoss", "Network", "train"}
    assert names["Linear"]["kind"] == "class"
    assert names["Linear"]["signature"] == "(n_in, n_out, rng=None)"
    assert names["Linear"]["methods"]["forward"] == "(self, x)"
    assert names["train"] == {"kind": "function", "methods": {},
                              "signature": "(net, loss, x, y, epochs, lr)"}
    assert "import_error" not in hello and hello["numpy"] == np.__version__


def test_method_calls_return_plain_arrays(correct_session):
    sigmoid = correct_session.new("Sigmoid")
    x = np.array([[-1.0, 0.0, 2.0], [np.inf, -np.inf, 0.5]])
    out = sigmoid.call("forward", x)
    assert type(out) is np.ndarray and out.dtype == np.float64
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-x)))
    grad = sigmoid.call("backward", np.ones_like(x))
    np.testing.assert_allclose(grad, out * (1 - out))


def test_rng_placeholder_getattr_setattr_and_returned_objects(correct_session):
    linear = correct_session.new("Linear", 3, 2, rng=Rng(5))
    expected = np.random.default_rng(5).normal(0.0, 0.5, size=(3, 2))
    np.testing.assert_array_equal(linear.get("W"), expected)
    linear.set("W", np.eye(3, 2))
    np.testing.assert_array_equal(linear.call("forward", np.ones((1, 3))), [[1.0, 1.0]])
    net = correct_session.new("Network", [linear, correct_session.new("Sigmoid")])
    layers = net.get("layers")
    assert [type(layer) for layer in layers] == [RemoteObject, RemoteObject]
    assert layers[0].ref_id == linear.ref_id and layers[1].type_name == "Sigmoid"


def test_unsupported_return_value_names_the_method_and_type(make_session):
    session = make_session({"nn.py": """
        class Foo:
            pass
        class Softmax:
            def forward(self, x):
                return {1, 2}
        def helper():
            return Foo()
    """})
    with pytest.raises(UnsupportedValue, match=r"Softmax.forward returned an object of type 'set'"):
        session.new("Softmax").call("forward", 1.0)
    # Objects of the submission's own classes come back as handles instead.
    assert session.func("helper").type_name == "Foo"


def test_stored_arrays_and_train_steps_match_a_local_run(make_session, tmp_path):
    session = make_session({"nn.py": CORRECT_NN})
    local = load_locally(tmp_path / "submission0" / "nn.py")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 4), dtype=np.uint8)
    targets = rng.normal(size=(12, 1))
    x = session.store("x", images, scale=1 / 255)
    batches = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [3, 2, 1, 0]])
    remote_net = session.new("Network", [session.new("Linear", 4, 3, rng=Rng(1)),
                                         session.new("Sigmoid"),
                                         session.new("Linear", 3, 1, rng=Rng(2))])
    result = train_steps(session, remote_net, session.new("MSELoss"), x, targets, batches,
                                 lr=0.5, snapshots=[0, 3])

    net = local.Network([local.Linear(4, 3, np.random.default_rng(1)), local.Sigmoid(),
                         local.Linear(3, 1, np.random.default_rng(2))])
    loss, xs, expected = local.MSELoss(), images.astype(np.float64) * (1 / 255), []
    for idx in batches:
        expected.append(loss.forward(net.forward(xs[idx]), targets[idx]))
        net.backward(loss.backward())
        net.step(0.5)
    np.testing.assert_allclose(result["losses"], expected, rtol=0, atol=0)
    assert [snap["step"] for snap in result["snapshots"]] == [0, 3]
    last = result["snapshots"][1]
    for before, grad, after in zip(last["params"], last["grads"], last["updated"]):
        np.testing.assert_allclose(after, before - 0.5 * grad)
    np.testing.assert_allclose(last["updated"][0], net.layers[0].W)


def test_stored_array_is_scaled_in_the_worker(make_session):
    session = make_session({"nn.py": "def echo(a):\n    return a\n"})
    images = np.arange(10, dtype=np.uint8).reshape(2, 5)
    handle = session.store("images", images, scale=1 / 255)
    out = session.func("echo", handle)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, images.astype(np.float64) * (1 / 255))


def test_student_train_function_is_callable(correct_session):
    net = correct_session.new("Network", [correct_session.new("Linear", 2, 1, rng=Rng(0))])
    history = correct_session.func("train", net, correct_session.new("MSELoss"),
                                   np.ones((4, 2)), np.zeros((4, 1)), 5, 0.1)
    assert len(history) == 5 and all(type(v) is float for v in history)
    assert history[-1] < history[0]


# ----------------------------------------------------------------------------- output


def test_prints_are_captured_per_call_and_do_not_corrupt_replies(make_session):
    session = make_session({"nn.py": """
        import sys
        print("at import")
        def noisy(n):
            print("stdout", n)
            print("stderr", n, file=sys.stderr)
            return n * 2
    """})
    session.hello()
    assert session.take_output() == "at import\n"
    assert session.func("noisy", 21) == 42
    assert session.take_output() == "stdout 21\nstderr 21\n"
    assert session.func("noisy", 1) == 2
    assert session.take_output() == "stdout 1\nstderr 1\n"


def test_300_megabytes_of_output_are_drained_capped_and_survived(make_session):
    session = make_session({"nn.py": """
        import sys
        def flood():
            sys.stdout.write("a" + "x" * 300_000_000 + "z")
            return 7
        def quiet():
            return 8
    """}, limits=Limits(call_timeout=60.0, output_cap=1024))
    assert session.func("flood") == 7
    text = session.take_output()
    assert len(text) < 1200
    assert text.startswith("axxx") and text.endswith("xxz")
    assert "[299998978 bytes of output omitted]" in text
    assert session.func("quiet") == 8  # the same worker keeps working
    assert session.take_output() == ""
    assert session.generation == 1


# ----------------------------------------------------------------------------- exceptions


@pytest.mark.parametrize("body, kind", [
    ("raise ValueError('bad shape')", "ValueError"),
    ("import sys; sys.exit(0)", "SystemExit"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("raise Custom('weird')", "Custom"),
    ("return f()", "RecursionError"),
])
def test_exceptions_in_student_code_become_student_errors(make_session, body, kind):
    session = make_session({"nn.py": f"""
        class Custom(BaseException):
            pass
        def f():
            return f()
        def boom():
            {body}
        def fine():
            return 1
    """})
    with pytest.raises(StudentError) as info:
        session.func("boom")
    assert info.value.type == kind
    assert "boom" in info.value.traceback
    assert session.func("fine") == 1
    assert session.generation == 1  # the same worker survived


def test_import_time_syntax_error_is_reported_with_its_line(make_session):
    session = make_session({"nn.py": "import numpy as np\n\ndef ok():\n    return 1\n\nx = = 2\n"})
    hello = session.hello()
    assert hello["names"] == {}
    error = hello["import_error"]
    assert error["type"] == "SyntaxError" and error["line"] == 6 and error["file"] == "nn.py"
    with pytest.raises(StudentError, match="importing 'nn' failed"):
        session.new("Sigmoid")


@pytest.mark.parametrize("source, kind", [
    ("import sys\nsys.exit(3)\n", "SystemExit"),
    ("import does_not_exist\n", "ModuleNotFoundError"),
    ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
])
def test_import_time_failures_are_reported_by_hello(make_session, source, kind):
    hello = make_session({"nn.py": source}).hello()
    assert hello["import_error"]["type"] == kind


def test_package_entry_and_student_modules_named_like_stdlib_do_not_break_the_worker(make_session):
    session = make_session({
        "numpy.py": "raise RuntimeError('the fake numpy was imported')\n",
        "json.py": "raise RuntimeError('the fake json was imported')\n",
        "inspect.py": "raise RuntimeError('the fake inspect was imported')\n",
        "solution/__init__.py": "from .layers import Sigmoid\n",
        "solution/layers.py": """
            import numpy as np
            class Sigmoid:
                def forward(self, x):
                    return 1 / (1 + np.exp(-x))
                def where(self):
                    return np.__file__
        """,
    }, entry="solution")
    assert set(session.hello()["names"]) == {"Sigmoid"}
    sigmoid = session.new("Sigmoid")
    assert sigmoid.call("forward", 0.0) == 0.5
    assert "site-packages" in sigmoid.call("where")


# ----------------------------------------------------------------------------- process ends


def test_os_exit_is_a_crash_with_its_status_and_the_session_recovers(make_session):
    session = make_session({"nn.py": """
        import os
        class Sigmoid:
            def forward(self, x):
                os._exit(3)
        def fine():
            return 1
    """})
    sigmoid = session.new("Sigmoid")
    with pytest.raises(WorkerCrashed, match=r"exited with status 3 \(sys.exit/os._exit"):
        sigmoid.call("forward", 1.0)
    assert session.func("fine") == 1
    assert session.generation == 2
    with pytest.raises(StaleReference):
        sigmoid.call("forward", 1.0)


def test_segfault_is_reported_as_sigsegv(make_session):
    session = make_session({"nn.py": """
        import ctypes
        def crash():
            return ctypes.string_at(0)
        def fine():
            return 2
    """})
    with pytest.raises(WorkerCrashed, match="SIGSEGV"):
        session.func("crash")
    assert session.func("fine") == 2


def test_garbage_on_the_reply_channel_is_a_protocol_error(make_session):
    session = make_session({"nn.py": """
        import os, sys
        def forge():
            os.write(int(sys.argv[2]), b"this is not a frame at all")
            return 1
        def fine():
            return 3
    """})
    with pytest.raises(ProtocolError, match="magic"):
        session.func("forge")
    assert session.func("fine") == 3


def test_reply_over_the_cap_is_refused(make_session):
    session = make_session({"nn.py": """
        import numpy as np
        def big():
            return np.zeros(1_000_000)
        def small():
            return np.zeros(10)
    """}, limits=Limits(call_timeout=FAST.call_timeout, reply_cap=1 << 20))
    with pytest.raises(ProtocolError, match="cap"):
        session.func("big")
    assert session.func("small").shape == (10,)


def test_a_forked_child_never_sends_a_reply(make_session):
    session = make_session({"nn.py": """
        import os
        def fork_and_return():
            pid = os.fork()
            if pid:
                os.waitpid(pid, 0)
            return "parent" if pid else "child"
        def fine():
            return 4
    """})
    assert session.func("fork_and_return") == "parent"
    assert session.func("fine") == 4
    assert session.generation == 1


def test_a_well_formed_forged_reply_is_still_validated(make_session):
    session = make_session({"nn.py": """
        import os, sys, time
        def forge():
            wire = sys.modules["_nngrade_protocol"]
            # The first request of a fresh worker has id 1; claim an array that does not exist.
            wire.write_frame(int(sys.argv[2]), {"id": 1, "ok": True, "value": {"t": "arr", "i": 9}}, [])
            time.sleep(30)
        def fine():
            return 5
    """})
    with pytest.raises(ProtocolError, match="array index"):
        session.func("forge")
    assert session.func("fine") == 5
    assert session.generation == 2


CLOSE_FDS = """
import os, resource, sys
sys.path.insert(0, sys.argv[1])
import worker
keep = os.dup2(os.open(os.devnull, os.O_RDONLY), 5)
for fd in (7, 200):
    os.dup2(os.open(os.devnull, os.O_RDONLY), fd)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
def unreadable(path):
    raise PermissionError(13, "Permission denied", path)
os.listdir = unreadable  # as at the landlock level, where /proc cannot be read
worker.close_other_fds({5})
def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
print([is_open(fd) for fd in (5, 7, 200)])
"""


def test_inherited_descriptors_are_closed_even_without_proc_and_above_the_open_files_limit():
    folder = Path(nngrade.sandbox.__file__).parent / "inside"
    result = subprocess.run([sys.executable, "-c", CLOSE_FDS, str(folder)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[True,", "False,", "False]"]
