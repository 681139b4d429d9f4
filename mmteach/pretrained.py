"""The original pretrained MusiCNN models, loaded into the PyTorch port, and a tagging API.

    >>> from mmteach.pretrained import load_musicnn, tag
    >>> model = load_musicnn("MTT_musicnn")          # doctest: +SKIP   eval mode, model.tags = 50 names
    >>> result = tag("song.mp3")                     # doctest: +SKIP
    >>> result.top(5)                                # doctest: +SKIP
    [('piano', 0.91), ('classical', 0.74), ...]
    >>> result.plot()                                # doctest: +SKIP

The weights are the TensorFlow checkpoints shipped in the ``musicnn`` 0.1.0 wheel (ISC licence;
Pons & Serra 2019), read with :mod:`mmteach.tfcheckpoint` (numpy only) and mapped variable by
variable onto :class:`mmteach.models.musicnn.MusiCNN`. The converted state dict is cached in
``mmteach.cache_dir("musicnn")``.
"""
from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .core import cache_dir
from .tfcheckpoint import CheckpointError, checkpoint_files, read_checkpoint

__all__ = ["MODELS", "MTT_LABELS", "MSD_LABELS", "INSTALL_COMMAND", "find_checkpoint", "variable_map",
           "convert_checkpoint", "load_musicnn", "Taggram", "tag", "top_tags", "plot_taggram",
           "CheckpointError"]

INSTALL_COMMAND = "python -m pip install --no-deps musicnn==0.1.0"

# Tag vocabularies, in output order (musicnn/configuration.py)
MTT_LABELS = [
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano",
    "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing",
    "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal",
    "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice", "new age", "dance",
    "male voice", "female vocal", "beats", "harp", "cello", "no voice", "weird", "country", "metal",
    "female voice", "choral"]
MSD_LABELS = [
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock",
    "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental",
    "punk", "oldies", "blues", "hard rock", "ambient", "acoustic", "experimental", "female vocalist",
    "guitar", "Hip-Hop", "70s", "party", "country", "easy listening", "sexy", "catchy", "funk",
    "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop", "sad", "House", "happy"]

# name -> (tags, MusiCNN keyword arguments)
MODELS = {
    "MTT_musicnn": (MTT_LABELS, dict(num_filt_midend=64, n_units_backend=200)),
    "MSD_musicnn": (MSD_LABELS, dict(num_filt_midend=64, n_units_backend=200)),
    "MSD_musicnn_big": (MSD_LABELS, dict(num_filt_midend=512, n_units_backend=500)),
}

# Optimiser state in the checkpoint: not part of the model, skipped on purpose.
_IGNORED_SUFFIXES = ("/Adam", "/Adam_1")
_IGNORED_NAMES = ("beta1_power", "beta2_power", "global_step")


def _check_name(name: str) -> None:
    if name not in MODELS:
        raise ValueError(f"unknown MusiCNN model {name!r}; expected one of {', '.join(MODELS)}")


def _package_dir() -> Path | None:
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def checkpoint_cache_dir() -> Path:
    """Folder where a checkpoint can be placed by hand: ``<cache>/musicnn/checkpoints/<name>/``."""
    return cache_dir("musicnn", "checkpoints")


def find_checkpoint(name: str = "MTT_musicnn") -> Path:
    """Folder holding ``name``'s ``.index`` and ``.data-00000-of-00001`` files.

    Looks in the installed ``musicnn`` package, then in ``<cache>/musicnn/checkpoints/<name>/``.
    Raises ``FileNotFoundError`` with the command that installs the weights when neither has them.
    """
    _check_name(name)
    candidates = []
    pkg = _package_dir()
    if pkg is not None:
        candidates.append(pkg / name)
    candidates.append(checkpoint_cache_dir() / name)
    for folder in candidates:
        index, shards = checkpoint_files(folder)
        if index.is_file() and all(s.is_file() for s in shards):
            return folder
    looked = "\n".join(f"  - {c}/.index and .data-00000-of-00001" for c in candidates)
    extra = (" (MSD_musicnn_big is not in the wheel: it comes only with a source install of "
             "github.com/jordipons/musicnn)") if name == "MSD_musicnn_big" else ""
    raise FileNotFoundError(
        f"the pretrained MusiCNN checkpoint {name!r} was not found{extra}. Looked for:\n{looked}\n"
        f"Get the original weights (no TensorFlow needed) with:\n    {INSTALL_COMMAND}\n"
        f"or copy the checkpoint folder {name}/ into {checkpoint_cache_dir()}/")


