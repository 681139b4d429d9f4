# %% [markdown]
# # Lesson 02 — Audio representations: from a waveform to the patches a CNN reads
#
# A network never hears music. It reads an array of numbers, and every choice made while turning
# sound into that array — the sample rate, the window, the frequency scale, the compression, the
# normalisation, the length of a patch — decides what the network *can* learn. Pons et al.
# chose 40 mel bands and patches of 80 frames because their filters were meant to "see" tempo and
# timbre; MusiCNN's authors chose 96 bands and 3-second patches. This lesson builds both inputs
# step by step, so that in lessons 04–09 you know exactly what each number in a spectrogram means.
#
# **Prerequisites:** lesson 01 (NumPy, plotting); a little trigonometry (sines, frequency in Hz).
# **Time:** about 90 minutes.
#
# ## Learning objectives
#
# After this lesson you can
#
# 1. explain sampling, the sample rate and the Nyquist frequency, and recognise aliasing;
# 2. compute and read a short-time Fourier transform (STFT): window, hop, frequency and time
#    resolution;
# 3. map frequencies to the mel scale and explain what a mel filterbank keeps and throws away;
# 4. compress a spectrogram with $\log_{10}(1 + C\,x)$, compare it with decibels, and normalise a
#    data set with one mean and one standard deviation;
# 5. convert between frames, seconds and beats, and cut spectrograms into patches — and compute
#    the MusiCNN and Pons inputs with `mmteach.audio`.
#
# **How this notebook works.** Cells marked *Exercise* ask you to replace
# `raise NotImplementedError()` with your code. The cell after each one checks your answer and
# prints ✓ when it passes; when it fails it says what was expected. (If you submit this notebook
# for a grade, extra hidden checks try other inputs.) You can run everything top to bottom at any
# time: where an exercise is unfinished, later cells use the course library's version and say so.

# %% [locked] setup
import numpy as np
import matplotlib.pyplot as plt
import librosa
from IPython.display import Audio, display

from mmteach import checks, pick, quick_mode
from mmteach import audio as au

QUICK = quick_mode()          # a small, fast run when MMTEACH_QUICK=1 (the grader sets it)
print("quick mode" if QUICK else "normal mode")

# %% [markdown]
# ## 1. Sampling: sound as a list of numbers
#
# A microphone turns air pressure into a voltage; a converter measures that voltage $f_s$ times
# per second. The result is a sequence $x[n] = x(n / f_s)$, $n = 0, 1, 2, \dots$ — a **waveform**.
# $f_s$ is the **sample rate**: 44 100 Hz on a CD and in Pons et al.'s experiments, 16 000 Hz in
# MusiCNN (enough for the musical content that matters for tagging, and 2.8 × fewer numbers).
#
# The example sounds of this lesson are rendered from a General MIDI sound font, the same way the
# course's data sets are made. Listen to a short piece for a band, and look at its first 50
# milliseconds:

# %%
SR = 44100
band = au.example_sound("band", SR)
print(f"{band.size} samples at {SR} Hz = {band.size / SR:.1f} s, dtype {band.dtype}, "
      f"peak {np.abs(band).max():.2f}")
display(Audio(band, rate=SR))

t = np.arange(band.size) / SR
fig, axes = plt.subplots(1, 2, figsize=(12, 2.6))
axes[0].plot(t, band, lw=0.3); axes[0].set(xlabel="time (s)", title="the whole waveform")
zoom = slice(int(1.0 * SR), int(1.05 * SR))
axes[1].plot(t[zoom] * 1000, band[zoom], ".-", ms=2, lw=0.5)
axes[1].set(xlabel="time (ms)", title="50 ms from t = 1 s: every dot is one sample")
plt.tight_layout(); plt.show()

# %% [markdown]
# ### Nyquist and aliasing
#
# A sampled signal can only represent frequencies below **half** the sample rate, the *Nyquist
# frequency* $f_s / 2$. A sine above it is not lost but *folded*: at $f_s = 16$ kHz, a 10 kHz sine
# produces exactly the same samples as a 6 kHz sine (with flipped sign), because
# $\cos(2\pi \cdot 10\,000\, n / 16\,000) = \cos(2\pi n - 2\pi \cdot 6\,000\, n / 16\,000)$.
# That is why audio is low-pass filtered before it is resampled to a lower rate — exactly what the
# resamplers inside `au.resample` (and inside `musicnn_input` for audio not at 16 kHz) do.

# %%
fs = 16000
n = np.arange(fs)                                 # one second
tone = 0.3 * np.sin(2 * np.pi * 10000 * n / fs)   # a 10 kHz sine, naively sampled at 16 kHz
spectrum = np.abs(np.fft.rfft(tone))
freqs = np.fft.rfftfreq(fs, d=1 / fs)
print(f"the 10 kHz sine, sampled at {fs} Hz, has its peak at {freqs[spectrum.argmax()]:.0f} Hz")
display(Audio(tone, rate=fs))

