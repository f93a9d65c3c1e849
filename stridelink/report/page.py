"""The report page: one self-contained HTML page of weekly trends, the current plan and the runs.

The page needs no network and no JavaScript: CSS is inline and the charts are matplotlib SVG embedded in the
HTML, each with a stable id (``chart-cadence`` ...) and an accessible title. Runs are only aggregated per ISO
week (local time), so a library of years renders as fast as one of weeks. Weeks without runs are gaps in the
charts (shaded, and "no runs" in the week table), never zeros. Everything the athlete wrote is HTML-escaped.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from typing import Any

import numpy as np
import pandas as pd

from stridelink.models import LogEntry, Plan, Run
from stridelink.weeks import iso_week, monday_of, year_and_week
from stridelink.text import words

# (id, title) of every chart, in page order.
CHARTS = (
    ("chart-load", "Weekly load: distance and time, with the 4-week mean"),
    ("chart-cadence", "Cadence per week (steps per minute)"),
    ("chart-gct", "Ground contact time per week (ms)"),
    ("chart-balance", "Ground contact time balance, left share (%)"),
    ("chart-climb", "Climbing per week (m, and m per km)"),
    ("chart-terrain", "Terrain variability per week"),
    ("chart-trail", "Trail share per week (% of runs and of distance)"),
)
CHART_IDS = tuple(chart_id for chart_id, _ in CHARTS)
# Garmin's ground-contact balance zones: within 52.2 % on either side is "fair" or better (DOMAIN 4.2).
BALANCE_BAND_PCT = (47.8, 52.2)
LOAD_MEAN_WEEKS = 4
SVG_HASHSALT = "stridelink-report"

_INK = "#1f2933"
_MUTED = "#7b8794"
_GRID = "#e4e7eb"
_BLUE = "#2563eb"
_TEAL = "#0f9488"
_ORANGE = "#d97706"
_GREEN = "#15803d"
_GAP = "#f1f3f5"


# ----------------------------------------------------------------------------------------------- weeks


@dataclass(frozen=True, slots=True)
class Period:
    """The report's weeks: ``weeks`` ISO weeks ending with the one holding ``today`` (local)."""

    first_monday: date
    weeks: int
    today: date

    @classmethod
    def ending(cls, today: date, weeks: int) -> Period:
        return cls(monday_of(today) - timedelta(weeks=weeks - 1), weeks, today)

    @property
    def end(self) -> date:  # exclusive: the Monday after the last week
        return self.first_monday + timedelta(weeks=self.weeks)

    @property
    def mondays(self) -> list[date]:
        return [self.first_monday + timedelta(weeks=i) for i in range(self.weeks)]


# ----------------------------------------------------------------------------------------------- aggregation


def _run_frame(runs: Sequence[Run], tz: tzinfo, start: date, end: date) -> pd.DataFrame:
    """One row per run starting in [start, end) local time, with the signals the report uses."""
    rows = []
    for run in runs:
        day = run.start_utc.astimezone(tz).date()
        if not start <= day < end:
            continue
        s = run.signals
        distance = run.distance_m if run.distance_m is not None else (s.distance_m if s else None)
        duration = run.duration_s if run.duration_s is not None else (s.duration_s if s else None)
        moving = s.moving_time_s if s and s.moving_time_s else duration
        rows.append({
            "week": monday_of(day),
            "distance_m": distance,
            "duration_s": duration,
            "weight_s": moving if moving else 1.0,
            "cadence_spm": s.cadence_spm if s else None,
            "gct_ms": s.gct_ms if s else None,
            "balance_left_pct": s.gct_balance_left_pct if s else None,
            "gain_m": s.elevation_gain_m if s else None,
            "terrain": s.terrain_variability if s else None,
            "trail": bool(s and s.surface == "trail"),
            "hill": bool(s and s.hill_session),
        })
    columns = ["week", "distance_m", "duration_s", "weight_s", "cadence_spm", "gct_ms", "balance_left_pct",
               "gain_m", "terrain", "trail", "hill"]
    frame = pd.DataFrame(rows, columns=columns)
    numeric = [c for c in columns if c not in ("week", "trail", "hill")]
    frame[numeric] = frame[numeric].astype(float)
    return frame


