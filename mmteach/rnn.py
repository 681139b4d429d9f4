"""Recurrent networks from scratch (lesson 06): forward pass, back-propagation through time by hand,
gradient norms through time, clipping, and a GRU cell.

The network is the hidden-to-hidden RNN of Goodfellow et al. (2016, ch. 10) as the seminar slides
(seed 004) write it. For every time step ``t = 1 … T``::

    a(t) = b + W h(t-1) + U x(t)        pre-activation          (H,)
    h(t) = tanh(a(t))                   hidden state            (H,)
    o(t) = c + V h(t)                   output scores (logits)  (K,)
    ŷ(t) = softmax(o(t))                predicted distribution  (K,)
    L    = Σ_t −log ŷ(t)[y(t)]          summed cross-entropy

Shapes used throughout (``D`` inputs, ``H`` hidden units, ``K`` classes, ``T`` steps, ``B`` sequences)::

    U (H, D)   W (H, H)   V (K, H)   b (H,)   c (K,)
    x (T, D) or (T, B, D)    y (T,) or (T, B) integer class per step    h0 (H,) or (B, H)

Parameters live in a plain ``dict`` with keys ``"U", "W", "V", "b", "c"`` so a learner can look at
every number. All arithmetic is NumPy; tests compare every gradient with torch autograd.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks

__all__ = [
    "init_params", "spectral_radius", "scale_to_spectral_radius", "softmax", "rnn_forward",
    "sequence_loss", "output_grad", "grad_V_c", "bptt", "rnn_loss_and_grads", "hidden_jacobian_norms",
    "global_norm", "clip_by_norm", "sigmoid", "gru_cell", "gru_forward", "gru_params_from_torch",
    "aaba_melodies", "bigram_accuracy", "SCALE_MIDI", "RNNCache", "melody_audio", "melody_xy",
    "position_accuracy", "train_numpy_rnn", "train_torch_rnn", "TorchSequenceModel",
    "torch_state_jacobian_norms", "TrainLog",
]

PARAM_NAMES = ("U", "W", "V", "b", "c")


# --------------------------------------------------------------------------- parameters

def spectral_radius(W: np.ndarray) -> float:
    """Largest absolute eigenvalue of a square matrix ``W`` (H, H)."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"spectral_radius expects a square matrix, got shape {W.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def scale_to_spectral_radius(W: np.ndarray, rho: float) -> np.ndarray:
    """Return ``W`` rescaled so that its spectral radius is exactly ``rho`` (> 0)."""
    if rho <= 0:
        raise ValueError(f"rho must be > 0, got {rho}")
    current = spectral_radius(W)
    if current == 0:
        raise ValueError("W has spectral radius 0 (all eigenvalues zero); it cannot be rescaled")
    return np.asarray(W) * (rho / current)


def init_params(n_in: int, n_hidden: int, n_out: int, *, seed: int = 0, rho: float | None = None,
                dtype=np.float64) -> dict:
    """Random RNN parameters.

    ``U`` and ``V`` are Glorot-uniform, ``W`` is Gaussian (std 1/√H) rescaled to spectral radius
    ``rho`` when given, biases are zero. Returns ``{"U": (H, D), "W": (H, H), "V": (K, H),
    "b": (H,), "c": (K,)}``.
    """
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    rng = np.random.default_rng(seed)

    def glorot(rows, cols):
        lim = np.sqrt(6.0 / (rows + cols))
        return rng.uniform(-lim, lim, size=(rows, cols))

    W = rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=(n_hidden, n_hidden))
    if rho is not None:
        W = scale_to_spectral_radius(W, rho)
    params = {"U": glorot(n_hidden, n_in), "W": W, "V": glorot(n_out, n_hidden),
              "b": np.zeros(n_hidden), "c": np.zeros(n_out)}
    return {k: v.astype(dtype) for k, v in params.items()}


def _check_params(params: dict) -> tuple[int, int, int]:
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with keys {PARAM_NAMES}, got {type(params).__name__}")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {PARAM_NAMES}")
    U, W, V, b, c = (np.asarray(params[k]) for k in PARAM_NAMES)
    H, D = U.shape if U.ndim == 2 else (None, None)
    if U.ndim != 2 or W.shape != (H, H) or V.ndim != 2 or V.shape[1] != H or b.shape != (H,) or c.shape != (V.shape[0],):
        raise ValueError(
            "inconsistent RNN parameter shapes: expected U (H, D), W (H, H), V (K, H), b (H,), c (K,); "
            f"got U {U.shape}, W {W.shape}, V {V.shape}, b {b.shape}, c {c.shape}")
    return D, H, V.shape[0]


