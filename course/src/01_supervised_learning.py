# %% [markdown]
# # Lesson 01 — Supervised learning: from softmax to a small neural network
#
# Every model in this course, from a one-layer CNN that hears tempo to the full MusiCNN tagger,
# is trained the same way: show it examples with the right answers, measure how wrong it is with
# a *cost*, and nudge its parameters downhill. This lesson builds that machinery by hand on a
# musical task — telling four instrument timbres apart from a handful of numbers per note — so
# that nothing later is magic.
#
# **Prerequisites:** Python and NumPy; derivatives and the chain rule. **Time:** about 90 minutes.
#
# ## Learning objectives
#
# After this lesson you can
#
# 1. state the supervised-learning problem: training set, hypothesis $h$, parameters, cost $J$;
# 2. implement a numerically stable softmax and the cross-entropy cost;
# 3. derive the gradient of the cross-entropy with respect to the logits, $S(z) - y$, implement
#    it, and check it against PyTorch's automatic differentiation;
# 4. train a softmax classifier with gradient descent you wrote, then a ReLU network in PyTorch;
# 5. split data into training, validation and test sets and recognise over-fitting in a learning curve.
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
from IPython.display import Audio, display

from mmteach import checks, device, pick, quick_mode, seed_everything
from mmteach import supervised as sl

QUICK = quick_mode()          # a small, fast run when MMTEACH_QUICK=1 (the grader sets it)
seed_everything(0)
print("quick mode" if QUICK else "normal mode", "| training on", device())

# %% [markdown]
# ## 1. The task: which instrument played this note?
#
# Our data set is made right here: short notes in four timbres — *flute*, *clarinet*,
# *bowed string* and *plucked string* — at random pitches between C3 and C6, recorded (in
# simulation) with microphones of random brightness and some background noise. Listen to one of
# each:

# %%
data = sl.make_timbre_data(n_per_class=pick(normal=150, quick=40), seed=0)
for c, name in enumerate(data.classes):
    i = int(np.flatnonzero(data.y == c)[0])
    print(f"{name} (MIDI pitch {int(data.pitch[i])})")
    display(Audio(data.note(i), rate=sl.SR))

# %% [markdown]
# A model never hears the waveform here. Each note is summarised by $D = 22$ numbers, its
# **features**: the average energy in 20 mel bands (a coarse spectrum, in $\log_{10}$ units,
# relative to the loudest band) and two numbers about its loudness envelope (how long the attack
# takes, and how loud the end is compared with the peak). So the data set is a matrix
# $X \in \mathbb{R}^{N \times D}$ with one row per note and a label vector
# $y \in \{0, 1, 2, 3\}^N$.
#
# The plot shows the 20 band energies of every note, one thin line each, grouped by class. The
# clarinet's odd harmonics, the flute's nearly pure tone and the plucked string's decay leave
# different fingerprints — but the clouds overlap, because pitch and microphone vary too.

# %%
fig, axes = plt.subplots(1, 4, figsize=(14, 3), sharey=True)
for c, ax in enumerate(axes):
    ax.plot(data.X[data.y == c, :20].T, color=f"C{c}", alpha=0.15)
    ax.set(title=data.classes[c], xlabel="mel band")
axes[0].set_ylabel("log10 energy (rel. to max)")
plt.tight_layout(); plt.show()
print("X:", data.X.shape, " y:", data.y.shape, " classes:", data.classes)

