"""Small music-writing helpers shared by the dance and tag sets: keys, chords, melodies, timing.

Times are written in beats and turned into seconds by :class:`Clock`, which applies the tempo, the
swing (a warp inside each beat: the off-beat eighth moves from 0.5 to ``swing`` of the beat) and a
start offset (so an excerpt can begin anywhere in a bar). Everything random takes a
``numpy.random.Generator``, so a piece is a pure function of its seed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 11)  # harmonic minor: the dominant chord has its leading tone
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Chord progressions as scale degrees (0 = tonic), one chord per bar.
PROGRESSIONS = {
    "major": ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 3), (1, 4, 0, 0), (0, 3, 0, 4), (0, 5, 1, 4)),
    "minor": ((0, 3, 4, 0), (0, 5, 3, 4), (0, 3, 0, 4), (0, 5, 4, 0), (3, 4, 0, 0)),
}


def scale_of(mode: str) -> tuple:
    if mode not in ("major", "minor"):
        raise ValueError(f"mode must be 'major' or 'minor', got {mode!r}")
    return MAJOR if mode == "major" else MINOR


def key_name(tonic: int, mode: str) -> str:
    return f"{NOTE_NAMES[tonic % 12]} {mode}"


def chord(tonic: int, mode: str, degree: int) -> tuple[int, int, int]:
    """Pitch classes (root, third, fifth) of the triad on ``degree`` of the key, as semitones above C."""
    sc = scale_of(mode)
    return tuple((tonic + sc[(degree + k) % 7] + 12 * ((degree + k) // 7)) for k in (0, 2, 4))


def voice(pcs, low: int, high: int) -> list[int]:
    """Place chord tones (semitones, any octave) as MIDI pitches inside ``[low, high]``, close position."""
    out = []
    for pc in pcs:
        p = low + ((pc - low) % 12)
        if p > high:
            p -= 12
        out.append(p)
    return sorted(out)


def bass_pitch(chord_pcs, which: str, low: int = 36) -> int:
    """A bass note for the chord: ``'r'`` root, ``'3'`` third, ``'5'`` fifth, ``'o'`` root an octave up,
    ``'6'`` a major sixth above the root, ``'a'`` a semitone below the root (approach note)."""
    root = low + ((chord_pcs[0] - low) % 12)
    if which == "r":
        return root
    if which == "3":
        return root + ((chord_pcs[1] - chord_pcs[0]) % 12)
    if which == "5":
        return root + ((chord_pcs[2] - chord_pcs[0]) % 12)
    if which == "6":
        return root + 9
    if which == "o":
        return root + 12
    if which == "a":
        return root - 1
    raise ValueError(f"unknown bass note kind {which!r}")


@dataclass
class Clock:
    """Beats → seconds at ``bpm`` with swing and an offset; ``jitter_s`` is the timing spread (s)."""

    bpm: float
    swing: float = 0.5
    offset_s: float = 0.0

    def __post_init__(self):
        if not 20 <= self.bpm <= 400:
            raise ValueError(f"bpm must be within 20-400, got {self.bpm}")
        if not 0.3 <= self.swing <= 0.75:
            raise ValueError(f"swing must be within 0.3-0.75 (0.5 = straight), got {self.swing}")

    @property
    def beat_s(self) -> float:
        return 60.0 / self.bpm

    def warp(self, beat: float) -> float:
        whole = np.floor(beat)
        frac = beat - whole
        if frac <= 0.5:
            frac = frac / 0.5 * self.swing
        else:
            frac = self.swing + (frac - 0.5) / 0.5 * (1.0 - self.swing)
        return whole + frac

    def time(self, beat: float) -> float:
        return self.warp(beat) * self.beat_s - self.offset_s


def humanise(rng: np.random.Generator, notes, clock: Clock, timing_sd_s: float = 0.004, vel_sd: float = 6.0):
    """Turn ``(start_beat, dur_beats, pitch, vel)`` into ``(start_s, end_s, pitch, vel)`` with small
    random timing and velocity deviations (as a player makes). Notes that end before 0 s are dropped."""
    out = []
    for b0, dur, pitch, vel in notes:
        t0 = clock.time(b0) + rng.normal(0.0, timing_sd_s)
        t1 = clock.time(b0 + dur)
        if t1 <= 0:
            continue
        v = int(np.clip(round(vel + rng.normal(0.0, vel_sd)), 1, 127))
        out.append((max(t0, 0.0), max(t1, t0 + 0.02), int(pitch), v))
    return out


# Melody rhythm cells, in beats: (onset within the cell, duration); cells fill whole beats.
CELLS = {
    "slow": (((0, 2),), ((0, 1), (1, 1)), ((0, 1.5), (1.5, 0.5)), ((0, 3),), ((0, 1), (1, 2)), ((0, 4),)),
    "medium": (((0, 1),), ((0, 0.5), (0.5, 0.5)), ((0, 1.5), (1.5, 0.5)), ((0, 2),), ((0, 0.75), (0.75, 0.25))),
    "busy": (((0, 0.5), (0.5, 0.5)), ((0, 0.25), (0.25, 0.25), (0.5, 0.5)), ((0, 0.5), (0.5, 0.25), (0.75, 0.25)), ((0, 1),)),
}


def melody(rng: np.random.Generator, tonic: int, mode: str, degrees, beats_per_bar: int, density: str,
           low: int = 62, high: int = 86, rest_p: float = 0.12):
    """A melody over the bars of a chord progression: ``[(start_beat, dur_beats, pitch, vel), ...]``.

    A random walk on the scale that lands on a chord tone at the start of each bar, with rests.
    """
    sc = scale_of(mode)
    pool = sorted({tonic % 12 + s + 12 * o for s in sc for o in range(-1, 11)})
    pool = [p for p in pool if low <= p <= high]
    idx = int(rng.integers(len(pool) // 3, 2 * len(pool) // 3))
    notes = []
    for bar, deg in enumerate(degrees):
        pcs = {p % 12 for p in chord(tonic, mode, deg)}
        beat = 0.0
        while beat < beats_per_bar - 1e-9:
            cells = [c for c in CELLS[density] if c[-1][0] + c[-1][1] <= beats_per_bar - beat + 1e-9]
            if not cells:  # fill the rest of the bar with one note
                cells = [((0, beats_per_bar - beat),)]
            cell = cells[int(rng.integers(len(cells)))]
            for k, (on, dur) in enumerate(cell):
                if beat == 0 and k == 0:  # land on a chord tone at the bar line
                    near = [j for j, p in enumerate(pool) if p % 12 in pcs]
                    idx = min(near, key=lambda j: abs(j - idx) + rng.random())
                else:
                    idx = int(np.clip(idx + rng.choice([-2, -1, -1, 1, 1, 2, 0]), 0, len(pool) - 1))
                if rng.random() < rest_p and not (beat == 0 and k == 0):
                    continue
                accent = 10 if (beat + on) % 1 == 0 else 0
                notes.append((bar * beats_per_bar + beat + on, dur * 0.95, pool[idx], 84 + accent))
            beat += cell[-1][0] + cell[-1][1]
    return notes