def variable_map(model) -> list[tuple[str, str, str]]:
    """``(tf_variable, torch_key, transform)`` for every tensor of a :class:`MusiCNN`.

    TensorFlow's ``tf.layers`` name layers by creation order (``conv2d``, ``conv2d_1``, …,
    ``batch_normalization``, ``batch_normalization_1``, …); the original creates them in the order
    input BN, f74, f77, s1, s2, s3, mid-end 1–3, pooled BN, dense, dense BN, output dense.
    """
    convs = ["frontend.f74.conv", "frontend.f77.conv", "frontend.s1.conv", "frontend.s2.conv",
             "frontend.s3.conv", "midend.conv1", "midend.conv2", "midend.conv3"]
    bns = ["frontend.input_bn", "frontend.f74.bn", "frontend.f77.bn", "frontend.s1.bn", "frontend.s2.bn",
           "frontend.s3.bn", "midend.bn1", "midend.bn2", "midend.bn3", "backend.pool_bn", "backend.dense_bn"]
    denses = ["backend.dense", "backend.output"]
    rows = []
    for i, key in enumerate(convs):
        tf_name = "conv2d" if i == 0 else f"conv2d_{i}"
        kind = "conv1d" if key.startswith("midend") else "conv2d"
        rows += [(f"{tf_name}/kernel", f"{key}.weight", kind), (f"{tf_name}/bias", f"{key}.bias", "copy")]
    for i, key in enumerate(bns):
        tf_name = "batch_normalization" if i == 0 else f"batch_normalization_{i}"
        rows += [(f"{tf_name}/gamma", f"{key}.weight", "copy"), (f"{tf_name}/beta", f"{key}.bias", "copy"),
                 (f"{tf_name}/moving_mean", f"{key}.running_mean", "copy"),
                 (f"{tf_name}/moving_variance", f"{key}.running_var", "copy")]
    for i, key in enumerate(denses):
        tf_name = "dense" if i == 0 else f"dense_{i}"
        rows += [(f"{tf_name}/kernel", f"{key}.weight", "dense"), (f"{tf_name}/bias", f"{key}.bias", "copy")]
    return rows


def _transform(value: np.ndarray, kind: str) -> np.ndarray:
    if kind == "conv2d":        # TF [time, freq, in, out] -> torch [out, in, time, freq]
        return value.transpose(3, 2, 0, 1)
    if kind == "conv1d":        # TF [width, in_features, 1, out] -> torch Conv1d [out, in_features, width]
        if value.ndim != 4 or value.shape[2] != 1:
            return value        # shape check below reports it
        return value[:, :, 0, :].transpose(2, 1, 0)
    if kind == "dense":         # TF [in, out] -> torch Linear [out, in]
        return value.T
    return value


def convert_checkpoint(tensors: dict[str, np.ndarray], model, source: str = "checkpoint") -> dict:
    """Map TF variables onto ``model``'s state dict, checking every shape; returns the state dict.

    Every model variable of the checkpoint must be used exactly once and every parameter and
    running statistic of the model must be filled; optimiser slots (``/Adam``, ``/Adam_1``,
    ``beta1_power``, ``beta2_power``) are ignored explicitly. Raises :class:`CheckpointError`
    naming the variable that does not fit.
    """
    import torch

    own = model.state_dict()
    rows = variable_map(model)
    targets = [t for _, t, _ in rows]
    expected_keys = {k for k in own if not k.endswith("num_batches_tracked")}
    if sorted(targets) != sorted(expected_keys):
        raise CheckpointError(f"internal error: the variable map covers {sorted(set(targets) ^ expected_keys)} wrongly")
    model_vars = {n for n in tensors
                  if not n.endswith(_IGNORED_SUFFIXES) and n not in _IGNORED_NAMES}
    used: dict[str, int] = {}
    state = {}
    for tf_name, key, kind in rows:
        if tf_name not in tensors:
            raise CheckpointError(f"{source}: variable {tf_name!r} (for {key}) is missing from the checkpoint")
        value = np.asarray(tensors[tf_name])
        if value.dtype != np.float32:
            raise CheckpointError(f"{source}: variable {tf_name!r} is {value.dtype}, expected float32")
        converted = _transform(value, kind)
        want = tuple(own[key].shape)
        if tuple(converted.shape) != want:
            raise CheckpointError(
                f"{source}: variable {tf_name!r} has shape {tuple(value.shape)}, which does not fit "
                f"{key} of shape {want} — the checkpoint is for a different architecture "
                "(check num_filt_midend / n_units_backend / n_classes)")
        used[tf_name] = used.get(tf_name, 0) + 1
        state[key] = torch.from_numpy(np.ascontiguousarray(converted).copy())
    twice = [n for n, c in used.items() if c != 1]
    unused = sorted(model_vars - set(used))
    if twice or unused:
        raise CheckpointError(f"{source}: every checkpoint variable must be used exactly once; "
                              f"used more than once: {twice or 'none'}; not used: {unused or 'none'}")
    for key, value in own.items():
        if key.endswith("num_batches_tracked"):
            state[key] = value.clone()
    return state


