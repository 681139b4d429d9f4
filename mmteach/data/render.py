"""Offline rendering of symbolic music to audio with the General MIDI sound font pretty_midi ships.

A piece is a list of :class:`Part` objects (one instrument each, notes in seconds). :func:`render`
turns it into mono float32 audio with TinySoundFont (the ``tinysoundfont`` package, used offline
only: its live-playback path needs pyaudio, which we never import). The same parts convert to a
``pretty_midi.PrettyMIDI`` object with :func:`to_midi`, so a learner can inspect, save or re-render
the score, and :func:`render_midi` renders any ``PrettyMIDI`` object the same way.

Rendering is deterministic: a new synthesiser is made for every piece, events are processed in a
fixed order, and no randomness enters after the score is written.

    >>> from mmteach.data import render
    >>> part = render.Part(program=0, notes=[(0.0, 0.5, 60, 100), (0.5, 1.0, 64, 100)])
    >>> y = render.render([part], duration=1.5)       # float32 (33075,) at 22050 Hz
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

RENDER_SR = 22050
"""Default sample rate of :func:`render` (Hz). The dance set renders at 44100 Hz, the tag set at 22050 Hz."""

DRUM_CHANNEL = 9
"""MIDI channel 10 (index 9) is the General MIDI percussion channel."""

# General MIDI percussion keys used by the rhythm patterns (GM1 drum map, keys 35-81).
DRUM_KEYS = {
    "kick": 36, "kick2": 35, "rim": 37, "snare": 38, "clap": 39, "snare2": 40,
    "hh_closed": 42, "hh_pedal": 44, "hh_open": 46, "crash": 49, "ride": 51, "ride_bell": 53,
    "tambourine": 54, "cowbell": 56, "bongo_hi": 60, "bongo_lo": 61, "conga_mute": 62,
    "conga_open": 63, "conga_lo": 64, "timbale_hi": 65, "timbale_lo": 66, "agogo_hi": 67,
    "agogo_lo": 68, "cabasa": 69, "maracas": 70, "guiro_short": 73, "guiro_long": 74,
    "claves": 75, "woodblock_hi": 76, "woodblock_lo": 77, "cuica_mute": 78, "triangle": 81,
}


@dataclass
class Part:
    """One instrument of a piece.

    Attributes:
        program: General MIDI program 0-127 (ignored for drums, where it selects the drum kit:
            0 Standard, 8 Room, 16 Power, 24 Electronic, 25 TR-808, 32 Jazz, 40 Brush).
        notes: list of ``(start_s, end_s, pitch, velocity)``; pitch 0-127 (for drums the GM
            percussion key), velocity 1-127.
        is_drum: True for the percussion channel.
        volume: MIDI channel volume 0-127 (controller 7), to balance parts.
        name: free text shown in metadata (e.g. ``"bass"``, ``"melody"``).
    """

    program: int
    notes: list = field(default_factory=list)
    is_drum: bool = False
    volume: int = 100
    name: str = ""

    def __post_init__(self):
        if not 0 <= int(self.program) <= 127:
            raise ValueError(f"Part.program must be a General MIDI program 0-127, got {self.program}")
        if not 0 <= int(self.volume) <= 127:
            raise ValueError(f"Part.volume must be 0-127, got {self.volume}")


def soundfont_path() -> str:
    """Path of ``TimGM6mb.sf2``, the small General MIDI sound font bundled with pretty_midi."""
    try:
        import pretty_midi
    except ImportError as err:  # pragma: no cover - pretty_midi is a hard dependency
        raise ImportError("rendering needs pretty_midi (it ships the TimGM6mb.sf2 sound font)") from err
    path = os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2")
    if not os.path.exists(path):
        raise FileNotFoundError(f"the General MIDI sound font was expected at {path}; reinstall pretty_midi")
    return path


@lru_cache(maxsize=1)
def _soundfont_bytes() -> bytes:
    with open(soundfont_path(), "rb") as fh:
        return fh.read()


def _tsf():
    try:
        import tinysoundfont
    except ImportError as err:
        raise ImportError(
            "rendering the offline data sets needs tinysoundfont; install it without its live-playback "
            "dependency: python -m pip install --no-deps tinysoundfont==0.3.7"
        ) from err
    return tinysoundfont


def renderer_version() -> str:
    """A string naming what produced the audio (part of every cache key)."""
    tsf = _tsf()
    try:
        from importlib.metadata import version

        v = version("tinysoundfont")
    except Exception:  # pragma: no cover
        v = getattr(tsf, "__version__", "unknown")
    return f"tinysoundfont-{v}/TimGM6mb-{len(_soundfont_bytes())}"


def render(parts: list[Part], duration: float, sr: int = RENDER_SR, gain_db: float = -6.0) -> np.ndarray:
    """Render parts to mono audio.

    Args:
        parts: the instruments (at most 15 melodic parts plus one drum part).
        duration: length of the output in seconds; notes are cut at the end (their release tail
            is not kept, so the piece ends as an excerpt does).
        sr: sample rate in Hz.
        gain_db: synthesiser gain (dB) before mixing; -6 keeps a full band below clipping.

    Returns:
        float32 array ``(round(duration * sr),)``, the mean of the two stereo channels.
    """
    if duration <= 0:
        raise ValueError(f"duration must be positive seconds, got {duration}")
    if int(sr) != sr or sr < 4000:
        raise ValueError(f"sr must be an integer sample rate >= 4000 Hz, got {sr}")
    tsf = _tsf()
    n_out = int(round(duration * sr))
    synth = tsf.Synth(gain=gain_db, samplerate=int(sr))
    sfid = synth.sfload(_soundfont_bytes())

    events = []  # (sample, order, kind, channel, key, velocity); note-offs (order 0) before note-ons
    free = [c for c in range(16) if c != DRUM_CHANNEL]
    drum_seen = False
    for part in parts:
        if part.is_drum:
            if drum_seen:
                raise ValueError("render() takes at most one drum part (General MIDI has one percussion channel)")
            drum_seen = True
            chan = DRUM_CHANNEL
            synth.program_select(chan, sfid, 128, int(part.program), True)
        else:
            if not free:
                raise ValueError("render() takes at most 15 melodic parts")
            chan = free.pop(0)
            synth.program_select(chan, sfid, 0, int(part.program), False)
        synth.control_change(chan, 7, int(part.volume))
        for start, end, key, vel in part.notes:
            s0 = int(round(start * sr))
            s1 = int(round(end * sr))
            if s0 >= n_out or (s1 <= s0 and not part.is_drum):
                continue
            s0 = max(s0, 0)
            vel = int(min(127, max(1, vel)))
            events.append((s0, 1, chan, int(key), vel))
            if not part.is_drum:  # drum notes ring out; GM drums ignore note-off anyway
                events.append((max(s1, s0 + 1), 0, chan, int(key), 0))
    events.sort()

    out = np.empty((n_out, 2), dtype=np.float32)
    pos = 0
    for sample, kind, chan, key, vel in events:
        sample = min(sample, n_out)
        if sample > pos:
            out[pos:sample] = np.frombuffer(synth.generate(sample - pos), dtype=np.float32).reshape(-1, 2)
            pos = sample
        if pos >= n_out:
            break
        if kind == 1:
            synth.noteon(chan, key, vel)
        else:
            synth.noteoff(chan, key)
    if pos < n_out:
        out[pos:] = np.frombuffer(synth.generate(n_out - pos), dtype=np.float32).reshape(-1, 2)
    return out.mean(axis=1).astype(np.float32)


def to_midi(parts: list[Part], tempo: float = 120.0):
    """The parts as a ``pretty_midi.PrettyMIDI`` object (for inspection, saving, or checks)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=float(tempo))
    for part in parts:
        inst = pretty_midi.Instrument(program=int(part.program), is_drum=bool(part.is_drum), name=part.name)
        inst.control_changes.append(pretty_midi.ControlChange(number=7, value=int(part.volume), time=0.0))
        for start, end, key, vel in part.notes:
            end = max(end, start + 0.05)
            inst.notes.append(pretty_midi.Note(velocity=int(min(127, max(1, vel))), pitch=int(key),
                                               start=float(start), end=float(end)))
        pm.instruments.append(inst)
    return pm


