"""The reference FIT decoder: fitparse, kept behind this one module so the decoder can change."""

from __future__ import annotations

import warnings
from typing import Any

import fitparse
import numpy as np
from fitparse.utils import FitCRCError, FitEOFError, FitHeaderError, FitParseError

from stridelink.errors import UnreadableFileError
from stridelink.readers.fitmessages import FitMessages

_SUMMARY = {"session": "sessions", "lap": "laps", "sport": "sports"}


class _RawTimes(fitparse.FitFileDataProcessor):  # type: ignore[misc]
    """Keep date_time fields as seconds since the FIT epoch (UTC inside, no naive datetimes)."""

    def process_type_date_time(self, field_data: Any) -> None:
        pass

    def process_type_local_date_time(self, field_data: Any) -> None:
        pass


def _first_valid(message: Any) -> dict[str, Any]:
    """Field values, the first valid value of a name winning.

    fitparse's ``get_values()`` lets an invalid legacy field (speed, altitude) expanded later overwrite a valid
    native enhanced value; walking the fields in order and keeping the first valid one avoids that.
    """
    row: dict[str, Any] = {}
    for field in message.fields:
        value = field.value
        key = ("dev:" + field.name) if isinstance(field.field, fitparse.records.DevField) else field.name
        if value is None or key in row or key.startswith("unknown_"):
            continue
        row[key] = value
    return row


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return np.nan


def decode_fitparse(data: bytes) -> FitMessages:
    """Decode every message fitparse understands; raise UnreadableFileError on damage."""
    out = FitMessages()
    rows: list[dict[str, Any]] = []
    fitparse.records.DEV_TYPES.clear()  # fitparse keeps developer field descriptions between files
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fitparse.FitFile(data, check_crc=True, data_processor=_RawTimes())
            for message in fit.get_messages():
                name = message.name
                if name == "record":
                    rows.append(_first_valid(message))
                elif name in _SUMMARY:
                    getattr(out, _SUMMARY[name]).append(_first_valid(message))
                elif name == "file_id" and out.file_type != "activity":  # chained: the activity wins
                    values = _first_valid(message)
                    out.file_type = _text(values.get("type"))
                    out.manufacturer = _text(values.get("manufacturer"))
                    out.product = _text(values.get("garmin_product", values.get("product")))
                    created = values.get("time_created")
                    out.time_created = float(created) if isinstance(created, (int, float)) else None
                elif name == "activity" and not out.activity:
                    out.activity = _first_valid(message)
                elif name == "field_description":
                    values = _first_valid(message)
                    if values.get("field_name"):
                        out.dev_units["dev:" + str(values["field_name"])] = str(values.get("units") or "")
    except FitCRCError:
        raise UnreadableFileError("checksum mismatch: the file is damaged") from None
    except FitEOFError:
        raise UnreadableFileError("the file ends early (truncated)") from None
    except FitHeaderError:
        raise UnreadableFileError("not a FIT file (bad header)") from None
    except (FitParseError, KeyError, ValueError, TypeError, IndexError, AttributeError, OverflowError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableFileError(f"cannot decode FIT data: {message}") from None
    names = sorted({key for row in rows for key in row})
    out.records = {
        key: np.array([_to_float(row.get(key)) for row in rows], dtype=np.float64)
        for key in names
        if any(isinstance(row.get(key), (int, float)) for row in rows)
    }
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
