"""Benchmark: the PyTorch MusiCNN port against the original TensorFlow extractor.

Prints, for a 30-s clip (synthesised deterministically, 16 kHz):

- the port's CPU time per clip: log-mel (mmteach.audio) + forward, after a warm-up, median of 5;
- the port's throughput in patches/s (inference in batches of 16, and training steps), on CPU and on the
  GPU when there is one;
- the original ``musicnn.extractor.extractor`` time on the same clip (as a WAV file) and the
  ratio port / original, when TensorFlow can be used: either in this interpreter, or in another
  one given with ``--tf-python /path/to/python`` (a throwaway venv with tensorflow-cpu 2.15,
  numpy < 2, librosa and ``pip install --no-deps musicnn==0.1.0``; see
  scripts/make_musicnn_fixtures.py).

Run from the repository root::

    PYTHONPATH=$PWD .venv/bin/python bench/musicnn.py [--threads 2] [--tf-python /tmp/tfenv/bin/python]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)               # this file is called musicnn.py: do not let it hide the musicnn package
SECONDS = 30.0
REPEATS = 5


def _clip() -> np.ndarray:
    spec = importlib.util.spec_from_file_location("fixtures", ROOT / "scripts" / "make_musicnn_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.make_audio(seconds=SECONDS)


def _median_time(fn, repeats=REPEATS) -> tuple[float, list[float]]:
    fn()                                              # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def time_original(wav: str, model: str = "MTT_musicnn") -> dict:
    """Time musicnn.extractor.extractor (needs TensorFlow in this interpreter)."""
    import contextlib
    import io

    from musicnn.extractor import extractor

    def run():
        with contextlib.redirect_stdout(io.StringIO()):
            extractor(wav, model=model, input_length=3, extract_features=False)
    med, times = _median_time(run)
    return {"median_s": med, "times_s": times}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--tf-python", default=None, help="python of an environment with tensorflow + musicnn")
    ap.add_argument("--original-only", metavar="WAV", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.original_only:                            # child mode, inside the TensorFlow environment
        print(json.dumps(time_original(args.original_only)))
        return

    import torch

    from mmteach.pretrained import load_musicnn
    try:
        from mmteach.audio import musicnn_patches
        pipeline = "mmteach.audio.musicnn_patches"
    except ImportError:                               # until mmteach.audio lands: librosa stand-in
        import librosa

        def musicnn_patches(y, sr, hop_frames=None):
            mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=512, hop_length=256, n_mels=96)
            x = np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1)
            n = x.shape[1] // 187
            return np.stack([x[:, i * 187:(i + 1) * 187] for i in range(n)]).astype(np.float32)
        pipeline = "librosa stand-in (mmteach.audio not available)"

    if args.threads:
        torch.set_num_threads(args.threads)
    pcm = _clip()
    y = pcm.astype(np.float32) / 32768
    model = load_musicnn("MTT_musicnn")
    print(f"clip: {SECONDS:.0f} s at 16 kHz | pipeline: {pipeline} | torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads")

    def port():
        x = torch.from_numpy(musicnn_patches(y, 16000))
        with torch.inference_mode():
            return torch.sigmoid(model(x)).numpy()
    n_patches = len(musicnn_patches(y, 16000))
    port_s, port_times = _median_time(port)
    mel_s, _ = _median_time(lambda: musicnn_patches(y, 16000))
    print(f"port, CPU: {port_s:.3f} s per 30-s clip ({n_patches} patches; log-mel {mel_s:.3f} s) "
          f"[runs: {', '.join(f'{t:.3f}' for t in port_times)}]")

    def throughput(dev, batch=16, n_batches=5):
        m = load_musicnn("MTT_musicnn", device=dev)
        xb = torch.randn(batch, 96, 187, device=dev)
        with torch.inference_mode():
            m(xb)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(n_batches):
                m(xb)
            if dev.type == "cuda":
                torch.cuda.synchronize()
        return batch * n_batches / (time.perf_counter() - t0)
    print(f"port, CPU throughput: {throughput(torch.device('cpu')):.1f} patches/s (inference, batches of 16)")

    def train_throughput(dev, batch=16, n_batches=3, **kwargs):
        from mmteach import models
        net = models.create("musicnn", **kwargs).to(dev).train()
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        xb, yb = torch.randn(batch, 96, 187, device=dev), torch.rand(batch, net.n_classes, device=dev)

        def step():
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(net(xb), yb).backward()
            opt.step()
        step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(n_batches):
            step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return batch * n_batches / (time.perf_counter() - t0)
    print(f"port, CPU training: {train_throughput(torch.device('cpu')):.1f} patches/s (full model, batches of 16); "
          f"small variant (width 0.125, mid-end 16, dense 32): "
          f"{train_throughput(torch.device('cpu'), num_filt_midend=16, n_units_backend=32, width=0.125):.1f} patches/s")
    if torch.cuda.is_available():
        dev = torch.device("cuda")
        print(f"port, GPU ({torch.cuda.get_device_name(0)}) throughput: {throughput(dev, 256, 20):.0f} patches/s "
              f"(inference, batches of 256); training {train_throughput(dev, 64, 10):.0f} patches/s (batches of 64)")
    else:
        print("port, GPU: no CUDA GPU here")

    original = None
    with tempfile.TemporaryDirectory() as tmp:
        wav = str(Path(tmp) / "clip.wav")
        import soundfile as sf
        sf.write(wav, pcm, 16000, subtype="PCM_16")
        if importlib.util.find_spec("tensorflow") is not None and importlib.util.find_spec("musicnn"):
            original = time_original(wav)
        elif args.tf_python:
            out = subprocess.run([args.tf_python, __file__, "--original-only", wav], capture_output=True,
                                 text=True, check=True, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
            original = json.loads(out.stdout.strip().splitlines()[-1])
    if original is None:
        print("original: tensorflow is not importable here (pass --tf-python to compare)")
    else:
        print(f"original extractor, CPU: {original['median_s']:.3f} s per 30-s clip "
              f"[runs: {', '.join(f'{t:.3f}' for t in original['times_s'])}]")
        print(f"ratio port / original: {port_s / original['median_s']:.2f} (target <= 0.5)")


if __name__ == "__main__":
    main()