# %% [markdown]
# ## 2. Supervised learning in one paragraph
#
# We are given a **training set** of $m$ pairs $(x^{(1)}, y^{(1)}), \dots, (x^{(m)}, y^{(m)})$,
# where each label was produced by some unknown function $y = f(x)$ — here, "the instrument that
# played". We want a **hypothesis** $h$ that approximates $f$, including on notes it has never
# seen. A **parametric** hypothesis combines the input with a fixed set of parameters $\theta$
# that we learn. How good a choice of $\theta$ is, is measured by a **cost** $J(\theta)$ that
# compares $h_\theta(x^{(i)})$ with $y^{(i)}$ and punishes big differences. **Learning** is
# minimising $J$; when $J$ has no closed-form minimum we walk downhill along its gradient —
# *gradient descent*.
#
# Our first hypothesis is linear: a score, or **logit**, for each of the $C$ classes,
#
# $$ z = x W + b, \qquad W \in \mathbb{R}^{D \times C},\; b \in \mathbb{R}^{C}, $$
#
# and the prediction is the class with the highest score. To train it we need the scores to be
# *probabilities*.
#
# ## 3. Softmax
#
# The softmax turns any vector of $C$ real scores into a probability distribution:
#
# $$ S(z)_c = \frac{e^{z_c}}{\sum_{k=1}^{C} e^{z_k}}, \qquad c = 1, \dots, C. $$
#
# Every output is positive and they sum to 1; a larger score gets a larger share, exponentially.
# Adding the same constant $a$ to every score changes nothing, because $e^{z_c + a} = e^a e^{z_c}$
# and $e^a$ cancels. That matters on a computer: $e^{1000}$ overflows to infinity, but after
# subtracting the largest score every exponent is $\le 0$ and every $e^{\cdot}$ lies in $(0, 1]$.

# %% [markdown]
# ### Exercise 1 (2 points) — a stable softmax
#
# Write `softmax(z)` for a NumPy array `z` whose **last axis** holds the scores of the classes:
# shape `(C,)` for one example or `(N, C)` for a batch (any number of leading axes should work).
# Return an array of the same shape whose last axis sums to 1. Subtract the maximum along the
# last axis before exponentiating, so that `softmax(np.array([1000., 1001.]))` works.
# Use NumPy only (`np.exp`, `np.max(..., axis=-1, keepdims=True)`, `np.sum`).

# %% [solution] softmax
def softmax(z):
    """Softmax over the last axis of z; same shape as z."""
    z = np.asarray(z, dtype=float)
    ### BEGIN SOLUTION
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION

# %% [test] softmax_check 2
z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
checks.function(softmax, sl.softmax, [(z,)], hint="exponentiate, then divide by the sum along the last axis")
p = checks.call(softmax, np.array([1000.0, 1001.0]))
checks.true(np.all(np.isfinite(p)), "softmax([1000, 1001]) should be finite",
            hint="subtract the maximum of the last axis before np.exp")
checks.passed("softmax is right on a batch and stable for large scores")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7)
checks.function(softmax, sl.softmax, [(rng.normal(size=5),), (rng.normal(scale=50, size=(4, 6)),),
                                      (rng.normal(size=(2, 3, 4)),), (np.array([-1000.0, -1000.5]),)])
checks.close(checks.call(softmax, rng.normal(size=(3, 5))).sum(axis=-1), np.ones(3), name="row sums")
### END HIDDEN TESTS

# %% [markdown]
# With softmax the scores become a guess with confidence. Multiplying all scores by a factor
# (dividing by a "temperature") makes the distribution sharper or flatter, but never changes
# which class wins:

# %%
softmax_fn = checks.use_yours(softmax, sl.softmax, np.array([[1.0, 2.0, 3.0]]))
scores = np.array([2.0, 1.0, 0.5, -1.0])
fig, axes = plt.subplots(1, 3, figsize=(11, 2.6), sharey=True)
for ax, scale in zip(axes, [0.3, 1.0, 3.0]):
    ax.bar(data.classes, softmax_fn(scale * scores), color=["C0", "C1", "C2", "C3"])
    ax.set_title(f"softmax({scale} · z)"); ax.tick_params(axis="x", labelrotation=30)
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 4. Cross-entropy: how wrong is a probabilistic guess?
#
# For one example with true class $y$, the model's guess is good when it gives $y$ a high
# probability. The **cross-entropy** cost is the negative log of that probability, averaged over
# the $N$ examples of a batch:
#
# $$ J(W, b) = \frac{1}{N} \sum_{i=1}^{N} -\log S\big(z^{(i)}\big)_{y^{(i)}}. $$
#
# A perfect, confident guess costs $-\log 1 = 0$; a uniform guess over $C$ classes costs
# $\log C$ (1.386 for our four); a confident wrong guess costs a lot. Computing
# $\log S(z)_y$ as the log of a softmax output can fail: the probability may underflow to 0 and
# $\log 0 = -\infty$. Write it instead as
#
# $$ -\log S(z)_y = \log \sum_k e^{z_k} - z_y, $$
#
# and compute the first term, the *log-sum-exp*, with the same max trick:
# $\log \sum_k e^{z_k} = m + \log \sum_k e^{z_k - m}$ with $m = \max_k z_k$.

