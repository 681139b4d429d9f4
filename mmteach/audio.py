"""Audio in, spectrograms out: the two input pipelines of the course (lesson 02).

Every spectrogram here is a float32 array of shape ``(n_mels, n_frames)`` — frequency × time, as
the plots show it — and a batch of patches is ``(n_patches, n_mels, n_frames)``.

Two pipelines
-------------
**MusiCNN** (Pons & Serra's ``musicnn`` package, the pretrained model of lessons 08–09)::

    16 kHz mono → STFT (n_fft 512, periodic Hann, hop 256, centred) → |X|² (power)
    → 96 Slaney mel bands (0–8 kHz, Slaney area normalisation)
    → round to float16 → log10(1 + 10 000·S) in float32 → patches of 187 frames (≈ 3 s)

:func:`musicnn_input` reproduces ``musicnn/extractor.py`` line by line. The original wrote
``np.log10(10000 * S16 + 1)`` on a float16 array; under NumPy ≥ 2 that product stays float16
and overflows to ``inf`` for any mel power above 6.55, so we round to float16 (exactly as the
original did) and then compute the logarithm in float32 (what NumPy 1.16 did).

Known differences from the original era (librosa 0.7, 2019) and the choices we offer:

* **STFT padding.** librosa 0.7–0.9 padded the signal by ``n_fft // 2`` samples on each side by
  *reflection*; librosa ≥ 0.10 pads with *zeros*. Only the first and last frame of a clip
  change (by up to ≈ 1.2 log units on music); every other frame is identical. We default to
  ``pad_mode="constant"``, what the original code computes when it runs today: with it our output
  equals, bit for bit, the log-mel that musicnn 0.1.0 itself produced under librosa 0.10.2 (the
  fixture ``tests/fixtures/musicnn/audio.npz``). ``pad_mode="reflect"`` gives the training era's
  edge frames.
* **Resampler.** librosa 0.7 resampled with ``resampy`` (``res_type="kaiser_best"``); librosa ≥
  0.10 uses ``soxr`` (``"soxr_hq"``). Their anti-aliasing filters roll off differently just below
  8 kHz. Measured on lesson 02's band example (44.1 → 16 kHz, resampy 0.4.3, soxr 1.1): the two
  log-mel inputs agree within 0.01 in bands 0–92 (up to ≈ 7.2 kHz) but differ by up to 1.5 (on a
  0–5.4 range) in the top three bands, 93–95 (≈ 7.3–8 kHz). Pass ``res_type="kaiser_best"`` for
  the training era's choice (it needs ``pip install resampy``); the default is ``"soxr_hq"``,
  today's librosa default, which needs nothing extra. Audio already at 16 kHz is not touched, so this only matters for other
  rates — resample once with the resampler you want and pass 16 kHz audio to be sure.

**Pons et al.** (CBMI 2016 / ICASSP 2017, lessons 04–05; Essentia in the original)::

    44.1 kHz mono → STFT (2048-sample Blackman-Harris-62 window, hop 1024 = 50 % overlap)
    → |X|² → 40 HTK mel bands (0–22 050 Hz, each filter's weights summing to 1)
    → log10(1 + 10 000·x) → ONE mean and ONE std over the whole training set → patches of N frames

The original used Essentia (``FrameCutter``/``FrameGenerator``, ``Windowing(type="blackmanharris62")``,
``Spectrum``, ``MelBands(numberBands=40)``); Essentia is not a dependency of this course, so
:func:`pons_input` re-creates its defaults with NumPy/librosa: the window is the 3-term
Blackman-Harris (−62 dB side lobes) scaled so its samples sum to 2 (Essentia's ``normalized=True``:
a full-scale sine then has a spectral peak of about its amplitude); mel filters are triangles on
the HTK mel scale with unit-sum weights (``normalize="unit_sum"``), fed the power spectrum
(``type="power"``); frame ``m`` is centred on sample ``m·1024`` with zero padding, for
``m = 0 … ceil(n / 1024)``. Checked against Essentia 2.1b6.dev1389 on lesson 02's band example:
the same number of frames and the same values to within float32 rounding. (Essentia of 2016 may
have differed in details we cannot check here; the frame grid — 43.07 frames per second, 43
frames per beat at 60 bpm — is certain.)

Bad input
---------
Every function checks its audio with the same rules and raises a clear error:

* not a 1-D array (e.g. stereo ``(2, n)`` or ``(n, 2)``) → ``ValueError`` (mix down first:
  ``y.mean(axis=0)``, or ``load(path, mono=True)``);
* integer, boolean, complex or object arrays → ``TypeError`` (integer PCM has no agreed scale:
  divide int16 by 32768 yourself);
* empty, or shorter than one STFT window → ``ValueError``;
* NaN or ±inf anywhere → ``ValueError`` naming how many and where the first is;
* sample rate not a positive integer in [1 000, 768 000] Hz → ``ValueError``/``TypeError``.

The pieces (:func:`resample`, :func:`log_compress`, :func:`hz_to_mel`, :func:`normalise`,
:func:`patches`) take any real numbers, int or float, but refuse strings, objects and complex
values (``TypeError``) and NaN or ±inf (``ValueError``). Torch tensors given to
:func:`log_compress` and :func:`normalise` are passed through unchecked (a check would stall the GPU).

**Silence is valid audio.** An all-zero clip gives an all-zero spectrogram from both pipelines,
because log10(1 + 10 000·0) = 0. :func:`fit_normaliser` refuses a training set whose values are
all equal (its std would be 0), since dividing by it would silently produce NaN.

Audio louder than full scale is accepted, but if a MusiCNN mel power exceeds the float16 range
(65 504) the rounding step would turn it into ``inf``, as the original did; we raise a
``ValueError`` instead and suggest scaling the audio into [−1, 1].
"""
from __future__ import annotations

