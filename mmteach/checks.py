"""Checks that tell a learner what was expected, what came, and what to try next.

Test cells in the lessons call these. A failed check raises :class:`CheckFailed` (an
``AssertionError``, so nbgrader scores the cell 0) whose message reads like feedback::

    ✗ softmax(z) for z of shape (2, 3): largest difference 0.41 at index (0, 2)
      expected 0.6652, got 0.2500
      hint: exponentiate before you normalise.

Learners must write the exercise themselves: :func:`call` runs their function with every
mmteach reference implementation of an exercise (marked with :func:`reference`) switched off,
so an answer that just returns ``mmteach.supervised.softmax(z)`` fails with a clear message.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
from typing import Any, Callable, Iterable

import numpy as np

__all__ = [
    "CheckFailed", "ReferenceUsed", "reference", "own_work", "call", "close", "equal", "shape",
    "true", "passed", "function",
]


class CheckFailed(AssertionError):
    """A check did not pass; the message is written for the learner."""


class ReferenceUsed(CheckFailed):
    """The learner's answer called the reference implementation it was asked to write."""


_blocked = 0  # >0 while a learner's answer runs


def reference(obj):
    """Mark a function (or class) as the reference answer to an exercise.

    While :func:`own_work` is active, calling it raises :class:`ReferenceUsed` instead.
    """
    if isinstance(obj, type):
        original_init = obj.__init__

        @functools.wraps(original_init)
        def __init__(self, *args, **kwargs):
            _refuse(obj)
            original_init(self, *args, **kwargs)

        obj.__init__ = __init__
        obj.__mmteach_reference__ = True
        return obj

    @functools.wraps(obj)
    def wrapper(*args, **kwargs):
        _refuse(obj)
        return obj(*args, **kwargs)

    wrapper.__mmteach_reference__ = True
    return wrapper


def _refuse(obj) -> None:
    if _blocked:
        name = f"{obj.__module__}.{obj.__qualname__}"
        raise ReferenceUsed(
            f"✗ your answer called mmteach's reference `{name}`.\n"
            "  The exercise asks you to write this yourself; numpy and torch building blocks are fine."
        )


@contextlib.contextmanager
def own_work(forbid: Iterable[str] = ()):
    """Switch off mmteach's reference answers, and optionally other callables, for a block.

    ``forbid`` takes dotted names such as ``"torch.nn.functional.softmax"``; each is replaced by
    a function that raises :class:`ReferenceUsed` until the block ends.
    """
    global _blocked
    patched = []
    try:
        for dotted in forbid:
            module_name, _, attr = dotted.rpartition(".")
            owner = importlib.import_module(module_name)
            original = getattr(owner, attr)

            def refuse(*args, _name=dotted, **kwargs):
                raise ReferenceUsed(
                    f"✗ your answer called `{_name}`, which this exercise asks you to write yourself."
                )

            setattr(owner, attr, refuse)
            patched.append((owner, attr, original))
        _blocked += 1
        yield
    finally:
        _blocked = max(0, _blocked - 1)
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)


def call(fn: Callable, *args, forbid: Iterable[str] = (), **kwargs):
    """Run a learner's ``fn(*args, **kwargs)`` under :func:`own_work` and explain any failure."""
    name = getattr(fn, "__name__", repr(fn))
    if not callable(fn):
        raise CheckFailed(f"✗ `{name}` should be a function, but it is a {type(fn).__name__}.")
    try:
        with own_work(forbid):
            return fn(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as err:
        raise CheckFailed(
            f"✗ `{name}` is not written yet: it still raises NotImplementedError.\n"
            "  Replace the `raise NotImplementedError()` line in the answer cell with your code."
        ) from err
    except Exception as err:  # the learner's code broke: say where, keep the original as the cause
        raise CheckFailed(f"✗ `{name}` raised {type(err).__name__}: {err}") from err


def _as_array(value, what: str) -> np.ndarray:
    if hasattr(value, "detach"):  # torch tensor, on any device
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except Exception as err:  # pragma: no cover - exotic objects
        raise CheckFailed(f"✗ {what}: could not read the result as numbers ({type(value).__name__})") from err
    if arr.dtype == object:
        raise CheckFailed(f"✗ {what}: expected numbers, got {type(value).__name__} {value!r:.80}")
    return arr


def _fmt(x) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return repr(x)


def _fail(message: str, hint: str = ""):
    if hint:
        message += f"\n  hint: {hint}"
    raise CheckFailed(message)


def shape(got, expected: tuple, name: str = "result", hint: str = "") -> None:
    """Check an array or tensor's shape."""
    arr = _as_array(got, name)
    if tuple(arr.shape) != tuple(expected):
        _fail(f"✗ {name}: expected shape {tuple(expected)}, got {tuple(arr.shape)}", hint)


def close(got, expected, name: str = "result", *, atol: float = 1e-6, rtol: float = 1e-5, hint: str = "") -> None:
    """Check numbers (scalars, arrays, tensors) are equal within ``atol + rtol·|expected|``."""
    if got is None:
        _fail(f"✗ {name}: got None — did the function forget to `return` its result?", hint)
    if isinstance(expected, (tuple, list)) and any(hasattr(e, "shape") or isinstance(e, (tuple, list)) for e in expected):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            _fail(f"✗ {name}: expected a tuple of {len(expected)} results, got {type(got).__name__}"
                  + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""), hint)
        for k, (g_k, e_k) in enumerate(zip(got, expected)):
            close(g_k, e_k, name=f"{name}[{k}]", atol=atol, rtol=rtol, hint=hint)
        return
    g = _as_array(got, name)
    e = _as_array(expected, name)
    if g.shape != e.shape:
        _fail(f"✗ {name}: expected shape {e.shape}, got {g.shape}", hint)
    if g.size == 0:
        return
    g64, e64 = g.astype(np.float64), e.astype(np.float64)
    if not np.all(np.isfinite(g64[np.isfinite(e64)])):
        bad = np.argwhere(~np.isfinite(g64) & np.isfinite(e64))[0]
        _fail(f"✗ {name}: got a non-finite value ({_fmt(g64[tuple(bad)])}) at index {tuple(int(i) for i in bad)}, "
              f"where {_fmt(e64[tuple(bad)])} was expected", hint)
    err = np.abs(g64 - e64)
    tol = atol + rtol * np.abs(e64)
    finite = np.isfinite(e64)
    ok = np.where(finite, err <= tol, g64 == e64)
    if not np.all(ok):
        where = np.argmax(np.where(ok, -np.inf, np.nan_to_num(err, nan=np.inf)))
        idx = np.unravel_index(where, e64.shape)
        at = f" at index {tuple(int(i) for i in idx)}" if e64.ndim else ""
        _fail(f"✗ {name}: largest difference {_fmt(err[idx])}{at}\n"
              f"  expected {_fmt(e64[idx])}, got {_fmt(g64[idx])}", hint)


