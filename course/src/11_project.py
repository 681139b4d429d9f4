# %% [markdown]
# # Lesson 11 — Project: design, train and interpret a musically motivated model
#
# Ten lessons gave you the parts: spectrograms and patches (02), convolution and pooling (03),
# filters shaped after musical ideas (04, 05), recurrence (06), tagging and fair comparisons at a
# fixed parameter budget (07), a published model rebuilt layer by layer (08) and ways to look
# inside a trained network (09, 10). This project puts them together the way research does: you
# state a **musical hypothesis**, turn it into an architecture, train it, measure it against a
# baseline, and find out whether the network learned what you designed it to learn.
#
# **Prerequisites:** lessons 02–05 (07 and 10 help). **Time:** a first complete pass in quick
# settings takes an hour; a good project takes a few evenings of experiments.
#
# ## Learning objectives
#
# After this project you can
#
# 1. turn a musical hypothesis ("ballroom dances differ in tempo and rhythm more than in timbre")
#    into an architectural choice (filter shapes, pooling, receptive field) and defend it;
# 2. build a model that fits a parameter budget and takes the course's input shape
#    `(batch, n_mels, n_frames)`;
# 3. train it, evaluate it honestly (validation for choices, test once) and compare it with a
#    baseline that lacks the property you care about;
# 4. interpret what it learned — from confusions, from its filters, from an ablation — and write
#    it up so a reader can check every claim.
#
# ## How the project is graded
#
# | part | how | points |
# | --- | --- | --- |
# | Exercise 1: your model runs on a batch of the right shape | autograded | 2 |
# | Exercise 1: it stays under the parameter budget and uses a convolution | autograded | 1 |
# | Exercise 2: `evaluate` returns correct accuracy, loss and confusion | autograded | 2 |
# | Exercise 3: your model was trained and beats nothing-at-all | autograded | 1 |
# | Written 1: design and musical motivation | by hand | 4 |
# | Written 2: experiment and results | by hand | 4 |
# | Written 3: interpretation | by hand | 5 |
# | Written 4: limitations and next step | by hand | 3 |
#
# The autograded checks only make sure your work is *sound* (it runs, it is measured correctly);
# the points that matter are for your reasoning. Each written part lists what earns its points.
# When you submit for a grade, the grader re-runs this notebook in quick mode (a small data set, few
# epochs), so make sure it runs top to bottom with `QUICK = True` too.

# %% [locked] setup
import numpy as np
import matplotlib.pyplot as plt
import torch
from torch import nn

from mmteach import checks, device, pick, quick_mode, seed_everything
from mmteach import project
from mmteach.data import dance_set, make_patches, norm_stats
from mmteach.models import count_parameters

QUICK = quick_mode()          # a small, fast run when MMTEACH_QUICK=1 (the grader sets it)
seed_everything(0)
print("quick mode" if QUICK else "normal mode", "| device:", device())

# %% [markdown]
# ## 1. The task and the data
#
# The default task is the one Pons et al. studied: recognise the **dance style** of a ballroom
# recording — ChaChaCha, Jive, Quickstep, Rumba, Samba, Tango, Viennese Waltz or Waltz. The course's
# offline dance set mirrors Ballroom: each class has the real dance's tempo range, meter and
# rhythm patterns, rendered from MIDI with a General MIDI sound font. Tempo, meter and rhythm are
# *built into* the classes, and so are some habits of instrumentation — as in real ballroom music,
# where a tango has its bandoneon. Which of the two a network relies on is an open question you can
# answer with an experiment, which is what makes the set a good place to test a hypothesis.
#
# **You may choose another task** for the project, as long as you can state a hypothesis about it:
# the tag set (`mmteach.data.tag_set()`, multi-label, lesson 07), or real data you already have on
# disk (`mmteach.data.ballroom(path)`, `gtzan(path)`, `magnatagatune(path)`). If you change the task,
# keep the variable names below (`train`, `val`, `test`, `N_MELS`, `N_FRAMES`, `N_CLASSES`) so the
# checks and plots still work, and say so in Written 2.
#
# The input is the Pons pipeline of lesson 02: 40 log-compressed mel bands, patches of 80 frames
# (about 1.9 s), normalised with *one* mean and *one* standard deviation from the training tracks.

