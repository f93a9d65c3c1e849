"""The medians signals and readers use are numpy's, number for number (signed zeros, NaN and inf included)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from stridelink.medians import SHORT, median, nanmedian


def _same(ours: float, numpy_s: float) -> bool:
    if math.isnan(numpy_s):
        return math.isnan(ours)
    return ours == numpy_s and math.copysign(1.0, ours) == math.copysign(1.0, numpy_s)


def _arrays(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for size in [0, 1, 2, 3, SHORT - 1, SHORT, SHORT + 1, SHORT + 2, 100, 101, 3600]:
        out.append(rng.normal(170.0, 5.0, size))
        out.append(np.round(rng.normal(0.0, 1.0, size)))  # ties, and 0.0 beside -0.0
        out.append(rng.choice([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf], size))
        with_nan = rng.normal(0.0, 1.0, size)
        with_nan[rng.random(size) < 0.1] = np.nan
        out.append(with_nan)
    out.append(np.full(7, -0.0))
    out.append(np.full(40, np.nan))
    return out


@pytest.mark.parametrize("seed", range(3))
def test_median_and_nanmedian_equal_numpys(seed: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on empty and all-NaN input
        for values in _arrays(seed):
            assert _same(median(values), float(np.median(values))), values
            assert _same(nanmedian(values), float(np.nanmedian(values))), values


def test_median_leaves_its_input_alone() -> None:
    values = np.arange(100.0)[::-1].copy()
    median(values)
    assert (values == np.arange(100.0)[::-1]).all()
