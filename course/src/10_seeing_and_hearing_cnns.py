# %% [markdown]
# # Lesson 10 — Seeing and hearing CNNs
#
# Lesson 09 read a big pretrained network weight by weight. For a network you train yourself there
# is a faster, more musical route: run a clip through it and *look* at — and *listen* to — what its
# layers respond to. Seed 001 (a student project, "Interpreting music genre classification in
# CNNs") does exactly this with three small genre classifiers: a vanilla CNN, a variant whose
# feature maps are masked to stay compact, and a global-average-pooling network whose structure
# gives class activation maps for free. In this lesson you build the same toolbox — activation
# masks, deconvolution, auralisation and class activation maps — and use it on dance music.
#
# **Prerequisites:** lessons 02 (log-mel, mel inversion), 03 (convolution, transposed shapes),
# 04 (training a classifier on patches, majority vote per track), 09 (reading units).
#
# **Time:** about 90 minutes; the notebook runs in about 3–5 minutes on a laptop CPU (training
# three small networks), under a minute on a GPU.
#
# ## Learning objectives
#
# After this lesson you can
#
# 1. train three small CNNs (vanilla, masked, global average pooling) and compare their accuracy;
# 2. turn a first-layer activation into a mask on the input spectrogram and *listen* to what the
#    filter keeps (auralisation by mel inversion);
# 3. project a deeper layer's activations back to the input with deconvolution — upsampling and
#    convolution with flipped, transposed filters — and show it equals a transposed convolution;
# 4. compute class activation maps from a global-average-pooling network and say what they can
#    and cannot show;
# 5. judge what each of these pictures explains about a classifier's decision.

# %% [locked] setup
import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import Audio, display

from mmteach import audio, checks, data, interpret, models, pick, quick_mode, seed_everything, train as training

QUICK = quick_mode()          # read once: small data and 2 epochs in quick mode (CI, grading)
seed_everything(0)
SR, HOP = audio.MUSICNN_SR, audio.MUSICNN_HOP      # the input pipeline: 16 kHz, hop 256, 96 mel bands
N_FRAMES = 187                                     # 3-s patches, as in the seed (GTZAN cut into ~3 s)

# %% [markdown]
# ## 1. Data and three models
#
# The seed works on GTZAN (10 genres, 30-s excerpts cut into 3-s spectrograms). GTZAN cannot be
# downloaded here, so by default we use the course's offline **dance set** (8 Ballroom-like
# classes rendered from General MIDI, 10-s tracks). If you have GTZAN, set `GTZAN_ROOT` to its
# folder (the one holding `genres/` or the genre folders) and the rest of the lesson runs on it —
# expect about ten times longer on a CPU.
#
# We use MusiCNN's input pipeline (96 mel bands, log10(1 + 10 000·mel), lesson 02) and cut every
# track into non-overlapping 3-s patches of 187 frames. One mean and one standard deviation over
# the training tracks normalise all patches.

# %%
GTZAN_ROOT = None                 # e.g. "/data/gtzan"
ds = data.gtzan(GTZAN_ROOT) if GTZAN_ROOT else data.dance_set()
split = ds.splits(seed=0)
stats = data.norm_stats(ds, "musicnn", split["train"])
train, val, test = (data.make_patches(ds, "musicnn", N_FRAMES, split[k], stats=stats) for k in ("train", "val", "test"))
print(ds)
print("train", train, "\nval  ", val, "\ntest ", test)
print(f"normalisation: mean {stats[0]:.3f}, std {stats[1]:.3f}")

# %% [markdown]
# The three architectures (`mmteach/models/small_cnns.py`, registered as `"vanilla-cnn"`,
# `"masked-cnn"` and `"gap-cnn"`):
#
# * **vanilla** — conv1 (8 filters 5×5) → ReLU → max-pool 4×4 → conv2 (16 filters 3×3) → ReLU →
#   max-pool 4×4 → dense 64 → dense 8: two convolutions and two dense layers, as in the seed.
# * **masked** — the same, but every conv2 feature map is multiplied by an *elliptical mask*
#   centred on that map's own maximum: 1 inside an ellipse, fading to 0 at twice its radii. A
#   filter can then only report one compact region, the idea of Zhang et al.'s interpretable CNNs
#   that the seed adopted.
# * **GAP** — three convolutions (8, 16, 32 filters), then **global average pooling** and a single
#   dense layer. The logit of class $c$ is
#   $$z_c = \sum_k w_{ck}\,\frac{1}{HW}\sum_{i,j} A_k[i,j] + b_c
#        = \frac{1}{HW}\sum_{i,j} \underbrace{\sum_k w_{ck} A_k[i,j]}_{\mathrm{CAM}_c[i,j]} + b_c,$$
#   so the map $\mathrm{CAM}_c$ says *where* in the spectrogram the evidence for class $c$ lies.
#
# All three use "same" padding and no batch norm, which keeps the backward projections below exact.