# %% [markdown]
# ### Exercise 2 (2 points) — the cross-entropy cost
#
# Write `cross_entropy(z, y)` for logits `z` of shape `(N, C)` and integer labels `y` of shape
# `(N,)`. Return the mean cross-entropy as a Python `float`. Use the log-sum-exp form so that
# very large logits do not produce `inf` or `nan`. Hint: `z[np.arange(N), y]` picks each row's
# score of the true class.

# %% [solution] cross_entropy
def cross_entropy(z, y):
    """Mean cross-entropy of logits z (N, C) against integer labels y (N,)."""
    z = np.asarray(z, dtype=float)
    y = np.asarray(y)
    ### BEGIN SOLUTION
    m = z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    return float(np.mean(lse - z[np.arange(len(y)), y]))
    ### END SOLUTION

# %% [test] cross_entropy_check 2
z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
y = np.array([0, 1])
checks.function(cross_entropy, sl.cross_entropy, [(z, y)], hint="mean over rows of logsumexp(z_i) - z_i[y_i]")
checks.close(checks.call(cross_entropy, np.zeros((5, 4)), np.zeros(5, dtype=int)), np.log(4),
             name="cost of a uniform guess over 4 classes", hint="it should be log(C)")
checks.passed("cross-entropy matches, and a uniform guess costs log C")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(11)
big = rng.normal(scale=400, size=(6, 5))
yb = rng.integers(0, 5, size=6)
val = checks.call(cross_entropy, big, yb)
checks.true(np.isfinite(val), "cross-entropy of large logits should be finite (use log-sum-exp)")
checks.close(val, sl.cross_entropy(big, yb), name="cross-entropy of large logits", rtol=1e-6)
checks.function(cross_entropy, sl.cross_entropy, [(rng.normal(size=(1, 2)), np.array([1])),
                                                  (rng.normal(size=(9, 8)), rng.integers(0, 8, size=9))])
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The gradient of the cost: $S(z) - y$
#
# To walk downhill we need $\partial J / \partial z$. Take one example, drop the index $i$, write
# $S_c = S(z)_c$ and let $\bar y$ be the **one-hot** vector of the label ($\bar y_c = 1$ for the true
# class, 0 elsewhere). The cost is $L = -\sum_c \bar y_c \log S_c$. The softmax's own derivative is
#
# $$ \frac{\partial S_c}{\partial z_j} = S_c\,(\delta_{cj} - S_j), $$
#
# (differentiate the quotient: the numerator depends on $z_j$ only when $c = j$). By the chain rule
#
# $$ \frac{\partial L}{\partial z_j} = \sum_{c=1}^{C} \frac{\partial L}{\partial S_c}
#    \frac{\partial S_c}{\partial z_j} = -\sum_c \frac{\bar y_c}{S_c}\, S_c (\delta_{cj} - S_j)
#    = -\bar y_j + S_j \sum_c \bar y_c = S_j - \bar y_j, $$
#
# because the one-hot entries sum to 1. The gradient is simply **prediction minus truth**: it
# pushes the true class's score up by $1 - S_y$ and every other score down by its probability.
# For the mean over a batch of $N$ examples each row gets a factor $1/N$:
#
# $$ \frac{\partial J}{\partial z^{(i)}} = \frac{1}{N}\big(S(z^{(i)}) - \bar y^{(i)}\big). $$

