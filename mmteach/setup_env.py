"""One-time set-up after installing: warm librosa's numba cache, quiet JupyterLab's news pop-up,
and check the packages installed without dependencies are there.

Run by ``make setup`` as ``python -m mmteach.setup_env``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def warm_librosa() -> float:
    """Compile librosa's numba functions once (~20 s), so a learner's first call is quick."""
    t0 = time.perf_counter()
    import numpy as np
    import librosa

    y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96)
    librosa.resample(y, orig_sr=16000, target_sr=22050)
    librosa.onset.onset_strength(y=y, sr=16000)
    return time.perf_counter() - t0


def quiet_jupyterlab() -> Path:
    """Turn off JupyterLab's news and update checks for this environment."""
    settings = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    path = settings / "overrides.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data["@jupyterlab/apputils-extension:notification"] = {"fetchNews": "false", "checkForUpdates": False}
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def check_nodeps_packages() -> list[str]:
    missing = []
    for module in ("musicnn", "tinysoundfont"):
        try:
            __import__(module)
        except Exception:
            missing.append(module)
    return missing


def main() -> int:
    print(f"mmteach set-up: JupyterLab settings in {quiet_jupyterlab()}")
    print(f"mmteach set-up: librosa warmed in {warm_librosa():.1f} s")
    missing = check_nodeps_packages()
    if missing:
        print("mmteach set-up: missing " + ", ".join(missing) + "; install with: "
              "python -m pip install --no-deps musicnn==0.1.0 tinysoundfont==0.3.7", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
