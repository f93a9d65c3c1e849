"""The plan answering what the athlete did: athletes built from generated watch files and entries logged through
the command line, each planned day by day."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.demo.simulator import make_run, to_fit, to_gpx

WEEK = "2026-W10"
MONDAY = date(2026, 3, 2)
FIRST = MONDAY - timedelta(weeks=9)  # nine weeks of sessions before: stage 4 (plyometric work) by W10
PLANS: list[dict] = []  # every plan the scenarios produced, for the last test


@lru_cache(maxsize=None)
def _file(kind: str, day: date, seed: int, fmt: str, balance: float, hour: int) -> bytes:
    start = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
    duration = {"hill_repeats": None, "long_run": 4200}.get(kind, 1500)
    run = make_run(kind, start, seed=seed, duration_s=duration, record_interval_s=5, gct_balance_left_pct=balance)
    return to_gpx(run) if fmt == "gpx" else to_fit(run)


class Athlete:
    def __init__(self, tmp_path: Path, *, settings: str = "") -> None:
        self.runner = CliRunner(env={"STRIDELINK_HOME": str(tmp_path / "library")})  # one library each
        self.folder = tmp_path / "watch"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.files: list[tuple[str, date, float, str, int]] = []
        self.ids: dict[str, str] = {}
        if settings:
            home = Path(self.cli("path").strip())
            home.mkdir(parents=True, exist_ok=True)
            (home / "settings.toml").write_text(settings)

    def cli(self, *args: str) -> str:
        result = self.runner.invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    def run(self, kind: str, day: date, *, balance: float = 50.0, fmt: str = "fit", hour: int = 7) -> None:
        self.files.append((kind, day, balance, fmt, hour))

    def weeks(self, first: date, last: date, days: dict[int, str], **kw: float) -> None:
        """Runs on ``days`` (weekday -> kind) of every week from ``first`` up to (not including) ``last``."""
        monday = first
        while monday < last:
            for weekday, kind in days.items():
                if monday + timedelta(days=weekday) < last:
                    self.run(kind, monday + timedelta(days=weekday), **kw)  # type: ignore[arg-type]
            monday += timedelta(weeks=1)

    def sessions(self, first: date, last: date, weekdays: Sequence[int] = (1, 4)) -> None:
        monday = first
        while monday < last:
            for weekday in weekdays:
                if monday + timedelta(days=weekday) < last:
                    self.cli("log", "session", "--minutes", "20", "--date", str(monday + timedelta(days=weekday)))
            monday += timedelta(weeks=1)

    def load(self) -> None:
        for i, (kind, day, balance, fmt, hour) in enumerate(self.files):
            name = f"{day.isoformat()}-{kind}-{i}.{fmt}"
            path = self.folder / name
            if not path.exists():
                path.write_bytes(_file(kind, day, (day.toordinal() * 7 + i) % 997, fmt, balance, hour))
        out = self.cli("import", str(self.folder), "--json")
        for line in out.splitlines():
            row = json.loads(line)
            assert row["status"] in ("imported", "duplicate"), row
            self.ids[Path(row["path"]).name] = row["run_id"]

    def plan(self, week: str = WEEK) -> dict:
        plan = json.loads(self.cli("plan", "--week", week, "--json"))
        PLANS.append(plan)
        return plan


def _stage4(tmp_path: Path, *, days: dict[int, str] | None = None, settings: str = "") -> Athlete:
    athlete = Athlete(tmp_path, settings=settings)
    athlete.weeks(FIRST, MONDAY, days or {0: "easy_road", 2: "easy_road", 5: "easy_road"})
    athlete.sessions(FIRST, MONDAY)
    return athlete


def _day(plan: dict, day: date) -> list[dict]:
    return [s for s in plan["sessions"] if s["date"] == day.isoformat()]


def _exercises(plan: dict, day: date) -> list[dict]:
    return [e for s in _day(plan, day) for e in s["exercises"]]


def _volume(plan: dict, day: date, *flags: str) -> int:
    total = 0
    for e in _exercises(plan, day):
        if set(flags) & set(e["flags"]):
            total += e["sets"] * (e["reps"] or e["seconds"] or 10) * (2 if e["per_side"] else 1)
    return total


def _kinds(plan: dict) -> dict[str, dict]:
    return {a["kind"]: a for a in plan["adjustments"]}


def _days(start: date, count: int) -> Iterable[date]:
    return (start + timedelta(days=i) for i in range(count))


# ----------------------------------------------------------------------------------------------- pain


@pytest.mark.slow  # weeks of simulated runs imported and planned
def test_pain_logged_today_changes_today_not_the_days_before(tmp_path) -> None:
    athlete = _stage4(tmp_path)
    athlete.weeks(MONDAY, MONDAY + timedelta(days=3), {0: "easy_road", 2: "easy_road"})
    athlete.load()
    before = athlete.plan()
    assert before["stage"]["number"] == 4
    assert any("plyometric" in e["flags"] for d in _days(MONDAY, 7) for e in _exercises(before, d))
    thursday = MONDAY + timedelta(days=3)
    athlete.cli("log", "pain", "5", "--side", "left", "--date", thursday.isoformat())
    after = athlete.plan()
    pain = _kinds(after)["pain"]
    assert pain["from"] == thursday.isoformat() and pain["log_ids"]
    for day in _days(MONDAY, 3):  # Monday to Wednesday: exactly as before
        assert _day(after, day) == _day(before, day)
    for day in _days(thursday, 4):
        assert all("plyometric" not in e["flags"] for e in _exercises(after, day)), day
        assert all(s["stage"] == 1 for s in _day(after, day))
    single_leg = [e for d in _days(thursday, 4) for e in _exercises(after, d) if "unilateral" in e["flags"]]
    assert single_leg and all("right side only" in e["dose"] for e in single_leg)
    assert any(n["kind"] == "safety" and "pain" in n["summary"].lower() for n in after["notes"])


# ----------------------------------------------------------------------------------------------- hills and trails


@pytest.mark.slow  # weeks of simulated runs imported and planned
def test_a_hill_session_mid_week_lightens_the_next_two_days(tmp_path) -> None:
    wednesday = MONDAY + timedelta(days=2)
    plain = _stage4(tmp_path / "plain")
    plain.weeks(MONDAY, MONDAY + timedelta(days=7), {0: "easy_road", 5: "easy_road"})
    plain.load()
    without = plain.plan()
    hilly = _stage4(tmp_path / "hilly")
    hilly.weeks(MONDAY, MONDAY + timedelta(days=7), {0: "easy_road", 5: "easy_road"})
    hilly.run("hill_repeats", wednesday)
    hilly.load()
    with_hill = hilly.plan()
    dial = _kinds(with_hill)["dial_back"]
    assert dial["run_ids"] == [hilly.ids[n] for n in hilly.ids if "hill_repeats" in n]
    assert dial["from"] == (wednesday + timedelta(days=1)).isoformat()
    for day in _days(wednesday + timedelta(days=1), 2):  # Thursday and Friday
        assert _volume(with_hill, day, "plyometric", "calf_load") < _volume(without, day, "plyometric", "calf_load")
        assert all("plyometric" not in e["flags"] for e in _exercises(with_hill, day))
    for day in (*_days(MONDAY, 3), *_days(MONDAY + timedelta(days=5), 2)):
        assert _day(with_hill, day) == _day(without, day), day
    assert with_hill["stage"]["number"] == without["stage"]["number"] == 4


@pytest.mark.slow  # weeks of simulated runs imported and planned
def test_a_trail_run_above_the_habit_adds_lateral_volume_for_the_rest_of_the_week(tmp_path) -> None:
    tuesday = MONDAY + timedelta(days=1)
    road = Athlete(tmp_path / "road")
    road.weeks(MONDAY - timedelta(weeks=5), MONDAY + timedelta(days=7), {0: "easy_road", 2: "easy_road", 5: "easy_road"})
    road.load()
    without = road.plan()
    trail = Athlete(tmp_path / "trail")
    trail.weeks(MONDAY - timedelta(weeks=5), MONDAY + timedelta(days=7), {0: "easy_road", 2: "easy_road", 5: "easy_road"})
    trail.run("trail", tuesday)
    trail.load()
    with_trail = trail.plan()
    lateral = _kinds(with_trail)["more_lateral"]
    assert lateral["from"] > tuesday.isoformat()
    assert "usual" in lateral["summary"]
    later = list(_days(tuesday + timedelta(days=1), 5))
    assert sum(_volume(with_trail, d, "lateral", "unilateral") for d in later) > sum(
        _volume(without, d, "lateral", "unilateral") for d in later)
    for day in _days(MONDAY, 2):
        assert _day(with_trail, day) == _day(without, day)


@pytest.mark.slow  # weeks of simulated runs imported and planned
@pytest.mark.parametrize("kind", ["trail", "hill_repeats"])
def test_habitual_trail_and_hill_runners_get_no_weekly_dial_back(tmp_path, kind) -> None:
    athlete = Athlete(tmp_path)
    athlete.weeks(MONDAY - timedelta(weeks=7), MONDAY + timedelta(weeks=3), {0: "easy_road", 2: kind, 5: "easy_road"})
    athlete.load()
    plans = [athlete.plan(f"2026-W{n:02d}") for n in (10, 11, 12)]
    for plan in plans:
        kinds = _kinds(plan)
        assert "dial_back" not in kinds and "more_lateral" not in kinds, plan["week"]
    if kind == "trail":
        for plan in plans:
            ankle = [s for s in plan["sessions"] if s["kind"] == "ankle"]
            assert all(any("lateral" in e["flags"] for e in s["exercises"]) for s in ankle)
            assert any(n["kind"] == "standing_lateral" for n in plan["notes"])
    else:
        assert any(n["kind"] == "hill_habit" for p in plans for n in p["notes"])


# ----------------------------------------------------------------------------------------------- contact-time balance


@pytest.mark.slow  # weeks of simulated runs imported and planned
def test_a_steady_imbalance_is_a_note_and_a_personal_shift_an_adjustment(tmp_path) -> None:
    steady = Athlete(tmp_path / "steady")
    steady.weeks(MONDAY - timedelta(weeks=5), MONDAY + timedelta(days=7), {0: "easy_road", 2: "easy_road", 5: "easy_road"},
                 balance=52.6)
    steady.load()
    plan = steady.plan()
    assert "unilateral" not in _kinds(plan)
    assert any(n["kind"] == "gct_balance" for n in plan["notes"])

    shifted = Athlete(tmp_path / "shifted")
    shifted.weeks(MONDAY - timedelta(weeks=5), MONDAY - timedelta(days=7), {0: "easy_road", 2: "easy_road", 5: "easy_road"},
                  balance=48.5)
    shifted.weeks(MONDAY - timedelta(days=7), MONDAY + timedelta(days=7), {0: "easy_road", 2: "easy_road", 5: "easy_road"},
                  balance=51.9)
    shifted.load()
    plan = shifted.plan()
    unilateral = _kinds(plan)["unilateral"]
    assert "usual" in unilateral["summary"] and unilateral["changes"]


# ----------------------------------------------------------------------------------------------- schedule


def test_five_ankle_days_in_a_row_never_load_consecutive_days(tmp_path) -> None:
    athlete = _stage4(tmp_path, settings='ankle_days = ["mon", "tue", "wed", "thu", "fri"]\n')
    athlete.load()
    plan = athlete.plan()
    ankle = [d for d in _days(MONDAY, 7) if any(s["kind"] == "ankle" for s in _day(plan, d))]
    assert len(ankle) == 5  # the settings are kept ...
    loaded = [d for d in ankle if _volume(plan, d, "plyometric")]
    assert len(loaded) >= 2 and all((b - a).days >= 2 for a, b in zip(loaded, loaded[1:], strict=False))
    light = [d for d in ankle if d not in loaded]  # ... and the days between carry lighter calf work
    assert light and all(_volume(plan, d, "calf_load") < _volume(plan, loaded[0], "calf_load") for d in light)
    schedule = _kinds(plan)["schedule"]
    assert "consecutive" in schedule["summary"] and schedule["changes"]


@pytest.mark.slow  # weeks of simulated runs imported and planned
def test_no_hops_the_day_before_the_habitual_long_run(tmp_path) -> None:
    athlete = _stage4(tmp_path, days={0: "easy_road", 2: "easy_road", 6: "long_run"},
                      settings='ankle_days = ["tue", "sat"]\n')
    athlete.weeks(MONDAY, MONDAY + timedelta(days=7), {0: "easy_road", 2: "easy_road", 6: "long_run"})
    athlete.load()
    plan = athlete.plan()
    saturday = MONDAY + timedelta(days=5)
    assert all("plyometric" not in e["flags"] for e in _exercises(plan, saturday))
    schedule = _kinds(plan)["schedule"]
    assert "long run" in schedule["summary"] and "Sun" in schedule["summary"]
    assert any("plyometric" in e["flags"] for e in _exercises(plan, MONDAY + timedelta(days=1)))


# ----------------------------------------------------------------------------------------------- breaks and GPX


@pytest.mark.slow  # weeks of simulated runs imported and planned
def test_after_three_weeks_off_a_stage_back_and_no_hops(tmp_path) -> None:
    athlete = _stage4(tmp_path)
    back = MONDAY + timedelta(weeks=3)
    athlete.weeks(back, back + timedelta(weeks=3), {0: "easy_road", 2: "easy_road", 5: "easy_road"})
    athlete.load()
    before_break = athlete.plan(WEEK)
    assert before_break["stage"]["number"] == 4
    weeks = [athlete.plan(f"2026-W{n:02d}") for n in (12, 13, 14, 15)]
    assert [p["stage"]["number"] for p in weeks] == [3, 3, 3, 3]  # one stage back, once
    assert "return" in _kinds(weeks[0]) and "14 days" not in _kinds(weeks[0])["return"]["summary"]
    for plan in weeks[:3]:
        assert all("plyometric" not in e["flags"] for s in plan["sessions"] for e in s["exercises"]), plan["week"]
    for plan in weeks:
        assert "hold" not in _kinds(plan), plan["week"]  # no false load spike after the break


def test_a_gpx_only_athlete_is_told_what_could_not_be_checked(tmp_path) -> None:
    athlete = Athlete(tmp_path)
    athlete.weeks(MONDAY - timedelta(weeks=4), MONDAY + timedelta(days=7), {0: "easy_road", 3: "easy_road"}, fmt="gpx")
    athlete.load()
    plan = athlete.plan()
    rules = {n["rule"] for n in plan["not_checked"]}
    assert "gct_imbalance" in rules
    assert all(n["why"] for n in plan["not_checked"])
    text = athlete.cli("plan", "--week", WEEK)
    assert "Not checked" in text


def test_the_first_weeks_of_a_history_raise_no_false_load_spike(tmp_path) -> None:
    athlete = Athlete(tmp_path)
    athlete.run("easy_road", MONDAY - timedelta(days=1))  # a lone Sunday run, then a normal week
    athlete.weeks(MONDAY, MONDAY + timedelta(weeks=2), {0: "easy_road", 2: "easy_road", 5: "easy_road"})
    athlete.load()
    for week in ("2026-W10", "2026-W11", "2026-W12"):
        assert "hold" not in _kinds(athlete.plan(week))


def test_a_side_behind_on_its_tests_gets_an_extra_set_there(tmp_path) -> None:
    athlete = Athlete(tmp_path)
    athlete.weeks(MONDAY - timedelta(weeks=4), MONDAY + timedelta(days=7), {0: "easy_road", 3: "easy_road"})
    athlete.load()
    saturday = str(MONDAY - timedelta(days=2))
    athlete.cli("log", "knee-to-wall", "--left", "12", "--right", "9.5", "--date", saturday)
    athlete.cli("log", "balance", "--left", "40", "--right", "38", "--date", saturday)  # within a quarter
    athlete.cli("log", "calf-raises", "--left", "14", "--right", "25", "--date", saturday)
    plan = athlete.plan()
    sides = {(a["kind"], tuple(c["after"] for c in a["changes"])[0]) for a in plan["adjustments"]
             if a["kind"] == "unilateral"}
    assert len(sides) == 2, plan["adjustments"]  # knee-to-wall (right behind) and calf raises (left behind)
    texts = " ".join(after for _, after in sides)
    assert "plus one set on the right" in texts and "single-leg set on the left" in texts
    assert all(a["log_ids"] for a in plan["adjustments"] if a["kind"] == "unilateral")


# ----------------------------------------------------------------------------------------------- every adjustment


@pytest.mark.slow  # reads the plans of the scenarios above, most of which are slow
def test_every_adjustment_in_every_scenario_names_its_changes() -> None:
    if not PLANS:
        pytest.skip("run with the scenarios above: no plan was made")
    kinds = set()
    for plan in PLANS:
        for adjustment in plan["adjustments"]:
            kinds.add(adjustment["kind"])
            assert adjustment["changes"], adjustment
            assert adjustment["from"] == min(c["date"] for c in adjustment["changes"])
            for change in adjustment["changes"]:
                assert change["before"] != change["after"]
    assert {"pain", "dial_back", "more_lateral", "schedule", "return", "unilateral"} <= kinds
