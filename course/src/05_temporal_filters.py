# %% [markdown]
# # Lesson 05 — Temporal filters sized by tempo: O-net and P-net
#
# In lesson 04 the Time model used 32 filters of one fixed length, 60 frames (1.4 s). Why 60?
# It was found by trial and error — and at 60 bpm a 1.4-s filter does not even hold two beats.
# A year later Jordi Pons and Xavier Serra turned the question around: if tempo and rhythm are
# what distinguishes the dances, let the **tempo range of the music set the filter lengths**.
# Short filters, shorter than one beat, can learn onsets and sub-beat figures (the *O-net*,
# "onsets"); long filters of up to five beats can learn whole rhythm patterns (the *P-net*,
# "patterns"). One layer of such filters, with no dense layer at all, rivals networks with many
# times more parameters. In this lesson you derive the filter lengths from tempo, rebuild both
# networks with their exact parameter counts, train them, and then open them up: do the learned
# filters actually beat at the tempi of the dances?
#
# **Prerequisites:** lessons 02 (frames and hops), 03 (convolution, pooling) and 04 (the Time model,
# training and majority vote). **Time:** about 75 minutes, of which about 5 minutes of computing.
#
# ## Learning objectives
#
# After this lesson you can
#
# 1. convert a tempo in beats per minute to a length in spectrogram frames, and back;
# 2. derive the O-net and P-net filter lengths from the slowest tempo of a data set;
# 3. count the parameters of O-net, P-net and their combinations and reproduce seed 003's table;
# 4. train 1-by-n filter networks on 40 × 250 patches and compare them;
# 5. measure the periodicity of a learned filter with its autocorrelation and judge whether the
#    filters encode the tempi of the classes.
#
# **How this notebook works.** Cells marked *Exercise* ask you to replace
# `raise NotImplementedError()` with your code; the next cell checks it and prints ✓. (Graded
# copies run extra hidden checks.) Where an exercise is unfinished, later cells use the course
# library's version and say so, so the notebook always runs to the end.

# %% [locked] setup
import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Audio, display

from mmteach import checks, device, pick, quick_mode, seed_everything
from mmteach import audio, data, models, train
from mmteach.models import pons

QUICK = quick_mode()          # a small, fast run when MMTEACH_QUICK=1 (the grader sets it)
seed_everything(0)
print("quick mode" if QUICK else "normal mode", "| training on", device())

# %% [markdown]
# ## 1. Tempo in frames
#
# Our spectrograms (lesson 02) advance by a hop of $h = 1024$ samples at $f_s = 44\,100$ Hz, so one
# frame lasts $h / f_s \approx 23.2$ ms. A beat at a tempo of $B$ beats per minute lasts $60/B$
# seconds, which is
#
# $$ \Delta F(B) = \frac{60}{B} \cdot \frac{f_s}{h} \quad \text{frames.} $$
#
# At $B = 60$ bpm, $\Delta F = 60 \cdot 44100 / (60 \cdot 1024) \approx 43$ frames — the number
# Pons and Serra start from (their slides write the hop as half of a 2048-sample window). Ballroom's
# tempi run from about 60 to 224 bpm, so one beat lasts between about 12 and 43 frames.

# %% [markdown]
# ### Exercise 1 (2 points) — frames per beat
#
# Write `frames_per_beat(bpm, sr=44100, hop=1024)` returning $\Delta F$ as a `float` (no
# rounding). It must also work when `bpm` is a NumPy array of tempi, returning an array. Use the
# formula above; calling `mmteach.audio.frames_per_beat` is refused.

# %% [solution] fpb
def frames_per_beat(bpm, sr=44100, hop=1024):
    """Spectrogram frames in one beat at tempo bpm (float, or array for an array of tempi)."""
    ### BEGIN SOLUTION
    return 60.0 / np.asarray(bpm, dtype=float) * sr / hop if np.ndim(bpm) else 60.0 / float(bpm) * sr / hop
    ### END SOLUTION

# %% [test] fpb_check 2
FORBID = ["mmteach.audio.frames_per_beat"]
checks.close(checks.call(frames_per_beat, 60, forbid=FORBID), 43.06640625, name="frames_per_beat(60)",
             hint="(60 / bpm) seconds per beat, times sr / hop frames per second")
