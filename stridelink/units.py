"""Units and constants shared by the readers, the signals and the simulator.

Names carry their units (``distance_m``, ``speed_mps``); positions are degrees (WGS 84), times UTC.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean radius of the earth
SEMICIRCLE_DEG = 180.0 / 2**31  # FIT stores positions in semicircles: one of them in degrees
MPS_TO_KMH = 3.6


def haversine_steps_m(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Great-circle distance from each point to the next (one fewer than the points); NaN where a point has no
    position."""
    phi = np.radians(lat_deg)
    half_dphi = np.diff(phi) / 2
    half_dlambda = np.diff(np.radians(lon_deg)) / 2
    a = np.sin(half_dphi) ** 2 + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
