"""The tag set: MagnaTagATune-style multi-label clips rendered offline, with tags that follow exactly
from the rendering.

Every clip has a lead instrument (cycled through the instrument families, so each family leads
equally often), zero to two more instruments, and perhaps a bass line and drums. A clip is played at
one of three tempo bands and normalised to one of three loudness levels. Its tags are then facts,
not opinions:

- an instrument tag (``piano``, ``harpsichord``, ``organ``, ``guitar``, ``violin``, ``cello``,
  ``strings``, ``harp``, ``choir``, ``brass``, ``flute``, ``sitar``, ``synth``, ``bass``,
  ``drums``) is on when that family plays at least one note in the clip (``violin`` and ``cello``
  also set ``strings``, as in MagnaTagATune, where they co-occur);
- ``fast`` when the tempo is at least 130 bpm, ``slow`` when at most 85 bpm (clips are drawn from
  60-85, 95-125 and 135-180 bpm, so no clip sits on a border);
- ``loud`` when the clip's RMS level is at least -20 dBFS, ``quiet`` when at most -29 dBFS (levels
  are drawn around -15, -24 and -34 dBFS, loud clips gently limited, quiet ones played softer);
- ``solo`` when exactly one instrument plays (no bass, no drums, no other part).

Tag names follow MagnaTagATune's top-50 spelling where the tag exists there (guitar, piano, strings,
violin, cello, harp, harpsichord, flute, sitar, choir, synth, drums, fast, slow, loud, quiet,
solo), so a model trained on MagnaTagATune can be scored on these tags directly.
"""
from __future__ import annotations

import numpy as np

from . import compose as C
from .render import DRUM_KEYS, Part

FAMILIES = {
    "piano": (0, 1, 2),
    "harpsichord": (6,),
    "organ": (16, 19),
    "guitar": (24, 25),
    "violin": (40,),
    "cello": (42,),
    "strings": (48, 49),
    "harp": (46,),
    "choir": (52, 53),
    "brass": (56, 61),
    "flute": (73,),
    "sitar": (104,),
    "synth": (80, 81, 90),
}
"""Instrument families and the General MIDI programs that play them."""

# Families that can accompany themselves with chords when they play alone.
POLYPHONIC = {"piano", "harpsichord", "organ", "guitar", "harp", "strings", "synth"}

TAGS = ["piano", "harpsichord", "organ", "guitar", "bass", "strings", "violin", "cello", "harp", "choir",
        "brass", "flute", "sitar", "synth", "drums", "fast", "slow", "loud", "quiet", "solo"]
"""Tag names, the columns of the label matrix."""

SIZES = {"quick": 96, "normal": 800}
"""Number of clips for each size."""

SR = 22050
"""Sample rate of the tag set (the MusiCNN pipeline resamples to 16 kHz)."""

DURATION_S = 4.0
"""Length of every clip in seconds (one 3-s MusiCNN patch fits)."""

TEMPO_BANDS = {"slow": (60.0, 85.0), "medium": (95.0, 125.0), "fast": (135.0, 180.0)}
FAST_BPM, SLOW_BPM = 130.0, 85.0
LEVELS_DB = {"quiet": -34.0, "medium": -24.0, "loud": -15.0}
LOUD_DB, QUIET_DB = -20.0, -29.0


def family_order(seed: int) -> list[str]:
    """The seeded order in which lead instruments are cycled (clip k leads with ``order[k % 13]``)."""
    rng = np.random.default_rng([int(seed), 7919])
    names = list(FAMILIES)
    return [names[i] for i in rng.permutation(len(names))]