checks.close(checks.call(frames_per_beat, 120, 22050, 512, forbid=FORBID), 21.533203125, name="frames_per_beat(120, 22050, 512)")
checks.close(checks.call(frames_per_beat, np.array([60.0, 224.0]), forbid=FORBID), np.array([43.06640625, 11.5356445]),
             name="frames_per_beat([60, 224])", atol=1e-6)
checks.passed("one beat at 60 bpm lasts 43.07 frames; at 224 bpm, 11.5")
### BEGIN HIDDEN TESTS
for args in [(90,), (200, 16000, 256), (33.3, 44100, 441)]:
    checks.close(checks.call(frames_per_beat, *args, forbid=FORBID), 60.0 / args[0] * (args[1] if len(args) > 1 else 44100)
                 / (args[2] if len(args) > 2 else 1024), name=f"frames_per_beat{args}")
arr = np.linspace(50, 250, 7)
checks.close(checks.call(frames_per_beat, arr, forbid=FORBID), 60.0 / arr * 44100 / 1024, name="frames_per_beat(array)")
### END HIDDEN TESTS

# %% [markdown]
# What does that mean for our dances? Each track of the offline set knows its tempo; here is the
# range of each class, in bpm and in frames per beat.

# %%
BALLROOM_ROOT = None          # your Ballroom folder, or None for the offline dance set (see lesson 04)
ds = data.ballroom(BALLROOM_ROOT) if BALLROOM_ROOT else data.dance_set()
fpb = checks.use_yours(frames_per_beat, audio.frames_per_beat, 60.0, 44100, 1024)
class_tempo = {}
if ds.tempo is not None:
    for c, name in enumerate(ds.classes):
        t = ds.tempo[ds.labels == c]
        class_tempo[name] = float(np.median(t))
        print(f"{name:14s} {t.min():5.0f}–{t.max():3.0f} bpm  →  {fpb(t.max(), 44100, 1024):5.1f}–"
              f"{fpb(t.min(), 44100, 1024):5.1f} frames per beat")
else:
    print("this copy of the data set has no tempo annotations; the tempo analysis below is skipped")

# %% [markdown]
# ## 2. Filter lengths from tempo
#
# Pons and Serra's design uses only $1 \times n$ filters — one mel band high, $n$ frames long —
# in two families, on a grid of lengths 5 frames apart:
#
# * **O-net** ("onsets"): lengths $n = 6, 11, 16, \dots$ while **shorter than one beat at the
#   slowest tempo**, $n < \Delta F(60) \approx 43$ — so $n \in \{6, 11, \dots, 41\}$, **5 filters**
#   of each length. Such a filter cannot hold two beats of slow music; it learns attacks, onsets,
#   and short figures inside a beat.
# * **P-net** ("patterns"): the grid continues from 46 up to $1 + 5\,\Delta F(60) \approx 216$ frames,
#   $n \in \{46, 51, \dots, 216\}$, **one filter** of each length (35 filters). A 216-frame filter
#   spans five beats at 60 bpm and nearly 19 at 224 bpm: room for whole rhythm patterns.
#
# After ReLU, each filter's response is max-pooled over **all frames** and over groups of **4 mel
# bands**: for each filter, 10 numbers that say how strongly its pattern occurs anywhere in the
# patch within each of 10 frequency regions ("sub-band analysis": a kick-drum pattern in the low
# bands, hi-hats in the high ones). Then dropout 0.5 and a softmax layer — no hidden dense layer.
# The input is a patch of $N = 250$ frames (5.8 s), long enough for the longest filter.

# %% [markdown]
# ### Exercise 2 (2 points) — lengths from the tempo
#
# Write `design_lengths(n_beat)` returning a pair of lists `(onet, pnet)` of ints for a beat of
# `n_beat` frames at the slowest tempo: `onet` = 6, 11, 16, … while strictly less than `n_beat`;
# `pnet` continues the same grid (5 frames apart) from the next value up to at most
# `1 + 5 * n_beat`. For `n_beat = 43.07` you get Pons and Serra's 8 O-lengths and 35 P-lengths.

# %% [solution] lengths
def design_lengths(n_beat):
    """(O-net lengths, P-net lengths) for a beat of n_beat frames at the slowest tempo."""
    ### BEGIN SOLUTION
    onet = []
    n = 6
    while n < n_beat:
        onet.append(n)
        n += 5
    pnet = []
    while n <= 1 + 5 * n_beat:
        pnet.append(n)
        n += 5
    return onet, pnet
    ### END SOLUTION

