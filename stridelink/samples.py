"""A run's samples as numpy arrays: what readers produce and signals, the codec and the store read.

``Samples`` maps canonical column names (stridelink.columns) to arrays of one length: ``TIMESTAMP`` as numpy
``datetime64[ns]`` (UTC, NaT where unknown), the others float64 with NaN where the file has no value. pandas is
loaded only to turn them into a DataFrame or back (``to_frame``, ``from_frame``); the import path never needs it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from stridelink import columns as col

if TYPE_CHECKING:
    import pandas as pd

NAT_NS = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, eq=False)
class Samples(Mapping[str, np.ndarray]):
    """Column name -> array, in the order the reader wrote them; all arrays the same length."""

    columns: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        """The same columns in the same order with the same values (NaN equal to NaN, NaT to NaT)."""
        if not isinstance(other, Samples):
            return NotImplemented
        if list(self.columns) != list(other.columns):
            return False
        return all(_same(self.columns[name], other.columns[name]) for name in self.columns)

    __hash__ = None  # type: ignore[assignment]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        """The number of samples (rows), like a DataFrame's length."""
        for values in self.columns.values():
            return len(values)
        return 0

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def time_ns(self) -> np.ndarray:
        """UTC nanoseconds since the Unix epoch as int64 (NaT as int64's minimum)."""
        return self.columns[col.TIMESTAMP].view(np.int64)

    def where(self, keep: np.ndarray) -> Samples:
        """Only the samples ``keep`` marks."""
        return Samples({name: values[keep] for name, values in self.columns.items()})

    def to_frame(self, unit: str = "ns") -> pd.DataFrame:
        """The samples as a pandas DataFrame: ``TIMESTAMP`` timezone-aware UTC at ``unit`` resolution, the
        others as they are."""
        import pandas as pd

        data: dict[str, Any] = {}
        for name, values in self.columns.items():
            if name == col.TIMESTAMP:
                data[name] = pd.to_datetime(values.view(np.int64), unit="ns", utc=True).as_unit(unit)
            else:
                data[name] = values
        return pd.DataFrame(data)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Samples:
        """A DataFrame in the canonical columns as arrays (timestamps in UTC nanoseconds)."""
        import pandas as pd

        data: dict[str, np.ndarray] = {}
        for name in frame.columns:
            if name == col.TIMESTAMP:
                index = pd.DatetimeIndex(frame[name])
                if index.tz is not None:
                    index = index.tz_convert("UTC").tz_localize(None)
                data[str(name)] = index.as_unit("ns").to_numpy(dtype="datetime64[ns]")
                continue
            try:
                data[str(name)] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):  # not a numeric column: kept as it is, no signal reads it
                data[str(name)] = frame[name].to_numpy()
        return cls(data)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "M":
        return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def as_samples(samples: Samples | pd.DataFrame) -> Samples:
    """Arrays whichever form the caller holds."""
    return samples if isinstance(samples, Samples) else Samples.from_frame(samples)


def times_ns_from_seconds(seconds: np.ndarray) -> np.ndarray:
    """Float seconds since the Unix epoch -> ``datetime64[ns]``, NaN -> NaT.

    The very nanoseconds ``pandas.to_datetime(seconds, unit="s")`` gives: whole seconds and the fraction
    (rounded to 9 digits) converted separately.
    """
    missing = np.isnan(seconds)
    safe = np.where(missing, 0.0, seconds)
    whole = safe.astype(np.int64)
    fraction = np.round(safe - whole, 9)
    ns = whole * 1_000_000_000 + (fraction * 1e9).astype(np.int64)
    ns[missing] = NAT_NS
    return ns.view("datetime64[ns]")


def ns_of(moment: datetime) -> int:
    """A timezone-aware datetime as UTC nanoseconds since the Unix epoch (exact)."""
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def datetime_of(ns: int) -> datetime:
    """UTC nanoseconds -> a timezone-aware datetime (truncated to microseconds, as pandas does)."""
    return _EPOCH + timedelta(microseconds=int(ns) // 1000)


def forward_filled(values: np.ndarray, before_first: float | None = None) -> np.ndarray:
    """NaN replaced by the last value before it; leading NaN by ``before_first`` (the first value when None).

    pandas' ``ffill().bfill()`` (or ``ffill().fillna(before_first)``) without pandas.
    """
    known = ~np.isnan(values)
    if not known.any():
        return np.full(len(values), np.nan if before_first is None else before_first)
    last = np.maximum.accumulate(np.where(known, np.arange(len(values)), 0))
    first = int(np.argmax(known))
    last[:first] = first
    filled = values[last]
    if before_first is not None:
        filled[:first] = before_first
    return filled