def weekly_summary(runs: Sequence[Run], *, period: Period, tz: tzinfo) -> pd.DataFrame:
    """Per-week aggregates for the period (index: the weeks' Mondays). Weeks without runs are NaN except
    ``runs`` (0); ``distance_km_mean`` / ``duration_h_mean`` are rolling means over the last 4 weeks that
    count a week without runs as zero load (from the athlete's first run on)."""
    lead = LOAD_MEAN_WEEKS - 1
    start = period.first_monday - timedelta(weeks=lead)
    frame = _run_frame(runs, tz, start, period.end)
    index = pd.Index([start + timedelta(weeks=i) for i in range(period.weeks + lead)], name="week")
    grouped = frame.groupby("week")

    def weighted(column: str) -> pd.Series:
        known = frame[column].notna()
        weights = frame["weight_s"].where(known)
        total = (frame[column] * weights).groupby(frame["week"]).sum(min_count=1)
        return total / weights.groupby(frame["week"]).sum(min_count=1)

    has_gain = frame["gain_m"].notna() & (frame["distance_m"] > 0)
    known_distance = frame["distance_m"].notna()
    week = pd.DataFrame(index=index)
    week["runs"] = grouped.size().reindex(index, fill_value=0)
    week["distance_km"] = grouped["distance_m"].sum(min_count=1) / 1000.0
    week["duration_h"] = grouped["duration_s"].sum(min_count=1) / 3600.0
    week["cadence_spm"] = weighted("cadence_spm")
    week["gct_ms"] = weighted("gct_ms")
    week["balance_left_pct"] = weighted("balance_left_pct")
    week["terrain"] = weighted("terrain")
    week["climb_m"] = grouped["gain_m"].sum(min_count=1)
    climb_km = frame["distance_m"].where(has_gain).groupby(frame["week"]).sum(min_count=1) / 1000.0
    week["climb_m_per_km"] = frame["gain_m"].where(has_gain).groupby(frame["week"]).sum(min_count=1) / climb_km
    week["trail_runs_pct"] = 100.0 * grouped["trail"].sum() / grouped.size()
    trail_m = frame["distance_m"].where(frame["trail"] & known_distance).groupby(frame["week"]).sum()
    week["trail_distance_pct"] = 100.0 * trail_m / frame["distance_m"].groupby(frame["week"]).sum(min_count=1)
    week["hill_sessions"] = grouped["hill"].sum()
    week = week.reindex(index)
    week["runs"] = week["runs"].fillna(0).astype(int)
    week["hill_sessions"] = week["hill_sessions"].where(week["runs"] > 0)

    # Load before the athlete's first run is unknown; after it, a week without runs carried no load.
    first_run = min((r.start_utc.astimezone(tz).date() for r in runs), default=None)
    started = pd.Series(index >= monday_of(first_run), index=index) if first_run else pd.Series(False, index=index)
    for column in ("distance_km", "duration_h"):
        load = week[column].fillna(0.0).where(started)
        week[f"{column}_mean"] = load.rolling(LOAD_MEAN_WEEKS, min_periods=1).mean()
    return week.iloc[lead:]


# ----------------------------------------------------------------------------------------------- charts


def _rc() -> dict[str, Any]:
    return {
        "svg.hashsalt": SVG_HASHSALT,
        "svg.fonttype": "none",  # real <text>: smaller, sharp and selectable
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
        "font.size": 9.5,
        "axes.edgecolor": _MUTED,
        "axes.labelcolor": _INK,
        "axes.titlesize": 10,
        "xtick.color": _MUTED,
        "ytick.color": _MUTED,
        "xtick.labelcolor": _INK,
        "ytick.labelcolor": _INK,
        "legend.frameon": False,
        "legend.fontsize": 8.5,
        "path.simplify": False,
    }


def _gap_spans(empty: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive weeks without runs, as (first, last) indices: one shaded span each."""
    edges = np.diff(np.concatenate(([0], empty.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist(), strict=True))


def _axes_style(ax: Any, labels: list[str], empty: np.ndarray, *, week_labels: bool = True) -> None:
    """Shared look; week labels are plain texts, which draw far faster than matplotlib's tick objects."""
    from matplotlib.ticker import MaxNLocator

    n = len(labels)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_xticks([])
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0, pad=3)
    if week_labels:
        step = max(1, math.ceil(n / (13 if n <= 26 else 7)))
        to_axes = ax.get_xaxis_transform()
        for i in range(n - 1, -1, -step):  # always label the latest week
            ax.text(i, -0.05, labels[i], transform=to_axes, ha="center", va="top", color=_INK, fontsize=8.5,
                    linespacing=1.1)
    for first, last in _gap_spans(empty):
        ax.axvspan(first - 0.5, last + 0.5, color=_GAP, linewidth=0, zorder=0)


def _line(ax: Any, values: pd.Series, color: str, label: str, gid: str, *, markers: bool = True) -> None:
    """A weekly series; NaN weeks break the line. Markers keep a week between two gaps visible."""
    y = values.to_numpy(dtype=float)
    dense = len(y) > 26
    (line,) = ax.plot(np.arange(len(y)), y, color=color, linewidth=1.5 if dense else 2,
                      marker="o" if markers else None, markersize=2.5 if dense else 4, label=label)
    line.set_gid(gid)