# %% [markdown]
# ## 2. The short-time Fourier transform
#
# Music changes over time, so we look at its spectrum in short overlapping windows. Cut the
# signal into frames of $N$ samples, one every $H$ samples (the **hop**), multiply each by a
# window $w$ that fades in and out, and take the discrete Fourier transform:
#
# $$ X[k, m] = \sum_{n=0}^{N-1} x[n + mH]\, w[n]\, e^{-2\pi i k n / N}, \qquad
#    k = 0, \dots, N/2, $$
#
# for frame $m$ and frequency bin $k$, which sits at $k\, f_s / N$ Hz. We keep the **power**
# $|X[k, m]|^2$ and drop the phase. Two numbers describe the grid:
#
# * frequency resolution $f_s / N$: MusiCNN ($N = 512$ at 16 kHz) has bins 31.25 Hz apart, Pons
#   ($N = 2048$ at 44.1 kHz) 21.5 Hz apart;
# * time resolution $H / f_s$: MusiCNN's hop of 256 is 16 ms (62.5 frames per second), Pons' hop
#   of 1024 (50 % overlap) is 23.2 ms (43.07 frames per second).
#
# A longer window sharpens frequency and blurs time — you cannot have both. Both pipelines centre
# the frames: the signal is padded by $N/2$ samples on each side, so frame $m$ is centred on
# sample $mH$ and a clip of $L$ samples gives $1 + \lfloor L / H \rfloor$ frames.
#
# The cell below computes one frame by hand and checks it against librosa's STFT.