# %% [markdown]
# ### Exercise 3 (3 points) — the gradient, checked against autograd
#
# Write `cross_entropy_grad(z, y)`: for logits `z` of shape `(N, C)` and labels `y` of shape
# `(N,)`, return $\partial J/\partial z$ as an array of shape `(N, C)`. You may call your own
# `softmax` from Exercise 1. Build the one-hot matrix with `np.eye(C)[y]` or by indexing.
#
# The check compares your formula with what PyTorch's automatic differentiation computes for the
# same cost — two completely different routes to the same numbers.

# %% [solution] cross_entropy_grad
def cross_entropy_grad(z, y):
    """Gradient of the mean cross-entropy with respect to the logits; shape (N, C)."""
    z = np.asarray(z, dtype=float)
    y = np.asarray(y)
    ### BEGIN SOLUTION
    N, C = z.shape
    return (softmax(z) - np.eye(C)[y]) / N
    ### END SOLUTION

# %% [test] cross_entropy_grad_check 3
z = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0], [1.0, 1.0, 1.0], [-0.5, 0.2, 0.1]])
y = np.array([0, 2, 1, 1])
zt = torch.tensor(z, requires_grad=True)
torch.nn.functional.cross_entropy(zt, torch.tensor(y)).backward()   # autograd's answer
checks.close(checks.call(cross_entropy_grad, z, y), zt.grad.numpy(), name="cross_entropy_grad(z, y)",
             atol=1e-10, hint="(softmax(z) - onehot(y)) / N — did you divide by N?")
