# %% [markdown]
# # Lesson 08 — MusiCNN, rebuilt block by block
#
# MusiCNN (Pons and Serra, 2019) is a music tagger whose design reads like a music-theory lecture:
# its first layer has filters shaped like *timbre* (tall in frequency, short in time) and filters
# shaped like *rhythm* (one mel band high, up to two seconds long); a small stack of 1-D
# convolutions then combines these into higher-level cues; and a pooled summary feeds a classifier
# of 50 tags. Its authors published the trained weights, but in TensorFlow 1 — a framework most
# of us can no longer install. In this lesson you rebuild the network in PyTorch from its
# description, read the original checkpoint file byte by byte, and prove that your network
# computes *the same numbers* as the original did. Then you let it listen to music.
#
# Reproducing a published model exactly is a core research skill: it is how you find out whether
# a paper's result is real, and it teaches you every detail that a paper's prose leaves out.
#
# **Prerequisites:** lesson 03 (convolution, padding, pooling, counting parameters) and lesson 04
# (timbral and temporal filters). Lesson 07 (multi-label tagging) helps.
#
# **Time:** about 2 hours. The notebook runs top to bottom in a few minutes on a laptop CPU.
#
# ## Learning objectives
#
# After this lesson you can
#
# 1. describe MusiCNN's front-end, mid-end and back-end, with the shape of the data after each;
# 2. implement TensorFlow's "same" padding, and the timbral and temporal front-end blocks in the
#    exact order conv → ReLU → batch norm → max over frequency;
# 3. implement the mid-end's residual, densely connected 1-D convolutions and the back-end's
#    interleaved max/mean pooling;
# 4. read a TensorFlow checkpoint without TensorFlow, count its parameters and convert its kernels to
#    PyTorch's layout;
# 5. verify a port numerically against the original's outputs, and use the pretrained tagger
#    to compute and read taggrams.
#
# **How this notebook works.** Cells marked *Exercise* ask you to replace
# `raise NotImplementedError()` with your code; the next cell checks your answer (✓ when it
# passes). Where an exercise is unfinished, later cells use the course library's version and say so.

# %% [locked] setup
import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
from IPython.display import Audio, display

from mmteach import checks, pick, quick_mode, seed_everything
from mmteach import models, pretrained
from mmteach.models import musicnn as mn
from mmteach.tfcheckpoint import read_checkpoint, read_index

QUICK = quick_mode()          # read once (quick mode: CI and grading)
seed_everything(0)
torch.set_grad_enabled(False)  # this lesson only runs networks forward
print("quick mode" if QUICK else "normal mode")

# %% [markdown]
# ## 1. The reference: what the original computed
#
# To know that a reconstruction is right we need the original's answers. We ran the original
# `musicnn` package (version 0.1.0, TensorFlow 2.15) once, on 6 seconds of synthesised music, and
# stored its input and its intermediate outputs with the course (the script that did it is
# `scripts/make_musicnn_fixtures.py`). Listen to the clip, and look at the input the original fed its
# network: two patches of 96 mel bands × 187 frames (3 s each at 16 ms per frame), computed as
# $\log_{10}(1 + 10\,000 \cdot \text{mel power})$ — the pipeline of lesson 02.

# %%
ref = pretrained.original_reference("MTT_musicnn")
display(Audio(ref["audio"], rate=ref["sr"]))
x_ref = torch.from_numpy(ref["x"])                  # (2 patches, 96 mel bands, 187 frames)
fig, axes = plt.subplots(1, 2, figsize=(11, 2.8), sharey=True)
for i, ax in enumerate(axes):
    ax.imshow(ref["x"][i], origin="lower", aspect="auto", cmap="magma")
    ax.set(title=f"patch {i}: log-mel input", xlabel="frame (16 ms)")
axes[0].set_ylabel("mel band")
plt.tight_layout(); plt.show()
print("input", tuple(x_ref.shape), "| original's taggram", ref["taggram"].shape)

# %% [markdown]
# ## 2. The architecture at a glance
#
# Shapes for one patch ($T = 187$ frames, $F = 96$ mel bands):
#
# | stage | operation | output |
# |---|---|---|
# | input BN | one batch norm over the whole spectrogram (a single $\gamma, \beta, \mu, \sigma^2$) | $T \times F$ |
# | timbral f74, f77 | 204 filters of 7 × 38 and 204 of 7 × 67 (time × frequency); zero pad 3/3 in time, "valid" in frequency; ReLU; BN; max over frequency | $408 \times T$ |
# | temporal s1, s2, s3 | 51 filters each of 128 × 1, 64 × 1, 32 × 1, on every mel band; TF "same" padding; ReLU; BN; max over frequency | $153 \times T$ |
# | front-end | concatenate f74, f77, s1, s2, s3 | $561 \times T$ |
# | mid-end | three 1-D convs of 64 filters, width 7 (pad 3/3), each ReLU then BN; residual sums; concatenate with the front-end | $753 \times T$ |
# | back-end | max and mean over time, **interleaved**; BN; dropout 0.5; dense 200 + ReLU; BN; dropout 0.5; dense 50 | 50 logits |
#
# Two things recur everywhere. **Every block is conv → ReLU → batch norm**, in that order (many
# networks do conv → BN → ReLU; MusiCNN does not). And **batch norm at inference** is a fixed
# affine map per channel $c$, using the statistics $\mu_c, \sigma^2_c$ stored during training:
#
# $$ \operatorname{BN}(v)_c = \gamma_c \, \frac{v_c - \mu_c}{\sqrt{\sigma_c^2 + \varepsilon}} + \beta_c,
#    \qquad \varepsilon = 10^{-3} \text{ (TensorFlow's default, not PyTorch's } 10^{-5}). $$
#
# The library's `MusiCNN` class is this table in code; open `mmteach/models/musicnn.py` next to
# this notebook. We load it with the original weights now, so that each exercise can run *your*
# block with the *trained* filters and compare with the original's output.

