"""The numpy-only TensorFlow checkpoint reader and the variable mapping onto MusiCNN."""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import mmteach.pretrained as pre
from mmteach.models.musicnn import MusiCNN
from mmteach.tfcheckpoint import CheckpointError, _raw_crc_py, crc32c, read_checkpoint, read_index



def _installed(name: str) -> Path:
    return Path(list(importlib.util.find_spec("musicnn").submodule_search_locations)[0]) / name


@pytest.fixture(scope="module")
def mtt_tensors():
    return read_checkpoint(_installed("MTT_musicnn")).tensors


def test_crc32c_known_value_and_long_input():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    data = np.random.RandomState(0).bytes(300_001)          # long enough for the chunked path
    assert crc32c(data) == _raw_crc_py(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


@pytest.mark.parametrize("name", ["MTT_musicnn", "MSD_musicnn"])
def test_index_lists_the_documented_variables(name):
    header, entries = read_index(_installed(name) / ".index")
    assert header["num_shards"] == 1
    assert entries["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert (entries["conv2d/kernel"].offset, entries["conv2d/kernel"].size) == (81176, 217056)
    assert entries["dense/kernel"].shape == (1506, 200)
    assert entries["conv2d_5/kernel"].shape == (7, 561, 1, 64)
    model_vars = [n for n in entries if not n.endswith(("/Adam", "/Adam_1")) and "power" not in n]
    assert len(model_vars) == 8 * 2 + 11 * 4 + 2 * 2        # convs, batch norms, dense layers
    n_params = sum(int(np.prod(entries[n].shape)) for n in model_vars if "moving" not in n)
    assert n_params == 787_159


@pytest.mark.parametrize("name", ["MTT_musicnn", "MSD_musicnn"])
def test_every_checkpoint_variable_used_exactly_once(name):
    tensors = read_checkpoint(_installed(name)).tensors
    net = MusiCNN()
    state = pre.convert_checkpoint(tensors, net)
    rows = pre.variable_map(net)
    used = [tf for tf, _, _ in rows]
    assert len(used) == len(set(used))
    ignored = {n for n in tensors if n.endswith(("/Adam", "/Adam_1")) or n in ("beta1_power", "beta2_power")}
    assert set(used) == set(tensors) - ignored
    n_trainable = 8 * 2 + 11 * 2 + 2 * 2                     # kernels, biases, gammas, betas
    assert len(ignored) == 2 * n_trainable + 2                # two Adam slots each + 2 beta powers
    net.load_state_dict(state, strict=True)
    net.requires_grad_(False)
    # spot-check the transposes
    np.testing.assert_array_equal(net.frontend.f74.conv.weight[5, 0].numpy(), tensors["conv2d/kernel"][:, :, 0, 5])
    np.testing.assert_array_equal(net.midend.conv1.weight[3].numpy(), tensors["conv2d_5/kernel"][:, :, 0, 3].T)
    np.testing.assert_array_equal(net.backend.dense.weight.numpy(), tensors["dense/kernel"].T)
    np.testing.assert_array_equal(net.backend.pool_bn.running_var.numpy(), tensors["batch_normalization_9/moving_variance"])


def test_mapping_errors_name_the_variable(mtt_tensors):
    net = MusiCNN()
    bad = dict(mtt_tensors)
    bad["conv2d_6/kernel"] = bad["conv2d_6/kernel"][:, :32]
    with pytest.raises(CheckpointError, match=r"'conv2d_6/kernel'.*\(7, 32, 1, 64\).*midend.conv2.weight"):
        pre.convert_checkpoint(bad, net)
    missing = {k: v for k, v in mtt_tensors.items() if k != "batch_normalization_9/gamma"}
    with pytest.raises(CheckpointError, match=r"'batch_normalization_9/gamma'.*missing"):
        pre.convert_checkpoint(missing, net)
    extra = dict(mtt_tensors, **{"conv2d_8/kernel": np.zeros((3, 3, 1, 1), np.float32)})
    with pytest.raises(CheckpointError, match=r"not used: \['conv2d_8/kernel'\]"):
        pre.convert_checkpoint(extra, net)
    with pytest.raises(CheckpointError, match=r"'dense_1/kernel'.*does not fit"):
        pre.convert_checkpoint(mtt_tensors, MusiCNN(n_classes=10))


def _copy_checkpoint(dst: Path, name: str = "MTT_musicnn") -> Path:
    folder = dst / name
    folder.mkdir(parents=True)
    for f in (".index", ".data-00000-of-00001"):
        shutil.copy(_installed(name) / f, folder / f)
    return folder


@pytest.fixture
def no_package(tmp_path, monkeypatch):
    """Pretend the musicnn wheel is not installed and the cache is empty."""
    monkeypatch.setenv("MMTEACH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pre, "_package_dir", lambda: None)
    return tmp_path / "cache" / "musicnn" / "checkpoints"


def test_missing_checkpoint_says_how_to_get_it(no_package):
    with pytest.raises(FileNotFoundError) as info:
        pre.load_musicnn("MTT_musicnn")
    msg = str(info.value)
    assert "python -m pip install --no-deps musicnn==0.1.0" in msg
    assert "MTT_musicnn" in msg and str(no_package) in msg
    with pytest.raises(ValueError, match="unknown MusiCNN model 'MTT'"):
        pre.load_musicnn("MTT")


def test_checkpoint_in_cache_folder_is_found_and_converted_once(no_package):
    _copy_checkpoint(no_package)
    net = pre.load_musicnn("MTT_musicnn")
    cached = list((no_package.parent).glob("MTT_musicnn-*.pt"))
    assert len(cached) == 1
    again = pre.load_musicnn("MTT_musicnn")
    for (k, a), b in zip(net.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), k
    cached[0].write_bytes(b"not a torch file")          # a damaged cache is rebuilt, not trusted
    third = pre.load_musicnn("MTT_musicnn")
    assert torch.equal(third.backend.output.weight, net.backend.output.weight)


def test_truncated_data_file_is_reported(no_package):
    folder = _copy_checkpoint(no_package)
    data = folder / ".data-00000-of-00001"
    with open(data, "r+b") as fh:
        fh.truncate(os.path.getsize(data) - 1000)
    with pytest.raises(CheckpointError, match=r"variable '[\w/]+' needs bytes .* the data file is truncated"):
        pre.load_musicnn("MTT_musicnn")


def test_truncated_or_corrupt_index_is_reported(no_package):
    folder = _copy_checkpoint(no_package)
    index = folder / ".index"
    raw = index.read_bytes()
    index.write_bytes(raw[:-20])
    with pytest.raises(CheckpointError, match="truncated"):
        pre.load_musicnn("MTT_musicnn")
    index.write_bytes(raw[:100] + bytes([raw[100] ^ 0xFF]) + raw[101:])
    with pytest.raises(CheckpointError, match="CRC mismatch"):
        pre.load_musicnn("MTT_musicnn")


def test_corrupt_data_byte_is_reported(no_package):
    folder = _copy_checkpoint(no_package)
    data = folder / ".data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[81176 + 1000] ^= 0x10                              # inside conv2d/kernel
    data.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r"'conv2d/kernel'.*CRC-32C mismatch"):
        pre.load_musicnn("MTT_musicnn")


def test_index_that_is_not_a_checkpoint(tmp_path):
    p = tmp_path / "x.index"
    p.write_bytes(b"hello" * 20)
    with pytest.raises(CheckpointError, match="not a TensorFlow checkpoint index"):
        read_index(p)
    with pytest.raises(CheckpointError, match="does not exist"):
        read_index(tmp_path / "none.index")