# %%
names = ["vanilla-cnn", "masked-cnn", "gap-cnn"]
nets = {n: models.create(n, n_classes=len(ds.classes)) for n in names}
for n, net in nets.items():
    print(f"{n:12s} {models.count_parameters(net):7,d} parameters")

# %%
EPOCHS = pick(normal=10, quick=2)
histories, results, preds = {}, {}, {}
for n, net in nets.items():
    histories[n] = training.fit(net, train, val, optimizer="adam", lr=3e-3 if n == "gap-cnn" else 1e-3,
                                epochs=EPOCHS, batch_size=32, halve_lr_on_plateau=False, seed=0)
    net.cpu()                                    # the interpretation tools below run on the CPU
    results[n] = training.evaluate(net, test, device="cpu")
    preds[n] = training.predict(net, test.x, device="cpu").argmax(axis=1)
    print(f"{n:12s} test: patch accuracy {results[n]['patch_accuracy']:.1%}, track accuracy (vote) "
          f"{results[n]['track_accuracy']:.1%}  [{histories[n].seconds:.0f} s]")
fig, ax = plt.subplots(figsize=(7, 3))
for n in names:
    ax.plot(np.arange(1, len(histories[n].val_score) + 1), histories[n].val_score, marker="o", label=n)
ax.set_xlabel("epoch"); ax.set_ylabel("validation patch accuracy"); ax.legend(); plt.show()

# %% [markdown]
# The seed reports, on GTZAN, test accuracies of 68.2 % (vanilla), 69.9 % (masked) and 68.1 % (GAP)
# — essentially a tie, with the GAP model far behind in *training* accuracy (51.6 %) because it has
# no dense layers to fit with. On our dance set the numbers are different (8 synthetic classes,
# separated mostly by tempo and rhythm, a few hundred patches, 10 epochs): with the defaults the
# vanilla CNN reaches about 80 % of test patches, and the masked and GAP models learn more slowly
# and end lower after 10 epochs. What carries over is the ordering of *effort*: the interpretable
# variants pay for their structure with slower training. Rerun with more epochs to see how much of
# the gap closes.
#
# ## 2. Hearing the input: from log-mel back to sound
#
# To listen to anything a network sees we must invert the input pipeline. The log compression is
# easy to undo exactly:
#
# $$L = \log_{10}(1 + C\,S) \quad\Longleftrightarrow\quad S = \frac{10^{L} - 1}{C},\qquad C = 10\,000.$$
#
# The mel filterbank is not invertible (96 bands summarise 257 FFT bins), so
# `audio.mel_to_audio` finds non-negative FFT powers that the filterbank maps to $S$, and
# Griffin-Lim invents phases consistent with them. The result is blurry and a bit "phasey" — that
# blur is what the network never had.
#
# ### Exercise 1 (2 points) — undo the log compression
#
# Write `log_mel_to_power(L, C=10000.0)` that returns $S = (10^L - 1)/C$ for an array `L` of any
# shape, with negative results (which can come from rounding or from masks) clipped to 0.

# %% [solution] log_mel_to_power
def log_mel_to_power(L, C=10000.0):
    """Mel power S from L = log10(1 + C S), same shape, clipped at 0."""
    L = np.asarray(L, dtype=float)
    ### BEGIN SOLUTION
    return np.maximum((10.0 ** L - 1.0) / C, 0.0)
    ### END SOLUTION

# %% [test] log_mel_to_power_check 2
checks.close(checks.call(log_mel_to_power, np.array([0.0, 1.0, 4.0])), np.array([0.0, 9e-4, 0.9999]),
             name="log_mel_to_power([0, 1, 4])", hint="S = (10**L - 1) / C")