# %%
model = pretrained.load_musicnn("MTT_musicnn")
print(model.frontend.f74.conv, "|", model.frontend.s1.conv, "|", model.midend.conv1, "|", model.backend.dense)
# The batch-normalised input, laid out (batch, 1, time, frequency) like TensorFlow's image
# (height = time, width = frequency); the blocks below take this layout.
x_bn = model.frontend.input_bn(x_ref.transpose(1, 2).unsqueeze(1))
print("normalised input:", tuple(x_bn.shape))

# %% [markdown]
# ## 3. "Same" padding, TensorFlow's way
#
# A convolution with a kernel of length $k$ over $T$ frames gives $T - k + 1$ outputs ("valid").
# To keep $T$ outputs ("same"), pad $k - 1$ zeros in total. For odd $k$ that is $(k-1)/2$ on each
# side. For even $k$ it cannot be split evenly, and frameworks must choose: **TensorFlow puts the
# extra zero at the end**, so a 128-frame kernel gets 63 zeros before and 64 after,
#
# $$ p_\text{before} = \left\lfloor \frac{k-1}{2} \right\rfloor, \qquad p_\text{after} = (k - 1) - p_\text{before}. $$
#
# Get this wrong by one frame and every temporal feature of the port is shifted by 16 ms — small
# enough to look plausible, large enough to change the outputs.

# %% [markdown]
# ### Exercise 1 (1 point) — TensorFlow "same" padding
#
# Write `tf_same_padding(kernel_size)` returning the tuple `(before, after)` for stride 1.

# %% [solution] tf_same_padding
def tf_same_padding(kernel_size):
    """(zeros before, zeros after) that keep the length, TensorFlow's way (extra zero after)."""
    ### BEGIN SOLUTION
    total = kernel_size - 1
    return total // 2, total - total // 2
    ### END SOLUTION

# %% [test] tf_same_padding_check 1
checks.equal(tuple(checks.call(tf_same_padding, 128)), (63, 64), name="tf_same_padding(128)",
             hint="k - 1 zeros in total; the extra one goes after")
checks.equal(tuple(checks.call(tf_same_padding, 7)), (3, 3), name="tf_same_padding(7)")
checks.passed("same padding as TensorFlow")
### BEGIN HIDDEN TESTS
for k in (1, 2, 32, 64, 65, 129):
    checks.equal(tuple(checks.call(tf_same_padding, k)), mn.same_padding(k), name=f"tf_same_padding({k})")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The timbral blocks
#
# A timbral filter covers 7 frames (112 ms) and a large part of the spectrum: 38 mel bands
# ($\lfloor 0.4 \cdot 96 \rfloor$) or 67 ($\lfloor 0.7 \cdot 96 \rfloor$). It is "valid" in
# frequency, so it fits at $96 - 38 + 1 = 59$ (or 30) positions, and "same" in time thanks to 3
# zeros before and after. After ReLU and BN, the block keeps, for each filter and frame, only the
# **largest response over all frequency positions**: *is this timbre present anywhere in the
# spectrum, at this moment?* — which makes the feature independent of pitch. Written for filter
# $c$ and frame $t$,
#
# $$ u_c(t) = \max_{f} \; \operatorname{BN}_c\Big( \operatorname{relu}\big( b_c + \textstyle\sum_{i=0}^{6}\sum_{j} w_c(i, j)\, \tilde x(t + i - 3, f + j) \big) \Big). $$
#
# ### Exercise 2 (3 points) — a timbral block
#
# Write `timbral_block(x, conv, bn)`: `x` has shape `(B, 1, T, F)` (the normalised input),
# `conv` is an `nn.Conv2d(1, C, (7, f))` and `bn` an `nn.BatchNorm2d(C)`. Pad time with your
# `tf_same_padding(conv.kernel_size[0])` (`F.pad(x, (0, 0, before, after))` pads the second-to-last
# axis), apply `conv`, ReLU, `bn`, and take the max over the frequency axis. Return `(B, C, T)`.
# The check runs it with the original's trained f74 filters and compares with what the original
# computed.

# %% [solution] timbral_block
def timbral_block(x, conv, bn):
    """(B, 1, T, F) -> (B, C, T): pad time, conv, ReLU, BN, max over frequency."""
    ### BEGIN SOLUTION
    before, after = tf_same_padding(conv.kernel_size[0])
    z = bn(F.relu(conv(F.pad(x, (0, 0, before, after)))))
    return z.amax(dim=3)
    ### END SOLUTION

# %% [test] timbral_block_check 3
f74 = model.frontend.f74
got = checks.call(timbral_block, x_bn[:1], f74.conv, f74.bn)
checks.shape(got, (1, 204, 187), name="timbral_block output for one patch",
             hint="(batch, filters, time): did you pad time by 3 + 3 and take the max over the last axis?")
checks.close(got[0], ref["timbral"][:204], name="f74 output vs the original", atol=1e-3, rtol=1e-4,
             hint="order: conv -> ReLU -> BN -> max over frequency")
