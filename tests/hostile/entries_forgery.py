"""Hostile entries that forge results, escape with exceptions, patch the worker, or return strange values."""
from __future__ import annotations

import glob
import os
import shutil

from submissions import reference_source

from hostile.kit import (
    EVERYTHING,
    FAKE_RESULTS,
    INERT_MAY_PASS,
    SOFTMAX,
    Context,
    Entry,
    dedent,
    inert,
    reference_with,
    softmax_replaced,
)


def _no_stray_results(ctx: Context, outcome) -> None:
    """Nothing but the grader's report appeared where results could be forged."""
    assert list(ctx.grader_cwd.iterdir()) == [], f"files in the grader's cwd: {list(ctx.grader_cwd.iterdir())}"
    assert list(ctx.canary.iterdir()) == [], f"files in the canary folder: {list(ctx.canary.iterdir())}"
    assert glob.glob(f"/tmp/nngrade-hostile-{ctx.token}*") == []
    assert not os.path.lexists(f"/root/nngrade-hostile-{ctx.token}.json")
    assert sorted(p.name for p in ctx.output.parent.iterdir()) == ["results.json"]
    assert outcome.report["totals"]["score"] == sum(c["points"] for c in outcome.report["checks"])


def _no_stray_results_anywhere(ctx: Context, outcome) -> None:
    """Also the shared places (/autograder, /tmp/results.json, $HOME/results.json) are as they were."""
    before = (ctx.root / "shared-before.txt").read_text()
    after = repr([_state(p) for p in SHARED_RESULT_PATHS])
    if before != after and not os.path.exists("/autograder/source"):
        shutil.rmtree("/autograder", ignore_errors=True)  # created by an escaped submission: undo it
    assert before == after, f"shared result paths changed: {before} -> {after}"
    _no_stray_results(ctx, outcome)


def _fake_then_exit(ctx: Context):
    return ctx.write("fake_exit.py", reference_with(f'''
        import sys
        print({FAKE_RESULTS!r})
        sys.exit(0)
    '''))


def _fake_then_os_exit(ctx: Context):
    return ctx.write("fake_os_exit.py", reference_with(f'''
        import os, sys
        sys.stdout.write({FAKE_RESULTS!r} + "\\n")
        sys.stdout.flush()
        os._exit(0)
    '''))


SHARED_RESULT_PATHS = ("/autograder", "/tmp/results.json", os.path.expanduser("~") + "/results.json")


def _state(path: str):
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _results_files(ctx: Context):
    (ctx.root / "shared-before.txt").write_text(repr([_state(p) for p in SHARED_RESULT_PATHS]))
    targets = ["results.json", "/tmp/results.json", f"/tmp/nngrade-hostile-{ctx.token}.json",
               os.path.expanduser("~") + "/results.json", f"/root/nngrade-hostile-{ctx.token}.json",
               "/autograder/results/results.json", str(ctx.output), str(ctx.grader_cwd / "results.json"),
               str(ctx.canary / "results.json")]
    return ctx.write("results_files.py", reference_with(f'''
        import os
        for target in {targets!r}:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
                with open(target, "w") as handle:
                    handle.write({FAKE_RESULTS!r})
            except OSError:
                pass
        os._exit(0)
    '''))


def _atexit_writer(ctx: Context):
    return ctx.write("atexit_writer.py", reference_with(f'''
        import atexit, signal
        def _forge(*args):
            for target in ({str(ctx.output)!r}, {str(ctx.canary / "late.json")!r}, "results.json"):
                try:
                    with open(target, "w") as handle:
                        handle.write({FAKE_RESULTS!r})
                except OSError:
                    pass
        atexit.register(_forge)
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(signum, _forge)
    '''))


def _raises(kind: str, prelude: str = ""):
    def build(ctx: Context):
        return ctx.write(f"raises_{kind.lower()}.py", softmax_replaced(f"raise {kind}", prelude=prelude))
    return build


def _patch_numpy(ctx: Context):
    return ctx.write("patch_numpy.py", softmax_replaced("return np.zeros(np.shape(z))", prelude='''
        import numpy as np, numpy.testing
        np.allclose = lambda *args, **kwargs: True
        np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
        np.array_equal = lambda *args, **kwargs: True
        np.testing.assert_allclose = lambda *args, **kwargs: None
        np.testing.assert_array_equal = lambda *args, **kwargs: None
        np.testing.assert_array_almost_equal = lambda *args, **kwargs: None
    '''))


def _patch_builtins(ctx: Context):
    return ctx.write("patch_builtins.py", softmax_replaced("return np.zeros(np.shape(z))", prelude='''
        import builtins
        builtins.all = lambda iterable: True
        builtins.any = lambda iterable: False
        builtins.abs = lambda value: 0
        builtins.print = lambda *args, **kwargs: None
        builtins.NotImplementedError = SystemExit
    '''))


