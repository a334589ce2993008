"""Worker program: imports a submission and answers requests about it.

Usage::

    python -I -B -u worker.py IN_FD OUT_FD SUBMISSION_DIR ENTRY_MODULE
    python -I -B -u worker.py - - SUBMISSION_DIR ENTRY_MODULE

Runs inside the sandbox next to a copy of ``protocol.py``. Everything the
worker needs is imported *before* the submission directory is put on
``sys.path``, so a student's ``numpy.py`` or ``json.py`` cannot shadow it.
Requests and replies travel on the two dedicated file descriptors (or, given
``-`` for both, on stdin and stdout, see ``stdio.py``); the student's stdout
and stderr are left to the grader's capture pipe.
"""
import functools
import importlib
import importlib.util
import inspect
import os
import sys
import traceback

import numpy as np


def _load_sibling(name):
    """Import the sibling ``name.py`` under a private name (not via sys.path)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_nngrade_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


protocol = _load_sibling("protocol")
cells = _load_sibling("cells")
import_guard = _load_sibling("import_guard")
inplace = _load_sibling("inplace")
#: Set by the landlock level: the launcher's seccomp filter had to allow execve
#: to start this program; the worker forbids it before any student code runs.
DENY_EXEC_VARIABLE = "NNGRADE_DENY_EXEC"

#: A request that runs several others (see :meth:`Worker.handle_batch`), and those it may run.
BATCH_OP = "calls"
BATCHABLE_OPS = ("new", "call", "func", "getattr", "setattr")
#: Files beside this one named ``plugin_*.py`` are the assignment's worker operations.
PLUGIN_PREFIX = "plugin_"
TEXT_CAP = 8192
#: Share of a request's timeout that running a notebook's cells may use at import.
IMPORT_BUDGET_SHARE = 0.8
DEFAULT_TIMEOUT = 10.0
MAX_REQUEST_BYTES = 1 << 30


def cap_text(text, limit=TEXT_CAP):
    """Keep the head and tail of `text` within `limit` characters."""
    text = str(text)
    if len(text) <= limit:
        return text
    half = limit // 2 - 20
    return f"{text[:half]}\n... [{len(text) - 2 * half} characters cut] ...\n{text[-half:]}"


def describe_exception(exc, context=""):
    """Turn any exception into the reply's error dict, never raising."""
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001 - a student __str__ may fail
        message = "<the exception message could not be converted to text>"
    try:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except BaseException:  # noqa: BLE001
        trace = ""
    if isinstance(exc, NotImplementedError) and not context:
        context = _raised_in(exc)  # the stub that is still a TODO, e.g. "Softmax.forward"
    if context:
        message = f"{context}: {message}"
    return {"type": type(exc).__name__, "message": cap_text(message), "traceback": cap_text(trace)}


def _raised_in(exc) -> str:
    """Qualified name of the function that raised ``exc`` ('' when unknown)."""
    try:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        code = tb.tb_frame.f_code
        if hasattr(code, "co_qualname"):  # Python >= 3.11
            return str(code.co_qualname)
        owner = tb.tb_frame.f_locals.get("self")
        return f"{type(owner).__name__}.{code.co_name}" if owner is not None else str(code.co_name)
    except BaseException:  # noqa: BLE001 - never fail while describing a failure
        return ""