def _bars(ax: Any, values: pd.Series, color: str, label: str, alpha: float = 0.85) -> None:
    y = values.to_numpy(dtype=float)
    x = np.arange(len(y))
    known = ~np.isnan(y)
    ax.bar(x[known], y[known], width=0.66, color=color, alpha=alpha, label=label)


def _headroom(ax: Any, values: Sequence[pd.Series], floor: float = 0.0) -> None:
    top = max((float(np.nanmax(v.to_numpy(dtype=float))) for v in values if v.notna().any()), default=0.0)
    ax.set_ylim(floor, top * 1.18 if top > floor else floor + 1.0)


def _legend(ax: Any, handles: list[Any] | None = None) -> None:
    if handles is None:  # bars (weekly totals) first, then lines
        handles = sorted(ax.get_legend_handles_labels()[0], key=lambda h: not hasattr(h, "patches"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, borderaxespad=0.2,
              handlelength=1.6, columnspacing=1.2)


def _no_data(ax: Any, values: pd.Series, what: str, *also: Any) -> None:
    """Say so on an empty chart, and leave its value axes bare (no made-up scale such as -0.03 to 0.03)."""
    if not values.notna().any():
        ax.text(0.5, 0.5, f"No {what} in these weeks", transform=ax.transAxes, ha="center", va="center",
                color=_MUTED)
        for axis in (ax, *also):
            axis.set_ylim(0, 1)
            axis.set_yticks([])


def _chart_load(fig: Any, week: pd.DataFrame, labels: list[str], empty: np.ndarray) -> None:
    top, bottom = fig.subplots(2, 1, sharex=True)
    for ax, column, unit, color in ((top, "distance_km", "km", _BLUE), (bottom, "duration_h", "h", _TEAL)):
        _axes_style(ax, labels, empty, week_labels=ax is bottom)
        _bars(ax, week[column], color, f"{unit} per week", alpha=0.8)
        _line(ax, week[f"{column}_mean"], _INK, f"{LOAD_MEAN_WEEKS}-week mean", f"{column}-mean",
              markers=len(week) <= 26)  # the mean has no gaps to bridge
        ax.set_ylabel("distance (km)" if unit == "km" else "time (h)")
        _headroom(ax, [week[column], week[f"{column}_mean"]])
        if not (week[column].fillna(0) > 0).any():
            _no_data(ax, week[column].where(week[column] > 0), "runs")
        _legend(ax)


def _chart_cadence(fig: Any, week: pd.DataFrame, labels: list[str], empty: np.ndarray) -> None:
    ax = fig.subplots()
    _axes_style(ax, labels, empty)
    values = week["cadence_spm"]
    if values.notna().any():
        ax.axhline(float(values.mean()), color=_MUTED, linestyle="--", linewidth=1, label="mean of these weeks")
        ax.set_ylim(float(values.min()) - 6, float(values.max()) + 6)
    _line(ax, values, _BLUE, "cadence (spm)", "cadence-line")
    ax.set_ylabel("steps per minute")
    _no_data(ax, values, "cadence data")
    _legend(ax)


def _chart_gct(fig: Any, week: pd.DataFrame, labels: list[str], empty: np.ndarray) -> None:
    ax = fig.subplots()
    _axes_style(ax, labels, empty)
    values = week["gct_ms"]
    if values.notna().any():
        ax.axhline(float(values.mean()), color=_MUTED, linestyle="--", linewidth=1, label="mean of these weeks")
        ax.set_ylim(float(values.min()) - 15, float(values.max()) + 15)
    _line(ax, values, _TEAL, "ground contact time (ms)", "gct-line")
    ax.set_ylabel("ms")
    _no_data(ax, values, "ground contact data")
    _legend(ax)


def _chart_balance(fig: Any, week: pd.DataFrame, labels: list[str], empty: np.ndarray) -> None:
    ax = fig.subplots()
    _axes_style(ax, labels, empty)
    low, high = BALANCE_BAND_PCT
    ax.axhspan(low, high, color=_GREEN, alpha=0.12, linewidth=0, zorder=0.5,
               label=f"{high:g}/{low:g} band", gid="balance-band")
    ax.axhline(50.0, color=_GREEN, linewidth=0.8, linestyle=":")
    values = week["balance_left_pct"]
    _line(ax, values, _ORANGE, "left share (%)", "balance-line")
    spread = max(3.5, float(np.nanmax(np.abs(values.to_numpy(dtype=float) - 50.0))) + 1.0) if values.notna().any() else 3.5
    ax.set_ylim(50.0 - spread, 50.0 + spread)
    ax.set_ylabel("left share (%)")
    _no_data(ax, values, "balance data")
    _legend(ax)


def _chart_climb(fig: Any, week: pd.DataFrame, labels: list[str], empty: np.ndarray) -> None:
    ax = fig.subplots()
    _axes_style(ax, labels, empty)
    _bars(ax, week["climb_m"], _GREEN, "climb (m)", alpha=0.55)
    _headroom(ax, [week["climb_m"]])
    ax.set_ylabel("climb (m)")
    right = ax.twinx()
    right.spines["top"].set_visible(False)
    right.tick_params(length=0)
    _line(right, week["climb_m_per_km"], _ORANGE, "m per km", "climb-per-km-line")
    _headroom(right, [week["climb_m_per_km"]])
    right.set_ylabel("m per km")
    _no_data(ax, week["climb_m"], "elevation data", right)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    _legend(ax, handles)


def _chart_terrain(fig: Any, week: pd.DataFrame, labels: list[str], empty: np.ndarray) -> None:
    ax = fig.subplots()
    _axes_style(ax, labels, empty)
    values = week["terrain"]
    _line(ax, values, _GREEN, "terrain variability", "terrain-line")
    _headroom(ax, [values])
    ax.set_ylabel("terrain score")
    _no_data(ax, values, "terrain data")
    _legend(ax)


def _chart_trail(fig: Any, week: pd.DataFrame, labels: list[str], empty: np.ndarray) -> None:
    ax = fig.subplots()
    _axes_style(ax, labels, empty)
    _bars(ax, week["trail_runs_pct"], _GREEN, "% of runs", alpha=0.55)
    _line(ax, week["trail_distance_pct"], _ORANGE, "% of distance", "trail-distance-line")
    ax.set_ylim(0, 109)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_ylabel("on trail (%)")
    _no_data(ax, week["trail_runs_pct"], "runs")
    _legend(ax)


_DRAW: dict[str, Callable[[Any, pd.DataFrame, list[str], np.ndarray], None]] = {
    "chart-load": _chart_load,
    "chart-cadence": _chart_cadence,
    "chart-gct": _chart_gct,
    "chart-balance": _chart_balance,
    "chart-climb": _chart_climb,
    "chart-terrain": _chart_terrain,
    "chart-trail": _chart_trail,
}
_WIDTH_IN = 5.0  # 360 pt: text of 9.5 pt shows at about 14 px on a wide screen, 9 px on a phone
_HEIGHT_IN = {"chart-load": 5.0}
_TWIN = {"chart-climb"}  # charts with a right-hand axis

_XML_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*|<defs>\s*<style[^>]*>.*?</style>\s*</defs>\s*", re.DOTALL)
_ID_ATTR = re.compile(r'\bid="([^"]+)"')
_ID_REF = re.compile(r'(url\(#|xlink:href="#|href="#)([^)"]+)')
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def _inline_svg(raw: str, chart_id: str, title: str, description: str) -> str:
    """matplotlib's SVG made fit for inlining: no XML header or metadata, ids prefixed so several charts can
    share a page, scalable, with an id and an accessible title and description."""
    svg = _METADATA.sub("", _XML_PROLOGUE.sub("", raw, count=1))  # the page CSS styles every chart once
    svg = re.sub(r">\s+<", "><", re.sub(r"\s*\n\s*", " ", svg))
    svg = _ID_ATTR.sub(lambda m: f'id="{chart_id}-{m[1]}"', svg)
    svg = _ID_REF.sub(lambda m: f"{m[1]}{chart_id}-{m[2]}", svg)
    opening = _SVG_OPEN.search(svg)
    assert opening is not None
    view_box = re.search(r'viewBox="([^"]+)"', opening[0])
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" id="{chart_id}"'
        f' class="chart" role="img" viewBox="{view_box[1] if view_box else "0 0 540 200"}"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{html.escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{html.escape(description)}</desc>'
    )
    return root + svg[opening.end():].strip()