def compose(k: int, seed: int, duration: float = DURATION_S) -> tuple[list[Part], dict]:
    """Write clip ``k`` of the set made with ``seed``: its parts and a description.

    The description holds the tempo band and bpm, the loudness level asked for, the families
    playing, the meter and the key. Tags are computed from the rendered parts and audio by
    :func:`tags_of`.
    """
    rng = np.random.default_rng([int(seed), int(k)])
    lead = family_order(seed)[k % len(FAMILIES)]
    solo = rng.random() < 0.2
    others = [f for f in FAMILIES if f != lead]
    if solo:
        extras, has_bass, has_drums = [], False, False
    else:
        n_extra = int(rng.choice([0, 1, 2], p=[0.3, 0.45, 0.25]))
        extras = [str(f) for f in rng.choice(others, size=n_extra, replace=False)]
        has_bass = rng.random() < 0.6
        has_drums = rng.random() < 0.5
        if not extras and not has_bass and not has_drums:
            has_drums = True
    band = ("slow", "medium", "fast")[int(rng.integers(3))]
    bpm = float(rng.uniform(*TEMPO_BANDS[band]))
    level = ("quiet", "medium", "loud")[int(rng.integers(3))]
    vel_scale = {"quiet": 0.7, "medium": 0.9, "loud": 1.1}[level]
    meter = 3 if rng.random() < 0.2 else 4
    mode = "major" if rng.random() < 0.6 else "minor"
    tonic = int(rng.integers(0, 12))
    beat_s = 60.0 / bpm
    offset_beats = float(rng.uniform(0, meter))
    clock = C.Clock(bpm=bpm, swing=0.5, offset_s=offset_beats * beat_s)
    n_bars = int(np.ceil((duration / beat_s + offset_beats) / meter)) + 1
    prog = C.PROGRESSIONS[mode][int(rng.integers(len(C.PROGRESSIONS[mode])))]
    degrees = [prog[b % len(prog)] for b in range(n_bars)]

    def v(x):
        return int(np.clip(round(x * vel_scale), 1, 127))

    parts = []
    # Lead: a melody; a polyphonic lead playing alone adds its own chords on the beats.
    lead_prog = int(rng.choice(FAMILIES[lead]))
    notes = [(b, d, p, v(vel)) for b, d, p, vel in C.melody(rng, tonic, mode, degrees, meter, "medium" if band != "fast" else "slow", rest_p=0.05)]
    if solo and lead in POLYPHONIC:
        for bar, deg in enumerate(degrees):
            for p in C.voice(C.chord(tonic, mode, deg), 48, 60):
                notes.append((bar * meter, meter * 0.95, p, v(60)))
    parts.append(Part(program=lead_prog, notes=C.humanise(rng, notes, clock), volume=110, name=lead))

    for j, fam in enumerate(extras):
        prog_ = int(rng.choice(FAMILIES[fam]))
        role = ("pad", "chords", "arpeggio")[int(rng.integers(3))]
        low = int(rng.integers(50, 58))
        notes = []
        for bar, deg in enumerate(degrees):
            pitches = C.voice(C.chord(tonic, mode, deg), low, low + 14)
            if role == "pad":
                notes += [(bar * meter, meter * 0.98, p, v(70)) for p in pitches]
            elif role == "chords":
                notes += [(bar * meter + b, 0.45, p, v(75)) for b in range(meter) for p in pitches]
            else:
                steps = [pitches[i % 3] + 12 * (i // 3 % 2) for i in range(2 * meter)]
                notes += [(bar * meter + 0.5 * i, 0.5, p, v(72)) for i, p in enumerate(steps)]
        parts.append(Part(program=prog_, notes=C.humanise(rng, notes, clock), volume=95, name=fam))

    if has_bass:
        notes = []
        for bar, deg in enumerate(degrees):
            pcs = C.chord(tonic, mode, deg)
            for b in range(meter):
                kind = "r" if b == 0 else ("5" if b % 2 == 0 else "3")
                notes.append((bar * meter + b, 0.9, C.bass_pitch(pcs, kind, 36), v(95)))
        parts.append(Part(program=int(rng.choice((32, 33, 34))), notes=C.humanise(rng, notes, clock), volume=105, name="bass"))

    if has_drums:
        kit = int(rng.choice((0, 8, 16, 24, 32)))
        notes = []
        for bar in range(n_bars):
            base = bar * meter
            for b in range(meter):
                notes.append((base + b, 0.1, DRUM_KEYS["hh_closed"], v(70)))
                notes.append((base + b + 0.5, 0.1, DRUM_KEYS["hh_closed"], v(55)))
            notes.append((base, 0.1, DRUM_KEYS["kick"], v(105)))
            if meter == 4:
                notes += [(base + 2, 0.1, DRUM_KEYS["kick"], v(95)), (base + 1, 0.1, DRUM_KEYS["snare"], v(100)),
                          (base + 3, 0.1, DRUM_KEYS["snare"], v(100))]
            else:
                notes += [(base + 1, 0.1, DRUM_KEYS["snare"], v(80)), (base + 2, 0.1, DRUM_KEYS["snare"], v(80))]
        parts.append(Part(program=kit, notes=C.humanise(rng, notes, clock, 0.003, 5), is_drum=True, volume=110, name="drums"))

    info = {
        "lead": lead,
        "families": [lead] + extras,
        "bass": has_bass,
        "drums": has_drums,
        "tempo": bpm,
        "tempo_band": band,
        "level": level,
        "target_db": float(LEVELS_DB[level] + rng.uniform(-1.5, 1.5)),
        "meter": f"{meter}/4",
        "key": C.key_name(tonic, mode),
        "programs": {p.name: p.program for p in parts},
    }
    return parts, info


def set_level(y: np.ndarray, info: dict) -> np.ndarray:
    """Scale a rendered clip to its target RMS level (dBFS); loud clips pass a soft limiter."""
    rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
    if rms <= 0:
        raise ValueError("a rendered clip is silent; this is a bug in the tag-set composer")
    y = y * (10 ** (info["target_db"] / 20) / rms)
    peak = float(np.max(np.abs(y)))
    if peak > 0.9:
        if info["level"] == "loud":
            y = 0.9 * np.tanh(y / 0.9)  # soft limiting, as loud masters are
        else:
            y = y * (0.9 / peak)
    return y.astype(np.float32)


def rms_db(y: np.ndarray) -> float:
    """RMS level of a signal in dB relative to full scale (1.0)."""
    return float(20 * np.log10(max(np.sqrt(np.mean(np.asarray(y, dtype=np.float64) ** 2)), 1e-12)))


def tags_of(parts: list[Part], info: dict, y: np.ndarray) -> np.ndarray:
    """The 0/1 tag vector (float32, ``len(TAGS)``) of a clip, from what was rendered.

    Instruments count only if they play a note that starts inside the clip; tempo tags come from the
    bpm; loudness tags from the measured RMS level of the final audio ``y`` (at ``info["sr"]``).
    """
    dur_s = len(y) / info["sr"]
    present = set()
    for p in parts:
        if any(0 <= n[0] < dur_s for n in p.notes):
            if p.is_drum:
                present.add("drums")
            elif p.name == "bass":
                present.add("bass")
            else:
                present.add(p.name)
                if p.name in ("violin", "cello"):
                    present.add("strings")
    out = np.zeros(len(TAGS), dtype=np.float32)
    for t in present:
        out[TAGS.index(t)] = 1
    if info["tempo"] >= FAST_BPM:
        out[TAGS.index("fast")] = 1
    if info["tempo"] <= SLOW_BPM:
        out[TAGS.index("slow")] = 1
    level = rms_db(y)
    if level >= LOUD_DB:
        out[TAGS.index("loud")] = 1
    if level <= QUIET_DB:
        out[TAGS.index("quiet")] = 1
    n_playing = sum(1 for p in parts if any(0 <= n[0] < dur_s for n in p.notes))
    if n_playing == 1:
        out[TAGS.index("solo")] = 1
    return out


def make_track(seed: int, i: int) -> tuple[np.ndarray, dict]:
    """Clip ``i`` of the tag set made with ``seed``: float32 audio at :data:`SR` and its description,
    whose ``"tags"`` entry lists the clip's tags (computed on the audio exactly as the cache stores it)."""
    from .render import render

    parts, info = compose(i, seed, DURATION_S)
    y = set_level(render(parts, DURATION_S, sr=SR), info)
    y = (np.round(np.clip(y, -1, 1) * 32767) / 32767).astype(np.float32)  # the 16-bit audio the cache keeps
    info["sr"] = SR
    info["tags"] = [t for t, on in zip(TAGS, tags_of(parts, info, y)) if on]
    info["level_db"] = rms_db(y)
    return y, info
