"""The offline data sets: deterministic rendering, labels that match what was rendered, splits."""
from __future__ import annotations

import time

import numpy as np
import pytest

pytestmark = pytest.mark.xdist_group("data")

from mmteach.data import dance, render, tags  # noqa: E402


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.getbasetemp() / "mmteach-cache-data"  # shared with test_data_features.py


@pytest.fixture
def data(cache, monkeypatch):
    """mmteach.data with the cache in a temporary folder (rendered once per test module)."""
    monkeypatch.setenv("MMTEACH_CACHE", str(cache))
    monkeypatch.setenv("MMTEACH_PROGRESS", "0")
    import mmteach.data as data

    return data


@pytest.fixture
def dance_quick(data):
    return data.dance_set("quick", seed=0)


@pytest.fixture
def tags_quick(data):
    return data.tag_set("quick", seed=0)


# -- rendering ---------------------------------------------------------------------------------------
def test_render_is_deterministic_and_audible():
    parts = [render.Part(program=0, notes=[(0.1, 0.6, 60, 100), (0.6, 1.0, 64, 90)]),
             render.Part(program=0, is_drum=True, notes=[(0.0, 0.1, 36, 110), (0.5, 0.6, 38, 100)])]
    a = render.render(parts, duration=1.2)
    b = render.render(parts, duration=1.2)
    assert a.dtype == np.float32 and a.shape == (int(round(1.2 * render.RENDER_SR)),)
    np.testing.assert_array_equal(a, b)
    assert np.sqrt(np.mean(a**2)) > 1e-3
    silent = render.render([render.Part(program=0, notes=[])], duration=0.5)
    assert np.abs(silent).max() == 0.0


def test_render_onset_lands_at_note_time():
    t0 = 0.5
    y = render.render([render.Part(program=0, notes=[(t0, 1.0, 60, 110)])], duration=1.0)
    sr = render.RENDER_SR
    assert np.abs(y[: int((t0 - 0.01) * sr)]).max() == 0.0
    assert np.abs(y[int(t0 * sr): int((t0 + 0.05) * sr)]).max() > 1e-3


def test_render_rejects_bad_input():
    with pytest.raises(ValueError, match="duration"):
        render.render([], duration=0)
    with pytest.raises(ValueError, match="program"):
        render.Part(program=200)
    drums = render.Part(program=0, is_drum=True, notes=[(0, 0.1, 36, 100)])
    with pytest.raises(ValueError, match="one drum part"):
        render.render([drums, drums], duration=0.5)


def test_midi_round_trip_renders_the_same():
    parts, _ = dance.compose(3, [0, 3, 0, 1], duration=3.0)
    pm = render.to_midi(parts)
    np.testing.assert_allclose(render.render_midi(pm, duration=3.0), render.render(parts, 3.0), atol=1e-6)


def test_same_seed_same_track_other_seed_other_track():
    p1, i1 = dance.compose(2, [0, 2, 1, 1])
    p2, i2 = dance.compose(2, [0, 2, 1, 1])
    p3, i3 = dance.compose(2, [1, 2, 1, 1])
    assert i1 == i2 and i1 != i3
    y1, y2, y3 = (render.render(p, 4.0, sr=dance.SR) for p in (p1, p2, p3))
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(y1, y3)


def test_quick_sets_render_quickly_and_reload_from_cache(data, dance_quick, tags_quick):
    import json

    from mmteach import cache_dir

    seconds = 0.0
    for ds in (dance_quick, tags_quick):
        build = json.loads((cache_dir("data") / ds._key / "build.json").read_text())
        assert build["tracks"] == len(ds)
        seconds += build["seconds"]
    assert len(dance_quick) == 40 and len(tags_quick) == tags.SIZES["quick"]
    assert seconds < 60, f"rendering both quick sets took {seconds:.1f} s; it must stay well under a minute"
    t0 = time.perf_counter()
    again = data.dance_set("quick")
    assert time.perf_counter() - t0 < 2.0, "a cached set must load without rendering again"
    np.testing.assert_array_equal(again.audio(5), dance_quick.audio(5))
    # the cache holds exactly what rendering gives (the dance set in this process, the tag set in
    # worker processes)
    y, info = dance.make_track(0, 5)
    np.testing.assert_allclose(dance_quick.audio(5), y, atol=1e-4)
    assert info == dance_quick.meta[5]
    for i in (0, 50, len(tags_quick) - 1):
        np.testing.assert_allclose(tags_quick.audio(i), tags.make_track(0, i)[0], atol=1e-6)


