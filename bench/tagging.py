"""Lessons 06–07 figures: training time per sample of the four Choi et al. taggers at matched
parameter budgets, and the run time of the two lesson notebooks.

    .venv/bin/python bench/tagging.py                       # per-sample times + both lessons (normal mode)
    .venv/bin/python bench/tagging.py --no-lessons          # per-sample times only
    .venv/bin/python bench/tagging.py --budgets 0.1 0.25 1 --full-resolution --threads 2

Per-sample time is one optimisation step (forward, backward, Adam) on random patches of the lesson's
input size, divided by the batch size, after one warm-up step (mmteach.metrics.training_time_per_sample).
Activations are the numbers one forward pass stores in the outputs of the model's layers
(mmteach.tagging.activation_floats): the memory side of the paper's memory/speed trade-off.
Lesson times come from bench/lessons.py's runner (wall time and peak kernel memory).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def per_sample_table(budgets, n_mels, n_frames, n_tags, batch_size, steps, device):
    import torch

    from mmteach import models
    from mmteach.metrics import training_time_per_sample
    from mmteach.models import crnn
    from mmteach.tagging import activation_floats

    print(f"input {n_mels} mel bands × {n_frames} frames, {n_tags} tags, batch {batch_size}, "
          f"{torch.get_num_threads()} torch thread(s), device {device}")
    print(f"{'model':6} {'budget':>10} {'N':>5} {'params':>10} {'ms/sample':>10} {'activations':>12}")
    for name in crnn.ARCHITECTURES:
        for b in budgets:
            net = models.create(name, n_classes=n_tags, n_mels=n_mels, n_frames=n_frames, budget=b)
            t = training_time_per_sample(net, (n_mels, n_frames), n_tags, batch_size=batch_size, n_steps=steps,
                                         device=device)
            print(f"{name:6} {int(b):>10,} {net.width:>5} {models.count_parameters(net):>10,} {1000 * t:>10.2f} "
                  f"{activation_floats(net, (n_mels, n_frames)):>12,}", flush=True)


def lesson_times(quick: bool):
    sys.path.insert(0, str(ROOT / "bench"))
    from lessons import run_notebook  # bench/lessons.py

    from mmteach import course

    for name in ("06_recurrent_networks", "07_crnn_tagging"):
        path = course.solution_path(name, ROOT)
        if not path.exists():
            print(f"{name}: no solution notebook")
            continue
        seconds, peak_gb, errors = run_notebook(path, quick)
        print(f"{name}: {seconds:6.1f} s, peak kernel memory {peak_gb:.2f} GB, "
              f"{errors} cell error(s) ({'quick' if quick else 'normal'} mode)", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budgets", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0, 3.0], help="in millions")
    p.add_argument("--full-resolution", action="store_true", help="96 × 187 input instead of the lesson's 48 × 93")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-lessons", action="store_true", help="skip running the lesson notebooks")
    p.add_argument("--quick", action="store_true", help="run the lessons in quick mode")
    args = p.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    n_mels, n_frames = (96, 187) if args.full_resolution else (48, 93)
    start = time.perf_counter()
    per_sample_table([b * 1e6 for b in args.budgets], n_mels, n_frames, 20, args.batch_size, args.steps, args.device)
    print(f"(table took {time.perf_counter() - start:.0f} s)")
    if not args.no_lessons:
        lesson_times(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
