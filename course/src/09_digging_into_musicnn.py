# %% [markdown]
# # Lesson 09 — Digging into MusiCNN
#
# In lesson 08 you rebuilt MusiCNN and checked that, with the original weights, it tags music
# exactly as the published model does. A tagger that works is not yet a tagger we *understand*.
# What does the network actually measure in the sound? Bob Sturm's blog series "Digging into
# MusiCNN" (seed 000) answers that for the first stage of the model trained on the Million Song
# Dataset (MSD), one unit at a time — and finds that most of the front end does nothing at all.
# In this lesson you redo that analysis yourself from the real weights, check every number the
# blog gives, and see where the weights say something slightly different.
#
# **Prerequisites:** lesson 03 (correlation vs convolution, "same" padding), lesson 08 (MusiCNN's
# front end, mid-end, back end; batch norm).
#
# **Time:** about 75 minutes. The notebook runs in well under a minute on a laptop CPU.
#
# ## Learning objectives
#
# After this lesson you can
#
# 1. compute MusiCNN's front-end matrix $\mathbf{U}$ (561 × 187) for a clip and say which block of
#    kernels every row comes from;
# 2. tell *live* units (their row depends on the input) from *dead* ones, both from the weights
#    and from responses to real clips;
# 3. follow one unit end to end — kernel, bias, ReLU, batch norm written as an affine map, max over
#    frequency — and recompute its row of $\mathbf{U}$ by hand;
# 4. rank kernels by their Frobenius norm and compare what two trainings (MSD and MagnaTagATune)
#    kept alive;
# 5. read a gradient (saliency) map of a tag, and say what it does and does not explain.

# %% [locked] setup
import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Audio, display

from mmteach import audio, checks, interpret, pick, quick_mode, seed_everything
from mmteach.pretrained import load_musicnn

QUICK = quick_mode()          # read once (this lesson is fast in both modes)
seed_everything(0)
msd = load_musicnn("MSD_musicnn")     # trained on the Million Song Dataset (Sturm's model)
mtt = load_musicnn("MTT_musicnn")     # trained on MagnaTagATune
SR = audio.MUSICNN_SR                 # 16 kHz

# %% [markdown]
# ## 1. The front end produces a 561 × 187 matrix
#
# MusiCNN's input is a 3-s patch of log-mel spectrogram, 96 mel bands × 187 frames (one frame every
# 256 samples at 16 kHz, i.e. 16 ms). After one batch norm of the whole input (a single scale and
# shift), the front end applies five blocks of kernels in parallel. Sturm writes their sizes as
# frequency × time; we do the same:
#
# | block | kernel | units | rows of U | what it spans |
# | --- | --- | --- | --- | --- |
# | timbral `f74` | 38 × 7 | 204 | 0–203 | 38 mel bands (int(0.4·96)) over 7 frames (112 ms) |
# | timbral `f77` | 67 × 7 | 204 | 204–407 | 67 bands (int(0.7·96)) over 7 frames |
# | temporal `s1` | 1 × 128 | 51 | 408–458 | one band over 128 frames (2 s) |
# | temporal `s2` | 1 × 64 | 51 | 459–509 | one band over 64 frames (1 s) |
# | temporal `s3` | 1 × 32 | 51 | 510–560 | one band over 32 frames (0.5 s) |
#
# Unit $k$ correlates its kernel $\mathbf{w}_k$ with the normalised input $\hat{\mathbf{X}}$ at every
# frequency position $m$ the kernel fits ("valid": $96 - k_f + 1$ positions) and every frame $n$
# ("same": zero-padded in time), adds its bias, rectifies, and is then batch-normalised:
#
# $$\mathbf{Y}_k = \mathrm{ReLU}(\mathbf{w}_k \star \hat{\mathbf{X}} + b_k), \qquad
#   \hat{\mathbf{Y}}_k = s_k\,\mathbf{Y}_k + t_k, \qquad
#   [\mathbf{U}]_{k,n} = \max_m\, [\hat{\mathbf{Y}}_k]_{m,n}.$$
#
# The max over frequency turns each unit's 2-D map into one time series of 187 values: row $k$ of
# $\mathbf{U}$. Stacking the five blocks, bottom to top, gives the 561 × 187 matrix that the rest
# of the network sees — nothing else about the audio reaches the tags.
#
# Let us listen to a short band arrangement (rendered from the course's sound font) and compute
# $\mathbf{U}$ for its first 3 s.