def test_a_rebuild_removes_older_renderings(tmp_path, monkeypatch):
    monkeypatch.setenv("MMTEACH_CACHE", str(tmp_path))
    import mmteach.data as data

    stale = tmp_path / "data" / "dance-quick-seed3-0000000000"  # an older rendering of the same set
    other = tmp_path / "data" / "dance-quick-seed30-0000000000"  # another seed: must stay
    stale_features = tmp_path / "features" / stale.name
    current = tmp_path / "data" / "dance-quick-seed3-1111111111"
    for d in (stale, other, stale_features, current):
        d.mkdir(parents=True)
    data._drop_stale("dance-quick-seed3", current.name)
    assert not stale.exists() and not stale_features.exists() and other.exists() and current.exists()


# -- the dance set -------------------------------------------------------------------------------------
def test_dance_set_shape_and_labels(dance_quick):
    ds = dance_quick
    assert ds.classes == dance.CLASSES and not ds.multilabel and ds.sr == dance.SR == 44100
    assert np.bincount(ds.labels, minlength=8).tolist() == [5] * 8
    assert len(set(ds.track_ids)) == len(ds)
    y, label = ds[0]
    assert y.dtype == np.float32 and y.shape == (int(dance.DURATION_S * ds.sr),)
    assert label == 0 and -1 <= y.min() and y.max() <= 1
    for i in range(len(ds)):
        d = dance.DANCES[ds.classes[ds.labels[i]]]
        assert d.tempo[0] <= ds.tempo[i] <= d.tempo[1]
        assert ds.meta[i]["beats_per_bar"] == (3 if "Waltz" in d.name else 2 if d.name == "Samba" else 4)


def test_quick_is_the_start_of_normal(data):
    """The quick set is the first tracks of the normal set (compare scores, rendering normal is slow)."""
    for i in (0, 9, 39):
        label, k = i % 8, i // 8
        _, info_quick = dance.compose(label, [0, label, k, 1])
        ds = data.dance_set("quick", seed=0)
        assert info_quick["tempo"] == pytest.approx(ds.tempo[i])


def _acf_tempo(y, sr, lo, hi, hop=256):
    """Tempo (bpm) from the autocorrelation of the onset-strength curve, searched within [lo, hi].

    Peaks at 1-4 beat periods are summed, which makes the estimate precise to a fraction of a bpm.
    The search range is the dance's own range plus a margin: like the Ballroom annotators, we fix
    the metrical level from the dance, so octave errors cannot occur by construction."""
    import librosa

    if sr == 44100:  # halve the rate by averaging sample pairs (a cheap low-pass): 2x faster, same onsets
        y, sr = y[: len(y) // 2 * 2].reshape(-1, 2).mean(axis=1), sr // 2
        hop //= 2
    oenv = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop, n_fft=1024, n_mels=40)
    acf = librosa.autocorrelate(oenv - oenv.mean())
    bpms = np.arange(lo, hi, 0.05)
    lags = 60 * sr / hop / bpms
    score = sum(np.interp(m * lags, np.arange(len(acf)), acf) for m in (1, 2, 3, 4))
    return float(bpms[np.argmax(score)])


def test_measured_tempo_matches_label(dance_quick):
    from threadpoolctl import threadpool_limits

    ds = dance_quick
    with threadpool_limits(1):
        estimates = [_tempo_of(ds, i) for i in range(len(ds))]
    for i, est in enumerate(estimates):
        name = ds.classes[ds.labels[i]]
        assert abs(est - ds.tempo[i]) < 2.0, f"track {i} ({name}): label {ds.tempo[i]:.1f} bpm, measured {est:.1f}"


def _tempo_of(ds, i):
    d = dance.DANCES[ds.classes[ds.labels[i]]]
    return _acf_tempo(ds.audio(i), ds.sr, d.tempo[0] - 10, d.tempo[1] + 10)


