"""Fast FIT decoder: one pass in plain Python over message headers, then numpy per record layout.

The pass collects, for every layout (definition messages repeated byte for byte share one), the offsets of
its data messages. Records are then decoded layout by layout through one structured-dtype view of their
rows; the few summary messages are decoded field by field in Python. Field values follow the reference
decoder (fitparse): components expand before their field, the first valid value of a name wins, compressed
timestamp headers and accumulated components unwrap against the previous value. Anything this decoder will
not judge (damage, CRC mismatch, constructs it does not implement) raises ``FastPathDeclined`` so the
reference decides.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stridelink.readers.fitmessages import FastPathDeclined, FitMessages
from stridelink.readers.fitprofile import (
    BASE_TYPE_BYTE,
    BASE_TYPES,
    FIELD_TIMESTAMP,
    MESG_ACTIVITY,
    MESG_DEVELOPER_DATA_ID,
    MESG_FIELD_DESCRIPTION,
    MESG_FILE_ID,
    MESG_LAP,
    MESG_RECORD,
    MESG_SESSION,
    MESG_SPORT,
    BaseType,
    Component,
    FieldSpec,
    message_fields,
)

_SUMMARY_MESGS = (MESG_FILE_ID, MESG_SESSION, MESG_LAP, MESG_SPORT, MESG_ACTIVITY)
_INLINE_MESGS = (MESG_FIELD_DESCRIPTION, MESG_DEVELOPER_DATA_ID)  # needed while scanning
_HEADER_MIN = 12


# --------------------------------------------------------------------------------------------------------
# CRC-16 (the FIT checksum, CRC-16/ARC): byte table, lanes in numpy, lanes joined by shift operators


def _crc_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint16)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table[byte] = crc
    return table


_CRC_TABLE = _crc_table()
_CRC_LIST = [int(v) for v in _CRC_TABLE]
_CRC_TARGET_LANES = 4096


def _crc_table_2() -> np.ndarray:
    """State after two bytes: the 16-bit word xor-ed into the state is shifted out completely."""
    state = np.arange(65536, dtype=np.uint32)
    for _ in range(2):
        state = (state >> 8) ^ _CRC_TABLE[state & 0xFF]
    return state.astype(np.uint16)


_CRC_TABLE_2 = _crc_table_2()


def _crc_py(data: bytes | memoryview, crc: int = 0) -> int:
    table = _CRC_LIST
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def _linear_tables(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Low- and high-byte lookup tables of a linear map on 16-bit states, from its 16 basis images."""
    lo = np.zeros(256, dtype=np.uint16)
    hi = np.zeros(256, dtype=np.uint16)
    for bit in range(8):
        span = 1 << bit
        lo[span : 2 * span] = lo[:span] ^ images[bit]
        hi[span : 2 * span] = hi[:span] ^ images[bit + 8]
    return lo, hi


@functools.cache
def _zero_shift(power: int) -> tuple[np.ndarray, np.ndarray]:
    """Tables of the map "append 2**power zero bytes" (the CRC is linear with init 0)."""
    if power == 0:
        basis = np.left_shift(1, np.arange(16)).astype(np.uint16)
        images = (basis >> 8) ^ _CRC_TABLE[basis & 0xFF]
    else:
        lo, hi = _zero_shift(power - 1)
        basis = np.left_shift(1, np.arange(16)).astype(np.uint16)
        once = lo[basis & 0xFF] ^ hi[basis >> 8]
        images = lo[once & 0xFF] ^ hi[once >> 8]
    return _linear_tables(images)


_CRC_BLOCK_POWER = 22  # 4 MB: the lanes' working copies stay this size whatever the file's


def crc16(data: bytes | memoryview) -> int:
    """FIT CRC of ``data``, a block at a time so a large file costs no copies of itself."""
    view = memoryview(data).cast("B")
    block = 1 << _CRC_BLOCK_POWER
    if len(view) <= block:
        return _crc16_lanes(view)
    crc = 0
    for start in range(0, len(view), block):
        part = view[start : start + block]
        crc = _append_zeros(crc, len(part)) ^ _crc16_lanes(part)  # the CRC is linear (init 0, no final xor)
    return crc


def _append_zeros(crc: int, count: int) -> int:
    """The CRC of a message whose CRC is ``crc`` followed by ``count`` zero bytes."""
    power = 0
    while count:
        if count & 1:
            lo, hi = _zero_shift(power)
            crc = int(lo[crc & 0xFF] ^ hi[crc >> 8])
        count >>= 1
        power += 1
    return crc


_CRC_BLOCK = 64  # bytes; a block's CRC is the xor of one table entry per byte
_CRC_BLOCKS_FROM = 64  # bytes; below this the plain loop is faster
_CRC_LANES_FROM = 32768  # bytes; from here lanes are faster than blocks


@functools.cache
def _crc_block_tables() -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """Entry [j * 256 + b]: the CRC of a block holding byte b at position j and zeros elsewhere; index
    offsets of the block's positions; the tables of "append a block of zero bytes"."""
    rows = np.empty((_CRC_BLOCK, 256), dtype=np.uint16)  # row d: byte b followed by d zero bytes
    rows[0] = _CRC_TABLE
    done, power = 1, 0
    while done < _CRC_BLOCK:
        lo, hi = _zero_shift(power)
        head = rows[:done]
        rows[done : 2 * done] = lo[head & 0xFF] ^ hi[head >> 8]
        done, power = 2 * done, power + 1
    table = np.ascontiguousarray(rows[::-1]).ravel()  # by position in the block: the last byte has no zeros
    lo, hi = _zero_shift(_CRC_BLOCK.bit_length() - 1)
    return table, np.arange(0, _CRC_BLOCK * 256, 256, dtype=np.intp), lo.tolist(), hi.tolist()