# %%
band = audio.example_sound("band", SR)
patch = audio.musicnn_patches(band, SR)[0]            # (96, 187) log-mel, the model's input
display(Audio(band, rate=SR))
fm = interpret.frontend_matrix(msd, patch)             # U and its block boundaries
print("U:", fm.U.shape, "| blocks:", [(b.label, b.start, b.stop - 1) for b in fm.blocks])
fig, axes = plt.subplots(1, 2, figsize=(15, 4.5), gridspec_kw=dict(width_ratios=[1, 1.4]))
audio.plot_spectrogram(patch, SR, audio.MUSICNN_HOP, ax=axes[0], title="input: log-mel patch")
fm.plot(ax=axes[1], title="U for MusiCNN trained on MSD")
plt.tight_layout(); plt.show()

# %% [markdown]
# Most of the image is one flat colour. Many rows look identical from the first frame to the last.
# A row that is the same for *every* input carries no information about the music: whatever the
# mid-end does with it, it acts like a constant. How many rows are like that?
#
# A single clip cannot tell: a unit might stay silent on this clip but fire on another. So we
# compute $\mathbf{U}$ for several different clips and call a row **live** when its values change —
# over time or from clip to clip — by more than a tolerance.

# %%
names = ["piano", "flute", "drums", "band", "clicks60", "sweep"]
clips = np.stack([audio.musicnn_patches(audio.example_sound(n, SR), SR)[0] for n in names])
U_msd = interpret.frontend_matrix(msd, clips).U        # (6, 561, 187): one U per clip
print("clips:", clips.shape, "→ U for each:", U_msd.shape)

# %% [markdown]
# ### Exercise 1 (2 points) — which rows depend on the input?
#
# Write `live_rows(U, tol=0.05)`. `U` has shape `(n_clips, n_rows, n_frames)`. For each row, take
# the largest minus the smallest value over all clips and all frames; return the **sorted** integer
# indices (a numpy array) of the rows where that range is larger than `tol`.

# %% [solution] live_rows
def live_rows(U, tol=0.05):
    """Indices (sorted) of rows of U (n_clips, n_rows, n_frames) whose range over clips and frames exceeds tol."""
    U = np.asarray(U, dtype=float)
    ### BEGIN SOLUTION
    spread = U.max(axis=(0, 2)) - U.min(axis=(0, 2))
    return np.flatnonzero(spread > tol)
    ### END SOLUTION

# %% [test] live_rows_check 2
_U = np.zeros((3, 4, 10))
_U[:, 1] = 2.5                       # constant but not zero: not live
_U[2, 2, 5] = 0.3                    # moves in one clip only: live
_U[:, 3] = np.linspace(0, 1, 10)     # moves in time: live
checks.equal(np.asarray(checks.call(live_rows, _U)).tolist(), [2, 3], name="live_rows(small example)",
             hint="range = max − min over axes 0 (clips) and 2 (frames); compare with tol")
checks.equal(len(checks.call(live_rows, U_msd)), 62, name="number of live rows of U for MSD_musicnn",
             hint="take max and min over clips and frames, not over rows")
checks.passed("live_rows finds the rows of U that depend on the input")
### BEGIN HIDDEN TESTS
_r = np.random.default_rng(1)
_V = _r.standard_normal((4, 30, 12)) * (_r.random(30) > 0.5)[None, :, None]
checks.equal(np.asarray(checks.call(live_rows, _V, 0.5)).tolist(),
             interpret.live_units_from_responses.__wrapped__(_V, 0.5).tolist(), name="live_rows(random, tol=0.5)")
checks.equal(np.asarray(checks.call(live_rows, _U, 0.5)).tolist(), [3], name="live_rows(tol=0.5)")
### END HIDDEN TESTS

# %% [markdown]
# Compare with the blog: *"Of these rows, 499 are unrelated to the input to MusiCNN, and
# effectively zero. The other 62 rows are related to the input."* We find the same **62 live
# rows**. The weights tell the same story without any audio: a dead row's kernel is (numerically)
# all zeros, so its output is $s_k\,\mathrm{ReLU}(b_k) + t_k$ for every input. Here are the
# Frobenius norms $\lVert\mathbf{w}_k\rVert_F = \sqrt{\sum_{ij} w_{k,ij}^2}$ of all 561 kernels,
# and the live units per block from both criteria.

# %%
my_live_rows = checks.use_yours(live_rows, interpret.live_units_from_responses, U_msd)
live_resp = np.asarray(my_live_rows(U_msd))
norms = interpret.kernel_norms(msd)
live_w = interpret.live_units_from_weights(msd)          # ‖w‖_F > 0.01
print(f"live from responses: {len(live_resp)}, from weights: {len(live_w)}, same rows: {np.array_equal(live_resp, live_w)}")
for b in fm.blocks:
    print(f"  {b.label:>6}: {np.sum((live_w >= b.start) & (live_w < b.stop)):3d} live of {b.n_units}")