# %%
N, H = 2048, 1024
w = au.pons_window(N)                          # Pons' Blackman-Harris window (samples sum to 2)
m = 40                                         # frame 40, i.e. centred near 40 · 1024 / 44100 = 0.93 s
padded = np.pad(band, N // 2)                  # centring: N/2 zeros on each side
by_hand = np.abs(np.fft.rfft(padded[m * H: m * H + N] * w)) ** 2
stft = np.abs(librosa.stft(band, n_fft=N, hop_length=H, window=w, center=True, pad_mode="constant")) ** 2
print("STFT power shape (bins, frames):", stft.shape, "| 1 + L // H =", 1 + band.size // H)
print("frame 40 by hand equals librosa's:", np.allclose(by_hand, stft[:, m], rtol=1e-3, atol=1e-9))

# %% [markdown]
# The window matters. Without one (a rectangle) a pure tone leaks energy far into the
# neighbouring bins: its first side lobes are only 13 dB below the peak. The Hann window
# (MusiCNN) and the 3-term Blackman-Harris window (Pons, Essentia's `blackmanharris62`) trade a
# wider main peak for side lobes 31 dB and 62 dB below it. (The plot zero-pads the FFT 16 times to
# draw the window's spectrum smoothly between bins.)

# %%
tone = np.sin(2 * np.pi * 1000.7 * np.arange(N) / SR)
windows = {"rectangle": np.ones(N), "Hann (MusiCNN)": np.hanning(N), "Blackman-Harris 62 (Pons)": w}
plt.figure(figsize=(9, 3))
for name, win in windows.items():
    mag = np.abs(np.fft.rfft(tone * win, n=16 * N))
    plt.plot(np.fft.rfftfreq(16 * N, 1 / SR), 20 * np.log10(mag / mag.max() + 1e-12), label=name, lw=1)
for level in (-13, -31, -62):
    plt.axhline(level, color="grey", lw=0.5, ls=":")
plt.xlim(800, 1200); plt.ylim(-110, 5); plt.xlabel("frequency (Hz)"); plt.ylabel("dB re peak")
plt.title("spectrum of one 2048-sample frame of a 1000.7 Hz sine"); plt.legend(); plt.show()

# %% [markdown]
# Here is the band's power spectrogram on a linear frequency axis, in decibels (section 4
# explains why a logarithm). Most of the picture is empty high frequencies; the bass, the
# chords and the drums crowd into the bottom few percent.

# %%
au.plot_spectrogram(au.power_to_db(stft), SR, H, y_axis="linear", n_fft=N, label="dB",
                    title="STFT power of the band, linear frequency axis")
plt.show()

# %% [markdown]
# ## 3. The mel scale
#
# We hear pitch roughly logarithmically: 100 → 200 Hz is an octave, and so is 5 000 → 10 000 Hz.
# A linear frequency axis spends most of its bins on the top octaves. The **mel scale** re-spaces
# frequency so that equal steps sound roughly equally far apart. Pons et al. (through Essentia) use
# the HTK formula
#
# $$ m(f) = 2595 \, \log_{10}\!\left(1 + \frac{f}{700}\right), $$
#
# nearly linear below 700 Hz and logarithmic above. MusiCNN (through librosa) uses Slaney's
# version: exactly linear below 1 kHz ($m = 3f/200$) and logarithmic above. A **mel filterbank**
# is a set of triangular filters whose centres are equally spaced in mel; each mel band is a
# weighted sum of the power in the FFT bins under its triangle:
#
# $$ S[b, m] = \sum_k M[b, k]\, |X[k, m]|^2 . $$
#
# Pons' 1 025 FFT bins become 40 bands, MusiCNN's 257 bins become 96: narrow at the bottom, where
# notes are close together in Hz, and wide at the top.

# %% [markdown]
# ### Exercise 1 (2 points) — Hz to mel
#
# Write `hz_to_mel(f)` using the HTK formula above. `f` is a frequency in Hz: a Python number or
# a NumPy array of any shape. Return mel values of the same shape (float). NumPy only
# (`np.log10`).

# %% [solution] hz_to_mel
def hz_to_mel(f):
    """HTK mel value of frequency f (Hz); scalar or array, same shape."""
    f = np.asarray(f, dtype=float)
    ### BEGIN SOLUTION
    return 2595.0 * np.log10(1.0 + f / 700.0)
    ### END SOLUTION

# %% [test] hz_to_mel_check 2
htk_ref = lambda f: au.hz_to_mel(f, htk=True)
checks.function(hz_to_mel, htk_ref, [(np.array([0.0, 700.0, 1000.0, 8000.0]),)],
                hint="m = 2595 · log10(1 + f / 700)")
checks.close(checks.call(hz_to_mel, 700.0), 2595 * np.log10(2), name="hz_to_mel(700.0)",
             hint="at 700 Hz the argument of the logarithm is 2")
checks.passed("hz_to_mel follows the HTK formula")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(2)
checks.function(hz_to_mel, htk_ref, [(rng.uniform(0, 22050, size=17),), (rng.uniform(0, 8000, size=(3, 4)),),
                                     (np.array([22050.0]),), (0.0,)], rtol=1e-9)
checks.shape(checks.call(hz_to_mel, np.zeros((2, 5))), (2, 5), name="hz_to_mel of a (2, 5) array")
### END HIDDEN TESTS

# %% [markdown]
# With it, we can draw where 40 Pons bands sit: 42 points equally spaced in mel between 0 Hz and
# the Nyquist frequency, converted back to Hz. Each band rises from one point to the next and falls
# to the one after. At the bottom the bands are about 70 Hz apart; at the top, 1 700 Hz.

# %%
mel_fn = checks.use_yours(hz_to_mel, lambda f: au.hz_to_mel(f, htk=True), np.array([0.0, 440.0, 8000.0]))
points_hz = au.mel_to_hz(np.linspace(0, mel_fn(SR / 2), 40 + 2))
print("first band centres (Hz):", np.round(points_hz[1:6]), " last:", np.round(points_hz[-3:-1]))
filters = au.pons_mel_filters()                # (40, 1025), each row sums to 1
fig, axes = plt.subplots(1, 2, figsize=(12, 3))
f_axis = np.fft.rfftfreq(N, 1 / SR)
axes[0].plot(f_axis, filters[::3].T); axes[0].set(xlabel="frequency (Hz)", ylabel="weight",
                                                  title="every third Pons mel filter (HTK, unit sum)")
f = np.linspace(0, SR / 2, 500)
axes[1].plot(f, mel_fn(f), label="HTK (Pons)"); axes[1].plot(f, au.hz_to_mel(f, htk=False) * mel_fn(SR / 2)
                                                              / au.hz_to_mel(SR / 2, htk=False), label="Slaney, rescaled")
axes[1].set(xlabel="frequency (Hz)", ylabel="mel", title="the mel scale"); axes[1].legend()
plt.tight_layout(); plt.show()

# %% [markdown]
# A sine gliding from 50 Hz to 8 kHz makes the warping visible: on a linear axis the glide is an
# exponential curve; on the mel axis it spends about as much height on each octave above 1 kHz.

# %%
sweep = au.example_sound("sweep", SR)
display(Audio(sweep, rate=SR))
fig, axes = plt.subplots(1, 2, figsize=(12, 3))
au.plot_spectrogram(au.power_to_db(np.abs(librosa.stft(sweep, n_fft=N, hop_length=H, window=w)) ** 2), SR, H,
                    ax=axes[0], y_axis="linear", n_fft=N, title="sweep, linear frequency (dB)", colorbar=False)
au.plot_spectrogram(au.power_to_db(au.pons_mel_power(sweep, SR)), SR, H, ax=axes[1], htk=True,
                    title="sweep, 40 mel bands (dB)", colorbar=False)
plt.tight_layout(); plt.show()

# %% [markdown]
# **What the mel bands keep.** The cell below turns mel spectrograms back into sound (the energy
# of each band is spread over its FFT bins, and the phases are guessed by the Griffin-Lim
# algorithm). With 96 bands the chords are still recognisable; with 40 they blur into coloured
# noise, while the rhythm survives intact in both. That is a design decision: Pons et al. wanted
# rhythm and timbre, not melody.

# %%
band_short = band[: pick(normal=8, quick=3) * SR]
for pipeline, mel_power in [("musicnn", au.musicnn_mel_power(band_short, SR)), ("pons", au.pons_mel_power(band_short, SR))]:
    y_back, sr_back = au.mel_to_audio(mel_power, pipeline, n_iter=pick(normal=32, quick=4))
    print(f"{pipeline}: {mel_power.shape[0]} mel bands, heard through Griffin-Lim")
    display(Audio(y_back, rate=sr_back))

# %% [markdown]
# ## 4. Compressing the dynamic range: $\log(1 + C\,x)$ versus decibels
#
# Mel power spans many orders of magnitude: in the band's Pons mel spectrogram the largest value
# (the kick drum's bass) is about $2 \cdot 10^{-2}$, the median about $3 \cdot 10^{-7}$, and a tenth
# of the values lie below $3 \cdot 10^{-12}$. Fed raw, a network sees a few bright pixels and
# nothing else. Our ears
# compress loudness roughly logarithmically, and so do both pipelines, with
#
# $$ \tilde x = \log_{10}(1 + C\, x), \qquad C = 10\,000 . $$
#
# For $C x \gg 1$ it is $\log_{10} C + \log_{10} x$, a logarithm like decibels ($10 \log_{10} x$)
# up to scale and shift. For $C x \ll 1$ it is $\approx C x / \ln 10$, nearly linear and exactly
# 0 for silence. Decibels instead go to $-\infty$ at silence and need a floor (`amin`, or a
# clip `top_db` below the maximum) that depends on the clip. $C$ sets where the change happens,
# at $x \approx 1/C$: energies well below $10^{-4}$ are squashed towards 0, energies above are
# compressed logarithmically.
#
# (A detail that mattered when we rebuilt MusiCNN's input: its code rounds the mel power to 16-bit
# floats before the logarithm. Under NumPy 2, `10000 * S` then stays in float16 and overflows to
# infinity for any $S > 6.55$; `au.musicnn_input` rounds like the original and computes the
# logarithm in 32-bit floats, as NumPy 1 did.)

# %% [markdown]
# ### Exercise 2 (2 points) — log compression
#
# Write `log_compress(x, C=10000)` returning $\log_{10}(1 + C\,x)$ elementwise for a non-negative
# NumPy array `x` of any shape. Same shape out. NumPy only.

# %% [solution] log_compress
def log_compress(x, C=10000.0):
    """log10(1 + C·x) elementwise; same shape as x."""
    x = np.asarray(x, dtype=float)
    ### BEGIN SOLUTION
    return np.log10(1.0 + C * x)
    ### END SOLUTION

# %% [test] log_compress_check 2
x = np.array([0.0, 1e-4, 1.0, 100.0])
checks.function(log_compress, au.log_compress, [(x,)], hint="np.log10(1 + C * x)")
checks.close(checks.call(log_compress, x, 1.0), np.log10(1 + x), name="log_compress(x, C=1)",
             hint="use the argument C, not a fixed 10000")
checks.equal(float(checks.call(log_compress, np.zeros(3)).max()), 0.0, name="log_compress of silence")
checks.passed("log compression is right, and silence stays 0")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3)
spec = rng.exponential(1e-3, size=(40, 80))
checks.function(log_compress, au.log_compress, [(spec,), (spec, 100.0), (rng.exponential(10.0, size=7), 1e6)],
                rtol=1e-6)
checks.shape(checks.call(log_compress, spec), (40, 80), name="log_compress of a (40, 80) spectrogram")
### END HIDDEN TESTS

# %% [markdown]
# The curves, and what they do to the band's mel spectrogram. The histograms show why compression
# matters: raw power piles up at 0 (left); after compression the values spread over a usable range.

# %%
compress = checks.use_yours(log_compress, au.log_compress, np.array([0.0, 1.0]))
mel_power = au.pons_mel_power(band, SR)
xs = np.logspace(-8, 2, 400)
fig, axes = plt.subplots(1, 3, figsize=(14, 3))
for C in (1.0, 100.0, 10000.0):
    axes[0].semilogx(xs, compress(xs, C), label=f"log10(1 + {C:g} x)")
axes[0].semilogx(xs, np.log10(xs) + 4, "k--", label="dB / 10 + 4 (→ −∞)")
axes[0].set(xlabel="power x", ylim=(-1, 7), title="compression curves"); axes[0].legend(fontsize=8)
axes[1].hist(mel_power.ravel(), bins=60, log=True); axes[1].set(title="raw mel power", xlabel="x")
axes[2].hist(compress(mel_power).ravel(), bins=60, log=True)
axes[2].set(title="log10(1 + 10 000 x)", xlabel="compressed value")
plt.tight_layout(); plt.show()

fig, axes = plt.subplots(1, 3, figsize=(15, 3))
au.plot_spectrogram(mel_power, SR, H, ax=axes[0], htk=True, title="raw mel power")
au.plot_spectrogram(compress(mel_power), SR, H, ax=axes[1], htk=True, title="log10(1 + 10 000 x)")
au.plot_spectrogram(au.power_to_db(mel_power), SR, H, ax=axes[2], htk=True, title="dB (80 dB range)")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 5. The time axis: frames, seconds and beats
#
# A spectrogram's columns are frames, $H / f_s$ seconds apart. Frame $m$ is centred at
# $t = m H / f_s$; the frame at time $t$ is $m = \lfloor t f_s / H \rfloor$. Tempo turns seconds
# into beats: at $b$ beats per minute a beat lasts $60 / b$ seconds, so it spans
#
# $$ n = \frac{60}{b} \cdot \frac{f_s}{H} \text{ frames.} $$
#
# Pons and Serra sized their temporal filters with this: at 60 bpm, $f_s = 44\,100$ and
# $H = 1024$, one beat is $n \approx 43$ frames, so a 1 × 43 filter can hold one beat of the
# slowest Ballroom dance (lesson 05). And MusiCNN's patch of 187 frames spans
# $187 \cdot 256 / 16\,000 = 2.99$ s: the original code derives 187 from 3 seconds.

# %% [markdown]
# ### Exercise 3 (2 points) — frames per beat, and the frame at a time
#
# Write two functions, for scalar arguments:
#
# * `frames_per_beat(bpm, sr, hop)` → how many frames one beat lasts (a float, not rounded);
# * `seconds_to_frames(t, sr, hop)` → the index of the frame at time `t` seconds,
#   $\lfloor t \cdot sr / hop \rfloor$, as an `int`.

# %% [solution] frames_time
def frames_per_beat(bpm, sr, hop):
    """Frames per beat at `bpm` beats per minute (float)."""
    ### BEGIN SOLUTION
    return 60.0 / bpm * sr / hop
    ### END SOLUTION


def seconds_to_frames(t, sr, hop):
    """Index of the frame at time t seconds: floor(t · sr / hop), an int."""
    ### BEGIN SOLUTION
    return int(np.floor(t * sr / hop))
    ### END SOLUTION

# %% [test] frames_time_check 2
checks.close(checks.call(frames_per_beat, 60, 44100, 1024), 44100 / 1024, name="frames_per_beat(60, 44100, 1024)",
             hint="one beat lasts 60 / bpm seconds; a frame lasts hop / sr seconds")
got = checks.call(seconds_to_frames, 3.0, 16000, 256)
checks.equal(int(got), 187, name="seconds_to_frames(3.0, 16000, 256)", hint="floor(t · sr / hop)")
checks.true(float(got).is_integer(), f"seconds_to_frames should return a whole number, got {got!r}")
checks.passed(f"one beat at 60 bpm is {44100 / 1024:.2f} frames (≈ 43), and 3 s is frame 187 at 16 kHz")
### BEGIN HIDDEN TESTS
for args in [(120, 16000, 256), (224, 44100, 1024), (100.5, 22050, 512)]:
    checks.close(checks.call(frames_per_beat, *args), au.frames_per_beat(*args), name=f"frames_per_beat{args}")
for args in [(1.0, 44100, 1024), (5.8, 44100, 1024), (0.0, 16000, 256), (0.9, 16000, 256), (60.0, 22050, 512)]:
    checks.equal(int(checks.call(seconds_to_frames, *args)), au.seconds_to_frames(*args), name=f"seconds_to_frames{args}")
### END HIDDEN TESTS

# %% [markdown]
# A click on every beat at 60 bpm: in Pons' spectrogram the clicks are 43 frames apart, as the
# formula says. The dashed lines are drawn with your functions.

# %%
fpb = checks.use_yours(frames_per_beat, au.frames_per_beat, 60, 44100, 1024)
clicks = au.example_sound("clicks60", SR)
display(Audio(clicks, rate=SR))
x_clicks = au.pons_input(clicks, SR)
onsets = np.flatnonzero(np.diff((x_clicks.sum(axis=0) > 0.5 * x_clicks.sum(axis=0).max()).astype(int)) == 1) + 1
print("frames where clicks start:", onsets, "| differences:", np.diff(onsets), f"| formula: {fpb(60, 44100, 1024):.2f}")
plt.figure(figsize=(10, 2.5))
plt.imshow(x_clicks, origin="lower", aspect="auto", cmap="magma")
for k in range(6):
    plt.axvline(onsets[0] + k * fpb(60, 44100, 1024), color="w", ls="--", lw=0.8)
plt.xlabel("frame"); plt.ylabel("mel band"); plt.title("clicks at 60 bpm, Pons input: one beat ≈ 43 frames"); plt.show()

# %% [markdown]
# ## 6. Patches of N frames
#
# CNNs are trained on fixed-size inputs, so each track's spectrogram is cut into **patches** of
# $N$ frames: Pons et al. use $N = 80$ (1.86 s) in lesson 04 and $N = 250$ (5.8 s) in lesson 05;
# MusiCNN uses $N = 187$ (3 s). Patch $i$ starts at frame $i \cdot \text{hop}$; with hop $= N$ the
# patches do not overlap, and the frames at the end that do not fill a whole patch are dropped.
# A track of $T$ frames gives $1 + \lfloor (T - N) / \text{hop} \rfloor$ patches. At test time the
# model predicts each patch and the track's label is the majority vote (or the mean) of its
# patches.

# %% [markdown]
# ### Exercise 4 (3 points) — cutting patches
#
# Write `make_patches(spec, n_frames, hop=None)`:
#
# * `spec` — a spectrogram of shape `(n_mels, T)`;
# * returns an array of shape `(n_patches, n_mels, n_frames)` whose patch `i` is
#   `spec[:, i*hop : i*hop + n_frames]`, for every `i` such that the patch fits entirely;
# * `hop=None` means `hop = n_frames` (no overlap);
# * if `T < n_frames`, raise a `ValueError` with a helpful message (a silent empty result would
#   break training later in a confusing way).

# %% [solution] make_patches
def make_patches(spec, n_frames, hop=None):
    """Patches (n_patches, n_mels, n_frames) of spec (n_mels, T); tail dropped."""
    spec = np.asarray(spec)
    ### BEGIN SOLUTION
    hop = n_frames if hop is None else hop
    T = spec.shape[1]
    if T < n_frames:
        raise ValueError(f"spectrogram has {T} frames, fewer than one patch of {n_frames}")
    starts = range(0, T - n_frames + 1, hop)
    return np.stack([spec[:, s:s + n_frames] for s in starts])
    ### END SOLUTION

# %% [test] make_patches_check 3
spec = np.arange(2 * 10).reshape(2, 10)
checks.function(make_patches, au.patches, [(spec, 4)], hint="patches start at 0, 4; frames 8 and 9 are dropped")
checks.function(make_patches, au.patches, [(spec, 4, 3)], hint="with hop 3, patches start at 0, 3 and 6")
try:
    with checks.own_work():
        make_patches(np.zeros((3, 5)), 8)
except ValueError:
    pass
except NotImplementedError:
    raise checks.CheckFailed("✗ `make_patches` is not written yet: it still raises NotImplementedError.")
else:
    raise checks.CheckFailed("✗ make_patches(spec with 5 frames, 8) should raise ValueError: not even one patch fits")
checks.passed("patches are cut, the tail is dropped, and too-short input is refused")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(4)
x40 = rng.normal(size=(40, 259)).astype(np.float32)
checks.function(make_patches, au.patches, [(x40, 80), (x40, 250), (x40, 80, 20), (x40, 259), (x40, 7, 1),
                                           (rng.normal(size=(96, 600)), 187, 50)])
checks.shape(checks.call(make_patches, x40, 80), (3, 40, 80), name="patches of 80 from 259 frames")
### END HIDDEN TESTS

# %% [markdown]
# The band's 8 seconds as Pons' 80-frame patches:

# %%
patch_fn = checks.use_yours(make_patches, au.patches, np.arange(20).reshape(2, 10), 4)
x_band = au.pons_input(band, SR)
p80 = patch_fn(x_band, 80)
print(f"Pons input {x_band.shape} → {p80.shape[0]} patches of 80 frames "
      f"({au.frames_to_seconds(80, SR, H):.2f} s each); {x_band.shape[1] % 80} frames dropped")
fig, axes = plt.subplots(1, len(p80), figsize=(3 * len(p80), 2.4), sharey=True)
for i, ax in enumerate(np.atleast_1d(axes)):
    ax.imshow(p80[i], origin="lower", aspect="auto", cmap="magma"); ax.set_title(f"patch {i}")
    ax.set_xlabel("frame")
np.atleast_1d(axes)[0].set_ylabel("mel band"); plt.tight_layout(); plt.show()

# %% [markdown]
# ## 7. Normalisation: one mean, one standard deviation
#
# Networks train best when their inputs are centred near 0 with unit spread. Pons et al.
# standardise with statistics of the **whole training set pooled together**:
#
# $$ \mu = \frac{1}{K} \sum_{\text{tracks}} \sum_{b, m} \tilde x[b, m], \qquad
#    \sigma^2 = \frac{1}{K} \sum_{\text{tracks}} \sum_{b, m} (\tilde x[b, m] - \mu)^2, \qquad
#    \hat x = \frac{\tilde x - \mu}{\sigma}, $$
#
# where $K$ counts every value of every training spectrogram. One $\mu$, one $\sigma$ — *not* one
# per mel band. Subtracting a constant and dividing by a constant keeps every relation between
# bins: that the bass is louder than the treble, that a band is brighter in this track than in
# that one. The statistics come from the training tracks only and are then applied unchanged to
# validation and test tracks (otherwise test data leaks into training). MusiCNN has no explicit
# step; its first layer is a batch normalisation with a *single* mean and variance for the whole
# input, the same idea learnt during training.

# %% [markdown]
# ### Exercise 5 (2 points) — data-set statistics
#
# Write `dataset_stats(specs)`: `specs` is a list of spectrograms `(n_mels, T_i)` whose lengths
# `T_i` may differ. Return `(mean, std)` — two Python floats — of **all values of all
# spectrograms pooled together** (population standard deviation, as `np.std` computes it).
# Careful: the mean of the per-track means is not the pooled mean when tracks differ in length.

# %% [solution] dataset_stats
def dataset_stats(specs):
    """(mean, std) over every value of every spectrogram in the list; two floats."""
    ### BEGIN SOLUTION
    values = np.concatenate([np.asarray(s, dtype=float).ravel() for s in specs])
    return float(values.mean()), float(values.std())
    ### END SOLUTION

# %% [test] dataset_stats_check 2
a = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
b = np.array([[10.0], [20.0]])
got = checks.call(dataset_stats, [a, b])
checks.true(isinstance(got, (tuple, list)) and len(got) == 2, f"dataset_stats should return a pair (mean, std), got {got!r:.80}")
checks.true(np.ndim(got[0]) == 0 and np.ndim(got[1]) == 0,
            "mean and std should be single numbers (one for the whole set), not one per band",
            hint="pool every value of every spectrogram, then take one mean and one std")
checks.close(got, au.fit_normaliser([a, b]), name="dataset_stats([a, b])",
             hint="the 8 values pooled: mean 5.625 — not the mean of the two track means")
checks.passed("one mean and one std over the pooled data set")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5)
specs = [rng.normal(3.0, 2.0, size=(40, n)) + np.linspace(0, 4, 40)[:, None] for n in (80, 250, 17)]
checks.close(checks.call(dataset_stats, specs), au.fit_normaliser(specs), name="dataset_stats of 3 tracks", rtol=1e-9)
mixed = [rng.exponential(1.0, size=(96, n)).astype(np.float32) for n in (187, 5, 400)]
checks.close(checks.call(dataset_stats, mixed), au.fit_normaliser(mixed), name="dataset_stats of float32 tracks",
             rtol=1e-5)
