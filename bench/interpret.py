"""Figures behind lessons 09 and 10, printed (not a timed test).

    PYTHONPATH=$PWD python bench/interpret.py            # front-end figures of MSD/MTT MusiCNN
    PYTHONPATH=$PWD python bench/interpret.py --train    # also train lesson 10's three CNNs (minutes)

Part 1 prints, from the original checkpoints: live front-end units per block by kernel norm and by
responses to six rendered clips at several tolerances, unit 12's parameters against seed 000's, and
the mid-end's non-trivial kernels. Part 2 trains the vanilla, masked and GAP CNNs on the dance set
(``MMTEACH_QUICK=1`` for the small set) and prints accuracies, seconds and CPU seconds.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def frontend_figures() -> None:
    from mmteach import audio, interpret
    from mmteach.pretrained import load_musicnn

    names = ["piano", "flute", "drums", "band", "clicks60", "sweep"]
    clips = np.stack([audio.musicnn_patches(audio.example_sound(n, 16000), 16000)[0] for n in names])
    for model_name in ("MSD_musicnn", "MTT_musicnn"):
        m = load_musicnn(model_name)
        U = interpret.frontend_matrix(m, clips).U
        blocks = interpret.frontend_blocks(m)
        print(f"\n{model_name}")
        for tol in (1e-3, 1e-2, 5e-2, 1e-1):
            lw = interpret.live_units_from_weights(m, tol)
            lr = interpret.live_units_from_responses(U, tol)
            per = [int(np.sum((lr >= b.start) & (lr < b.stop))) for b in blocks]
            print(f"  tol {tol:g}: live by weights {len(lw):3d}, by responses {len(lr):3d} "
                  f"(per block {'/'.join(map(str, per))}; same set: {np.array_equal(lw, lr)})")
        for layer in (1, 2, 3):
            w = getattr(m.midend, f"conv{layer}").weight.detach().numpy()
            n = int((np.sqrt((w ** 2).reshape(len(w), -1).sum(1)) > 0.01).sum())
            print(f"  mid-end conv{layer} (Sturm's CNN_{layer + 1}): {n}/64 kernels with norm > 0.01")
        if model_name == "MSD_musicnn":
            u = interpret.unit(m, 12)
            order, _ = interpret.rank_kernels(interpret.block_kernels(m, "38x7"))
            print(f"  unit 12: bias {u.bias:.5f} (seed −0.415); BN scale {u.scale:.4f} (seed 7.43; "
                  f"{u.gamma / np.sqrt(u.moving_var):.4f} without eps), shift {u.shift:.4f} (seed −3.28); "
                  f"kernel range [{u.kernel.min():.3f}, {u.kernel.max():.3f}] (seed −0.2 … 0.38); "
                  f"Frobenius rank {list(order).index(12) + 1} of {len(order)} (seed 7th of 22)")


def train_figures() -> None:
    import resource

    from mmteach import data, models, pick
    from mmteach import train as training

    ds = data.dance_set()
    split = ds.splits(seed=0)
    stats = data.norm_stats(ds, "musicnn", split["train"])
    train, val, test = (data.make_patches(ds, "musicnn", 187, split[k], stats=stats) for k in ("train", "val", "test"))
    print(f"\n{ds}: {len(train)} / {len(val)} / {len(test)} patches; torch threads {torch.get_num_threads()}")
    for name in ("vanilla-cnn", "masked-cnn", "gap-cnn"):
        net = models.create(name, n_classes=len(ds.classes))
        cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime, time.perf_counter()
        hist = training.fit(net, train, val, optimizer="adam", lr=3e-3 if name == "gap-cnn" else 1e-3,
                            epochs=pick(normal=10, quick=2), batch_size=32, halve_lr_on_plateau=False,
                            progress=False)
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
        res = training.evaluate(net, test)
        print(f"  {name:12s} params {models.count_parameters(net):7,d}  test patch {res['patch_accuracy']:.3f} "
              f"track {res['track_accuracy']:.3f}  best epoch {hist.best_epoch + 1}  "
              f"{time.perf_counter() - t0:.0f} s wall, {cpu:.0f} s CPU")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="also train lesson 10's CNNs")
    args = parser.parse_args()
    frontend_figures()
    if args.train:
        train_figures()
