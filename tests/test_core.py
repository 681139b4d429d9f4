import os

import numpy as np
import pytest
import torch

import mmteach
from mmteach import core


def test_quick_mode_reads_the_environment(monkeypatch):
    monkeypatch.setenv("MMTEACH_QUICK", "1")
    assert mmteach.quick_mode() and mmteach.pick(normal=10, quick=2) == 2
    monkeypatch.setenv("MMTEACH_QUICK", "no")
    assert not mmteach.quick_mode() and mmteach.pick(normal=10, quick=2) == 10
    monkeypatch.delenv("MMTEACH_QUICK")
    assert not mmteach.quick_mode()


def test_quick_mode_rejects_gibberish(monkeypatch):
    monkeypatch.setenv("MMTEACH_QUICK", "maybe")
    with pytest.raises(ValueError, match="MMTEACH_QUICK"):
        mmteach.quick_mode()


def test_device_prefers_an_accelerator_and_falls_back_to_cpu(monkeypatch):
    monkeypatch.delenv("MMTEACH_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert mmteach.device().type == expected
    assert mmteach.device("cpu").type == "cpu"
    monkeypatch.setenv("MMTEACH_DEVICE", "cpu")
    assert mmteach.device().type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_a_missing_gpu_says_so():
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        mmteach.device("cuda")


def test_unknown_device_name():
    with pytest.raises(ValueError, match="expected 'auto'"):
        mmteach.device("tpu9")


def test_seeding_repeats_random_streams():
    mmteach.seed_everything(3)
    a = (np.random.rand(3), torch.rand(3))
    mmteach.seed_everything(3)
    b = (np.random.rand(3), torch.rand(3))
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(TypeError):
        mmteach.seed_everything("3")


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MMTEACH_CACHE", str(tmp_path / "c"))
    p = mmteach.cache_dir("data", "x")
    assert p == tmp_path / "c" / "data" / "x" and p.is_dir()


def test_progress_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("MMTEACH_PROGRESS", "0")
    bar = core.progress(range(3))
    assert bar.disable and list(bar) == [0, 1, 2]