one = [rng.normal(size=(40, 80))]
checks.close(checks.call(dataset_stats, one), (float(one[0].mean()), float(one[0].std())), name="dataset_stats of one track")
### END HIDDEN TESTS

# %% [markdown]
# Now normalise a small "training set" — five example sounds — both ways, and compare what is
# left of each sound's spectral envelope (the mean of each mel band over time). With the
# data-set-wide statistics, the flute keeps its peak in the middle bands and the drums stay
# bass-heavy. With per-band statistics every band is forced to mean 0 and spread 1 across the set,
# so each sound is described only relative to the average sound: the drums now look treble-heavy,
# and the nearly empty top bands of the flute are blown up to the same scale as real content.

# %%
stats_fn = checks.use_yours(dataset_stats, au.fit_normaliser, [np.arange(6.0).reshape(2, 3), np.ones((2, 1))])
names = ["piano", "flute", "drums", "band", "sweep"]
train_specs = [au.pons_input(au.example_sound(name, SR), SR) for name in names]
mean, std = stats_fn(train_specs)
print(f"data-set statistics: mean {mean:.3f}, std {std:.3f} (one number each)")
pooled = np.concatenate(train_specs, axis=1)
band_mean, band_std = pooled.mean(axis=1, keepdims=True), pooled.std(axis=1, keepdims=True) + 1e-8
fig, axes = plt.subplots(1, 2, figsize=(12, 3), sharey=False)
for name, spec in zip(names, train_specs):
    axes[0].plot(((spec - mean) / std).mean(axis=1), label=name)
    axes[1].plot(((spec - band_mean) / band_std).mean(axis=1), label=name)