# %% [test] lengths_check 2
onet, pnet = checks.call(design_lengths, 43.07)
checks.equal(list(onet), [6, 11, 16, 21, 26, 31, 36, 41], name="O-net lengths for n_beat = 43.07")
checks.equal(list(pnet), list(range(46, 217, 5)), name="P-net lengths for n_beat = 43.07",
             hint="46, 51, ..., up to 1 + 5·43.07 = 216.35, so the last one is 216")
checks.passed("8 O-net lengths (6–41) and 35 P-net lengths (46–216), as in seed 003")
### BEGIN HIDDEN TESTS
for nb in [21.5, 30.0, 31.0, 86.13, 12.0]:
    got = checks.call(design_lengths, nb)
    ref = pons.design_lengths(nb)
    checks.equal((list(got[0]), list(got[1])), (list(ref[0]), list(ref[1])), name=f"design_lengths({nb})")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. How many parameters?
#
# A $1 \times n$ filter has $n$ weights and a bias. The pooled output of $F$ filters is
# $F \times 10$ numbers (40 bands in groups of 4), all connected to the 8-way output layer:
#
# $$ P = \sum_{\text{filters}} (n + 1) \;+\; (10\,F)\cdot 8 + 8 . $$
#
# Pons and Serra also stack several copies side by side: "2× O-net" is two independent O-nets
# (80 filters), "4× O-net + 4× P-net" four of each, all pooled and concatenated before the one
# output layer. Their table:
#
# | model | O-net | P-net | 2×O | O+P | 2×P | 2×O+2×P | 4×O+4×P | 8×O+8×P |
# | --- | --- | --- | --- | --- | --- | --- | --- | --- |
# | parameters | 4,188 | 7,428 | 8,368 | 11,608 | 14,848 | 23,208 | 46,408 | 92,808 |

# %% [markdown]
# ### Exercise 3 (3 points) — the O/P parameter column
#
# Write `temporal_net_params(n_onet, n_pnet, n_mels=40, n_classes=8)` returning the parameter
# count of `n_onet` O-nets and `n_pnet` P-nets side by side (filter lengths as in Exercise 2 for
# $\Delta F = 43.07$, 5 filters per O-length, 1 per P-length), pooled to `n_mels // 4` sub-bands
# per filter, with one dense output layer of `n_classes` units. You may call your
# `design_lengths`.