checks.passed("your hand-derived gradient equals PyTorch autograd's")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5)
for n, c in [(1, 2), (7, 5), (16, 10)]:
    zz = rng.normal(scale=3, size=(n, c)); yy = rng.integers(0, c, size=n)
    zt = torch.tensor(zz, requires_grad=True)
    torch.nn.functional.cross_entropy(zt, torch.tensor(yy)).backward()
    checks.close(checks.call(cross_entropy_grad, zz, yy), zt.grad.numpy(), name=f"gradient for N={n}, C={c}", atol=1e-10)
    checks.close(checks.call(cross_entropy_grad, zz, yy).sum(axis=1), np.zeros(n), name="row sums of the gradient", atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Gradient descent
#
# For the linear model $z = XW + b$ (all $N$ rows at once), the chain rule carries the logit
# gradient $G = \partial J / \partial z$ (shape $N \times C$) back to the parameters:
#
# $$ \frac{\partial J}{\partial W} = X^\top G \quad (D \times C), \qquad
#    \frac{\partial J}{\partial b} = \sum_{i=1}^{N} G_{i,:} \quad (C). $$
#
# Gradient descent repeats one small step against the gradient,
#
# $$ W \leftarrow W - \eta\, X^\top G, \qquad b \leftarrow b - \eta \sum_i G_{i,:}, $$
#
# with a **learning rate** $\eta$. The cross-entropy of a linear softmax model is convex, so with a
# small enough $\eta$ this walk reaches the best $W, b$; for neural networks it is not convex, and
# the same walk finds a good local solution instead.

# %% [markdown]
# ### Exercise 4 (3 points) — one gradient-descent step
#
# Write `gradient_descent_step(W, b, X, y, lr)` for softmax regression: `W` has shape `(D, C)`,
# `b` shape `(C,)`, `X` shape `(N, D)`, `y` shape `(N,)`. Compute the logits, the gradient with
# your `cross_entropy_grad`, and return the **new** pair `(W_new, b_new)` (do not modify the
# arrays you were given in place).

# %% [solution] gd_step
def gradient_descent_step(W, b, X, y, lr):
    """One gradient-descent step of softmax regression; returns (W_new, b_new)."""
    ### BEGIN SOLUTION
    G = cross_entropy_grad(X @ W + b, y)
    return W - lr * (X.T @ G), b - lr * G.sum(axis=0)
    ### END SOLUTION

# %% [test] gd_step_check 3
rng = np.random.default_rng(0)
X = rng.normal(size=(6, 3)); y = np.array([0, 1, 2, 1, 0, 2])
W = rng.normal(size=(3, 3)); b = np.zeros(3)
W_before, b_before = W.copy(), b.copy()
W_new, b_new = checks.call(gradient_descent_step, W, b, X, y, 0.1)
W_ref, b_ref = sl.gradient_descent_step(W_before, b_before, X, y, 0.1)
checks.close(W_new, W_ref, name="W after one step", hint="W - lr * X.T @ G")
checks.close(b_new, b_ref, name="b after one step", hint="b - lr * G.sum(axis=0)")
checks.true(np.array_equal(W, W_before) and np.array_equal(b, b_before),
            "gradient_descent_step should return new arrays and leave W and b unchanged")
checks.passed("one step of gradient descent is right")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3)
X = rng.normal(size=(20, 4)); y = rng.integers(0, 5, size=20)
W = rng.normal(size=(4, 5)); b = rng.normal(size=5)
for _ in range(3):
    W1, b1 = checks.call(gradient_descent_step, W, b, X, y, 0.5)
    W2, b2 = sl.gradient_descent_step(W, b, X, y, 0.5)
    checks.close(W1, W2, name="W over several steps"); checks.close(b1, b2, name="b over several steps")
    checks.true(sl.cross_entropy(X @ W1 + b1, y) <= sl.cross_entropy(X @ W + b, y) + 1e-12, "the cost should not rise for a small step")
    W, b = W2, b2
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Training, validation and test data
#
# A model that has memorised its training notes is of no use; we care about notes it has not
# seen. So before training anything we split the data three ways:
#
# * the **training set** fits the parameters;
# * the **validation set** chooses everything else — learning rate, network size, when to stop —
#   by comparing models on data they were not fitted to;
# * the **test set** is touched once, at the very end, to report how well the final choice does.
#   Using it to choose anything would make the reported number optimistic.
#
# The split must be random (notes are not in any meaningful order), reproducible (a fixed seed),
# and the three parts must not share an example. (With real recordings there is one more rule:
# notes or clips from the *same track or artist* must stay on one side, or the model is tested on
# what it has effectively seen. Lessons 04 and 07 split by track for this reason.)

# %% [markdown]
# ### Exercise 5 (2 points) — a reproducible three-way split
#
# Write `split_indices(n, fractions=(0.6, 0.2, 0.2), seed=0)` that shuffles the indices
# `0 … n−1` with `np.random.default_rng(seed).permutation(n)` and returns three integer arrays
# `(train, val, test)`: the first `floor(n·fractions[0])` shuffled indices, the next
# `floor(n·fractions[1])`, and the rest.

# %% [solution] split
def split_indices(n, fractions=(0.6, 0.2, 0.2), seed=0):
    """Shuffled train/validation/test index arrays that cover 0..n-1 without overlap."""
    ### BEGIN SOLUTION
    perm = np.random.default_rng(seed).permutation(n)
    n_train = int(np.floor(n * fractions[0]))
    n_val = int(np.floor(n * fractions[1]))
    return perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
    ### END SOLUTION

# %% [test] split_check 2
tr, va, te = checks.call(split_indices, 10, (0.6, 0.2, 0.2), 0)
checks.equal((len(tr), len(va), len(te)), (6, 2, 2), name="sizes of (train, val, test) for n=10")
checks.equal(sorted(np.concatenate([tr, va, te]).tolist()), list(range(10)), name="all indices, once each")
checks.equal(np.concatenate([tr, va, te]), np.random.default_rng(0).permutation(10), name="order of the shuffled indices",
             hint="use np.random.default_rng(seed).permutation(n) and cut it in order")