# %%
ds = dance_set()
parts = ds.splits(seed=0)
stats = norm_stats(ds, "pons", parts["train"])
N_FRAMES = 80
train, val, test = (make_patches(ds, "pons", N_FRAMES, parts[k], stats=stats) for k in ("train", "val", "test"))
N_MELS, N_CLASSES = train.x.shape[1], len(ds.classes)
print(ds)
print("train", train, "\nval  ", val, "\ntest ", test)

# %% [markdown]
# Look at one patch per class. Which differences would *you* use to tell the dances apart — the
# spacing of the vertical stripes (onsets: tempo and rhythm) or the horizontal bands (pitch and
# timbre)? Your answer is the beginning of a hypothesis.

# %%
fig, axes = plt.subplots(2, 4, figsize=(13, 5), sharex=True, sharey=True)
for c, ax in enumerate(axes.flat):
    i = int(np.flatnonzero(train.y == c)[0])
    ax.imshow(train.x[i], origin="lower", aspect="auto", cmap="magma")
    ax.set_title(ds.classes[c])
for ax in axes[:, 0]:
    ax.set_ylabel("mel band")
for ax in axes[1]:
    ax.set_xlabel("frame")
fig.tight_layout(); plt.show()

# %% [markdown]
# ## 2. A baseline that cannot hear time
#
# A claim like "my model uses rhythm" means little without a comparison. `project.Baseline`
# averages each mel band over the whole patch and feeds the 40 averages to one linear layer:
#
# $$\hat y = \mathrm{softmax}\big(W\,\mathrm{BN}(\bar x) + b\big), \qquad \bar x_f = \frac{1}{T}\sum_{t=1}^{T} x_{f,t}.$$
#
# It sees the average spectrum — timbre, register, loudness — and nothing about *when* anything
# happens. Look at its accuracy before you design anything: if timbre alone already does well, a
# rhythm model has to earn its place, and an ablation (section 6) tells you what it really uses. `project.fit` is a plain PyTorch loop (Adam, cross-entropy,
# validation after each epoch); open `mmteach/project.py` to read it.

# %%
EPOCHS = pick(normal=15, quick=3)
baseline = project.Baseline(N_MELS, N_CLASSES)
base_hist = project.fit(baseline, train, val, epochs=EPOCHS, lr=3e-3)
base_val = project.evaluate(baseline, val.x, val.y)
print(f"baseline: {count_parameters(baseline):,} parameters, validation accuracy {base_val['accuracy']:.1%} "
      f"(chance {1 / N_CLASSES:.1%})")
project.plot_history(base_hist, "baseline"); plt.show()

# %% [markdown]
# ## 3. Your design
#
# Before writing code, decide what your model should be able to *see*. Some directions, from the
# lessons:
#
# * **Temporal filters** (lessons 04–05): $1 \times n$ kernels over time in each mel band. A kernel
#   spanning $n$ frames at hop $h$ samples and rate $f_s$ covers $n h / f_s$ seconds; to see one beat
#   at tempo $\tau$ bpm it needs $n \ge 60 f_s / (\tau h)$ frames. Max-pooling over frequency then
#   keeps *that* a pattern occurred, not *where* in the spectrum.
# * **Frequency filters**: $m \times 1$ kernels over mel bands, for timbre; pooled over time.
# * **Both**, fused (Pons' Time-Frequency model), or **recurrence** over time (lesson 06).
# * **Budget**: the best model is not the biggest. Pons' Time model has 7,336 parameters and beat
#   a 3.3-million-parameter black box on tempo-driven classes.
#
# ### Written 1 (4 points) — design and musical motivation
#
# Write this *before* you train. (a) State your task and a musical hypothesis about it in one or
# two sentences. (b) Describe your architecture layer by layer with kernel shapes, and explain how
# each choice follows from the hypothesis — with the receptive field in seconds (or beats) where
# time matters. (c) Say what result would *refute* your hypothesis.