# %% [solution] op_params
def temporal_net_params(n_onet, n_pnet, n_mels=40, n_classes=8):
    """Parameters of n_onet O-nets + n_pnet P-nets and their softmax layer."""
    ### BEGIN SOLUTION
    onet, pnet = design_lengths(43.07)
    o_conv = sum(5 * (n + 1) for n in onet)
    p_conv = sum(n + 1 for n in pnet)
    n_filters = n_onet * 5 * len(onet) + n_pnet * len(pnet)
    n_features = n_filters * (n_mels // 4)
    return n_onet * o_conv + n_pnet * p_conv + n_features * n_classes + n_classes
    ### END SOLUTION

# %% [test] op_params_check 3
table = {(1, 0): 4188, (0, 1): 7428, (2, 0): 8368, (1, 1): 11608, (0, 2): 14848, (2, 2): 23208,
         (4, 4): 46408, (8, 8): 92808}
for (o, p), expected in table.items():
    checks.equal(checks.call(temporal_net_params, o, p), expected, name=f"temporal_net_params({o}, {p})",
                 hint="conv: Σ(n+1) per filter; output: (filters × 10 sub-bands) × 8 + 8")
checks.passed("every entry of seed 003's parameter column")
### BEGIN HIDDEN TESTS
for o, p, m, k in [(3, 0, 40, 8), (0, 3, 96, 50), (1, 2, 48, 10), (5, 1, 40, 2)]:
    checks.equal(checks.call(temporal_net_params, o, p, m, k), pons.temporal_net_params(o, p, n_mels=m, n_classes=k),
                 name=f"temporal_net_params({o}, {p}, n_mels={m}, n_classes={k})")
    net = pons.TemporalNet(o, p, n_classes=k, n_mels=m)
    checks.equal(pons.temporal_net_params(o, p, n_mels=m, n_classes=k), models.count_parameters(net),
                 name="reference count vs the PyTorch model")
### END HIDDEN TESTS

# %% [markdown]
# The PyTorch models in `mmteach.models.pons` agree with the table (and with your formula):

# %%
params_fn = checks.use_yours(temporal_net_params, pons.temporal_net_params, 1, 1)
combos = {"o-net": (1, 0), "p-net": (0, 1), "2o": (2, 0), "o+p": (1, 1), "2p": (0, 2), "2o+2p": (2, 2),
          "4o+4p": (4, 4), "8o+8p": (8, 8)}
for name, (o, p) in combos.items():
    print(f"{name:7s} yours {params_fn(o, p):>7,}   PyTorch {models.count_parameters(models.create(name)):>7,}"
          f"   seed 003 {pons.SEED003_PARAMS[name]:>7,}   Ballroom accuracy (hop 250 / 80): "
          f"{pons.SEED003_ACCURACY[name][0]:.2f} / {pons.SEED003_ACCURACY[name][1]:.2f} %")

# %% [markdown]
# ## 4. Training O-net, P-net and both
#
# Each track is cut into 250-frame patches. Our offline tracks are 10 s long (431 frames), so
# non-overlapping patches would give one per track; like seed 003's "hop 80" setting we let patches
# overlap, starting every 80 frames (3 per track). Overlap gives more training examples, but
# overlapping patches of one track must never be split between training and test — we split by
# track, 80/10/10, once (cross-validation as in lesson 04 would take several times longer).
#
# Training follows lesson 04's recipe (SGD, minibatches of 10, learning rate halved when the
# training loss stalls, best validation epoch kept), for a few epochs.

# %%
split = ds.splits(seed=0)
stats = data.norm_stats(ds, "pons", split["train"])
sets = {part: data.make_patches(ds, "pons", 250, indices=split[part], hop=80, stats=stats) for part in split}
print({part: p.x.shape for part, p in sets.items()})

EPOCHS = pick(normal=12, quick=3)
nets, hists, scores = {}, {}, {}
for name in ["o-net", "p-net", "o+p"]:
    seed_everything(0)
    nets[name] = models.create(name, n_classes=len(ds.classes))
    hists[name] = train.fit(nets[name], sets["train"], sets["val"], epochs=EPOCHS, batch_size=10, lr=0.01)
    scores[name] = train.evaluate(nets[name], sets["test"], ds)
    print(f"{name:6s} {models.count_parameters(nets[name]):>6,} parameters  test: patches "
          f"{100 * scores[name]['patch_accuracy']:.1f} %, tracks (majority vote) {100 * scores[name]['track_accuracy']:.1f} %"
          f"   [{hists[name].seconds:.0f} s, {hists[name].samples_per_second:.0f} patches/s]")

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3))
for ax, name in zip(axes, hists):
    hists[name].plot(ax=ax, title=name)
plt.tight_layout(); plt.show()

# %% [markdown]
# On Ballroom (30-s tracks, 10 folds, 250 epochs) seed 003 reports O-net 76.66 %, P-net 83.95 % and
# O-net + P-net 87.25 % with non-overlapping patches — the long pattern filters beat the short ones,
# and the combination beats both. With our short runs and one small test split (32 tracks in normal
# mode: one track is 3 points) differences of a few points are noise; compare the ordering, and
# re-run with more epochs if you want firmer numbers.

# %% [markdown]
# ## 5. Looking inside: what did the filters learn?
#
# Every learned filter is a row of $n$ weights: a little "template" that the network slides over
# each mel band in time. Plot a few O-net and P-net filters of the trained O+P model:

# %%
onp = nets["o+p"]
flt = onp.filters()
o_f = [(lab, w.numpy()) for lab, w in flt if lab.startswith("O")]
p_f = [(lab, w.numpy()) for lab, w in flt if lab.startswith("P")]
fig, axes = plt.subplots(2, 4, figsize=(15, 4.5))
for ax, (lab, w) in zip(axes[0], o_f[4::10]):
    ax.plot(w, marker=".", lw=1); ax.set_title(lab); ax.axhline(0, c="grey", lw=0.5)
for ax, (lab, w) in zip(axes[1], p_f[::11]):
    ax.plot(w, lw=1); ax.set_title(lab); ax.axhline(0, c="grey", lw=0.5)
for ax in axes[1]:
    ax.set_xlabel("frame")