checks.passed("the split is disjoint, complete and reproducible")
### BEGIN HIDDEN TESTS
for n, fr, sd in [(101, (0.8, 0.1, 0.1), 3), (7, (0.5, 0.25, 0.25), 1), (50, (1.0, 0.0, 0.0), 2)]:
    got = checks.call(split_indices, n, fr, sd)
    ref = sl.split_indices(n, fr, sd)
    for g, r, part in zip(got, ref, ("train", "val", "test")):
        checks.equal(np.asarray(g), r, name=f"{part} indices for n={n}, fractions={fr}, seed={sd}")
### END HIDDEN TESTS

# %% [markdown]
# Now everything comes together. We split the notes, **standardise** the features (subtract each
# feature's training mean, divide by its training standard deviation — statistics from the
# training part only, so nothing leaks from validation or test), and train the softmax classifier
# with *your* gradient-descent step.

# %%
split_fn = checks.use_yours(split_indices, sl.split_indices, 10, (0.6, 0.2, 0.2), 0)
train_idx, val_idx, test_idx = split_fn(len(data), (0.6, 0.2, 0.2), 0)
X_train, X_val, X_test = sl.standardise(data.X[train_idx], data.X[val_idx], data.X[test_idx])
y_train, y_val, y_test = data.y[train_idx], data.y[val_idx], data.y[test_idx]

step_fn = checks.use_yours(gradient_descent_step, sl.gradient_descent_step,
                           np.eye(3), np.zeros(3), np.eye(3), np.array([0, 1, 2]), 0.1)
W, b, losses = sl.train_softmax_regression(X_train, y_train, n_classes=4, lr=0.5,
                                           epochs=pick(normal=300, quick=60), step=step_fn)
plt.figure(figsize=(5, 3)); plt.plot(losses); plt.axhline(np.log(4), ls=":", c="gray", label="uniform guess")
plt.xlabel("gradient-descent step"); plt.ylabel("training cost J"); plt.legend(); plt.show()
val_acc_linear = sl.accuracy(y_val, (X_val @ W + b).argmax(axis=1))
print(f"softmax regression: validation accuracy {val_acc_linear:.1%} (chance: 25%)")

# %% [markdown]
# ## 8. A neural network in PyTorch
#
# A linear model can only draw straight boundaries between classes in feature space. A
# **multi-layer perceptron** (MLP) first maps the input through a hidden layer of $H$ units with
# a non-linearity, then scores the classes from there:
#
# $$ h(x) = \operatorname{softmax}\Big(\Theta^{(2)} \operatorname{relu}\big(\Theta^{(1)} x + b^{(1)}\big) + b^{(2)}\Big),
#    \qquad \operatorname{relu}(a) = \max(0, a). $$
#
# With enough hidden units such a network can approximate any continuous function — the
# *universal approximation* property — but "enough" units and enough data are rarely at hand. The
# **no free lunch** theorem says no learner is best on every problem: we do well only by building
# in assumptions that fit *our* data. The rest of this course is about such assumptions for music:
# filters shaped like rhythms and timbres (lessons 04–05), memory over time (06–07), and a network
# whose structure mirrors how music is heard (08).
#
# From here on PyTorch computes all gradients for us — you have just checked that it computes the
# same ones you derive by hand.

# %% [markdown]
# ### Exercise 6 (2 points) — build the MLP
#
# Write `make_mlp(n_in, n_hidden, n_out)` returning a `torch.nn.Sequential` of
# `nn.Linear(n_in, n_hidden)`, `nn.ReLU()` and `nn.Linear(n_hidden, n_out)`. It outputs logits —
# no softmax layer, because `nn.CrossEntropyLoss` applies it inside, in the stable log-sum-exp way
# you wrote. Then work out how many parameters it has: write `mlp_parameter_count(n_in, n_hidden, n_out)`
# as a formula (do not build the network in it).

# %% [solution] mlp
import torch.nn as nn


