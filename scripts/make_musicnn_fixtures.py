"""Make the MusiCNN equivalence fixtures with the ORIGINAL model (TensorFlow), once, outside mmteach.

This script is run in a throwaway environment that has TensorFlow; the project itself never needs
TensorFlow. What was run to make the committed fixtures (Python 3.11, CPU)::

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install "tensorflow-cpu==2.15.*" "numpy<2" "librosa==0.10.2"
    /tmp/tfenv/bin/pip install --no-deps musicnn==0.1.0
    /tmp/tfenv/bin/python scripts/make_musicnn_fixtures.py      # from the repository root

numpy < 2 matters: the original pipeline multiplies a float16 mel spectrogram by 10000, which
overflows to inf under NumPy 2's promotion rules (NumPy 1.x promotes to float32).

It synthesises 6 s of audio deterministically (numpy only: a few plucked/bowed notes over a bass
line and a drum pattern), quantises it to 16-bit PCM, writes it as a 16 kHz WAV file and runs the
original ``musicnn.extractor.extractor`` on that file for MTT_musicnn and MSD_musicnn. It saves,
per model, in ``tests/fixtures/musicnn/``:

- ``audio.npz``: ``audio_int16`` (the PCM samples; audio = int16 / 32768), ``sr``, and the
  original's log-mel input ``logmel`` ``(n_patches, 187, 96)`` (time × frequency, as TF takes
  it) from ``musicnn.extractor.batch_data`` (librosa 0.10.2), plus the versions used.
- ``MTT_musicnn.npz``, ``MSD_musicnn.npz``: the extractor's ``taggram`` ``(n_patches, 50)``,
  ``timbral`` ``(187, 408)``, ``temporal`` ``(187, 153)``, ``cnn1``/``cnn2``/``cnn3``
  ``(187, 64)`` of patch 0; ``mean_pool``/``max_pool`` ``(n_patches, 753)``; and, from a second run of the same graph on the whole batch at once,
  ``batch_cnn3`` ``(n_patches, 187, 64)`` and ``penultimate`` ``(n_patches, 200)`` — correct for
  every patch — next to the extractor's ``extractor_cnn3`` for patch 1 and
  ``extractor_penultimate``, which repeat patch 0's values for later patches (the extractor's loop
  unpacks ``midend1_``… and ``backend_`` but concatenates the first patch's ``cnn1_``…
  and ``penultimate_``).

The synthesis function :func:`make_audio` needs numpy only, so tests can import it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SR = 16000
SECONDS = 6.0
MODELS = ("MTT_musicnn", "MSD_musicnn")
OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "musicnn"


def _note(f0: float, dur: float, sr: int, n_harm: int, decay: float, bright: float) -> np.ndarray:
    t = np.arange(int(dur * sr)) / sr
    tone = np.zeros_like(t)
    for h in range(1, n_harm + 1):
        if h * f0 >= sr / 2:
            break
        tone += (bright ** (h - 1)) * np.sin(2 * np.pi * h * f0 * t + 0.3 * h)
    env = np.exp(-decay * t) * np.minimum(1.0, t / 0.005)
    return tone * env


def make_audio(seconds: float = SECONDS, sr: int = SR) -> np.ndarray:
    """Deterministic test music as int16 PCM: a melody, a bass line and drums (numpy only)."""
    n = int(seconds * sr)
    y = np.zeros(n)
    rng = np.random.RandomState(1234)           # legacy generator: its stream never changes
    beat = 0.5                                    # 120 bpm
    melody = [60, 64, 67, 72, 71, 67, 64, 62, 60, 65, 69, 72]
    for i, midi in enumerate(melody):
        start = int(i * beat * sr)
        f0 = 440.0 * 2 ** ((midi - 69) / 12)
        note = _note(f0, 0.9, sr, n_harm=12, decay=4.0, bright=0.6)
        end = min(n, start + note.size)
        y[start:end] += 0.25 * note[: end - start]
    for i, midi in enumerate([36, 36, 41, 43, 36, 41]):
        start = int(i * 2 * beat * sr)
        note = _note(440.0 * 2 ** ((midi - 69) / 12), 1.0, sr, n_harm=6, decay=2.0, bright=0.5)
        end = min(n, start + note.size)
        y[start:end] += 0.3 * note[: end - start]
    t = np.arange(int(0.25 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-30 * t)) * t) * np.exp(-12 * t)
    hat_len = int(0.06 * sr)
    for k in range(int(seconds / (beat / 2))):
        start = int(k * beat / 2 * sr)
        if k % 2 == 0:
            end = min(n, start + kick.size)
            y[start:end] += 0.5 * kick[: end - start]
        hat = rng.standard_normal(hat_len) * np.exp(-60 * np.arange(hat_len) / sr)
        end = min(n, start + hat_len)
        y[start:end] += 0.08 * hat[: end - start]
    y = 0.8 * y / np.max(np.abs(y))
    return np.round(y * 32767).astype(np.int16)


def main() -> None:  # pragma: no cover - needs TensorFlow
    import tempfile

    import librosa
    import soundfile as sf
    import tensorflow as tf
    from musicnn import configuration as config
    from musicnn import extractor as ex
    from musicnn import models

    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        sys.exit("use numpy < 2 here: the original pipeline's float16 * 10000 overflows under NumPy 2")

    OUT.mkdir(parents=True, exist_ok=True)
    pcm = make_audio()
    versions = f"tensorflow {tf.__version__}, librosa {librosa.__version__}, numpy {np.__version__}, musicnn 0.1.0"
    with tempfile.TemporaryDirectory() as tmp:
        wav = str(Path(tmp) / "fixture.wav")
        sf.write(wav, pcm, SR, subtype="PCM_16")
        n_frames = librosa.time_to_frames(3, sr=config.SR, n_fft=config.FFT_SIZE, hop_length=config.FFT_HOP) + 1
        batch, _ = ex.batch_data(wav, n_frames, n_frames)
        batch = batch.astype(np.float32)
        print("log-mel batch", batch.shape, "n_frames", n_frames)
        np.savez_compressed(OUT / "audio.npz", audio_int16=pcm, sr=np.int64(SR), logmel=batch,
                            versions=np.array(versions))

        for name in MODELS:
            taggram, labels, feats = ex.extractor(wav, model=name, input_length=3, extract_features=True)
            # the same graph on the whole batch at once: correct mid-end features for every patch
            tf.compat.v1.reset_default_graph()
            with tf.name_scope("model"):
                x = tf.compat.v1.placeholder(tf.float32, [None, n_frames, config.N_MELS])
                is_training = tf.compat.v1.placeholder(tf.bool)
                out = models.define_model(x, is_training, name, len(labels))
                prob = tf.nn.sigmoid(out[0])
            with tf.compat.v1.Session() as sess:
                tf.compat.v1.train.Saver().restore(sess, str(Path(ex.__file__).parent / name) + "/")
                batch_prob, batch_cnn3, batch_pen = sess.run([prob, out[5], out[8]],
                                                             feed_dict={x: batch, is_training: False})
            n_patches = batch.shape[0]
            cnn3 = feats["cnn3"]
            print(name, "taggram", taggram.shape, "batch-vs-extractor taggram max diff",
                  np.abs(batch_prob - taggram).max())
            print("  extractor cnn3 of patch 1 equals patch 0:",
                  bool(np.array_equal(cnn3[n_frames:2 * n_frames], cnn3[:n_frames])))
            print("  extractor penultimate of patch 1 equals patch 0:",
                  bool(np.array_equal(feats["penultimate"][1], feats["penultimate"][0])),
                  "| batch-run penultimate patch 0 vs extractor:",
                  float(np.abs(batch_pen[0] - feats["penultimate"][0]).max()))
            np.savez_compressed(
                OUT / f"{name}.npz",
                taggram=taggram.astype(np.float32), labels=np.array(labels),
                timbral=feats["timbral"][:n_frames].astype(np.float32),
                temporal=feats["temporal"][:n_frames].astype(np.float32),
                cnn1=feats["cnn1"][:n_frames].astype(np.float32),
                cnn2=feats["cnn2"][:n_frames].astype(np.float32),
                cnn3=cnn3[:n_frames].astype(np.float32),
                extractor_cnn3=cnn3[n_frames:2 * n_frames].astype(np.float32) if n_patches > 1 else cnn3[:0],
                batch_cnn3=batch_cnn3.reshape(n_patches, n_frames, -1).astype(np.float32),
                batch_taggram=batch_prob.astype(np.float32),
                mean_pool=feats["mean_pool"].astype(np.float32),
                max_pool=feats["max_pool"].astype(np.float32),
                penultimate=batch_pen.astype(np.float32),
                extractor_penultimate=feats["penultimate"].astype(np.float32),
                versions=np.array(versions),
            )
    total = sum(p.stat().st_size for p in OUT.glob("*.npz"))
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