dead = np.setdiff1d(np.arange(561), live_w)
print(f"dead rows: {len(dead)}; largest |U| on a dead row over the 6 clips: {np.abs(U_msd[:, dead]).max():.4f}")
fig, ax = plt.subplots(figsize=(12, 2.8))
ax.semilogy(np.maximum(norms, 1e-12), ".", ms=3)
for b in fm.blocks:
    ax.axvline(b.start - 0.5, color="gray", lw=0.6); ax.text(b.start + 2, 2, b.label, fontsize=8)
ax.axhline(0.01, color="C3", ls="--", lw=0.8, label="tolerance 0.01")
ax.set_xlabel("row of U (unit)"); ax.set_ylabel("‖w‖_F"); ax.legend(); plt.show()

# %% [markdown]
# The norms split cleanly: 62 kernels with norms from about 0.09 to 1.3, and 499 below 0.01 — all
# but two of them below 10⁻⁵, many exactly 0. Training with ReLU units can do this: once a unit's pre-activation is
# negative for every training example its gradient is zero, so the data stops updating it, and
# weight decay or batch-norm dynamics push what is left towards zero. MSD's 62 live units are split
# 22 / 14 / 3 / 6 / 17 over the blocks 38×7, 67×7, 1×128, 1×64, 1×32 — again as Sturm reports
# ("the 22 non-trivial filters having kernels of size 38×7"). The first live row from the bottom is
# **row 12**.
#
# A word on **indexing**, because "unit 12" could mean two things. Sturm counts from 0 and from the
# bottom block (38×7), which is the block the original code creates first (`f74`, TensorFlow
# variable `conv2d/kernel`, shape `[7, 38, 1, 204]` = time × frequency × in × out). Row 12 of U is
# therefore filter index 12 of that variable. Counting from 1, "unit 12" would be index 11 — a dead
# unit; only the 0-based reading makes it the first non-trivial row, as the blog says.
#
# ## 2. One unit end to end: unit 12
#
# `interpret.unit` collects what the weights say about one row:

# %%
u12 = interpret.unit(msd, 12)
print(u12)
print(f"bias b = {u12.bias:.5f}; batch norm: gamma = {u12.gamma:.5f}, beta = {u12.beta:.5f}, "
      f"moving mean = {u12.moving_mean:.5f}, moving var = {u12.moving_var:.6f}, eps = {u12.eps}")
fig, ax = plt.subplots(figsize=(2.6, 4.5))
interpret.plot_kernel(u12.kernel, ax=ax, title="unit 12: kernel (38 × 7)")
plt.show()

# %% [markdown]
# The kernel is drawn as the framework uses it: PyTorch and TensorFlow compute a *correlation*
# (lesson 03), so the picture is the pattern the unit looks for in the spectrogram, lowest band of
# the 38-band window at the bottom, earliest frame on the left. As a convolution kernel, i.e. an
# impulse response, it would be this picture flipped in both axes — that is why the blog shows it
# "flipped and reversed". Its values range from −0.20 to 0.38, the blog's colour scale.
#
# **Batch norm as an affine map.** At inference, batch norm uses the moving statistics learned in
# training, so for each unit it is just a straight line:
#
# $$\mathrm{BN}(y) = \gamma\,\frac{y - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta
#   = \underbrace{\frac{\gamma}{\sqrt{\sigma^2+\varepsilon}}}_{s}\; y \;+\;
#     \underbrace{\Bigl(\beta - \frac{\gamma\,\mu}{\sqrt{\sigma^2+\varepsilon}}\Bigr)}_{t},$$
#
# with $\varepsilon = 10^{-3}$, TensorFlow's default, which MusiCNN uses.
#
# ### Exercise 2 (2 points) — batch norm as $y \mapsto s\,y + t$
#
# Write `bn_affine(gamma, beta, mean, var, eps=1e-3)` that returns the tuple `(scale, shift)`.
# It must work elementwise on numpy arrays of one shape as well as on plain floats.

# %% [solution] bn_affine
def bn_affine(gamma, beta, mean, var, eps=1e-3):
    """Batch norm at inference as y -> scale * y + shift; returns (scale, shift)."""
    gamma, beta, mean, var = (np.asarray(a, dtype=float) for a in (gamma, beta, mean, var))
    ### BEGIN SOLUTION
    scale = gamma / np.sqrt(var + eps)
    shift = beta - mean * scale
    return scale, shift
    ### END SOLUTION