# %% [answer] design 4
# ### BEGIN SOLUTION
# *Model answer.* (a) Task: dance style on the offline dance set. Hypothesis: the eight dances are
# told apart mainly by tempo and rhythm pattern (onsets over time), and much less by instrument
# colour, which varies within each dance.
# (b) Two branches on the 40 × 80 input. *Rhythm branch:* 16 filters of 1 × 60 (one mel band, 60
# frames ≈ 1.4 s at hop 1024 and 44.1 kHz: more than two beats at 100 bpm and enough for one bar of
# a fast jive), ReLU, then max over frequency and time, so the branch reports how strongly each
# rhythm template occurs anywhere. *Timbre branch:* 8 filters of 32 × 1 (most of the mel range in one
# frame), ReLU, max over time. The 24 pooled values go through batch norm and a linear layer to 8
# logits — 1,488 parameters, far under the budget, so a gain cannot come from sheer size.
# (c) If the rhythm branch alone does no better than the timbre-only baseline, or if removing it
# costs nothing, the hypothesis is wrong for this data.
#
# *Rubric (4 points):* 1 — a clear task and a hypothesis that is musical and testable; 2 — every
# layer given with shapes and tied to the hypothesis, with a correct receptive-field computation
# (1 point for the layers, 1 for the justification with numbers); 1 — a concrete outcome that would
# refute it. Half points for a design that is described but not motivated.
# ### END SOLUTION

# %% [markdown]
# ### Exercise 1 (3 points) — build your model
#
# Write `build_model(n_mels, n_frames, n_classes)` returning a `torch.nn.Module` that maps a float
# tensor of shape `(batch, n_mels, n_frames)` to logits of shape `(batch, n_classes)` (no softmax:
# the loss applies it). Rules: at most **50,000** trainable parameters for the default
# `(40, 80, 8)`; at least one convolution (`nn.Conv1d` or `nn.Conv2d`); it must work for any batch
# size, including 1 in evaluation mode. Use the `n_mels`, `n_frames` and `n_classes` arguments
# instead of fixed numbers, so the model adapts when you change the input. (Tip: `nn.Conv2d`
# wants a channel axis — `x.unsqueeze(1)` gives `(batch, 1, n_mels, n_frames)`.)

# %% [solution] build_model
PARAMETER_BUDGET = 50_000


def build_model(n_mels, n_frames, n_classes):
    """My model: (batch, n_mels, n_frames) -> (batch, n_classes) logits."""
    ### BEGIN SOLUTION
    class RhythmTimbreNet(nn.Module):
        """Rhythm branch (1 x n temporal filters) + timbre branch (m x 1 spectral filters)."""

        def __init__(self):
            super().__init__()
            t_len = min(60, n_frames)                    # about 1.4 s: a bar of most dances
            f_len = min(32, n_mels)
            self.rhythm = nn.Conv2d(1, 16, kernel_size=(1, t_len))
            self.timbre = nn.Conv2d(1, 8, kernel_size=(f_len, 1))
            self.norm = nn.BatchNorm1d(16 + 8)
            self.out = nn.Linear(16 + 8, n_classes)

        def forward(self, x):
            x = x.unsqueeze(1)                           # (batch, 1, n_mels, n_frames)
            r = torch.relu(self.rhythm(x)).amax(dim=(2, 3))   # did the pattern occur anywhere?
            t = torch.relu(self.timbre(x)).amax(dim=(2, 3))
            return self.out(self.norm(torch.cat([r, t], dim=1)))

    return RhythmTimbreNet()
    ### END SOLUTION

# %% [test] model_shape_check 2
net = checks.call(build_model, 40, 80, 8)
checks.true(isinstance(net, nn.Module), "build_model should return a torch.nn.Module")
net.eval()
with torch.no_grad():
    out = checks.call(net, torch.randn(4, 40, 80))
checks.shape(out, (4, 8), name="model output for a batch of 4 patches of 40 x 80",
             hint="return logits of shape (batch, n_classes): no softmax, and no fixed batch size")
checks.true(bool(torch.isfinite(out).all()), "the model output should be finite numbers (no NaN or inf)")
checks.passed("your model maps (4, 40, 80) to (4, 8) logits")
### BEGIN HIDDEN TESTS
for dims, batch in [((40, 80, 8), 1), ((40, 120, 8), 3), ((40, 80, 3), 2), ((96, 187, 10), 2)]:
    net = checks.call(build_model, *dims)
    net.eval()
    with torch.no_grad():
        got = checks.call(net, torch.randn(batch, dims[0], dims[1]))
    checks.shape(got, (batch, dims[2]), name=f"output of build_model{dims} for a batch of {batch}")
    checks.true(bool(torch.isfinite(got).all()), f"finite outputs for build_model{dims}")