def _week_tick(monday: date, *, long: bool) -> str:
    year, number = year_and_week(monday)
    return f"W{number:02d}\n{year}" if long else f"W{number:02d}"


def render_chart(chart_id: str, title: str, week: pd.DataFrame, description: str) -> str:
    """One chart as inline SVG markup."""
    import matplotlib

    matplotlib.use("Agg")  # no display, ever; also makes the backend explicit for the figure below
    from matplotlib.figure import Figure

    rc: Any = _rc()
    with matplotlib.rc_context(rc):
        width_in, height_in = _WIDTH_IN, _HEIGHT_IN.get(chart_id, 2.45)
        fig = Figure(figsize=(width_in, height_in))
        fig.set_facecolor("none")
        # Fixed margins (inches): a layout engine would double the drawing time.
        fig.subplots_adjust(left=0.72 / width_in, right=1 - (0.72 if chart_id in _TWIN else 0.15) / width_in,
                            bottom=(0.46 if len(week) > 26 else 0.32) / height_in, top=1 - 0.36 / height_in, hspace=0.45)
        labels = [_week_tick(m, long=len(week) > 26) for m in week.index]
        _DRAW[chart_id](fig, week, labels, (week["runs"] == 0).to_numpy())
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return _inline_svg(out.getvalue(), chart_id, title, description)


