"""Hostile entries that look for answers or secrets, leave the sandbox, or outlive their run.

Most are *canaries* (see ``hostile.kit.canary``): they become the reference
solution only when the attack worked, so a leak shows up as unearned points.
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
from pathlib import Path

import nbformat
from submissions import reference_source

from hostile.kit import (
    EVERYTHING,
    FAKE_RESULTS,
    INERT_MAY_PASS,
    Context,
    Entry,
    canary,
    dedent,
    inert,
    reference_with,
)
from nngrade.engine.fixture_store import verify_fixtures

FIND_ARRAY = '''
    import numpy as np

    def _candidate(value, like, shape):
        if isinstance(value, dict):
            for item in list(value.values())[:200]:
                found = _candidate(item, like, shape) if not isinstance(item, dict) else None
                if found is not None:
                    return found
            return None
        if (isinstance(value, np.ndarray) and value is not like and value.shape == tuple(shape)
                and value.dtype.kind == "f" and np.any(value) and not np.array_equal(value, like)):
            return np.array(value, dtype=np.float64)
        return None
'''


def _frames(ctx: Context):
    return ctx.write("frames.py", inert("", hook=dedent(FIND_ARRAY) + dedent('''
        import inspect, sys

        def ANSWER(what, like, shape):
            if not shape:
                return None
            for top in list(sys._current_frames().values()) + [f.frame for f in inspect.stack()]:
                frame = top
                while frame is not None:
                    for scope in (frame.f_locals, frame.f_globals):
                        found = _candidate(dict(scope), like, shape)
                        if found is not None:
                            return found
                    frame = frame.f_back
            return None
    ''')))


def _gc(ctx: Context):
    return ctx.write("gc_hunt.py", inert('''
        import sys
        SUSPECTS = [name for name in list(sys.modules) if name.split(".")[0] in ("reference", "graders", "fixtures")]
        if SUSPECTS:
            raise SystemExit("found " + ", ".join(SUSPECTS))
    ''', hook=dedent(FIND_ARRAY) + dedent('''
        import gc

        def ANSWER(what, like, shape):
            if not shape or not what.endswith(".forward"):
                return None
            for value in gc.get_objects():
                if isinstance(value, dict) and any(key in value for key in ("expected", "reference", "grad")):
                    found = _candidate(value, like, shape)
                    if found is not None:
                        return found
                found = _candidate(value, like, shape)
                if found is not None:
                    return found
            return None
    ''')))


def _import_reference(ctx: Context):
    return ctx.write("import_reference.py", canary(f'''
        import importlib, importlib.util, sys
        for name in ("reference", "graders", "nngrade.engine.fixture_store", "fixtures", "student_template"):
            try:
                importlib.import_module(name)
                LEAKED = True
            except BaseException:
                pass
        sys.path.insert(0, {str(ctx.kit_root)!r})
        for name in ("reference", "fixtures"):
            try:
                importlib.import_module(name)
                LEAKED = True
            except BaseException:
                pass
        try:
            spec = importlib.util.spec_from_file_location("stolen", {str(ctx.kit_root / "reference" / "__init__.py")!r})
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
            LEAKED = True
        except BaseException:
            pass
    '''))


def _read_fixtures(ctx: Context):
    targets = [ctx.fixtures / "public" / "softmax.npz", ctx.fixtures / "hidden" / "softmax.npz",
               ctx.fixtures / "manifest.json", ctx.fixtures / "mnist_reference.json"]
    return ctx.write("read_fixtures.py", canary(f'''
        import os
        for target in {[str(t) for t in targets]!r}:
            try:
                with open(target, "rb") as handle:
                    LEAKED = LEAKED or len(handle.read(64)) > 0
            except OSError:
                pass
        for folder in {[str(ctx.fixtures), str(ctx.fixtures / "hidden")]!r}:
            try:
                LEAKED = LEAKED or bool(os.listdir(folder))
            except OSError:
                pass
    '''))


def _read_reference(ctx: Context):
    # A real canary: what it executes is what it read.
    files = [str(ctx.kit_root / "reference" / name) for name in ("layers.py", "losses.py", "network.py")]
    return ctx.write("read_reference.py", inert(f'''
        import re
        _stolen = []
        for path in {files!r}:
            try:
                with open(path) as handle:
                    _stolen.append(re.sub(r"^from \\..*$", "", handle.read(), flags=re.M))
            except OSError:
                _stolen = None
                break
        if _stolen:
            exec(compile("\\n".join(_stolen).replace("from __future__ import annotations", ""), "stolen", "exec"),
                 globals())
    '''))


def _read_memory(ctx: Context):
    return ctx.write("read_memory.py", canary(f'''
        import os
        def _readable(path, offset=0):
            try:
                with open(path, "rb") as handle:
                    handle.seek(offset)
                    return len(handle.read(4096)) > 0
            except (OSError, ValueError, OverflowError):
                return False
        for pid in {{os.getppid(), 1, {os.getpid()}}} - {{os.getpid()}}:
            LEAKED = LEAKED or _readable(f"/proc/{{pid}}/environ")
            try:
                with open(f"/proc/{{pid}}/maps") as maps:
                    starts = [int(line.split("-")[0], 16) for line in maps.read().splitlines()[:50]]
            except (OSError, ValueError):
                starts = []
            LEAKED = LEAKED or any(_readable(f"/proc/{{pid}}/mem", start) for start in starts)
        try:
            others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()][:400]
        except OSError:
            others = []
        LEAKED = LEAKED or any(_readable(f"/proc/{{pid}}/environ") for pid in others)
    '''))


def _network(ctx: Context):
    return ctx.write("network.py", inert(f'''
        import socket
        _stolen = b""
        for family, address in ((socket.AF_INET, ("127.0.0.1", {ctx.port})), (socket.AF_INET6, ("::1", {ctx.port}))):
            try:
                with socket.socket(family, socket.SOCK_STREAM) as connection:
                    connection.settimeout(3)
                    connection.connect(address)
                    while len(_stolen) < 1 << 20:
                        chunk = connection.recv(65536)
                        if not chunk:
                            break
                        _stolen += chunk
            except OSError:
                pass
            if _stolen:
                exec(compile(_stolen.decode(), "from-the-network", "exec"), globals())
                break
    '''))


def _victim_folder(ctx: Context) -> Path:
    return Path(f"/tmp/nngrade-victim-{ctx.token}")


def _read_other_sessions(ctx: Context):
    victim = _victim_folder(ctx)
    victim.mkdir(mode=0o755, exist_ok=True)
    (victim / "nngrade_submission.py").write_text(reference_source())
    os.chmod(victim / "nngrade_submission.py", 0o644)
    return ctx.write("other_sessions.py", inert('''
        import glob
        for path in sorted(glob.glob("/tmp/nngrade-*/**/*.py", recursive=True))[:2000]:
            try:
                with open(path) as handle:
                    text = handle.read()
            except OSError:
                continue
            if "class Softmax" in text and "def jacobian" in text and "NotImplementedError" not in text:
                exec(compile(text, path, "exec"), globals())
                break
    '''))


def _cleanup_victim(ctx: Context, outcome) -> None:
    shutil.rmtree(_victim_folder(ctx), ignore_errors=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tamper(ctx: Context):
    original = ctx.root / "original-submission.py"
    original.write_text(reference_source())
    (ctx.root / "original.sha256").write_text(_digest(original))
    probe = ctx.fixtures / "public" / f"hostile-{ctx.token}.npz"
    return ctx.write("tamper.py", reference_with(f'''
        import os
        def _attempt(action):
            try:
                action()
            except OSError:
                pass
        def _append(path, text):
            with open(path, "a") as handle:
                handle.write(text)
        _here = os.path.dirname(os.path.abspath(__file__))
        _attempt(lambda: _append(__file__, "\\nraise SystemExit"))
        _attempt(lambda: _append(os.path.join(_here, "extra.py"), "x = 1"))
        _attempt(lambda: _append({str(original)!r}, "\\nraise SystemExit"))
        _attempt(lambda: _append({str(probe)!r}, "forged"))
        _attempt(lambda: open({str(ctx.fixtures / "manifest.json")!r}, "a").close())  # opened, never changed
        _attempt(lambda: os.chmod(_here, 0o777))
    '''))


def _tamper_after(ctx: Context, outcome) -> None:
    original = ctx.root / "original-submission.py"
    probe = ctx.fixtures / "public" / f"hostile-{ctx.token}.npz"
    leaked = probe.exists()
    probe.unlink(missing_ok=True)
    assert not leaked, "the submission created a file in the fixtures folder"
    assert _digest(original) == (ctx.root / "original.sha256").read_text()
    assert verify_fixtures() == []


def _cache(ctx: Context):
    places = [f"/tmp/nngrade-cache-{ctx.token}", f"/root/.nngrade-cache-{ctx.token}", str(ctx.canary / "cache"),
              f"/var/tmp/nngrade-cache-{ctx.token}", f"/dev/shm/nngrade-cache-{ctx.token}"]
    return ctx.write("cache.py", canary(f'''
        import os
        _places = {places!r} + [os.path.expanduser("~/.answers"), "answers.cache"]
        LEAKED = any(os.path.exists(place) for place in _places)
        for place in _places:
            try:
                with open(place, "w") as handle:
                    handle.write("cached answers")
            except OSError:
                pass
    '''))


def _cache_after(ctx: Context, outcome) -> None:
    """Nothing may be left after any run; what was left is removed only after the last run, so it can be found."""
    leftovers = [p for p in (f"/tmp/nngrade-cache-{ctx.token}", f"/root/.nngrade-cache-{ctx.token}",
                             f"/var/tmp/nngrade-cache-{ctx.token}", f"/dev/shm/nngrade-cache-{ctx.token}")
                 if os.path.lexists(p)]
    if ctx.run == 1:
        for path in leftovers:
            os.unlink(path)
    assert leftovers == [] and list(ctx.canary.iterdir()) == []


def _symlinks(ctx: Context):
    victim = ctx.canary / "victim.txt"
    victim.write_text("original")
    targets = [str(ctx.output), str(ctx.output.parent / ".results.json.tmp"), "results.json",
               f"/tmp/nngrade-hostile-{ctx.token}.json", str(ctx.grader_cwd / "report.json")]
    return ctx.write("symlinks.py", reference_with(f'''
        import os
        for target in {targets!r}:
            try:
                os.symlink({str(victim)!r}, target)
            except OSError:
                pass
    '''))


def _symlinks_after(ctx: Context, outcome) -> None:
    assert (ctx.canary / "victim.txt").read_text() == "original"
    assert not ctx.output.is_symlink() and ctx.output.is_file()
    assert glob.glob(f"/tmp/nngrade-hostile-{ctx.token}*") == [] and list(ctx.grader_cwd.iterdir()) == []


def _signals(ctx: Context):
    return ctx.write("signals.py", reference_with('''
        import os, resource, signal
        def _attempt(action):
            try:
                action()
            except (OSError, ValueError):
                pass
        _parent = os.getppid()
        _attempt(lambda: os.kill(_parent, signal.SIGTERM))
        _attempt(lambda: os.killpg(os.getpgid(_parent), signal.SIGTERM))
        _attempt(lambda: resource.prlimit(_parent, resource.RLIMIT_NOFILE, (3, 3)))
        _attempt(lambda: resource.prlimit(_parent, resource.RLIMIT_AS, (1 << 20, 1 << 20)))
        _attempt(lambda: os.setpriority(os.PRIO_PROCESS, _parent, 19))
        _attempt(lambda: os.setpriority(os.PRIO_USER, 0, 19))
    '''))


FUTURE = "from __future__ import annotations\n"  # only legal at the top of the module, not in a later cell


def _notebook(kind: str):
    def build(ctx: Context):
        marker = ctx.canary / f"{kind}-ran"
        cells = {
            "pip": [f"!pip install nngrade-answers && touch {marker}", "%pip install --user numpy-cheats",
                    f"files = !touch {marker}", f"get_ipython().system('touch {marker}')"],
            "bash": [f"%%bash\ntouch {marker}\ncurl -s http://127.0.0.1:1/ > /dev/null",
                     f"%%script sh\ntouch {marker}", f"%%writefile {ctx.output}\n{FAKE_RESULTS}",
                     f"%system touch {marker}", f"%sx touch {marker}"],
        }[kind]
        notebook = nbformat.v4.new_notebook()
        notebook.cells = ([nbformat.v4.new_markdown_cell("# My submission")]
                          + [nbformat.v4.new_code_cell(cell) for cell in cells]
                          + [nbformat.v4.new_code_cell(reference_source().replace(FUTURE, ""))])
        path = ctx.root / f"submission-{ctx.run}" / f"{kind}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(path))
        return path
    return build


def _notebook_after(kind: str):
    def after(ctx: Context, outcome) -> None:
        assert not (ctx.canary / f"{kind}-ran").exists(), "a shell line of the notebook ran"
        warnings = " ".join(outcome.report["submission"].get("warnings", []))
        assert "dropped" in warnings or "not run" in warnings, warnings
    return after


ENTRIES = [
    Entry("stack_frames_searched_for_answers", "introspection",
          "walk every frame (sys._current_frames, inspect.stack) for arrays shaped like the answer",
          _frames, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS),
    Entry("gc_searched_for_answers", "introspection",
          "scan gc.get_objects() and sys.modules for expected values, the reference or the grader",
          _gc, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS),
    Entry("reference_imported", "secrets", "import reference/graders/fixtures, also from the kit's real path",
          _import_reference, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, landlock=True),
    Entry("fixtures_read", "secrets", "open the public and hidden fixture files and list their folders",
          _read_fixtures, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, landlock=True),
    Entry("reference_source_read", "secrets", "read reference/*.py by path and execute what it read",
          _read_reference, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, landlock=True),
    Entry("grader_memory_read", "secrets",
          "read /proc/<ppid>/mem at mapped addresses, /proc/<ppid>/environ, /proc/1/environ and every other environ",
          _read_memory, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, landlock=True),
    Entry("loopback_network_answers", "network",
          "connect to a loopback server that hands out the reference source and execute it",
          _network, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, landlock=True, server=True),
    Entry("other_sessions_files_read", "secrets",
          "search /tmp/nngrade-*/ (other graders' work folders) for a solution and execute it",
          _read_other_sessions, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, landlock=True,
          after=_cleanup_victim),
    Entry("submission_and_fixtures_modified", "tampering",
          "append to its own files, the original submission and a new file among the fixtures; chmod its folder",
          _tamper, (), after=_tamper_after, landlock=True),
    Entry("answers_cached_across_runs", "tampering",
          "look for answers cached by an earlier run in /tmp, /var/tmp, /dev/shm, $HOME, /root, the cwd; cache them",
          _cache, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, runs=2, landlock=True, after=_cache_after),
    Entry("symlinks_planted_at_output_paths", "tampering",
          "plant symlinks at the report path, its temporary name, the cwd and /tmp, pointing at a victim file",
          _symlinks, (), after=_symlinks_after),
    Entry("grader_signalled_and_limited", "tampering",
          "SIGTERM the parent and its group, prlimit its NOFILE/AS, renice it and every process of the uid",
          _signals, (), landlock=True),
    Entry("notebook_pip_install", "notebooks", "!pip install, %pip install, files = !cmd, get_ipython().system()",
          _notebook("pip"), (), after=_notebook_after("pip")),
    Entry("notebook_shell_cell_magics", "notebooks", "%%bash, %%script sh, %%writefile over the report, %system, %sx",
          _notebook("bash"), (), after=_notebook_after("bash")),
]
