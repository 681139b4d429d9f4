"""The dance set: eight Ballroom-like dance classes rendered offline from General MIDI.

Each track is a short excerpt of a dance tune: a drum part playing the dance's characteristic
rhythm on the General MIDI percussion channel, a bass line, chords in the dance's accompaniment
pattern and a melody, in a random key, with instruments drawn from one pool shared by all
classes (so the instrument says nothing about the dance), a random drum kit, swing where the dance
swings, small timing and velocity deviations, a random start point inside the bar and a random
level. The tempo is drawn from the dance's range (standard ballroom tempi, widened a little), so
tempo helps to tell dances apart but does not solve the task: Rumba and Samba share a range, as do
Cha-cha-cha and Tango, and the two waltzes differ mainly by tempo.

    >>> from mmteach.data import dance_set
    >>> ds = dance_set("quick")          # 8 classes x 5 tracks, rendered once and cached
    >>> ds.classes[ds.labels[0]], ds.tempo[0]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import compose as C
from .render import DRUM_KEYS, Part

CLASSES = ["ChaChaCha", "Jive", "Quickstep", "Rumba", "Samba", "Tango", "VienneseWaltz", "Waltz"]
"""Class names, spelled as the Ballroom data set's folders (its three Rumba folders merged)."""

SIZES = {"quick": 5, "normal": 40}
"""Tracks per class for each size."""

SR = 44100
"""Sample rate of the dance set: the rate of Pons et al.'s pipeline, so no mel band is empty."""

DURATION_S = 10.0
"""Length of every dance track in seconds (Ballroom's excerpts are 30 s)."""


@dataclass(frozen=True)
class Dance:
    """What makes a dance: meter, tempo range (beats per minute), swing range and patterns.

    Patterns are lists over one bar. Drums: ``(beat, drum, velocity)``; bass: ``(beat, beats,
    kind, velocity)`` with kind as in :func:`compose.bass_pitch`; chords: ``(beat, beats,
    velocity)``. ``keep`` names the drums that mark every beat and are always played; each other
    drum of the pattern is left out of a track with probability 0.2, so tracks of one dance vary.
    ``early2`` plays the second beat of the bar early by that fraction of a beat (the Viennese lilt).
    """

    name: str
    meter: int
    tempo: tuple[float, float]
    swing: tuple[float, float]
    drums: tuple
    bass: tuple
    chords: tuple
    melody: str
    keep: tuple = ()
    no_drums_p: float = 0.0
    early2: float = 0.0


def _grid(drum, beats, vel):
    return tuple((b, drum, vel) for b in beats)


