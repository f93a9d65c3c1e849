"""Medians of 1-D float arrays: the very numbers numpy's ``median`` and ``nanmedian`` give, without their overhead.

numpy's versions go through axis handling, ``mean`` and, for ``nanmedian`` of short arrays, ``numpy.ma`` (which
they import on first use: milliseconds in every worker process). A median is a selection (or the halved sum of
the two middle values), so any correct selection gives the same number: short arrays are sorted as Python
floats, longer ones partitioned in place on a copy.
"""

from __future__ import annotations

import math

import numpy as np

SHORT = 32  # up to this many values, sorting a list beats numpy's per-call overhead


def median(values: np.ndarray) -> float:
    """``float(np.median(values))`` for a 1-D float array: NaN when it holds a NaN or nothing."""
    n = len(values)
    if n == 0:
        return math.nan
    if n <= SHORT:
        ordered = values.tolist()
        if any(x != x for x in ordered):
            return math.nan
        ordered.sort()
    else:
        half = n // 2
        part = np.array(values, dtype=np.float64)
        part.partition((half - 1, half, n - 1) if n % 2 == 0 else (half, n - 1))
        if part[n - 1] != part[n - 1]:  # NaN sorts last
            return math.nan
        ordered = part  # type: ignore[assignment]
    middle = n // 2
    if n % 2:  # numpy's mean of the middle values: a sum that starts at +0.0 (so -0.0 becomes 0.0), halved
        return 0.0 + float(ordered[middle])
    return (0.0 + float(ordered[middle - 1]) + float(ordered[middle])) / 2.0


def nanmedian(values: np.ndarray) -> float:
    """``float(np.nanmedian(values))`` for a 1-D float array: the median of its values that are not NaN."""
    known = values[~np.isnan(values)]
    return median(known)
