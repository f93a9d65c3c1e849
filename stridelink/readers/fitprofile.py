"""FIT profile tables for the fast decoder, built once from the official profile that garmin-fit-sdk ships.

Only the messages stridelink reads are turned into lookup tables; enum names come straight from the
profile's types (the same strings fitparse gives for every value both profiles know).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from garmin_fit_sdk import fit as sdk_fit
from garmin_fit_sdk.profile import Profile

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
_NUMERIC_TYPES = frozenset({"date_time", "local_date_time"})


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


def _base_types() -> dict[int, BaseType]:
    out: dict[int, BaseType] = {}
    for type_num, spec in sdk_fit.BASE_TYPE_DEFINITIONS.items():
        ident = type_num | spec["endian_flag"]
        out[ident] = BaseType(
            ident=ident,
            name=sdk_fit.BASE_TYPE_TO_FIELD_TYPE[type_num],
            size=spec["size"],
            code=spec["type_code"],
            invalid=spec["invalid"],
        )
    return out


BASE_TYPES: Mapping[int, BaseType] = MappingProxyType(_base_types())
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


def _single(values: list[Any], default: float) -> float:
    return float(values[0]) if len(values) == 1 else default


def _components(spec: dict[str, Any], fields: dict[int, dict[str, Any]]) -> tuple[Component, ...]:
    out = []
    bit_offset = 0
    for i, target in enumerate(spec["components"]):
        bits = int(spec["bits"][i])
        target_spec = fields.get(target, {})
        out.append(
            Component(
                target=int(target),
                name=str(target_spec.get("name", f"unknown_{target}")),
                bits=bits,
                bit_offset=bit_offset,
                scale=float(spec["scale"][i]) if i < len(spec["scale"]) else 1.0,
                offset=float(spec["offset"][i]) if i < len(spec["offset"]) else 0.0,
                accumulate=bool(target_spec.get("is_accumulated", False)),
            )
        )
        bit_offset += bits
    return tuple(out)


def _units(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if len(value) == 1 else ""
    return str(value or "")


@functools.cache
def message_fields(mesg_num: int) -> Mapping[int, FieldSpec]:
    """Field number -> spec for one global message number (empty for messages the profile lacks)."""
    message = Profile["messages"].get(mesg_num)
    if message is None:
        return MappingProxyType({})
    fields: dict[int, dict[str, Any]] = message["fields"]
    out: dict[int, FieldSpec] = {}
    for num, spec in fields.items():
        subfields = tuple(
            FieldSpec(
                num=int(num),
                name=str(sub["name"]),
                type=str(sub["type"]),
                scale=_single(sub["scale"], 1.0),
                offset=_single(sub["offset"], 0.0),
                units=_units(sub["units"]),
                components=_components(sub, fields),
                refs=tuple((int(ref["num"]), int(ref["raw_value"])) for ref in sub["map"]),
            )
            for sub in spec["sub_fields"]
        )
        out[int(num)] = FieldSpec(
            num=int(num),
            name=str(spec["name"]),
            type=str(spec["type"]),
            scale=_single(spec["scale"], 1.0),
            offset=_single(spec["offset"], 0.0),
            units=_units(spec["units"]),
            components=_components(spec, fields),
            subfields=subfields,
        )
    return MappingProxyType(out)


@functools.cache
def enum_values(type_name: str) -> Mapping[int, str] | None:
    """Raw value -> profile name for an enumerated type; None for plain numbers and times."""
    if type_name in _NUMERIC_TYPES:
        return None
    values = Profile["types"].get(type_name)
    if not values:
        return None
    return MappingProxyType({int(raw): str(name) for raw, name in values.items()})