def _fingerprint(folder: Path) -> str:
    index, shards = checkpoint_files(folder)
    h = hashlib.sha256(index.read_bytes())
    for s in shards:
        h.update(str(s.stat().st_size).encode())
    return h.hexdigest()[:16]


def load_musicnn(name: str = "MTT_musicnn", device=None, use_cache: bool = True):
    """The original pretrained MusiCNN as a PyTorch model in eval mode.

    Args:
        name: ``"MTT_musicnn"`` (MagnaTagATune, 50 tags) or ``"MSD_musicnn"`` (Million Song
            Dataset, 50 tags); ``"MSD_musicnn_big"`` when its checkpoint is present.
        device: where to put the model (default CPU).
        use_cache: reuse the converted weights from ``mmteach.cache_dir("musicnn")``.

    Returns:
        :class:`~mmteach.models.musicnn.MusiCNN` with ``.tags`` (the 50 tag names in output order)
        and ``.checkpoint`` (the folder the weights came from).
    """
    import torch

    from .models.musicnn import MusiCNN

    _check_name(name)
    tags, kwargs = MODELS[name]
    folder = find_checkpoint(name)
    model = MusiCNN(n_classes=len(tags), **kwargs)
    state = None
    cache_file = cache_dir("musicnn") / f"{name}-{_fingerprint(folder)}.pt"
    if use_cache and cache_file.is_file():
        try:
            state = torch.load(cache_file, map_location="cpu", weights_only=True)
            model.load_state_dict(state, strict=True)
        except Exception:   # stale or damaged cache: convert again
            state = None
    if state is None:
        ckpt = read_checkpoint(folder)
        state = convert_checkpoint(ckpt.tensors, model, source=f"checkpoint {folder}")
        model.load_state_dict(state, strict=True)
        if use_cache:
            tmp = cache_file.with_suffix(".tmp")
            torch.save(state, tmp)
            tmp.replace(cache_file)
    model.tags = list(tags)
    model.name = name
    model.checkpoint = folder
    model.eval()
    if device is not None:
        model.to(device)
    return model


