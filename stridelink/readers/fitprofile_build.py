"""Writes ``fitprofile_table.py``: the part of the official FIT profile (garmin-fit-sdk) the decoder reads.

The table spares every process the SDK's whole profile (milliseconds to import, more to tear down). After
upgrading garmin-fit-sdk, run ``python -m stridelink.readers.fitprofile_build``; a test fails until then.
"""

from __future__ import annotations

import json
import pprint
import textwrap
from pathlib import Path
from typing import Any

from stridelink.readers.fitprofile import (
    MESG_ACTIVITY,
    MESG_DEVELOPER_DATA_ID,
    MESG_FIELD_DESCRIPTION,
    MESG_FILE_ID,
    MESG_LAP,
    MESG_RECORD,
    MESG_SESSION,
    MESG_SPORT,
    NUMERIC_TYPES,
    Component,
    FieldSpec,
)

TABLE_MESSAGES = (
    MESG_FILE_ID,
    MESG_SPORT,
    MESG_SESSION,
    MESG_LAP,
    MESG_RECORD,
    MESG_ACTIVITY,
    MESG_FIELD_DESCRIPTION,
    MESG_DEVELOPER_DATA_ID,
)
NAMED_TYPES = ("file", "sport", "sub_sport", "garmin_product")  # named for people by readers/fit.py
TABLE_PATH = Path(__file__).with_name("fitprofile_table.py")


def _profile() -> dict[str, Any]:
    from garmin_fit_sdk.profile import Profile

    return Profile


def base_types_from_sdk() -> tuple[tuple[int, str, int, str, int], ...]:
    """(identifier with endian bit, name, size, struct code, invalid value) of every base type."""
    from garmin_fit_sdk import fit as sdk_fit

    return tuple(
        (type_num | spec["endian_flag"], sdk_fit.BASE_TYPE_TO_FIELD_TYPE[type_num], spec["size"],
         spec["type_code"], spec["invalid"])
        for type_num, spec in sdk_fit.BASE_TYPE_DEFINITIONS.items()
    )  # fmt: skip


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


def message_fields_from_sdk(mesg_num: int) -> dict[int, FieldSpec]:
    """Field number -> spec for one global message number (empty for messages the profile lacks)."""
    message = _profile()["messages"].get(mesg_num)
    if message is None:
        return {}
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
    return out


def enum_from_sdk(type_name: str) -> dict[int, str] | None:
    """Raw value -> profile name for an enumerated type; None for plain numbers and times."""
    if type_name in NUMERIC_TYPES:
        return None
    values = _profile()["types"].get(type_name)
    if not values:
        return None
    return {int(raw): str(name) for raw, name in values.items()}


def _row(spec: FieldSpec) -> tuple[Any, ...]:
    components = tuple(
        (c.target, c.name, c.bits, c.bit_offset, c.scale, c.offset, c.accumulate) for c in spec.components
    )
    subfields = tuple(_row(sub) for sub in spec.subfields)
    return (
        spec.num, spec.name, spec.type, spec.scale, spec.offset, spec.units, components, subfields, spec.refs
    )  # fmt: skip


def _text(value: Any, indent: int) -> str:
    """``value`` as JSON in a Python string literal, wrapped in pieces that fit the line length."""
    text = json.dumps(value, separators=(",", ":"))
    pieces = [repr(text[i : i + 90]) for i in range(0, len(text), 90)] or ["''"]
    return ("\n" + " " * indent).join(pieces)


def table_source() -> str:
    """The text of ``fitprofile_table.py`` for the installed garmin-fit-sdk."""
    version = _profile()["version"]
    messages = {mesg: [_row(spec) for spec in message_fields_from_sdk(mesg).values()]
                for mesg in TABLE_MESSAGES}
    used = {row[2] for rows in messages.values() for row in rows} | {
        sub[2] for rows in messages.values() for row in rows for sub in row[7]
    }
    types = {name: enum_from_sdk(name) for name in sorted(used | set(NAMED_TYPES))}
    enums = {name: values for name, values in types.items() if values is not None}
    other = sorted(set(_profile()["types"]) - set(enums) - NUMERIC_TYPES)
    lines = [
        '"""The FIT profile the decoder reads, from garmin-fit-sdk'
        f' {version["major"]}.{version["minor"]}.{version["patch"]}.',
        "",
        "Generated by ``python -m stridelink.readers.fitprofile_build``; do not edit. JSON text, read when",
        "first needed. Field rows: [num, name, type, scale, offset, units, components, sub-fields, sub-field",
        "refs]; components: [target, name, bits, bit offset, scale, offset, accumulated].",
        '"""',
        "",
        "# (identifier with endian bit, name, size, struct code, invalid value)",
        "BASE_TYPES = (",
        *(f"    {row!r}," for row in base_types_from_sdk()),
        ")",
        "",
        "MESSAGES = {",
        *(f"    {mesg}: {_text(rows, 8)}," for mesg, rows in messages.items()),
        "}",
        "",
        "ENUMS = {",
        *(f"    {name!r}:\n        {_text(values, 8)}," for name, values in enums.items()),
        "}",
        "",
        "# enumerated types of the profile left out of this table (read from the SDK if ever asked for)",
        "OTHER_ENUMS = frozenset(",
        textwrap.indent(pprint.pformat(tuple(other), width=100, compact=True), "    "),
        ")",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    TABLE_PATH.write_text(table_source(), encoding="utf-8")
    print(f"wrote {TABLE_PATH}")


if __name__ == "__main__":
    main()