axes[0].set(title="one mean, one std (Pons et al.)", xlabel="mel band", ylabel="mean over time")
axes[1].set(title="per-band mean and std", xlabel="mel band"); axes[0].legend(fontsize=8)
plt.tight_layout(); plt.show()

# %% [markdown]
# `au.Normaliser` packages the same statistics for later lessons:
# `norm = au.Normaliser().fit(training_specs)`, then `norm(spec)` on any spectrogram.

# %% [markdown]
# ## 8. The two pipelines side by side
#
# | | MusiCNN (lessons 08–09) | Pons et al. (lessons 04–05) |
# | --- | --- | --- |
# | sample rate | 16 kHz | 44.1 kHz |
# | window, hop | Hann 512, hop 256 (16 ms) | Blackman-Harris 2048, hop 1024 (23.2 ms) |
# | frequency axis | 96 mel bands, Slaney, 0–8 kHz | 40 mel bands, HTK, 0–22.05 kHz |
# | compression | float16 rounding, then $\log_{10}(1 + 10^4 x)$ | $\log_{10}(1 + 10^4 x)$ |
# | normalisation | none (batch norm inside the model) | one mean and one std of the training set |
# | patch | 187 frames = 3 s, no overlap | 80 frames ≈ 1.86 s (250 ≈ 5.8 s) |
#
# `au.musicnn_input` reproduces the original `musicnn` package's computation exactly: on a test
# clip it equals, bit for bit, the input that the original package computed. Two things in
# librosa changed since the model was trained in 2019, and the old behaviour is an option: frames
# were padded by reflection (`pad_mode="reflect"`; today zeros, our default, which changes only
# the first and last frame), and audio was resampled with `resampy`
# (`res_type="kaiser_best"`, needs `pip install resampy`) where it now uses `soxr`; measured on
# this band, the two resamplers give the same MusiCNN input within 0.01 below 7.2 kHz, and only
# the top three mel bands differ noticeably. `au.pons_input` re-creates Essentia's defaults with
# NumPy; checked against Essentia itself, it gives the same frames and the same values to within
# float32 rounding. (Essentia frames one more time step at the end than a plain centred STFT:
# $1 + \lceil L / H \rceil$ frames.)

