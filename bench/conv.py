"""Loops against compiled code: how much faster numpy and torch compute the same convolutions.

    python bench/conv.py              # 1-D and 2-D timings on CPU (and on the GPU when there is one)
    python bench/conv.py --lesson     # also run lesson 03's solution notebook and print its run time

Prints figures; asserts nothing about speed. Every row first checks that the implementations
agree, so a fast wrong answer cannot look good.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mmteach import conv  # noqa: E402


THREADS = torch.get_num_threads()


def ms(seconds: float) -> str:
    return f"{1e3 * seconds:10.3f} ms"


def bench_1d(rng) -> None:
    print("\n1-D valid convolution, float64, torch on 1 thread (best of several runs)")
    torch.set_num_threads(1)
    print(f"{'M':>7} {'m':>4} | {'conv.convolve1d (loops)':>24} {'np.convolve':>14} {'F.conv1d (flipped)':>20}")
    for M, m in [(1_000, 15), (10_000, 15), (10_000, 128)]:
        x, w = rng.standard_normal(M), rng.standard_normal(m)
        ref = np.convolve(x, w, "valid")
        xt, wt = torch.tensor(x).view(1, 1, -1), torch.flip(torch.tensor(w), (0,)).view(1, 1, -1)
        assert np.allclose(conv.convolve1d(x, w), ref)
        assert np.allclose(F.conv1d(xt, wt).view(-1).numpy(), ref)
        t_loop = conv.best_time(conv.convolve1d, x, w, repeat=1)
        t_np = conv.best_time(np.convolve, x, w, "valid", repeat=20)
        t_torch = conv.best_time(F.conv1d, xt, wt, repeat=20)
        print(f"{M:>7} {m:>4} | {ms(t_loop):>24} {ms(t_np):>14} {ms(t_torch):>20}")
    torch.set_num_threads(THREADS)


def bench_2d(rng, devices) -> None:
    print("\n2-D layer: 32 filters of 12×8 on 40×80 patches (Pons' Black-box first layer)")
    header = f"{'batch':>5} | {'correlate2d loops':>18} {'conv.conv2d':>12}"
    for d in devices:
        header += f" {'F.conv2d ' + d:>20}"
    print(header)
    w = rng.standard_normal((32, 1, 12, 8)).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    for batch in (1, 16, 256):
        x = rng.standard_normal((batch, 1, 40, 80)).astype(np.float32)
        ref = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b)).numpy()
        assert np.allclose(conv.conv2d(x, w, b), ref, atol=1e-3)
        if batch == 1:
            loops = np.stack([[conv.correlate2d(p[0], k[0]) + bk for k, bk in zip(w, b)] for p in x])
            assert np.allclose(loops, ref, atol=1e-3)
            t0 = time.perf_counter()
            for p in x:
                for k in w:
                    conv.correlate2d(p[0], k[0])
            t_loops = ms(time.perf_counter() - t0)
        else:
            t_loops = "(skipped)"
        t_vec = conv.best_time(conv.conv2d, x, w, b, repeat=1) if batch <= 16 else float("nan")
        row = f"{batch:>5} | {t_loops:>18} {ms(t_vec) if t_vec == t_vec else '(skipped)':>12}"
        for d in devices:
            dev = torch.device(d.split(" ")[0])
            if dev.type == "cpu":
                torch.set_num_threads(int(d.split(" ")[1]))
            xt, wt, bt = (torch.tensor(a, device=dev) for a in (x, w, b))
            out = F.conv2d(xt, wt, bt)
            assert np.allclose(out.cpu().numpy(), ref, atol=1e-3)

            def run():
                F.conv2d(xt, wt, bt)
                if dev.type == "cuda":
                    torch.cuda.synchronize()
            row += f" {ms(conv.best_time(run, repeat=20)):>20}"
        torch.set_num_threads(THREADS)
        print(row)


def bench_pool(rng) -> None:
    print("\nmax pooling 2×2 of 32 feature maps of 29×73, torch on 1 thread")
    torch.set_num_threads(1)
    x = rng.standard_normal((32, 29, 73))
    assert np.allclose(conv.max_pool2d(x, 2), F.max_pool2d(torch.tensor(x), 2).numpy())
    print(f"conv.max_pool2d {ms(conv.best_time(conv.max_pool2d, x, 2, repeat=3))}   "
          f"F.max_pool2d {ms(conv.best_time(F.max_pool2d, torch.tensor(x), 2, repeat=20))}")
    torch.set_num_threads(THREADS)


def time_lesson() -> None:
    import nbformat
    from nbclient import NotebookClient

    root = Path(__file__).resolve().parents[1]
    path = root / "solutions" / "03_convolution_and_pooling" / "03_convolution_and_pooling.ipynb"
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("MMTEACH_PROGRESS", "0")
    os.environ["PYTHONPATH"] = str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")
    mode = "quick" if conv.pick(normal=False, quick=True) else "normal"
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    print(f"\nlesson 03 solution notebook, {mode} mode: {time.perf_counter() - t0:.1f} s (kernel start included)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", action="store_true", help="also time lesson 03's solution notebook")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    devices = ["cpu 1"] + ([f"cpu {THREADS}"] if THREADS > 1 else []) + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {THREADS} CPU threads; F.conv2d columns: 'cpu T' = T threads; "
          f"devices: {', '.join(devices)}")
    if torch.cuda.is_available():
        print("GPU:", torch.cuda.get_device_name(0))
    bench_1d(rng)
    bench_2d(rng, devices)
    bench_pool(rng)
    if args.lesson:
        time_lesson()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
