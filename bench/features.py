"""Feature time per minute of audio for the two input pipelines of mmteach.audio.

    PYTHONPATH=. python bench/features.py [--minutes 2] [--repeats 3]

Prints, per minute of audio: decoding a file (wav, flac, ogg, mp3 written here), resampling
between the common rates (soxr_hq), the MusiCNN log-mel (16 kHz, 96 × 62.5 frames/s) and the Pons
log-mel (44.1 kHz, 40 × 43 frames/s), from audio at the pipeline's own rate and from 22.05 kHz.
Best of ``--repeats`` runs; the first call (library warm-up) is not counted.
"""
from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import numpy as np


def _signal(sr: int, seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    y = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1760 * t * (1 + 0.01 * np.sin(t)))
    y += 0.05 * rng.standard_normal(t.size)
    return (y / np.abs(y).max() * 0.8).astype(np.float32)


def _best(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=2.0, help="length of the test audio (default 2)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import soundfile as sf

    from mmteach import audio

    minutes = args.minutes
    seconds = 60.0 * minutes
    print(f"mmteach.audio feature benchmark — {minutes:g} min of audio, best of {args.repeats}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{'step':52s} {'s per min of audio':>18s} {'× real time':>12s}")

    def row(name, secs):
        per_min = secs / minutes
        print(f"{name:52s} {per_min:18.4f} {60.0 / per_min:12.0f}")

    y44 = _signal(44100, seconds)
    y22 = _signal(22050, seconds)
    y16 = _signal(16000, seconds)

    with tempfile.TemporaryDirectory() as tmp:
        for fmt, ext in (("WAV", "wav"), ("FLAC", "flac"), ("OGG", "ogg"), ("MP3", "mp3")):
            if fmt not in sf.available_formats():
                continue
            path = os.path.join(tmp, f"x.{ext}")
            # written in 10-s blocks: libsndfile 1.2's vorbis encoder segfaults on one long write
            with sf.SoundFile(path, "w", samplerate=44100, channels=1, format=fmt) as f:
                for start in range(0, y44.size, 441000):
                    f.write(y44[start:start + 441000])
            row(f"load {ext} 44.1 kHz (decode + mono)", _best(lambda: audio.load(path), args.repeats))
        path = os.path.join(tmp, "x.wav")
        row("load wav 44.1 kHz → 16 kHz (soxr_hq)", _best(lambda: audio.load(path, sr=16000), args.repeats))

    row("resample 44.1 → 16 kHz (soxr_hq)", _best(lambda: audio.resample(y44, 44100, 16000), args.repeats))
    row("resample 22.05 → 44.1 kHz (soxr_hq)", _best(lambda: audio.resample(y22, 22050, 44100), args.repeats))
    row("musicnn_input from 16 kHz (96 mels, hop 256)", _best(lambda: audio.musicnn_input(y16, 16000), args.repeats))
    row("musicnn_input from 22.05 kHz (incl. resampling)", _best(lambda: audio.musicnn_input(y22, 22050), args.repeats))
    row("musicnn_patches from 16 kHz (187-frame patches)", _best(lambda: audio.musicnn_patches(y16, 16000), args.repeats))
    row("pons_input from 44.1 kHz (40 mels, hop 1024)", _best(lambda: audio.pons_input(y44, 44100), args.repeats))
    row("pons_input from 22.05 kHz (incl. resampling)", _best(lambda: audio.pons_input(y22, 22050), args.repeats))
    x = audio.pons_input(y44, 44100)
    row("Normaliser fit + apply (one track)", _best(lambda: audio.Normaliser().fit([x])(x), args.repeats))
    row("patches of 80 frames (Pons)", _best(lambda: audio.patches(x, 80), args.repeats))


if __name__ == "__main__":
    main()