plt.tight_layout(); plt.show()

# %% [markdown]
# A filter that has learned a tempo should look **periodic**: peaks one beat apart, or one bar
# apart. A standard way to measure periodicity is the **autocorrelation**. For a filter $w$ with its
# mean removed, $v = w - \bar w$,
#
# $$ r[k] = \frac{\sum_{t=0}^{n-1-k} v_t\, v_{t+k}}{\sum_{t=0}^{n-1} v_t^2}, \qquad k = 0, 1, \dots, n-1, $$
#
# so $r[0] = 1$, and $r[k]$ is large when the filter looks like itself shifted by $k$ frames. Its
# **dominant period** is the lag of the highest *peak* of $r$ (a local maximum, so that the trivial
# closeness of neighbouring frames at small $k$ does not count), searched between a smallest lag and
# half the filter's length (beyond that, too little of the filter overlaps itself).

# %% [markdown]
# ### Exercise 4 (2 points) — autocorrelation of a filter
#
# Write `autocorrelation(w)` for a 1-D array `w` of length $n$, returning the array
# $r[0], \dots, r[n-1]$ defined above (float). Return all zeros if `w` is constant (the denominator
# would be 0). `np.correlate(v, v, mode="full")` computes all the sums at once: its second half,
# from index $n-1$ on, holds $k = 0, 1, \dots$

# %% [solution] acf
def autocorrelation(w):
    """Normalised autocorrelation r[0..n-1] of the mean-removed filter w (zeros if w is constant)."""
    w = np.asarray(w, dtype=float)
    ### BEGIN SOLUTION
    v = w - w.mean()
    energy = np.sum(v * v)
    if energy == 0:
        return np.zeros(len(v))
    return np.correlate(v, v, mode="full")[len(v) - 1:] / energy
    ### END SOLUTION

# %% [test] acf_check 2
w = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
r = checks.call(autocorrelation, w)
checks.shape(r, (9,), name="autocorrelation of a length-9 filter")
checks.close(r[0], 1.0, name="r[0]", hint="divide by the sum of squares of the mean-removed filter")
checks.close(r, pons.autocorrelation(w), name="autocorrelation([1,0,0,1,0,0,1,0,0])",
             hint="remove the mean first; r[k] sums v_t · v_(t+k) over t = 0 … n−1−k")
checks.true(np.argmax(r[1:]) + 1 == 3, "a click every 3 frames should have its highest r[k] (k ≥ 1) at k = 3")
checks.close(checks.call(autocorrelation, np.ones(5)), np.zeros(5), name="autocorrelation of a constant filter")
checks.passed("autocorrelation is right")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1)
for n in [2, 17, 216]:
    w = rng.normal(size=n)
    checks.close(checks.call(autocorrelation, w), pons.autocorrelation(w), name=f"autocorrelation of a random filter (n={n})")
checks.close(checks.call(autocorrelation, 3 + np.sin(np.arange(60) / 4.0)),
             pons.autocorrelation(3 + np.sin(np.arange(60) / 4.0)), name="autocorrelation of an offset sine")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5 (2 points) — dominant period
#
# Write `dominant_period(w, min_lag=3)` returning the lag $k$ (an `int`) of the highest local
# maximum of your `autocorrelation(w)`, among lags `min_lag ≤ k ≤ len(w) // 2`; a local maximum
# is a $k$ with $r[k-1] < r[k] \ge r[k+1]$. Return 0 if there is no local maximum in that range.

# %% [solution] period
def dominant_period(w, min_lag=3):
    """Lag of the highest local maximum of the autocorrelation in [min_lag, len(w) // 2], or 0."""
    ### BEGIN SOLUTION
    r = autocorrelation(w)
    best, best_val = 0, -np.inf
    for k in range(max(min_lag, 1), len(r) // 2 + 1):
        if k + 1 < len(r) and r[k - 1] < r[k] >= r[k + 1] and r[k] > best_val:
            best, best_val = k, r[k]
    return int(best)
    ### END SOLUTION

# %% [test] period_check 2
clicks = np.zeros(120); clicks[::17] = 1.0
checks.equal(checks.call(dominant_period, clicks), 17, name="dominant_period of clicks every 17 frames")
wave = np.cos(2 * np.pi * np.arange(200) / 43.0)
checks.equal(checks.call(dominant_period, wave), 43, name="dominant_period of a cosine with period 43 frames")
checks.equal(checks.call(dominant_period, np.arange(30.0)), 0, name="dominant_period of a ramp (no peak)",
             hint="return 0 when no lag in range is a local maximum")
checks.passed("dominant period finds the beat of a periodic filter")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3)
for n, p in [(216, 23), (91, 12), (61, 5)]:
    w = np.zeros(n); w[rng.integers(p):: p] = 1.0; w += 0.05 * rng.normal(size=n)
    checks.equal(checks.call(dominant_period, w), pons.dominant_period(w), name=f"dominant period (n={n}, clicks every {p})")