def _as_batch(x: np.ndarray, D: int) -> tuple[np.ndarray, bool]:
    x = np.asarray(x)
    if x.ndim == 2:
        x, single = x[:, None, :], True
    elif x.ndim == 3:
        single = False
    else:
        raise ValueError(f"x must have shape (T, D) or (T, B, D), got {x.shape}")
    if x.shape[-1] != D:
        raise ValueError(f"x has {x.shape[-1]} features per step but U expects D = {D}")
    if x.shape[0] < 1:
        raise ValueError("x must have at least one time step")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values")
    return x, single


def softmax(o: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis`` (the max is subtracted first)."""
    o = np.asarray(o, dtype=np.float64) if np.asarray(o).dtype.kind != "f" else np.asarray(o)
    z = o - o.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------- forward pass

@dataclass
class RNNCache:
    """Everything the forward pass computed, kept for back-propagation.

    ``h0`` (B, H); ``a``, ``h`` (T, B, H); ``o``, ``y_hat`` (T, B, K). ``single`` is True when the
    input had no batch axis — the arrays still carry B = 1 here.
    """
    x: np.ndarray
    h0: np.ndarray
    a: np.ndarray
    h: np.ndarray
    o: np.ndarray
    y_hat: np.ndarray
    single: bool

    def squeezed(self, name: str) -> np.ndarray:
        """An array without the batch axis when the input had none."""
        arr = getattr(self, name)
        if not self.single:
            return arr
        return arr[0] if name == "h0" else arr[:, 0]


@checks.reference
def rnn_forward(params: dict, x: np.ndarray, h0: np.ndarray | None = None) -> RNNCache:
    """Run the RNN over a sequence.

    x: (T, D) or (T, B, D) inputs; h0: (H,) or (B, H) initial state (zeros when None).
    Returns an :class:`RNNCache` with ``a``, ``h`` (T, B, H) and ``o``, ``y_hat`` (T, B, K).
    """
    D, H, K = _check_params(params)
    x, single = _as_batch(x, D)
    T, B, _ = x.shape
    U, W, V, b, c = (np.asarray(params[k]) for k in PARAM_NAMES)
    dtype = np.result_type(U.dtype, x.dtype, np.float32)
    if h0 is None:
        h_prev = np.zeros((B, H), dtype=dtype)
    else:
        h_prev = np.asarray(h0, dtype=dtype)
        if h_prev.shape == (H,):
            h_prev = np.broadcast_to(h_prev, (B, H)).copy()
        if h_prev.shape != (B, H):
            raise ValueError(f"h0 must have shape (H,) = ({H},) or (B, H) = ({B}, {H}), got {np.shape(h0)}")
    h0_b = h_prev.copy()
    a = np.empty((T, B, H), dtype=dtype)
    h = np.empty((T, B, H), dtype=dtype)
    for t in range(T):
        a[t] = b + h_prev @ W.T + x[t] @ U.T
        h[t] = np.tanh(a[t])
        h_prev = h[t]
    o = h @ V.T + c
    return RNNCache(x=x, h0=h0_b, a=a, h=h, o=o, y_hat=softmax(o), single=single)


def _as_targets(y, T: int, B: int, K: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape == (T,) and B == 1:
        y = y[:, None]
    if y.shape != (T, B):
        raise ValueError(f"y must hold one class index per step and sequence, shape ({T},) or ({T}, {B}); got {y.shape}")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"y must hold integer class indices, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"y must hold class indices in 0..{K - 1}, got values from {y.min()} to {y.max()}")
    return y


@checks.reference
def sequence_loss(y_hat: np.ndarray, y: np.ndarray) -> float:
    """Summed cross-entropy ``L = −Σ_t log ŷ(t)[y(t)]`` (also summed over sequences in a batch).

    y_hat: (T, K) or (T, B, K) probabilities; y: (T,) or (T, B) class indices.
    """
    y_hat = np.asarray(y_hat)
    if y_hat.ndim == 2:
        y_hat = y_hat[:, None, :]
    if y_hat.ndim != 3:
        raise ValueError(f"y_hat must have shape (T, K) or (T, B, K), got {y_hat.shape}")
    T, B, K = y_hat.shape
    y = _as_targets(y, T, B, K)
    picked = np.take_along_axis(y_hat, y[..., None], axis=-1)[..., 0]
    return float(-np.sum(np.log(np.clip(picked, 1e-300, None))))


@checks.reference
def output_grad(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∇_o L = ŷ − 1_y for softmax + cross-entropy, one row per step: same shape as ``y_hat``."""
    y_hat = np.asarray(y_hat)
    squeeze = y_hat.ndim == 2
    yh = y_hat[:, None, :] if squeeze else y_hat
    if yh.ndim != 3:
        raise ValueError(f"y_hat must have shape (T, K) or (T, B, K), got {y_hat.shape}")
    T, B, K = yh.shape
    yy = _as_targets(y, T, B, K)
    grad = yh.copy()
    np.put_along_axis(grad, yy[..., None], np.take_along_axis(yh, yy[..., None], axis=-1) - 1.0, axis=-1)
    return grad[:, 0] if squeeze else grad


@checks.reference
def grad_V_c(h: np.ndarray, dO: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of the output layer: ``∇V = Σ_t dO(t) h(t)ᵀ`` (K, H), ``∇c = Σ_t dO(t)`` (K,).

    h: (T, H) or (T, B, H) hidden states; dO: (T, K) or (T, B, K) = ∇_o L at every step.
    """
    h, dO = np.asarray(h), np.asarray(dO)
    if h.ndim != dO.ndim or h.shape[:-1] != dO.shape[:-1] or h.ndim not in (2, 3):
        raise ValueError(f"h (T[, B], H) and dO (T[, B], K) must agree on the leading axes; got {h.shape} and {dO.shape}")
    h2 = h.reshape(-1, h.shape[-1])
    d2 = dO.reshape(-1, dO.shape[-1])
    return d2.T @ h2, d2.sum(axis=0)


@checks.reference
def bptt(params: dict, cache: RNNCache, y: np.ndarray) -> dict:
    """Back-propagation through time, by hand.

    Starts from ∇_o(t) L = ŷ(t) − 1_y(t), then walks back from t = T to 1::

        ∇h(t) = Vᵀ ∇o(t) + Wᵀ ∇a(t+1)          (the second term is absent at t = T)
        ∇a(t) = (1 − h(t)²) ⊙ ∇h(t)             (tanh' = 1 − tanh²)
        ∇W += ∇a(t) h(t−1)ᵀ,  ∇U += ∇a(t) x(t)ᵀ,  ∇b += ∇a(t)

    Returns ``{"U", "W", "V", "b", "c", "h0"}`` with the parameters' shapes (``h0``: (H,) for a
    single sequence, (B, H) for a batch).
    """
    D, H, K = _check_params(params)
    W, V = np.asarray(params["W"]), np.asarray(params["V"])
    T, B, _ = cache.h.shape
    y = _as_targets(y, T, B, K)
    dO = output_grad(cache.y_hat, y)  # (T, B, K)
    dV, dc = grad_V_c(cache.h, dO)
    dW = np.zeros_like(W, dtype=cache.h.dtype)
    dU = np.zeros((H, D), dtype=cache.h.dtype)
    db = np.zeros(H, dtype=cache.h.dtype)
    da_next = np.zeros((B, H), dtype=cache.h.dtype)
    for t in range(T - 1, -1, -1):
        dh = dO[t] @ V + da_next @ W          # (B, H): Vᵀ∇o(t) + Wᵀ∇a(t+1), written row-wise
        da = (1.0 - cache.h[t] ** 2) * dh
        h_prev = cache.h[t - 1] if t > 0 else cache.h0
        dW += da.T @ h_prev
        dU += da.T @ cache.x[t]
        db += da.sum(axis=0)
        da_next = da
    dh0 = da_next @ W
    return {"U": dU, "W": dW, "V": dV, "b": db, "c": dc, "h0": dh0[0] if cache.single else dh0}


def rnn_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray, h0: np.ndarray | None = None) -> tuple[float, dict]:
    """Forward pass, summed cross-entropy and hand-written BPTT in one call: ``(loss, grads)``."""
    cache = rnn_forward(params, x, h0)
    T, B, _ = cache.h.shape
    loss = sequence_loss(cache.y_hat, _as_targets(y, T, B, cache.y_hat.shape[-1]))
    return loss, bptt(params, cache, y)


# --------------------------------------------------------------------------- gradients through time

def hidden_jacobian_norms(W: np.ndarray, h: np.ndarray | None = None, *, linear: bool = False,
                          T: int | None = None, ord="fro") -> np.ndarray:
    """‖∂h(T)/∂h(t)‖ for t = T, T−1, …, 0 — how much the last state still depends on step t.

    With tanh units ∂h(k)/∂h(k−1) = diag(1 − h(k)²) W, so::

        ∂h(T)/∂h(t) = Π_{k=t+1..T} diag(1 − h(k)²) W

    ``h`` (T, H) are the hidden states of one sequence (from :func:`rnn_forward`); with
    ``linear=True`` the network is taken as linear (h(t) = W h(t−1) + …), the Jacobian is W^(T−t)
    and only ``T`` is needed. Returns an array of length T + 1 whose entry ``t`` is the norm for
    step t (entry T is ‖I‖). ``ord`` is passed to ``numpy.linalg.norm`` ("fro" or 2).
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square (H, H), got {W.shape}")
    H = W.shape[0]
    if linear:
        if T is None:
            if h is None:
                raise ValueError("give T (number of steps) or h when linear=True")
            T = len(h)
    else:
        if h is None:
            raise ValueError("h (T, H) hidden states are needed for a tanh network (or pass linear=True)")
        h = np.asarray(h, dtype=np.float64)
        if h.ndim == 3 and h.shape[1] == 1:
            h = h[:, 0]
        if h.ndim != 2 or h.shape[1] != H:
            raise ValueError(f"h must have shape (T, H) with H = {H}, got {h.shape}")
        T = h.shape[0]
    norms = np.empty(T + 1)
    J = np.eye(H)
    norms[T] = np.linalg.norm(J, ord=ord)
    for t in range(T - 1, -1, -1):
        step = W if linear else (1.0 - h[t] ** 2)[:, None] * W   # ∂h(t+1)/∂h(t), h index t ↔ step t+1
        J = J @ step
        norms[t] = np.linalg.norm(J, ord=ord)
    return norms


@checks.reference
def global_norm(grads) -> float:
    """√(Σ over every array of Σ g²): the norm of all gradients seen as one long vector."""
    arrays = list(grads.values()) if isinstance(grads, dict) else list(grads)
    return float(np.sqrt(sum(float(np.sum(np.asarray(g, dtype=np.float64) ** 2)) for g in arrays)))


@checks.reference
def clip_by_norm(grads: dict, max_norm: float) -> tuple[dict, float]:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    Returns ``(clipped, norm_before)``. When the norm is already ≤ ``max_norm`` the gradients come
    back unchanged (copies). The direction of the update never changes, only its length, like
    ``torch.nn.utils.clip_grad_norm_``.
    """
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict name -> array, got {type(grads).__name__}")
    if not np.isfinite(max_norm) or max_norm <= 0:
        raise ValueError(f"max_norm must be a positive number, got {max_norm}")
    norm = global_norm(grads)
    scale = min(1.0, max_norm / (norm + 1e-6))   # torch adds the same 1e-6
    return {k: np.asarray(g) * scale for k, g in grads.items()}, norm


# --------------------------------------------------------------------------- GRU

def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^(−z)), computed without overflow."""
    z = np.asarray(z, dtype=np.float64) if np.asarray(z).dtype.kind != "f" else np.asarray(z)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


@checks.reference
def gru_cell(x: np.ndarray, h: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
             bias_ih: np.ndarray, bias_hh: np.ndarray) -> np.ndarray:
    """One step of a gated recurrent unit, with torch.nn.GRUCell's parameter layout.

    x: (B, D) or (D,); h: (B, H) or (H,); weight_ih (3H, D) and weight_hh (3H, H) stack the
    reset, update and candidate blocks in that order (r, z, n); biases (3H,)::

        r = σ(W_ir x + b_ir + W_hr h + b_hr)          reset gate
        z = σ(W_iz x + b_iz + W_hz h + b_hz)          update gate
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) candidate state
        h' = (1 − z) ⊙ n + z ⊙ h

    Returns h' with the shape of ``h``.
    """
    weight_ih, weight_hh = np.asarray(weight_ih), np.asarray(weight_hh)
    H = weight_hh.shape[1] if weight_hh.ndim == 2 else -1
    if weight_hh.shape != (3 * H, H) or weight_ih.ndim != 2 or weight_ih.shape[0] != 3 * H:
        raise ValueError(f"expected weight_ih (3H, D) and weight_hh (3H, H); got {weight_ih.shape} and {weight_hh.shape}")
    x, h = np.asarray(x), np.asarray(h)
    if x.shape[-1] != weight_ih.shape[1] or h.shape[-1] != H:
        raise ValueError(f"x (…, {weight_ih.shape[1]}) and h (…, {H}) do not match the weights; got {x.shape} and {h.shape}")
    gi = x @ weight_ih.T + bias_ih
    gh = h @ weight_hh.T + bias_hh
    r = sigmoid(gi[..., :H] + gh[..., :H])
    z = sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
    n = np.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    return (1.0 - z) * n + z * h


def gru_forward(x: np.ndarray, h0: np.ndarray, weight_ih, weight_hh, bias_ih, bias_hh) -> np.ndarray:
    """Run :func:`gru_cell` over x (T, B, D) from h0 (B, H); returns all states (T, B, H)."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (T, B, D), got {x.shape}")
    h = np.asarray(h0)
    out = []
    for t in range(x.shape[0]):
        h = gru_cell(x[t], h, weight_ih, weight_hh, bias_ih, bias_hh)
        out.append(h)
    return np.stack(out)


def gru_params_from_torch(cell) -> dict:
    """The four arrays of a ``torch.nn.GRUCell`` (or layer 0 of ``torch.nn.GRU``) as float64 NumPy."""
    suffix = "" if hasattr(cell, "weight_ih") else "_l0"
    get = lambda n: getattr(cell, n + suffix).detach().cpu().double().numpy()  # noqa: E731
    return {k: get(k) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


# --------------------------------------------------------------------------- a musical sequence task

SCALE_MIDI = (60, 62, 64, 65, 67, 69, 71, 72)  # C major, C4 to C5: the 8 note classes of the melodies


def aaba_melodies(n: int, phrase: int = 4, *, n_notes: int = len(SCALE_MIDI), seed: int = 0) -> np.ndarray:
    """Random melodies in AABA song form, as note indices into :data:`SCALE_MIDI`.

    Each melody is four phrases of ``phrase`` notes: a random phrase A, A again, a different random
    phrase B, then A once more (the 32-bar form of many jazz standards, in miniature). Notes inside a
    phrase are a random walk of steps −2…+2 on the scale, so the first note of a phrase is the only
    jump. Returns int array (n, 4·phrase). The first A and B cannot be predicted; the repeats can,
    but only by a model that remembers what it heard ``phrase`` or ``2·phrase`` steps ago.
    """
    if n < 1 or phrase < 2:
        raise ValueError(f"need n ≥ 1 and phrase ≥ 2, got n={n}, phrase={phrase}")
    rng = np.random.default_rng(seed)

    def walk():
        notes = [rng.integers(n_notes)]
        for _ in range(phrase - 1):
            notes.append(int(np.clip(notes[-1] + rng.integers(-2, 3), 0, n_notes - 1)))
        return np.array(notes)

    out = np.empty((n, 4 * phrase), dtype=np.int64)
    for i in range(n):
        A = walk()
        B = walk()
        while np.array_equal(A, B):
            B = walk()
        out[i] = np.concatenate([A, A, B, A])
    return out


def bigram_accuracy(train: np.ndarray, test: np.ndarray, n_notes: int = len(SCALE_MIDI)) -> float:
    """Next-note accuracy of the best memoryless guess: the most frequent successor of each note
    (counted on ``train`` melodies (n, T)), scored on ``test``. The baseline an RNN must beat."""
    counts = np.zeros((n_notes, n_notes))
    for seq in np.asarray(train):
        np.add.at(counts, (seq[:-1], seq[1:]), 1)
    guess = counts.argmax(axis=1)
    test = np.asarray(test)
    return float(np.mean(guess[test[:, :-1]] == test[:, 1:]))


def melody_audio(notes, sr: int = 16000, note_s: float = 0.25) -> np.ndarray:
    """A melody of note indices (into :data:`SCALE_MIDI`) as a plain tone sequence to listen to:
    float32 (len(notes)·note_s·sr,), each note a few harmonics with a short fade in and out."""
    n = int(round(note_s * sr))
    t = np.arange(n) / sr
    env = np.minimum(1.0, np.minimum(t / 0.01, (note_s - t) / 0.05)) * np.exp(-3.0 * t)
    out = []
    for k in np.asarray(notes).ravel():
        f = 440.0 * 2 ** ((SCALE_MIDI[int(k)] - 69) / 12)
        tone = sum(np.sin(2 * np.pi * f * h * t) / h ** 1.5 for h in (1, 2, 3, 4))
        out.append(0.25 * env * tone)
    return np.concatenate(out).astype(np.float32)


def melody_xy(melodies: np.ndarray, n_notes: int = len(SCALE_MIDI)) -> tuple[np.ndarray, np.ndarray]:
    """Next-note prediction pairs from melodies (n, T): one-hot inputs x (T−1, n, n_notes) float64
    of notes 1…T−1, and targets y (T−1, n) int — the note that follows each input."""
    m = np.asarray(melodies)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ValueError(f"melodies must have shape (n, T) with T ≥ 2, got {m.shape}")
    x = np.eye(n_notes)[m[:, :-1]].transpose(1, 0, 2)
    return x, m[:, 1:].T.copy()


def position_accuracy(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Accuracy of arg-max predictions at each time step: y_hat (T, B, K), y (T, B) → (T,)."""
    return np.mean(np.asarray(y_hat).argmax(-1) == np.asarray(y), axis=1)


@dataclass
class TrainLog:
    """What a training run recorded: loss per step (mean per prediction) and gradient norms
    before clipping."""
    loss: list
    grad_norm: list
    seconds: float


def train_numpy_rnn(melodies: np.ndarray, n_hidden: int = 32, *, steps: int = 1500, batch_size: int = 64,
                    lr: float = 0.01, clip: float | None = 1.0, rho: float = 0.9, seed: int = 0,
                    grads_fn=None, clip_fn=None, optimizer: str = "adam") -> tuple[dict, TrainLog]:
    """Train the from-scratch RNN on next-note prediction with hand-written BPTT and Adam (or SGD).

    ``grads_fn(params, x, y) -> (loss, grads)`` defaults to :func:`rnn_loss_and_grads`; pass your
    own to train with your BPTT. ``clip``: global-norm clipping threshold (None: no clipping);
    ``clip_fn(grads, max_norm) -> clipped grads`` defaults to :func:`clip_by_norm`.
    ``optimizer``: "adam" or "sgd" (plain gradient descent: the step is lr × gradient, so an
    exploding gradient becomes an exploding step — the case clipping was invented for).
    Gradients are averaged over the predictions of the batch. Returns ``(params, TrainLog)``.
    """
    import time

    grads_fn = grads_fn or rnn_loss_and_grads
    melodies = np.asarray(melodies)
    n_notes = len(SCALE_MIDI)
    params = init_params(n_notes, n_hidden, n_notes, seed=seed, rho=rho)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    rng = np.random.default_rng(seed)
    log = TrainLog([], [], 0.0)
    start = time.perf_counter()
    for s in range(1, steps + 1):
        batch = melodies[rng.integers(0, len(melodies), batch_size)]
        x, y = melody_xy(batch, n_notes)
        loss, g = grads_fn(params, x, y)
        g = {k: np.asarray(g[k]) / y.size for k in PARAM_NAMES}       # mean over predictions
        norm = global_norm(g)
        if clip is not None:
            g = clip_fn(g, clip) if clip_fn is not None else clip_by_norm(g, clip)[0]
        if optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
        for k in PARAM_NAMES:
            if optimizer == "sgd":
                params[k] -= lr * g[k]
                continue
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
            params[k] -= lr * (m[k] / (1 - 0.9 ** s)) / (np.sqrt(v[k] / (1 - 0.999 ** s)) + 1e-8)
        log.loss.append(float(loss) / y.size)
        log.grad_norm.append(norm)
    log.seconds = time.perf_counter() - start
    return params, log


class TorchSequenceModel:
    """A ``torch.nn.RNN`` or ``torch.nn.GRU`` plus a linear read-out, for next-note prediction."""

    def __init__(self, kind: str = "GRU", n_hidden: int = 32, n_notes: int = len(SCALE_MIDI), seed: int = 0):
        import torch

        if kind not in ("RNN", "GRU", "LSTM"):
            raise ValueError(f"kind must be 'RNN', 'GRU' or 'LSTM', got {kind!r}")
        torch.manual_seed(seed)
        self.kind = kind
        self.rnn = getattr(torch.nn, kind)(n_notes, n_hidden)
        self.readout = torch.nn.Linear(n_hidden, n_notes)

    def parameters(self):
        return list(self.rnn.parameters()) + list(self.readout.parameters())

    def __call__(self, x):
        states, _ = self.rnn(x)
        return self.readout(states)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Softmax probabilities (T, B, K) for one-hot inputs x (T, B, K)."""
        import torch

        with torch.no_grad():
            return torch.softmax(self(torch.as_tensor(x, dtype=torch.float32)), -1).numpy()


def train_torch_rnn(melodies: np.ndarray, kind: str = "GRU", n_hidden: int = 32, *, steps: int = 1500,
                    batch_size: int = 64, lr: float = 0.01, clip: float | None = 1.0, seed: int = 0):
    """Train a torch RNN/GRU on next-note prediction with autograd, Adam and clipping.
    Returns ``(TorchSequenceModel, TrainLog)``."""
    model = TorchSequenceModel(kind, n_hidden, seed=seed)
    with _one_thread():
        return _train_torch_rnn(model, melodies, steps, batch_size, lr, clip, seed)


class _one_thread:
    """Run small recurrent workloads on one CPU thread (they are latency-bound: more threads only
    add synchronisation, which is very slow on a busy machine); restores the setting afterwards."""

    def __enter__(self):
        import torch

        self.n = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        import torch

        torch.set_num_threads(self.n)


def _train_torch_rnn(model, melodies, steps, batch_size, lr, clip, seed):
    import time

    import torch

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x_all, y_all = melody_xy(melodies)
    X = torch.tensor(x_all, dtype=torch.float32)
    Y = torch.tensor(y_all)
    rng = np.random.default_rng(seed)
    log = TrainLog([], [], 0.0)
    start = time.perf_counter()
    for _ in range(steps):
        idx = torch.as_tensor(rng.integers(0, X.shape[1], batch_size))
        logits = model(X[:, idx])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y[:, idx].reshape(-1))
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip is not None else float("inf"))
        opt.step()
        log.loss.append(float(loss.detach()))
        log.grad_norm.append(float(norm))
    log.seconds = time.perf_counter() - start
    return model, log


def torch_state_jacobian_norms(model: "TorchSequenceModel", x: np.ndarray) -> np.ndarray:
    """‖∂h(T)/∂h(t)‖_F for a trained torch RNN/GRU (one layer) on one sequence x (T, K):
    returns (T,) with entry t for the state after step t+1 (the last entry is ‖I‖ = √H)."""
    import torch

    cell_cls = {"RNN": torch.nn.RNNCell, "GRU": torch.nn.GRUCell}.get(model.kind)
    if cell_cls is None:
        raise ValueError("only RNN and GRU models are supported")
    rnn_layer = model.rnn
    cell = cell_cls(rnn_layer.input_size, rnn_layer.hidden_size)
    with torch.no_grad():
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, n).copy_(getattr(rnn_layer, n + "_l0"))
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    T = xt.shape[0]
    states = []
    h = torch.zeros(rnn_layer.hidden_size)
    with torch.no_grad():
        for t in range(T):
            h = cell(xt[t], h)
            states.append(h.clone())
    norms = np.empty(T)
    with _one_thread():
        for t in range(T):
            def run(h_t, t=t):
                for k in range(t + 1, T):
                    h_t = cell(xt[k], h_t)
                return h_t
            J = torch.autograd.functional.jacobian(run, states[t])
            norms[t] = float(torch.linalg.norm(J))
    return norms
