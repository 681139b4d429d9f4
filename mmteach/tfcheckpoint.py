"""Read a TensorFlow (V2) checkpoint with numpy alone — no TensorFlow needed.

A checkpoint ``prefix`` is two files:

- ``prefix.index`` — an immutable sorted key/value table in LevelDB's "SSTable" format. Each key is
  a variable name (``conv2d/kernel``); each value is a ``BundleEntryProto`` protocol-buffer message
  saying the tensor's dtype, shape, shard, byte offset, byte size and CRC-32C. The empty key holds
  a ``BundleHeaderProto`` (number of shards, byte order).
- ``prefix.data-00000-of-00001`` — the tensors' raw bytes, one after the other (little-endian,
  C order), so ``np.frombuffer(data[offset:offset + size], "<f4").reshape(shape)`` recovers one.

The table is made of blocks, each followed by a 5-byte trailer (compression type, masked CRC-32C).
The file ends with a 48-byte footer: the handles (offset, size as varints) of the meta-index block
and of the index block, zero padding, and the magic number ``0xdb4775248b80fb57``. The index block
maps the last key of each data block to that block's handle; a data block stores its entries with
prefix-compressed keys ``(shared, non_shared, value_length, key_suffix, value)`` and ends with an
array of restart offsets and their count.

    >>> ckpt = read_checkpoint(".../musicnn/MTT_musicnn/")          # doctest: +SKIP
    >>> ckpt.tensors["conv2d/kernel"].shape                          # doctest: +SKIP
    (7, 38, 1, 204)

Every problem (missing file, truncated file, bad magic, CRC mismatch, unsupported dtype) raises
:class:`CheckpointError` with the file and the variable concerned.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["CheckpointError", "Entry", "Checkpoint", "read_index", "read_checkpoint", "crc32c",
           "checkpoint_files", "TABLE_MAGIC"]

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_TRAILER = 5

# tensorflow/core/framework/types.proto: enum value -> numpy little-endian dtype
_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 10: "?", 17: "<u2",
           19: "<f2", 22: "<u4", 23: "<u8"}
_DTYPE_NAMES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string",
                9: "int64", 10: "bool", 14: "bfloat16", 17: "uint16", 19: "float16", 22: "uint32",
                23: "uint64"}


class CheckpointError(ValueError):
    """A TensorFlow checkpoint could not be read or does not fit; the message says where and why."""


# ----------------------------------------------------------------------------------------------
# CRC-32C (Castagnoli), as LevelDB and TensorFlow use it
# ----------------------------------------------------------------------------------------------
def _make_table() -> np.ndarray:
    poly = 0x82F63B78
    table = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table[i] = c
    return table


_TABLE = _make_table()
_TABLE_LIST = [int(v) for v in _TABLE]


def _raw_crc_py(data: bytes, crc: int = 0) -> int:
    table = _TABLE_LIST
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def _mat_apply(mat: list[int], v: int) -> int:
    out = 0
    i = 0
    while v:
        if v & 1:
            out ^= mat[i]
        v >>= 1
        i += 1
    return out


def _mat_mul(a: list[int], b: list[int]) -> list[int]:
    return [_mat_apply(a, col) for col in b]


_ZERO_BYTE = [_raw_crc_py(b"\0", 1 << i) for i in range(32)]  # the linear map "feed one zero byte"


def _shift_matrix(n_bytes: int) -> list[int]:
    """Matrix of the linear map c -> raw CRC state after feeding ``n_bytes`` zero bytes."""
    result = [1 << i for i in range(32)]
    base = _ZERO_BYTE
    while n_bytes:
        if n_bytes & 1:
            result = _mat_mul(base, result)
        base = _mat_mul(base, base)
        n_bytes >>= 1
    return result


def crc32c(data: bytes | memoryview | np.ndarray, chunks: int = 2048) -> int:
    """CRC-32C of ``data`` (``crc32c(b"123456789") == 0xE3069283``).

    Long inputs are cut into ``chunks`` equal pieces whose CRCs are computed side by side with
    numpy and then combined (the CRC is linear over GF(2)), so 10 MB take a fraction of a second.
    """
    buf = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8) if not isinstance(data, np.ndarray) \
        else np.ascontiguousarray(data).view(np.uint8).ravel()
    n = buf.size
    length = n // chunks
    if length < 64:
        raw = _raw_crc_py(buf.tobytes())
    else:
        body = buf[: chunks * length].reshape(chunks, length).T.copy()   # (length, chunks)
        state = np.zeros(chunks, dtype=np.uint32)
        for row in body:
            state = _TABLE[(state ^ row) & 0xFF] ^ (state >> np.uint32(8))
        shift = _shift_matrix(length)
        tabs = [[_mat_apply(shift, b << (8 * k)) for b in range(256)] for k in range(4)]
        raw = 0
        for c in state.tolist():
            raw = (tabs[0][raw & 0xFF] ^ tabs[1][(raw >> 8) & 0xFF] ^ tabs[2][(raw >> 16) & 0xFF]
                   ^ tabs[3][raw >> 24]) ^ c
        raw = _raw_crc_py(buf[chunks * length:].tobytes(), raw)
    init = _mat_apply(_shift_matrix(n), 0xFFFFFFFF)
    return (init ^ raw ^ 0xFFFFFFFF) & 0xFFFFFFFF


def _unmask(masked: int) -> int:
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# ----------------------------------------------------------------------------------------------
# varints and protocol buffers (only what BundleEntryProto needs)
# ----------------------------------------------------------------------------------------------
def _varint(buf: bytes, pos: int, what: str) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise CheckpointError(f"truncated varint while reading {what}")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise CheckpointError(f"malformed varint while reading {what}")


def _proto_fields(buf: bytes, what: str):
    """Yield ``(field_number, wire_type, value)``; value is an int or bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos, what)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos, what)
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos, what)
            value, pos = bytes(buf[pos:pos + length]), pos + length
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise CheckpointError(f"unsupported protobuf wire type {wire} in {what}")
        if pos > len(buf):
            raise CheckpointError(f"truncated protobuf message in {what}")
        yield number, wire, value