def from_midi(pm) -> list[Part]:
    """Parts from a ``pretty_midi.PrettyMIDI`` object (channel volume from a controller-7 event at time 0;
    later program or controller changes are ignored)."""
    parts = []
    for inst in pm.instruments:
        notes = [(n.start, n.end, n.pitch, n.velocity) for n in inst.notes]
        volume = [cc.value for cc in inst.control_changes if cc.number == 7 and cc.time <= 0.0]
        parts.append(Part(program=inst.program, notes=notes, is_drum=inst.is_drum, name=inst.name,
                          volume=volume[-1] if volume else 100))
    return parts


def render_midi(pm, sr: int = RENDER_SR, duration: float | None = None, gain_db: float = -6.0) -> np.ndarray:
    """Render a ``pretty_midi.PrettyMIDI`` object (or a path to a .mid file) to mono float32 audio.

    ``duration`` defaults to the end of the last note plus one second of release.
    """
    import pretty_midi

    if isinstance(pm, (str, os.PathLike)):
        pm = pretty_midi.PrettyMIDI(str(pm))
    parts = from_midi(pm)
    if sum(p.is_drum for p in parts) > 1:  # merge drum tracks onto the one percussion channel
        drums = [p for p in parts if p.is_drum]
        merged = Part(program=drums[0].program, is_drum=True, name="drums",
                      notes=sorted(n for p in drums for n in p.notes))
        parts = [p for p in parts if not p.is_drum] + [merged]
    if duration is None:
        duration = pm.get_end_time() + 1.0
    return render(parts, duration=duration, sr=sr, gain_db=gain_db)