def make_mlp(n_in, n_hidden, n_out):
    """Linear(n_in, n_hidden) -> ReLU -> Linear(n_hidden, n_out), returning logits."""
    ### BEGIN SOLUTION
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out))
    ### END SOLUTION


def mlp_parameter_count(n_in, n_hidden, n_out):
    """Number of weights and biases in make_mlp(n_in, n_hidden, n_out)."""
    ### BEGIN SOLUTION
    return n_in * n_hidden + n_hidden + n_hidden * n_out + n_out
    ### END SOLUTION

# %% [test] mlp_check 2
net = checks.call(make_mlp, 22, 64, 4)
checks.true(isinstance(net, nn.Module), "make_mlp should return a torch.nn.Module (e.g. nn.Sequential)")
out = net(torch.zeros(5, 22))
checks.shape(out, (5, 4), name="output of make_mlp(22, 64, 4) on a batch of 5",
             hint="the last layer has n_out outputs and there is no softmax")
n_params = sum(p.numel() for p in net.parameters())
checks.equal(checks.call(mlp_parameter_count, 22, 64, 4), n_params, name="mlp_parameter_count(22, 64, 4)",
             hint="each Linear(a, b) has a·b weights and b biases")
checks.passed(f"the MLP has the right shape and {n_params:,} parameters")
### BEGIN HIDDEN TESTS
for dims in [(3, 5, 2), (100, 1, 10), (8, 256, 8)]:
    net = checks.call(make_mlp, *dims)
    checks.shape(net(torch.randn(2, dims[0])), (2, dims[2]), name=f"output of make_mlp{dims}")
    expected = dims[0] * dims[1] + dims[1] + dims[1] * dims[2] + dims[2]
    checks.equal(sum(p.numel() for p in net.parameters()), expected, name=f"parameters of make_mlp{dims}")
    checks.equal(checks.call(mlp_parameter_count, *dims), expected, name=f"mlp_parameter_count{dims}")
    checks.true(any(isinstance(m, nn.ReLU) for m in net.modules()), "the hidden layer should use nn.ReLU")
    checks.true(not any(isinstance(m, (nn.Softmax, nn.LogSoftmax)) for m in net.modules()),
                "leave out the softmax: the loss applies it")
### END HIDDEN TESTS

# %% [markdown]
# Train it with minibatch stochastic gradient descent (each step uses 32 notes, not all of them),
# watching the cost on the training *and* validation sets after every epoch (one pass over the
# training data). `sl.train_mlp` is an ordinary PyTorch loop; open `mmteach/supervised.py` to read it.

# %%
mlp_fn = checks.use_yours(make_mlp, sl.make_mlp, 22, 64, 4, compare=False)
mlp = mlp_fn(22, 64, 4)
history = sl.train_mlp(mlp, X_train, y_train, X_val, y_val, epochs=pick(normal=80, quick=15), lr=0.05)
history.plot(title="MLP, 64 hidden units:"); plt.tight_layout(); plt.show()
print(f"validation accuracy: softmax regression {val_acc_linear:.1%}, MLP {history.val_acc[-1]:.1%}")

# %% [markdown]
# ## 9. Over-fitting, seen in a learning curve
#
# What happens with far fewer training notes and a much bigger network? Below, the same recipe
# trains a 256-unit MLP on only 24 notes. Watch the two curves part ways: the training cost keeps
# falling towards zero while the validation cost bottoms out and then *rises* — the network starts
# fitting the particular noise, pitch and microphone of its 24 notes instead of what makes a flute
# a flute. The epoch where validation cost is lowest is where we should have stopped
# (*early stopping*); more data, a smaller network or weight decay push that point later.

# %%
few = train_idx[:24]
X_few, X_val_few = sl.standardise(data.X[few], data.X[val_idx])
big = sl.make_mlp(22, 256, 4)
overfit = sl.train_mlp(big, X_few, data.y[few], X_val_few, y_val, epochs=pick(normal=300, quick=40), lr=0.05)
axes = overfit.plot(title="24 notes, 256 units:")
best = int(np.argmin(overfit.val_loss))
axes[0].axvline(best + 1, ls=":", c="k"); axes[0].annotate("lowest validation cost", (best + 1, overfit.val_loss[best]))
plt.tight_layout(); plt.show()
print(f"final training accuracy {overfit.train_acc[-1]:.0%}, validation accuracy {overfit.val_acc[-1]:.0%}")