# %%
x_musicnn = au.musicnn_input(band, SR)        # resampled to 16 kHz inside
x_pons = au.pons_input(band, SR)
for name, x, sr, hop in [("MusiCNN", x_musicnn, 16000, 256), ("Pons", x_pons, 44100, 1024)]:
    print(f"{name:8s} shape {x.shape}  {sr / hop:5.2f} frames/s  values {x.min():.2f} … {x.max():.2f}")
print("MusiCNN patches:", au.musicnn_patches(band, SR).shape, "| Pons 80-frame patches:", au.patches(x_pons, 80).shape)
display(Audio(band, rate=SR))
fig, axes = plt.subplots(1, 2, figsize=(14, 3.2))
au.plot_spectrogram(x_musicnn, 16000, 256, ax=axes[0], title="MusiCNN input (96 × 62.5 frames/s)")
au.plot_spectrogram((x_pons - mean) / std, 44100, 1024, ax=axes[1], htk=True,
                    title="Pons input, normalised (40 × 43 frames/s)")
plt.tight_layout(); plt.show()

# %% [markdown]
# Try your own sound: `y, sr = au.load("my_song.mp3")` reads wav, flac, ogg or mp3 as mono float32
# (add `sr=16000` to resample), and the two functions above do the rest. Bad input — stereo,
# integers, NaN, an empty or too-short clip, a nonsense sample rate — gets an error that says what
# was expected. Silence is valid and gives an all-zero spectrogram.