net = checks.call(build_model, 40, 80, 8)
net.train()
loss = nn.functional.cross_entropy(checks.call(net, torch.randn(6, 40, 80)), torch.arange(6) % 8)
loss.backward()
checks.true(any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in net.parameters()),
            "gradients should reach the model's parameters (is anything detached?)")
### END HIDDEN TESTS

# %% [test] model_budget_check 1
net = checks.call(build_model, 40, 80, 8)
n_params = count_parameters(net)
checks.true(0 < n_params <= PARAMETER_BUDGET,
            f"the model should have between 1 and {PARAMETER_BUDGET:,} trainable parameters; it has {n_params:,}",
            hint="fewer filters, shorter dense layers, or global pooling before the classifier")
checks.true(any(isinstance(m, (nn.Conv1d, nn.Conv2d)) for m in net.modules()),
            "the model should contain at least one convolution (nn.Conv1d or nn.Conv2d)")
checks.passed(f"{n_params:,} parameters, within the budget of {PARAMETER_BUDGET:,}")
### BEGIN HIDDEN TESTS
checks.true(PARAMETER_BUDGET == 50_000, "the parameter budget is 50,000; please do not change it")
checks.true(all(p.requires_grad for p in net.parameters()), "every parameter should be trainable")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Measuring honestly
#
# Training reports a loss; a write-up needs more. For a set of patches with labels $y_i$ and
# logits $z_i$ the three numbers every result in this course is built from are
#
# * **accuracy** $\frac{1}{N}\sum_i [\arg\max_k z_{ik} = y_i]$,
# * **mean cross-entropy** $-\frac{1}{N}\sum_i \log \mathrm{softmax}(z_i)_{y_i}$ (in nats; chance level
#   with $K$ classes is $\log K$, 2.08 for 8 classes),
# * the **confusion matrix** $C_{jk}$ = number of patches of true class $j$ predicted as $k$.
#
# ### Exercise 2 (2 points) — evaluate a model
#
# Write `evaluate(model, x, y, batch_size=64)` returning a dict with keys `"accuracy"` (a float in
# $[0, 1]$), `"loss"` (a float) and `"confusion"` (an integer NumPy array of shape
# `(n_classes, n_classes)`, rows = true class). `x` is a NumPy array `(n, n_mels, n_frames)`, `y` an
# integer array `(n,)`; `n_classes` is the model's number of outputs. Put the model in evaluation
# mode (`model.eval()`), switch off gradients (`torch.no_grad()`), run it in batches of
# `batch_size` on the model's device, and compute the numbers from all logits at once. The result
# must not depend on `batch_size`.

# %% [solution] evaluate
def evaluate(model, x, y, batch_size=64):
    """{'accuracy': float, 'loss': float, 'confusion': (n_classes, n_classes) int array}."""
    ### BEGIN SOLUTION
    dev = next(model.parameters()).device
    x = torch.as_tensor(np.asarray(x, dtype=np.float32))
    y = torch.as_tensor(np.asarray(y)).long()
    model.eval()
    with torch.no_grad():
        z = torch.cat([model(x[i:i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)])
    pred = z.argmax(dim=1)
    confusion = np.zeros((z.shape[1], z.shape[1]), dtype=np.int64)
    np.add.at(confusion, (y.numpy(), pred.numpy()), 1)
    return {"accuracy": float((pred == y).float().mean()),
            "loss": float(nn.functional.cross_entropy(z, y)),
            "confusion": confusion}
    ### END SOLUTION

# %% [test] evaluate_check 2
class _Fixed(nn.Module):
    """A stand-in model whose logits are the first n_classes values of frame 0 of each patch."""
    def __init__(self, k):
        super().__init__()
        self.k, self.dummy = k, nn.Parameter(torch.zeros(1))
    def forward(self, x):
        return x[:, : self.k, 0] + 0 * self.dummy

xs = np.zeros((4, 3, 5), dtype=np.float32)
xs[:, :, 0] = [[2, 0, 0], [0, 3, 0], [0, 0, 1], [1, 0, 0]]   # predictions 0, 1, 2, 0
ys = np.array([0, 1, 1, 2])
res = checks.call(evaluate, _Fixed(3), xs, ys)
checks.true(isinstance(res, dict) and {"accuracy", "loss", "confusion"} <= set(res),
            "evaluate should return a dict with keys 'accuracy', 'loss' and 'confusion'")
checks.close(res["accuracy"], 0.5, name="accuracy (2 of 4 right)")
expected_loss = float(nn.functional.cross_entropy(torch.tensor(xs[:, :, 0]), torch.tensor(ys)))
checks.close(res["loss"], expected_loss, name="mean cross-entropy", atol=1e-5,
             hint="the mean over examples of -log softmax(z)[true class]; nn.functional.cross_entropy does it")
checks.equal(np.asarray(res["confusion"]), np.array([[1, 0, 0], [0, 1, 1], [1, 0, 0]]),
             name="confusion matrix (rows: true class, columns: predicted)")
checks.passed("evaluate gives the right accuracy, loss and confusion matrix")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7)
xb = rng.normal(size=(37, 5, 4)).astype(np.float32)
yb = rng.integers(0, 5, size=37)
ref = project.evaluate(_Fixed(5), xb, yb)
for bs in (1, 5, 64):
    got = checks.call(evaluate, _Fixed(5), xb, yb, batch_size=bs)
    checks.close(got["accuracy"], ref["accuracy"], name=f"accuracy with batch_size={bs}")
    checks.close(got["loss"], ref["loss"], name=f"loss with batch_size={bs}", atol=1e-5)
    checks.equal(np.asarray(got["confusion"]), ref["confusion"], name=f"confusion with batch_size={bs}")