# %% [test] bn_affine_check 2
_s, _t = checks.call(bn_affine, 2.0, 1.0, 3.0, 4.0 - 1e-3)
checks.close(_s, 1.0, name="scale for gamma=2, var+eps=4"); checks.close(_t, -2.0, name="shift (beta − mean·scale)")
_bn = torch.nn.BatchNorm1d(4, eps=1e-3).eval()
with torch.no_grad():
    _bn.weight.copy_(torch.tensor([0.5, -1.0, 2.0, 1.0])); _bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3, 0.0]))
    _bn.running_mean.copy_(torch.tensor([1.0, -2.0, 0.5, 0.0])); _bn.running_var.copy_(torch.tensor([0.25, 4.0, 0.01, 1.0]))
_y = torch.randn(6, 4)
_s, _t = checks.call(bn_affine, _bn.weight.detach().numpy(), _bn.bias.detach().numpy(),
                     _bn.running_mean.numpy(), _bn.running_var.numpy())
checks.close(np.asarray(_s) * _y.numpy() + np.asarray(_t), _bn(_y).detach().numpy(), name="s·y + t vs torch BatchNorm",
             atol=1e-5, hint="σ² + ε goes under the square root; the shift uses the mean times the scale")
checks.passed("bn_affine turns batch norm into scale and shift")
### BEGIN HIDDEN TESTS
_s, _t = checks.call(bn_affine, u12.gamma, u12.beta, u12.moving_mean, u12.moving_var)
checks.close(_s, u12.scale, rtol=1e-6); checks.close(_t, u12.shift, rtol=1e-6)
_s, _t = checks.call(bn_affine, 1.0, 0.0, 0.0, 1.0, 0.0)
checks.close(_s, 1.0); checks.close(_t, 0.0)
### END HIDDEN TESTS

# %% [markdown]
# Apply it to unit 12 and compare with the blog's map "$[\hat{\mathbf{Y}}_{12}]_{m,n} = 7.43
# [\mathbf{Y}_{12}]_{m,n} - 3.28$" and bias −0.415:

# %%
my_bn_affine = checks.use_yours(bn_affine, interpret.bn_affine, 2.0, 1.0, 3.0, 4.0)
s12, t12 = my_bn_affine(u12.gamma, u12.beta, u12.moving_mean, u12.moving_var)
s12_no_eps, t12_no_eps = my_bn_affine(u12.gamma, u12.beta, u12.moving_mean, u12.moving_var, 0.0)
print(f"weights, eps = 1e-3 : bias {u12.bias:.4f}, y ↦ {float(s12):.3f}·y {float(t12):+.3f}")
print(f"weights, eps = 0    : bias {u12.bias:.4f}, y ↦ {float(s12_no_eps):.3f}·y {float(t12_no_eps):+.3f}")
print("seed 000 (the blog) : bias -0.415, y ↦ 7.43·y -3.28")

# %% [markdown]
# **What the weights say.** The bias is −0.4158 (the blog's −0.415 is the same number cut after
# three decimals) and the shift is −3.279 ≈ −3.28: both agree. The scale does *not*: the weights
# give **7.327** with the ε = 10⁻³ the model uses, and 7.561 if ε is left out; 7.43 is neither.
# The blog does not show how it was computed (it thanks a colleague for extracting the parameters
# from the TensorFlow model), so we cannot say where the difference comes from — but our value is
# checked in two ways: it makes the step-by-step computation below equal the real network's
# output, and the tests of `mmteach.interpret` pin it. The conclusion the blog draws still holds:
# the scale is positive, so batch norm amplifies and shifts unit 12's output without flipping it,
# and large values of the row mean *strong positive correlation* with the kernel.
#
# ### Exercise 3 (3 points) — recompute a row of U by hand
#
# Write `unit_row(x_bn, kernel, bias, scale, shift)`:
#
# * `x_bn` `(n_mels, T)`: the input after the input batch norm; `kernel` `(kf, kt)`: the
#   correlation pattern (as `u12.kernel`);
# * correlate: for each frequency position $m = 0, \dots, n_\text{mels} - k_f$ ("valid") and each
#   frame $n$, $c[m, n] = \sum_{i,j} \text{kernel}[i, j]\; x[m + i,\; n + j - p]$ where the
#   time axis is zero-padded with $p = (k_t - 1)//2$ zeros before and $k_t - 1 - p$ after
#   ("same", as TensorFlow pads);
# * then $\max_m\,[\,\text{scale}\cdot\mathrm{ReLU}(c[m, n] + \text{bias}) + \text{shift}\,]$,
#   returning shape `(T,)`.
#
# Any numpy or torch building block is fine (`np.pad`, slicing, `torch.nn.functional.conv2d`, …).