import functools
import math
import os
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from . import checks

__all__ = [
    "MUSICNN_SR", "MUSICNN_N_FFT", "MUSICNN_HOP", "MUSICNN_N_MELS", "MUSICNN_PATCH_FRAMES",
    "PONS_SR", "PONS_N_FFT", "PONS_HOP", "PONS_N_MELS", "PONS_PATCH_FRAMES", "LOG_C", "FEATURES_VERSION",
    "load", "resample", "musicnn_input", "musicnn_patches", "musicnn_mel_power",
    "pons_input", "pons_mel_power", "pons_window", "pons_mel_filters",
    "log_compress", "power_to_db", "hz_to_mel", "mel_to_hz",
    "Normaliser", "fit_normaliser", "normalise", "patches",
    "frames_per_beat", "frames_to_seconds", "seconds_to_frames", "stft_n_frames",
    "plot_spectrogram", "render_notes", "example_sound", "mel_to_audio",
]

# ----------------------------------------------------------------------------------- constants

MUSICNN_SR = 16000
MUSICNN_N_FFT = 512
MUSICNN_HOP = 256
MUSICNN_N_MELS = 96
MUSICNN_PATCH_FRAMES = 187      # librosa.time_to_frames(3 s, sr=16000, hop=256, n_fft=512) + 1

PONS_SR = 44100
PONS_N_FFT = 2048
PONS_HOP = 1024
PONS_N_MELS = 40
PONS_PATCH_FRAMES = (80, 250)   # CBMI 2016 uses 80 frames (≈ 1.86 s), ICASSP 2017 uses 250 (≈ 5.8 s)

LOG_C = 10000.0                 # the compression constant C in log10(1 + C·x)

# Bumped whenever a pipeline's output changes; caches of computed features should include it in
# their key. 2: pons_input gives Essentia's frame count, 1 + ceil(n / 1024).
FEATURES_VERSION = 2

MIN_SR, MAX_SR = 1000, 768000
_FLOAT16_MAX = float(np.finfo(np.float16).max)   # 65504

# ----------------------------------------------------------------------------------- checking


def _check_sr(sr, name: str = "sr") -> int:
    """Return ``sr`` as an int, or raise if it is not a plausible sample rate in Hz."""
    if isinstance(sr, bool) or not isinstance(sr, Real):
        raise TypeError(f"{name} must be a sample rate in Hz (an int such as 16000), got {type(sr).__name__} {sr!r}")
    if not math.isfinite(float(sr)) or float(sr) != int(sr):
        raise ValueError(f"{name} must be a whole number of samples per second, got {sr!r}")
    sr = int(sr)
    if not MIN_SR <= sr <= MAX_SR:
        raise ValueError(f"{name}={sr} Hz is not a valid audio sample rate: expected {MIN_SR}–{MAX_SR} Hz "
                         f"(e.g. {MUSICNN_SR} or {PONS_SR})")
    return sr


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        if isinstance(value, Real) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def _check_audio(y, min_samples: int = 1, name: str = "y") -> np.ndarray:
    """Return ``y`` as a contiguous float32 1-D array after checking it is usable mono audio."""
    if hasattr(y, "detach"):  # a torch tensor
        y = y.detach().cpu().numpy()
    arr = np.asarray(y)
    if arr.dtype == object or arr.dtype.kind not in "f":
        kind = {"i": "integer", "u": "unsigned integer", "b": "boolean", "c": "complex"}.get(arr.dtype.kind, str(arr.dtype))
        hint = " (integer PCM: divide int16 by 32768 to get floats in [-1, 1])" if arr.dtype.kind in "iu" else ""
        raise TypeError(f"{name} must be floating-point audio samples, got a {kind} array of dtype {arr.dtype}{hint}")
    if arr.ndim != 1:
        hint = ""
        if arr.ndim == 2:
            hint = ("; this looks like multi-channel audio — mix it down first, e.g. y.mean(axis=0) for "
                    "(channels, samples) or y.mean(axis=1) for (samples, channels), or use load(path, mono=True)")
        raise ValueError(f"{name} must be mono audio of shape (n_samples,), got shape {arr.shape}{hint}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (0 samples): expected mono audio of shape (n_samples,)")
    if arr.size < min_samples:
        raise ValueError(f"{name} has {arr.size} samples, fewer than one analysis window of {min_samples} samples")
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(f"{name} contains {bad.size} non-finite sample(s) (NaN or inf), the first at index "
                         f"{bad[0]} ({arr[bad[0]]}); clean the audio before computing features")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _check_spec(spec, name: str = "spec") -> np.ndarray:
    if hasattr(spec, "detach"):
        spec = spec.detach().cpu().numpy()
    arr = np.asarray(spec)
    if arr.dtype == object or arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a spectrogram of shape (n_mels, n_frames), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _finite_numbers(x, what: str, expected: str) -> np.ndarray:
    """``x`` as a numpy array of real numbers (its own dtype kept), every value finite; else a
    TypeError (not numbers) or ValueError (NaN/inf) whose message says ``expected``."""
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:   # ragged nested lists
        raise TypeError(f"{what} must be {expected} as real numbers, got a {type(x).__name__} that is not "
                        "a regular array") from err
    if arr.dtype == object or arr.dtype.kind not in "fiub":
        came = f"an array of dtype {arr.dtype}" if isinstance(x, np.ndarray) else f"{type(x).__name__} {x!r:.40}"
        raise TypeError(f"{what} must be {expected} as real numbers (int or float), got {came}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr))
        raise ValueError(f"{what} must be {expected}, all finite, but it holds {bad.size} NaN or inf value(s), "
                         f"the first at flat index {bad[0]} ({arr.flat[bad[0]]})")
    return arr

# ----------------------------------------------------------------------------------- loading


def load(path, sr: int | None = None, mono: bool = True, *, res_type: str = "soxr_hq"):
    """Read an audio file (wav, flac, ogg, mp3 — anything libsndfile reads) as float32.

    Args:
        path: the file.
        sr: sample rate wanted in Hz; ``None`` keeps the file's own rate.
        mono: average the channels (as librosa and the original pipelines do).
        res_type: resampler when ``sr`` differs from the file's rate (see :func:`resample`).

    Returns:
        ``(y, sr)``: ``y`` float32 of shape ``(n_samples,)`` when ``mono``, else
        ``(n_channels, n_samples)``; ``sr`` the int rate of ``y``.

    Raises FileNotFoundError for a missing file and ValueError for a file that cannot be decoded
    or holds no samples.
    """
    import soundfile as sf

    path = Path(os.fspath(path)).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no audio file at {path}")
    if sr is not None:
        sr = _check_sr(sr)
    try:
        data, native_sr = sf.read(str(path), dtype="float32", always_2d=True)   # (n_samples, n_channels)
    except Exception as err:  # libsndfile's message names the reason; keep it as the cause
        raise ValueError(f"could not decode {path} as audio ({type(err).__name__}: {err}); "
                         "supported: wav, flac, ogg/vorbis, mp3 and the other formats libsndfile reads") from err
    if data.shape[0] == 0:
        raise ValueError(f"{path} holds no audio samples")
    y = data.mean(axis=1) if mono else data.T
    y = np.ascontiguousarray(y, dtype=np.float32)
    native_sr = int(native_sr)
    if sr is not None and sr != native_sr:
        y = resample(y, native_sr, sr, res_type=res_type)
    return y, (sr if sr is not None else native_sr)


def resample(y, orig_sr: int, target_sr: int, *, res_type: str = "soxr_hq") -> np.ndarray:
    """Resample float audio from ``orig_sr`` to ``target_sr`` Hz (last axis is time).

    ``res_type`` is passed to ``librosa.resample``: ``"soxr_hq"`` (librosa ≥ 0.10's default) or
    ``"kaiser_best"`` (librosa 0.7's default, used when MusiCNN was trained; needs ``resampy``).
    """
    import librosa

    orig_sr, target_sr = _check_sr(orig_sr, "orig_sr"), _check_sr(target_sr, "target_sr")
    y = np.asarray(_finite_numbers(y, "y", "audio samples (time on the last axis)"), dtype=np.float32)
    if orig_sr == target_sr:
        return y
    try:
        out = librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type)
    except ModuleNotFoundError as err:
        missing = err.name or ("resampy" if "resampy" in str(err) else str(err).split("'")[1] if "'" in str(err) else "?")
        raise ModuleNotFoundError(f"res_type={res_type!r} needs the package {missing!r}: "
                                  f"pip install {missing}, or use res_type='soxr_hq'") from err
    return np.ascontiguousarray(out, dtype=np.float32)