# %% [markdown]
# ## 10. The final, honest number
#
# Having chosen the model on the validation set, we report its accuracy on the test set, once,
# and look at which timbres it confuses.

# %%
pred = sl.predict_classes(mlp, X_test)
print(f"MLP test accuracy: {sl.accuracy(y_test, pred):.1%} on {len(y_test)} unseen notes")
cm = sl.confusion_matrix(y_test, pred, 4)
plt.figure(figsize=(4.2, 3.6)); plt.imshow(cm, cmap="Blues")
plt.xticks(range(4), data.classes, rotation=30); plt.yticks(range(4), data.classes)
for i in range(4):
    for j in range(4):
        plt.text(j, i, cm[i, j], ha="center", va="center")
plt.xlabel("predicted"); plt.ylabel("true"); plt.title("test confusion matrix"); plt.show()

# %% [markdown]
# ### Written answer (3 points) — reading a learning curve
#
# Look at the two learning curves of section 9 (and, if you like, re-run that cell with other
# settings). In a few sentences: (a) at which point did the big network start to over-fit, and how
# can you tell from the curves? (b) Name two changes that would reduce over-fitting here and say
# why each helps. (c) The test accuracy of section 10 was measured only once, after all choices
# were made. Why would it be wrong to pick the number of hidden units by comparing test accuracies?

# %% [answer] overfitting_answer 3
# ### BEGIN SOLUTION
# *Model answer.* (a) Over-fitting begins around the epoch where the validation cost is lowest
# (marked): after it the training cost keeps falling towards 0 and training accuracy reaches 100 %,
# while the validation cost rises — the network is fitting the noise, pitch and microphone quirks
# of its 24 notes, which do not carry over to new notes. (b) More training data (the noise averages
# out, and memorising becomes harder than generalising); a smaller network or weight decay (fewer
# effective parameters, smoother functions); early stopping at the validation minimum. (c) Choosing
# by test accuracy makes the test set part of training: the chosen model is the one that happened to
# suit those particular notes, so its test accuracy overestimates performance on new data. Choices
# belong to the validation set; the test set is looked at once.
#
# *Rubric (3 points):* 1 point for locating over-fitting by the diverging curves (validation cost
# rising while training cost falls); 1 point for two valid remedies, each with a reason; 1 point for
# explaining that selecting on the test set biases the reported accuracy upwards.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * Supervised learning fits a parametric hypothesis to labelled examples by minimising a cost.
# * Softmax turns scores into probabilities; subtracting the maximum keeps it finite.
# * Cross-entropy $-\log S(z)_y$ is computed stably as log-sum-exp minus the true score, and its
#   gradient with respect to the logits is prediction minus truth, $S(z) - \bar y$ (over $N$).
# * Gradient descent follows $-\nabla J$; PyTorch's autograd computes the same gradients you derived.
# * A ReLU MLP draws curved boundaries; with little data it over-fits, which the gap between
#   training and validation curves reveals. The test set is used once, at the end.
#
# ## Going further
#
# * Goodfellow, Bengio and Courville, *Deep Learning* (2016), chapters 5–6: the background of this
#   lesson, including the no-free-lunch theorem and universal approximation.
# * Try `sl.train_mlp(..., weight_decay=1e-3)` in section 9 and watch the gap shrink.
# * Real instruments: the NSynth and IRMAS data sets have labelled notes and excerpts; the same
#   feature-plus-MLP recipe is a fair baseline there.
# * Next: **lesson 02** builds the spectrogram inputs that the networks of lessons 04–08 read
#   instead of 22 hand-picked numbers.