# %% [solution] unit_row
def unit_row(x_bn, kernel, bias, scale, shift):
    """Row of U (T,) for one unit: max over freq of scale * ReLU(kernel ⋆ x_bn + bias) + shift."""
    x = np.asarray(x_bn, dtype=float)
    k = np.asarray(kernel, dtype=float)
    ### BEGIN SOLUTION
    kf, kt = k.shape
    p = (kt - 1) // 2
    xp = np.pad(x, ((0, 0), (p, kt - 1 - p)))
    n_pos, T = x.shape[0] - kf + 1, x.shape[1]
    c = np.zeros((n_pos, T))
    for i in range(kf):
        for j in range(kt):
            c += k[i, j] * xp[i:i + n_pos, j:j + T]
    return (scale * np.maximum(c + bias, 0.0) + shift).max(axis=0)
    ### END SOLUTION

# %% [test] unit_row_check 3
x_bn = interpret.input_bn(msd, patch)                  # (96, 187)
_row = checks.call(unit_row, x_bn, u12.kernel, u12.bias, u12.scale, u12.shift)
checks.shape(_row, (187,), name="unit_row(...) for unit 12")
checks.close(_row, fm.U[12], name="your row 12 vs the network's U[12]", atol=1e-3,
             hint="valid in frequency, zero-padded 'same' in time: 3 zeros before and 3 after for 7 frames")
checks.passed("unit_row reproduces row 12 of U")
### BEGIN HIDDEN TESTS
for _r in (15, 218, 420, 462, 519):       # other blocks, incl. even-length temporal kernels
    _u = interpret.unit(msd, _r)
    checks.close(checks.call(unit_row, x_bn, _u.kernel, _u.bias, _u.scale, _u.shift), fm.U[_r], atol=1e-3)
_rng = np.random.default_rng(3)
_x, _k = _rng.standard_normal((10, 9)), _rng.standard_normal((4, 4))
_ = checks.function(unit_row, interpret.unit_row.__wrapped__, [(_x, _k, -0.3, -1.5, 0.2), (_x, _k[:1], 0.1, 2.0, -1.0)], atol=1e-8)
### END HIDDEN TESTS

# %% [markdown]
# Now the unit's whole life on our clip: the kernel, where in frequency its best match lies at
# each frame (red dots, sized by how strongly it fires) overlaid on the spectrogram, and the
# resulting row of U. Where the row is at its floor ($t_{12} = -3.28$) the correlation plus bias
# was negative everywhere in that frame, and the ReLU cut it to 0: the unit is silent. This is the
# ambiguity the blog points out — a small value means "weak correlation" *or* "anti-correlation";
# after the ReLU the two look the same.

# %%
interpret.plot_unit(msd, 12, patch)
plt.show()

# %% [markdown]
# ## 3. Ranking kernels by Frobenius norm
#
# Within one block all kernels see the same input through the same number of weights, so the
# Frobenius norm is a fair first measure of how "big" a kernel is: a kernel with a larger norm
# produces larger correlations for the same input. (It is not a measure of importance for the
# tags — the batch norm scale and the mid-end's weights come after it.)
#
# ### Exercise 4 (2 points) — rank kernels
#
# Write `rank_by_norm(kernels, tol=0.01)`. `kernels` has shape `(n_units, kf, kt)`. Return
# `(order, norms)`: `order` the unit indices sorted by Frobenius norm, **largest first**, keeping
# only kernels with norm > `tol`; `norms` their norms in the same order. Break ties by the smaller
# index first (`np.argsort(..., kind="stable")` on the negated norms does that).

# %% [solution] rank_by_norm
def rank_by_norm(kernels, tol=0.01):
    """(order, norms): units with ||kernel||_F > tol, largest norm first."""
    K = np.asarray(kernels, dtype=float)
    ### BEGIN SOLUTION
    n = np.sqrt((K ** 2).reshape(len(K), -1).sum(axis=1))
    order = np.argsort(-n, kind="stable")
    order = order[n[order] > tol]
    return order, n[order]
    ### END SOLUTION

# %% [test] rank_by_norm_check 2
_k = np.zeros((5, 3, 2)); _k[1] = 1.0; _k[3, 0, 0] = 5.0; _k[4, 2, 1] = -2.0
_order, _norms = checks.call(rank_by_norm, _k)
checks.equal(np.asarray(_order).tolist(), [3, 1, 4], name="order for a small example",
             hint="sort by norm, largest first, and drop kernels with norm <= tol")