m = _Fixed(5)
m.train()
checks.call(evaluate, m, xb, yb)
checks.true(not m.training, "evaluate should leave the model in evaluation mode (model.eval())")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Train your model
#
# The cell below trains your model with the same loop as the baseline. (Until `build_model` works,
# the baseline stands in, so the rest of the notebook still runs.) Change `EPOCHS`, the learning
# rate or anything else for your experiments — in normal mode, not in quick mode, which is only a
# smoke test. Use the validation set for every choice; keep the test set for the end.

# %%
model_is_yours = False
try:
    model = checks.call(build_model, N_MELS, N_FRAMES, N_CLASSES)
    model_is_yours = isinstance(model, nn.Module)
except checks.CheckFailed as err:
    print(err)
if not model_is_yours:
    print("(note: build_model is not finished yet, so the baseline stands in below)")
    model = project.Baseline(N_MELS, N_CLASSES)
evaluate_fn = checks.use_yours(evaluate, project.evaluate, project.Baseline(3, 3).eval(),
                               np.zeros((2, 3, 4), np.float32), np.array([0, 1]), compare=False)
hist = project.fit(model, train, val, epochs=EPOCHS, lr=3e-3)
mine = evaluate_fn(model, val.x, val.y)
print(f"your model: {count_parameters(model):,} parameters, validation accuracy {mine['accuracy']:.1%}, "
      f"loss {mine['loss']:.3f}  |  baseline {base_val['accuracy']:.1%}, loss {base_val['loss']:.3f}")
project.plot_history(hist, "your model"); plt.show()

# %% [markdown]
# ### Exercise 3 (1 point) — a sanity check on the training run
#
# Nothing to write: this check passes when *your* model (not the stand-in) was trained above, its
# training loss went down, and its validation numbers are in range. If it fails, read the message.

# %% [test] trained_check 1
checks.true(model_is_yours, "the model trained above should be yours: finish build_model (Exercise 1) and re-run section 5")
checks.true(len(hist["train_loss"]) >= 1 and all(np.isfinite(hist["train_loss"])),
            "the training loss should be a finite number after every epoch", hint="try a smaller learning rate")
checks.true(hist["train_loss"][-1] < hist["train_loss"][0] or len(hist["train_loss"]) == 1,
            "the training loss should go down from the first epoch to the last", hint="try a smaller learning rate")
checks.true(0.0 <= mine["accuracy"] <= 1.0 and np.isfinite(mine["loss"]),
            "the validation accuracy should be in [0, 1] and the loss finite")
checks.passed(f"trained: loss {hist['train_loss'][0]:.3f} → {hist['train_loss'][-1]:.3f}")
### BEGIN HIDDEN TESTS
checks.true(mine["loss"] < 10 * np.log(N_CLASSES), "the validation loss is far above chance; training diverged")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Interpret it
#
# Three views help you find out *what* your model learned.
#
# **Confusions.** Which dances does it mix up, and do they share a tempo, a meter or a rhythm?
# (Waltz and Viennese Waltz share 3/4 but differ in tempo; Rumba and ChaChaCha share a feel but
# not a speed.) A model that only hears timbre confuses dances at random; a rhythm model confuses
# the ones that are rhythmically close.