# Tempo ranges: standard ballroom competition tempi in beats per minute (bars per minute x beats per
# bar), e.g. Waltz 28-30 bars/min = 84-90 bpm, Viennese Waltz 58-60 bars/min = 174-180 bpm,
# widened by a few bpm as real recordings are.
DANCES = {
    "ChaChaCha": Dance(
        "ChaChaCha", 4, (116, 132), (0.5, 0.52),
        drums=_grid("cowbell", (0, 1, 2, 3), 80) + _grid("guiro_long", (0, 2), 70) + _grid("guiro_short", (1, 1.5, 3, 3.5), 60)
        + ((0, "kick", 95), (2, "kick", 75), (3, "conga_open", 100), (3.5, "conga_open", 105), (1, "conga_mute", 70),
           (3, "timbale_hi", 90), (3.5, "timbale_hi", 95)),
        bass=((0, 1, "r", 100), (2, 1, "5", 90), (3, 0.5, "5", 95), (3.5, 0.5, "r", 95)),
        chords=((1, 0.45, 80), (2, 0.45, 75), (3, 0.25, 85), (3.5, 0.25, 85)),
        melody="medium", keep=("cowbell",)),
    "Jive": Dance(
        "Jive", 4, (164, 180), (0.6, 0.68),
        drums=_grid("hh_closed", (0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5), 70) + _grid("snare", (1, 3), 110)
        + _grid("kick", (0, 2), 100) + _grid("hh_pedal", (1, 3), 60),
        bass=((0, 0.9, "r", 100), (1, 0.9, "3", 90), (2, 0.9, "5", 95), (3, 0.9, "6", 90)),
        chords=((0.5, 0.3, 70), (1, 0.4, 90), (2.5, 0.3, 70), (3, 0.4, 90)),
        melody="medium", keep=("hh_closed",)),
    "Quickstep": Dance(
        "Quickstep", 4, (196, 212), (0.58, 0.66),
        drums=_grid("ride", (0, 1, 1.5, 2, 3, 3.5), 75) + _grid("hh_pedal", (1, 3), 70)
        + _grid("snare", (1, 3), 70) + _grid("kick", (0, 2), 85),
        bass=((0, 0.9, "r", 95), (1, 0.9, "3", 85), (2, 0.9, "5", 90), (3, 0.9, "a", 85)),
        chords=((0, 0.4, 90), (1.5, 0.4, 85)),
        melody="slow", keep=("ride",)),
    "Rumba": Dance(
        "Rumba", 4, (92, 108), (0.5, 0.53),
        drums=_grid("maracas", (0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5), 55) + _grid("claves", (0, 1.5, 3), 85)
        + ((0, "kick", 85), (1.5, "kick", 60), (1, "conga_mute", 65), (3, "conga_mute", 65), (2.5, "bongo_hi", 70),
           (3.5, "conga_open", 80), (2, "rim", 60)),
        bass=((0, 1.4, "r", 95), (1.5, 1.4, "5", 85), (3, 0.9, "o", 85)),
        chords=((0, 3.8, 60),),
        melody="medium", keep=("maracas",)),
    "Samba": Dance(
        "Samba", 2, (92, 108), (0.5, 0.56),
        drums=_grid("cabasa", (0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75), 60) + _grid("cabasa", (0.25, 0.75, 1.25, 1.75), 20)
        + ((0, "kick2", 70), (1, "kick", 115), (0.75, "kick2", 60), (0, "agogo_hi", 75), (0.5, "agogo_lo", 70),
           (1, "agogo_hi", 75), (1.25, "agogo_hi", 70), (1.5, "agogo_lo", 70), (0.25, "rim", 70), (0.75, "rim", 80),
           (1.25, "rim", 70), (1.5, "rim", 80), (0.5, "snare2", 50), (1.75, "snare2", 55)),
        bass=((0, 0.7, "r", 95), (0.75, 0.25, "r", 85), (1, 0.9, "5", 105)),
        chords=((0.25, 0.2, 70), (0.75, 0.4, 80), (1.5, 0.4, 75)),
        melody="busy", keep=("cabasa",)),
    "Tango": Dance(
        "Tango", 4, (116, 136), (0.5, 0.5),
        drums=((0, "kick", 115), (1, "kick", 85), (2, "kick", 110), (3, "kick", 85), (1, "rim", 90), (3, "rim", 90),
               (3.5, "snare", 95), (3.75, "snare", 110), (0, "crash", 50)),
        bass=((0, 0.35, "r", 110), (1, 0.35, "r", 90), (2, 0.35, "5", 105), (3, 0.35, "5", 90), (3.5, 0.2, "a", 95)),
        chords=((0, 0.2, 110), (1, 0.2, 90), (2, 0.2, 105), (3, 0.2, 90)),
        melody="medium", keep=("kick",)),
    "VienneseWaltz": Dance(
        "VienneseWaltz", 3, (170, 184), (0.5, 0.5),
        drums=((0, "kick", 90), (1, "hh_closed", 60), (2, "hh_closed", 55), (1, "snare", 45), (2, "snare", 40)),
        bass=((0, 0.9, "r", 100),),
        chords=((1, 0.7, 80), (2, 0.7, 75)),
        melody="slow", keep=("kick", "hh_closed"), no_drums_p=0.25, early2=0.1),
    "Waltz": Dance(
        "Waltz", 3, (80, 94), (0.5, 0.5),
        drums=((0, "kick", 80), (0, "ride", 60), (1, "ride", 50), (2, "ride", 50), (1, "snare", 40), (2, "snare", 40)),
        bass=((0, 1.8, "r", 95), (2, 0.9, "5", 70)),
        chords=((1, 0.9, 70), (2, 0.9, 65)),
        melody="medium", keep=("ride",), no_drums_p=0.25),
}

