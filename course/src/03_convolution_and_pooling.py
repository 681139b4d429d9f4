# %% [markdown]
# # Lesson 03 — Convolution and pooling
#
# A drummer who plays the same groove an hour later is still playing the same groove; a chord
# moved up a whole tone is still a major chord. Convolution is the operation that builds this
# kind of "same thing, somewhere else" into a network: one small set of weights, a **kernel**,
# slides over the whole input and asks the same question everywhere. Pooling then decides how much
# of the answer's *position* to keep. Every model in the rest of the course — Pons' temporal and
# frequency filters, CRNNs, MusiCNN — is built from these two operations, so in this lesson you
# write them yourself, with loops, until the formulas hold no surprises.
#
# **Prerequisites:** lesson 01 (supervised learning, a layer as weights + bias) and lesson 02
# (mel spectrograms); Python and NumPy indexing and `for` loops. **Time:** about 90 minutes (the
# notebook itself runs top to bottom in well under a minute on a laptop CPU).
#
# ## Learning objectives
#
# After this lesson you can
#
# 1. compute a 1-D convolution $s(t) = \sum_a x(a)\,w(t-a)$ by hand and with loops, and say how it
#    differs from the correlation that deep-learning frameworks compute (the kernel flip);
# 2. predict the output size of a convolution or pooling layer from input length, kernel length,
#    padding and stride — including "same" padding with an even kernel;
# 3. apply temporal (1×n) and frequency (m×1) filters to a spectrogram and read the feature maps;
# 4. write max pooling and explain which shifts it makes a network blind to;
# 5. count the parameters of a convolutional layer and of a small CNN, and explain why parameter
#    sharing makes convolutional layers so much cheaper than dense ones.
#
# **How this notebook works.** Cells marked *Exercise* ask you to replace
# `raise NotImplementedError()` with your code. The cell after each one checks your answer and
# prints ✓ when it passes; when it fails it says what was expected. (If you submit this notebook
# for a grade, extra hidden checks try other inputs.) You can run everything top to bottom at any
# time: where an exercise is unfinished, later cells use the course library's version and say so.

# %% [locked] setup
import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import Audio, display

from mmteach import audio, checks, conv, pick, quick_mode, seed_everything

QUICK = quick_mode()          # a small, fast run when MMTEACH_QUICK=1 (the grader sets it)
seed_everything(0)
SR = 22050                    # sample rate of the 1-D sound examples
rng = np.random.default_rng(0)
print("quick mode" if QUICK else "normal mode")

# %% [markdown]
# ## 1. Convolution: one weighted sum, slid along the signal
#
# Take a signal $x$ (audio samples, or an energy curve over time) and a short sequence of weights
# $w$, the **kernel**. The (discrete) **convolution** of the two is a new signal
#
# $$s(t) = (x * w)(t) = \sum_{a} x(a)\, w(t - a).$$
#
# Read it as: to get the output at time $t$, put a copy of the kernel *reversed* so that its
# first weight $w(0)$ sits on $x(t)$, $w(1)$ on $x(t-1)$, and so on backwards; multiply what lies
# on top of each other and add. Then move $t$ one step and do it again. The same $m$ weights are
# used at every $t$ — that is the whole trick.
#
# With a finite signal of $M$ samples $x(0), \dots, x(M-1)$ and a kernel of $m$ weights
# $w(0), \dots, w(m-1)$, the term $w(t-a)$ exists only for $0 \le t-a \le m-1$. The kernel lies
# *entirely* inside the signal for $t = m-1, \dots, M-1$: these are the **valid** positions, and
# there are
#
# $$M' = M - m + 1$$
#
# of them. A worked example, $x = (1, 2, 3, 4)$ and $w = (1, 0, -1)$, so $M' = 4 - 3 + 1 = 2$:
#
# $$s(2) = x(0)w(2) + x(1)w(1) + x(2)w(0) = -1 + 0 + 3 = 2, \qquad
#   s(3) = x(1)w(2) + x(2)w(1) + x(3)w(0) = -2 + 0 + 4 = 2.$$
#
# The kernel $(1, 0, -1)$ computes $x(t) - x(t-2)$: how much the signal *rose* over two steps.
# Kernels that measure change, like this one, find **onsets**; kernels of equal positive weights
# average, i.e. smooth. Let us hear a short melody of plucked notes and look at its energy.

# %%
beat = 0.4                                             # seconds between notes
notes = [60, 64, 67, 72, 67, 64, 60, 55]               # MIDI pitches (60 = middle C)
melody = np.zeros(int(SR * beat * (len(notes) + 1)), dtype=np.float32)
for i, note in enumerate(notes):
    plucked = conv.tone(440 * 2 ** ((note - 69) / 12), 0.6, SR, decay=0.12)
    start = int(i * beat * SR)
    melody[start:start + plucked.size] += plucked[: melody.size - start]
display(Audio(melody, rate=SR))

envelope, env_times = conv.energy_envelope(melody, SR, frame_length=1024, hop=256)
smooth = conv.convolve1d(envelope, np.ones(9) / 9, padding="same")     # a moving average
fig, ax = plt.subplots(figsize=(10, 2.8))
ax.plot(env_times, envelope, label="energy x(t)")
ax.plot(env_times, smooth, label="x * (9-point average)")
ax.set_xlabel("time (s)"); ax.legend(); plt.show()

# %% [markdown]
# ### Exercise 1 (3 points) — convolution by loops
#
# Write `convolve1d(x, w)` that returns the **valid** convolution of a 1-D signal `x` (shape
# `(M,)`) with a 1-D kernel `w` (shape `(m,)`, $m \le M$), straight from the definition
# $s(t) = \sum_a x(a)\,w(t-a)$ for $t = m-1, \dots, M-1$. Return a numpy array of shape
# `(M - m + 1,)`.
#
# Use Python loops and numpy indexing; `np.convolve`, `np.correlate` and `scipy.signal` are
# switched off while the check runs (they are what you will compare against afterwards). Make sure
# your function works for even kernel lengths, for $m = 1$ and for $m = M$.