_S = np.random.default_rng(0).random((96, 20)) * 0.3
checks.close(checks.call(log_mel_to_power, np.log10(1 + 10000 * _S)), _S, name="round trip", atol=1e-9)
checks.passed("log_mel_to_power inverts the log compression")
### BEGIN HIDDEN TESTS
checks.close(checks.call(log_mel_to_power, np.array([-0.5, 2.0]), 100.0), np.array([0.0, 0.99]))
_ = checks.function(log_mel_to_power, interpret.log_mel_to_power.__wrapped__, [(np.random.default_rng(1).standard_normal((4, 5)),)])
### END HIDDEN TESTS

# %% [markdown]
# Pick a test patch that all three networks classify correctly (or as many as possible), and listen to the original audio
# of those 3 s and to what survives the trip through the 96-band log-mel spectrogram:

# %%
n_right = np.sum([preds[n] == test.y for n in names], axis=0)     # how many networks got each patch right
k = int(np.argmax(n_right))                     # the first patch most networks classify correctly
x = test.x[k]                                   # (96, 187), normalised
label = ds.classes[int(test.y[k])]
track = int(test.track[k])
start = int(np.sum(test.track[:k] == track)) * N_FRAMES * HOP / SR      # seconds into the track
y_orig = ds.audio(track)[int(start * ds.sr): int((start + N_FRAMES * HOP / SR) * ds.sr)]
print(f"test patch {k}: '{label}' (track {ds.track_ids[track]}, from {start:.1f} s); predictions:",
      {n: ds.classes[int(preds[n][k])] for n in names})
y_mel, sr_mel = interpret.auralise(x, stats=stats, n_iter=pick(normal=32, quick=8))
print("original"); display(Audio(y_orig, rate=ds.sr))
print("through the log-mel spectrogram (mel inversion + Griffin-Lim)"); display(Audio(y_mel, rate=sr_mel))
audio.plot_spectrogram(x * stats[1] + stats[0], SR, HOP, title=f"the patch ({label})"); plt.show()

# %% [markdown]
# ## 3. Conv-1 activation masks: what does one filter keep?
#
# A first-layer filter's ReLU map $A_f$ has the size of the input ("same" padding). Dividing by its
# maximum gives a soft mask in $[0, 1]$; keeping the bins at or above a quantile of $A_f$ gives a
# binary one. Multiplying the input by the mask keeps what the filter responds to and silences the
# rest — the seed's "Conv 1 activations" figure. Listening to the masked spectrogram is
# **auralisation** (Choi et al., 2016).
#
# ### Exercise 2 (2 points) — activation to mask
#
# Write `activation_to_mask(a, quantile=None)`. `a` is a 2-D array `(F, T)` of non-negative
# activations. If `a.max()` is 0, return zeros. With `quantile=None` return `a / a.max()`. With a
# number `q` in (0, 1) return a float 0/1 array that is 1 where `a >= np.quantile(a, q)` **and**
# `a > 0`.

# %% [solution] activation_to_mask
def activation_to_mask(a, quantile=None):
    """Mask (F, T) in [0, 1] from a non-negative activation map (F, T)."""
    a = np.asarray(a, dtype=float)
    ### BEGIN SOLUTION
    peak = a.max()
    if peak <= 0:
        return np.zeros_like(a)
    if quantile is None:
        return a / peak
    return ((a >= np.quantile(a, quantile)) & (a > 0)).astype(float)
    ### END SOLUTION

# %% [test] activation_to_mask_check 2
_a = np.array([[0.0, 1.0], [2.0, 4.0]])
checks.close(checks.call(activation_to_mask, _a), np.array([[0.0, 0.25], [0.5, 1.0]]), name="soft mask",
             hint="divide by the maximum")
checks.close(checks.call(activation_to_mask, _a, 0.5), np.array([[0.0, 0.0], [1.0, 1.0]]), name="binary mask, q=0.5",
             hint="1 where a >= np.quantile(a, q) and a > 0")
checks.close(checks.call(activation_to_mask, np.zeros((3, 4))), np.zeros((3, 4)), name="silent filter")
checks.passed("activation_to_mask makes soft and binary masks")
### BEGIN HIDDEN TESTS
_b = np.maximum(np.random.default_rng(2).standard_normal((12, 30)), 0)
for _q in (None, 0.9, 0.3):
    checks.close(checks.call(activation_to_mask, _b, _q), interpret.activation_to_mask.__wrapped__(_b, _q))
