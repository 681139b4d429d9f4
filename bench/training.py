"""Training speed of Pons' models and run time of lessons 04 and 05.

Prints, for every model of ``mmteach.models.pons``, the training throughput (patches per second
of SGD steps, minibatch 10 as in the lessons, and 50) and the inference throughput, on the CPU
and on a CUDA GPU when one is present; then, when asked, the wall time of whole lessons run as
notebooks (quick or normal mode).

    python bench/training.py                       # throughput, CPU (+ GPU if present)
    python bench/training.py --threads 2           # as on a 2-core laptop
    python bench/training.py --lessons 04 05 --mode normal    # lesson run times (minutes)

Wall time on a shared machine measures the neighbours as much as the code; the CPU seconds of the
process are printed beside it (with ``--threads 1`` they are what one free core would need).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSONS = {"04": "04_musically_motivated_cnns", "05": "05_temporal_filters"}
SEED002 = ("black-box", "time", "frequency", "time-frequency")


def throughput(names, device: str, batch_sizes=(10, 50), min_seconds: float = 1.0) -> None:
    import torch
    import torch.nn.functional as F

    from mmteach import models

    print(f"\n== training throughput on {device} (torch threads: {torch.get_num_threads()}) ==")
    print(f"{'model':15s} {'params':>10s} " + " ".join(f"{'train b=' + str(b):>16s}" for b in batch_sizes)
          + f" {'infer b=256':>14s}   (patches/s wall; patches per CPU-second in brackets)")
    dev = torch.device(device)
    for name in names:
        n_frames = 80 if name in SEED002 else 250
        torch.manual_seed(0)
        net = models.create(name, n_classes=8).to(dev)
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        cols = []
        for b in batch_sizes:
            x = torch.randn(b, 40, n_frames, device=dev)
            y = torch.randint(0, 8, (b,), device=dev)

            def step():
                loss = F.cross_entropy(net(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

            net.train()
            for _ in range(2):
                step()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t0, c0, k = time.perf_counter(), time.process_time(), 0
            while time.perf_counter() - t0 < min_seconds:
                step()
                k += 1
            if dev.type == "cuda":
                torch.cuda.synchronize()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            cols.append(f"{k * b / wall:7.0f} ({k * b / max(cpu, 1e-9):6.0f})")
        net.eval()
        x = torch.randn(256, 40, n_frames, device=dev)
        with torch.inference_mode():
            net(x)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t0, k = time.perf_counter(), 0
            while time.perf_counter() - t0 < min_seconds:
                net(x)
                k += 1
            if dev.type == "cuda":
                torch.cuda.synchronize()
        cols.append(f"{k * 256 / (time.perf_counter() - t0):14.0f}")
        print(f"{name:15s} {models.count_parameters(net):>10,} " + " ".join(f"{c:>16s}" for c in cols), flush=True)


def lesson_time(code: str, mode: str) -> None:
    """Execute lesson ``code``'s solution notebook and print its wall time."""
    import nbformat
    from nbclient import NotebookClient

    name = LESSONS[code]
    path = ROOT / "solutions" / name / f"{name}.ipynb"
    env_before = dict(os.environ)
    os.environ["MMTEACH_QUICK"] = "1" if mode == "quick" else "0"
    os.environ.setdefault("MMTEACH_PROGRESS", "0")
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    try:
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        wall = time.perf_counter() - t0
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    print(f"lesson {name} ({mode} mode): {wall:6.1f} s wall", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    ap.add_argument("--models", nargs="*", default=None, help="model names (default: all of pons, 8o+8p excepted)")
    ap.add_argument("--no-throughput", action="store_true", help="skip the per-model throughput table")
    ap.add_argument("--lessons", nargs="*", default=[], choices=sorted(LESSONS), help="lessons to time as notebooks")
    ap.add_argument("--mode", choices=["quick", "normal"], default="quick", help="mode for --lessons")
    args = ap.parse_args(argv)

    import torch

    from mmteach.models import pons

    if args.threads:
        torch.set_num_threads(args.threads)
    names = args.models or [n for n in [*pons.SEED002_PARAMS, *pons.SEED003_PARAMS] if n != "8o+8p"]
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs visible")
    if not args.no_throughput:
        throughput(names, "cpu")
        if torch.cuda.is_available():
            throughput(names, "cuda", batch_sizes=(10, 50, 256))
        else:
            print("\n(no CUDA GPU here: GPU figures skipped)")
    for code in args.lessons:
        lesson_time(code, args.mode)


if __name__ == "__main__":
    main()