# %% [solution] convolve1d
def convolve1d(x, w):
    """Valid convolution s(t) = sum_a x(a) w(t - a) of x (M,) with w (m,); returns (M - m + 1,)."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    ### BEGIN SOLUTION
    M, m = len(x), len(w)
    out = np.zeros(M - m + 1)
    for i, t in enumerate(range(m - 1, M)):
        for a in range(t - m + 1, t + 1):
            out[i] += x[a] * w[t - a]
    return out
    ### END SOLUTION

# %% [test] convolve1d_check 3
_forbid = ["numpy.convolve", "numpy.correlate", "scipy.signal.convolve", "scipy.signal.correlate",
           "scipy.signal.fftconvolve", "scipy.signal.oaconvolve"]
checks.close(checks.call(convolve1d, np.array([1.0, 2, 3, 4]), np.array([1.0, 0, -1]), forbid=_forbid),
             np.array([2.0, 2.0]), name="convolve1d([1, 2, 3, 4], [1, 0, -1])",
             hint="s(2) = x(0)w(2) + x(1)w(1) + x(2)w(0); the kernel runs backwards over the signal")
checks.shape(checks.call(convolve1d, np.ones(10), np.ones(3), forbid=_forbid), (8,), name="convolve1d(x of 10, w of 3)",
             hint="the valid output has M - m + 1 values")
checks.function(convolve1d, conv.convolve1d, [(rng.standard_normal(12), rng.standard_normal(3))], forbid=_forbid,
                hint="check the direction of w: convolution uses w(t - a), not w(a - t)")
checks.passed("convolve1d computes the valid convolution")
### BEGIN HIDDEN TESTS
_cases = [(rng.standard_normal(15), rng.standard_normal(4)),      # even kernel length
          (rng.standard_normal(9), rng.standard_normal(1)),       # m = 1
          (rng.standard_normal(6), rng.standard_normal(6)),       # m = M
          (np.arange(7), np.array([2, -1])),                      # integers
          (rng.standard_normal(40), rng.standard_normal(11))]
checks.function(convolve1d, conv.convolve1d, _cases, forbid=_forbid)
_w = np.array([3.0, 1.0, 0.0, -2.0])                              # asymmetric: flip matters
checks.close(checks.call(convolve1d, np.arange(10.0), _w, forbid=_forbid), np.convolve(np.arange(10.0), _w, "valid"))
### END HIDDEN TESTS

# %% [markdown]
# Your loops against numpy's compiled `np.convolve` on the whole energy curve (if your function is
# not finished yet, the reference stands in):

# %%
my_convolve = checks.use_yours(convolve1d, conv.convolve1d, rng.standard_normal(20), rng.standard_normal(5))
kernel = np.hanning(15)
t_loops = conv.best_time(my_convolve, envelope, kernel, repeat=pick(normal=3, quick=1))
t_numpy = conv.best_time(np.convolve, envelope, kernel, "valid", repeat=pick(normal=20, quick=3))
print(f"{len(envelope)} samples, kernel of 15: loops {1e3 * t_loops:.1f} ms, np.convolve {1e3 * t_numpy:.3f} ms "
      f"({t_loops / t_numpy:.0f}× faster)")
print("same numbers:", np.allclose(my_convolve(envelope, kernel), np.convolve(envelope, kernel, "valid")))

# %% [markdown]
# ## 2. Correlation, and why frameworks can skip the flip
#
# Slide the kernel along *without* reversing it and you get the **cross-correlation**
#
# $$c(t) = \sum_{k=0}^{m-1} x(t + k)\, w(k), \qquad t = 0, \dots, M - m.$$
#
# It is convolution with the kernel flipped, $c = x * \overleftarrow{w}$ where
# $\overleftarrow{w}(k) = w(m-1-k)$; the two agree only for symmetric kernels. Correlation has the
# easier reading: $c(t)$ is large where the stretch of signal starting at $t$ *looks like* the
# kernel — the kernel is a template.
#
# **Deep-learning frameworks compute correlations and call them convolutions.** `torch.nn.Conv1d`,
# `Conv2d` and TensorFlow's `conv2d` all skip the flip. Nothing is lost: the kernel is learned, so
# a network that would need the convolution kernel $w$ simply learns $\overleftarrow{w}$ instead —
# same family of functions, same number of parameters, one less index reversal per step. The flip
# only matters when a *person* reads a kernel: a learned kernel shown as an image is the template
# the layer matches, and its impulse response as a filter (what signal processing calls the
# kernel) is that picture flipped along every axis. Bob Sturm's walk through MusiCNN's first layer
# (seed 000) shows a 38×7 kernel exactly this way — as the pattern each 38×7 patch of the
# spectrogram is correlated with, i.e. the filter's impulse response "flipped and reversed".
#
# An asymmetric kernel makes the difference visible. `conv.onset_kernel(4)` is
# $(-\tfrac12, -\tfrac12, +\tfrac12, +\tfrac12)$: correlated with the energy curve it answers
# "did the energy just go *up*?" — a note onset. Convolved (flipped) it answers the opposite
# question and fires where notes die away.

# %%
onset = conv.onset_kernel(4)
as_correlation = conv.correlate1d(envelope, onset, padding="same")
as_convolution = conv.convolve1d(envelope, onset, padding="same")
# "same" for a kernel of 4 is 1 zero before and 2 after (see section 3); F.pad adds them
padded = F.pad(torch.tensor(envelope).view(1, 1, -1), (1, 2))
as_torch = F.conv1d(padded, torch.tensor(onset).view(1, 1, -1)).view(-1).numpy()
print("torch's conv1d is a correlation:", np.allclose(as_torch, as_correlation))

fig, ax = plt.subplots(figsize=(10, 3))
ax.plot(env_times, as_correlation, label="correlation with (−½, −½, ½, ½): onsets")
ax.plot(env_times, as_convolution, label="convolution with it (flipped): decays", alpha=0.8)
for i in range(len(notes)):
    ax.axvline(i * beat, color="0.8", lw=0.8, zorder=0)
ax.set_xlabel("time (s)"); ax.legend(loc="upper right"); plt.show()

# %% [markdown]
# The grey lines mark where each note starts. The correlation peaks there; the convolution — the
# same four numbers, reversed — is positive where the energy falls.
#
# ### Exercise 2 (2 points) — a true convolution from a framework
#
# Write `convolve_with_torch(x, w)`: the **valid convolution** of a 1-D signal `x` (shape `(M,)`)
# with a kernel `w` (shape `(m,)`), computed with `torch.nn.functional.conv1d` (which correlates).
# Return a 1-D torch tensor of shape `(M - m + 1,)` that equals `np.convolve(x, w, "valid")`.
#
# Hints: `F.conv1d` wants the input as `(batch, channels, M)` and the kernel as
# `(out_channels, in_channels, m)` — use `.view(1, 1, -1)` — and both in the same dtype
# (`torch.tensor(x, dtype=torch.float64)`). `torch.flip(w, dims=(0,))` reverses a tensor.
# numpy's and scipy's convolutions are switched off during the check.

# %% [solution] convolve_with_torch
def convolve_with_torch(x, w):
    """Valid convolution of x (M,) with w (m,) via F.conv1d; returns a torch tensor (M - m + 1,)."""
    ### BEGIN SOLUTION
    x = torch.tensor(np.asarray(x), dtype=torch.float64)
    w = torch.tensor(np.asarray(w), dtype=torch.float64)
    return F.conv1d(x.view(1, 1, -1), torch.flip(w, dims=(0,)).view(1, 1, -1)).view(-1)
    ### END SOLUTION

# %% [test] convolve_with_torch_check 2
_forbid = ["numpy.convolve", "numpy.correlate", "scipy.signal.convolve", "scipy.signal.correlate",
           "scipy.signal.fftconvolve", "scipy.signal.oaconvolve"]
_got = checks.call(convolve_with_torch, np.array([1.0, 2, 3, 4]), np.array([1.0, 0, -1]), forbid=_forbid)
checks.true(hasattr(_got, "detach"), f"convolve_with_torch should return a torch tensor, got {type(_got).__name__}")
checks.close(_got, [2.0, 2.0], name="convolve_with_torch([1, 2, 3, 4], [1, 0, -1])",
             hint="F.conv1d correlates; flip the kernel first (with [1, 0, -1] unflipped you get [-2, -2])")
checks.function(convolve_with_torch, conv.convolve1d_torch, [(rng.standard_normal(12), rng.standard_normal(3))],
                forbid=_forbid)
checks.passed("convolve_with_torch turns torch's correlation into a convolution")
### BEGIN HIDDEN TESTS
_cases = [(rng.standard_normal(16), rng.standard_normal(4)), (rng.standard_normal(5), rng.standard_normal(1)),
          (rng.standard_normal(7), rng.standard_normal(7)), (rng.standard_normal(30), np.array([0.0, 0.0, 1.0]))]
checks.function(convolve_with_torch, conv.convolve1d_torch, _cases, forbid=_forbid)
checks.shape(checks.call(convolve_with_torch, np.ones(9), np.ones(2), forbid=_forbid), (8,))
### END HIDDEN TESTS

# %% [markdown]
# ### A template in frequency: hearing the notes of a chord
#
# Correlation works along any axis, not just time. On a **log-frequency axis** in semitones, the
# partials of a note at pitch $p$ sit at $p$, $p+12$ (octave), $p+19$ (octave + fifth), $p+24$,
# $p+28$, $p+31$, … — the offsets $\mathrm{round}(12 \log_2 k)$ for harmonic $k$, the *same* for
# every note. So one template kernel with a peak at each of these offsets, correlated with the
# spectrum, gives at bin $p$ a "how much of note $p$'s harmonic series is here?" score.
#
# Transpose the chord and the spectrum shifts; correlating a shifted input gives the shifted
# output. This property — **equivariance to translation** — is what makes convolution the right
# tool wherever "the same thing, moved" should be recognised in the same way.

# %%
c_major = conv.chord([60, 64, 67], 1.5, SR)            # C E G
d_major = conv.chord([62, 66, 69], 1.5, SR)            # the same chord, two semitones higher
display(Audio(np.concatenate([c_major, d_major]), rate=SR))

template = conv.harmonic_template(6)
fig, axes = plt.subplots(1, 2, figsize=(12, 3), sharey=True)
for ax, y, name in zip(axes, [c_major, d_major], ["C major (60 64 67)", "D major (62 66 69)"]):
    spectrum, midi = conv.semitone_spectrum(y, SR, 36, 108)
    salience = conv.correlate1d(spectrum, template, padding=(0, len(template) - 1))
    ax.bar(midi, spectrum, color="0.75", label="spectrum (semitone bins)")
    ax.plot(midi, salience / salience.max(), "C3", label="correlation with template")
    top = midi[np.argsort(salience)[-3:]]
    ax.set_title(f"{name}: top 3 = {sorted(top.tolist())}")
    ax.set_xlabel("MIDI pitch")
axes[0].legend(loc="upper right"); plt.show()

# %% [markdown]
# The three strongest template matches are the three notes played, and the whole curve moves two
# bins to the right with the chord. Look also at the bump an octave *below* C (MIDI 48): a note at
# 48 would have partials at 60, 67, 72, … which this chord happens to contain — the classic
# octave error of pitch detectors, and a reason learned kernels with negative weights (which can
# say "and *not* here") beat hand-made templates.
#
# ## 3. Output size: padding and stride
#
# Without padding the output is shorter than the input, $M' = M - m + 1$. Two knobs change that:
#
# * **Padding** adds $p$ zeros at each end, so the kernel can also sit partly outside the signal.
# * **Stride** $s$ keeps only every $s$-th output position (the kernel jumps $s$ steps at a time).
#
# Counting the positions where a length-$m$ kernel fits into the padded signal of length
# $M + 2p$, jumping $s$ at a time, gives the formula every framework uses:
#
# $$M' = \left\lfloor \frac{M + 2p - m}{s} \right\rfloor + 1.$$
#
# Three paddings have names:
#
# | name | padding | $M'$ (stride 1) | used for |
# | --- | --- | --- | --- |
# | **valid** | none | $M - m + 1$ | Pons' models, MusiCNN's timbral filters in frequency |
# | **same** | $m - 1$ zeros in total | $M$ | keep the time axis, e.g. MusiCNN's temporal filters |
# | **full** | $m - 1$ on each side | $M + m - 1$ | every partial overlap; `np.convolve`'s default |
#
# "Same" needs $m - 1$ zeros in total, which cannot be split evenly when $m$ is **even**.
# TensorFlow and PyTorch put the odd extra zero at the **end**: for $m = 4$, one zero before and
# two after; for MusiCNN's 1×128 temporal filters on 187 frames, 63 before and 64 after. (numpy's
# `np.convolve(..., "same")` centres the other way round — one reason ports between libraries
# come out shifted by one frame.) With stride $s$, "same" means $\lceil M/s \rceil$ outputs.

# %%
for M, m, pad, s in [(80, 60, 0, 1), (40, 32, 0, 1), (187, 128, "same", 1), (10, 4, "same", 1),
                     (10, 3, "full", 1), (80, 8, 0, 4), (10, 4, 1, 3)]:
    before, after = conv.resolve_padding(pad, M, m, s)
    print(f"M={M:3d}  m={m:3d}  padding={pad!s:>5} → zeros ({before}, {after})  stride={s}  "
          f"M' = {conv.output_length(M, m, pad, s)}")

# %% [markdown]
# ### Exercise 3 (2 points) — the output-size formula
#
# Write `output_length(M, m, p=0, s=1)` that returns, as a Python `int`, the number of outputs of a
# convolution (or correlation) of a length-`M` signal with a length-`m` kernel, `p` zeros of
# padding on **each** side and stride `s`. You may assume the kernel fits ($M + 2p \ge m$).

# %% [solution] output_length
def output_length(M, m, p=0, s=1):
    """Number of outputs of a length-m kernel over a length-M signal, padding p per side, stride s."""
    ### BEGIN SOLUTION
    return (M + 2 * p - m) // s + 1
    ### END SOLUTION

# %% [test] output_length_check 2
checks.equal(checks.call(output_length, 80, 60), 21, name="output_length(80, 60)",
             hint="without padding or stride it is M - m + 1")
checks.equal(checks.call(output_length, 40, 32), 9, name="output_length(40, 32)")
checks.equal(checks.call(output_length, 10, 3, 1), 10, name="output_length(10, 3, p=1)",
             hint="padding adds p zeros at BOTH ends")
checks.equal(checks.call(output_length, 10, 4, 0, 2), 4, name="output_length(10, 4, s=2)",
             hint="positions 0, 2, 4, 6 fit a kernel of 4 in 10 samples; round down, then add 1")
checks.passed("output_length follows floor((M + 2p - m) / s) + 1")
### BEGIN HIDDEN TESTS
for _M, _m, _p, _s in [(7, 7, 0, 1), (11, 2, 0, 2), (5, 6, 1, 1), (187, 7, 3, 1), (100, 5, 2, 3), (9, 4, 0, 5),
                       (16000, 512, 0, 256), (33, 8, 4, 4)]:
    _expected = F.conv1d(torch.zeros(1, 1, _M), torch.zeros(1, 1, _m), padding=_p, stride=_s).shape[-1]
    _got = checks.call(output_length, _M, _m, _p, _s)
    checks.equal(int(_got), _expected)
    checks.true(float(_got).is_integer(), "output_length should return a whole number")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Convolution in two dimensions, on a spectrogram
#
# A spectrogram is a 2-D array, and a 2-D kernel slides along both axes:
#
# $$c(i, j) = \sum_{k=0}^{m-1} \sum_{l=0}^{n-1} X(i + k,\, j + l)\, W(k, l).$$
#
# We use the notation of Pons et al. (seed 002): the spectrogram is $M \times N$ ($M$ frequency
# bands, $N$ frames), the filter $m \times n$, and the feature map it produces $M' \times N'$, with
# (valid, stride 1) $M' = M - m + 1$ and $N' = N - n + 1$. The formula of section 3 holds on each
# axis separately.
#
# In two dimensions the flip of section 2 turns a picture upside down *and* back to front. Take a
# 3×4 kernel shaped like a **plucked note**: an attack across all three bands in the first frame,
# then the lowest partial dying away. Feed both operations a single impulse — a spectrogram with
# one bright cell. The output of a convolution is the kernel itself (its *impulse response*); the
# output of a correlation, which is what a framework's layer computes, is the kernel flipped along
# both axes — a high tone swelling into a click, the note played backwards. When you plot the
# weights of a trained layer (lessons 05 and 09) you see the *template* the layer looks for; its
# impulse response is that picture flipped.

# %%
note_kernel = np.array([[1.0, 0.8, 0.6, 0.4],        # row 0 = lowest band: a partial dying away
                        [1.0, 0.0, 0.0, 0.0],        # the attack reaches the higher bands
                        [1.0, 0.0, 0.0, 0.0]])
impulse = np.zeros((7, 8)); impulse[3, 3] = 1.0
conv.plot_maps([note_kernel, conv.convolve2d(impulse, note_kernel, "same"), conv.correlate2d(impulse, note_kernel, "same")],
               ["kernel: a plucked note", "convolution of an impulse", "correlation of an impulse"],
               cmap="Greys", width=3.6, height=2.6)
plt.show()

# %% [markdown]
# The *shape* of the kernel decides what it can notice:
#
# * a **temporal filter**, $1 \times n$, looks at one band over $n$ frames: it can match rhythms,
#   onsets and tempo, but sees nothing of the spectral envelope;
# * a **frequency filter**, $m \times 1$, looks at $m$ bands in one frame: it can match timbre,
#   spectral shape, pitch patterns, but knows nothing about time.
#
# Here is a two-second groove at 120 beats per minute — kick on every beat, hi-hat on every
# off-beat, a chord held underneath — as a 40-band log-mel spectrogram of 80 frames, the input
# size of Pons' models (44.1 kHz, window 2048, hop 1024; 80 frames ≈ 1.86 s).

# %%
groove = conv.drum_groove(bpm=120, seconds=2.0)
display(Audio(groove, rate=audio.PONS_SR))
spec = audio.pons_input(groove, audio.PONS_SR)[:, :80]          # (M, N) = (40, 80), lesson 02's pipeline
beat_frames = audio.frames_per_beat(120, audio.PONS_SR, audio.PONS_HOP)
print(f"spectrogram {spec.shape}; one beat = {beat_frames:.1f} frames")
audio.plot_spectrogram(spec, audio.PONS_SR, audio.PONS_HOP, htk=True, title="groove at 120 bpm, 40 mel bands")
plt.show()

# %% [markdown]
# Two hand-made filters, in the spirit of lesson 04's models:
#
# * a **1×45 temporal filter**, `conv.beat_comb(22, 3)`: three pulses 22 frames apart (≈ one beat
#   at 120 bpm), mean removed — it responds to energy that *repeats once per beat*, and gives
#   nothing for a steady tone;
# * a **32×1 frequency filter**: a ramp from −1 in the lowest of its 32 bands to +1 in the highest
#   — it responds to *bright* frames (energy high up) and is negative for dark ones.

# %%
temporal = conv.beat_comb(22, 3)[None, :]              # shape (1, 45)
frequency = np.linspace(-1, 1, 32)[:, None]            # shape (32, 1)
time_map = conv.correlate2d(spec, temporal)            # (40, 80 - 45 + 1)
freq_map = conv.correlate2d(spec, frequency)           # (40 - 32 + 1, 80)
conv.plot_maps([spec, time_map, freq_map],
               ["spectrogram M×N", "1×45 temporal filter", "32×1 frequency filter"], cmap="magma")
plt.show()

# %% [markdown]
# The temporal feature map is 40×36: it keeps every band and is strongest in the lowest bands,
# where the kick repeats on every beat (and, more weakly, in the high bands, where the hi-hat
# repeats on every off-beat), while the chord's steady partials in between give almost nothing.
# The frequency feature map is 9×80: it keeps every frame — the hi-hats show as bright columns, the
# kicks as dark ones — but only 9 positions of the ramp along frequency remain.
#
# A filter tuned to one beat period answers weaker at other tempi. Play the same groove at tempi
# from 70 to 180 bpm and record the largest response of the comb filter:

# %%
tempi = pick(normal=np.arange(70, 181, 10), quick=np.arange(80, 161, 20))
response = []
for bpm in tempi:
    other = audio.pons_input(conv.drum_groove(bpm=int(bpm), seconds=2.0), audio.PONS_SR)[:, :80]
    response.append(conv.correlate2d(other, temporal).max())
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.plot(tempi, response, "o-")
ax.set_xlabel("tempo of the groove (bpm)"); ax.set_ylabel("max response")
ax.set_title("a 1×45 comb with 22-frame spacing is tuned to ≈ 120 bpm"); plt.show()

# %% [markdown]
# The peak sits at 120 bpm, and the tuning is broad: at 110 or 130 bpm the three pulses still half
# line up with kicks, while tempi far away give little. More pulses would tune the filter more
# sharply, but need a longer kernel — and a long kernel covers few beats of slow music anyway. Pons
# et al. (seed 002) make exactly this point about their 1×60 filters: 60 frames (≈ 1.4 s) hold one
# beat at 60 bpm and about five at 224 bpm. Whether *learned* temporal filters end up tuned to the
# tempi of the classes is the question of lesson 05.
#
# ### Loops against torch
#
# A convolutional layer does this for many filters and many patches at once. Pons' Black-box
# first layer, for instance, applies 32 filters of 12×8 to every 40×80 patch. Three ways to compute
# it, all giving the same numbers:
#
# 1. the textbook loops: for every patch, every filter, every output position, a sum of products
#    (`conv.correlate2d`);
# 2. `conv.conv2d`: still a Python loop over the 29×73 output positions, but each step handles all
#    patches and filters at once with one numpy `tensordot`;
# 3. `F.conv2d`, torch's compiled implementation.

# %%
patches = rng.standard_normal((pick(normal=4, quick=1), 1, 40, 80))
weights, bias = rng.standard_normal((32, 1, 12, 8)), rng.standard_normal(32)

def layer_by_loops(x, w, b):
    """(batch, 1, M, N) patches, (F, 1, m, n) filters -> (batch, F, M', N'), one correlate2d per pair."""
    return np.stack([[conv.correlate2d(patch[0], kernel[0]) + bk for kernel, bk in zip(w, b)] for patch in x])

x_t, w_t, b_t = torch.tensor(patches), torch.tensor(weights), torch.tensor(bias)
n_threads = torch.get_num_threads()
torch.set_num_threads(1)              # one thread each, so the comparison is fair to the loops
outputs = [layer_by_loops(patches, weights, bias), conv.conv2d(patches, weights, bias), F.conv2d(x_t, w_t, b_t).numpy()]
print("output shape", outputs[0].shape, "— all three agree:", np.allclose(outputs[0], outputs[1]) and np.allclose(outputs[0], outputs[2]))
times = [conv.best_time(layer_by_loops, patches, weights, bias, repeat=1),
         conv.best_time(conv.conv2d, patches, weights, bias, repeat=pick(normal=3, quick=1)),
         conv.best_time(F.conv2d, x_t, w_t, b_t, repeat=pick(normal=20, quick=3))]
for label, t in zip(["textbook loops", "loop over positions", "F.conv2d"], times):
    print(f"{label:>20}: {1e3 * t:9.2f} ms  ({times[0] / t:7.0f}× the speed of the textbook loops)")
torch.set_num_threads(n_threads)

# %% [markdown]
# Same numbers, orders of magnitude apart in time (the exact factors depend on your machine and on
# what else it is doing). Moving the innermost loops into numpy already helps a lot; `F.conv2d`
# goes further by turning the whole layer into one big matrix product in compiled, vectorised,
# multi-threaded code — and it runs on a GPU when there is one. Write loops to *understand*; use
# the framework to *train*.
#
# ## 5. Pooling: keeping the answer, forgetting where
#
# A feature map says *how much* a pattern is present and *where*. **Pooling** replaces each window
# of neighbouring values by one summary of them:
#
# * **max pooling** keeps the largest value — "was the pattern anywhere in this window?";
# * **average pooling** keeps the mean — "how much of the pattern, on average?".
#
# Windows of $k_r \times k_c$ values move with stride $(s_r, s_c)$ — by default the window size, so
# they do not overlap — and the output size follows the same formula as before,
# $M' = \lfloor (M - k_r)/s_r \rfloor + 1$ (values no window reaches are dropped).
#
# What pooling buys is **invariance**: if the pattern moves but stays inside the same window, the
# max does not change. A small window gives tolerance to small shifts; a window spanning a whole
# axis removes that axis. Pons' models use exactly this: the **Time** model max-pools its
# 40×21 maps with a 40×1 window (over *all bands*: where in frequency the rhythm happened no longer
# matters), the **Frequency** model pools its 9×80 maps with 1×80 (over *all frames*: when the
# timbre happened no longer matters).
#
# Below, the groove's spectrogram is rolled in time by a quarter beat. The frequency feature map
# moves with it (each frame is processed on its own), but after max pooling over all 80 frames the
# two results are identical.

# %%
rolled = np.roll(spec, 5, axis=1)                      # the same frames, 5 later (wrapping round)
pooled = conv.max_pool2d(conv.correlate2d(spec, frequency), (1, 80))
pooled_rolled = conv.max_pool2d(conv.correlate2d(rolled, frequency), (1, 80))
print("feature map of the rolled input = rolled feature map:",
      np.allclose(conv.correlate2d(rolled, frequency), np.roll(conv.correlate2d(spec, frequency), 5, axis=1)))
print("max over time equal:", np.allclose(pooled, pooled_rolled), pooled.ravel().round(2))
print("2×2 max-pool of the spectrogram:", conv.max_pool2d(spec, 2).shape,
      "  4×1 average pool:", conv.avg_pool2d(spec, (4, 1)).shape)

# %% [markdown]
# ### Exercise 4 (3 points) — max pooling
#
# Write `max_pool2d(x, size, stride=None)` for a 2-D array `x` of shape `(M, N)`:
#
# * `size` is a pair `(k_r, k_c)` — the window's rows × columns (it may be non-square);
# * `stride` is a pair `(s_r, s_c)`, or `None` for "same as the size" (non-overlapping windows);
# * the window starting at row `i * s_r`, column `j * s_c` gives output `[i, j]`; windows that
#   would stick out of `x` are left out, so the output has shape
#   $(\lfloor (M - k_r)/s_r \rfloor + 1,\ \lfloor (N - k_c)/s_c \rfloor + 1)$.
#
# Return a numpy array. torch's pooling functions are switched off during the check. Feature maps
# can be negative — make sure a window of negative numbers gives its (negative) maximum.

# %% [solution] max_pool2d
def max_pool2d(x, size, stride=None):
    """Max over (k_r, k_c) windows of a 2-D x, moved by stride (default: size)."""
    x = np.asarray(x, dtype=float)
    ### BEGIN SOLUTION
    kr, kc = size
    sr, sc = size if stride is None else stride
    M, N = x.shape
    out = np.empty(((M - kr) // sr + 1, (N - kc) // sc + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = x[i * sr:i * sr + kr, j * sc:j * sc + kc].max()
    return out
    ### END SOLUTION

# %% [test] max_pool2d_check 3
_forbid = ["torch.nn.functional.max_pool2d", "torch.nn.functional.max_pool1d", "torch.nn.functional.adaptive_max_pool2d",
           "torch.nn.functional.max_pool2d_with_indices"]
_x = np.array([[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 2, 1, 1], [6, 1, 0, 7]])
checks.close(checks.call(max_pool2d, _x, (2, 2), forbid=_forbid), np.array([[5.0, 8], [6, 7]]),
             name="max_pool2d(4×4 example, (2, 2))")
checks.close(checks.call(max_pool2d, spec, (40, 1), forbid=_forbid), spec.max(axis=0, keepdims=True),
             name="max_pool2d(spectrogram, (40, 1))", hint="a 40×1 window covers all bands of one frame")
checks.function(max_pool2d, conv.max_pool2d, [(rng.standard_normal((6, 9)), (2, 3))], forbid=_forbid)
checks.passed("max_pool2d pools non-overlapping windows")
### BEGIN HIDDEN TESTS
_cases = [(rng.standard_normal((7, 9)), (2, 2), (1, 1)),          # overlapping windows
          (rng.standard_normal((9, 11)), (3, 2), (2, 3)),         # non-square, leftovers dropped
          (rng.standard_normal((10, 10)), (2, 2), (3, 3)),        # stride larger than the window
          (-np.abs(rng.standard_normal((4, 6))) - 1, (2, 3), None),  # all negative
          (rng.standard_normal((40, 80)), (1, 80), None),         # global max over time
          (rng.standard_normal((5, 5)), (5, 5), None)]
checks.function(max_pool2d, conv.max_pool2d, _cases, forbid=_forbid)
_t = torch.tensor(rng.standard_normal((12, 15)))
checks.close(checks.call(max_pool2d, _t.numpy(), (3, 4), (2, 3), forbid=_forbid),
             F.max_pool2d(_t[None], (3, 4), (2, 3))[0])
### END HIDDEN TESTS

# %% [markdown]
# Max pooling gives tolerance to small shifts, not exact invariance. A single click, moved by one
# step inside a 4-wide window, leaves the pooled output unchanged; moved across a window border it
# changes which output fires:

# %%
my_pool = checks.use_yours(max_pool2d, conv.max_pool2d, rng.standard_normal((6, 8)), (2, 2))
click = np.zeros((1, 16)); click[0, 5] = 1.0
for shift in [0, 1, 2, 3]:
    moved = np.roll(click, shift, axis=1)
    print(f"click at frame {5 + shift:2d} → pooled 1×4: {my_pool(moved, (1, 4)).ravel()}")

# %% [markdown]
# ## 6. Parameter sharing: why convolutional layers are cheap
#
# A convolutional layer uses the same kernel at every position: a filter of $m \times n$ weights on
# an input with $C$ channels has $m \cdot n \cdot C$ weights plus one bias, *whatever the size of
# the input*. With $F$ filters:
#
# $$\#\text{params}_\text{conv} = F \cdot (m \cdot n \cdot C + 1).$$
#
# A dense (fully connected) layer has one weight per input–output pair plus a bias per output:
#
# $$\#\text{params}_\text{dense} = n_\text{out} \cdot (n_\text{in} + 1).$$
#
# Compare them on a 40×80 spectrogram. Pons' Black-box layer, 32 filters of 12×8, has
# $32 \cdot (96 + 1) = 3\,104$ parameters and produces $32 \cdot 29 \cdot 73 = 67\,744$ outputs.
# A dense layer producing the same number of outputs from the 3 200 inputs would need
# $67\,744 \cdot 3\,201 \approx 217$ million — for a function that does not even know that
# neighbouring frames are neighbours. Sharing the parameters is the assumption "the same pattern
# means the same thing wherever it occurs" (seed 004: the model "designs specific questions" and
# chooses in which domain to ask them), and it is what lets CNNs learn from the few hundred
# tracks of a data set like Ballroom.
#
# ### Exercise 5 (2 points) — parameters of a convolutional layer
#
# Write `conv2d_params(n_filters, kernel_shape, in_channels=1, bias=True)` returning the number of
# trainable parameters (an `int`) of a 2-D convolutional layer with `n_filters` filters of shape
# `kernel_shape = (m, n)` over `in_channels` input channels, with one bias per filter when
# `bias` is true and none otherwise.

# %% [solution] conv2d_params
def conv2d_params(n_filters, kernel_shape, in_channels=1, bias=True):
    """Number of trainable parameters (weights and biases) of a 2-D convolutional layer."""
    ### BEGIN SOLUTION
    m, n = kernel_shape
    return n_filters * (m * n * in_channels + (1 if bias else 0))
    ### END SOLUTION

# %% [test] conv2d_params_check 2
checks.equal(checks.call(conv2d_params, 32, (12, 8)), 3104, name="conv2d_params(32, (12, 8))",
             hint="each filter has m·n weights and one bias")
checks.equal(checks.call(conv2d_params, 32, (1, 60)), 1952, name="conv2d_params(32, (1, 60))")
_layer = torch.nn.Conv2d(3, 16, (5, 2))
checks.equal(checks.call(conv2d_params, 16, (5, 2), 3), sum(p.numel() for p in _layer.parameters()),
             name="conv2d_params(16, (5, 2), in_channels=3)", hint="every filter spans all input channels")
checks.passed("conv2d_params counts weights and biases")
### BEGIN HIDDEN TESTS
for _f, _k, _c, _b in [(204, (38, 7), 1, True), (64, (3, 3), 16, True), (8, (2, 5), 3, False), (1, (1, 1), 1, False),
                       (51, (1, 128), 1, True)]:
    _n = sum(p.numel() for p in torch.nn.Conv2d(_c, _f, _k, bias=_b).parameters())
    checks.equal(checks.call(conv2d_params, _f, _k, _c, _b), _n)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6 (3 points) — a whole single-layer CNN
#
# Pons et al.'s models (seed 002) share one shape: a convolutional layer (valid padding, stride 1,
# with bias), a max-pool layer (stride = pool size), optionally a hidden dense layer, and a dense
# softmax output layer. The pooled feature maps of all filters are flattened into one vector before
# the dense layers. Pooling and softmax have no parameters.
#
# Write `single_layer_cnn_params(input_shape, n_filters, kernel_shape, pool_shape, n_hidden,
# n_classes)` returning the total number of parameters. `input_shape = (M, N)`,
# `kernel_shape = (m, n)`, `pool_shape = (p_r, p_c)`; `n_hidden` is the number of hidden units, or
# `None` when there is no hidden layer. The pooled size along each axis is
# $\lfloor M'/p_r \rfloor$ (and likewise for $N'$). You may call your functions from exercises 3
# and 5.
#
# If you get it right, the visible check reproduces the 7,336 parameters of Pons' **Time** model
# (32 filters 1×60, max-pool 40×1, softmax over 8 classes) and the hidden checks the other two
# single-branch models of Table 1 in seed 002.

# %% [solution] single_layer_cnn_params
def single_layer_cnn_params(input_shape, n_filters, kernel_shape, pool_shape, n_hidden, n_classes):
    """Parameters of conv (valid) -> max-pool -> [dense n_hidden] -> dense n_classes."""
    ### BEGIN SOLUTION
    (M, N), (m, n), (pr, pc) = input_shape, kernel_shape, pool_shape
    flat = n_filters * ((M - m + 1) // pr) * ((N - n + 1) // pc)
    total = n_filters * (m * n + 1)
    if n_hidden:
        total += n_hidden * (flat + 1)
        flat = n_hidden
    return total + n_classes * (flat + 1)
    ### END SOLUTION

# %% [test] single_layer_cnn_params_check 3
checks.equal(checks.call(single_layer_cnn_params, (40, 80), 32, (1, 60), (40, 1), None, 8), 7336,
             name="Time model: single_layer_cnn_params((40, 80), 32, (1, 60), (40, 1), None, 8)",
             hint="conv 32·(60 + 1); feature maps 40×21 pooled to 1×21; output 8·(32·21 + 1)")
checks.equal(checks.call(single_layer_cnn_params, (10, 10), 2, (3, 3), (2, 2), None, 3), 2 * 10 + 3 * (2 * 16 + 1),
             name="single_layer_cnn_params((10, 10), 2, (3, 3), (2, 2), None, 3)")
checks.passed("single_layer_cnn_params reproduces the Time model's 7,336 parameters")
### BEGIN HIDDEN TESTS
checks.equal(checks.call(single_layer_cnn_params, (40, 80), 32, (32, 1), (1, 80), None, 8), 3368)      # Frequency
checks.equal(checks.call(single_layer_cnn_params, (40, 80), 32, (12, 8), (4, 1), 200, 8), 3275312)    # Black-box
checks.equal(checks.call(single_layer_cnn_params, (20, 30), 6, (5, 4), (2, 3), 17, 5),
             conv.single_layer_cnn_params((20, 30), 6, (5, 4), (2, 3), 17, 5))
checks.equal(checks.call(single_layer_cnn_params, (40, 250), 5, (1, 41), (4, 210), None, 8),
             conv.single_layer_cnn_params((40, 250), 5, (1, 41), (4, 210), None, 8))
### END HIDDEN TESTS

# %% [markdown]
# Put the numbers side by side (computed with mmteach's reference, so this runs even before you
# finish the exercises). The Black-box model spends almost all of its 3.3 million parameters in
# the dense layer after the pool — the convolution itself has only 3 104.

# %%
rows = [("Black-box", (40, 80), 32, (12, 8), (4, 1), 200), ("Time", (40, 80), 32, (1, 60), (40, 1), None),
        ("Frequency", (40, 80), 32, (32, 1), (1, 80), None)]
print(f"{'model':<10} {'conv layer':>10} {'whole model':>12}   feature map   pooled")
for name, shape, f, k, pool, hidden in rows:
    fmap = conv.output_shape(shape, k)
    print(f"{name:<10} {conv.conv2d_params(f, k):>10,} {conv.single_layer_cnn_params(shape, f, k, pool, hidden, 8):>12,}"
          f"   {fmap[0]:>3}×{fmap[1]:<3}      {fmap[0] // pool[0]}×{fmap[1] // pool[1]}")
dense_same_outputs = conv.dense_params(40 * 80, 32 * 29 * 73)
print(f"\ndense layer with the Black-box conv layer's 67,744 outputs: {dense_same_outputs:,} parameters")

# %% [markdown]
# ## 7. What a filter's shape lets it see
#
# ### Written answer (4 points) — temporal vs frequency filters
#
# Pons' **Time** model uses 32 filters of 1×60 followed by a 40×1 max-pool; the **Frequency** model
# uses 32 filters of 32×1 followed by a 1×80 max-pool (both on 40×80 log-mel patches, ≈ 1.86 s).
#
# In a short paragraph (5–10 sentences) explain: (a) what kind of musical information each filter
# shape *can* capture and what it *cannot*, with reference to the axes of the spectrogram;
# (b) what each model's max-pool throws away, and why that choice fits the filter before it;
# (c) which of the two you would expect to classify ballroom dances (cha-cha, jive, quickstep,
# rumba, samba, tango, Viennese waltz, slow waltz) better, and why.

# %% [answer] filter_shapes 4
# ### BEGIN SOLUTION
# **Model answer.** (a) A 1×60 filter spans one mel band and 60 frames (≈ 1.4 s): it can match
# patterns *in time* within a band — onsets, the spacing of beats, rhythmic figures, hence tempo
# and rhythm — but, being one band tall, it cannot relate energy in different bands, so it knows
# nothing of timbre, pitch or spectral shape. A 32×1 filter spans 32 bands of one frame: it can
# match a *spectral* pattern — the envelope that gives timbre, the arrangement of partials, how
# bright or dark a sound is — but sees a single instant (≈ 23 ms) and so cannot capture anything
# rhythmic. (b) The Time model's 40×1 pool takes, for each output frame, the maximum over all
# bands: it discards *where in frequency* a rhythmic pattern occurred (which instrument/register
# played it) and keeps *when*, so only temporal information reaches the classifier. The Frequency
# model's 1×80 pool takes the maximum over all frames: it discards *when* a spectral pattern
# occurred and keeps (the 9 positions of) *where in frequency*, a time-invariant summary of timbre.
# Each pool removes exactly the axis its filter does not model, so each branch stays "pure".
# (c) Ballroom classes are defined largely by tempo and rhythm (and the data set's classes are
# strongly correlated with tempo), so the Time model should do clearly better; the Frequency model
# can only use instrumentation/timbre cues, which are weaker (Pons reports 81.8 % vs 59.6 %).
#
# **Rubric (4 points).** 1 point: temporal filter ↔ rhythm/tempo/onsets, not timbre (one band).
# 1 point: frequency filter ↔ timbre/spectral shape/pitch pattern, not rhythm (one frame).
# 1 point: each pool removes the other axis (frequency position for Time, time position for
# Frequency), giving invariance to it. 1 point: Time model expected better on Ballroom, argued from
# tempo/rhythm defining the dances. Half points for a correct claim without the reason.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * Convolution $s(t) = \sum_a x(a) w(t-a)$ slides one small set of weights over the input;
#   correlation $c(t) = \sum_k x(t+k) w(k)$ does the same without reversing the kernel.
#   Frameworks compute correlations; since kernels are learned, the flip changes nothing except how
#   you must read a kernel plotted from a trained network.
# * Output size: $M' = \lfloor (M + 2p - m)/s \rfloor + 1$ — $M - m + 1$ for valid, $M$ for same
#   (with the odd extra zero at the end for even kernels in TensorFlow and PyTorch), $M + m - 1$ for full.
# * On a spectrogram, the kernel's shape is a musical decision: $1 \times n$ temporal filters see
#   rhythm and tempo, $m \times 1$ frequency filters see timbre and pitch patterns; the $M' \times N'$
#   feature map follows from the formula on each axis.
# * Correlation is translation-*equivariant* (shift the input, the output shifts); pooling adds
#   *invariance* — a little for small windows, complete along an axis a window spans.
# * A conv layer has $F(mnC + 1)$ parameters whatever the input size; a dense layer with as many
#   outputs would have orders of magnitude more. In Pons' Black-box model almost every parameter
#   sits in the dense layer after the pool.
#
# ## Going further
#
# * Goodfellow, Bengio and Courville, *Deep Learning* (2016), chapter 9 — convolution, pooling and
#   parameter sharing (the source of seed 004's definitions).
# * V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning" (2016):
#   padding, stride, dilation and transposed convolutions, with pictures.
# * J. Pons et al., "Experimenting with musically motivated convolutional neural networks"
#   (CBMI 2016), and the blog post in seed 002 — the models of the next lesson.
# * B. L. Sturm, "Digging into MusiCNN" (seed 000) — a trained network's first layer read as
#   correlations with kernels, exactly as in section 2.
# * Try it: `conv.conv2d` also takes `stride` and `padding`; check against `F.conv2d` that
#   `padding="same"` keeps an 80-frame time axis for a 1×60 filter, then make a filter 2 frames
#   wide with stride 2 and see the time axis halve. On a GPU, time `F.conv2d` on
#   `mmteach.device()` for a batch of 256 patches.
#
# **Next:** lesson 04 builds the Black-box, Time, Frequency and Time-Frequency models from these
# pieces and trains them on dance music.