@dataclass
class Entry:
    """One variable's record in the index: where its bytes are and what they mean."""
    name: str
    dtype: int
    shape: tuple[int, ...]
    shard_id: int = 0
    offset: int = 0
    size: int = 0
    crc32c: int | None = None
    sliced: bool = False

    @property
    def dtype_name(self) -> str:
        return _DTYPE_NAMES.get(self.dtype, f"enum {self.dtype}")


def _parse_shape(buf: bytes, what: str) -> tuple[int, ...]:
    dims = []
    for number, wire, value in _proto_fields(buf, what):
        if number == 2 and wire == 2:          # Dim
            size = 0
            for n2, w2, v2 in _proto_fields(value, what):
                if n2 == 1 and w2 == 0:
                    size = v2 - (1 << 64) if v2 >= 1 << 63 else v2
            dims.append(size)
        elif number == 3 and value:
            raise CheckpointError(f"{what}: tensor of unknown rank is not supported")
    return tuple(dims)


def _parse_entry(name: str, buf: bytes) -> Entry:
    what = f"the index entry of variable {name!r}"
    entry = Entry(name=name, dtype=0, shape=())
    for number, wire, value in _proto_fields(buf, what):
        if number == 1:
            entry.dtype = value
        elif number == 2:
            entry.shape = _parse_shape(value, what)
        elif number == 3:
            entry.shard_id = value
        elif number == 4:
            entry.offset = value
        elif number == 5:
            entry.size = value
        elif number == 6:
            entry.crc32c = value
        elif number == 7:
            entry.sliced = True
    return entry


# ----------------------------------------------------------------------------------------------
# the SSTable
# ----------------------------------------------------------------------------------------------
def _read_block(buf: bytes, offset: int, size: int, path: Path, what: str) -> bytes:
    end = offset + size + BLOCK_TRAILER
    if offset < 0 or end > len(buf):
        raise CheckpointError(f"{path}: {what} (bytes {offset}..{end}) lies beyond the end of the file "
                              f"({len(buf)} bytes) — the file is truncated or corrupt")
    block = buf[offset:offset + size]
    kind = buf[offset + size]
    stored = int.from_bytes(buf[offset + size + 1:end], "little")
    if _unmask(stored) != crc32c(buf[offset:offset + size + 1]):
        raise CheckpointError(f"{path}: CRC mismatch in {what} — the file is corrupt")
    if kind != 0:
        raise CheckpointError(f"{path}: {what} is compressed (type {kind}); only uncompressed tables are supported")
    return block


def _block_entries(block: bytes, path: Path, what: str):
    if len(block) < 4:
        raise CheckpointError(f"{path}: {what} is too short")
    n_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * n_restarts
    if limit < 0:
        raise CheckpointError(f"{path}: {what} has a bad restart array")
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos, what)
        non_shared, pos = _varint(block, pos, what)
        value_len, pos = _varint(block, pos, what)
        if shared > len(key) or pos + non_shared + value_len > limit:
            raise CheckpointError(f"{path}: {what} has a malformed entry")
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        yield key, block[pos:pos + value_len]
        pos += value_len


