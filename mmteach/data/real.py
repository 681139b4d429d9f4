"""Real data sets from a folder you already have: Ballroom, GTZAN and MagnaTagATune.

Nothing is downloaded. Each loader takes the folder where you unpacked the data set, checks its
published layout, probes every audio file once (unreadable ones are skipped with a warning that
names them) and returns a :class:`~mmteach.data.trackset.TrackSet` that loads audio lazily, so the
same lesson code runs on the offline sets and on the real ones.

Expected layouts (the loaders accept the named folder itself or the folder that holds it):

Ballroom (Gouyon et al., ISMIR 2004 tempo contest, ``data1.tar.gz``)::

    BallroomData/ChaChaCha/*.wav  Jive/  Quickstep/  Rumba-American/  Rumba-International/
                 Rumba-Misc/  Samba/  Tango/  Viennese_Waltz/  Waltz/
    BallroomAnnotations/ballroomGroundTruth/<track>.bpm     (optional: tempo, ``data2.tar.gz``)
    or CPJKU's BallroomAnnotations <track>.beats files       (optional: tempo from the beats)

GTZAN (Tzanetakis and Cook, 2002)::

    genres/<genre>/<genre>.000NN.au    (or .wav, as in the ``genres_original`` copies)

MagnaTagATune (Law et al., 2009)::

    annotations_final.csv    tab-separated: clip_id, 188 tag columns (0/1), mp3_path
    0/ 1/ ... f/             the mp3 files, mp3_path relative to the csv's folder (or to ``mp3/``)
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from ..core import cache_dir, progress
from .trackset import TrackSet

BALLROOM_CLASSES = ["ChaChaCha", "Jive", "Quickstep", "Rumba", "Samba", "Tango", "VienneseWaltz", "Waltz"]
_BALLROOM_FOLDERS = {
    "chachacha": "ChaChaCha", "jive": "Jive", "quickstep": "Quickstep", "rumba": "Rumba",
    "rumbaamerican": "Rumba", "rumbainternational": "Rumba", "rumbamisc": "Rumba", "samba": "Samba",
    "tango": "Tango", "viennesewaltz": "VienneseWaltz", "waltz": "Waltz",
}
GTZAN_GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]
AUDIO_SUFFIXES = {".wav", ".au", ".mp3", ".flac", ".ogg"}

BALLROOM_LAYOUT = ("BallroomData/<Class>/*.wav with class folders ChaChaCha, Jive, Quickstep, Rumba-American, "
                   "Rumba-International, Rumba-Misc (or Rumba), Samba, Tango, Viennese_Waltz (or VienneseWaltz), "
                   "Waltz; optional tempo files BallroomAnnotations/ballroomGroundTruth/<track>.bpm")
GTZAN_LAYOUT = "genres/<genre>/<genre>.000NN.au (or .wav) for the genres " + ", ".join(GTZAN_GENRES)
MTT_LAYOUT = ("annotations_final.csv (tab-separated: clip_id, tag columns, mp3_path) next to the mp3 folders "
              "0/ ... f/ (or mp3/0/ ... mp3/f/)")


class DatasetLayoutError(FileNotFoundError):
    """The folder does not hold the data set in its published layout (the message says what was expected)."""


# -- audio files ----------------------------------------------------------------------------------
def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _probe(paths: list[Path], what: str) -> tuple[list[dict | None], list[str]]:
    """Header of every file (sample rate, frames) or None when unreadable; probe results are cached by
    (path, size, mtime), so a big set is probed once."""
    import soundfile as sf

    stats = []
    for p in paths:
        try:
            st = p.stat()
            stats.append((str(p), st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append((str(p), -1, -1))
    key = hashlib.sha1(json.dumps(stats).encode()).hexdigest()[:16]
    cache = cache_dir("data", "probes") / f"{what}-{key}.json"
    if cache.exists():
        try:
            return json.loads(cache.read_text()), []
        except (OSError, ValueError):
            pass
    out, bad = [], []
    for p, (_, size, _) in zip(progress(paths, desc=f"checking {what} files"), stats):
        info = None
        if size > 0:
            try:
                i = sf.info(str(p))
                if i.frames > 0 and i.samplerate > 0:
                    info = {"sr": int(i.samplerate), "frames": int(i.frames), "channels": int(i.channels)}
            except Exception:
                info = None
        if info is None:
            bad.append(str(p))
        out.append(info)
    try:
        cache.write_text(json.dumps(out))
    except OSError:  # pragma: no cover - a read-only cache is not fatal
        pass
    return out, bad


def read_audio(path, sr: int) -> np.ndarray:
    """Mono float32 audio of a file, resampled to ``sr`` Hz (soxr, high quality) when needed."""
    import soundfile as sf

    path = str(path)
    try:
        y, file_sr = sf.read(path, dtype="float32", always_2d=True)
        y = y.mean(axis=1)
    except Exception as err:  # libsndfile >= 1.1 reads wav, au, flac, ogg and mp3
        raise RuntimeError(f"cannot read audio file {path}: {err}. Delete or replace it, then load the set again.") from err
    if y.size == 0:
        raise RuntimeError(f"audio file {path} holds no samples")
    if file_sr != sr:
        import librosa

        y = librosa.resample(y, orig_sr=file_sr, target_sr=sr, res_type="soxr_hq")
    return np.asarray(y, dtype=np.float32)


class FileLoader:
    """Track ``i`` = ``read_audio(files[i], sr)`` (picklable, so worker processes can load tracks too)."""

    def __init__(self, files, sr: int):
        self.files, self.sr = [str(f) for f in files], int(sr)

    def __call__(self, i: int) -> np.ndarray:
        return read_audio(self.files[i], self.sr)


def _keep_readable(files: list[Path], what: str):
    """(kept files, their probe infos); warns naming the unreadable ones."""
    infos, bad = _probe(files, what)
    if not bad:
        bad = [str(f) for f, i in zip(files, infos) if i is None]
    if bad:
        shown = "\n  ".join(bad[:20]) + ("\n  ..." if len(bad) > 20 else "")
        warnings.warn(f"{what}: skipped {len(bad)} unreadable audio file(s):\n  {shown}", stacklevel=3)
    keep = [(f, i) for f, i in zip(files, infos) if i is not None]
    return [f for f, _ in keep], [i for _, i in keep]


def _pick_sr(sr, infos) -> int:
    if sr is not None:
        if not isinstance(sr, (int, np.integer)) or sr < 4000:
            raise ValueError(f"sr must be an int sample rate >= 4000 Hz or None (the files' own rate), got {sr!r}")
        return int(sr)
    return Counter(i["sr"] for i in infos).most_common(1)[0][0]


def _root(root) -> Path:
    path = Path(root).expanduser()
    if not path.exists():
        raise DatasetLayoutError(f"folder {path} does not exist")
    if not path.is_dir():
        raise DatasetLayoutError(f"{path} is a file; pass the folder that holds the data set")
    return path.resolve()


def _key(name: str, files, extra="") -> str:
    h = hashlib.sha1(extra.encode())
    for f in files:
        h.update(str(f).encode())
    return f"{name}-{h.hexdigest()[:12]}"


# -- Ballroom -------------------------------------------------------------------------------------
def _ballroom_tempi(root: Path, data: Path, stems: list[str], annotations) -> np.ndarray | None:
    """Tempo per track from ``<stem>.bpm`` files (ISMIR 2004) or ``<stem>.beats`` files (CPJKU)."""
    places = [Path(annotations).expanduser()] if annotations is not None else [
        root / "BallroomAnnotations", data.parent / "BallroomAnnotations", root / "ballroomGroundTruth",
        data.parent / "ballroomGroundTruth", root / "BallroomAnnotations-master", data.parent / "BallroomAnnotations-master",
        root]
    if annotations is not None and not places[0].is_dir():
        raise DatasetLayoutError(f"tempo annotation folder {places[0]} does not exist")
    found: dict[str, Path] = {}
    for place in places:
        if not place.is_dir():
            continue
        for f in place.rglob("*"):
            if f.suffix in (".bpm", ".beats") and f.stem not in found:
                found[f.stem] = f
            elif f.suffix == ".bpm" and found[f.stem].suffix == ".beats":
                found[f.stem] = f  # an annotated tempo beats one derived from beats
        if found:
            break
    if not found:
        return None
    tempi = np.full(len(stems), np.nan)
    for k, stem in enumerate(stems):
        f = found.get(stem)
        if f is None:
            continue
        try:
            if f.suffix == ".bpm":
                tempi[k] = float(f.read_text().split()[0])
            else:
                beats = np.array([float(line.split()[0]) for line in f.read_text().splitlines() if line.strip()])
                if len(beats) > 2:
                    tempi[k] = 60.0 / float(np.median(np.diff(beats)))
        except (ValueError, IndexError, OSError):
            warnings.warn(f"Ballroom: cannot read tempo annotation {f}; its tempo is NaN", stacklevel=3)
    missing = int(np.isnan(tempi).sum())
    if missing:
        warnings.warn(f"Ballroom: {missing} of {len(stems)} tracks have no tempo annotation (NaN)", stacklevel=3)
    return tempi


def ballroom(root, sr: int | None = None, annotations=None, require_all: bool = True) -> TrackSet:
    """The Ballroom data set (698 excerpts of 30 s, 8 dances) from your copy.

    Args:
        root: ``BallroomData`` or the folder that holds it (see the module docstring for the layout).
        sr: sample rate of ``audio(i)``; None keeps the files' own rate.
        annotations: folder of ``<track>.bpm`` (or ``.beats``) tempo files; searched for next to
            ``BallroomData`` when None. Without any, ``ds.tempo`` is None.
        require_all: raise when a dance has no folder (set False to load a partial copy).

    Classes are :data:`BALLROOM_CLASSES`, the same names and order as :func:`mmteach.data.dance_set`;
    the three Rumba folders are merged into one class, as in Pons et al.
    """
    root = _root(root)
    data = root / "BallroomData" if (root / "BallroomData").is_dir() else root
    folders = {}
    for d in sorted(p for p in data.iterdir() if p.is_dir()):
        cls = _BALLROOM_FOLDERS.get(_norm(d.name))
        if cls is not None:
            folders.setdefault(cls, []).append(d)
    if not folders:
        raise DatasetLayoutError(f"no Ballroom class folders in {data}; expected {BALLROOM_LAYOUT}")
    missing = [c for c in BALLROOM_CLASSES if c not in folders]
    if missing and require_all:
        raise DatasetLayoutError(f"Ballroom in {data} lacks the class folder(s) {missing}; expected {BALLROOM_LAYOUT} "
                                 "(pass require_all=False to load a partial copy)")
    files, labels = [], []
    for c, cls in enumerate(BALLROOM_CLASSES):
        for d in folders.get(cls, []):
            for f in sorted(d.iterdir()):
                if f.suffix.lower() in AUDIO_SUFFIXES and not f.name.startswith("."):
                    files.append(f)
                    labels.append(c)
    if not files:
        raise DatasetLayoutError(f"the Ballroom class folders in {data} hold no audio files; expected {BALLROOM_LAYOUT}")
    label_of = dict(zip(files, labels))
    files, infos = _keep_readable(files, "Ballroom")
    if not files:
        raise DatasetLayoutError(f"no readable audio file in {data}")
    labels = [label_of[f] for f in files]
    stems = [f.stem for f in files]
    ids = stems if len(set(stems)) == len(stems) else [f"{f.parent.name}/{f.stem}" for f in files]
    tempo = _ballroom_tempi(root, data, stems, annotations)
    rate = _pick_sr(sr, infos)
    meta = [{"path": str(f), "folder": f.parent.name, "file_sr": i["sr"], "duration_s": i["frames"] / i["sr"],
             "tempo": None if tempo is None or np.isnan(tempo[k]) else float(tempo[k])}
            for k, (f, i) in enumerate(zip(files, infos))]
    return TrackSet("ballroom", rate, BALLROOM_CLASSES, np.array(labels), ids, meta,
                    FileLoader(files, rate), tempo=tempo, key=_key("ballroom", files, str(rate)),
                    description=f"Ballroom from {data}")


# -- GTZAN ----------------------------------------------------------------------------------------
def gtzan(root, sr: int | None = None) -> TrackSet:
    """GTZAN (1000 excerpts of 30 s, 10 genres) from your copy.

    Args:
        root: ``genres`` (or ``genres_original``) or a folder that holds it.
        sr: sample rate of ``audio(i)``; None keeps the files' own rate (22050 Hz).
    """
    root = _root(root)
    data = root
    if not any((root / g).is_dir() for g in GTZAN_GENRES):
        for name in ("genres", "genres_original", "Data/genres_original", "gtzan/genres"):
            if (root / name).is_dir():
                data = root / name
                break
    present = [g for g in GTZAN_GENRES if (data / g).is_dir()]
    if not present:
        raise DatasetLayoutError(f"no GTZAN genre folders in {data}; expected {GTZAN_LAYOUT}")
    missing = [g for g in GTZAN_GENRES if g not in present]
    if missing:
        raise DatasetLayoutError(f"GTZAN in {data} lacks the genre folder(s) {missing}; expected {GTZAN_LAYOUT}")
    files, labels = [], []
    for c, g in enumerate(GTZAN_GENRES):
        for f in sorted((data / g).iterdir()):
            if f.suffix.lower() in AUDIO_SUFFIXES and not f.name.startswith("."):
                files.append(f)
                labels.append(c)
    if not files:
        raise DatasetLayoutError(f"the GTZAN genre folders in {data} hold no audio files; expected {GTZAN_LAYOUT}")
    label_of = dict(zip(files, labels))
    files, infos = _keep_readable(files, "GTZAN")
    if not files:
        raise DatasetLayoutError(f"no readable audio file in {data}")
    labels = [label_of[f] for f in files]
    rate = _pick_sr(sr, infos)
    meta = [{"path": str(f), "genre": f.parent.name, "file_sr": i["sr"], "duration_s": i["frames"] / i["sr"]}
            for f, i in zip(files, infos)]
    ids = [f.stem for f in files]
    if len(set(ids)) != len(ids):
        ids = [f"{f.parent.name}/{f.name}" for f in files]
    return TrackSet("gtzan", rate, GTZAN_GENRES, np.array(labels), ids, meta,
                    FileLoader(files, rate), key=_key("gtzan", files, str(rate)),
                    description=f"GTZAN from {data}")


# -- MagnaTagATune ---------------------------------------------------------------------------------
def magnatagatune(root, sr: int | None = None, top: int = 50, drop_untagged: bool = False) -> TrackSet:
    """MagnaTagATune (25,863 clips of 29 s, 188 tags; the usual top-50) from your copy.

    Args:
        root: the folder with ``annotations_final.csv`` and the mp3 folders ``0/`` … ``f/``.
        sr: sample rate of ``audio(i)``; None keeps the files' own rate (16000 Hz).
        top: keep the ``top`` most frequent tags (50 as in the literature; ties broken by name).
        drop_untagged: drop clips with none of the kept tags.

    ``meta[i]["folder"]`` is the clip's mp3 folder (``"0"``…``"f"``); :func:`mtt_split` gives the
    customary split by folder (0–b train, c validation, d–f test).
    """
    root = _root(root)
    csv_path = root / "annotations_final.csv"
    if not csv_path.exists():
        hits = sorted(root.glob("*/annotations_final.csv"))
        if not hits:
            raise DatasetLayoutError(f"no annotations_final.csv in {root}; expected {MTT_LAYOUT}")
        csv_path = hits[0]
    base = csv_path.parent
    with open(csv_path, newline="", encoding="utf-8", errors="replace") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    if len(rows) < 2:
        raise DatasetLayoutError(f"{csv_path} holds no clips; expected {MTT_LAYOUT}")
    header = [h.strip() for h in rows[0]]
    if "clip_id" not in header or "mp3_path" not in header:
        raise DatasetLayoutError(f"{csv_path} has no clip_id / mp3_path columns (header starts {header[:4]}); "
                                 f"expected {MTT_LAYOUT}")
    id_col, path_col = header.index("clip_id"), header.index("mp3_path")
    tag_cols = [k for k in range(len(header)) if k not in (id_col, path_col)]
    if not 1 <= top <= len(tag_cols):
        raise ValueError(f"top must be 1..{len(tag_cols)} (the csv's tag columns), got {top}")
    clips = []
    for r, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ValueError(f"{csv_path} line {r} has {len(row)} fields, the header {len(header)}")
        try:
            vec = np.array([int(row[k]) for k in tag_cols], dtype=np.int8)
        except ValueError as err:
            raise ValueError(f"{csv_path} line {r}: tag values must be 0 or 1 ({err})") from err
        clips.append((row[id_col].strip(), row[path_col].strip(), vec))
    all_tags = np.stack([c[2] for c in clips])
    counts = all_tags.sum(axis=0)
    order = sorted(range(len(tag_cols)), key=lambda k: (-counts[k], header[tag_cols[k]]))[:top]
    tag_names = [header[tag_cols[k]] for k in order]
    labels = all_tags[:, order].astype(np.float32)

    mp3_base = base if any((base / c[1]).exists() for c in clips[:50]) or not (base / "mp3").is_dir() else base / "mp3"
    files = [mp3_base / c[1] for c in clips]
    keep = np.ones(len(clips), dtype=bool)
    missing = [str(f) for f, ok in zip(files, keep) if not f.exists()]
    if len(missing) == len(files):
        raise DatasetLayoutError(f"none of the mp3 files listed in {csv_path} exists under {mp3_base}; expected {MTT_LAYOUT}")
    if missing:
        shown = "\n  ".join(missing[:20]) + ("\n  ..." if len(missing) > 20 else "")
        warnings.warn(f"MagnaTagATune: skipped {len(missing)} clip(s) whose mp3 file is missing:\n  {shown}", stacklevel=2)
        keep &= np.array([f.exists() for f in files])
    present = [f for f, k in zip(files, keep) if k]
    good, infos = _keep_readable(present, "MagnaTagATune")
    good_set = set(good)
    keep &= np.array([f in good_set for f in files])
    if drop_untagged:
        keep &= labels.sum(axis=1) > 0
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        raise DatasetLayoutError(f"no readable, tagged clip in {base}")
    info_of = dict(zip(good, infos))
    files = [files[i] for i in idx]
    rate = _pick_sr(sr, [info_of[f] for f in files])
    meta = [{"path": str(f), "clip_id": clips[i][0], "mp3_path": clips[i][1], "folder": clips[i][1].split("/")[0],
             "file_sr": info_of[f]["sr"]} for f, i in zip(files, idx)]
    return TrackSet("magnatagatune", rate, tag_names, labels[idx], [clips[i][0] for i in idx], meta,
                    FileLoader(files, rate), multilabel=True,
                    key=_key("mtt", files, f"{rate}-{top}-{drop_untagged}"), description=f"MagnaTagATune from {base}")


def mtt_split(ds: TrackSet) -> dict[str, np.ndarray]:
    """The customary MagnaTagATune split by mp3 folder: 0–b train, c validation, d–f test."""
    folders = np.array([m.get("folder", "") for m in ds.meta])
    if not all(len(f) == 1 and f in "0123456789abcdef" for f in folders):
        raise ValueError("mtt_split needs a TrackSet from magnatagatune() (meta 'folder' in 0-9a-f)")
    return {"train": np.flatnonzero(np.isin(folders, list("0123456789ab"))),
            "val": np.flatnonzero(folders == "c"),
            "test": np.flatnonzero(np.isin(folders, list("def")))}