checks.close(checks.call(activation_to_mask, np.zeros((5, 5)), 0.5), np.zeros((5, 5)))
### END HIDDEN TESTS

# %% [markdown]
# The vanilla network's 8 first-layer filters on our patch, the mask of the two that respond most,
# and what they sound like:

# %%
vanilla = nets["vanilla-cnn"]
with torch.no_grad():
    A1 = vanilla.conv1_activations(torch.from_numpy(x)[None])[0].numpy()     # (8, 96, 187)
my_mask = checks.use_yours(activation_to_mask, interpret.activation_to_mask, np.eye(3))
strongest = np.argsort(-A1.reshape(len(A1), -1).mean(axis=1))[:2]
fig, axes = plt.subplots(2, 4, figsize=(16, 5))
for f, ax in enumerate(axes.ravel()):
    ax.imshow(A1[f], aspect="auto", origin="lower", cmap="magma"); ax.set_title(f"conv1 filter {f}", fontsize=9)
    ax.set_xticks([]); ax.set_yticks([])
plt.suptitle("conv-1 activations (ReLU maps) of the vanilla CNN"); plt.show()
x_raw = x * stats[1] + stats[0]                  # back to log10(1 + C·mel)
for f in strongest:
    mask = my_mask(A1[f], 0.7)
    fig, ax = plt.subplots(figsize=(8, 2.6))
    interpret.plot_overlay(x_raw, mask, ax=ax, title=f"filter {f}: binary mask (top 30 % of its activation)")
    plt.show()
    y_f, sr_f = interpret.auralise(x_raw, mask, n_iter=pick(normal=32, quick=8))
    print(f"filter {f}: what the mask keeps"); display(Audio(y_f, rate=sr_f))

# %% [markdown]
# Each filter is a 5×5 pattern, so its mask follows a *local* shape: an onset (vertical edge), a
# sustained partial (horizontal line), a band of energy. Listen for it: a filter keeping onsets
# leaves a click track; one keeping steady partials leaves the pitched instruments.
#
# ## 4. Deconvolution: projecting a deeper layer back to the input
#
# A conv2 unit sees a 3×3 window of conv1's *pooled* maps (pooled 4×4), i.e. about 16 × 16 bins of
# the input.
# To show it at the input's size we run the forward pass backwards, layer by layer (Zeiler & Fergus
# 2014; the seed's "deconvolved activations"): keep only one conv2 map, rectify, then
#
# 1. undo the convolution: convolve with the layer's filters **flipped** in both axes and with input
#    and output channels **swapped** (weights `(C_out, C_in, kh, kw)` become `(C_in, C_out, kh, kw)`);
# 2. undo the max-pool by upsampling (nearest neighbour, 4× in both axes);
# 3. rectify and repeat for conv1.
#
# Step 1 is exactly the *transposed convolution* of lesson 03's shape arithmetic — the operation
# autograd uses to send gradients through a convolution. For a forward padding $p$ and kernel size
# $k$, the backward convolution pads $k - 1 - p$.
#
# ### Exercise 3 (3 points) — one deconvolution step
#
# Write `deconv_layer(maps, weight, padding)`: `maps` a torch tensor `(B, C_out, H, W)`, `weight`
# `(C_out, C_in, kh, kw)`, `padding` a pair `(ph, pw)` (the forward layer's padding). Return
# `F.conv2d(maps, w_back, padding=(kh - 1 - ph, kw - 1 - pw))` where `w_back` is `weight` flipped in
# its last two axes and with its first two axes swapped. `F.conv_transpose2d` is switched off
# while the check runs — you will compare against it afterwards.

# %% [solution] deconv_layer
def deconv_layer(maps, weight, padding):
    """(B, C_out, H, W) maps back through a conv layer with weight (C_out, C_in, kh, kw) -> (B, C_in, H', W')."""
    ### BEGIN SOLUTION
    kh, kw = weight.shape[2], weight.shape[3]
    w_back = weight.flip(2, 3).transpose(0, 1)
    return F.conv2d(maps, w_back, padding=(kh - 1 - padding[0], kw - 1 - padding[1]))
    ### END SOLUTION

