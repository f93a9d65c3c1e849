"""Canonical sample columns: every reader normalises to these names and units.

A reader's samples (stridelink.samples.Samples) have ``TIMESTAMP`` (UTC datetime64[ns]; timezone-aware in the
DataFrame ``Activity.samples``) and any of the others as float64, NaN where the file has no value. Columns a file
never carries may be absent.
"""

from __future__ import annotations

TIMESTAMP = "timestamp_utc"
LAT = "lat_deg"
LON = "lon_deg"
DISTANCE = "distance_m"
SPEED = "speed_mps"
ALTITUDE = "altitude_m"
HEART_RATE = "heart_rate_bpm"
CADENCE = "cadence_spm"  # steps per minute, both feet
GCT = "gct_ms"
GCT_BALANCE = "gct_balance_left_pct"
VERTICAL_OSCILLATION = "vertical_oscillation_mm"
VERTICAL_RATIO = "vertical_ratio_pct"
STEP_LENGTH = "step_length_mm"
POWER = "power_w"
FORM_POWER = "form_power_w"
LEG_SPRING_STIFFNESS = "leg_spring_stiffness_kn_per_m"

NUMERIC = (
    LAT,
    LON,
    DISTANCE,
    SPEED,
    ALTITUDE,
    HEART_RATE,
    CADENCE,
    GCT,
    GCT_BALANCE,
    VERTICAL_OSCILLATION,
    VERTICAL_RATIO,
    STEP_LENGTH,
    POWER,
    FORM_POWER,
    LEG_SPRING_STIFFNESS,
)
ALL = (TIMESTAMP, *NUMERIC)