# %%
names = [c[:8] for c in ds.classes]
project.plot_confusion(mine["confusion"], names, "your model, validation"); plt.show()
project.plot_confusion(base_val["confusion"], names, "baseline, validation"); plt.show()

# %% [markdown]
# **Filters.** The first convolution's kernels are what the model looks for in the input. Temporal
# kernels that learned rhythm show regular peaks; their spacing in frames, times the hop, is a
# period you can convert to bpm and compare with the dances' tempi (lesson 05 did this).

# %%
conv = project.first_conv(model)
if conv is None:
    print("the model has no convolution to show")
else:
    w = conv.weight.detach().cpu().numpy()
    w = w.reshape(w.shape[0], -1, w.shape[-1]) if w.ndim == 4 else w
    k = min(8, w.shape[0])
    fig, axes = plt.subplots(1, k, figsize=(2 * k, 2.2), squeeze=False)
    for i, ax in enumerate(axes[0]):
        kern = w[i]
        (ax.plot(kern[0]) if kern.shape[0] == 1 else ax.imshow(kern, origin="lower", aspect="auto", cmap="coolwarm"))
        ax.set_title(f"filter {i}", fontsize=9); ax.set_xticks([]); ax.set_yticks([])
    fig.suptitle(f"first convolution: {tuple(conv.weight.shape)}"); fig.tight_layout(); plt.show()

# %% [markdown]
# **Ablation.** The strongest evidence is to take something away and measure the loss. Below, the
# patches are shuffled in time (every frame kept, their order destroyed): a model that relies on
# rhythm should collapse towards the baseline; a timbre model should hardly notice.

# %%
rng = np.random.default_rng(0)
shuffled = val.x[:, :, rng.permutation(val.x.shape[2])]
abl = evaluate_fn(model, shuffled, val.y)
abl_base = evaluate_fn(baseline, shuffled, val.y)
print(f"validation accuracy, frames in order → shuffled in time:\n"
      f"  your model {mine['accuracy']:.1%} → {abl['accuracy']:.1%}\n"
      f"  baseline   {base_val['accuracy']:.1%} → {abl_base['accuracy']:.1%} (it cannot change: it averages over time)")

# %% [markdown]
# Finally, once — after every choice is made — the test set, patch by patch and by majority vote
# per track (lesson 04):

# %%
final = evaluate_fn(model, test.x, test.y)
model.eval()
with torch.no_grad():
    logits = model(torch.as_tensor(test.x).to(next(model.parameters()).device)).cpu().numpy()
tracks, voted = project.track_vote(logits, test.track)
truth = np.array([int(test.y[test.track == t][0]) for t in tracks])
print(f"test: patch accuracy {final['accuracy']:.1%}, track accuracy (majority vote) {np.mean(voted == truth):.1%} "
      f"on {len(tracks)} tracks")

# %% [markdown]
# ## 7. Write it up
#
# ### Written 2 (4 points) — experiment and results
#
# Report what you ran so that someone else could repeat it: data (set, size, splits, input),
# training (epochs, learning rate, batch size, seed), and the results as a small table — your model
# and the baseline, with parameter counts, validation accuracy and loss, and the test accuracy
# (patches and tracks). Run in normal mode for these numbers, and say how much they vary between
# two seeds.

# %% [answer] experiment 4
# ### BEGIN SOLUTION
# *Model answer (the form a good answer takes; A, B, … stand for the numbers of your own runs).*
# Offline dance set, normal size (8 classes × 40 tracks of 10 s), splits 80/10/10 by track
# (seed 0), Pons input 40 × 80, normalised with the training tracks' mean and std. Adam, lr 3e-3,
# batch 32, weight decay 1e-4, 15 epochs, seeds 0 and 1.
#
# | model | parameters | val. accuracy (2 seeds) | val. loss | test (patches / tracks) |
# | --- | --- | --- | --- | --- |
# | baseline (mean spectrum) | 408 | A ± a | … | … / … |
# | rhythm + timbre | 1,488 | B ± b | … | … / … |
#
# One sentence compares them: "the rhythm model is B − A points better (more / less than the
# seed-to-seed spread of a and b) with 3.6 times the baseline's parameters and 30 times fewer than the
# budget" — or says plainly that the difference is within the noise.
#
# *Rubric (4 points):* 1 — data and training described well enough to repeat; 1 — a results table
# with the baseline and the model, parameter counts included; 1 — test numbers measured once, after
# the choices (validation used for choices); 1 — variability between seeds (or folds) reported and
# taken into account when comparing.
# ### END SOLUTION