for n in [46, 101, 216]:
    w = rng.normal(size=n)
    checks.equal(checks.call(dominant_period, w, 4), pons.dominant_period(w, 4), name=f"dominant period of noise (n={n}, min_lag=4)")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Do the filters encode tempo?
#
# Now measure every learned P-net filter. Two views:
#
# 1. **Filter periods against the class tempi.** Convert each filter's dominant period $k$ (frames)
#    to a tempo $60 f_s / (h k)$ bpm and draw a histogram; mark the median tempo of each dance.
#    A beat period can appear as itself, as two beats (half the bpm) or as half a beat (double).
# 2. **Which filters each class uses.** For the test patches of each class, find the P-net filter
#    with the largest mean pooled response, and compare its period with that class's beat.
#
# For contrast we do the same with the *untrained* filters of a freshly initialised P-net — random
# filters have "periods" too, so only a difference from random counts as evidence.

# %%
period_fn = checks.use_yours(dominant_period, pons.dominant_period, clicks)
to_bpm = lambda k: 60.0 * audio.PONS_SR / (audio.PONS_HOP * k)

def filter_tempi(net):
    periods = np.array([period_fn(w.numpy()) for lab, w in net.filters() if lab.startswith("P")])
    return periods, np.array([to_bpm(k) if k else np.nan for k in periods])

trained_periods, trained_bpm = filter_tempi(onp)
seed_everything(123)
random_periods, random_bpm = filter_tempi(models.create("o+p", n_classes=len(ds.classes)))

fig, ax = plt.subplots(figsize=(9, 3.3))
bins = np.linspace(30, 450, 43)
ax.hist(random_bpm[~np.isnan(random_bpm)], bins=bins, alpha=0.5, label="untrained P-net filters", color="grey")
ax.hist(trained_bpm[~np.isnan(trained_bpm)], bins=bins, alpha=0.7, label="trained P-net filters", color="C1")
for k, (name, bpm) in enumerate(class_tempo.items()):
    ax.axvline(bpm, color=f"C{k % 10}", ls="--", lw=1)
    ax.text(bpm, ax.get_ylim()[1] * 0.95, name[:6], rotation=90, va="top", fontsize=7)
ax.set(xlabel="tempo of the filter's dominant period (bpm)", ylabel="filters", title="P-net filter periodicities")
ax.legend(fontsize="small"); plt.tight_layout(); plt.show()

# %% [markdown]
# A numerical version of the same question: how far (in log-tempo, so that "double" and "half"
# count equally) is each filter's tempo from the nearest beat-related tempo of any dance
# (the class median, its half, or its double)? If training made the filters lock onto the dances'
# tempi, trained filters should lie closer than random ones.

# %%
def tempo_distance(bpm_values, tempi):
    targets = np.array([t * f for t in tempi for f in (0.5, 1.0, 2.0)])
    b = bpm_values[~np.isnan(bpm_values)]
    return np.abs(np.log2(b[:, None] / targets[None, :])).min(axis=1)

if class_tempo:
    d_trained = tempo_distance(trained_bpm, list(class_tempo.values()))
    d_random = tempo_distance(random_bpm, list(class_tempo.values()))
    print(f"median distance to the nearest dance tempo (octaves): trained {np.median(d_trained):.3f}, "
          f"untrained {np.median(d_random):.3f}  ({len(d_trained)} vs {len(d_random)} periodic filters)")