# ----------------------------------------------------------------------------------------------
# tagging
# ----------------------------------------------------------------------------------------------
@dataclass
class Taggram:
    """Tag probabilities over time for one piece of audio.

    ``taggram`` ``(n_patches, n_tags)``: sigmoid outputs per 3-s patch; ``tags``: names;
    ``times`` ``(n_patches,)``: start of each patch in seconds; ``model``: which model.
    """
    taggram: np.ndarray
    tags: list[str]
    times: np.ndarray
    model: str
    patch_seconds: float

    @property
    def mean(self) -> np.ndarray:
        """Mean probability of each tag over the patches ``(n_tags,)`` (what ``top`` ranks)."""
        return self.taggram.mean(axis=0)

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` most likely tags as ``(tag, mean probability)``, most likely first."""
        return top_tags(self.taggram, self.tags, n)

    def plot(self, ax=None, n_tags: int | None = None, title: str | None = None):
        return plot_taggram(self, ax=ax, n_tags=n_tags, title=title)


def top_tags(taggram: np.ndarray, tags: list[str], n: int = 5) -> list[tuple[str, float]]:
    """Rank tags by their mean probability over patches (as ``musicnn.tagger.top_tags``)."""
    taggram = np.asarray(taggram)
    if taggram.ndim != 2 or taggram.shape[1] != len(tags):
        raise ValueError(f"taggram must be (n_patches, {len(tags)}), got shape {taggram.shape}")
    mean = taggram.mean(axis=0)
    order = np.argsort(-mean, kind="stable")[:n]
    return [(tags[i], float(mean[i])) for i in order]


_MODEL_CACHE: dict = {}


def _patches_from(audio, sr, hop_frames):
    if not isinstance(audio, (str, Path)) and sr is None:
        raise ValueError("tag(array) needs the sample rate: tag(y, sr=...)")
    from . import audio as mm_audio

    if isinstance(audio, (str, Path)):
        y, sr = mm_audio.load(audio)
    else:
        y = np.asarray(audio, dtype=np.float32)
    return mm_audio.musicnn_patches(y, sr, hop_frames=hop_frames)


def tag(audio, sr: int | None = None, model="MTT_musicnn", hop_frames: int | None = None,
        batch_size: int = 32) -> Taggram:
    """Tag audio with a pretrained MusiCNN: file path or mono array → :class:`Taggram`.

    The audio goes through the original input pipeline (:func:`mmteach.audio.musicnn_patches`:
    16 kHz, 96 mel bands, log10(1 + 10000·mel), non-overlapping 187-frame patches, tail dropped;
    ``hop_frames`` sets another hop). ``model`` is a name or an already loaded model; precomputed
    patches ``(n_patches, 96, 187)`` can be passed as ``audio`` with ``sr=None``.
    """
    import torch

    if isinstance(model, str):
        if model not in _MODEL_CACHE:
            _MODEL_CACHE[model] = load_musicnn(model)
        net = _MODEL_CACHE[model]
    else:
        net = model
    tags = list(net.tags) if getattr(net, "tags", None) else [f"tag {i}" for i in range(net.n_classes)]
    arr = None if isinstance(audio, (str, Path)) else np.asarray(audio)
    if arr is not None and arr.ndim == 3 and sr is None:
        patches = arr.astype(np.float32)
        if patches.shape[1] != net.n_mels:
            raise ValueError(f"patches must be (n_patches, {net.n_mels}, n_frames), got shape {patches.shape}")
    else:
        if arr is not None and arr.ndim != 1:
            raise ValueError(f"tag() takes mono audio of shape (n_samples,) or patches (n, 96, 187); "
                             f"got shape {arr.shape}")
        patches = _patches_from(audio, sr, hop_frames)
    hop = patches.shape[2] if hop_frames is None else hop_frames
    dev = next(net.parameters()).device
    was_training = net.training
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(patches), batch_size):
            xb = torch.from_numpy(np.ascontiguousarray(patches[i:i + batch_size])).to(dev)
            out.append(torch.sigmoid(net(xb)).cpu().numpy())
    net.train(was_training)
    frame_s = 256 / 16000
    return Taggram(taggram=np.concatenate(out, axis=0), tags=tags,
                   times=np.arange(len(patches)) * hop * frame_s,
                   model=getattr(net, "name", type(net).__name__), patch_seconds=patches.shape[2] * frame_s)


def plot_taggram(result: Taggram, ax=None, n_tags: int | None = None, title: str | None = None):
    """Image of tag probability (rows: tags, columns: patches over time), like musicnn's demo.

    ``n_tags`` keeps only the most likely tags (by mean), most likely on top. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, Taggram):
        raise TypeError(f"plot_taggram takes a Taggram (from mmteach.pretrained.tag), got {type(result).__name__}")
    rows = np.arange(len(result.tags))
    if n_tags is not None:
        rows = np.argsort(-result.mean, kind="stable")[:n_tags]
    data = result.taggram[:, rows].T
    if ax is None:
        _, ax = plt.subplots(figsize=(8, max(2.5, 0.18 * len(rows))))
    t0 = result.times[0] if len(result.times) else 0.0
    t1 = (result.times[-1] if len(result.times) else 0.0) + result.patch_seconds
    im = ax.imshow(data, aspect="auto", origin="upper", interpolation="nearest", cmap="viridis",
                   vmin=0, vmax=1, extent=(t0, t1, len(rows) - 0.5, -0.5))
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([result.tags[i] for i in rows], fontsize=7)
    ax.set_xlabel("time (s)")
    ax.set_title(title or f"taggram ({result.model})")
    ax.figure.colorbar(im, ax=ax, label="probability")
    return ax
