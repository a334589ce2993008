"""Hostile entries against the hidden checks: inputs leaked through printed output, and lookup tables built from them.

* ``hidden_inputs_printed_later``: the submission remembers every input its
  Softmax receives and prints the whole list whenever it sees a new one. When
  one worker serves public and hidden checks interleaved, the hidden inputs
  reappear in the printed output of later public checks, which Gradescope,
  PrairieLearn and the text report show to students. Judged on what students
  see: no input first received during a hidden check may appear in any
  student-visible rendering of the report.
* ``hidden_lookup_from_leak``: the worst case of a leak. Run 0 records every
  input of ``Sigmoid.forward``, ``Softmax.forward`` and ``Softmax.jacobian``;
  the instructor's JSON report (which keeps what hidden checks printed) then
  holds all of them. Run 1 is an inert submission answering from a table of
  the reference's outputs for exactly those inputs. When hidden inputs are the
  same for every grade, the table earns the hidden points; when they are drawn
  per grade, it earns none. The table's public answers must still pass: proof
  that the table works and only the hidden inputs moved.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re

import numpy as np

from hostile.kit import Context, Entry, dedent, inert
from nngrade.render import render
from nngrade.render.html import render_feedback_page
from nngrade.results import Report

#: Methods whose single input fully determines the reference's answer (the table's keys).
TABLE_METHODS = ("Sigmoid.forward", "Softmax.forward", "Softmax.jacobian")
#: Public checks the table must pass: it answers from the inputs recorded in run 0. (The Jacobian check
#: stops at its first failing input in run 0, so its second input is never recorded.)
TABLE_PUBLIC_CHECKS = ("forward.sigmoid", "forward.sigmoid_extreme", "forward.softmax", "forward.softmax_extreme",
                       "forward.softmax_square")

#: The digest both the submission and this module compute for an input array.
DIGEST = dedent('''
    import hashlib
    import numpy as np

    def _digest(array):
        array = np.ascontiguousarray(np.asarray(array, dtype=np.float64))
        return hashlib.sha256(repr(array.shape).encode() + array.tobytes()).hexdigest()[:20]
''')


def digest(array) -> str:
    """Same as the submission's ``_digest``."""
    array = np.ascontiguousarray(np.asarray(array, dtype=np.float64))
    return hashlib.sha256(repr(array.shape).encode() + array.tobytes()).hexdigest()[:20]


# --------------------------------------------------------------------------- printed later

def _printed_later(ctx: Context):
    return ctx.write("printed_later.py", inert("", hook=DIGEST + dedent('''
        _SEEN = []

        def ANSWER(what, like, shape):
            if what in ("Softmax.forward", "Softmax.jacobian"):
                key = _digest(like)
                if key not in _SEEN:
                    _SEEN.append(key)
                    print("SEEN " + key)
                    print("LOG " + " ".join(_SEEN))
            return None
    ''')))


def student_visible_texts(report_dict: dict) -> dict[str, str]:
    """Every rendering of the report that students may see, by name."""
    report = Report.from_dict(report_dict)
    return {"gradescope": render(report, "gradescope"), "prairielearn": render(report, "prairielearn"),
            "text (student view)": render(report, "text", student_view=True),
            "json (student view)": render(report, "json", student_view=True),
            "feedback page": render_feedback_page(report_dict)}


def _printed_later_after(ctx: Context, outcome) -> None:
    checks = outcome.report["checks"]
    seen = {c["id"]: set(re.findall(r"^SEEN (\w+)$", c["output"], re.M)) for c in checks}
    hidden = set().union(*(seen[c["id"]] for c in checks if c["visibility"] == "hidden"))
    public = set().union(*(seen[c["id"]] for c in checks if c["visibility"] != "hidden"))
    secret = hidden - public
    assert secret, "no input was seen first during a hidden check (did the attack run?)"
    for name, text in student_visible_texts(outcome.report).items():
        leaked = sorted(key for key in secret if key in text)
        assert not leaked, f"{len(leaked)} of {len(secret)} hidden inputs appear in the {name} output"


# --------------------------------------------------------------------------- lookup table

def _npy_b64(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype=np.float64), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_b64(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def _recorded_inputs(report: dict) -> list[tuple[str, np.ndarray]]:
    """``(method, input)`` of every REC line printed anywhere in the (instructor's) report."""
    texts = [report.get("output", "")] + [c["output"] for c in report["checks"]]
    return [(what, _from_b64(blob)) for text in texts
            for what, blob in re.findall(r"^REC (\S+) (\S+)$", text, re.M)]


def _table_from_leak(report: dict) -> dict[str, str]:
    """``"method digest" -> npy base64`` of the reference's answer for every recorded input."""
    from nngrade.reference import Sigmoid, Softmax

    answer = {"Sigmoid.forward": lambda x: Sigmoid().forward(x), "Softmax.forward": lambda z: Softmax().forward(z),
              "Softmax.jacobian": lambda z: Softmax().jacobian(z)}
    return {f"{what} {digest(x)}": _npy_b64(answer[what](x)) for what, x in _recorded_inputs(report)}


def _lookup(ctx: Context):
    if ctx.run == 0:
        return ctx.write("recorder.py", inert("", hook=DIGEST + dedent(f'''
            import base64, io
            _SEEN = set()

            def ANSWER(what, like, shape):
                if what in {TABLE_METHODS!r}:
                    key = what + " " + _digest(like)
                    if key not in _SEEN:
                        _SEEN.add(key)
                        buffer = io.BytesIO()
                        np.save(buffer, np.asarray(like, dtype=np.float64), allow_pickle=False)
                        print("REC " + what + " " + base64.b64encode(buffer.getvalue()).decode("ascii"))
                return None
        ''')))
    leak = json.loads(ctx.output.read_text())  # run 0's report, as the instructor's JSON keeps it
    table = _table_from_leak(leak)
    (ctx.root / "table-size.txt").write_text(str(len(table)))
    return ctx.write("lookup.py", inert("", hook=DIGEST + dedent(f'''
        import base64, io
        _TABLE = {table!r}

        def ANSWER(what, like, shape):
            found = _TABLE.get(what + " " + _digest(like))
            if found is None:
                return None
            return np.load(io.BytesIO(base64.b64decode(found)), allow_pickle=False)
    ''')))


def _lookup_after(ctx: Context, outcome) -> None:
    checks = {c["id"]: c for c in outcome.report["checks"]}
    if ctx.run == 0:
        hidden_records = [c for c in checks.values() if c["visibility"] == "hidden" and "REC " in c["output"]]
        assert hidden_records, "the recorder printed nothing during the hidden checks (did the attack run?)"
        return
    assert int((ctx.root / "table-size.txt").read_text()) > 0, "the leaked report held no recorded input"
    failed = [f"{i}: {checks[i]['status']}" for i in TABLE_PUBLIC_CHECKS if checks[i]["status"] != "passed"]
    assert not failed, f"the lookup table does not even answer the public checks: {failed}"


ENTRIES = [
    Entry("hidden_inputs_printed_later", "secrets",
          "remember the inputs of hidden checks and print them during later public checks",
          _printed_later, ("*.hidden",), honest=(), after=_printed_later_after),
    Entry("hidden_lookup_from_leak", "secrets",
          "answer the hidden checks from a table of the reference's outputs for the inputs leaked by an earlier grade",
          _lookup, ("*.hidden",), honest=(), runs=2, after=_lookup_after),
]