def _patch_grader(ctx: Context):
    # graders is not importable in the sandbox; the worker's own protocol module is. It is patched so
    # that the reply to each Softmax.forward claims a 1 TiB array, and may send object and complex dtypes.
    return ctx.write("patch_grader.py", inert('''
        import sys
        try:
            import nngrade.checks.compare as compare
            compare.assert_close = lambda *args, **kwargs: args[0]
            compare.mismatch_report = lambda *args, **kwargs: None
        except Exception:  # ImportError in bwrap, PermissionError under Landlock
            pass
        FORGE = {"next": False}
        protocol = sys.modules.get("_nngrade_protocol")
        if protocol is not None:
            protocol.ALLOWED_DTYPES = frozenset(list(protocol.ALLOWED_DTYPES) + ["|O", "<c16"])
            original = protocol.frame_buffers
            def forged(header, blobs):
                buffers = original(header, blobs)
                if not FORGE["next"]:
                    return buffers
                FORGE["next"] = False
                text = bytes(buffers[0][8:]).replace(b'"shape":[', b'"shape":[1099511627776,')
                head = bytes(buffers[0][:4]) + len(text).to_bytes(4, "little") + text
                return [memoryview(head)] + buffers[1:]
            protocol.frame_buffers = forged
    ''', hook='''
        def ANSWER(what, like, shape):
            if what == "Softmax.forward":
                FORGE["next"] = True
            return None
    '''))


def _package_shadow(broken: bool):
    def build(ctx: Context):
        folder = ctx.root / f"submission-{ctx.run}" / ("shadow_broken" if broken else "shadow_honest")
        folder.mkdir(parents=True, exist_ok=True)
        main = softmax_replaced("return np.zeros(np.shape(z))") if broken else reference_source()
        (folder / "nn.py").write_text(main)
        (folder / "json.py").write_text(dedent(f'''
            def dumps(*args, **kwargs):
                return {FAKE_RESULTS!r}
            def loads(*args, **kwargs):
                return {{"score": 100.0}}
        '''))
        (folder / "numpy.py").write_text(dedent('''
            def allclose(*args, **kwargs):
                return True
            def array_equal(*args, **kwargs):
                return True
            float64 = float
        '''))
        return folder
    return build


def _values(name: str, body: str, prelude: str = ""):
    def build(ctx: Context):
        return ctx.write(f"{name}.py", softmax_replaced(body, prelude=prelude))
    return build


ESCAPE = '''
    class Escape(BaseException):
        def __str__(self):
            raise Escape()
        __repr__ = __str__
'''
AGREEABLE = '''
    class Agreeable(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return np.ones(np.shape(inputs[0]), dtype=bool) if ufunc.nout == 1 else NotImplemented
        def __eq__(self, other):
            return True
        __ne__ = lambda self, other: False
        def __array_finalize__(self, obj):
            pass
'''
LIAR = '''
    class Liar:
        def __init__(self, z):
            self.z = np.asarray(z)
        def __array__(self, dtype=None, copy=None):
            return np.full(self.z.shape, 1.0 / self.z.shape[-1])
        def __eq__(self, other):
            return True
        def __float__(self):
            return 1.0
        def __len__(self):
            return len(self.z)
        def __getitem__(self, index):
            return self.__array__()[index]
        shape = property(lambda self: self.z.shape)
'''
NAN_INF = "out = np.full(np.shape(z), np.nan)\nout.flat[::3] = np.inf\nout.flat[1::3] = -np.inf\nreturn out"
DTYPES = ("global CALLS\nCALLS += 1\nkinds = [np.float16, np.complex128, np.int64, np.bool_]\n"
          "return np.ones(np.shape(z)).astype(kinds[CALLS % 4])")
HUGE = "global CALLS\nCALLS += 1\nif CALLS % 2:\n    return np.zeros(10**7)\nreturn [0.5] * 10**6"
NESTED = "out = 0.5\nfor _ in range(200):\n    out = [out]\nreturn out if np.shape(z)[0] % 2 else {(1, 2): out}"
IMPORT_FAILS = dict(honest=(), imports=False, expect=("not_run",), evidence="could not be imported")


def softmax_attack(name: str, category: str, attack: str, build, **options) -> Entry:
    """An entry whose attack sits in Softmax: the Softmax checks earn nothing, the rest stays full."""
    return Entry(name, category, attack, build, SOFTMAX, may_pass=INERT_MAY_PASS, **options)