# %%
sounds = {name: au.example_sound(name, SR) for name in ["piano", "flute", "drums"]}
fig, axes = plt.subplots(len(sounds), 2, figsize=(13, 2.4 * len(sounds)))
for row, (name, y) in zip(axes, sounds.items()):
    display(Audio(y, rate=SR))
    au.plot_spectrogram(au.musicnn_input(y, SR), 16000, 256, ax=row[0], title=f"{name} — MusiCNN", colorbar=False)
    au.plot_spectrogram(au.pons_input(y, SR), 44100, 1024, ax=row[1], htk=True, title=f"{name} — Pons", colorbar=False)
plt.tight_layout(); plt.show()

# %% [markdown]
# ### Written answer (3 points) — designing an input
#
# (a) Explain in your own words why Pons et al. normalise with one mean and one standard
# deviation for the whole data set rather than one per mel band. Use the plot of section 7: what
# would a Frequency-type model (filters that look at the spectral envelope) lose with per-band
# statistics?
# (b) Give one reason to prefer $\log_{10}(1 + 10^4 x)$ over decibels as a network input, and one
# thing the constant $C$ controls.
# (c) The Time model of lesson 04 uses 1 × 60 filters on 80-frame patches. Using your
# `frames_per_beat`, how many beats does such a filter cover at 60 bpm and at 224 bpm (the tempo
# range of the Ballroom data set)? What does that suggest about learning slow tempi?