checks.close(_norms, np.array([5.0, np.sqrt(6.0), 2.0]), name="norms")
_order38, _ = checks.call(rank_by_norm, interpret.block_kernels(msd, "38x7"))
checks.equal(len(_order38), 22, name="number of non-trivial 38×7 kernels of MSD_musicnn")
checks.passed("rank_by_norm orders the kernels")
### BEGIN HIDDEN TESTS
checks.equal(list(np.asarray(_order38)).index(12) + 1, 7, name="rank of unit 12")
_K = np.random.default_rng(5).standard_normal((20, 1, 32)) * np.linspace(0, 1, 20)[:, None, None]
_o, _n = checks.call(rank_by_norm, _K, 0.5)
_ro, _rn = interpret.rank_kernels.__wrapped__(_K, 0.5)
checks.equal(np.asarray(_o).tolist(), _ro.tolist()); checks.close(_n, _rn)
_o, _ = checks.call(rank_by_norm, np.ones((3, 2, 2)))
checks.equal(np.asarray(_o).tolist(), [0, 1, 2], name="ties keep index order")
### END HIDDEN TESTS

# %% [markdown]
# The blog calls unit 12's kernel the one "with the 7th largest Frobenius norm of the 22
# non-trivial filters having kernels of size 38×7". Check it, and look at the live kernels of the
# two timbral blocks, largest first:

# %%
my_rank = checks.use_yours(rank_by_norm, interpret.rank_kernels, np.ones((2, 2, 2)))
for label in ("38x7", "67x7"):
    order, nrm = my_rank(interpret.block_kernels(msd, label))
    print(f"{label}: {len(order)} live; units by norm: {np.asarray(order).tolist()}")