# %% [markdown]
# ### Written 3 (5 points) — interpretation
#
# Did your model learn what you designed it to learn? Use at least two kinds of evidence from
# section 6 (confusions, filters, the time-shuffling ablation, or an ablation of your own, such as
# removing a branch), each with numbers or a description of the figure, and connect them to your
# hypothesis from Written 1. Say where the evidence is weak.

# %% [answer] interpretation 5
# ### BEGIN SOLUTION
# *Model answer (the shape of a good answer; the numbers are examples).* (1) Ablation: shuffling
# the frames in time dropped validation accuracy from B to C. If C falls to the baseline's level,
# what the model knows beyond the average spectrum is in the temporal order; if it hardly moves,
# the model is really a timbre model, whatever its rhythm branch was meant to do — and the
# hypothesis is refuted for this data. (2) Confusions: errors between rhythmically close dances
# (Waltz ↔ Viennese Waltz, same 3/4 at different tempi; Rumba ↔ ChaChaCha) fit a rhythm model;
# errors between dances that merely share instruments fit a timbre model. (3) Filters: a 1 × 60
# kernel with peaks 11 frames apart has a period of 11 × hop / sr seconds — with the Pons input's
# hop and rate, convert it to bpm and compare with the dances' tempo ranges (or twice them: eighth
# notes). Weak points: filter reading is selective (many filters look like noise), and with 40
# validation tracks a few points' difference is within seed-to-seed variation.
#
# *Rubric (5 points):* 2 — two kinds of evidence, each stated with numbers or a precise description
# (1 each); 1 — each connected to the hypothesis (supports or refutes it, and why); 1 — a musical
# reading of at least one result (tempo, meter, rhythm, timbre), computed correctly where it involves
# frames and seconds; 1 — an honest statement of what the evidence cannot show.
# ### END SOLUTION

# %% [markdown]
# ### Written 4 (3 points) — limitations and next step
#
# What can results on this data *not* tell us about real recordings? Name one way your conclusion
# could fail on the real Ballroom set (or on your real data), and the single next experiment you
# would run, with what outcome would change your mind.

# %% [answer] limitations 3
# ### BEGIN SOLUTION
# *Model answer.* The offline set is rendered from MIDI: every track is on a perfect grid, the
# instruments are random, there is no tempo drift, no singing, no room or mastering. So it tells us
# a rhythm model *can* separate the dances when rhythm defines them, not that real recordings work
# the same way; on Ballroom, timbre is informative too (a tango bandoneon), and real tempo varies
# within a track, so a fixed-length temporal kernel may fit less well. Next experiment: 10-fold
# cross-validation on the real Ballroom set comparing the baseline, the rhythm branch alone and the
# full model (the Pons protocol); if the timbre baseline came within a few points of the rhythm
# model there, I would conclude that the offline result overstates the role of rhythm.
#
# *Rubric (3 points):* 1 — a concrete difference between this data and real recordings; 1 — how it
# could change the conclusion; 1 — a feasible next experiment with a stated decision rule.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * A good model starts from a hypothesis about the music, and its architecture says what it may
#   look at: temporal kernels for rhythm and tempo, spectral kernels for timbre, pooling for what
#   may be ignored.
# * Results mean something only against a baseline, at a stated parameter budget, with choices made
#   on validation data and the test set used once.
# * Interpretation needs evidence from more than one direction: confusions, filters and, most
#   convincingly, ablations that remove what you think the model uses.
#
# ## Going further
#
# * Run your model on the real **Ballroom** set with 10-fold cross-validation
#   (`mmteach.data.ballroom(path)`, `ds.folds(10)`) and compare with Pons et al.'s table
#   (Time-Frequency 86.5 %, Time 81.8 %, Frequency 59.6 %).
# * Swap in a published model from `mmteach.models` (`models.names()`) at the same budget.
# * Try the tag set (multi-label, lesson 07) with a hypothesis about which tags need time.
# * On a GPU, `mmteach.device()` is picked up automatically; normal-mode runs then take seconds.