# ----------------------------------------------------------------------------------- pieces


@checks.reference
def log_compress(x, C: float = LOG_C):
    """The compression of both pipelines: ``log10(1 + C·x)`` elementwise (C = 10 000).

    Args:
        x: non-negative energies (any shape; numpy array or torch tensor).
        C: how strongly to compress (larger C → quiet parts lifted more).

    Returns the same shape; numpy input gives float32 (float64 stays float64), a tensor gives a tensor.
    It is 0 where x is 0 and ≈ log10(C·x) where C·x ≫ 1, so it behaves like a dB scale for loud
    parts but, unlike dB, never goes to −∞ for silence.
    """
    if hasattr(x, "detach"):
        import torch

        return torch.log10(1 + C * x)
    x = _finite_numbers(x, "x", "non-negative energies")
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    elif x.dtype == np.float16:   # NumPy 2 keeps float16 here and would overflow: widen first
        x = x.astype(np.float32)
    return np.log10(x.dtype.type(C) * x + x.dtype.type(1))


def power_to_db(S, ref: float = 1.0, amin: float = 1e-10, top_db: float | None = 80.0) -> np.ndarray:
    """Decibels ``10·log10(max(S, amin) / ref)``, floored at ``max − top_db`` (for comparison plots)."""
    S = np.asarray(S, dtype=np.float32)
    db = 10.0 * np.log10(np.maximum(S, amin) / ref)
    if top_db is not None:
        db = np.maximum(db, db.max() - top_db)
    return db.astype(np.float32)