order38, _ = my_rank(interpret.block_kernels(msd, "38x7"))
print("rank of unit 12 among the 38×7 kernels:", list(np.asarray(order38)).index(12) + 1)
K38 = interpret.block_kernels(msd, "38x7")
fig, axes = plt.subplots(2, 11, figsize=(15, 5.5))
for ax, k in zip(axes.ravel(), np.asarray(order38)):
    lim = np.abs(K38[k]).max()
    ax.imshow(K38[k], aspect="auto", origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_title(f"unit {k}", fontsize=8); ax.set_xticks([]); ax.set_yticks([])
fig.suptitle("MSD_musicnn: the 22 live 38×7 kernels, largest Frobenius norm first (red +, blue −)")
plt.show()

# %% [markdown]
# The temporal kernels are easier to read as curves. A kernel that alternates in sign at a fixed
# period responds to a periodic pattern in one band (a pulse); a kernel with a step responds to
# onsets or offsets.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 2.8))
for ax, label in zip(axes, ("1x128", "1x64", "1x32")):
    K = interpret.block_kernels(msd, label)
    order, _ = my_rank(K)
    for k in np.asarray(order)[:3]:
        ax.plot(K[k, 0], label=f"unit {k}")
    ax.set_title(f"{label.replace('x', '×')}: the 3 largest live kernels"); ax.set_xlabel("frame"); ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## 4. MSD vs MagnaTagATune
#
# The same architecture trained on MagnaTagATune (MTT) keeps far more of its front end alive:

# %%
U_mtt = interpret.frontend_matrix(mtt, clips).U
live_mtt = np.asarray(my_live_rows(U_mtt))
live_mtt_w = interpret.live_units_from_weights(mtt)
print(f"MTT_musicnn: {len(live_mtt)} live rows from responses, {len(live_mtt_w)} kernels with ‖w‖_F > 0.01")
print(f"{'block':>6} {'MSD':>5} {'MTT':>5}")
for b in fm.blocks:
    n_msd = np.sum((live_resp >= b.start) & (live_resp < b.stop))
    n_mtt = np.sum((live_mtt >= b.start) & (live_mtt < b.stop))
    print(f"{b.label:>6} {n_msd:5d} {n_mtt:5d}")
fig, axes = plt.subplots(1, 2, figsize=(15, 4.5))
interpret.plot_frontend_matrix(fm, ax=axes[0], title="U, MSD_musicnn")
interpret.plot_frontend_matrix(interpret.frontend_matrix(mtt, patch), ax=axes[1], title="U, MTT_musicnn")
plt.tight_layout(); plt.show()

# %% [markdown]
# About 184 of 561 units are live for MTT (the exact count depends a little on the tolerance:
# between 182 and 204 for tolerances from 0.1 down to 0.01, because MTT has more kernels with
# small but non-zero norms) against 62 for MSD. Both were trained with the same recipe, so the
# training data and the run decided how much of the front end survived — a warning against
# reading a network's architecture as a description of what it uses.
#
# ## 5. The mid-end: which rows of U does it read?
#
# The first mid-end layer (Sturm's CNN_2) has 64 kernels of size 561 × 7: each weighs every row of
# U over 7 frames. For kernel $j$ and row $i$, the norm of its 7 weights says how strongly $j$
# reads row $i$. Weights on a *dead* row multiply a constant, so they only add a constant — in
# effect part of the bias (except in the first and last 3 frames, where the zero padding cuts the
# constant short); only weights on the 62 live rows let the music in.

# %%
W1 = interpret.midend_input_weights(msd, layer=1)      # (64, 561)
k_live = np.flatnonzero(np.sqrt((W1 ** 2).sum(axis=1)) > 0.01)      # non-trivial mid-end kernels
share_live = W1[k_live][:, live_w].sum(axis=1) / W1[k_live].sum(axis=1)
print(f"{len(k_live)} of 64 first mid-end kernels are non-trivial; the share of their weight (norm) "
      f"on the 62 live rows: median {np.median(share_live):.2f}, range {share_live.min():.2f}–{share_live.max():.2f}")
for j in np.argsort(-W1[:, live_w].sum(axis=1))[:3]:
    top = [(r, d, w) for r, d, w in interpret.top_inputs(msd, int(j), n=40) if r in set(live_w)][:4]
    print(f"kernel {j}: strongest live inputs", [d for _, d, _ in top])
for layer in (1, 2, 3):
    w = getattr(msd.midend, f"conv{layer}").weight.detach().numpy()
    n_live_k = int((np.sqrt((w ** 2).reshape(64, -1).sum(1)) > 0.01).sum())
    w_t = getattr(mtt.midend, f"conv{layer}").weight.detach().numpy()
    n_live_t = int((np.sqrt((w_t ** 2).reshape(64, -1).sum(1)) > 0.01).sum())
    print(f"mid-end layer {layer} (Sturm's CNN_{layer + 1}): non-trivial kernels MSD {n_live_k}/64, MTT {n_live_t}/64")
fig, ax = plt.subplots(figsize=(12, 3))
ax.imshow(np.log10(W1[:, live_w] + 1e-6), aspect="auto", cmap="viridis")
ax.set_xlabel("live row of U (in order)"); ax.set_ylabel("mid-end kernel"); ax.set_title("log10 weight norm, live rows only")
plt.show()

# %% [markdown]
# The dying spreads: only **20 of the 64** kernels of MSD's first mid-end layer (21 for MTT) have a
# non-zero norm, and those put essentially all their weight (over 99.9 % of it) on the 62 live rows
# of U: training zeroed the weights on dead rows too, so the mid-end "knows" which rows are
# constant. For the last mid-end layer (CNN_4) the blog reports "all 64 kernels are non-trivial
# for MTT CNN_4, and all but one of 64 for MSD CNN_4" — the weights agree: 64 and 63. (Residual
# connections keep the later layers' inputs alive even where a layer's own kernels died.)
#
# ## 6. Saliency: which input bins move a tag?
#
# The analysis above reads the weights forward. A complementary view asks backwards: if a bin of
# the input spectrogram rose a little, how much would a tag's logit change? That is the gradient
# $\partial z_\text{tag} / \partial \mathbf{X}$, a *saliency map*, computed by one backward pass.

# %%
top_tag = max(zip(msd.tags, torch.sigmoid(msd(torch.from_numpy(patch)[None]))[0].tolist()), key=lambda p: p[1])
print("most likely MSD tag for this patch:", top_tag)
sal = interpret.saliency(msd, patch, top_tag[0])
lim = np.abs(sal).max()
fig, axes = plt.subplots(1, 2, figsize=(15, 3.5))
audio.plot_spectrogram(patch, SR, audio.MUSICNN_HOP, ax=axes[0], title="input")
im = axes[1].imshow(sal, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
axes[1].set_title(f"saliency of '{top_tag[0]}' (red: raising the bin raises the tag)"); axes[1].set_xlabel("frame")
fig.colorbar(im, ax=axes[1]); plt.show()

# %% [markdown]
# A gradient is *local*: it describes the network around this one input, not what the unit or tag
# "means", and because of the ReLUs and the max over frequency only bins that won a max somewhere
# get any gradient at all. Use it together with the unit-by-unit reading, not instead of it.
#
# ## 7. Explore the units yourself
#
# Pick a live unit from the list and see its kernel, parameters and response on the clip. (In a
# non-interactive run, such as grading, the first unit is drawn once.) Try the temporal units of
# block 1×32 on the drum clip: `interpret.unit_explorer(msd, clips[2])`.

# %%
explorer = interpret.unit_explorer(msd, patch)
display(explorer)

# %% [markdown]
# ## 8. Written question
#
# ### Question (4 points) — what does U tell us about MusiCNN (MSD)?
#
# In 6–10 sentences: (a) explain in words what a large value of row 12 of U at frame $n$ means
# about the input, and why a value at the floor (−3.28) is ambiguous; (b) say what the 499 dead
# rows imply for everything downstream of the front end (mid-end, tags), and whether they could be
# removed without changing any output; (c) compare MSD's 62 live units with MTT's ~184 and give
# one reason why "what the network uses" should be read from the trained weights, not from the
# architecture diagram.

# %% [answer] interpret_u 4
# ### BEGIN SOLUTION
# **Model answer.** (a) $[\mathbf{U}]_{12,n}$ is the maximum over the 59 possible positions of a
# 38-band window of the batch-normalised, rectified correlation between the kernel and the
# (normalised) log-mel patch around frame $n$. A large value means that somewhere in frequency the
# spectrogram around frame $n$ looks strongly like the kernel's pattern (positive scale 7.33, so no
# flip). At the floor, $-3.28 = s\cdot 0 + t$, the ReLU output was 0 at every position: the
# correlation plus bias (−0.416) was negative — the pattern is weak, absent, *or* the input is
# anti-correlated with it; after the ReLU these cases cannot be told apart. (b) The dead rows are
# constants, identical for every input, so the mid-end receives only 62 informative time series:
# every tag MusiCNN (MSD) outputs is a function of these 62 rows. The dead rows' mid-end weights
# multiply constants and act as extra bias (exactly so away from the first and last 3 frames,
# where the mid-end's zero padding makes the constant's contribution differ); they could be
# removed by folding that constant into the mid-end biases (with care at the edges) without
# changing the outputs, making the front end ~9× smaller. (c) MTT keeps ~184 units alive with the
# same architecture and recipe, so the number of useful units is decided by data and training, not
# by the design; the architecture says what the network *could* use, only the trained weights (and
# responses) say what it does use — e.g. MSD ignores most of its 67×7 and 1×128 filters.
#
# **Rubric (4 points).** 1 point: (a) large value = strong correlation of the kernel with the
# spectrogram at some frequency position, positive scale so no flip. 1 point: (a) floor = ReLU
# zero, ambiguity between weak and anti-correlated. 1 point: (b) dead rows are constant so all
# outputs depend on 62 rows; they can be folded into biases / pruned (edges caveat not required).
# 1 point: (c) comparison with MTT and the weights-vs-architecture argument. Half points for a
# correct claim without the reason.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * MusiCNN's front end maps a 3-s log-mel patch to $\mathbf{U}$ (561 × 187): each row is a unit's
#   batch-normalised, rectified correlation with the input, maxed over frequency.
# * For MSD_musicnn only **62 rows** depend on the input (22 / 14 / 3 / 6 / 17 per block); the other
#   499 kernels are numerically zero and their rows constant — found both from the weights
#   ($\lVert\mathbf{w}\rVert_F > 0.01$) and from responses to six different clips. MTT_musicnn keeps
#   about 184 alive.
# * Unit 12 (0-based, bottom block 38×7): kernel range −0.20…0.38, bias −0.416, batch norm
#   $y \mapsto 7.327\,y - 3.279$ (ε = 10⁻³), 7th largest norm of the 22 live 38×7 kernels. The blog
#   prints 7.43 for the scale; the weights give 7.33 (7.56 without ε).
# * Batch norm at inference is an affine map per unit; a positive scale keeps the meaning
#   "large = strongly correlated".
# * Gradients (saliency) are a local, complementary view.
#
# ## Going further
#
# * B. L. Sturm, "Digging into MusiCNN" (blog series, 2022; seed 000 is part 9) — the mid-end
#   (parts 10–12) read the same way.
# * J. Pons and X. Serra, "musicnn: pre-trained convolutional neural networks for music audio
#   tagging" (ISMIR LBD 2019) — the model and its training.
# * K. Simonyan, A. Vedaldi, A. Zisserman, "Deep inside convolutional networks" (2014) — saliency.
# * Try it: fold the dead rows into the mid-end bias (`interpret.unit(msd, r).constant_output`
#   gives each dead row's value) and check on several clips that the tags do not change except for
#   tiny edge effects; run `interpret.unit_explorer` on a real recording of your own
#   (`audio.load(path)` → `audio.musicnn_patches`).
#
# **Next:** lesson 10 trains small CNNs and makes them visible and audible — activation masks,
# deconvolution, auralisation and class activation maps.