class Worker:
    """State of one worker: the imported module, object table and stored arrays."""

    def __init__(self, in_fd, out_fd, submission_dir, entry, end_output=None):
        self.in_fd, self.out_fd = in_fd, out_fd
        self.end_output = end_output  # the plain channel: end_output(request_id) marks the end of a call's output
        self.submission_dir = os.path.realpath(submission_dir)
        self.entry = entry
        self.module = None
        self.import_error = None
        self.cell_reports = []
        self.imported = False
        self.objects = {}
        self.ids_by_identity = {}
        self.stored = {}
        self.next_id = 1
        self.guard = None
        self.mutated = []  # the arguments the current request's call wrote into (see inplace.py)
        self.pid = os.getpid()
        for name, operation in load_plugin_operations().items():
            setattr(self, f"op_{name}", functools.partial(operation, self))

    # ----------------------------------------------------------------- import
    def import_submission(self, timeout=None):
        self.imported = True
        self.guard = import_guard.install_import_guard(self.submission_dir)
        sys.path.insert(0, self.submission_dir)
        notebook = cells.cells_path(self.submission_dir, self.entry)
        try:
            if os.path.isfile(notebook):  # a converted notebook: its cells run one by one
                budget = IMPORT_BUDGET_SHARE * (timeout if isinstance(timeout, (int, float)) else DEFAULT_TIMEOUT)
                self.module, self.cell_reports = cells.run_cells(notebook, self.entry, budget)
            else:
                self.module = importlib.import_module(self.entry)
        except BaseException as exc:  # noqa: BLE001 - SystemExit etc. are student faults
            self.import_error = describe_exception(exc, f"importing {self.entry!r} failed")
            if isinstance(exc, SyntaxError) and exc.lineno:
                self.import_error["line"] = exc.lineno
                self.import_error["file"] = os.path.basename(exc.filename or "")

    # ----------------------------------------------------------------- values
    def is_student_object(self, value):
        module = sys.modules.get(type(value).__module__)
        path = getattr(module, "__file__", None) or ""
        return os.path.realpath(path).startswith(self.submission_dir + os.sep)

    def register(self, value):
        key = id(value)
        if key in self.ids_by_identity:
            return protocol.Ref(self.ids_by_identity[key], type(value).__name__)
        ref_id, self.next_id = self.next_id, self.next_id + 1
        self.objects[ref_id] = value
        self.ids_by_identity[key] = ref_id
        return protocol.Ref(ref_id, type(value).__name__)

    def encode_result(self, value, blobs, what):
        def fallback(item):
            if self.is_student_object(item):
                return protocol.encode(self.register(item))[0]
            raise protocol.UnsupportedValue(
                f"{what} an object of type {type(item).__name__!r}, expected a numpy array, "
                "a number, a bool, None or a list of those"
            )

        try:
            return protocol.encode(value, blobs, fallback=fallback)[0]
        except protocol.UnsupportedValue as exc:
            message = str(exc)
            raise protocol.UnsupportedValue(message if message.startswith(what) else f"{what} {message}")

    def decode_args(self, part, arrays, copy_stored=True):
        """Decode a request part; stored arrays are copied unless the caller only indexes them."""
        return protocol.decode(part, arrays, tags={
            "ref": lambda p: self.lookup(p.get("id")),
            "rng": lambda p: np.random.default_rng(int(p["seed"])),
            "stored": lambda p: (np.array(self.stored_array(p.get("name")), copy=True) if copy_stored
                                 else self.stored_array(p.get("name"))),
        })

    def lookup(self, ref_id):
        if ref_id not in self.objects:
            raise LookupError(f"no object with id {ref_id} in this worker")
        return self.objects[ref_id]

    def stored_array(self, name):
        if name not in self.stored:
            raise LookupError(f"no stored array named {name!r}")
        return self.stored[name]

    # ----------------------------------------------------------------- operations
    def op_hello(self, request, arrays):
        names = {}
        wanted = self.decode_args(request.get("names", {"t": "list", "items": []}), arrays)
        for name in wanted if isinstance(wanted, list) else []:
            if not isinstance(name, str) or name.startswith("_"):
                continue
            if self.module is not None and hasattr(self.module, name):
                names[name] = describe_api_object(getattr(self.module, name))
        reply = {"names": names, "python": sys.version.split()[0], "numpy": np.__version__}
        if self.import_error:
            reply["import_error"] = self.import_error
        if self.cell_reports:
            reply["cells"] = self.cell_reports
        return reply, "hello"

    def module_attribute(self, name):
        if self.module is None:
            raise ImportError(self.import_error["message"] if self.import_error else "not imported")
        if not isinstance(name, str) or name.startswith("_") or not hasattr(self.module, name):
            raise AttributeError(f"the submission defines no {name!r}")
        return getattr(self.module, name)

    def op_new(self, request, arrays):
        name = request.get("cls")
        cls = self.module_attribute(name)
        args, kwargs = self.call_arguments(request, arrays)
        return self.register(self.watched_call(f"{name}.__init__", cls, args, kwargs)), None

    def op_call(self, request, arrays):
        target = self.decode_args(request.get("obj"), arrays)
        method = str(request.get("method"))
        args, kwargs = self.call_arguments(request, arrays)
        qualname = f"{type(target).__name__}.{method}"
        return self.watched_call(qualname, getattr(target, method), args, kwargs), f"{qualname} returned"

    def op_func(self, request, arrays):
        name = request.get("name")
        function = self.module_attribute(name)
        args, kwargs = self.call_arguments(request, arrays)
        return self.watched_call(str(name), function, args, kwargs), f"{name} returned"

    def watched_call(self, qualname, function, args, kwargs):
        """``function(*args, **kwargs)``, recording in ``self.mutated`` the array arguments it wrote into."""
        watched = inplace.watch(args, kwargs)
        value = function(*args, **kwargs)
        if watched:
            self.mutated = inplace.changed_arguments(watched, function, qualname)
        return value

    def op_getattr(self, request, arrays):
        target = self.decode_args(request.get("obj"), arrays)
        name = str(request.get("name"))
        return getattr(target, name), f"attribute {name!r} of {type(target).__name__} is"

    def op_setattr(self, request, arrays):
        target = self.decode_args(request.get("obj"), arrays)
        setattr(target, str(request.get("name")), self.decode_args(request.get("value"), arrays))
        return None, None

    def op_drop(self, request, arrays):
        part = request.get("obj")
        value = self.objects.pop(part.get("id") if isinstance(part, dict) else None, None)
        self.ids_by_identity.pop(id(value), None)
        return None, None

    def op_store(self, request, arrays):
        value = np.asarray(self.decode_args(request.get("value"), arrays))
        scale = request.get("scale")
        if scale is not None:  # the values of value.astype(float64) * scale, without the temporary copy
            value = np.multiply(value, self.decode_args(scale, arrays), dtype=np.float64)
        self.stored[str(request.get("name"))] = value
        return None, None

    def call_arguments(self, request, arrays):
        args = self.decode_args(request.get("args", {"t": "list", "items": []}), arrays)
        kwargs = self.decode_args(request.get("kwargs", {"t": "dict", "items": {}}), arrays)
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise protocol.ProtocolError("args must be a list and kwargs a dict")
        return args, kwargs

    # ----------------------------------------------------------------- loop
    def handle(self, header, arrays):
        """Run one request and write its reply; True when it succeeded."""
        request_id = header.get("id")
        op = header.get("op")
        if not self.imported:
            self.import_submission(header.get("call_timeout"))
        if op == BATCH_OP:
            return self.handle_batch(header, arrays)
        handler = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
        blobs = []
        self.mutated = []
        try:
            if handler is None:
                raise protocol.ProtocolError(f"unknown operation {str(op)[:40]!r}")
            value, what = handler(header, arrays)
            if self.guard is not None and self.guard.tampered():
                raise ImportError("your code removed the worker's import guard, which refuses the modules "
                                  "this assignment forbids")
            part = self.encode_result(value, blobs, what or f"{op} returned")
            reply = {"id": request_id, "ok": True, "value": part}
            if self.mutated:
                reply["mutated"] = self.mutated
        except BaseException as exc:  # noqa: BLE001 - report everything, keep serving
            blobs = []
            reply = {"id": request_id, "ok": False, "error": describe_exception(exc)}
        if "item" in header:  # one request of a batch
            reply["item"] = header["item"]
        flush_standard_streams()
        if os.getpid() != self.pid:
            os._exit(0)  # a child forked by student code must never reply
        if self.end_output is not None:
            self.end_output(request_id)
        protocol.write_frame(self.out_fd, reply, blobs)
        return reply["ok"]

    def handle_batch(self, header, arrays):
        """Run the requests of ``header["calls"]`` in order, one reply each, stopping after the first failure.

        Each reply carries the batch's id and ``item``, the request's index, and is written as soon
        as that request has run: the grader reads each with its own deadline and knows which one
        was running if the worker dies. The requests share the batch's arrays.
        """
        items = header.get("calls")
        if not isinstance(items, list) or not items or not all(
                isinstance(item, dict) and item.get("op") in BATCHABLE_OPS for item in items):
            items = [{"op": None}]  # answered with one error reply: unknown operation
        for index, item in enumerate(items):
            if not self.handle(dict(item, id=header.get("id"), item=index), arrays):
                return False
        return True

    def serve(self):
        while True:
            try:
                header, arrays = protocol.read_frame(self.in_fd, MAX_REQUEST_BYTES)
            except EOFError:
                return
            self.handle(header, arrays)