def read_index(index_path: str | Path) -> tuple[dict, dict[str, Entry]]:
    """Parse a ``.index`` file → ``(header, entries)``.

    ``header`` has ``num_shards`` and ``endianness`` (0 = little); ``entries`` maps each variable
    name to its :class:`Entry`, in the table's (sorted) order.
    """
    path = Path(index_path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint index file {path} does not exist")
    buf = path.read_bytes()
    if len(buf) < FOOTER_SIZE:
        raise CheckpointError(f"{path}: {len(buf)} bytes is too short for a checkpoint index "
                              f"(its footer alone is {FOOTER_SIZE}) — the file is truncated")
    footer = buf[-FOOTER_SIZE:]
    magic = int.from_bytes(footer[-8:], "little")
    if magic != TABLE_MAGIC:
        raise CheckpointError(f"{path}: not a TensorFlow checkpoint index (magic {magic:#018x}, expected "
                              f"{TABLE_MAGIC:#018x}) — the file is truncated or is something else")
    pos = 0
    _meta_off, pos = _varint(footer, pos, "the footer")
    _meta_size, pos = _varint(footer, pos, "the footer")
    index_off, pos = _varint(footer, pos, "the footer")
    index_size, pos = _varint(footer, pos, "the footer")
    index_block = _read_block(buf, index_off, index_size, path, "the index block")

    header: dict = {"num_shards": 1, "endianness": 0}
    entries: dict[str, Entry] = {}
    for _last_key, handle in _block_entries(index_block, path, "the index block"):
        off, p = _varint(handle, 0, "a block handle")
        size, _ = _varint(handle, p, "a block handle")
        data_block = _read_block(buf, off, size, path, f"the data block at byte {off}")
        for key, value in _block_entries(data_block, path, f"the data block at byte {off}"):
            name = key.decode("utf-8", errors="replace")
            if name == "":
                for number, _wire, v in _proto_fields(value, "the bundle header"):
                    if number == 1:
                        header["num_shards"] = v
                    elif number == 2:
                        header["endianness"] = v
            else:
                entries[name] = _parse_entry(name, value)
    if header["endianness"] != 0:
        raise CheckpointError(f"{path}: big-endian checkpoints are not supported")
    return header, entries


@dataclass
class Checkpoint:
    """A whole checkpoint in memory: ``tensors`` maps variable names to numpy arrays."""
    prefix: Path
    entries: dict[str, Entry]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.tensors

    def __getitem__(self, name: str) -> np.ndarray:
        return self.tensors[name]


def checkpoint_files(prefix: str | Path) -> tuple[Path, list[Path]]:
    """The ``.index`` file and the data shard paths of a checkpoint prefix.

    A folder path means the empty prefix inside it (as the ``musicnn`` package stores its models:
    ``MTT_musicnn/.index``).
    """
    prefix = Path(prefix)
    base = str(prefix) + "/" if prefix.is_dir() else str(prefix)
    return Path(base + ".index"), [Path(base + ".data-00000-of-00001")]


def read_checkpoint(prefix: str | Path, verify: bool = True) -> Checkpoint:
    """Read every tensor of a checkpoint into numpy arrays.

    Args:
        prefix: checkpoint prefix (``.../model.ckpt``) or a folder holding ``.index`` and
            ``.data-00000-of-00001`` directly.
        verify: check each tensor's CRC-32C against the index (detects corrupt bytes).
    """
    index_path, _ = checkpoint_files(prefix)
    header, entries = read_index(index_path)
    n_shards = header["num_shards"]
    base = str(index_path)[: -len(".index")]
    shards = {}
    for k in range(n_shards):
        shard_path = Path(f"{base}.data-{k:05d}-of-{n_shards:05d}")
        if not shard_path.is_file():
            raise CheckpointError(f"checkpoint data file {shard_path} does not exist (the index {index_path} "
                                  f"is there) — copy both files of the checkpoint")
        shards[k] = np.memmap(shard_path, dtype=np.uint8, mode="r") if shard_path.stat().st_size else np.zeros(0, np.uint8)
    ckpt = Checkpoint(prefix=Path(base), entries=entries)
    for name, e in entries.items():
        if e.sliced:
            raise CheckpointError(f"variable {name!r} is stored in slices (partitioned); not supported")
        if e.dtype not in _DTYPES:
            raise CheckpointError(f"variable {name!r} has dtype {e.dtype_name}, which this reader does not support")
        if e.shard_id not in shards:
            raise CheckpointError(f"variable {name!r} is in shard {e.shard_id}, but the index lists {n_shards} shard(s)")
        data = shards[e.shard_id]
        dtype = np.dtype(_DTYPES[e.dtype])
        n_items = int(np.prod(e.shape, dtype=np.int64))
        if n_items * dtype.itemsize != e.size:
            raise CheckpointError(f"variable {name!r}: shape {e.shape} of {e.dtype_name} needs "
                                  f"{n_items * dtype.itemsize} bytes, the index says {e.size}")
        if e.offset + e.size > data.size:
            raise CheckpointError(
                f"variable {name!r} needs bytes {e.offset}..{e.offset + e.size} of "
                f"{base}.data-{e.shard_id:05d}-of-{n_shards:05d}, which has only {data.size} bytes — "
                "the data file is truncated (re-install or re-copy the checkpoint)")
        raw = np.asarray(data[e.offset:e.offset + e.size])
        if verify and e.crc32c is not None and _unmask(e.crc32c) != crc32c(raw):
            raise CheckpointError(f"variable {name!r}: CRC-32C mismatch in the data file — the checkpoint is corrupt")
        ckpt.tensors[name] = raw.view(dtype).reshape(e.shape).copy()
    return ckpt