# %%
if class_tempo:
    with torch.no_grad():
        feats = onp.features(torch.from_numpy(sets["test"].x).to(next(onp.parameters()).device)).cpu()
    n_o = 40  # the O+P model's first 40 filters are the O-net's
    p_resp = feats[:, n_o:, :].amax(dim=2).numpy()          # (patches, 35): strongest sub-band per filter
    p_lengths = pons.pnet_lengths()
    print(f"{'class':14s} {'beat (frames)':>13s}   top P-filter: length, period (frames)")
    for c, name in enumerate(ds.classes):
        rows = sets["test"].y == c
        if not rows.any():
            continue
        j = int(p_resp[rows].mean(axis=0).argmax())
        beat = fpb(class_tempo[name], 44100, 1024)
        print(f"{name:14s} {beat:13.1f}   n = {p_lengths[j]:3d}, period {trained_periods[j]:3d}")

# %% [markdown]
# **What to expect.** Results vary with the run, and the honest summary on our data is usually
# *partly*. Some trained P-net filters become clearly periodic with periods at a beat or two of a
# dance; the histogram of trained filters is pulled towards the dances' tempi compared with random
# filters, but far from a clean one-filter-per-tempo picture. The network does not need a filter to
# "be" a tempo: the max-pool over time only asks whether a pattern occurs somewhere, and a filter
# with two peaks one beat apart already responds most strongly to music at that tempo. With a few
# epochs of SGD the filters also stay close to their random start (compare the plots above with an
# untrained model) — seed 003 trained for 250 epochs.

# %% [markdown]
# ### Written answer (3 points) — tempo in the filters?
#
# Based on your plots and numbers: (a) do the learned P-net filters encode the tempi of the dances?
# Support your answer with one observation and say how the untrained baseline changes its weight.
# (b) The O-net filters are shorter than one beat. What can they learn instead, and why might the
# combination O+P do better than either alone? (c) Name one change to the experiment (data,
# training or analysis) that would make the tempo question easier to answer, and why.

# %% [answer] tempo_answer 3
# ### BEGIN SOLUTION
# *Model answer.* (a) Partly. Several trained P-net filters have clear autocorrelation peaks at
# periods that match a beat (or two beats / half a beat) of some dances, and the distribution of
# filter tempi moves towards the dance tempi compared with untrained filters; but many filters have
# no clear period, or one no dance has. Without the untrained baseline one would over-read the
# histogram: random filters also have autocorrelation peaks, so only the *difference* between
# trained and random is evidence. (b) O-net filters can learn onset shapes — attacks, decays,
# short drum figures, the spacing of sub-beat events — which say "what kind of attack and how dense",
# not the tempo itself; P-net filters capture longer rhythmic patterns and tempo. The classes differ
# in both, so the combination has complementary evidence (and more sub-band features) at a low
# parameter cost. (c) E.g. train much longer or average the analysis over folds; use the real
# Ballroom tracks (30 s, more patches); analyse the filters' periodicity per sub-band jointly with
# which classes activate them; or use a synthetic control where only tempo differs between classes,
# so that a tempo-encoding solution is forced.
#
# *Rubric (3 points):* 1 point for a supported yes/no/partly with reference to the random
# baseline; 1 point for what O-net filters capture and why the combination helps; 1 point for a
# sensible change with a reason.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * One beat lasts $\Delta F = 60 f_s / (B\,h)$ frames: 43 frames at 60 bpm with 44.1 kHz and hop 1024.
# * O-net filters ($n < \Delta F$ at the slowest tempo, 5 per length) model onsets; P-net filters
#   (up to $1 + 5\Delta F$ frames, 1 per length) model rhythm patterns; a max-pool over time and
#   over 4-band groups gives a compact sub-band summary, and no hidden dense layer is needed.
# * Their parameter counts follow from $\sum (n+1)$ plus the output layer: O-net 4,188, P-net 7,428,
#   up to 92,808 for 8×O + 8×P — still half of Time-Frequency's 196,816.
# * The autocorrelation of a learned filter measures its periodicity; comparing trained with
#   untrained filters shows how much tempo the network has actually picked up.
#
# ## Going further
#
# * J. Pons and X. Serra, "Designing efficient architectures for modeling temporal features with
#   CNNs", ICASSP 2017 (seed 003).
# * Train 4×O + 4×P or 8×O + 8×P on a GPU (`models.create("8o+8p")`), with 10-fold CV as in lesson 04.
# * Plot the filters' magnitude spectra (`np.fft.rfft`) on a bpm axis: a "tempogram" of the network.
# * Replace the 4-band sub-band pool by a pool over all 40 bands: how much does the loss of
#   frequency information cost?
