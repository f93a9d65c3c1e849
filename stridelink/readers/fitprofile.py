"""FIT profile facts for the fast decoder: base types, fields of the messages stridelink reads, enum names.

They come from ``fitprofile_table.py``, generated from the official profile that garmin-fit-sdk ships (see
``fitprofile_build``), so reading a file never loads the SDK's whole profile; enum names are the profile's
(the same strings fitparse gives for every value both profiles know).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from stridelink.readers import fitprofile_table

MESG_FILE_ID = 0
MESG_SPORT = 12
MESG_SESSION = 18
MESG_LAP = 19
MESG_RECORD = 20
MESG_ACTIVITY = 34
MESG_FIELD_DESCRIPTION = 206
MESG_DEVELOPER_DATA_ID = 207
FIELD_TIMESTAMP = 253

# Types kept as numbers: times stay seconds since the FIT epoch (UTC inside).
NUMERIC_TYPES = frozenset({"date_time", "local_date_time"})


@dataclass(frozen=True, slots=True)
class BaseType:
    """One FIT base type as a definition message names it (identifier with its endian bit)."""

    ident: int
    name: str
    size: int
    code: str  # struct / numpy type code; "s" for strings, "B" for bytes
    invalid: int  # raw value meaning "no value" (ignored for floats: NaN there)

    @property
    def is_float(self) -> bool:
        return self.code in ("f", "d")

    @property
    def is_byte(self) -> bool:
        return self.name == "byte"

    @property
    def is_string(self) -> bool:
        return self.name == "string"

    def is_invalid(self, raw: Any) -> bool:
        if self.is_float:
            return bool(math.isnan(raw))
        return bool(raw == self.invalid)


BASE_TYPES: Mapping[int, BaseType] = MappingProxyType(
    {row[0]: BaseType(*row) for row in fitprofile_table.BASE_TYPES}
)
BASE_TYPE_BYTE = BASE_TYPES[0x0D]  # what an unknown base type identifier decodes as


@dataclass(frozen=True, slots=True)
class Component:
    """Bits of a field that expand into another field of the same message."""

    target: int
    name: str
    bits: int
    bit_offset: int
    scale: float
    offset: float
    accumulate: bool


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A profile field (or sub-field): name, type, scale/offset, components, and when a sub-field applies."""

    num: int
    name: str
    type: str
    scale: float  # 1 when the profile gives none (or several: one per component)
    offset: float
    units: str
    components: tuple[Component, ...]
    subfields: tuple[FieldSpec, ...] = ()
    refs: tuple[tuple[int, int], ...] = ()  # (field number, raw value) pairs selecting this sub-field

    @property
    def is_bool(self) -> bool:
        return self.type == "bool"

    @property
    def enum(self) -> Mapping[int, str] | None:
        return enum_values(self.type)


def _field(row: list[Any]) -> FieldSpec:
    num, name, type_name, scale, offset, units, components, subfields, refs = row
    return FieldSpec(
        num, name, type_name, float(scale), float(offset), units,
        tuple(Component(c[0], c[1], c[2], c[3], float(c[4]), float(c[5]), c[6]) for c in components),
        tuple(_field(sub) for sub in subfields), tuple(tuple(ref) for ref in refs),
    )  # fmt: skip


@functools.cache
def message_fields(mesg_num: int) -> Mapping[int, FieldSpec]:
    """Field number -> spec for one global message number (empty for messages the profile lacks)."""
    text = fitprofile_table.MESSAGES.get(mesg_num)
    if text is None:  # a message the decoder does not read: the SDK's profile knows it
        from stridelink.readers.fitprofile_build import message_fields_from_sdk

        return MappingProxyType(message_fields_from_sdk(mesg_num))
    return MappingProxyType({row[0]: _field(row) for row in json.loads(text)})


@functools.cache
def enum_values(type_name: str) -> Mapping[int, str] | None:
    """Raw value -> profile name for an enumerated type; None for plain numbers and times."""
    text = fitprofile_table.ENUMS.get(type_name)
    if text is not None:
        return MappingProxyType({int(raw): name for raw, name in json.loads(text).items()})
    if type_name in fitprofile_table.OTHER_ENUMS:
        from stridelink.readers.fitprofile_build import enum_from_sdk

        values = enum_from_sdk(type_name)
        return None if values is None else MappingProxyType(values)
    return None
