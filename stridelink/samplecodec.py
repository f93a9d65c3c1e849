"""Compact storage of a run's samples: columns as little-endian arrays in one zlib-compressed blob.

Timestamps become int64 milliseconds, positions stay float64, everything else float32 (sensor resolution is far
coarser than float32's). A one-hour run at 1 s takes roughly 60-120 KB.
"""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pandas as pd

from stridelink import columns as col

_FLOAT64 = {col.LAT, col.LON, col.DISTANCE}
_HEADER = struct.Struct("<I")


def encode(samples: pd.DataFrame) -> bytes:
    arrays: list[bytes] = []
    layout: list[list[str]] = []
    for name in samples.columns:
        if name == col.TIMESTAMP:
            values = samples[name].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ms]")
            values = values.astype(np.int64)
            dtype = "<i8"
        else:
            dtype = "<f8" if name in _FLOAT64 else "<f4"
            values = samples[name].to_numpy(dtype=np.float64)
        arrays.append(np.ascontiguousarray(values, dtype=dtype).tobytes())
        layout.append([str(name), dtype])
    header = json.dumps({"n": len(samples), "columns": layout}).encode()
    return zlib.compress(_HEADER.pack(len(header)) + header + b"".join(arrays), 6)


def decode(blob: bytes) -> pd.DataFrame:
    raw = zlib.decompress(blob)
    (size,) = _HEADER.unpack_from(raw)
    header = json.loads(raw[_HEADER.size : _HEADER.size + size])
    offset, n, data = _HEADER.size + size, header["n"], {}
    for name, dtype in header["columns"]:
        values = np.frombuffer(raw, dtype=dtype, count=n, offset=offset)
        offset += values.nbytes
        if name == col.TIMESTAMP:
            data[name] = pd.to_datetime(values, unit="ms", utc=True)
        else:
            data[name] = values.astype(np.float64)
    return pd.DataFrame(data)