# %% [test] deconv_layer_check 3
_g = torch.Generator().manual_seed(0)
_w = torch.randn(6, 4, 3, 5, generator=_g)
_m = torch.randn(2, 6, 10, 12, generator=_g)
_expected = F.conv_transpose2d(_m, _w, padding=(1, 2))
_got = checks.call(deconv_layer, _m, _w, (1, 2), forbid=["torch.nn.functional.conv_transpose2d"])
checks.shape(_got, tuple(_expected.shape), name="deconv_layer output")
checks.close(_got, _expected, name="deconv_layer vs the transposed convolution", atol=1e-4,
             hint="flip BOTH spatial axes and swap axes 0 and 1 of the weight; pad k - 1 - p")
checks.passed("deconv_layer is a transposed convolution")
### BEGIN HIDDEN TESTS
_w2 = torch.randn(3, 2, 4, 4, generator=_g); _m2 = torch.randn(1, 3, 7, 9, generator=_g)
checks.close(checks.call(deconv_layer, _m2, _w2, (0, 0), forbid=["torch.nn.functional.conv_transpose2d"]),
             F.conv_transpose2d(_m2, _w2), atol=1e-4)
_c = vanilla.conv_layers()[1]
_m3 = torch.randn(1, _c.out_channels, 24, 46, generator=_g)
checks.close(checks.call(deconv_layer, _m3, _c.weight.detach(), _c.padding, forbid=["torch.nn.functional.conv_transpose2d"]),
             F.conv_transpose2d(_m3, _c.weight.detach(), padding=_c.padding), atol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# `interpret.deconvolve` chains these steps (with your `deconv_layer`'s twin from mmteach). Here
# are the conv2 maps of the vanilla and the masked network projected to the input, for the conv2
# filter that responds most to this patch:

# %%
fig, axes = plt.subplots(1, 3, figsize=(17, 3.4))
audio.plot_spectrogram(x_raw, SR, HOP, ax=axes[0], title="input", colorbar=False)
for ax, n in zip(axes[1:], ("vanilla-cnn", "masked-cnn")):
    net = nets[n]
    with torch.no_grad():
        acts, _ = net.conv_activations(torch.from_numpy(x)[None], upto=2)
    f2 = int(acts[1][0].amax(dim=(1, 2)).argmax())
    d = interpret.deconvolve(net, x, layer=2, filter=f2)
    lim = np.abs(d).max() or 1
    ax.imshow(d, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_title(f"{n}: conv2 filter {f2} deconvolved"); ax.set_xlabel("frame")
plt.show()

# %% [markdown]
# The masked network's projection is confined to one region — the mask allowed its filter to report
# only around its maximum — while the vanilla filter spreads its evidence over every place the
# pattern recurs. That is the interpretability the masking buys: one filter, one place.
#
# ## 5. Class activation maps
#
# For the GAP network the class map is a weighted sum of the last layer's maps, with the dense
# layer's weights:

# %%
gap = nets["gap-cnn"]
print(gap.classifier, "— weights", tuple(gap.classifier.weight.shape), "= (classes, last-layer maps)")

# %% [markdown]
# ### Exercise 4 (2 points) — CAM from features
#
# Write `cam(features, weights, c)`: `features` a numpy array `(K, H, W)` (the last conv layer's
# maps for one patch), `weights` `(n_classes, K)` (the dense layer after global average pooling).
# Return the `(H, W)` array $\sum_k w_{ck}\,A_k$.

# %% [solution] cam
def cam(features, weights, c):
    """Class activation map (H, W) = sum_k weights[c, k] * features[k]."""
    A = np.asarray(features, dtype=float)
    W = np.asarray(weights, dtype=float)
    ### BEGIN SOLUTION
    return np.einsum("k,khw->hw", W[c], A)
    ### END SOLUTION

# %% [test] cam_check 2
_A = np.zeros((2, 2, 3)); _A[0, 0, 0] = 1.0; _A[1, 1, 2] = 2.0
_W = np.array([[1.0, 0.0], [0.5, -1.0]])
checks.close(checks.call(cam, _A, _W, 1), np.array([[0.5, 0, 0], [0, 0, -2.0]]), name="cam(example, class 1)",
             hint="weight map k by weights[c, k] and add the maps up")
with torch.no_grad():
    _feats = gap.cam_features(torch.from_numpy(x)[None])[0].numpy()
    _logits = gap(torch.from_numpy(x)[None])[0].numpy()
_Wg, _bg = gap.classifier.weight.detach().numpy(), gap.classifier.bias.detach().numpy()
checks.close(np.mean(checks.call(cam, _feats, _Wg, 0)) + _bg[0], _logits[0], name="mean of the CAM + bias vs the logit",
             atol=1e-4, hint="the logit is the CAM's mean plus the bias")
checks.passed("cam computes class activation maps")
### BEGIN HIDDEN TESTS
_r = np.random.default_rng(4)
_A2, _W2 = _r.standard_normal((7, 5, 9)), _r.standard_normal((3, 7))
for _c in range(3):
    checks.close(checks.call(cam, _A2, _W2, _c), interpret.cam_from_features.__wrapped__(_A2, _W2, _c), atol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# `interpret.class_activation_map` upsamples the map to the input's size. Below: the CAM of the
# true class and of the least likely class for our patch. Red regions push the logit up, blue ones
# down; the logit is the map's average plus a bias.

# %%
cam_true, _ = interpret.class_activation_map(gap, x, int(test.y[k]))
with torch.no_grad():
    least = int(gap(torch.from_numpy(x)[None])[0].argmin())
cam_least, _ = interpret.class_activation_map(gap, x, least)
fig, axes = plt.subplots(1, 2, figsize=(16, 3.2))
for ax, m, c in zip(axes, (cam_true, cam_least), (int(test.y[k]), least)):
    interpret.plot_overlay(x_raw, m, ax=ax, title=f"CAM for '{ds.classes[c]}'", cmap="RdBu_r", symmetric=True)
plt.show()
pos = np.maximum(cam_true, 0)
y_cam, sr_cam = interpret.auralise(x_raw, pos / (pos.max() or 1), n_iter=pick(normal=32, quick=8))
print(f"the input weighted by the positive CAM of '{label}':"); display(Audio(y_cam, rate=sr_cam))

# %% [markdown]
# Averaging the CAM of each class's own test patches shows where in frequency and time the network
# collects evidence for each dance. A tempo-driven class should light up in vertical stripes at the
# beats (onsets across many bands); a class recognised by its instruments in horizontal bands.

# %%
fig, axes = plt.subplots(2, (len(ds.classes) + 1) // 2, figsize=(16, 5))
for c, ax in zip(range(len(ds.classes)), axes.ravel()):
    own = np.flatnonzero(test.y == c)[:pick(normal=6, quick=2)]
    maps = [interpret.class_activation_map(gap, test.x[i], c, upsample=False)[0] for i in own]
    if maps:
        mean_map = np.mean(maps, axis=0)
        lim = np.abs(mean_map).max() or 1
        ax.imshow(mean_map, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_title(ds.classes[c], fontsize=9); ax.set_xticks([]); ax.set_yticks([])
plt.suptitle("mean CAM of each class over its own test patches (GAP network, last-layer resolution)"); plt.show()

# %% [markdown]
# ## 6. A sanity check for saliency-style pictures
#
# Every picture in this lesson could be produced by a network that learned nothing. A quick test
# (Adebayo et al., 2018): draw the same picture for an *untrained* copy of the network. If it
# looks the same, the picture shows the input or the architecture, not what was learned.

# %%
untrained = models.create("gap-cnn", n_classes=len(ds.classes))
cam_rand, _ = interpret.class_activation_map(untrained, x, int(test.y[k]))
corr = np.corrcoef(cam_rand.ravel(), cam_true.ravel())[0, 1]
fig, axes = plt.subplots(1, 2, figsize=(16, 3))
interpret.plot_overlay(x_raw, cam_true, ax=axes[0], title="trained GAP network", cmap="RdBu_r", symmetric=True)
interpret.plot_overlay(x_raw, cam_rand, ax=axes[1], title="untrained GAP network (same architecture)", cmap="RdBu_r", symmetric=True)
plt.show()
print(f"correlation between the two maps: {corr:+.2f}")

# %% [markdown]
# ## 7. Written question
#
# ### Question (4 points) — what did the pictures explain?
#
# In 6–10 sentences: (a) for one of the tools of this lesson (activation mask, deconvolution, CAM),
# say precisely what the picture or the sound shows and what it does *not* show about *why* the
# network chose its class; (b) auralisation goes through mel inversion and Griffin-Lim — name two
# things you hear that come from that trip and not from the network; (c) the masked and GAP
# networks trade accuracy (or training time) for interpretability: using your accuracy table and the
# seed's (68.2 / 69.9 / 68.1 % on GTZAN), say whether you would pay that price for a dance
# classifier and why.

# %% [answer] what_pictures_explain 4
# ### BEGIN SOLUTION
# **Model answer.** (a) A CAM shows, for one patch, where the weighted sum of the last layer's
# maps is large for a class; because the GAP logit is exactly the map's average plus a bias, it is
# a faithful *decomposition of the logit over positions* — but it does not say *what* at that
# position the network responded to (an onset, a timbre, silence), nor how the class compares with
# the others, nor that the network would change its mind if that region changed; and at the last
# layer's resolution (here 1/8 of the input) it is coarse. (Equivalent answers for masks: a conv-1
# mask shows which bins one low-level filter responds to, not whether the decision used them; for
# deconvolution: the input pattern a unit's activation is built from, approximated through
# unpooling without switches and ignoring the ReLU's dependence on the forward pass.) (b) The
# mel inversion smears each band over its FFT bins (muffled, "underwater" timbre, lost pitch
# precision, especially above a few kHz), and Griffin-Lim's estimated phases give phasiness /
# metallic or reverberant artefacts and smeared onsets; binary masks add gating clicks. None of
# this is the network. (c) On our data the vanilla model trains fastest and reaches the best test
# accuracy in 10 epochs; on GTZAN the three tie within 2 points. For a dance classifier whose
# classes depend on tempo and rhythm, a GAP network's CAMs showing beat-aligned evidence would be
# worth a small accuracy loss if the model is used where explanations matter (e.g. checking that it
# does not rely on a recording artefact); for pure accuracy, the vanilla model — any reasoned
# position that uses the numbers earns the point.
#
# **Rubric (4 points).** 2 points for (a): one point for what the tool shows (correctly, e.g. CAM
# = logit decomposed over positions), one for a real limitation (not what feature/why, resolution,
# approximation in deconvolution, not causal). 1 point for (b): two artefacts of the inversion
# (mel smearing, phase/Griffin-Lim, mask clicks). 1 point for (c): a position argued with the
# measured accuracies or training effort.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * Three small CNNs on 3-s log-mel patches: vanilla (2 conv + 2 dense), masked (elliptical mask
#   on conv2 around each map's maximum), GAP (3 conv + global average pooling + 1 dense).
# * **Activation masks**: a conv-1 ReLU map, normalised or thresholded, multiplied with the input.
# * **Auralisation**: $S = (10^L - 1)/C$, mel inversion by non-negative least squares, Griffin-Lim —
#   the artefacts are the pipeline's, not the network's.
# * **Deconvolution**: ReLU, unpool (upsample), convolve with flipped, channel-swapped filters =
#   transposed convolution, layer by layer down to the input.
# * **CAM**: $\mathrm{CAM}_c = \sum_k w_{ck} A_k$, exact for a GAP network because the logit is its
#   mean plus a bias.
# * Check every picture against an untrained network before believing it.
#
# ## Going further
#
# * J. Ren, D. Moon, C. Guo, "Interpreting music genre classification in CNNs" (seed 001).
# * K. Choi, G. Fazekas, M. Sandler, "Explaining deep convolutional neural networks on music
#   classification" (2016) — auralisation of deconvolved spectrograms.
# * M. Zeiler and R. Fergus, "Visualizing and understanding convolutional networks" (ECCV 2014).
# * B. Zhou et al., "Learning deep features for discriminative localization" (CVPR 2016) — CAM.
# * Q. Zhang, Y. N. Wu, S.-C. Zhu, "Interpretable convolutional neural networks" (CVPR 2018) — the
#   masks.
# * J. Adebayo et al., "Sanity checks for saliency maps" (NeurIPS 2018).
# * Try it: `interpret.saliency(vanilla, x, int(test.y[k]))` gives gradient maps for these networks
#   too; train on GTZAN if you have it (`GTZAN_ROOT`), or for 30 epochs on a GPU
#   (`mmteach.device()` picks it), and compare the CAMs of genres with the seed's figures.
#
# **Next:** lesson 11, the project: design, train and interpret a musically motivated model.