def _crc16_blocks(data: bytes | memoryview) -> int:
    """FIT CRC of ``data``: every 64-byte block's CRC by table lookups at once, blocks chained in a loop."""
    size = len(data)
    count = -(-size // _CRC_BLOCK)
    padded = np.zeros(count * _CRC_BLOCK, dtype=np.uint8)  # leading zeros leave a zero-init CRC unchanged
    padded[padded.size - size :] = np.frombuffer(data, dtype=np.uint8)
    table, positions, lo, hi = _crc_block_tables()
    blocks = np.bitwise_xor.reduce(table.take(padded.reshape(count, _CRC_BLOCK) + positions), axis=1)
    crc = 0
    for block in blocks.tolist():
        crc = lo[crc & 0xFF] ^ hi[crc >> 8] ^ block
    return crc


def _crc16_lanes(data: bytes | memoryview) -> int:
    """FIT CRC of ``data``: equal-length lanes advanced together two bytes a step, then joined pairwise."""
    size = len(data)
    if size < _CRC_BLOCKS_FROM:
        return _crc_py(data)
    if size < _CRC_LANES_FROM:
        return _crc16_blocks(data)
    power = max(1, (size // _CRC_TARGET_LANES).bit_length())  # lane length 2**power bytes
    length = 1 << power
    lanes = -(-size // length)
    padded = np.zeros(lanes * length, dtype=np.uint8)  # leading zeros leave a zero-init CRC unchanged
    padded[lanes * length - size :] = np.frombuffer(data, dtype=np.uint8)
    words = np.ascontiguousarray(padded.view("<u2").reshape(lanes, length // 2).T)
    crc = np.zeros(lanes, dtype=np.uint16)
    table = _CRC_TABLE_2
    for column in words:
        crc = table.take(crc ^ column)
    while crc.size > 1:
        if crc.size % 2:
            crc = np.concatenate([np.zeros(1, dtype=np.uint16), crc])  # an empty lane in front
        lo, hi = _zero_shift(power)
        head = crc[0::2]
        crc = lo[head & 0xFF] ^ hi[head >> 8] ^ crc[1::2]
        power += 1
    return int(crc[0])


# --------------------------------------------------------------------------------------------------------
# Scan: definitions, developer field descriptions, data message offsets


@dataclass(frozen=True, slots=True)
class _DevField:
    name: str
    base: BaseType
    units: str
    scale: float | None
    offset: float | None


@dataclass(slots=True)
class _Def:
    """One layout: every definition message with the same bytes (and developer fields) shares it."""

    mesg: int
    big: bool
    fields: tuple[tuple[int, int, BaseType, int], ...]  # (field number, size, base type, offset in the row)
    dev_fields: list[tuple[_DevField, int, int, int]]  # (description, size, offset in the row, field number)
    size: int
    spec: bytes  # the definition's bytes from its architecture byte to its last native field
    offsets: list[int] = field(default_factory=list)  # data message header offsets
    positions: list[int] = field(default_factory=list)  # offsets of every definition message of this layout
    has_timestamp: bool = False
    reader: tuple[struct.Struct, list[tuple[int, int, Any]]] | None = None  # built on first use
    shown: tuple[tuple[int, FieldSpec | None, Any, Any], ...] | None = None  # _message_dict's plan

    @property
    def endian(self) -> str:
        return ">" if self.big else "<"

    def field_index(self, num: int) -> int | None:
        for i, (fnum, *_rest) in enumerate(self.fields):
            if fnum == num:
                return i
        return None


@dataclass(slots=True)
class _Stream:
    defs: list[_Def] = field(default_factory=list)  # one per layout, in order of first definition
    layouts: dict[tuple[bytes, int], _Def] = field(default_factory=dict)  # (definition bytes, dev epoch)
    dev_epoch: int = 0  # bumped by every field description: developer layouts are keyed by it
    compressed_pos: list[int] = field(default_factory=list)
    compressed_offset: list[int] = field(default_factory=list)
    dev_types: dict[int, dict[int, _DevField]] = field(default_factory=dict)
    dev_units: dict[str, str] = field(default_factory=dict)


def _decline(reason: str) -> FastPathDeclined:
    return FastPathDeclined(reason)


def _read_definition(buf: bytes, pos: int, end: int, header: int, stream: _Stream) -> tuple[_Def, int]:
    if pos + 6 > end:
        raise _decline("definition message runs past the data")
    count = buf[pos + 5]
    p = pos + 6
    if p + 3 * count > end:
        raise _decline("definition message runs past the data")
    spec = buf[pos + 2 : p + 3 * count]
    mesg, big, fields, offset, has_timestamp = _native_fields(spec)
    p += 3 * count
    dev_fields: list[tuple[_DevField, int, int, int]] = []
    if header & 0x20:
        if p + 1 > end:
            raise _decline("definition message runs past the data")
        dev_count = buf[p]
        p += 1
        if p + 3 * dev_count > end:
            raise _decline("definition message runs past the data")
        for i in range(dev_count):
            num, size, index = buf[p + 3 * i], buf[p + 3 * i + 1], buf[p + 3 * i + 2]
            described = stream.dev_types.get(index, {}).get(num)
            if described is None:
                raise _decline("developer field without a field description")
            if size == 0 or size % described.base.size:
                raise _decline("developer field size does not fit its base type")
            dev_fields.append((described, size, offset, num))
            offset += size
        p += 3 * dev_count
    layout = _Def(mesg, big, fields, dev_fields, offset, spec, has_timestamp=has_timestamp)
    return layout, p


@functools.lru_cache(maxsize=1024)
def _native_fields(spec: bytes) -> tuple[int, bool, tuple[tuple[int, int, BaseType, int], ...], int, bool]:
    """(global message number, big-endian, fields, row size, has a timestamp) of a definition's bytes from
    its architecture byte on. Watches repeat their definitions from file to file: read once per process."""
    big = spec[0] != 0
    mesg = (spec[1] << 8) | spec[2] if big else spec[1] | (spec[2] << 8)
    fields = []
    offset = 0
    for i in range(4, len(spec), 3):
        num, size, ident = spec[i], spec[i + 1], spec[i + 2]
        base = BASE_TYPES.get(ident, BASE_TYPE_BYTE)
        if size == 0 or size % base.size:
            raise _decline(f"field size {size} does not fit base type {base.name}")
        fields.append((num, size, base, offset))
        offset += size
    has_timestamp = any(num == FIELD_TIMESTAMP for num, *_rest in fields)
    return mesg, big, tuple(fields), offset, has_timestamp


def _layout(buf: bytes, pos: int, end: int, header: int, stream: _Stream) -> tuple[_Def, int]:
    """The layout a definition message declares: parsed once, found again by its bytes when repeated.

    Some watches send a definition before almost every message; decoding by layout rather than by
    definition message keeps that as fast as one definition for the whole file.
    """
    length = 6 + 3 * buf[pos + 5] if pos + 6 <= end else 0
    if header & 0x20:
        length = length + 1 + 3 * buf[pos + length] if 0 < length and pos + length < end else 0
    if length and pos + length <= end:
        key = (buf[pos + 1 : pos + length], stream.dev_epoch if header & 0x20 else -1)
        known = stream.layouts.get(key)
        if known is not None:
            known.positions.append(pos)
            return known, pos + length
    definition, after = _read_definition(buf, pos, end, header, stream)
    definition.positions.append(pos)
    stream.defs.append(definition)
    stream.layouts[(buf[pos + 1 : after], stream.dev_epoch if header & 0x20 else -1)] = definition
    return definition, after


# A compressed timestamp header carries 5 bits of time: repeated groups are found by its local type.
_HEADER_KIND = bytes(b & 0xE0 if b & 0x80 else b for b in range(256))
_TIME_BITS = bytes(b & 0x1F for b in range(256))
_CYCLE_MAX = 8  # messages in a repeating group that is taken at once
_CYCLE_RETRY = 32  # a group repeated fewer times than this is looked for again only ...
_CYCLE_AGAIN = 512  # ... this many bytes later, twice as many each time (files that change layout often
_CYCLE_AGAIN_MAX = 1 << 16  # are read message by message)


def _scan(buf: bytes, start: int, end: int, stream: _Stream) -> None:
    """One pass over the messages of a stream: definitions parsed, data message offsets collected.

    Data messages mostly come in groups that repeat unchanged (a record, or a record and an HRV message,
    again and again); such a group's repetitions are found by comparing header bytes at C speed.
    """
    sizes = [0] * 16  # 1 + row size of the local definition; 0 undefined; negative: decode while scanning
    lists: list[list[int]] = [[] for _ in range(16)]
    local_defs: list[_Def | None] = [None] * 16
    # by header byte, for plain data messages (reserved bits clear; other headers take the general path)
    steps = [0] * 256  # message length; 0: not a plain data message of a defined type
    appends: list[Any] = [None] * 256  # the append of its layout's offsets list
    layouts = stream.layouts
    pos = start
    probe = start  # where repeated groups are looked for next
    again = _CYCLE_AGAIN
    while pos < end:
        header = buf[pos]
        step = steps[header]
        if step and pos < probe:
            appends[header](pos)
            pos += step
            continue
        if header < 0x40:  # normal data message
            local = header & 0x0F
            step = sizes[local]
            if step > 0:
                after, period = _repeats(buf, pos, end, sizes, lists, local_defs, stream)
                if period and after - pos >= _CYCLE_RETRY * period:
                    probe, again = after, _CYCLE_AGAIN
                else:  # short or no repetitions: look again later and later
                    probe, again = pos + again, min(2 * again, _CYCLE_AGAIN_MAX)
                if after > pos:
                    pos = after
                    continue
                lists[local].append(pos)
                pos += step
                continue
        elif header & 0x80:  # compressed timestamp header
            local = (header >> 5) & 0x03
            step = sizes[local]
            current = local_defs[local]
            if current is not None:
                if current.has_timestamp:
                    raise _decline("compressed timestamp on a message that carries a timestamp")
                if step > 0 and pos >= probe:
                    after, period = _repeats(buf, pos, end, sizes, lists, local_defs, stream)
                    if period and after - pos >= _CYCLE_RETRY * period:
                        probe, again = after, _CYCLE_AGAIN
                    else:
                        probe, again = pos + again, min(2 * again, _CYCLE_AGAIN_MAX)
                    if after > pos:
                        pos = after
                        continue
                stream.compressed_pos.append(pos)
                stream.compressed_offset.append(header & 0x1F)
            if step > 0:
                lists[local].append(pos)
                pos += step
                continue
        else:  # definition message
            local = header & 0x0F
            after = pos + 6 + 3 * buf[pos + 5] if pos + 6 <= end else end + 1
            known = layouts.get((buf[pos + 1 : after], -1)) if after <= end and not header & 0x20 else None
            if known is not None:  # a layout seen before (some watches repeat it before every message)
                definition = known
                definition.positions.append(pos)
                pos = after
            else:
                definition, pos = _layout(buf, pos, end, header, stream)
            local_defs[local] = definition
            lists[local] = definition.offsets
            step = 1 + definition.size
            inline = definition.mesg in _INLINE_MESGS
            sizes[local] = -step if inline else step
            steps[local] = 0 if inline else step
            appends[local] = definition.offsets.append
            continue
        current = local_defs[local]
        if current is None:
            raise _decline(f"data message for undefined local message type {local}")
        current.offsets.append(pos)
        _inline(buf, pos, current, stream)
        pos -= step
    if pos != end:
        raise _decline("last message runs past the data")


def _repeats(
    buf: bytes,
    pos: int,
    end: int,
    sizes: list[int],
    lists: list[list[int]],
    local_defs: list[_Def | None],
    stream: _Stream,
) -> tuple[int, int]:
    """Take the group of data messages starting at ``pos`` and its unchanged repetitions right after it.

    The group runs up to the next message with the same header; it repeats as long as every one of its
    header bytes recurs one group length later. Returns (offset after the last whole repetition taken,
    group length in bytes); ``pos`` itself when there is no plain group to take (a definition, a developer
    description, a layout on two local types, ...), which the caller's message-by-message pass handles.
    """
    kind = _HEADER_KIND
    first = kind[buf[pos]]
    group: list[tuple[int, int, list[int], bool]] = []  # (offset, header kind, offsets list, compressed)
    o = pos
    while True:
        header = buf[o]
        if header < 0x40:
            local = header & 0x0F
        elif header & 0x80:
            local = (header >> 5) & 0x03
            current = local_defs[local]
            if current is None or current.has_timestamp:
                return pos, 0
        else:
            return pos, 0
        step = sizes[local]
        if step <= 0 or len(group) == _CYCLE_MAX:
            return pos, 0
        group.append((o, kind[header], lists[local], bool(header & 0x80)))
        o += step
        if o >= end:
            return pos, 0
        if kind[buf[o]] == first:
            break
    period = o - pos
    if len({id(offsets) for _o, _k, offsets, _c in group}) != len(group):
        return pos, period  # one layout list filled from two places of the group: offsets would go unsorted
    count = 0
    window = _CYCLE_RETRY
    while True:  # whole repetitions, in windows growing fourfold: a short run costs a short look
        base = pos + count * period
        stop = min(end, base + window * period)
        found = window
        for offset, header_kind, _offsets, _compressed in group:
            start = offset + count * period
            headers = buf[start:stop:period].translate(kind)
            found = min(found, len(headers) - len(headers.lstrip(bytes((header_kind,)))))
        count += found
        if found < window or stop >= end:
            break
        window *= 4
    for offset, _kind, offsets, compressed in group:
        taken = range(offset, offset + count * period, period)
        offsets.extend(taken)
        if compressed:
            stream.compressed_pos.extend(taken)
            time_bits = buf[offset : offset + count * period : period].translate(_TIME_BITS)
            stream.compressed_offset.extend(time_bits)
    return pos + count * period, period


def _inline(buf: bytes, pos: int, definition: _Def, stream: _Stream) -> None:
    """Developer data ids and field descriptions, needed by the definitions that follow them."""
    raw: dict[int, Any] = {}
    for (num, *_rest), value in zip(definition.fields, _raw_values(buf, pos, definition)):
        raw.setdefault(num, value)  # the first field of a number, as the reference looks it up
    index = raw.get(0)
    stream.dev_epoch += 1  # developer field layouts defined from here on may mean something else
    if definition.mesg == MESG_DEVELOPER_DATA_ID:
        if isinstance(index, int):
            stream.dev_types[index] = {}
        return
    shown = _message_dict(buf, pos, definition, None)
    if shown.get("field_name"):
        stream.dev_units["dev:" + str(shown["field_name"])] = str(shown.get("units") or "")
    number, base_id, name, units = raw.get(1), raw.get(2), raw.get(3), raw.get(8)
    if not isinstance(index, int) or not isinstance(number, int):
        return
    base = BASE_TYPES.get(base_id) if isinstance(base_id, int) else None
    if base is None:
        raise _decline("developer field of unknown base type")
    if name is not None and not isinstance(name, str):
        raise _decline("developer field name is not text")
    scale, offset = raw.get(6), raw.get(7)
    stream.dev_types.setdefault(index, {})[number] = _DevField(
        name=name or f"unnamed_dev_field_{number}",
        base=base,
        units=units if isinstance(units, str) else "",
        scale=float(scale) if isinstance(scale, int) and scale not in (0, 1) else None,
        offset=float(offset) if isinstance(offset, int) and offset != 0 else None,
    )


# --------------------------------------------------------------------------------------------------------
# Summary messages: field by field in Python, as the reference does


def _parse_string(chunk: bytes) -> str | None:
    text = chunk.split(b"\x00", 1)[0]
    return text.decode("utf-8", errors="replace") or None


def _raw_one(buf: bytes, p: int, size: int, base: BaseType, endian: str) -> Any:
    if base.is_string:
        return _parse_string(buf[p : p + size])
    if base.is_byte:
        chunk = buf[p : p + size]
        return None if chunk.count(0xFF) == size else tuple(chunk)
    count = size // base.size
    values = struct.unpack_from(f"{endian}{count}{base.code}", buf, p)
    parsed = tuple(None if base.is_invalid(v) else v for v in values)
    return parsed[0] if count == 1 else parsed


_STRING, _BYTES, _INT, _FLOAT, _INTS, _FLOATS = range(6)


def _row_reader(definition: _Def) -> tuple[struct.Struct, list[tuple[int, int, Any]]]:
    """One struct for the whole row, and per field (kind, item count, invalid value)."""
    if definition.reader is None:
        definition.reader = _row_struct(definition.spec)
    return definition.reader


@functools.lru_cache(maxsize=1024)
def _row_struct(spec: bytes) -> tuple[struct.Struct, list[tuple[int, int, Any]]]:
    _mesg, big, fields, _size, _stamped = _native_fields(spec)
    fmt = [">" if big else "<"]
    plan: list[tuple[int, int, Any]] = []
    for _num, size, base, _off in fields:
        if base.is_string or base.is_byte:
            fmt.append(f"{size}s")
            plan.append((_STRING if base.is_string else _BYTES, 1, None))
            continue
        count = size // base.size
        fmt.append(f"{count}{base.code}")
        if base.is_float:
            plan.append((_FLOAT if count == 1 else _FLOATS, count, None))
        else:
            plan.append((_INT if count == 1 else _INTS, count, base.invalid))
    return struct.Struct("".join(fmt)), plan


def _raw_values(buf: bytes, pos: int, definition: _Def) -> list[Any]:
    """Raw values of one data message as the reference sees them: None if invalid, tuples for arrays."""
    unpacker, plan = _row_reader(definition)
    flat = unpacker.unpack_from(buf, pos + 1)
    out: list[Any] = []
    append = out.append
    i = 0
    for kind, count, invalid in plan:
        if kind == _INT:
            value = flat[i]
            append(None if value == invalid else value)
        elif kind == _FLOAT:
            value = flat[i]
            append(None if math.isnan(value) else value)
        elif kind == _STRING:
            append(_parse_string(flat[i]))
        elif kind == _BYTES:
            chunk = flat[i]
            append(None if chunk.count(0xFF) == len(chunk) else tuple(chunk))
        elif kind == _INTS:
            append(tuple(None if v == invalid else v for v in flat[i : i + count]))
        else:
            append(tuple(None if math.isnan(v) else v for v in flat[i : i + count]))
        i += count
    return out


def _resolve(spec: FieldSpec, nums: list[int], raws: list[Any]) -> FieldSpec:
    for sub in spec.subfields:
        for ref_num, ref_raw in sub.refs:
            for num, raw in zip(nums, raws):
                if num == ref_num and raw == ref_raw:
                    return sub
    return spec


def _scaled(value: Any, scale: float, offset: float) -> Any:
    if scale == 1 and not offset:
        return value
    if isinstance(value, tuple):
        return tuple(_scaled(v, scale, offset) for v in value)
    if isinstance(value, (int, float)):
        if scale != 1:
            value = float(value) / scale
        if offset:
            value = value - offset
    return value


def _render(spec: FieldSpec, value: Any) -> Any:
    values = spec.enum
    if values is not None and not isinstance(value, tuple) and value in values:
        return values[value]
    return value


def _component_raw(raw: Any, bits: int, bit_offset: int) -> Any:
    if raw is None:
        return None
    if isinstance(raw, tuple):
        if bit_offset and bit_offset >= len(raw) * 8:
            return None
        number = 0
        for value in reversed(raw):
            if value is None:
                raise _decline("component of an array with invalid elements")
            number = (number << 8) + value
        raw = number
    if isinstance(raw, int):
        return (raw >> bit_offset) & ((1 << bits) - 1)
    return raw


def _dict_plan(definition: _Def) -> tuple[tuple[int, FieldSpec | None, Any, Any], ...]:
    if definition.shown is None:
        definition.shown = _shown_fields(definition.spec)
    return definition.shown


@functools.lru_cache(maxsize=1024)
def _shown_fields(layout: bytes) -> tuple[tuple[int, FieldSpec | None, Any, Any], ...]:
    """Per field of a layout: (row index, profile spec, sub-field choices, plain rendering).

    Sub-field choices are (sub-field, ((row index, raw value), ...)) in profile order: the first sub-field
    whose reference matches any field of that number applies. A plain rendering (name, enum, scale, offset,
    is_bool) is given for specs with neither sub-fields nor components; an unknown field has its name there.
    Layouts recur across files of one watch: this is worked out once per layout.
    """
    mesg, _big, fields, _size, _stamped = _native_fields(layout)
    nums = [num for num, *_rest in fields]
    specs = message_fields(mesg)
    plan: list[tuple[int, FieldSpec | None, Any, Any]] = []
    for index, num in enumerate(nums):
        spec = specs.get(num)
        if spec is None:
            plan.append((index, None, (), f"unknown_{num}"))
            continue
        choices = tuple(
            (sub, tuple((i, raw) for ref, raw in sub.refs for i, fnum in enumerate(nums) if fnum == ref))
            for sub in spec.subfields
        )
        plain = None
        if not spec.subfields and not spec.components:
            plain = (spec.name, spec.enum, spec.scale, spec.offset, spec.is_bool)
        plan.append((index, spec, choices, plain))
    return tuple(plan)


def _message_dict(buf: bytes, pos: int, definition: _Def, timestamp: int | None) -> dict[str, Any]:
    """One data message as profile name -> value, the first valid value of a name winning."""
    raws = _raw_values(buf, pos, definition)
    row: dict[str, Any] = {}
    setdefault = row.setdefault
    for index, spec, choices, plain in _dict_plan(definition):
        raw = raws[index]
        if raw is None:
            continue  # invalid: neither the field nor its components give a value
        if spec is None:
            setdefault(plain, raw)
            continue
        if plain is not None:
            name, enum, scale, offset, is_bool = plain
        else:
            for sub, refs in choices:
                if any(raws[i] == ref_raw for i, ref_raw in refs):
                    spec = sub
                    break
            if spec.components:
                specs = message_fields(definition.mesg)
                nums = [f[0] for f in definition.fields]
                for comp in spec.components:
                    _put_component(row, comp, raw, specs, nums, raws)
            name, enum, scale, offset, is_bool = spec.name, spec.enum, spec.scale, spec.offset, spec.is_bool
        value = enum.get(raw, raw) if enum is not None and not isinstance(raw, tuple) else raw
        if scale != 1 or offset:
            value = _scaled(value, scale, offset)
        if is_bool:
            value = bool(value)
        setdefault(name, value)
    row_start = pos + 1
    for described, size, off, _num in definition.dev_fields:
        value = _raw_one(buf, row_start + off, size, described.base, definition.endian)
        if value is not None:
            setdefault("dev:" + described.name, _dev_scaled(value, described))
    if timestamp is not None:
        setdefault("timestamp", timestamp)
    return row


def _put_component(
    row: dict[str, Any],
    comp: Component,
    raw: Any,
    specs: Mapping[int, FieldSpec],
    nums: list[int],
    raws: list[Any],
) -> None:
    if comp.accumulate:
        raise _decline("accumulated component outside records")
    value = _component_raw(raw, comp.bits, comp.bit_offset)
    if value is None:
        return
    value = _scaled(value, comp.scale, comp.offset)
    target = specs.get(comp.target)
    if target is None:
        return
    if target.subfields:
        target = _resolve(target, nums, raws)
    row.setdefault(target.name, _render(target, value))


def _dev_scaled(value: Any, described: _DevField) -> Any:
    if described.scale is None and described.offset is None:
        return value
    return _scaled(value, described.scale or 1.0, described.offset or 0.0)


# --------------------------------------------------------------------------------------------------------
# Compressed timestamps: the 5-bit offset rolls over relative to the last full timestamp


def _compressed_times(u8: np.ndarray, stream: _Stream) -> dict[int, int]:
    """Header offset -> timestamp for each message with a compressed timestamp header."""
    if not stream.compressed_pos:
        return {}
    full_pos: list[np.ndarray] = []
    full_val: list[np.ndarray] = []
    for definition in stream.defs:
        if any(num == FIELD_TIMESTAMP for _d, _s, _o, num in definition.dev_fields):
            raise _decline("developer field numbered like the timestamp")
        index = definition.field_index(FIELD_TIMESTAMP)
        if index is None or not definition.offsets:
            continue
        _num, size, base, off = definition.fields[index]
        if size != 4 or base.size != 4 or base.is_float or base.is_byte or base.is_string:
            raise _decline("timestamp field of an unexpected type")
        positions = np.asarray(definition.offsets, dtype=np.int64)
        raw = _gather(u8, positions + 1 + off, 4).view(definition.endian + base.code).ravel().astype(np.int64)
        valid = raw != base.invalid
        full_pos.append(positions[valid])
        full_val.append(raw[valid])
    comp_pos = np.asarray(stream.compressed_pos, dtype=np.int64)
    comp_off = np.asarray(stream.compressed_offset, dtype=np.int64)
    positions = np.concatenate([*full_pos, comp_pos])
    values = np.concatenate([*full_val, comp_off])
    is_full = np.concatenate([np.ones(positions.size - comp_pos.size, bool), np.zeros(comp_pos.size, bool)])
    order = np.argsort(positions, kind="stable")
    values, is_full = values[order], is_full[order]
    low = np.where(is_full, values & 31, values)
    previous = np.concatenate([[0], low[:-1]])
    delta = np.where(is_full, 0, (low - previous) & 31)
    segment = np.cumsum(is_full)
    base_value = np.concatenate([[0], values[is_full]])[segment]
    total = np.cumsum(delta)
    at_start = np.concatenate([[0], total[is_full]])[segment]
    times = (base_value + total - at_start)[~is_full]
    compressed = positions[order][~is_full]  # in file order (repeated groups are collected out of it)
    return dict(zip(compressed.tolist(), times.tolist()))


# --------------------------------------------------------------------------------------------------------
# Records: one structured view per definition


def _gather(u8: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Rows of ``width`` bytes starting at each offset, as one C-contiguous (n, width) uint8 array."""
    if width == 0:
        return np.zeros((starts.size, 0), dtype=np.uint8)
    windows = np.lib.stride_tricks.sliding_window_view(u8, width)
    rows: np.ndarray = windows[starts]
    return rows


def _scalar_view(rows: np.ndarray, definition: _Def) -> dict[int, np.ndarray]:
    """Field index -> raw values of each single-valued numeric field, through one structured view."""
    names, formats, offsets, indices = [], [], [], []
    for i, (_num, size, base, off) in enumerate(definition.fields):
        if size == base.size and not base.is_byte and not base.is_string:
            names.append(f"f{i}")
            formats.append(definition.endian + base.code)
            offsets.append(off)
            indices.append(i)
    if not names or rows.shape[0] == 0:
        return {i: np.zeros(0, dtype=formats[k]) for k, i in enumerate(indices)}
    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": definition.size})
    view = rows.view(dtype)[:, 0]
    return {i: view[f"f{i}"] for i in indices}


@dataclass(slots=True)
class _Item:
    name: str
    values: np.ndarray | None  # float64, NaN where not a number; None until accumulation fills it
    taken: np.ndarray  # where the reference sees a value (numeric or not) for this name


@dataclass(slots=True)
class _Accumulation:
    item: _Item
    definition: _Def
    raw: np.ndarray  # int64 component raw values
    valid: np.ndarray
    bits: int
    scale: float
    offset: float


def _numeric(raw: np.ndarray, base: BaseType) -> tuple[np.ndarray, np.ndarray]:
    """Raw field values -> (float64 values with NaN where invalid, valid mask)."""
    if base.is_float:
        values = raw.astype(np.float64)
        valid = ~np.isnan(values)
        return values, valid
    valid = raw != base.invalid
    values = raw.astype(np.float64)
    values[~valid] = np.nan
    return values, valid


def _apply_scale(values: np.ndarray, scale: float, offset: float) -> np.ndarray:
    if scale != 1:
        values = values / scale
    if offset:
        values = values - offset
    return values


def _record_items(
    u8: np.ndarray, definition: _Def, times: dict[int, int], pending: list[_Accumulation]
) -> list[_Item]:
    specs = message_fields(MESG_RECORD)
    positions = np.asarray(definition.offsets, dtype=np.int64)
    n = positions.size
    rows = _gather(u8, positions + 1, definition.size)
    scalars = _scalar_view(rows, definition)
    endian = definition.endian
    items: list[_Item] = []
    seen_acc: set[int] = set()
    for index, (num, size, base, off) in enumerate(definition.fields):
        spec = specs.get(num)
        if spec is None:
            continue  # unknown to the profile: no name to compare or use
        scalar = index in scalars
        if scalar:
            raw = scalars[index]
            values, valid = _numeric(raw, base)
        else:
            chunk = rows[:, off : off + size]
            if base.is_byte:
                valid = ~(chunk == 0xFF).all(axis=1)
            elif base.is_string:
                valid = chunk[:, 0] != 0
            else:
                valid = np.ones(n, dtype=bool)  # arrays always hold a (non-numeric) value
            values = np.full(n, np.nan)
        if spec.components:
            if scalar and not base.is_float and base.size <= 4:
                source = raw.astype(np.int64)
            elif base.is_byte and size <= 7:
                source = np.zeros(n, dtype=np.int64)
                for k in range(size - 1, -1, -1):
                    source = (source << 8) + chunk[:, k].astype(np.int64)
            else:
                raise _decline(f"components of a {base.name} field of {size} bytes")
            for comp in spec.components:
                if comp.bit_offset and comp.bit_offset >= size * 8 and not scalar:
                    continue
                comp_raw = (source >> comp.bit_offset) & ((1 << comp.bits) - 1)
                if comp.accumulate:
                    if comp.target in seen_acc:
                        raise _decline("two accumulated components of one field in a definition")
                    seen_acc.add(comp.target)
                    item = _Item(comp.name, None, valid)
                    pending.append(
                        _Accumulation(item, definition, comp_raw, valid, comp.bits, comp.scale, comp.offset)
                    )
                else:
                    comp_values = comp_raw.astype(np.float64)
                    comp_values[~valid] = np.nan
                    item = _Item(comp.name, _apply_scale(comp_values, comp.scale, comp.offset), valid)
                items.append(item)
        if scalar:
            if spec.is_bool:
                values = np.where(valid, (raw != 0).astype(np.float64), np.nan)
            else:
                values = _apply_scale(values, spec.scale, spec.offset)
        items.append(_Item(spec.name, values, valid))
    for described, size, off, _num in definition.dev_fields:
        base = described.base
        chunk = rows[:, off : off + size]
        name = "dev:" + described.name
        if size == base.size and not base.is_byte and not base.is_string:
            values, valid = _numeric(chunk.copy().view(endian + base.code).ravel(), base)
            values = _apply_scale(values, described.scale or 1.0, described.offset or 0.0)
        else:
            if base.is_byte:
                valid = ~(chunk == 0xFF).all(axis=1)
            elif base.is_string:
                valid = chunk[:, 0] != 0
            else:
                valid = np.ones(n, dtype=bool)
            values = np.full(n, np.nan)
        items.append(_Item(name, values, valid))
    if times:
        stamps = np.array([times.get(p, -1) for p in definition.offsets], dtype=np.int64)
        compressed = stamps >= 0
        if compressed.any():
            items.append(
                _Item("timestamp", np.where(compressed, stamps, np.nan).astype(np.float64), compressed)
            )
    return items


def _accumulate(pending: list[_Accumulation], defs: list[_Def]) -> None:
    """Unwrap accumulated components in file order; a definition holding the source restarts at 0."""
    specs = message_fields(MESG_RECORD)
    by_target: dict[str, list[_Accumulation]] = {}
    for acc in pending:
        by_target.setdefault(acc.item.name, []).append(acc)
    for name, accs in by_target.items():
        if len({acc.bits for acc in accs}) != 1:
            raise _decline("accumulated component with mixed bit widths")
        bits = accs[0].bits
        resets = np.array(
            sorted(
                p
                for d in defs
                if d.mesg == MESG_RECORD
                and any(
                    c.accumulate and c.name == name
                    for num, *_rest in d.fields
                    if (spec := specs.get(num)) is not None
                    for c in spec.components
                )
                for p in d.positions
            ),
            dtype=np.int64,
        )
        positions = np.concatenate([np.asarray(a.definition.offsets, np.int64)[a.valid] for a in accs])
        raws = np.concatenate([a.raw[a.valid] for a in accs])
        order = np.argsort(positions, kind="stable")
        positions, raws = positions[order], raws[order]
        if positions.size == 0:
            for acc in accs:
                acc.item.values = np.full(len(acc.definition.offsets), np.nan)
            continue
        segment = np.searchsorted(resets, positions, side="right")
        starts = np.ones(positions.size, dtype=bool)
        starts[1:] = segment[1:] != segment[:-1]
        previous = np.concatenate([[0], raws[:-1]])
        previous[starts] = 0
        delta = (raws - previous) & ((1 << bits) - 1)
        total = np.cumsum(delta)
        before = np.concatenate([[0], total[:-1]])
        start_index = np.maximum.accumulate(np.where(starts, np.arange(positions.size), 0))
        unwrapped = total - before[start_index]
        for acc in accs:
            offsets = np.asarray(acc.definition.offsets, dtype=np.int64)
            raw_acc = np.full(offsets.size, np.nan)
            raw_acc[acc.valid] = unwrapped[np.searchsorted(positions, offsets[acc.valid])]
            acc.item.values = _apply_scale(raw_acc, acc.scale, acc.offset)


def _merge_items(items: list[_Item]) -> dict[str, np.ndarray]:
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for item in items:
        if item.values is None:
            raise _decline("accumulated component left unresolved")
        if item.name not in columns:
            columns[item.name] = (item.values, item.taken)
            continue
        values, taken = columns[item.name]
        fill = item.taken & ~taken
        if fill.any():
            values = values.copy()
            values[fill] = item.values[fill]
        columns[item.name] = (values, taken | item.taken)
    return {name: values for name, (values, _taken) in columns.items()}


def _records(u8: np.ndarray, stream: _Stream, times: dict[int, int]) -> dict[str, np.ndarray]:
    record_defs = [d for d in stream.defs if d.mesg == MESG_RECORD and d.offsets]
    pending: list[_Accumulation] = []
    per_def = [(d, _record_items(u8, d, times, pending)) for d in record_defs]
    if pending:
        _accumulate(pending, stream.defs)
    blocks = [(d, _merge_items(items)) for d, items in per_def]
    return _concat_rows([(np.asarray(d.offsets, dtype=np.int64), cols) for d, cols in blocks])


def _concat_rows(blocks: list[tuple[np.ndarray, dict[str, np.ndarray]]]) -> dict[str, np.ndarray]:
    """Join per-definition columns into rows ordered by ``positions`` (NaN where a block lacks a column)."""
    if not blocks:
        return {}
    positions = np.concatenate([p for p, _cols in blocks])
    order = np.argsort(positions, kind="stable")
    total = positions.size
    names = list(dict.fromkeys(name for _p, cols in blocks for name in cols))
    out: dict[str, np.ndarray] = {}
    for name in names:
        column = np.full(total, np.nan)
        start = 0
        for p, cols in blocks:
            if name in cols:
                column[start : start + p.size] = cols[name]
            start += p.size
        column = column[order]
        if not np.isnan(column).all():
            out[name] = column
    return out


# --------------------------------------------------------------------------------------------------------
# Streams and the public entry point


def _stream_bounds(buf: bytes, start: int) -> tuple[int, int]:
    """(first data byte, end of data) of the FIT stream starting at ``start``; checks header and CRCs."""
    if len(buf) - start < _HEADER_MIN:
        raise _decline("file header is truncated")
    header_size = buf[start]
    if header_size < _HEADER_MIN or header_size == 13 or buf[start + 8 : start + 12] != b".FIT":
        raise _decline("not a FIT file header")
    (data_size,) = struct.unpack_from("<I", buf, start + 4)
    data_start = start + header_size
    end = data_start + data_size
    if end + 2 > len(buf):
        raise _decline("data size runs past the end of the file")
    if header_size >= 14:
        (header_crc,) = struct.unpack_from("<H", buf, start + 12)
        if header_crc and _crc_py(buf[start : start + 12]) != header_crc:
            raise _decline("header CRC mismatch")
    (file_crc,) = struct.unpack_from("<H", buf, end)
    if crc16(memoryview(buf)[start:end]) != file_crc:
        raise _decline("CRC mismatch")
    return data_start, end


def decode(data: bytes) -> FitMessages:
    """Decode a FIT file (chained streams merged); raise FastPathDeclined for anything left to the reference."""
    buf = bytes(data)
    try:
        return _decode(buf)
    except (struct.error, IndexError, ValueError, KeyError, OverflowError, TypeError) as exc:
        # a safety net only: every damage the decoder knows of is declined by an explicit check
        raise FastPathDeclined(f"unexpected {type(exc).__name__} while decoding") from None


def _decode(buf: bytes) -> FitMessages:
    u8 = np.frombuffer(buf, dtype=np.uint8)
    out = FitMessages()
    record_blocks: list[tuple[int, dict[str, np.ndarray]]] = []
    summaries: dict[int, list[dict[str, Any]]] = {mesg: [] for mesg in _SUMMARY_MESGS}
    start = 0
    while True:
        data_start, end = _stream_bounds(buf, start)
        stream = _Stream()
        _scan(buf, data_start, end, stream)
        times = _compressed_times(u8, stream)
        count = sum(len(d.offsets) for d in stream.defs if d.mesg == MESG_RECORD)
        record_blocks.append((count, _records(u8, stream, times)))
        found: list[tuple[int, int, dict[str, Any]]] = []
        for definition in stream.defs:
            if definition.mesg in summaries:
                for pos in definition.offsets:
                    found.append((pos, definition.mesg, _message_dict(buf, pos, definition, times.get(pos))))
        for _pos, mesg, row in sorted(found, key=lambda item: item[0]):
            summaries[mesg].append(row)
        out.dev_units.update(stream.dev_units)
        start = end + 2
        if start >= len(buf):
            break
    out.records = _join_streams(record_blocks)
    out.sessions = summaries[MESG_SESSION]
    out.laps = summaries[MESG_LAP]
    out.sports = summaries[MESG_SPORT]
    out.activity = summaries[MESG_ACTIVITY][0] if summaries[MESG_ACTIVITY] else {}
    for file_id in summaries[MESG_FILE_ID]:
        if out.file_type is None:
            out.file_type = _text(file_id.get("type"))
            out.manufacturer = _text(file_id.get("manufacturer"))
            out.product = _text(
                file_id.get("garmin_product", file_id.get("favero_product", file_id.get("product")))
            )
            created = file_id.get("time_created")
            out.time_created = float(created) if isinstance(created, (int, float)) else None
    return out


def _join_streams(blocks: list[tuple[int, dict[str, np.ndarray]]]) -> dict[str, np.ndarray]:
    """Records of chained streams one after another (NaN where a stream lacks a column)."""
    if len(blocks) == 1:
        return blocks[0][1]
    names = list(dict.fromkeys(name for _count, columns in blocks for name in columns))
    return {
        name: np.concatenate([columns.get(name, np.full(count, np.nan)) for count, columns in blocks])
        for name in names
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
