"""In-place writes: which array arguments a call of the submission's code changed.

Loaded by the worker beside ``protocol.py`` (standard library and NumPy only).
Before a ``call``, ``func`` or ``new`` request runs the submission's code, the
worker copies every ``numpy.ndarray`` among the arguments (positional and
keyword, also inside lists, tuples and dicts); afterwards it compares each
argument with its copy and reports those that changed in the reply's
``mutated`` field. Only arrays are copied, and only plain containers are
walked, so no student code runs while arguments are watched.
"""
import inspect

import numpy as np

#: Containers nested deeper than this are not searched for arrays.
MAX_DEPTH = 6
#: At most this many changed arguments are reported for one call.
MAX_FINDINGS = 16


def watch(args, kwargs):
    """``[(label, array, copy)]`` for every ndarray argument; labels are ``args[0]``, ``x``, ``layers[1]['W']``."""
    watched = []

    def walk(value, label, depth):
        kind = type(value)  # exact types: a student subclass's __iter__ must not run here
        if kind is np.ndarray:
            watched.append((label, value, value.copy()))
        elif depth < MAX_DEPTH and kind in (list, tuple):
            for index, item in enumerate(value):
                walk(item, f"{label}[{index}]", depth + 1)
        elif depth < MAX_DEPTH and kind is dict:
            for key, item in value.items():
                walk(item, f"{label}[{key!r}]", depth + 1)

    for index, value in enumerate(args):
        walk(value, f"args[{index}]", 0)
    for key, value in kwargs.items():
        walk(value, str(key), 0)
    return watched


def changed_arguments(watched, function, qualname):
    """The reply's ``mutated`` entries for the watched arguments that differ from their copies.

    Each entry is ``{"call", "argument", "changed", "size", "what"}``: ``what``
    is ``"values"`` (``changed`` elements differ, NaN equal to NaN),
    ``"shape"`` or ``"dtype"`` (the array object itself was reshaped or
    reinterpreted; ``changed`` is then its size).
    """
    found = []
    for label, array, before in watched:
        if array.shape != before.shape:
            what, changed = "shape", before.size
        elif array.dtype != before.dtype:
            what, changed = "dtype", before.size
        else:
            same = array == before
            if array.dtype.kind in "fc":
                # NOTE: NaN != NaN, so an untouched NaN entry would look changed without this.
                same |= np.isnan(array) & np.isnan(before)
            what, changed = "values", int(before.size - np.count_nonzero(same))
        if changed:
            found.append({"call": qualname, "argument": label, "changed": int(changed), "size": int(before.size),
                          "what": what})
            if len(found) >= MAX_FINDINGS:
                break
    if found:
        names = parameter_names(function)
        for entry in found:
            entry["argument"] = named(entry["argument"], names)
    return found


def parameter_names(function):
    """Names of the positional parameters of ``function`` (a bound method's without ``self``); [] if unknown."""
    try:
        signature = inspect.signature(function)
    except BaseException:  # noqa: BLE001 - a student __signature__ may raise anything
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.kind in kinds]


def named(label, names):
    """``args[1][0]`` -> ``grad[0]`` when the second positional parameter is ``grad``."""
    if not label.startswith("args["):
        return label
    index, _, rest = label[len("args["):].partition("]")
    position = int(index)
    return (names[position] if position < len(names) else f"argument {position + 1}") + rest