def test_drum_onsets_sit_on_the_beat_grid(dance_quick):
    """Every beat of a track with drums has a drum onset in the rendered MIDI within 25 ms, and the
    beat grid's period is 60 / tempo."""
    ds = dance_quick
    checked = 0
    for i in range(len(ds)):
        info = ds.meta[i]
        beats = np.array(info["beat_times"])
        np.testing.assert_allclose(np.diff(beats), 60.0 / ds.tempo[i], rtol=1e-9)
        pm = ds.midi(i)
        drums = [inst for inst in pm.instruments if inst.is_drum]
        assert bool(drums) == info["drums"]
        if not drums:
            continue
        onsets = np.array(sorted(n.start for n in drums[0].notes))
        beats = beats[(beats > 0.05) & (beats < dance.DURATION_S - 0.05)]
        gaps = np.abs(onsets[None, :] - beats[:, None]).min(axis=1)
        assert gaps.max() < 0.025, f"track {i}: a beat without a drum onset ({gaps.max() * 1000:.0f} ms away)"
        checked += 1
    assert checked >= 30


def test_tempo_helps_but_does_not_solve_the_dance_set(dance_quick):
    """A tempo-only rule (the class whose tempo range centre is nearest) beats chance by far but fails
    on the dances whose ranges overlap (Rumba/Samba, Cha-cha-cha/Tango, Jive/Viennese waltz)."""
    ds = dance_quick
    centres = np.array([np.mean(dance.DANCES[c].tempo) for c in dance.CLASSES])
    pred = np.argmin(np.abs(ds.tempo[:, None] - centres[None, :]), axis=1)
    acc = float(np.mean(pred == ds.labels))
    assert 0.3 < acc < 0.85, acc
    ranges = [dance.DANCES[c].tempo for c in ("Rumba", "Samba")]
    assert ranges[0][0] < ranges[1][1] and ranges[1][0] < ranges[0][1]


# -- the tag set ------------------------------------------------------------------------------------
def test_tag_set_labels_follow_from_the_rendering(tags_quick):
    ds = tags_quick
    assert ds.multilabel and ds.classes == tags.TAGS
    assert ds.labels.shape == (len(ds), len(tags.TAGS)) and ds.labels.dtype == np.float32
    assert set(np.unique(ds.labels)) <= {0.0, 1.0}
    col = {t: k for k, t in enumerate(tags.TAGS)}
    gm_family = {p: f for f, progs in tags.FAMILIES.items() for p in progs}
    n_drums = n_none = 0
    for i in range(len(ds)):
        y = ds.audio(i)
        assert y.shape == (int(tags.DURATION_S * ds.sr),)
        lab = ds.labels[i]
        pm = ds.midi(i)
        playing = [inst for inst in pm.instruments if any(n.start < tags.DURATION_S for n in inst.notes)]
        has_drums = any(inst.is_drum for inst in playing)
        assert lab[col["drums"]] == has_drums
        n_drums += has_drums
        n_none += not has_drums
        families = {gm_family[inst.program] for inst in playing if not inst.is_drum and inst.program in gm_family}
        for fam in tags.FAMILIES:
            expect = fam in families or (fam == "strings" and families & {"violin", "cello"})
            assert lab[col[fam]] == bool(expect), f"clip {i}: tag {fam}"
        has_bass = any(32 <= inst.program <= 39 and not inst.is_drum for inst in playing)
        assert lab[col["bass"]] == has_bass
        assert lab[col["solo"]] == (len(playing) == 1)
        assert lab[col["fast"]] == (ds.tempo[i] >= 130) and lab[col["slow"]] == (ds.tempo[i] <= 85)
        level = tags.rms_db(y)
        assert lab[col["loud"]] == (level >= tags.LOUD_DB) and lab[col["quiet"]] == (level <= tags.QUIET_DB)
    assert n_drums >= 10 and n_none >= 10
    # every tag occurs, and none is on everywhere
    assert (ds.labels.sum(axis=0) > 0).all() and (ds.labels.mean(axis=0) < 0.9).all()


