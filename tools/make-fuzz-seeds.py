#!/usr/bin/env python3
"""Writes the committed seed corpus of the safetensors fuzz tests (Jazzer regression mode and the
mutation fuzzer). Needs only the standard library. Run from the repository root:

    python3 tools/make-fuzz-seeds.py
"""
import json
import os
import struct

BASE = "safetensors-loader/src/test/resources/dev/sieve/safetensors/SafetensorsFuzzTestInputs"


def st(header, data=b"", pad=True):
    """A safetensors file from a header (dict or raw str/bytes) and a data region."""
    if isinstance(header, dict):
        header = json.dumps(header, separators=(",", ":"))
    if isinstance(header, str):
        header = header.encode("utf-8")
    if pad:
        header += b" " * (-(8 + len(header)) % 8)
    return struct.pack("<Q", len(header)) + header + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


files = {
    "valid-mixed": st({
        "__metadata__": {"format": "pt"},
        "d": entry("F64", [2], 0, 16),
        "ids": entry("I64", [1, 2], 16, 32),
        "f": entry("F32", [2, 2], 32, 48),
        "h": entry("F16", [3], 48, 54),
        "b": entry("BF16", [1], 54, 56),
        "m": entry("BOOL", [3], 56, 59),
        "u": entry("U8", [1], 59, 60),
    }, struct.pack("<2d", 1.5, -2.0) + struct.pack("<2q", 1, -1) + struct.pack("<4f", 1, 2, 3, 4)
       + bytes.fromhex("003c00c0007c") + bytes.fromhex("803f") + b"\x01\x00\x01" + b"\xff"),
    "valid-empty-header": st({}),
    "valid-scalar-and-empty": st({"s": entry("F32", [], 0, 4), "e": entry("F16", [0, 4], 4, 4)}, struct.pack("<f", 42)),
    "valid-unpadded": st({"a": entry("I16", [2], 0, 4)}, b"\x01\x00\x02\x00", pad=False),
    "valid-all-int-types": st({
        "i8": entry("I8", [2], 0, 2), "i16": entry("I16", [1], 2, 4), "i32": entry("I32", [1], 4, 8),
        "u16": entry("U16", [2], 8, 12), "u32": entry("U32", [1], 12, 16), "u64": entry("U64", [1], 16, 24),
        "e4": entry("F8_E4M3", [4], 24, 28), "e5": entry("F8_E5M2", [4], 28, 32)}, bytes(range(32))),
    "bad-short-file": b"\x01\x00\x00",
    "bad-length-zero": struct.pack("<Q", 0) + b"{}",
    "bad-length-huge": struct.pack("<Q", 100_000_001) + b"{}" + b" " * 14,
    "bad-length-past-end": struct.pack("<Q", 64) + b"{}",
    "bad-not-utf8": st(b'{"\xff\xfe":1}'),
    "bad-leading-space": st(" {}", pad=False),
    "bad-trailing-json": st("{} {}", pad=False),
    "bad-duplicate-key": st('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\x00"),
    "bad-missing-dtype": st('{"w":{"shape":[1],"data_offsets":[0,1]}}', b"\x00"),
    "bad-unknown-dtype": st({"w": entry("F33", [1], 0, 4)}, b"\x00" * 4),
    "bad-negative-shape": st('{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'),
    "bad-overflow": st({"w": entry("F32", [4611686018427387904], 0, 0)}),
    "bad-size-mismatch": st({"w": entry("F32", [2], 0, 4)}, b"\x00" * 4),
    "bad-out-of-range": st({"w": entry("U8", [8], 0, 8)}, b"\x00" * 4),
    "bad-overlap": st({"a": entry("U8", [4], 0, 4), "b": entry("U8", [4], 2, 6)}, b"\x00" * 6),
    "bad-gap": st({"a": entry("U8", [2], 0, 2), "b": entry("U8", [2], 4, 6)}, b"\x00" * 6),
    "bad-trailing-bytes": st({"a": entry("U8", [2], 0, 2)}, b"\x00" * 5),
    "bad-metadata": st('{"__metadata__":{"format":1}}'),
    "bad-deep-nesting": st("{\"a\":" + "[" * 5000 + "]" * 5000 + "}"),
}

indexes = {
    "valid": {"metadata": {"total_size": 16}, "weight_map": {"a": "shard.safetensors", "b": "shard.safetensors"}},
    "valid-subset": {"weight_map": {"b": "shard.safetensors"}},
    "escape-parent": {"weight_map": {"a": "../shard.safetensors"}},
    "escape-absolute": {"weight_map": {"a": "/etc/passwd"}},
    "missing-tensor": {"weight_map": {"zz": "shard.safetensors"}},
    "missing-shard": {"weight_map": {"a": "nope.safetensors"}},
    "not-a-string": {"weight_map": {"a": 3}},
    "no-weight-map": {"metadata": {}},
    "self-reference": {"weight_map": {"a": "model.safetensors.index.json"}},
    "dot": {"weight_map": {"a": "."}},
}

for name, content in files.items():
    os.makedirs(f"{BASE}/openAnyFile", exist_ok=True)
    with open(f"{BASE}/openAnyFile/{name}", "wb") as f:
        f.write(content)
for name, content in indexes.items():
    os.makedirs(f"{BASE}/openAnyIndex", exist_ok=True)
    with open(f"{BASE}/openAnyIndex/{name}", "wb") as f:
        f.write(json.dumps(content).encode())
print(f"wrote {len(files)} file seeds and {len(indexes)} index seeds under {BASE}")