@checks.reference
def hz_to_mel(f, htk: bool = True):
    """Frequency in Hz → mel.

    ``htk=True`` (Pons / Essentia): ``m = 2595 · log10(1 + f / 700)``.
    ``htk=False`` (Slaney, MusiCNN / librosa's default): linear below 1 kHz (``m = 3 f / 200``),
    logarithmic above (``m = 15 + 27 · ln(f / 1000) / ln 6.4``).
    Works on scalars and arrays (returns float64).
    """
    f = np.asarray(_finite_numbers(f, "f", "frequencies in Hz"), dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = 3.0 * f / 200.0
    log_part = 15.0 + 27.0 * np.log(np.maximum(f, 1e-10) / 1000.0) / np.log(6.4)
    return np.where(f >= 1000.0, log_part, linear)


def mel_to_hz(m, htk: bool = True):
    """Inverse of :func:`hz_to_mel` (same ``htk`` switch)."""
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    linear = 200.0 * m / 3.0
    log_part = 1000.0 * np.exp(np.log(6.4) * (m - 15.0) / 27.0)
    return np.where(m >= 15.0, log_part, linear)

# The library's own pipelines call the plain functions, so that they keep working while a
# learner's answer runs with the exercise references switched off (see mmteach.checks).
_log_compress = log_compress.__wrapped__
_hz_to_mel = hz_to_mel.__wrapped__

# ----------------------------------------------------------------------------------- MusiCNN


def musicnn_mel_power(y, sr: int = MUSICNN_SR, *, pad_mode: str = "constant", res_type: str = "soxr_hq") -> np.ndarray:
    """The MusiCNN mel power spectrogram before rounding and compression: float32 (96, n_frames).

    ``librosa.feature.melspectrogram(y, sr=16000, n_fft=512, hop_length=256, n_mels=96)`` with the
    padding chosen by ``pad_mode`` (see the module docstring). ``n_frames = 1 + n_samples // 256``
    at 16 kHz.
    """
    import librosa

    sr = _check_sr(sr)
    y = _check_audio(y, min_samples=1)
    if sr != MUSICNN_SR:
        y = resample(y, sr, MUSICNN_SR, res_type=res_type)
    if y.size < MUSICNN_N_FFT:
        raise ValueError(f"audio too short for MusiCNN: {y.size} samples at 16 kHz, need at least one "
                         f"window of {MUSICNN_N_FFT} samples (32 ms)")
    if pad_mode not in ("reflect", "constant"):
        raise ValueError(f"pad_mode must be 'constant' (librosa ≥ 0.10) or 'reflect' (librosa 0.7, "
                         f"what MusiCNN was trained on), got {pad_mode!r}")
    S = librosa.feature.melspectrogram(y=y, sr=MUSICNN_SR, n_fft=MUSICNN_N_FFT, hop_length=MUSICNN_HOP,
                                       n_mels=MUSICNN_N_MELS, pad_mode=pad_mode)
    return S.astype(np.float32, copy=False)


def musicnn_input(y, sr: int, *, pad_mode: str = "constant", res_type: str = "soxr_hq") -> np.ndarray:
    """The log-mel spectrogram MusiCNN takes, exactly as ``musicnn/extractor.py`` computes it.

    Args:
        y: mono audio, float, shape ``(n_samples,)``.
        sr: its sample rate in Hz; resampled to 16 kHz when different.
        pad_mode: ``"constant"`` (default; librosa ≥ 0.10, what the original code gives today) or
            ``"reflect"`` (librosa 0.7–0.9, the era the weights were trained in).
        res_type: resampler (``"soxr_hq"`` default, ``"kaiser_best"`` = the original; needs resampy).

    Returns:
        float32 ``(96, n_frames)`` with ``n_frames = 1 + n_16k // 256`` (62.5 frames per second):
        ``log10(1 + 10000 · float16(S))`` computed in float32. Silence gives all zeros.

    The original's layout is ``(n_frames, 96)``; ours is transposed to the course convention.
    """
    S = musicnn_mel_power(y, sr, pad_mode=pad_mode, res_type=res_type)
    if S.max() > _FLOAT16_MAX:
        raise ValueError(f"mel power {S.max():.4g} exceeds the float16 range ({_FLOAT16_MAX:g}) that the original "
                         "MusiCNN pipeline rounds to (it would give inf); is the audio scaled to [-1, 1]? "
                         f"Its peak is {np.abs(np.asarray(y, dtype=np.float32)).max():.4g}")
    S16 = S.astype(np.float16).astype(np.float32)
    return np.log10(np.float32(LOG_C) * S16 + np.float32(1.0)).astype(np.float32)


def musicnn_patches(y, sr: int, hop_frames: int | None = None, **kwargs) -> np.ndarray:
    """MusiCNN's input cut into 187-frame (3 s) patches: float32 ``(n_patches, 96, 187)``.

    ``hop_frames`` is the step between patch starts (the original's misnamed ``overlap``
    argument); by default 187, i.e. non-overlapping patches, and the tail that does not fill a
    patch is dropped, as the original does. Audio shorter than one patch (< 3 s) raises
    ValueError (the original crashed with a NameError). Keyword arguments go to
    :func:`musicnn_input`.
    """
    spec = musicnn_input(y, sr, **kwargs)
    if spec.shape[1] < MUSICNN_PATCH_FRAMES:
        raise ValueError(f"audio too short for one MusiCNN patch: {spec.shape[1]} frames "
                         f"({frames_to_seconds(spec.shape[1], MUSICNN_SR, MUSICNN_HOP):.2f} s), need "
                         f"{MUSICNN_PATCH_FRAMES} frames (≈ 3 s at 16 kHz)")
    return _patches(spec, MUSICNN_PATCH_FRAMES, hop=hop_frames)

# ----------------------------------------------------------------------------------- Pons


@functools.lru_cache(maxsize=None)
def pons_window(n_fft: int = PONS_N_FFT) -> np.ndarray:
    """Essentia's ``blackmanharris62`` window, normalised so its samples sum to 2 (float64).

    3-term Blackman-Harris, ``w[n] = a0 − a1 cos(2πn/(N−1)) + a2 cos(4πn/(N−1))`` with
    (a0, a1, a2) = (0.44959, 0.49364, 0.05677): side lobes at −62 dB.
    """
    n = np.arange(n_fft, dtype=np.float64)
    phase = 2.0 * np.pi * n / (n_fft - 1)
    w = 0.44959 - 0.49364 * np.cos(phase) + 0.05677 * np.cos(2.0 * phase)
    w = 2.0 * w / w.sum()
    w.setflags(write=False)
    return w


@functools.lru_cache(maxsize=None)
def pons_mel_filters(sr: int = PONS_SR, n_fft: int = PONS_N_FFT, n_mels: int = PONS_N_MELS,
                     fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular HTK-mel filters, triangles drawn on the mel axis, each row summing to 1.

    Shape ``(n_mels, 1 + n_fft // 2)``, float64. Band ``k`` rises from mel point ``k`` to
    ``k + 1`` and falls to ``k + 2``, with ``n_mels + 2`` points equally spaced in mel between
    ``fmin`` and ``fmax`` (default sr/2).
    """
    fmax = sr / 2.0 if fmax is None else fmax
    edges = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    bin_mel = _hz_to_mel(np.arange(1 + n_fft // 2) * sr / n_fft)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bin_mel[None, :] - lo) / (mid - lo)
    falling = (hi - bin_mel[None, :]) / (hi - mid)
    W = np.maximum(0.0, np.minimum(rising, falling))
    sums = W.sum(axis=1, keepdims=True)
    if np.any(sums == 0):
        raise ValueError(f"{n_mels} mel bands are too many for n_fft={n_fft}: some bands contain no FFT bin")
    W = W / sums
    W.setflags(write=False)
    return W


def pons_mel_power(y, sr: int = PONS_SR, *, res_type: str = "soxr_hq") -> np.ndarray:
    """Pons' 40-band mel power spectrogram before compression: float32 ``(40, n_frames)``,
    ``n_frames = 1 + ceil(n_44k / 1024)`` (≈ 43.07 frames per second), frame for frame what
    Essentia's ``FrameGenerator(frameSize=2048, hopSize=1024)`` → ``Windowing(type="blackmanharris62")``
    → ``Spectrum`` → ``MelBands(numberBands=40)`` gives."""
    import librosa

    sr = _check_sr(sr)
    y = _check_audio(y, min_samples=1)
    if sr != PONS_SR:
        y = resample(y, sr, PONS_SR, res_type=res_type)
    if y.size < PONS_N_FFT:
        raise ValueError(f"audio too short for the Pons pipeline: {y.size} samples at 44.1 kHz, need at least "
                         f"one window of {PONS_N_FFT} samples (46 ms)")
    # Essentia's FrameCutter centres frame m on sample m·hop for m = 0 … ceil(n / hop), zero-padding
    # both ends; librosa's centred STFT stops at floor(n / hop), so extend the end with zeros.
    n_target = -(-y.size // PONS_HOP) * PONS_HOP
    if n_target > y.size:
        y = np.pad(y, (0, n_target - y.size))
    X = librosa.stft(y, n_fft=PONS_N_FFT, hop_length=PONS_HOP, window=pons_window(PONS_N_FFT).astype(np.float32),
                     center=True, pad_mode="constant")
    power = (X.real ** 2 + X.imag ** 2).astype(np.float32)
    return (pons_mel_filters().astype(np.float32) @ power).astype(np.float32)


def pons_input(y, sr: int, *, res_type: str = "soxr_hq") -> np.ndarray:
    """The input of Pons et al.'s models before normalisation: float32 ``(40, n_frames)``.

    ``log10(1 + 10000 · mel power)`` of 44.1 kHz audio (resampled when ``sr`` differs), Blackman-
    Harris 2048-sample window, hop 1024, 40 HTK mel bands; ``n_frames = 1 + ceil(n_44k / 1024)``
    as in Essentia. Silence gives zeros. Normalise with
    :class:`Normaliser` (statistics of the training set) before feeding a model.
    """
    return _log_compress(pons_mel_power(y, sr, res_type=res_type)).astype(np.float32)

# ----------------------------------------------------------------------------------- normalisation


def _iter_specs(specs):
    if hasattr(specs, "detach"):
        specs = specs.detach().cpu().numpy()
    if isinstance(specs, np.ndarray):
        if specs.ndim == 2:
            return [specs]
        if specs.ndim == 3:
            return list(specs)
        raise ValueError(f"expected a spectrogram (n_mels, n_frames), a batch (n, n_mels, n_frames) or a list of "
                         f"spectrograms, got an array of shape {specs.shape}")
    specs = list(specs)
    if not specs:
        raise ValueError("no spectrograms given: the training set is empty")
    return specs


@checks.reference
def fit_normaliser(specs):
    """ONE mean and ONE standard deviation over every value of every training spectrogram.

    Args:
        specs: a list of ``(n_mels, n_frames_i)`` arrays (lengths may differ), or an array
            ``(n, n_mels, n_frames)`` / ``(n_mels, n_frames)``.

    Returns:
        ``(mean, std)`` as Python floats: the population statistics of all values pooled
        together, so a long track weighs more than a short one, exactly as if the spectrograms
        were concatenated. Not per mel band: per-band statistics would flatten the spectral
        envelope, the relation between bands that timbre lives in.

    Raises ValueError if the set is empty, holds NaN/inf, or has zero spread (e.g. all silence).
    """
    total = 0
    s1 = 0.0
    for i, spec in enumerate(_iter_specs(specs)):
        a = _check_spec(spec, f"spectrogram {i}").astype(np.float64)
        total += a.size
        s1 += a.sum()
    mean = s1 / total
    s2 = 0.0
    for spec in _iter_specs(specs):
        a = np.asarray(spec, dtype=np.float64)
        s2 += np.square(a - mean).sum()
    std = math.sqrt(s2 / total)
    if not std > 0:
        raise ValueError(f"the training spectrograms are all equal to {mean:g} (std 0, e.g. only silence): "
                         "they cannot be normalised to unit variance")
    return float(mean), float(std)


def normalise(spec, mean: float, std: float):
    """``(spec − mean) / std`` with the training set's scalar statistics; keeps shape, float32."""
    mean, std = float(mean), float(std)
    if not (math.isfinite(mean) and math.isfinite(std) and std > 0):
        raise ValueError(f"normalise needs a finite mean and a positive std, got mean={mean}, std={std}")
    if hasattr(spec, "detach"):
        return (spec - mean) / std
    spec = _finite_numbers(spec, "spec", "a spectrogram")
    return ((np.asarray(spec, dtype=np.float32) - np.float32(mean)) / np.float32(std)).astype(np.float32)


class Normaliser:
    """Dataset-wide standardisation: fit on the training set, apply the same numbers everywhere.

        >>> norm = Normaliser().fit(train_specs)          # doctest: +SKIP
        >>> x = norm(spec)                                # (spec - norm.mean) / norm.std

    ``mean`` and ``std`` are single floats (see :func:`fit_normaliser`).
    """

    def __init__(self, mean: float | None = None, std: float | None = None):
        self.mean = None if mean is None else float(mean)
        self.std = None if std is None else float(std)

    def fit(self, specs) -> "Normaliser":
        self.mean, self.std = fit_normaliser(specs)
        return self

    def transform(self, spec):
        if self.mean is None or self.std is None:
            raise RuntimeError("this Normaliser has not been fitted: call .fit(training_spectrograms) first")
        return normalise(spec, self.mean, self.std)

    __call__ = transform

    def __repr__(self) -> str:
        if self.mean is None:
            return "Normaliser(unfitted)"
        return f"Normaliser(mean={self.mean:.4f}, std={self.std:.4f})"

# ----------------------------------------------------------------------------------- patches


@checks.reference
def patches(spec, n_frames: int, hop: int | None = None) -> np.ndarray:
    """Cut a spectrogram into patches of ``n_frames`` frames: ``(n_patches, n_mels, n_frames)``.

    Patch ``i`` is ``spec[:, i·hop : i·hop + n_frames]`` for every start that fits, so
    ``n_patches = 1 + (n_total − n_frames) // hop``; the tail that does not fill a whole patch is
    dropped. ``hop`` defaults to ``n_frames`` (non-overlapping). Returns a new contiguous array
    of ``spec``'s dtype. Raises ValueError if the spectrogram is shorter than one patch or holds NaN/inf.
    """
    if hasattr(spec, "detach"):
        spec = spec.detach().cpu().numpy()
    spec = _finite_numbers(spec, "spec", "a spectrogram of shape (n_mels, n_frames)")
    if spec.ndim != 2:
        raise ValueError(f"spec must be a spectrogram of shape (n_mels, n_frames), got shape {spec.shape}")
    n_frames = _check_positive_int(n_frames, "n_frames")
    hop = n_frames if hop is None else _check_positive_int(hop, "hop")
    total = spec.shape[1]
    if total < n_frames:
        raise ValueError(f"the spectrogram has {total} frames, fewer than one patch of {n_frames} frames")
    starts = range(0, total - n_frames + 1, hop)
    return np.stack([spec[:, s:s + n_frames] for s in starts]).copy()

_patches = patches.__wrapped__

# ----------------------------------------------------------------------------------- time axis


@checks.reference
def frames_per_beat(bpm: float, sr: int, hop: int) -> float:
    """How many spectrogram frames one beat lasts: ``(60 / bpm) · sr / hop``.

    At 60 bpm, 44.1 kHz and hop 1024 this is 43.07 — the "n ≈ 43" of Pons & Serra's O-net.
    """
    if isinstance(bpm, bool) or not isinstance(bpm, Real) or not math.isfinite(bpm) or bpm <= 0:
        raise ValueError(f"bpm must be a positive number of beats per minute, got {bpm!r}")
    sr = _check_sr(sr)
    hop = _check_positive_int(hop, "hop")
    return 60.0 / float(bpm) * sr / hop


def frames_to_seconds(n, sr: int, hop: int):
    """Time in seconds of frame index ``n`` (its centre, for a centred STFT): ``n · hop / sr``.

    Also the duration that ``n`` hops span. Works on scalars (float) and arrays.
    """
    sr = _check_sr(sr)
    hop = _check_positive_int(hop, "hop")
    n_arr = np.asarray(n, dtype=np.float64)
    out = n_arr * hop / sr
    return float(out) if out.ndim == 0 else out


@checks.reference
def seconds_to_frames(t, sr: int, hop: int):
    """Index of the frame at time ``t`` seconds: ``floor(t · sr / hop)`` (int, or int array).

    The frame whose centre is at or just before ``t``; the inverse of :func:`frames_to_seconds`
    up to rounding down. (A clip of ``t`` seconds has ``seconds_to_frames(t) + 1`` frames in a
    centred STFT, see :func:`stft_n_frames`.)
    """
    sr = _check_sr(sr)
    hop = _check_positive_int(hop, "hop")
    t_arr = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
        raise ValueError(f"t must be non-negative finite seconds, got {t!r}")
    # a tiny tolerance so that a product like 0.29 s · 1000 Hz / 1 = 289.99999999999997 floors to 290
    out = np.floor(t_arr * sr / hop + 1e-9).astype(np.int64)
    return int(out) if out.ndim == 0 else out


def stft_n_frames(n_samples: int, hop: int) -> int:
    """Frames of a centred STFT (librosa's ``center=True``) of ``n_samples`` samples: ``1 + n // hop``."""
    n_samples = _check_positive_int(n_samples, "n_samples")
    hop = _check_positive_int(hop, "hop")
    return 1 + n_samples // hop

# ----------------------------------------------------------------------------------- plotting


def plot_spectrogram(spec, sr: int, hop: int, ax=None, title: str | None = None, *, y_axis: str = "mel",
                     htk: bool = False, fmin: float = 0.0, fmax: float | None = None, n_fft: int | None = None,
                     colorbar: bool = True, label: str | None = None, cmap: str = "magma", **kwargs):
    """Draw a spectrogram ``(n_bins, n_frames)`` with time in seconds and frequency in Hz.

    Args:
        spec: mel spectrogram (``y_axis="mel"``; rows are mel bands from ``fmin`` to ``fmax``
            on the Slaney scale, or the HTK scale with ``htk=True``) or an STFT magnitude/power
            (``y_axis="linear"``; rows are FFT bins 0 … sr/2).
        sr, hop: sample rate and hop of the analysis, to label the time axis.
        ax: matplotlib axes (a new figure when None). title: axes title.
        colorbar: add a colour bar labelled ``label``.
    Returns the axes. For the two pipelines: ``plot_spectrogram(musicnn_input(y, sr), 16000, 256)``
    and ``plot_spectrogram(pons_input(y, sr), 44100, 1024, htk=True)``.
    """
    import librosa.display
    import matplotlib.pyplot as plt

    spec = _check_spec(spec)
    sr = _check_sr(sr)
    hop = _check_positive_int(hop, "hop")
    if y_axis not in ("mel", "linear"):
        raise ValueError(f"y_axis must be 'mel' or 'linear', got {y_axis!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    extra = dict(fmin=fmin, fmax=fmax if fmax is not None else sr / 2.0, htk=htk) if y_axis == "mel" else {}
    if y_axis == "linear":
        extra["n_fft"] = n_fft if n_fft is not None else 2 * (spec.shape[0] - 1)
    img = librosa.display.specshow(spec, sr=sr, hop_length=hop, x_axis="s", y_axis=y_axis, ax=ax,
                                   cmap=cmap, **extra, **kwargs)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    if title:
        ax.set_title(title)
    if colorbar:
        cb = ax.figure.colorbar(img, ax=ax)
        if label:
            cb.set_label(label)
    return ax

# ----------------------------------------------------------------------------------- example sounds

GM_DRUMS = "drums"      # program value that selects the General MIDI drum kit (MIDI channel 10)


def _sound_font_path() -> Path:
    import pretty_midi

    path = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise FileNotFoundError(f"the General MIDI sound font that pretty_midi ships is missing: {path}")
    return path


def render_notes(notes, sr: int = 22050, seconds: float | None = None, peak: float | None = 0.5) -> np.ndarray:
    """Render notes with the General MIDI sound font that pretty_midi ships (TimGM6mb.sf2).

    Args:
        notes: iterable of ``(start_s, duration_s, midi_key, velocity, program)``; ``program`` is
            a GM program number 0–127 (0 piano, 33 finger bass, 40 violin, 73 flute, …) or
            ``"drums"`` for the GM drum kit (keys 36 kick, 38 snare, 42 closed hi-hat, …).
        sr: sample rate in Hz. seconds: total length (default: last note end + 0.5 s).
        peak: scale the result so its largest absolute sample is ``peak`` (None: leave as rendered).

    Returns mono float32 ``(n_samples,)``. Needs ``tinysoundfont`` (installed by ``make setup``).
    Used for lesson 02's example sounds; the course's data sets are built in :mod:`mmteach.data`.
    """
    try:
        import tinysoundfont
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("rendering notes needs tinysoundfont: pip install --no-deps tinysoundfont "
                                  "(or run `make setup`)") from err
    sr = _check_sr(sr)
    notes = [tuple(n) for n in notes]
    if not notes:
        raise ValueError("no notes to render")
    end = max(float(n[0]) + float(n[1]) for n in notes)
    total = int(round((end + 0.5 if seconds is None else float(seconds)) * sr))
    if total <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    synth = tinysoundfont.Synth(samplerate=sr)
    sfid = synth.sfload(str(_sound_font_path()))
    channels: dict = {}
    events = []   # (sample, order, kind, channel, key, velocity); note-offs sort before note-ons
    for start, dur, key, vel, program in notes:
        if program not in channels:
            if program == GM_DRUMS:
                channels[program] = 9
                synth.program_select(9, sfid, 128, 0, True)
            else:
                if not (isinstance(program, Integral) and 0 <= program <= 127):
                    raise ValueError(f"program must be a GM program 0–127 or 'drums', got {program!r}")
                free = [c for c in range(16) if c != 9 and c not in channels.values()]
                if not free:
                    raise ValueError("more than 15 different instruments in one rendering")
                channels[program] = free[0]
                synth.program_select(free[0], sfid, 0, int(program))
        ch = channels[program]
        on = int(round(float(start) * sr))
        off = max(on + 1, int(round((float(start) + float(dur)) * sr)))
        events.append((on, 1, "on", ch, int(key), int(vel)))
        events.append((off, 0, "off", ch, int(key), 0))
    events.sort(key=lambda e: (e[0], e[1]))
    out = np.zeros(total, dtype=np.float32)
    pos = 0
    for when, _, kind, ch, key, vel in events + [(total, 0, "end", 0, 0, 0)]:
        when = min(when, total)
        if when > pos:
            block = np.frombuffer(synth.generate(when - pos), dtype=np.float32)
            out[pos:when] = block.reshape(-1, 2).mean(axis=1)
            pos = when
        if kind == "on":
            synth.noteon(ch, key, vel)
        elif kind == "off":
            synth.noteoff(ch, key)
    if peak is not None and np.abs(out).max() > 0:
        out *= np.float32(peak / np.abs(out).max())
    return out


def example_sound(name: str, sr: int = 22050) -> np.ndarray:
    """A short example sound for lesson 02, mono float32 at ``sr``.

    ``"piano"`` a C-major arpeggio (3.5 s); ``"flute"`` a short melody (4 s); ``"drums"`` a rock
    beat at 120 bpm (4 s); ``"band"`` drums, bass and piano chords at 120 bpm (8 s); ``"clicks60"``
    a wood-block click on every beat at 60 bpm (6 s); ``"sweep"`` a sine gliding exponentially
    from 50 Hz to 8 kHz (4 s, synthesised with NumPy).
    """
    sr = _check_sr(sr)
    if name == "sweep":
        t = np.arange(int(4.0 * sr)) / sr
        f0, f1, T = 50.0, 8000.0, 4.0
        k = np.log(f1 / f0) / T
        y = 0.5 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)
        fade = np.minimum(1.0, np.minimum(t, T - t) / 0.02)
        return (y * fade).astype(np.float32)
    beat = 0.5   # 120 bpm
    if name == "piano":
        keys = [60, 64, 67, 72, 76, 79, 84]
        notes = [(0.4 * i, 1.2, k, 90, 0) for i, k in enumerate(keys)] + [(2.8, 0.7, k, 80, 0) for k in (60, 64, 67, 72)]
        return render_notes(notes, sr, seconds=3.5)
    if name == "flute":
        melody = [(79, 1), (81, 0.5), (83, 0.5), (84, 1.5), (83, 0.5), (81, 1), (79, 2)]
        t, notes = 0.1, []
        for key, beats in melody:
            notes.append((t, beats * 0.5 * 0.95, key, 95, 73))
            t += beats * 0.5
        return render_notes(notes, sr, seconds=4.0)
    if name in ("drums", "band"):
        n_beats = 8 if name == "drums" else 16
        notes = []
        for b in range(n_beats):
            t = b * beat
            notes.append((t, 0.1, 36 if b % 2 == 0 else 38, 110, GM_DRUMS))
            notes += [(t, 0.05, 42, 70, GM_DRUMS), (t + beat / 2, 0.05, 42, 55, GM_DRUMS)]
        if name == "drums":
            return render_notes(notes, sr, seconds=4.0)
        chords = [(48, [60, 64, 67]), (45, [57, 60, 64]), (41, [57, 60, 65]), (43, [55, 59, 62])]   # C Am F G
        for bar, (bass, chord) in enumerate(chords):
            t = bar * 4 * beat
            notes += [(t, beat * 0.9, bass, 100, 33), (t + 2 * beat, beat * 0.9, bass, 95, 33),
                      (t + 3 * beat, beat * 0.45, bass + 7, 85, 33)]
            notes += [(t + k * beat, beat * 0.8, key, 70, 0) for k in (1, 3) for key in chord]
        return render_notes(notes, sr, seconds=8.0)
    if name == "clicks60":
        return render_notes([(0.05 + i, 0.1, 76, 110, GM_DRUMS) for i in range(6)], sr, seconds=6.0)
    raise ValueError(f"unknown example sound {name!r}: expected one of "
                     "'piano', 'flute', 'drums', 'band', 'clicks60', 'sweep'")


def mel_to_audio(mel_power, pipeline: str, n_iter: int = 32, seed: int = 0) -> tuple[np.ndarray, int]:
    """Turn a mel *power* spectrogram back into sound, to hear what a pipeline keeps.

    Args:
        mel_power: ``(n_mels, n_frames)`` mel power (before log compression), from
            :func:`musicnn_mel_power` (``pipeline="musicnn"``) or :func:`pons_mel_power` (``"pons"``).
        n_iter: Griffin-Lim iterations (phases are estimated, so expect some "phasiness").
    Returns ``(y, sr)``: float32 audio at the pipeline's rate, peak-normalised to 0.5.

    The mel filters are inverted by non-negative least squares, which spreads each band's energy
    over its FFT bins: the blur you hear is exactly the detail the mel bands threw away.
    """
    import librosa

    spec = _check_spec(mel_power, "mel_power").astype(np.float32)
    if pipeline == "musicnn":
        M = librosa.filters.mel(sr=MUSICNN_SR, n_fft=MUSICNN_N_FFT, n_mels=MUSICNN_N_MELS)
        sr, n_fft, hop, window = MUSICNN_SR, MUSICNN_N_FFT, MUSICNN_HOP, "hann"
    elif pipeline == "pons":
        M = pons_mel_filters()
        sr, n_fft, hop, window = PONS_SR, PONS_N_FFT, PONS_HOP, pons_window(PONS_N_FFT)
    else:
        raise ValueError(f"pipeline must be 'musicnn' or 'pons', got {pipeline!r}")
    if spec.shape[0] != M.shape[0]:
        raise ValueError(f"a {pipeline} mel spectrogram has {M.shape[0]} bands, got {spec.shape[0]}")
    if spec.min() < 0:
        raise ValueError("mel_power must be non-negative power (use the *_mel_power functions, before log compression)")
    power = librosa.util.nnls(M.astype(np.float32), spec)
    rng = np.random.default_rng(seed)
    y = librosa.griffinlim(np.sqrt(np.maximum(power, 0.0)), n_iter=n_iter, hop_length=hop, n_fft=n_fft,
                           window=window, random_state=rng)
    if np.abs(y).max() > 0:
        y = 0.5 * y / np.abs(y).max()
    return y.astype(np.float32), sr