def equal(got, expected, name: str = "result", hint: str = "") -> None:
    """Check exact equality (ints, strings, tuples, integer arrays)."""
    if isinstance(expected, np.ndarray) or hasattr(expected, "detach"):
        g, e = _as_array(got, name), _as_array(expected, name)
        if g.shape != e.shape:
            _fail(f"✗ {name}: expected shape {e.shape}, got {g.shape}", hint)
        if not np.array_equal(g, e):
            idx = tuple(int(i) for i in np.argwhere(g != e)[0])
            _fail(f"✗ {name}: first difference at index {idx}: expected {_fmt(e[idx])}, got {_fmt(g[idx])}", hint)
        return
    if got != expected:
        _fail(f"✗ {name}: expected {_fmt(expected)}, got {_fmt(got)}", hint)


def true(condition: Any, message: str, hint: str = "") -> None:
    """Check a condition; ``message`` says what should have held."""
    if not condition:
        _fail(f"✗ {message}", hint)


def passed(what: str) -> None:
    """Print a friendly verdict once a cell's checks have all passed."""
    print(f"✓ {what}")


def function(fn: Callable, reference_fn: Callable, cases: Iterable[tuple], name: str | None = None, *,
             atol: float = 1e-6, rtol: float = 1e-5, hint: str = "", forbid: Iterable[str] = (),
             describe: Callable[[tuple], str] | None = None) -> int:
    """Compare a learner's function with the reference on each argument tuple in ``cases``.

    The learner's function runs with the reference switched off; the reference runs outside.
    Returns the number of cases checked.
    """
    name = name or getattr(fn, "__name__", "your function")
    n = 0
    for args in cases:
        args = args if isinstance(args, tuple) else (args,)
        label = describe(args) if describe else _describe_args(args)
        got = call(fn, *args, forbid=forbid)
        expected = reference_fn(*args)
        close(got, expected, name=f"{name}({label})", atol=atol, rtol=rtol, hint=hint)
        n += 1
    return n


def _describe_args(args: tuple) -> str:
    parts = []
    for a in args:
        if hasattr(a, "shape"):
            parts.append(f"array of shape {tuple(a.shape)}")
        else:
            parts.append(_fmt(a))
    return ", ".join(parts)


def use_yours(fn: Callable, reference_fn: Callable, *probe_args, name: str | None = None,
              compare: bool = True, atol: float = 1e-6, rtol: float = 1e-5):
    """Return the learner's ``fn`` if it already works on ``probe_args``, else the reference.

    Lets the rest of a lesson run while an exercise is unfinished: later demos call whatever this
    returns, and a note says when the reference stands in. With ``compare=False`` the learner's
    function only has to run without error (for answers such as models, which have no single
    right output).
    """
    name = name or getattr(fn, "__name__", "your function")
    try:
        if probe_args:
            got = call(fn, *probe_args)
            if compare:
                close(got, reference_fn(*probe_args), name=name, atol=atol, rtol=rtol)
        return fn
    except (CheckFailed, NameError):
        print(f"(note: `{name}` is not finished yet, so the cells below use mmteach's reference for now)")
        return reference_fn
