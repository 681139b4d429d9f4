"""Rendering and feature speed of the offline data sets.

Prints, on this machine:
  - compose (writing the score) and render (TinySoundFont) time per minute of audio, per set;
  - the time to build each set size from scratch (into a temporary cache) and its size on disk;
  - feature time per minute of audio for the "pons" and "musicnn" pipelines (when mmteach.audio is
    present), and the time to load cached features again.

    python bench/render.py            # quick and normal sizes
    python bench/render.py --quick    # quick sizes only
    python bench/render.py --musicnn  # also: the pretrained MTT_musicnn, zero-shot, on the tag set
                                      # (ROC-AUC per tag shared with MagnaTagATune; uses MMTEACH_CACHE)
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MMTEACH_PROGRESS", "0")

from mmteach.data import dance, render, tags  # noqa: E402


def per_minute(seconds: float, audio_s: float) -> float:
    return seconds / (audio_s / 60.0)


def bench_tracks(n: int = 24) -> None:
    print(f"== compose + render, {n} tracks per set")
    for name, make, dur, sr in (
        ("dance", lambda k: dance.compose(k % 8, [0, k % 8, k // 8, 1]), dance.DURATION_S, dance.SR),
        ("tags", lambda k: tags.compose(k, 0), tags.DURATION_S, tags.SR),
    ):
        t0 = time.perf_counter()
        scores = [make(k)[0] for k in range(n)]
        t1 = time.perf_counter()
        for parts in scores:
            render.render(parts, dur, sr=sr)
        t2 = time.perf_counter()
        audio_s = n * dur
        print(f"{name:6s} {sr} Hz: compose {per_minute(t1 - t0, audio_s):6.3f} s/min   render {per_minute(t2 - t1, audio_s):6.3f} s/min"
              f"   ({1000 * (t2 - t0) / n:.1f} ms per {dur:.0f}-s track)")


def bench_build(sizes) -> None:
    import mmteach.data as data

    print("== building each set from scratch (temporary cache)")
    for size in sizes:
        for name, fn, dur in (("dance", data.dance_set, dance.DURATION_S), ("tags", data.tag_set, tags.DURATION_S)):
            tmp = tempfile.mkdtemp(prefix="mmteach-bench-")
            os.environ["MMTEACH_CACHE"] = tmp
            try:
                t0 = time.perf_counter()
                ds = fn(size)
                built = time.perf_counter() - t0
                t0 = time.perf_counter()
                fn(size)
                reload = time.perf_counter() - t0
                mb = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20
                minutes = len(ds) * dur / 60
                print(f"{name:6s} {size:6s} {len(ds):4d} tracks, {minutes:5.1f} min of audio: built in {built:6.1f} s "
                      f"({built / minutes:.2f} s/min), reloaded in {reload * 1000:.0f} ms, {mb:.0f} MiB on disk")
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


def bench_features() -> None:
    try:
        import mmteach.audio  # noqa: F401
    except ImportError:
        print("== features: mmteach.audio is not available on this branch yet; skipped")
        return
    import mmteach.data as data

    tmp = tempfile.mkdtemp(prefix="mmteach-bench-")
    os.environ["MMTEACH_CACHE"] = tmp
    try:
        import mmteach.audio as audio

        ds = data.dance_set("quick")
        minutes = len(ds) * dance.DURATION_S / 60
        t0 = time.perf_counter()
        for fn in (audio.pons_input, audio.musicnn_input):  # imports and JIT compilation, once per process
            fn(ds.audio(0)[: ds.sr], ds.sr)
        print(f"== features of the quick dance set ({len(ds)} tracks, {minutes:.1f} min of audio); "
              f"first call in a process (imports, JIT) {time.perf_counter() - t0:.1f} s")
        for pipeline in ("pons", "musicnn"):
            t0 = time.perf_counter()
            feats = ds.features(pipeline)
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            data.dance_set("quick").features(pipeline)
            again = time.perf_counter() - t0
            t0 = time.perf_counter()
            stats = data.norm_stats(ds, pipeline)
            p = data.make_patches(ds, pipeline, 80 if pipeline == "pons" else 187, stats=stats)
            patch_s = time.perf_counter() - t0
            print(f"{pipeline:8s} {feats[0].shape} per track: {per_minute(first, minutes * 60):.2f} s per minute of audio, "
                  f"cached reload {again * 1000:.0f} ms, stats + {len(p)} patches {patch_s * 1000:.0f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_musicnn(size: str) -> None:
    """How well the original MTT_musicnn, trained on real recordings, hears the tag set's tags."""
    import numpy as np
    import torch
    from sklearn.metrics import roc_auc_score

    import mmteach.data as data
    from mmteach.pretrained import MTT_LABELS, load_musicnn

    ts = data.tag_set(size)
    t0 = time.perf_counter()
    p = data.make_patches(ts, "musicnn", 187)
    model = load_musicnn("MTT_musicnn")
    with torch.no_grad():
        logits = np.concatenate([model(torch.from_numpy(p.x[a:a + 32])).numpy() for a in range(0, len(p), 32)])
    print(f"== pretrained MTT_musicnn on the {size} tag set ({len(ts)} clips, {time.perf_counter() - t0:.0f} s)")
    aucs = []
    for tag in ts.classes:
        if tag in MTT_LABELS:
            y = p.y[:, ts.classes.index(tag)]
            if 0 < y.sum() < len(y):
                aucs.append(roc_auc_score(y, logits[:, MTT_LABELS.index(tag)]))
                print(f"{tag:12s} ROC-AUC {aucs[-1]:.2f}  ({int(y.sum())} positives)")
    print(f"macro ROC-AUC over {len(aucs)} shared tags: {np.mean(aucs):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick sizes only")
    parser.add_argument("--musicnn", action="store_true", help="score the pretrained MTT_musicnn on the tag set")
    args = parser.parse_args()
    user_cache = os.environ.get("MMTEACH_CACHE")
    print(f"CPU cores: {os.cpu_count()}, renderer: {render.renderer_version()}")
    bench_tracks()
    bench_build(["quick"] if args.quick else ["quick", "normal"])
    bench_features()
    if args.musicnn:  # in the user's own cache (a set built there is kept for the lessons)
        if user_cache is None:
            os.environ.pop("MMTEACH_CACHE", None)
        else:
            os.environ["MMTEACH_CACHE"] = user_cache
        bench_musicnn("quick" if args.quick else "normal")


if __name__ == "__main__":
    main()