checks.passed("your timbral block reproduces the original's f74 features")
### BEGIN HIDDEN TESTS
f77 = model.frontend.f77
checks.close(checks.call(timbral_block, x_bn[:1], f77.conv, f77.bn)[0], ref["timbral"][204:], name="f77 vs the original",
             atol=1e-3, rtol=1e-4)
torch.manual_seed(3)
conv_r, bn_r = nn.Conv2d(1, 5, (7, 10)), nn.BatchNorm2d(5, eps=1e-3).eval()
bn_r.weight.data.normal_(); bn_r.running_mean.data.normal_(); bn_r.running_var.data.uniform_(0.5, 2)
xr = torch.randn(2, 1, 40, 24)
checks.close(checks.call(timbral_block, xr, conv_r, bn_r), mn.timbral_block(xr, conv_r, bn_r),
             name="timbral_block on random weights (negative BN scales)", atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The temporal blocks
#
# A temporal filter is one mel band high and 128, 64 or 32 frames long (2.05, 1.02, 0.51 s): it
# matches rhythmic patterns and onsets in each band separately, and the max over the 96 bands
# keeps the strongest match. Its padding is "same", TensorFlow-style: exactly what your
# `tf_same_padding` computes.
#
# ### Exercise 3 (2 points) — a temporal block
#
# Write `temporal_block(x, conv, bn)` for `conv = nn.Conv2d(1, C, (k, 1))`: pad time with
# `tf_same_padding(k)`, conv, ReLU, BN, max over frequency → `(B, C, T)`.

# %% [solution] temporal_block
def temporal_block(x, conv, bn):
    """(B, 1, T, F) -> (B, C, T): TF same padding in time, conv (k x 1), ReLU, BN, max over frequency."""
    ### BEGIN SOLUTION
    before, after = tf_same_padding(conv.kernel_size[0])
    z = bn(F.relu(conv(F.pad(x, (0, 0, before, after)))))
    return z.amax(dim=3)
    ### END SOLUTION

# %% [test] temporal_block_check 2
s1 = model.frontend.s1
got = checks.call(temporal_block, x_bn[:1], s1.conv, s1.bn)
checks.shape(got, (1, 51, 187), name="temporal_block output for s1",
             hint="pad 63 before and 64 after for k = 128, so the length stays 187")
checks.close(got[0], ref["temporal"][:51], name="s1 (128 x 1) vs the original", atol=1e-3, rtol=1e-4,
             hint="TensorFlow puts the extra zero after the signal")
checks.passed("your temporal block reproduces the original's s1 features")
### BEGIN HIDDEN TESTS
for i, blk in enumerate((model.frontend.s2, model.frontend.s3), start=1):
    checks.close(checks.call(temporal_block, x_bn[:1], blk.conv, blk.bn)[0], ref["temporal"][51 * i:51 * (i + 1)],
                 name=f"s{i + 1} vs the original", atol=1e-3, rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# Here is the whole front-end output of patch 0, the $561 \times 187$ matrix that lesson 09 digs
# into: 408 timbral rows on top of 153 temporal rows. Many rows are nearly constant — filters that
# this clip does not excite.

# %%
timbral_fn = checks.use_yours(timbral_block, mn.timbral_block, x_bn[:1], f74.conv, f74.bn)
temporal_fn = checks.use_yours(temporal_block, mn.temporal_block, x_bn[:1], s1.conv, s1.bn)
fe = model.frontend
frontend_out = torch.cat([timbral_fn(x_bn, fe.f74.conv, fe.f74.bn), timbral_fn(x_bn, fe.f77.conv, fe.f77.bn)]
                         + [temporal_fn(x_bn, b.conv, b.bn) for b in (fe.s1, fe.s2, fe.s3)], dim=1)
plt.figure(figsize=(10, 3.5))
plt.imshow(frontend_out[0], aspect="auto", cmap="viridis", interpolation="nearest")
plt.axhline(407.5, c="w", lw=0.8); plt.text(2, 400, "timbral ↑  temporal ↓", color="w")
plt.xlabel("frame"); plt.ylabel("front-end unit"); plt.title("front-end output, patch 0 (561 × 187)")
plt.colorbar(); plt.show()

# %% [markdown]
# ## 6. The mid-end: residual and dense connections
#
# The mid-end is three 1-D convolutions over time, each with 64 filters of width 7 spanning *all*
# input features (561, then 64), zero padding 3/3, ReLU, then BN. The second and third layers are
# **residual**: their BN output is added to their input. Finally all levels are concatenated
# (**dense connections**), so the back-end sees the front-end and every mid-end layer:
#
# $$ c_1 = \operatorname{BN}_1(\operatorname{relu}(W_1 * u)), \quad
#    c_2 = \operatorname{BN}_2(\operatorname{relu}(W_2 * c_1)) + c_1, \quad
#    c_3 = \operatorname{BN}_3(\operatorname{relu}(W_3 * c_2)) + c_2, $$
#
# $$ \text{mid-end}(u) = [\,u;\, c_1;\, c_2;\, c_3\,] \in \mathbb{R}^{(561 + 3 \cdot 64) \times T} = \mathbb{R}^{753 \times T}. $$
#
# ### Exercise 4 (3 points) — the mid-end stack
#
# Write `midend(u, convs, bns)`: `u` has shape `(B, 561, T)`, `convs` is a list of three
# `nn.Conv1d` (they already carry `padding=3`), `bns` a list of three `nn.BatchNorm1d`. Return the
# tuple `(c1, c2, c3, out)` with `out` the concatenation along the channel axis (`dim=1`) in the
# order above. The check feeds it the **original's** front-end output and compares with the
# original's mid-end features.

# %% [solution] midend
def midend(u, convs, bns):
    """(B, 561, T) -> (c1, c2, c3, concat(u, c1, c2, c3)) with residual sums on layers 2 and 3."""
    ### BEGIN SOLUTION
    c1 = bns[0](F.relu(convs[0](u)))
    c2 = bns[1](F.relu(convs[1](c1))) + c1
    c3 = bns[2](F.relu(convs[2](c2))) + c2
    return c1, c2, c3, torch.cat([u, c1, c2, c3], dim=1)
    ### END SOLUTION

# %% [test] midend_check 3
me = model.midend
u_orig = torch.from_numpy(np.concatenate([ref["timbral"], ref["temporal"]]))[None]   # the original's front-end
out = checks.call(midend, u_orig, [me.conv1, me.conv2, me.conv3], [me.bn1, me.bn2, me.bn3])
checks.true(isinstance(out, (tuple, list)) and len(out) == 4, "midend should return the tuple (c1, c2, c3, out)")
c1, c2, c3, cat = out
checks.shape(cat, (1, 753, 187), name="concatenated mid-end output", hint="concatenate u, c1, c2, c3 along dim=1")
checks.close(c1[0], ref["cnn1"], name="c1 vs the original", atol=1e-3, rtol=1e-4, hint="conv -> ReLU -> BN, no residual")
checks.close(c2[0], ref["cnn2"], name="c2 vs the original", atol=1e-3, rtol=1e-4,
             hint="the residual adds c1 to the *batch-normalised* output")
checks.close(c3[0], ref["cnn3"], name="c3 vs the original", atol=1e-3, rtol=1e-4)
checks.passed("your mid-end reproduces the original's cnn1, cnn2 and cnn3")
### BEGIN HIDDEN TESTS
checks.close(cat[0, :561], u_orig[0], name="the first 561 rows of the output (the front-end itself)")
checks.close(cat[0, 561 + 128:], ref["cnn3"], name="the last 64 rows of the output (c3)", atol=1e-3, rtol=1e-4)
torch.manual_seed(5)
cv = [nn.Conv1d(6, 4, 7, padding=3), nn.Conv1d(4, 4, 7, padding=3), nn.Conv1d(4, 4, 7, padding=3)]
bs = [nn.BatchNorm1d(4).eval() for _ in range(3)]
for b in bs:
    b.weight.data.normal_(); b.running_mean.data.normal_()
ur = torch.randn(3, 6, 20)
for g, e, nm in zip(checks.call(midend, ur, cv, bs), mn.midend_stack(ur, cv, bs), ("c1", "c2", "c3", "out")):
    checks.close(g, e, name=f"{nm} on random weights", atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. The back-end's pooling order
#
# The back-end summarises each of the 753 time series by its maximum and its mean over time. The
# original stacks them as a $753 \times 2$ table and *flattens* it row by row, so the 1506-long
# vector **interleaves** them:
#
# $$ p = [\,\max_t m_0(t),\; \overline{m_0},\; \max_t m_1(t),\; \overline{m_1},\; \dots\,]. $$
#
# The dense layer's 1506 × 200 weights were trained in this order. Put all maxima first and all
# means second, and every weight multiplies the wrong number — with no error message at all.
#
# ### Exercise 5 (2 points) — pooling in the original's order
#
# Write `pool_time(m)`: `m` has shape `(B, C, T)`; return `(B, 2C)` ordered as above. Hint:
# `torch.stack([a, b], dim=-1)` makes `(B, C, 2)`; `.flatten(1)` reads it row by row.

# %% [solution] pool_time
def pool_time(m):
    """(B, C, T) -> (B, 2C): [max_0, mean_0, max_1, mean_1, ...] over time."""
    ### BEGIN SOLUTION
    return torch.stack([m.amax(dim=2), m.mean(dim=2)], dim=-1).flatten(1)
    ### END SOLUTION

# %% [test] pool_time_check 2
m_orig = torch.from_numpy(np.concatenate([ref["timbral"], ref["temporal"], ref["cnn1"], ref["cnn2"], ref["cnn3"]]))[None]
got = checks.call(pool_time, m_orig)
checks.shape(got, (1, 1506), name="pool_time output")
expected = np.stack([ref["max_pool"][0], ref["mean_pool"][0]], axis=-1).reshape(1, -1)
checks.close(got, expected, name="pooled vector vs the original's max and mean pools", atol=1e-3, rtol=1e-4,
             hint="interleave: max of feature 0, mean of feature 0, max of feature 1, ...")
checks.passed("pooled in the original's interleaved order")
### BEGIN HIDDEN TESTS
mr = torch.randn(4, 3, 9)
checks.close(checks.call(pool_time, mr), mn.pool_time(mr), name="pool_time on a (4, 3, 9) input")
checks.close(checks.call(pool_time, mr[:, :, :1]), mn.pool_time(mr[:, :, :1]), name="pool_time on a single frame")
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Reading the checkpoint, and counting parameters
#
# The original weights sit in the installed `musicnn` package as a TensorFlow checkpoint: an
# `.index` file (a sorted table: for each variable name its dtype, shape, and where its bytes are)
# and a `.data-00000-of-00001` file (all the numbers, float32, one tensor after another).
# `mmteach.tfcheckpoint` reads both with numpy alone — the format is described in its docstring.
# Let's look at the table:

# %%
folder = pretrained.find_checkpoint("MTT_musicnn")
header, entries = read_index(folder / ".index")
print(f"{len(entries)} variables in {folder}")
for name in ["batch_normalization/gamma", "conv2d/kernel", "conv2d/kernel/Adam", "conv2d_2/kernel",
             "conv2d_5/kernel", "batch_normalization_9/moving_mean", "dense/kernel", "dense_1/kernel", "beta1_power"]:
    e = entries[name]
    print(f"  {name:36s} {e.dtype_name:8s} shape {str(e.shape):18s} bytes {e.offset:>8,d} .. {e.offset + e.size:>9,d}")

# %% [markdown]
# Not everything in it is the model. TensorFlow layers are named by creation order (`conv2d`,
# `conv2d_1`, …; `batch_normalization`, `batch_normalization_1`, …). Each trainable variable has
# two **Adam optimiser slots** (`…/Adam`, `…/Adam_1`: running averages of its gradient and squared
# gradient), and there are two scalars `beta1_power`, `beta2_power`. Batch norms also store
# `moving_mean` and `moving_variance`: needed at inference, but not learned by gradient descent, so
# not counted as parameters (PyTorch keeps them as *buffers*).
#
# ### Exercise 6 (2 points) — count the trainable parameters in the checkpoint
#
# Write `count_checkpoint_parameters(entries)`: `entries` maps each variable name to an object
# with a `.shape` tuple. Return the number of trainable parameters: the product of each shape,
# summed over all variables except optimiser slots (names ending in `/Adam` or `/Adam_1`, and
# `beta1_power`, `beta2_power`) and the moving statistics (names ending in `/moving_mean` or
# `/moving_variance`).

# %% [solution] count_checkpoint_parameters
def count_checkpoint_parameters(entries):
    """Trainable parameters stored in a checkpoint index {name: entry with .shape}."""
    ### BEGIN SOLUTION
    total = 0
    for name, e in entries.items():
        if name.endswith(("/Adam", "/Adam_1", "/moving_mean", "/moving_variance")):
            continue
        if name in ("beta1_power", "beta2_power"):
            continue
        total += int(np.prod(e.shape))
    return total
    ### END SOLUTION

# %% [test] count_check 2
n_ckpt = checks.call(count_checkpoint_parameters, entries)
checks.equal(int(n_ckpt), 787_159, name="trainable parameters in MTT_musicnn",
             hint="skip the Adam slots, the beta powers and the moving statistics")
checks.equal(int(n_ckpt), models.count_parameters(model), name="checkpoint count vs the PyTorch model's")
checks.passed(f"{n_ckpt:,} parameters in the checkpoint = {models.count_parameters(model):,} in the PyTorch model")
### BEGIN HIDDEN TESTS
from types import SimpleNamespace as _E
fake = {"a/kernel": _E(shape=(3, 4)), "a/kernel/Adam": _E(shape=(3, 4)), "a/kernel/Adam_1": _E(shape=(3, 4)),
        "bn/gamma": _E(shape=(5,)), "bn/moving_mean": _E(shape=(5,)), "bn/moving_variance": _E(shape=(5,)),
        "beta1_power": _E(shape=()), "beta2_power": _E(shape=()), "s": _E(shape=())}
checks.equal(int(checks.call(count_checkpoint_parameters, fake)), 12 + 5 + 1, name="count on a small made-up index")
msd = read_index(pretrained.find_checkpoint("MSD_musicnn") / ".index")[1]
checks.equal(int(checks.call(count_checkpoint_parameters, msd)), 787_159, name="trainable parameters in MSD_musicnn")
### END HIDDEN TESTS

# %% [markdown]
# Where do the 787,159 come from? The mid-end's first layer alone has $7 \cdot 561 \cdot 64 + 64 =
# 251{,}392$; the dense layer $1506 \cdot 200 + 200 = 301{,}400$; the two timbral layers
# $204 \cdot (7 \cdot 38 + 1) + 204 \cdot (7 \cdot 67 + 1) = 150{,}144$. The temporal filters, for
# all the musical thought behind them, are cheap: $51 \cdot (128 + 64 + 32 + 3) = 11{,}577$.

# %%
counts = {name: sum(p.numel() for p in module.parameters()) for name, module in [
    ("input BN", model.frontend.input_bn), ("timbral f74+f77", nn.ModuleList([fe.f74, fe.f77])),
    ("temporal s1-s3", nn.ModuleList([fe.s1, fe.s2, fe.s3])), ("mid-end", model.midend),
    ("pooled BN", model.backend.pool_bn), ("dense 200 + BN", nn.ModuleList([model.backend.dense, model.backend.dense_bn])),
    ("output dense 50", model.backend.output)]}
plt.figure(figsize=(8, 2.6)); plt.barh(list(counts), list(counts.values())); plt.gca().invert_yaxis()
plt.xlabel("trainable parameters"); plt.title(f"MusiCNN: {sum(counts.values()):,} parameters"); plt.show()

# %% [markdown]
# ## 9. From TensorFlow's layout to PyTorch's
#
# TensorFlow stores a 2-D convolution kernel as `[height, width, in, out]`; PyTorch wants
# `[out, in, height, width]`. With time as the height and frequency as the width on both sides,
# that is a transpose of the axes `(3, 2, 0, 1)`. The mid-end convolutions are stored as 2-D
# kernels `[7, 561, 1, 64]` that span the full width, which is a 1-D kernel `[out, in, width] =
# [64, 561, 7]` for PyTorch. A dense kernel `[in, out]` becomes `[out, in]`.
#
# ### Exercise 7 (2 points) — convert a kernel
#
# Write `tf_kernel_to_torch(kernel, kind)` for a numpy `kernel` and `kind` in `"conv2d"`,
# `"conv1d"`, `"dense"`, returning a numpy array in PyTorch's layout.

# %% [solution] tf_kernel_to_torch
def tf_kernel_to_torch(kernel, kind):
    """TF kernel layout -> PyTorch layout: conv2d [h,w,in,out]->[out,in,h,w]; conv1d [w,in,1,out]->[out,in,w]; dense [in,out]->[out,in]."""
    kernel = np.asarray(kernel)
    ### BEGIN SOLUTION
    if kind == "conv2d":
        return kernel.transpose(3, 2, 0, 1)
    if kind == "conv1d":
        return kernel[:, :, 0, :].transpose(2, 1, 0)
    if kind == "dense":
        return kernel.T
    raise ValueError(f"unknown kind {kind!r}")
    ### END SOLUTION

# %% [test] tf_kernel_to_torch_check 2
ckpt = read_checkpoint(folder)
checks.close(checks.call(tf_kernel_to_torch, ckpt["conv2d/kernel"], "conv2d"), model.frontend.f74.conv.weight,
             name="conv2d/kernel in PyTorch's layout", atol=0, rtol=0, hint="[h, w, in, out] -> [out, in, h, w]")
checks.close(checks.call(tf_kernel_to_torch, ckpt["conv2d_5/kernel"], "conv1d"), model.midend.conv1.weight,
             name="conv2d_5/kernel (mid-end 1) in Conv1d layout", atol=0, rtol=0, hint="[7, 561, 1, 64] -> [64, 561, 7]")
checks.close(checks.call(tf_kernel_to_torch, ckpt["dense/kernel"], "dense"), model.backend.dense.weight,
             name="dense/kernel in Linear layout", atol=0, rtol=0)
checks.passed("kernels converted exactly")
### BEGIN HIDDEN TESTS
kr = np.random.default_rng(0).normal(size=(5, 3, 2, 4))
checks.close(checks.call(tf_kernel_to_torch, kr, "conv2d"), pretrained.tf_kernel_to_torch(kr, "conv2d"), name="random conv2d kernel")
k1 = np.random.default_rng(1).normal(size=(7, 6, 1, 5))
checks.close(checks.call(tf_kernel_to_torch, k1, "conv1d"), pretrained.tf_kernel_to_torch(k1, "conv1d"), name="random conv1d kernel")
checks.close(checks.call(tf_kernel_to_torch, ckpt["dense_1/kernel"], "dense"), model.backend.output.weight, name="dense_1/kernel")
### END HIDDEN TESTS

# %% [markdown]
# ## 10. The whole network, from your blocks
#
# Now chain your blocks with the trained weights — input BN, your timbral and temporal blocks,
# your mid-end, your pooling, and the back-end's BN, dense, ReLU, BN, dense (dropout does nothing
# at inference) — and compare the taggram with the original's. (`mmteach.pretrained.load_musicnn`
# does the same with `mmteach.tfcheckpoint` and the library's blocks; its test suite checks
# every feature of both checkpoints against the original to $10^{-4}$.)

# %%
midend_fn = checks.use_yours(midend, mn.midend_stack, u_orig, [me.conv1, me.conv2, me.conv3], [me.bn1, me.bn2, me.bn3])
pool_fn = checks.use_yours(pool_time, mn.pool_time, m_orig)


def my_musicnn(x, model):
    """Forward pass of MusiCNN from this notebook's blocks; x: (B, 96, T) -> tag probabilities (B, 50)."""
    fe, me, be = model.frontend, model.midend, model.backend
    xb = fe.input_bn(x.transpose(1, 2).unsqueeze(1))
    u = torch.cat([timbral_fn(xb, fe.f74.conv, fe.f74.bn), timbral_fn(xb, fe.f77.conv, fe.f77.bn)]
                  + [temporal_fn(xb, b.conv, b.bn) for b in (fe.s1, fe.s2, fe.s3)], dim=1)
    *_, m = midend_fn(u, [me.conv1, me.conv2, me.conv3], [me.bn1, me.bn2, me.bn3])
    h = be.dense_bn(F.relu(be.dense(be.pool_bn(pool_fn(m)))))
    return torch.sigmoid(be.output(h))


mine = my_musicnn(x_ref, model).numpy()
print(f"largest difference from the original's taggram: {np.abs(mine - ref['taggram']).max():.1e}")
lib = model.features(x_ref)
for key in ("cnn3", "penultimate", "taggram"):
    ours = lib[key].numpy()
    theirs = {"cnn3": ref["cnn3_all"], "penultimate": ref["penultimate"], "taggram": ref["taggram"]}[key]
    print(f"library port, {key:12s}: largest difference {np.abs(ours - theirs).max():.1e} "
          f"(values up to {np.abs(theirs).max():.1f})")

# %% [markdown]
# The differences are rounding: float32 sums taken in a different order (a mid-end value of 60
# differs in its sixth significant digit). A wrong padding, order or layout would show up as
# differences of order 0.1–10.
#
# **A bug in the original you should not copy.** The original's `extractor(..., extract_features=True)`
# runs one patch at a time. In its loop over patches 2, 3, … it unpacks the mid-end outputs into
# variables called `midend1_`, … and the penultimate layer into `backend_`, but appends `cnn1_`, …
# and `penultimate_` — the first patch's values. So its cnn1–cnn3 and penultimate features repeat
# patch 0 for every patch. (The taggram, timbral, temporal and pooled features are right.) Our
# reference stores both what the extractor returned and what the same graph computes for the whole
# batch:

# %%
print("extractor's cnn3 for patch 1 == its patch 0:", np.allclose(ref["extractor_cnn3_patch1"], ref["cnn3"]))
print("true cnn3 of patch 1 vs patch 0, largest difference:", float(np.abs(ref["cnn3_all"][1] - ref["cnn3_all"][0]).max()))
print("library port, patch 1 vs the true cnn3:", float(np.abs(lib["cnn3"][1].numpy() - ref["cnn3_all"][1]).max()))

# %% [markdown]
# ## 11. Listening with MusiCNN: taggrams
#
# A **taggram** is the tagger's output over time: one row per tag, one column per 3-s patch. The
# original model was trained on MagnaTagATune (MTT): 25,000 half-minute clips of real recordings
# with 50 crowd-sourced tags. Our test music comes from a General MIDI sound font, not from
# recordings — does the tagger still recognise the instruments? `pretrained.tag` computes the
# log-mel patches with `mmteach.audio` (the pipeline of lesson 02) and runs the port.

# %%
sounds = {name: pretrained.render_instrument(name, seconds=6.0) for name in pretrained.INSTRUMENTS}
for name in ("piano", "sitar", "drums"):
    print(name); display(Audio(sounds[name], rate=16000))
results = {name: pretrained.tag(y, sr=16000, model=model) for name, y in sounds.items()}
for name, r in results.items():
    print(f"{name:13s} -> " + ", ".join(f"{t} ({p:.2f})" for t, p in r.top(4)))

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
for ax, name in zip(axes, ("piano", "choir", "drums")):
    results[name].plot(ax=ax, n_tags=8, title=f"{name}: top tags")
plt.tight_layout(); plt.show()

# %% [markdown]
# On the reference clip from section 1 the two models disagree in vocabulary: MTT tags describe
# instruments and moods, the Million Song Dataset (MSD) tags mostly genres and eras, learnt from
# last.fm users.

# %%
msd = pretrained.load_musicnn("MSD_musicnn")
for m in (model, msd):
    r = pretrained.tag(ref["audio"], sr=16000, model=m)
    print(f"{m.name}: " + ", ".join(f"{t} ({p:.2f})" for t, p in r.top(5)))
band = pretrained.tag(np.concatenate([sounds["piano"] + sounds["drums"], sounds["nylon guitar"] + sounds["drums"]]),
                      sr=16000, model=msd)
band.plot(n_tags=10, title="MSD_musicnn: piano + drums, then guitar + drums"); plt.show()

# %% [markdown]
# ## 12. Training a small MusiCNN from scratch, next to lesson 07's CRNN
#
# The pretrained weights took days of GPU time on 25,000 recordings. What does the *architecture*
# do on our own small data, trained from nothing? We shrink it — front-end width 0.2 instead of 1.6
# (25 timbral and 6 temporal filters per branch), 16 mid-end filters, 32 back-end units — and train
# it on the offline tag set of lesson 07 (20 tags, one 3-s patch of 96 × 187 per clip) with Adam
# and binary cross-entropy. Next to it, at the same input and a matched budget of about 40,000
# parameters, lesson 07's CRNN. Both are scored as in lesson 07: mean of the patch probabilities per
# clip, macro ROC-AUC over the tags of the test clips.

# %%
from mmteach import tagging, train, metrics

tagdata = tagging.tag_patches(half=False)      # full resolution: 96 mel bands x 187 frames
EPOCHS_SCRATCH = pick(normal=6, quick=1)
seed_everything(0)
small = models.create("musicnn", n_classes=len(tagdata.classes), width=0.2, num_filt_midend=16, n_units_backend=32)
with torch.enable_grad():
    small_hist = train.fit(small, tagdata.train, tagdata.val, loss="bce", optimizer="adam", lr=0.003,
                           epochs=EPOCHS_SCRATCH, batch_size=32, halve_lr_on_plateau=False)
probs = train.predict(small, tagdata.test.x, multilabel=True)
clips = np.unique(tagdata.test.track)
Y_true = np.stack([tagdata.test.y[tagdata.test.track == c][0] for c in clips])
Y_score = np.stack([probs[tagdata.test.track == c].mean(axis=0) for c in clips])
with torch.enable_grad():
    crnn_row = tagging.compare(["crnn"], [40_000], tagdata, epochs=EPOCHS_SCRATCH)[0]
scratch = [("small MusiCNN", models.count_parameters(small), metrics.macro_roc_auc(Y_true, Y_score),
            1000 / small_hist.samples_per_second),
           ("CRNN (lesson 07)", crnn_row["params"], crnn_row["roc_auc"], crnn_row["ms_per_sample"])]
print(f"{'model':18s} {'parameters':>10s} {'test ROC-AUC':>12s} {'ms per training sample':>23s}")
for name, n, auc, ms in scratch:
    print(f"{name:18s} {n:10,d} {auc:12.3f} {ms:23.1f}")

# %% [markdown]
# On a normal-mode run on 2 CPU cores (6 epochs) we measured: small MusiCNN 39,913 parameters,
# ROC-AUC ≈ 0.70, about 30 ms per training sample; CRNN 39,334 parameters, ROC-AUC ≈ 0.61–0.64,
# about 13 ms per sample. Your numbers move by a few hundredths from run to run — the test set
# has fewer than a hundred clips. Two lessons stand out. First, at the same budget the musically
# shaped front-end learns faster from little data than a stack of generic 3 × 3 kernels: its
# timbral filters see a whole spectral envelope at once, and the max over frequency makes it
# insensitive to transposition from the first layer on. Second, that first layer is expensive:
# tall kernels on every frame make MusiCNN *slower per sample* than a CRNN of the same size,
# even though it has no recurrent layer. Neither network comes near the pretrained tagger — those
# 787,159 parameters were fitted to far more, and far more varied, music than our few hundred clips.

# %% [markdown]
# ### Written answer (4 points) — what catches which mistake?
#
# Imagine three faulty ports of MusiCNN: (A) pads the 128-frame temporal branch with 64 zeros
# before and 63 after, instead of TensorFlow's 63 and 64; (B) applies BN *before* ReLU in every
# block; (C) pools as `[all maxima | all means]`.
#
# 1. Which of these mistakes does the parameter count (787,159) detect? Why?
# 2. Which do the comparisons with the original's outputs detect, and at which stage (front-end,
#    mid-end, pooled vector) would each first show up?
# 3. The tags of a faulty port can still look sensible on real music. Why is "the tags look
#    reasonable" not evidence that a port is right, and what evidence did this lesson use instead?

# %% [answer] which_check_catches_what 4
# ### BEGIN SOLUTION
# *Model answer.* (1) None of them: padding, the order of ReLU and BN, and the order of the pooled
# vector change no shapes and add or remove no weights, so every variable still fits and the count
# is still 787,159. Counting parameters checks the *architecture's sizes*, not its arithmetic.
# (2) The output comparison catches all three. (A) changes the s1 features already at the
# front-end (every s1 row shifted by one frame; differences where the signal changes), and from there
# everything after. (B) changes every front-end block's output (BN then ReLU clips different values
# and, with negative BN scales, the max over frequency picks different positions), so it shows at
# the front-end. (C) leaves front-end and mid-end identical and first shows in the pooled vector /
# penultimate layer and taggram, because the dense weights multiply the wrong statistics.
# (3) A network with slightly wrong arithmetic often degrades gracefully: the big timbral features
# still fire for piano or drums, so the top tags can look plausible while the numbers (and the
# less obvious tags, and the features learners inspect) are wrong. Plausibility has no threshold.
# The evidence here is a numerical comparison with the original model's own outputs on the same
# input, stage by stage (front-end, mid-end, pooled, penultimate, taggram), with differences at
# the level of float32 rounding (~1e-5 relative), plus exact checks of the kernels' layout and the
# parameter count.
#
# *Rubric (4 points):* 1 point: parameter count catches none, with the reason (no shapes change).
# 2 points: the output comparison catches all three, with a correct first stage for each (A and B
# front-end, C pooled/penultimate) — 1 point if two of three stages are right. 1 point: explains why
# plausible tags are weak evidence and names the stage-by-stage numerical comparison as the evidence.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * MusiCNN = input BN → front-end (408 timbral + 153 temporal filters, each conv → ReLU → BN → max
#   over frequency) → 561 × T → mid-end (three residual 1-D convs, densely concatenated: 753 × T)
#   → back-end (interleaved max/mean pooling, BN, dense 200, BN, dense 50, sigmoid).
# * Exactness lives in details the diagram hides: BN's ε = 10⁻³, TensorFlow's asymmetric "same"
#   padding, the order conv → ReLU → BN, the interleaved pooling, the layout of each kernel.
# * A TensorFlow checkpoint is a sorted index of (name → dtype, shape, offset, size) plus raw float32
#   bytes; 787,159 of its numbers are the model, the rest are optimiser state and BN statistics.
# * A port is verified by comparing outputs with the original, stage by stage, on the same input —
#   not by a parameter count, and not by plausible tags.
# * The pretrained tagger recognises several General MIDI instruments (piano, flute, guitar, choir,
#   sitar, drums) although it was trained on real recordings.
#
# ## Going further
#
# * Pons and Serra, *musicnn: pre-trained convolutional neural networks for music audio tagging*
#   (ISMIR 2019 LBD), and Pons et al., *End-to-end learning for music audio tagging at scale*
#   (ISMIR 2018): where the front-end comes from.
# * Lesson 09 opens the 561 × 187 front-end matrix and follows single units from kernel to tag
#   (after Bob Sturm's blog series *Digging into MusiCNN*).
# * Use `model.features(x)["penultimate"]` (200 numbers per patch) as an embedding: train a
#   logistic regression on it for the course's dance set and compare with the CNNs of lesson 04.
# * Train longer and wider (section 12 with `epochs=20`, `width=0.4`): the gap between MusiCNN and
#   the CRNN is worth re-measuring when both are closer to convergence. With a GPU, train the
#   full `models.create("musicnn")` on MagnaTagATune (`mmteach.data.magnatagatune(root)`, if you
#   have it) with the original recipe — Adam, learning rate 0.001, batch 32, one random 3-s patch
#   per song per step — and compare with the original's ROC-AUC of 0.9067 and with lesson 07's CRNN.
