"""The coach's Monday view of a cohort table: per athlete, volume, terrain, hills, the plan's adjustments, and
whether contact-time balance or cadence moved beyond the athlete's own range.

"Own range" is the 5th to 95th percentile of the athlete's earlier runs (at least ``MIN_BASELINE_RUNS`` of
them); "recent" is the mean of the runs in the last ``RECENT_DAYS`` days of the athlete's data.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import Any

RANGE_SIGNALS = ("gct_balance_left_pct", "cadence_spm", "gct_ms")
RECENT_DAYS = 7
RECENT_WEEKS = 4
MIN_BASELINE_RUNS = 5
_COLUMNS = ["kind", "start_utc", "distance_m", "surface", "hill_session", "week", "stage", "stage_name",
            "adjustment_kinds", *RANGE_SIGNALS]


def read_table(out: str, columns: list[str] | None = None) -> Any:
    """The cohort table as a pandas DataFrame (``athlete_id`` as a column)."""
    import pyarrow.dataset as ds

    from stridelink.cohort.table import SCHEMA, open_dir

    fs, root = open_dir(out)
    if not fs.exists(root):
        from stridelink.cohort.athletes import CohortSourceError

        raise CohortSourceError(f"{out}: no cohort table here; `stridelink cohort build ... --out {out}` makes one")
    dataset = ds.dataset(root, filesystem=fs, format="parquet", partitioning="hive",
                         schema=SCHEMA.append(_athlete_field()))
    return dataset.to_table(columns=columns).to_pandas()


def _athlete_field() -> Any:
    import pyarrow as pa

    return pa.field("athlete_id", pa.string())


def summary(out: str) -> list[dict[str, Any]]:
    """One object per athlete, in id order."""
    frame = read_table(out, ["athlete_id", *_COLUMNS])
    return [_athlete(str(athlete_id), rows) for athlete_id, rows in sorted(frame.groupby("athlete_id", observed=True))]


def _athlete(athlete_id: str, rows: Any) -> dict[str, Any]:
    runs = rows[rows["kind"] == "run"].sort_values("start_utc")
    weeks = rows[rows["kind"] == "week"].sort_values("week")
    result: dict[str, Any] = {
        "athlete_id": athlete_id,
        "runs": len(runs),
        "skipped": int((rows["kind"] == "skipped").sum()),
        "rejected": int((rows["kind"] == "rejected").sum()),
        "first_run": None, "last_run": None,
        "weekly_distance_km": None, "recent_weekly_distance_km": None,
        "trail_share": None, "hill_sessions": 0, "recent_hill_sessions": 0,
        "stage": None, "top_adjustments": [], "out_of_range": [],
    }
    if len(weeks):
        last = weeks.iloc[-1]
        result["stage"] = {"week": last["week"], "number": int(last["stage"]), "name": last["stage_name"]}
        kinds = Counter(kind for listed in weeks["adjustment_kinds"] for kind in (listed if listed is not None else []))
        result["top_adjustments"] = [{"kind": k, "weeks": n} for k, n in kinds.most_common(3)]
    if not len(runs):
        return result
    first, last_start = runs["start_utc"].iloc[0], runs["start_utc"].iloc[-1]
    span_weeks = max(1.0, (last_start - first).total_seconds() / (7 * 86400))
    recent_weeks = runs[runs["start_utc"] > last_start - timedelta(weeks=RECENT_WEEKS)]
    recent = runs[runs["start_utc"] > last_start - timedelta(days=RECENT_DAYS)]
    earlier = runs[runs["start_utc"] <= last_start - timedelta(days=RECENT_DAYS)]
    hills = runs["hill_session"].fillna(False).astype(bool)
    result.update(
        first_run=first.isoformat(),
        last_run=last_start.isoformat(),
        weekly_distance_km=_round(runs["distance_m"].sum() / 1000 / span_weeks),
        recent_weekly_distance_km=_round(recent_weeks["distance_m"].sum() / 1000 / RECENT_WEEKS),
        trail_share=_round(float((runs["surface"] == "trail").mean()), 3),
        hill_sessions=int(hills.sum()),
        recent_hill_sessions=int(hills[recent_weeks.index].sum()),
    )
    for signal in RANGE_SIGNALS:
        base = earlier[signal].dropna()
        now = recent[signal].dropna()
        if len(base) < MIN_BASELINE_RUNS or not len(now):
            continue
        low, high, value = float(base.quantile(0.05)), float(base.quantile(0.95)), float(now.mean())
        if value < low or value > high:
            result["out_of_range"].append({"signal": signal, "recent": _round(value), "low": _round(low),
                                           "high": _round(high), "recent_runs": len(now)})
    return result


def _round(value: float, digits: int = 1) -> float | None:
    return None if math.isnan(value) else round(float(value), digits)  # NaN: no data