def load_plugin_operations():
    """``{name: function(worker, request, arrays)}`` from every ``plugin_*.py`` beside this file.

    Plugins are the assignment's own code, loaded before the submission is imported.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    operations = {}
    for filename in sorted(os.listdir(here)):
        if filename.startswith(PLUGIN_PREFIX) and filename.endswith(".py"):
            module = _load_sibling(filename[:-3])
            operations.update(getattr(module, "OPS", {}))
    return operations


def safe_signature(target):
    try:
        return str(inspect.signature(target))[:1000]
    except (TypeError, ValueError):
        return "(?)"


def describe_api_object(value):
    """Describe a module attribute for the hello reply."""
    if inspect.isclass(value):
        methods = {}
        for name in sorted(dir(value))[:500]:
            if name.startswith("_") and name not in ("__init__", "__call__"):
                continue
            static = inspect.getattr_static(value, name, None)
            if isinstance(static, (staticmethod, classmethod)) or inspect.isfunction(static):
                methods[name] = safe_signature(getattr(value, name))
        return {"kind": "class", "signature": safe_signature(value), "methods": methods}
    if callable(value):
        return {"kind": "function", "signature": safe_signature(value), "methods": {}}
    return {"kind": "other", "signature": "", "methods": {}}


def flush_standard_streams():
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a student may have replaced the stream
            pass


def close_other_fds(keep):
    """Close every inherited descriptor except stdio and the protocol pair."""
    try:
        fds = sorted(int(name) for name in os.listdir("/proc/self/fd") if name.isdigit())
    except OSError:  # /proc is not readable at the landlock level: close the gaps between the kept ones
        low = 3  # os.closerange uses close_range(2), so no descriptor number is too high
        for kept in sorted({fd for fd in keep if fd > 2} | {1 << 30}):
            os.closerange(low, kept)
            low = kept + 1
        return
    for fd in fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def forbid_exec_if_asked():
    """Stack the ``no_exec`` seccomp filter when the launcher asked for it; exit if that fails."""
    if os.environ.pop(DENY_EXEC_VARIABLE, None) is None:
        return
    try:
        _load_sibling("confine").install_seccomp("no_exec")
    except OSError as exc:
        sys.stderr.write(f"worker: could not forbid execve: {exc}\n")
        os._exit(70)


def main(argv):
    submission_dir, entry, end_output = argv[3], argv[4], None
    if argv[1] == "-":  # the plain channel: stdin and stdout, on any operating system
        stdio = _load_sibling("stdio")
        in_fd, out_fd = stdio.take_channel()
        token = stdio.take_mark_token()
        end_output = functools.partial(stdio.write_mark, token) if token else None
    else:
        in_fd, out_fd = int(argv[1]), int(argv[2])
        forbid_exec_if_asked()
        close_other_fds({in_fd, out_fd})
    worker = Worker(in_fd, out_fd, submission_dir, entry, end_output=end_output)
    uid = os.getuid() if hasattr(os, "getuid") else None  # Windows has no uids
    protocol.write_frame(out_fd, {"op": "ready", "pid": os.getpid(), "uid": uid}, [])
    try:
        worker.serve()
    except BrokenPipeError:
        pass
    os._exit(0)  # skip interpreter teardown: student atexit hooks must not run


if __name__ == "__main__":
    main(sys.argv)