ENTRIES = [
    Entry("fake_results_then_sys_exit", "forgery",
          "print a perfect Gradescope results JSON, then sys.exit(0) at import",
          _fake_then_exit, EVERYTHING, after=_no_stray_results, **IMPORT_FAILS),
    Entry("fake_results_then_os_exit", "forgery", "print a perfect results JSON, then os._exit(0) at import",
          _fake_then_os_exit, EVERYTHING, after=_no_stray_results, **IMPORT_FAILS),
    Entry("results_files_written_directly", "forgery",
          "write perfect results to the cwd, /tmp, $HOME, /root, /autograder/results and the grader's -o path, "
          "then os._exit(0)", _results_files, EVERYTHING, after=_no_stray_results_anywhere, landlock=True,
          **IMPORT_FAILS),
    Entry("results_forged_at_exit_and_on_signals", "forgery",
          "register atexit and SIGTERM/SIGHUP/SIGINT handlers that overwrite the results (otherwise correct)",
          _atexit_writer, (), after=_no_stray_results),
    softmax_attack("systemexit_inside_a_check", "exceptions", "Softmax.forward raises SystemExit",
                   _raises("SystemExit(0)"), evidence="raised SystemExit"),
    softmax_attack("keyboardinterrupt_inside_a_check", "exceptions", "Softmax.forward raises KeyboardInterrupt",
                   _raises("KeyboardInterrupt"), evidence="raised KeyboardInterrupt"),
    softmax_attack("custom_baseexception_inside_a_check", "exceptions",
                   "Softmax.forward raises a BaseException subclass whose __str__ and __repr__ raise too",
                   _raises("Escape()", prelude=ESCAPE), evidence="raised Escape"),
    softmax_attack("numpy_comparisons_patched", "monkeypatch",
                   "patch np.allclose, np.isclose, np.array_equal and np.testing.* to always agree; "
                   "Softmax returns zeros", _patch_numpy, expect=("failed",)),
    softmax_attack("builtins_patched", "monkeypatch",
                   "patch builtins all/any/abs/print and NotImplementedError; Softmax returns zeros",
                   _patch_builtins, expect=("failed",)),
    Entry("grader_modules_patched", "monkeypatch",
          "patch nngrade.checks.compare (not importable) and the worker's protocol module to forge frame headers",
          _patch_grader, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, evidence="exceeds the cap"),
    softmax_attack("json_and_numpy_shadowed_broken", "monkeypatch",
                   "a package whose json.py and numpy.py fake dumps/allclose; Softmax returns zeros",
                   _package_shadow(True), expect=("failed",)),
    Entry("json_and_numpy_shadowed_honest", "monkeypatch",
          "the reference next to a fake json.py and numpy.py: shadows must change nothing", _package_shadow(False), ()),
    softmax_attack("ndarray_subclass_overrides_ufuncs", "values",
                   "return an ndarray subclass whose __array_ufunc__, __eq__ and comparisons always agree (values 0)",
                   _values("subclass", "return np.zeros(np.shape(z)).view(Agreeable)", prelude=AGREEABLE),
                   expect=("failed",), evidence="do not match the reference"),
    softmax_attack("objects_lie_through_dunders", "values",
                   "return an object whose __eq__, __float__, __array__, __len__ and __getitem__ lie",
                   _values("liar", "return Liar(z)", prelude=LIAR), expect=("failed",),
                   evidence="returned dtype object"),
    softmax_attack("nan_and_inf_outputs", "values", "return NaN, +inf and -inf", _values("nan_inf", NAN_INF),
                   expect=("failed",), evidence="non-finite values"),
    softmax_attack("empty_outputs", "values", "return empty arrays", _values("empty", "return np.empty((0,))"),
                   expect=("failed",), evidence="returned an array of shape (0,)"),
    softmax_attack("broadcastable_outputs", "values", "return a (1, k) row that broadcasts to the right shape",
                   _values("broadcast", "k = np.shape(z)[1]\nreturn np.full((1, k), 1.0 / k)"),
                   expect=("failed",), evidence="returned an array of shape (1,"),
    softmax_attack("wrong_dtype_outputs", "values", "return float16, complex, int and bool arrays in turn",
                   _values("dtypes", DTYPES, prelude="CALLS = 0"), evidence="cannot be returned"),
    softmax_attack("object_dtype_outputs", "values", "return object arrays holding floats",
                   _values("objects", "out = np.empty(np.shape(z), dtype=object)\nout[...] = 0.5\nreturn out"),
                   evidence="dtype object cannot be returned"),
    softmax_attack("huge_outputs", "values",
                   "return an 80 MB array (over the 64 MiB reply cap) and a million-item list",
                   _values("huge", HUGE, prelude="CALLS = 0"), evidence="exceeds the cap"),
    softmax_attack("deeply_nested_outputs", "values", "return lists nested 200 deep and dicts with non-string keys",
                   _values("nested", NESTED), evidence="nested deeper"),
]
