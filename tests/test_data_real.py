"""Loaders for Ballroom, GTZAN and MagnaTagATune, on tiny trees written in their published layouts."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mmteach.data import real

SR = 8000


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MMTEACH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MMTEACH_PROGRESS", "0")


def _tone(path, freq, seconds=0.5, sr=SR, fmt=None, stereo=False):
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    if stereo:
        y = np.stack([y, 0.5 * y], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), y, sr, format=fmt)


def _corrupt(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF\x00\x00this is not audio" * 3)


BALLROOM_FOLDERS = ["ChaChaCha", "Jive", "Quickstep", "Rumba-American", "Rumba-International", "Rumba-Misc",
                    "Samba", "Tango", "Viennese_Waltz", "Waltz"]


@pytest.fixture
def ballroom_tree(tmp_path):
    root = tmp_path / "ballroom"
    for k, folder in enumerate(BALLROOM_FOLDERS):
        for j in range(2):
            _tone(root / "BallroomData" / folder / f"Media-{k:02d}{j}.wav", 200 + 50 * k + j, stereo=(j == 1))
            (root / "BallroomAnnotations" / "ballroomGroundTruth").mkdir(parents=True, exist_ok=True)
            (root / "BallroomAnnotations" / "ballroomGroundTruth" / f"Media-{k:02d}{j}.bpm").write_text(f"{100 + k}\n")
    _corrupt(root / "BallroomData" / "Tango" / "Media-broken.wav")
    (root / "BallroomData" / "allBallroomFiles").write_text("not a folder\n")
    return root


def test_ballroom_loads_classes_tempo_and_audio(ballroom_tree):
    with pytest.warns(UserWarning, match="Media-broken.wav"):
        ds = real.ballroom(ballroom_tree)
    assert ds.classes == real.BALLROOM_CLASSES
    assert len(ds) == 20 and ds.sr == SR and not ds.multilabel
    counts = ds.counts()
    assert counts["Rumba"] == 6 and counts["Tango"] == 2 and counts["ChaChaCha"] == 2
    i = ds.track_ids.index("Media-061")  # Samba (folder 6), second file
    assert ds.classes[ds.labels[i]] == "Samba" and ds.tempo[i] == 106
    y, label = ds[i]
    assert y.dtype == np.float32 and y.shape == (SR // 2,) and label == ds.labels[i]
    # stereo files are averaged to mono
    assert np.abs(y).max() == pytest.approx(0.3 * 0.75, rel=0.02)
    # pointing at BallroomData itself works too, and resampling gives the asked rate
    with pytest.warns(UserWarning, match="Media-broken.wav"):  # skipped again, named again
        ds16 = real.ballroom(ballroom_tree / "BallroomData", sr=16000)
    assert ds16.sr == 16000 and ds16.audio(0).shape == (16000 // 2,)
    sp = ds.splits()
    assert sorted(np.concatenate(list(sp.values()))) == list(range(len(ds)))


def test_ballroom_tempo_from_beats_files(tmp_path):
    root = tmp_path / "b"
    for folder in ["ChaChaCha", "Jive", "Quickstep", "Rumba", "Samba", "Tango", "VienneseWaltz", "Waltz"]:
        _tone(root / "BallroomData" / folder / f"{folder}-1.wav", 300)
    beats = "\n".join(f"{0.5 * k:.3f}\t1.{k % 4 + 1}" for k in range(1, 12))
    (root / "BallroomAnnotations-master").mkdir(parents=True)
    (root / "BallroomAnnotations-master" / "Jive-1.beats").write_text(beats)
    with pytest.warns(UserWarning, match="7 of 8 tracks have no tempo"):
        ds = real.ballroom(root)
    j = ds.track_ids.index("Jive-1")
    assert ds.tempo[j] == pytest.approx(120.0)
    assert np.isnan(ds.tempo).sum() == 7


def test_ballroom_missing_folder_and_bad_root(ballroom_tree, tmp_path):
    import shutil

    shutil.rmtree(ballroom_tree / "BallroomData" / "Tango")
    with pytest.raises(real.DatasetLayoutError, match=r"Tango.*BallroomData/<Class>"):
        real.ballroom(ballroom_tree)
    partial = real.ballroom(ballroom_tree, require_all=False)
    assert partial.counts()["Tango"] == 0 and len(partial) == 18
    with pytest.raises(real.DatasetLayoutError, match="does not exist"):
        real.ballroom(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(real.DatasetLayoutError, match="no Ballroom class folders"):
        real.ballroom(tmp_path / "empty")


@pytest.fixture
def gtzan_tree(tmp_path):
    root = tmp_path / "gtzan"
    for k, g in enumerate(real.GTZAN_GENRES):
        _tone(root / "genres" / g / f"{g}.00000.au", 200 + 30 * k, fmt="AU")
        _tone(root / "genres" / g / f"{g}.00001.wav", 220 + 30 * k)
    _corrupt(root / "genres" / "jazz" / "jazz.00054.wav")
    return root


def test_gtzan_loads_au_and_wav_and_skips_corrupt(gtzan_tree):
    with pytest.warns(UserWarning, match="jazz.00054.wav"):
        ds = real.gtzan(gtzan_tree)
    assert ds.classes == real.GTZAN_GENRES and len(ds) == 20
    assert ds.counts() == {g: 2 for g in real.GTZAN_GENRES}
    i = ds.track_ids.index("metal.00000")
    y = ds.audio(i)
    assert ds.classes[ds.labels[i]] == "metal" and y.shape == (SR // 2,)
    # the tone is where we wrote it: 200 + 30 * 6 Hz
    peak = np.argmax(np.abs(np.fft.rfft(y))) * SR / len(y)
    assert peak == pytest.approx(380, abs=3)
    with pytest.warns(UserWarning, match="jazz.00054.wav"):
        again = real.gtzan(gtzan_tree / "genres", sr=22050)
    assert len(again.audio(0)) == 22050 // 2


def test_gtzan_missing_genre(gtzan_tree):
    import shutil

    shutil.rmtree(gtzan_tree / "genres" / "reggae")
    with pytest.raises(real.DatasetLayoutError, match=r"reggae.*genres/<genre>"):
        real.gtzan(gtzan_tree)


MTT_TAGS = ["guitar", "classical", "slow", "techno", "strings"]


@pytest.fixture
def mtt_tree(tmp_path):
    root = tmp_path / "mtt"
    root.mkdir()
    rows = []
    rng = np.random.default_rng(0)
    for k in range(8):
        folder = "0123456789abcdef"[[0, 1, 11, 12, 12, 13, 14, 15][k]]
        rel = f"{folder}/artist-album-{k:02d}-song.mp3"
        tags = [1 if (k + j) % (j + 2) == 0 else 0 for j in range(len(MTT_TAGS))]
        rows.append((str(1000 + k), tags, rel))
        if k == 5:
            continue  # listed in the csv, missing on disk
        if k == 6:
            _corrupt(root / rel)
            continue
        _tone(root / rel, 300 + 40 * k + rng.integers(5), seconds=1.0, sr=16000, fmt="MP3")
    header = "\t".join(f'"{h}"' for h in ["clip_id", *MTT_TAGS, "mp3_path"])
    lines = [header] + ["\t".join([f'"{cid}"', *[f'"{t}"' for t in tags], f'"{rel}"']) for cid, tags, rel in rows]
    (root / "annotations_final.csv").write_text("\n".join(lines) + "\n")
    return root, rows


def test_magnatagatune_tags_top_and_skips(mtt_tree):
    root, rows = mtt_tree
    with pytest.warns(UserWarning) as record:
        ds = real.magnatagatune(root, top=3)
    messages = " ".join(str(w.message) for w in record)
    assert "artist-album-05-song.mp3" in messages and "missing" in messages
    assert "artist-album-06-song.mp3" in messages and "unreadable" in messages
    assert ds.multilabel and len(ds) == 6 and ds.sr == 16000
    full = np.array([r[1] for r in rows])
    counts = full.sum(axis=0)
    expect = sorted(range(len(MTT_TAGS)), key=lambda j: (-counts[j], MTT_TAGS[j]))[:3]
    assert ds.classes == [MTT_TAGS[j] for j in expect]
    for i, cid in enumerate(ds.track_ids):
        k = int(cid) - 1000
        np.testing.assert_array_equal(ds.labels[i], full[k, expect])
    y = ds.audio(0)
    assert y.dtype == np.float32 and abs(len(y) - 16000) < 1200  # mp3 frames pad a little
    sp = real.mtt_split(ds)
    folders = [m["folder"] for m in ds.meta]
    assert [folders[i] for i in sp["val"]] == ["c", "c"]
    assert all(folders[i] in "def" for i in sp["test"]) and all(folders[i] in "0123456789ab" for i in sp["train"])


def test_magnatagatune_layout_errors(tmp_path, mtt_tree):
    (tmp_path / "nothing").mkdir()
    with pytest.raises(real.DatasetLayoutError, match="annotations_final.csv"):
        real.magnatagatune(tmp_path / "nothing")
    root, _ = mtt_tree
    with pytest.raises(ValueError, match="top"):
        real.magnatagatune(root, top=99)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "annotations_final.csv").write_text("id\tguitar\npath\n1\t0\n")
    with pytest.raises(real.DatasetLayoutError, match="clip_id"):
        real.magnatagatune(bad)


def test_unreadable_file_named_when_it_breaks_later(ballroom_tree):
    with pytest.warns(UserWarning):
        ds = real.ballroom(ballroom_tree)
    path = ds.meta[0]["path"]
    with open(path, "wb") as fh:  # the file breaks after the set was loaded
        fh.write(b"garbage")
    with pytest.raises(RuntimeError, match="Media-000.wav"):
        ds.audio(0)
