"""The decoded content of a FIT file, independent of the decoder that produced it.

Two decoders fill this: the fast numpy decoder (``fitfast``) and fitparse, the reference (``fitref``).
``fit.py`` turns it into activities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z in Unix seconds


@dataclass
class FitMessages:
    """Messages of one FIT stream (chained files are decoded stream by stream and merged).

    ``records`` holds one float64 array per record field, all of the same length (one entry per record
    message): values scaled and offset as the profile says, NaN where invalid or absent. ``timestamp`` is
    seconds since the FIT epoch (values below 0x10000000 are relative to device power-on); position_lat and
    position_long stay in semicircles; developer fields appear as ``"dev:<field_name>"`` with their units in
    ``dev_units``. ``sessions``, ``laps`` and ``sports`` are dicts of profile field names to scaled values,
    enums as profile strings (``"running"``), timestamps as seconds since the FIT epoch.
    """

    file_type: str | None = None
    manufacturer: str | None = None
    product: str | None = None
    time_created: float | None = None  # seconds since the FIT epoch
    records: dict[str, np.ndarray] = field(default_factory=dict)
    dev_units: dict[str, str] = field(default_factory=dict)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    laps: list[dict[str, Any]] = field(default_factory=list)
    sports: list[dict[str, Any]] = field(default_factory=list)
    activity: dict[str, Any] = field(default_factory=dict)  # the activity message (local_timestamp anchors old devices)

    @property
    def n_records(self) -> int:
        return len(self.records.get("timestamp", ()))


class FastPathDeclined(Exception):
    """The fast decoder will not judge this file; the reference decoder takes it."""