# %% [answer] input_design_answer 3
# ### BEGIN SOLUTION
# *Model answer.* (a) Subtracting one constant and dividing by one constant keeps every relation
# between values: which bands are louder than others within a frame (the spectral envelope that
# carries timbre) and how loud a band is in one track compared with another. Per-band statistics
# give every band mean 0 and spread 1 over the data set, so the typical envelope is subtracted
# from every sound (section 7, right plot: the curves collapse around 0 and the drums are no longer
# bass-heavy). A Frequency model, whose filters read the shape of the spectrum, would see only
# deviations from the average shape, and quiet bands' noise would be amplified to the same scale as
# loud bands' content.
# (b) The log-one-plus form is 0 for silence and smooth near it, so it needs no floor or clip
# that depends on the clip (decibels go to −∞ and need `amin`/`top_db`); near-silent noise stays
# near 0 instead of becoming large negative numbers. C sets the knee ≈ 1/C: powers well below it
# are squashed to ≈ 0, powers above it are compressed logarithmically — larger C lifts quieter
# detail.
# (c) One beat at 60 bpm is 60/60 · 44100/1024 ≈ 43.1 frames, so 60 frames cover ≈ 1.4 beats; at
# 224 bpm a beat is ≈ 11.5 frames, so 60 frames cover ≈ 5.2 beats. A filter can represent a
# periodicity only if it sees at least two beats, so slow tempi (below ≈ 86 bpm for 60 frames) can
# hardly be learnt — the motivation for the longer P-net filters of lesson 05 (up to 216 frames).
#
# *Rubric (3 points):* 1 point for (a): global statistics keep relations between bands/tracks,
# per-band statistics remove the spectral envelope that frequency filters need; 1 point for (b):
# one valid advantage (no −∞ / no clip-dependent floor / zero for silence) and C as the knee or
# amount of compression; 1 point for (c): ≈ 1.4 and ≈ 5.2 beats with the conclusion that slow
# tempi need longer filters.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * Audio is sampled at $f_s$; only frequencies below $f_s / 2$ survive, higher ones alias.
# * The STFT trades time for frequency resolution through its window length $N$ and hop $H$;
#   centred frames give $1 + \lfloor L / H \rfloor$ frames for $L$ samples.
# * Mel filterbanks pool FFT bins into bands equally spaced in perceived pitch: 96 for MusiCNN,
#   40 for Pons et al. Fewer bands keep rhythm and timbre but blur pitch.
# * $\log_{10}(1 + C x)$ with $C = 10^4$ compresses loudness like decibels for loud parts and
#   stays 0 for silence.
# * Frames, seconds and beats convert with $H / f_s$ and $60 / \text{bpm}$: 43 frames per beat at
#   60 bpm in Pons' pipeline.
# * Spectrograms are cut into patches of $N$ frames (80, 250, 187) and normalised with one mean and
#   one standard deviation of the training set.
#
# ## Going further
#
# * Pons, Lidy and Serra, "Experimenting with musically motivated convolutional neural networks"
#   (CBMI 2016), and Pons's blog post on adapting CNNs to music spectrograms: the input pipeline
#   used in lesson 04.
# * Pons and Serra, "Designing efficient architectures for modeling temporal features with CNNs"
#   (ICASSP 2017): how frames per beat sized the O-net and P-net filters of lesson 05.
# * The `musicnn` package's FAQ and `extractor.py`: the MusiCNN input of lessons 08–09.
# * Real data: load a Ballroom, GTZAN or MagnaTagATune file with `au.load` and compare the two
#   pipelines on it. Try `pad_mode="constant"` and see which frames change.
# * Next: **lesson 03** slides small filters over these spectrograms — convolution and pooling.
