"""Make tests/fixtures/essentia/pons_reference.npz: the Pons et al. (2016) input computed by
Essentia itself, the library the original pipeline used, for tests/test_audio.py.

Essentia does not install in the project's environment, so run this once in a throw-away one:

    python3 -m venv /tmp/esenv && /tmp/esenv/bin/pip install "essentia==2.1b6.dev1389" "numpy<2"
    /tmp/esenv/bin/python scripts/make_essentia_fixture.py

The test signal is stored with the result, so the test needs nothing but NumPy to compare.
"""
from pathlib import Path

import numpy as np
import essentia
import essentia.standard as es

SR = 44100
OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "essentia" / "pons_reference.npz"


def test_signal(seconds: float = 2.3, seed: int = 5) -> np.ndarray:
    """Two steady tones, a gated 5 kHz tone, a little noise and a click every half second."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(SR * seconds))) / SR
    y = 0.4 * np.sin(2 * np.pi * 110 * t) + 0.2 * np.sin(2 * np.pi * 1234.5 * t)
    y += 0.1 * np.sin(2 * np.pi * 5000 * t) * (t % 0.5 < 0.25)
    y += 0.02 * rng.standard_normal(t.size)
    clicks = (np.arange(t.size) % (SR // 2) == 0).astype(float)
    y += 0.5 * np.convolve(clicks, np.exp(-np.arange(200) / 20.0))[: t.size]
    return (y / np.abs(y).max() * 0.9).astype(np.float32)


def main() -> None:
    y = test_signal()
    window, spectrum = es.Windowing(type="blackmanharris62"), es.Spectrum(size=2048)
    mel = es.MelBands(numberBands=40, inputSize=1025, sampleRate=SR, highFrequencyBound=SR / 2)
    bands = np.array([mel(spectrum(window(f))) for f in es.FrameGenerator(y, frameSize=2048, hopSize=1024)]).T
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, audio=y, sr=SR, mel_power=bands.astype(np.float32),
                        essentia_version=essentia.__version__)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB): mel bands {bands.shape}, essentia {essentia.__version__}")


if __name__ == "__main__":
    main()