# ----------------------------------------------------------------------------------------------- formatting


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 0, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '<span class="na">–</span>'
    return f"{value:,.{digits}f}{unit}"


def _hours(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return '<span class="na">–</span>'
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def _describe(week: pd.DataFrame, column: str, unit: str, digits: int = 0) -> str:
    values = week[column].dropna()
    gaps = int((week["runs"] == 0).sum())
    gap_text = f" {gaps} week{'s' if gaps != 1 else ''} without runs shown as gaps." if gaps else ""
    if values.empty:
        return "No data in these weeks." + gap_text
    last_week = iso_week(values.index[-1])
    return (f"Latest ({last_week}): {values.iloc[-1]:.{digits}f} {unit}; range {values.min():.{digits}f} to "
            f"{values.max():.{digits}f} {unit}.{gap_text}")


# ----------------------------------------------------------------------------------------------- page


def _summary_cards(frame_week: pd.DataFrame, period_runs: list[Run]) -> str:
    km = frame_week["distance_km"].sum()
    hours = frame_week["duration_h"].sum()
    trail = sum(1 for r in period_runs if r.signals and r.signals.surface == "trail")
    hills = sum(1 for r in period_runs if r.signals and r.signals.hill_session)
    weeks_run = int((frame_week["runs"] > 0).sum())
    cards = [
        ("runs", f"{len(period_runs)}", f"in {weeks_run} of {len(frame_week)} weeks"),
        ("distance", f"{km:,.0f} km", f"{km / len(frame_week):.1f} km a week"),
        ("time", f"{hours:,.1f} h", f"{hours / len(frame_week):.1f} h a week"),
        ("trail runs", f"{trail}", f"{100 * trail / len(period_runs):.0f} % of runs" if period_runs else "–"),
        ("hill sessions", f"{hills}", "calf and Achilles load"),
    ]
    items = "".join(
        f'<div class="card"><div class="label">{_esc(label)}</div><div class="value">{_esc(value)}</div>'
        f'<div class="sub">{_esc(sub)}</div></div>'
        for label, value, sub in cards
    )
    return f'<section class="cards" aria-label="Summary">{items}</section>'


def _week_table(week: pd.DataFrame, period: Period) -> str:
    rows = []
    for monday, row in week.iloc[::-1].iterrows():
        label = iso_week(monday)
        current = " (this week)" if monday == monday_of(period.today) else ""
        head = f'<th scope="row">{label}{current}<br><span class="sub">{monday.day} {monday:%b}</span></th>'
        if row["runs"] == 0:
            rows.append(f'<tr class="gap">{head}<td colspan="11" class="norun">no runs</td>'
                        f'<td class="num">{_num(row["distance_km_mean"], 1)}</td></tr>')
            continue
        cells = [
            _num(row["runs"]), _num(row["distance_km"], 1), _num(row["duration_h"], 1),
            _num(row["cadence_spm"]), _num(row["gct_ms"]), _num(row["balance_left_pct"], 1),
            _num(row["climb_m"]), _num(row["climb_m_per_km"], 1), _num(row["terrain"], 2),
            _num(row["trail_runs_pct"]), _num(row["hill_sessions"]), _num(row["distance_km_mean"], 1),
        ]
        rows.append(f"<tr>{head}" + "".join(f'<td class="num">{c}</td>' for c in cells) + "</tr>")
    head = ("<tr><th scope=col>week</th><th scope=col>runs</th><th scope=col>km</th><th scope=col>h</th>"
            "<th scope=col>spm</th><th scope=col>GCT ms</th><th scope=col>left %</th><th scope=col>climb m</th>"
            "<th scope=col>m/km</th><th scope=col>terrain</th><th scope=col>trail %</th><th scope=col>hill</th>"
            f"<th scope=col>km, {LOAD_MEAN_WEEKS}-wk mean</th></tr>")
    return (
        '<details class="weeks"><summary>Week by week (the numbers behind the charts)</summary>'
        f'<div class="scroll"><table id="week-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        "</div></details>"
    )


def _charts(week: pd.DataFrame) -> str:
    descriptions = {
        "chart-load": _describe(week, "distance_km", "km", 1),
        "chart-cadence": _describe(week, "cadence_spm", "spm"),
        "chart-gct": _describe(week, "gct_ms", "ms"),
        "chart-balance": _describe(week, "balance_left_pct", "% left", 1)
        + f" Shaded: {BALANCE_BAND_PCT[1]:g}/{BALANCE_BAND_PCT[0]:g} band.",
        "chart-climb": _describe(week, "climb_m", "m"),
        "chart-terrain": _describe(week, "terrain", "", 2),
        "chart-trail": _describe(week, "trail_runs_pct", "% of runs on trail"),
    }
    notes = {
        "chart-balance": "The shaded band is 47.8–52.2 % (Garmin's fair-or-better zone); 50 % is even.",
        "chart-load": f"Bars: the week's total. Line: mean of the last {LOAD_MEAN_WEEKS} weeks, counting weeks "
                      "without runs as rest.",
        "chart-cadence": "Steps per minute, both feet, weighted by moving time.",
        "chart-terrain": "The terrain score of each run, weighted by moving time.",
    }
    figures = []
    for chart_id, title in CHARTS:
        svg = render_chart(chart_id, title, week, descriptions[chart_id])
        note = f'<p class="note">{_esc(notes[chart_id])}</p>' if chart_id in notes else ""
        tall = " tall" if chart_id == "chart-load" else ""
        figures.append(f'<figure class="panel{tall}"><figcaption>{_esc(title)}</figcaption>{svg}{note}</figure>')
    return f'<div class="charts">{"".join(figures)}</div>'


def _run_link(run_id: str, listed: dict[str, str]) -> str:
    """A run named as people know it (its day and file), linked to its row when the page lists it."""
    if run_id in listed:
        return f'<a class="runid" href="#run-{_esc(run_id)}">{_esc(listed[run_id])}</a>'
    return f'<span class="runid">{_esc(run_id)}</span>'


def _run_label(run: Run, tz: tzinfo) -> str:
    return f"{run.start_utc.astimezone(tz):%a %d %b} ({run.file_name or run.run_id})"


def _plan_section(plan: Plan | None, listed: dict[str, str]) -> str:
    if plan is None:
        return ('<section id="plan" class="plan"><h2>This week\'s plan</h2><p class="muted">No plan yet: '
                "import some runs, then <code>stridelink plan</code> shows this week's ankle programme.</p></section>")
    parts = [
        f'<section id="plan" class="plan"><h2>Plan for {_esc(plan.week)}</h2>',
        f'<p class="stage"><span class="badge">Stage {plan.stage.number}</span> {_esc(plan.stage.name)}</p>',
    ]
    if plan.notes:
        notes = "".join(f"<li>{_esc(n)}</li>" for n in plan.notes)
        parts.append(f'<div class="safety" role="note"><strong>Safety</strong><ul>{notes}</ul></div>')
    parts.append("<h3>Adjustments this week</h3>")
    if plan.adjustments:
        items = []
        for adj in plan.adjustments:
            runs = ", ".join(_run_link(r, listed) for r in adj.run_ids)
            because = f'<div class="because">Runs: {runs}</div>' if runs else ""
            items.append(
                f'<li class="adjustment" data-kind="{_esc(adj.kind)}"><span class="kind">{_esc(words(adj.kind))}</span> '
                f"<strong>{_esc(adj.summary)}</strong><div class=\"reason\">{_esc(adj.reason)}</div>{because}</li>"
            )
        parts.append(f'<ul class="adjustments">{"".join(items)}</ul>')
    else:
        parts.append('<p class="muted">None: the stage\'s programme as it stands.</p>')
    parts.append("<h3>Sessions</h3>")
    if not plan.sessions:
        parts.append('<p class="muted">No sessions this week.</p>')
    for session in sorted(plan.sessions, key=lambda s: (s.date, s.slot)):
        focus = ", ".join(words(f) for f in session.focus)
        rows = "".join(
            f"<tr><td>{_esc(e.name)}</td><td>{_esc(e.dose)}</td><td>{_esc(words(e.focus))}</td></tr>"
            for e in session.exercises
        )
        table = (f'<div class="scroll"><table class="exercises"><thead><tr><th scope=col>exercise</th>'
                 f"<th scope=col>dose</th><th scope=col>focus</th></tr></thead><tbody>{rows}</tbody></table></div>"
                 if rows else "")
        why = f'<p class="why">{_esc(session.why)}</p>' if session.why else ""
        parts.append(
            f'<article class="session"><h4><time datetime="{session.date.isoformat()}">{_esc(_day(session.date))}'
            f"</time> · {_esc(session.title)} <span class=\"muted\">{session.duration_min} min"
            f"{' · ' + _esc(focus) if focus else ''}</span></h4>{why}{table}</article>"
        )
    parts.append("</section>")
    return "".join(parts)


def _runs_section(period_runs: list[Run], tz: tzinfo) -> str:
    if not period_runs:
        return '<section id="runs"><h2>Runs</h2><p class="muted">No runs in these weeks.</p></section>'
    rows = []
    for run in sorted(period_runs, key=lambda r: (r.start_utc, r.run_id), reverse=True):
        s = run.signals
        local = run.start_utc.astimezone(tz)
        distance = run.distance_m if run.distance_m is not None else (s.distance_m if s else None)
        duration = run.duration_s if run.duration_s is not None else (s.duration_s if s else None)
        surface = s.surface if s else "unknown"
        hill = "–" if s is None or s.hill_session is None else ("yes" if s.hill_session else "no")
        rows.append(
            f'<tr id="run-{_esc(run.run_id)}"><td><time datetime="{_esc(local.isoformat())}">{local:%a %d %b %Y %H:%M}'
            f'</time><div class="sub" title="{_esc(run.file_name)}">{_esc(run.file_name)} · {_esc(words(run.sport))}'
            f' · <span class="runid">{_esc(run.run_id)}</span></div></td>'
            f'<td class="num">{_num(distance / 1000 if distance is not None else None, 2)}</td>'
            f'<td class="num">{_hours(duration)}</td>'
            f'<td><span class="surface {_esc(surface)}">{_esc(surface)}</span></td>'
            f'<td class="num">{_num(s.cadence_spm if s else None)}</td>'
            f'<td class="num">{_num(s.gct_ms if s else None)}</td>'
            f'<td class="num">{_num(s.gct_balance_left_pct if s else None, 1)}</td>'
            f'<td class="num">{_num(s.climb_m_per_km if s else None, 1)}</td>'
            f'<td class="num">{_num(s.terrain_variability if s else None, 2)}</td>'
            f'<td class="{"hill" if hill == "yes" else ""}">{hill}</td></tr>'
        )
    head = ("<tr><th scope=col>date</th><th scope=col>km</th><th scope=col>time</th><th scope=col>surface</th>"
            "<th scope=col>spm</th><th scope=col>GCT ms</th><th scope=col>left %</th><th scope=col>climb m/km</th>"
            "<th scope=col>terrain</th><th scope=col>hill session</th></tr>")
    return (f'<section id="runs"><h2>Runs <span class="muted">({len(period_runs)})</span></h2>'
            f'<div class="scroll"><table id="run-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody>'
            "</table></div></section>")


def _logs_section(logs: Sequence[LogEntry], period: Period) -> str:
    entries = [e for e in logs if period.first_monday <= e.day < period.end]
    if not entries:
        return ""
    rows = []
    for e in sorted(entries, key=lambda e: (e.day, e.entry_id), reverse=True):
        value = "" if e.value is None else f"{e.value:g}"
        rows.append(f"<tr><td>{_esc(_day(e.day))}</td><td>{_esc(e.kind)}</td><td>{_esc(e.side or '')}</td>"
                    f'<td class="num">{_esc(value)}</td><td class="note-text">{_esc(e.note)}</td></tr>')
    return ('<section id="log"><h2>What you logged</h2><div class="scroll"><table><thead><tr><th scope=col>day</th>'
            "<th scope=col>kind</th><th scope=col>side</th><th scope=col>value</th><th scope=col>note</th></tr>"
            f'</thead><tbody>{"".join(rows)}</tbody></table></div></section>')


_CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--accent:#2563eb;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;-webkit-text-size-adjust:100%}
main{max-width:1140px;margin:0 auto;padding:16px}
header.top{background:#1e3a5f;color:#fff;padding:20px 16px}
header.top div{max-width:1140px;margin:0 auto}
header.top h1{margin:0;font-size:1.5rem}
header.top p{margin:4px 0 0;color:#d9e2ec}
h2{font-size:1.2rem;margin:28px 0 10px}h3{font-size:1rem;margin:18px 0 8px}h4{margin:0 0 6px;font-size:.98rem}
.muted,.sub,.na{color:var(--muted)}.sub{font-size:.8rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin-top:4px}
.card,.panel,.plan,.session{background:var(--card);border:1px solid var(--line);border-radius:10px}
.card{padding:10px 14px}.card .label{font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:1.5rem;font-weight:650}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:12px}
.panel{margin:0;padding:10px 12px}.panel.tall{grid-row:span 2}
figcaption{font-weight:600;margin-bottom:2px}
svg.chart{display:block;width:100%;height:auto}svg.chart *{stroke-linejoin:round;stroke-linecap:butt}
.note{margin:2px 0 0;font-size:.8rem;color:var(--muted)}
.plan{padding:4px 16px 16px}
.stage{font-size:1.05rem}.badge{background:var(--accent);color:#fff;border-radius:999px;padding:2px 10px;
font-size:.85rem;font-weight:600;margin-right:6px}
.safety{border-left:4px solid var(--warn);background:#fffbeb;padding:8px 12px;border-radius:6px;margin:10px 0}
.safety ul{margin:4px 0 0;padding-left:20px}
.adjustments{list-style:none;padding:0;margin:0;display:grid;gap:8px}
.adjustment{border:1px solid var(--line);border-radius:8px;padding:8px 12px}
.kind{display:inline-block;font:600 .75rem/1.6 ui-monospace,monospace;background:#e0e7ff;color:#3730a3;
border-radius:4px;padding:0 6px;margin-right:4px}
.reason{color:var(--muted);font-size:.9rem;margin-top:2px}.because{font-size:.85rem;margin-top:2px}
.runid{font-family:ui-monospace,monospace;font-size:.85em}
.session{padding:10px 12px;margin:8px 0}.why{margin:0 0 6px;font-size:.9rem;color:var(--muted)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.88rem;background:var(--card)}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{font-size:.78rem;color:var(--muted);font-weight:600;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
#run-table td:first-child{white-space:nowrap}
tr:target{background:#fef9c3}
tr.gap th,tr.gap td{background:#f8f9fa}.norun{color:var(--muted);font-style:italic}
.surface{border-radius:4px;padding:0 6px;font-size:.8rem;background:#eef2f7}
.surface.trail{background:#dcfce7;color:#166534}.surface.road{background:#e0e7ff;color:#3730a3}
td.hill{font-weight:600;color:var(--warn)}
details.weeks{margin-top:12px}details.weeks summary{cursor:pointer;font-weight:600;padding:6px 0}
footer{color:var(--muted);font-size:.8rem;margin:24px 0 8px}
@media (max-width:600px){body{font-size:14px}main{padding:10px}header.top h1{font-size:1.25rem}
.card .value{font-size:1.25rem}.panel{padding:8px}th,td{padding:4px 6px}}
@media print{body{background:#fff}.panel,.card,.plan,.session{break-inside:avoid}}
"""


def render_report(
    runs: Sequence[Run],
    plan: Plan | None,
    *,
    weeks: int = 12,
    today: date,
    tz: tzinfo,
    logs: Sequence[LogEntry] = (),
    period_end: date | None = None,
) -> str:
    """The report page for the ``weeks`` ISO weeks ending with the one holding ``today`` (in ``tz``), or the one
    holding ``period_end`` when given (see ``latest_period_end``); the plan shown is ``plan`` all the same.

    ``runs`` may be the whole library: only the period (and the 3 weeks before it, for the load mean) is
    aggregated. The same inputs always give the same bytes.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    period = Period.ending(period_end or today, weeks)
    week = weekly_summary(runs, period=period, tz=tz)
    period_runs = [r for r in runs if period.first_monday <= r.start_utc.astimezone(tz).date() < period.end]
    listed = {r.run_id: _run_label(r, tz) for r in period_runs}
    last_day = period.end - timedelta(days=1)
    first_week, last_week = iso_week(period.first_monday), iso_week(monday_of(period_end or today))
    span = f"{first_week} to {last_week}" if weeks > 1 else first_week
    title = f"stridelink report, {first_week} to {last_week}" if weeks > 1 else f"stridelink report, {first_week}"
    body = [
        (
            f'<header class="top"><div><h1>Running and ankle report</h1><p>{weeks} week{"s" if weeks != 1 else ""}: '
            f"{_esc(_day(period.first_monday))} – {_esc(_day(last_day))} (ISO weeks {span}) · "
            f"made {_esc(_day(today))}</p>"
            + (
                f'<p class="muted" id="period-note">No runs in the {weeks} weeks up to today: these are the {weeks}'
                f" weeks up to your latest run.</p>"
                if period_end is not None and monday_of(period_end) != monday_of(today)
                else ""
            )
            + "</div></header><main>"
        ),
        _summary_cards(week, period_runs),
        "<h2>Trends per week</h2>",
        (
            '<p class="muted">Each point is one ISO week (Monday to Sunday, local time). Grey columns are weeks '
            "without runs: gaps, not zeros.</p>"
        ),
        _charts(week),
        _week_table(week, period),
        _plan_section(plan, listed),
        _runs_section(period_runs, tz),
        _logs_section(logs, period),
        (
            "<footer>Made by stridelink from the runs in your library. The plan suggests exercises; it does not "
            "judge causes. Stop an exercise that hurts and seek professional advice for pain that persists."
            "</footer></main>"
        ),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="stridelink"><title>{_esc(title)}</title>'
        f"<style>{_CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def latest_period_end(runs: Sequence[Run], *, today: date, weeks: int, tz: tzinfo) -> date | None:
    """The day of the latest run when no run falls in the ``weeks`` weeks ending ``today`` (so a default report
    of a library whose runs are older shows them, not empty charts); None when some run does."""
    if not runs:
        return None
    latest = max(run.start_utc for run in runs).astimezone(tz).date()
    if latest >= Period.ending(today, weeks).first_monday:
        return None
    return latest