def test_drum_tag_matches_drum_energy(tags_quick):
    """The drums of a clip tagged 'drums' are audible (rendered alone they carry energy), and a clip
    without the tag is identical to its rendering without a drum part."""
    ds = tags_quick
    col = tags.TAGS.index("drums")
    on = [i for i in range(len(ds)) if ds.labels[i, col]][:4]
    off = [i for i in range(len(ds)) if not ds.labels[i, col]][:4]
    for i in on + off:
        parts, info = tags.compose(i, 0)
        drum_parts = [p for p in parts if p.is_drum]
        others = [p for p in parts if not p.is_drum]
        y = ds.audio(i)
        if i in on:
            assert drum_parts and tags.rms_db(render.render(drum_parts, tags.DURATION_S, sr=tags.SR)) > -45
        else:
            assert not drum_parts
            y_no_drums = render.render(others, tags.DURATION_S, sr=tags.SR)
            assert np.corrcoef(y, y_no_drums)[0, 1] > 0.99


def test_loudness_tags_are_separated(tags_quick):
    ds = tags_quick
    levels = np.array([tags.rms_db(ds.audio(i)) for i in range(len(ds))])
    loud = ds.labels[:, tags.TAGS.index("loud")] == 1
    quiet = ds.labels[:, tags.TAGS.index("quiet")] == 1
    assert loud.sum() >= 10 and quiet.sum() >= 10
    assert levels[loud].min() - levels[quiet].max() > 9  # at least 9 dB between the loud and the quiet
    assert np.abs(np.concatenate([ds.audio(i) for i in np.flatnonzero(loud)[:5]])).max() <= 1.0


# -- splits and folds ---------------------------------------------------------------------------------
def _check_partition(parts, n):
    all_idx = np.concatenate([parts[k] for k in ("train", "val", "test")])
    assert len(all_idx) == n and len(np.unique(all_idx)) == n, "parts must be disjoint and cover every track"


def test_splits_are_disjoint_covering_stratified_and_seeded(dance_quick):
    ds = dance_quick
    sp = ds.splits(seed=0)
    _check_partition(sp, len(ds))
    assert len(sp["test"]) == 4 and len(sp["val"]) == 4
    # stratified: no class appears twice in a 4-track part of an 8-class set with 5 per class
    assert len(set(ds.labels[sp["test"]])) == 4 and len(set(ds.labels[sp["val"]])) == 4
    again = ds.splits(seed=0)
    other = ds.splits(seed=1)
    assert all(np.array_equal(sp[k], again[k]) for k in sp)
    assert not all(np.array_equal(sp[k], other[k]) for k in sp)
    sp2 = ds.splits(fractions=(0.6, 0.2, 0.2))
    assert len(sp2["test"]) == 8 and len(set(ds.labels[sp2["test"]])) == 8
    with pytest.raises(ValueError, match="fractions"):
        ds.splits(fractions=(0.5, 0.2, 0.2))


def test_folds_test_every_track_once(dance_quick, tags_quick):
    for ds in (dance_quick, tags_quick):
        folds = ds.folds(k=10, seed=0)
        assert len(folds) == 10
        tested = np.concatenate([f["test"] for f in folds])
        assert np.array_equal(np.sort(tested), np.arange(len(ds)))
        for f in folds:
            _check_partition(f, len(ds))
    with pytest.raises(ValueError):
        dance_quick.folds(k=2)


def test_multilabel_splits_reach_rare_tags(data):
    ds = data.tag_set("quick")
    sp = ds.splits(seed=0)
    _check_partition(sp, len(ds))
    counts = ds.labels.sum(axis=0)
    for part in ("val", "test"):
        got = ds.labels[sp[part]].sum(axis=0)
        # tags with at least 15 positives reach both held-out parts
        assert (got[counts >= 15] > 0).all(), f"{part}: {dict(zip(ds.classes, got))}"


def test_bad_sizes_and_seeds(data):
    with pytest.raises(ValueError, match="size"):
        data.dance_set("huge")
    with pytest.raises(TypeError, match="seed"):
        data.tag_set("quick", seed=-1)


def test_subset_keeps_labels_and_audio(dance_quick):
    sub = dance_quick.subset([3, 10, 17])
    assert len(sub) == 3 and sub.labels.tolist() == dance_quick.labels[[3, 10, 17]].tolist()
    np.testing.assert_array_equal(sub.audio(1), dance_quick.audio(10))
    assert sub.tempo[2] == dance_quick.tempo[17]
    with pytest.raises(IndexError):
        sub.audio(3)
    with pytest.raises(TypeError):
        sub.audio(1.0)