# One instrument pool for every class (General MIDI programs; mostly what MTT_musicnn recognises).
BASS_PROGRAMS = (32, 33, 34, 35)  # acoustic, fingered, picked, fretless bass
CHORD_PROGRAMS = (0, 1, 24, 25, 48, 49, 21, 11)  # pianos, nylon/steel guitar, strings, accordion, vibraphone
MELODY_PROGRAMS = (73, 40, 42, 52, 104, 71, 65, 0, 24, 23)  # flute, violin, cello, choir, sitar, clarinet, sax, piano, guitar, bandoneon
DRUM_KITS = (0, 8, 32, 40)  # Standard, Room, Jazz, Brush
TIM_NAMES = {0: "piano", 1: "bright piano", 11: "vibraphone", 21: "accordion", 23: "bandoneon", 24: "nylon guitar",
             25: "steel guitar", 32: "acoustic bass", 33: "fingered bass", 34: "picked bass", 35: "fretless bass",
             40: "violin", 42: "cello", 48: "strings", 49: "slow strings", 52: "choir", 65: "alto sax",
             71: "clarinet", 73: "flute", 104: "sitar"}


def compose(label: int, track_seed, duration: float = DURATION_S) -> tuple[list[Part], dict]:
    """Write one track of class ``CLASSES[label]``: its parts and a description.

    ``track_seed`` is anything ``numpy.random.default_rng`` accepts; the same seed gives the same
    track. The description holds the tempo (bpm), meter, swing, key, instruments, drum kit,
    start offset and the drum onsets in seconds (``beat_times`` are the quarter-note beats).
    """
    dance = DANCES[CLASSES[label]]
    rng = np.random.default_rng(track_seed)
    bpm = float(rng.uniform(*dance.tempo))
    swing = float(rng.uniform(*dance.swing))
    beat_s = 60.0 / bpm
    offset_beats = float(rng.uniform(0, dance.meter))
    clock = C.Clock(bpm=bpm, swing=swing, offset_s=offset_beats * beat_s)
    n_bars = int(np.ceil((duration / beat_s + offset_beats) / dance.meter)) + 1
    mode = "major" if rng.random() < 0.6 else "minor"
    tonic = int(rng.integers(0, 12))
    prog = C.PROGRESSIONS[mode][int(rng.integers(len(C.PROGRESSIONS[mode])))]
    degrees = [prog[b % len(prog)] for b in range(n_bars)]

    def shift(beat):  # Viennese lilt: beat 2 of the bar comes early
        if dance.early2 and abs(beat % dance.meter - 1) < 1e-9:
            return beat - dance.early2
        return beat

    parts = []
    has_drums = rng.random() >= dance.no_drums_p
    kit = int(rng.choice(DRUM_KITS))
    if has_drums:
        voices = sorted({d for _, d, _ in dance.drums})
        dropped = {d for d in voices if d not in dance.keep and rng.random() < 0.2}
        phrase = int(rng.choice([4, 8])) if dance.meter > 2 else 8  # bars between fills
        first_bar = int(rng.integers(phrase))
        notes = []
        for bar in range(n_bars):
            fill = (bar - first_bar) % phrase == phrase - 1
            for beat, drum, vel in dance.drums:
                if drum in dropped or (fill and beat >= dance.meter - 1 and drum not in dance.keep):
                    continue
                notes.append((bar * dance.meter + beat, 0.2, DRUM_KEYS[drum], vel))
            if fill:  # a snare fill on the last beat leads into the next phrase, which opens with a crash
                last = bar * dance.meter + dance.meter - 1
                notes += [(last + f, 0.1, DRUM_KEYS["snare"], 70 + 12 * j) for j, f in enumerate((0, 0.25, 0.5, 0.75))]
                notes.append(((bar + 1) * dance.meter, 0.5, DRUM_KEYS["crash"], 90))
        drum_notes = C.humanise(rng, notes, clock, timing_sd_s=0.003, vel_sd=5)
        parts.append(Part(program=kit, notes=drum_notes, is_drum=True, volume=int(rng.integers(95, 120)), name="drums"))

    bass_prog = int(rng.choice(BASS_PROGRAMS))
    notes = []
    for bar, deg in enumerate(degrees):
        pcs = C.chord(tonic, mode, deg)
        nxt = C.chord(tonic, mode, degrees[min(bar + 1, n_bars - 1)])
        for beat, dur, kind, vel in dance.bass:
            # an approach note leads into the next bar's root from a semitone below
            pitch = C.bass_pitch(nxt, "a", low=37) if kind == "a" else C.bass_pitch(pcs, kind, low=36)
            notes.append((bar * dance.meter + shift(beat), dur, pitch, vel))
    parts.append(Part(program=bass_prog, notes=C.humanise(rng, notes, clock), volume=int(rng.integers(95, 115)), name="bass"))

    chord_prog = int(rng.choice(CHORD_PROGRAMS))
    low = int(rng.integers(52, 58))
    notes = []
    for bar, deg in enumerate(degrees):
        pitches = C.voice(C.chord(tonic, mode, deg), low, low + 14)
        for beat, dur, vel in dance.chords:
            for p in pitches:
                notes.append((bar * dance.meter + shift(beat), dur, p, vel - 10))
    parts.append(Part(program=chord_prog, notes=C.humanise(rng, notes, clock), volume=int(rng.integers(80, 105)), name="chords"))

    has_melody = rng.random() < 0.9
    mel_prog = int(rng.choice([p for p in MELODY_PROGRAMS if p != chord_prog]))
    if has_melody:
        notes = C.melody(rng, tonic, mode, degrees, dance.meter, dance.melody)
        parts.append(Part(program=mel_prog, notes=C.humanise(rng, notes, clock), volume=int(rng.integers(90, 115)), name="melody"))

    beats = np.arange(int(np.ceil(offset_beats)), int(np.floor(offset_beats + duration / beat_s)) + 1)
    info = {
        "dance": dance.name,
        "tempo": bpm,
        "meter": f"{dance.meter}/4",
        "beats_per_bar": dance.meter,
        "swing": swing,
        "key": C.key_name(tonic, mode),
        "offset_s": clock.offset_s,
        "drums": has_drums,
        "drum_kit": kit if has_drums else None,
        "drums_left_out": sorted(dropped) if has_drums else [],
        "instruments": {p.name: ("drum kit %d" % p.program if p.is_drum else TIM_NAMES.get(p.program, str(p.program)))
                        for p in parts},
        "programs": {p.name: p.program for p in parts},
        "beat_times": [float(b * beat_s - clock.offset_s) for b in beats],
    }
    return parts, info


def make_track(seed: int, i: int) -> tuple[np.ndarray, dict]:
    """Track ``i`` of the dance set made with ``seed``: float32 audio at :data:`SR` and its description.

    Class ``i % 8``; the level is set to a random RMS between -23 and -17 dBFS (so loudness carries no
    class information), peaks kept below 0.95.
    """
    from .render import render
    from .tags import rms_db

    label, k = i % len(CLASSES), i // len(CLASSES)
    parts, info = compose(label, [seed, label, k, 1], DURATION_S)
    y = render(parts, DURATION_S, sr=SR)
    target_db = float(np.random.default_rng([seed, i, 2]).uniform(-23.0, -17.0))
    y = y * (10 ** (target_db / 20) / float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))))
    peak = float(np.max(np.abs(y)))
    if peak > 0.95:
        y = y * (0.95 / peak)
    info.update(label=label, level_db=rms_db(y), sr=SR)
    return y.astype(np.float32), info
