from __future__ import annotations

import io
import zipfile
from datetime import date

import fitparse
import pytest
from garmin_fit_sdk import Decoder, Stream
from garmin_fit_sdk.profile import Profile
from stridelink_fit_workout.dose import parse_dose

from stridelink.errors import SettingsError
from stridelink.models import Exercise, Plan, Session, Stage
from stridelink.plan.planner import plan_week
from stridelink.plan.programme import load_programme
from stridelink.settings import Settings

WEEK = "2026-W49"
EXERCISE_NAMES = Profile["types"]


@pytest.fixture
def fit(exporter_of):
    return exporter_of("stridelink_fit_workout")


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def decode(data: bytes) -> dict:
    """Both decoders must read the file; returns the Garmin SDK's messages."""
    stream = Stream.from_byte_array(bytearray(data))
    decoder = Decoder(stream)
    assert decoder.is_fit() and decoder.check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    parsed = fitparse.FitFile(data, check_crc=True)
    parsed.parse()
    (file_id,) = [m.get_values() for m in parsed.get_messages("file_id")]
    assert file_id["type"] == "workout"
    steps_fp = [m.get_values() for m in parsed.get_messages("workout_step")]
    assert [s["wkt_step_name"] for s in steps_fp] == [
        s["wkt_step_name"] for s in messages["workout_step_mesgs"]
    ]
    return messages


def exercises_of(steps: list[dict]) -> list[dict]:
    """What a watch walks through: per exercise its name, notes, per-set steps and number of sets."""
    out: list[dict] = []
    for step in steps:
        if step["duration_type"] == "repeat_until_steps_cmplt":
            target = next(e for e in out if e["first"] == step["duration_step"])
            target["sets"] = step["repeat_steps"]
            continue
        if step["intensity"] == "rest":
            continue
        base = step["wkt_step_name"].removesuffix(" - left").removesuffix(" - right")
        if out and out[-1]["name"] == base and step["wkt_step_name"].endswith(" - right"):
            out[-1]["steps"].append(step)
            continue
        out.append(
            {
                "name": base,
                "notes": step.get("notes", ""),
                "steps": [step],
                "sets": 1,
                "first": step["message_index"],
            }
        )
    return out


def library_plan(stage: int) -> Plan:
    """One session per stage holding every exercise of the library at that stage, with its dose."""
    programme = load_programme()
    exercises = tuple(e.at(stage) for e in programme.exercises.values() if e.allowed(stage))
    session = Session(date(2026, 12, 1), "Everything", 60, ("mobility",), exercises, slot="ankle-1")
    return Plan(WEEK, Stage(stage, "x"), (), (session,))


def test_registered_as_fit_workout_with_zip_suffix(fit):
    assert (fit.name, fit.suffix) == ("fit-workout", ".zip")


def test_one_fit_workout_per_session_named_by_day_and_slot(fit, context):
    plan = plan_week(WEEK, [], [], Settings(), [])
    files = unzip(fit.write([plan], context()))
    assert sorted(files) == sorted(f"{s.date.isoformat()}-{s.slot}.fit" for s in plan.sessions)
    assert len(files) == 7  # a session every day: two ankle sessions, the flow, four warm-ups
    for session in plan.sessions:
        messages = decode(files[f"{session.date.isoformat()}-{session.slot}.fit"])
        (workout,) = messages["workout_mesgs"]
        assert workout["wkt_name"] == session.title
        assert workout["sport"] == "training"
        assert workout["num_valid_steps"] == len(messages["workout_step_mesgs"])
        found = exercises_of(messages["workout_step_mesgs"])
        assert [e["name"] for e in found] == [e.name for e in session.exercises]
        assert [e["notes"].split(". ")[0] for e in found] == [e.dose for e in session.exercises]


def test_sub_sport_follows_the_session_kind_and_the_setting(fit, context):
    plan = plan_week(WEEK, [], [], Settings(), [])
    kinds = {s.slot: s.kind for s in plan.sessions}

    def sports(**settings) -> dict[str, tuple[str, str]]:
        files = unzip(fit.write([plan], context(**settings)))
        out = {}
        for name, data in files.items():
            (workout,) = decode(data)["workout_mesgs"]
            out[kinds[name[11:-4]]] = (workout["sport"], workout["sub_sport"])
        return out

    assert sports() == {
        "ankle": ("training", "strength_training"),
        "flow": ("training", "flexibility_training"),
        "warmup": ("training", "flexibility_training"),
    }
    assert sports(tables={"fit_workout": {"mobility_sport": "mobility"}})["flow"] == ("mobility", "generic")
    with pytest.raises(SettingsError, match="mobility_sport"):
        fit.write([plan], context(tables={"fit_workout": {"mobility_sport": "yoga-ish"}}))


def test_doses_become_reps_time_and_repeats(fit, plan, context):
    files = unzip(fit.write([plan], context()))
    rocks, raises = exercises_of(decode(files["2026-12-01-ankle-1.fit"])["workout_step_mesgs"])
    assert (rocks["name"], rocks["sets"]) == ("Knee-to-wall rocks", 2)
    assert [(s["duration_type"], s["duration_reps"]) for s in rocks["steps"]] == [("reps", 10)]
    assert (raises["sets"], raises["steps"][0]["duration_reps"]) == (3, 12)

    stance, hops = exercises_of(decode(files["2026-12-04-ankle-2.fit"])["workout_step_mesgs"])
    # timed and per side: the watch times each side
    assert [(s["wkt_step_name"], s["duration_time"]) for s in stance["steps"]] == [
        ("Single-leg stance - left", 30.0),
        ("Single-leg stance - right", 30.0),
    ]
    assert stance["sets"] == 3
    assert (hops["sets"], hops["steps"][0]["duration_reps"]) == (2, 8)

    (circles,) = exercises_of(decode(files["2026-12-06-flow.fit"])["workout_step_mesgs"])
    assert (circles["sets"], circles["steps"][0]["duration_reps"]) == (1, 10)


def test_sets_are_separated_by_a_rest_the_lap_key_ends(fit, plan, context):
    steps = decode(unzip(fit.write([plan], context()))["2026-12-01-ankle-1.fit"])["workout_step_mesgs"]
    assert [(s["duration_type"], s["intensity"]) for s in steps[:3]] == [
        ("reps", "active"),
        ("open", "rest"),
        ("repeat_until_steps_cmplt", "active"),
    ]
    assert (steps[2]["duration_step"], steps[2]["repeat_steps"]) == (0, 2)
    assert steps[3]["message_index"] == 3 and steps[5]["duration_step"] == 3  # the next block loops to itself


@pytest.mark.parametrize("stage", [1, 2, 3, 4, 5])
def test_every_library_dose_at_every_stage_reaches_the_watch(fit, context, stage):
    plan = library_plan(stage)
    (data,) = unzip(fit.write([plan], context())).values()
    steps = decode(data)["workout_step_mesgs"]
    found = exercises_of(steps)
    session = plan.sessions[0]
    assert [e["name"].split(" ")[0] for e in found] == [e.name.split(" ")[0] for e in session.exercises]
    for exercise, shown in zip(session.exercises, found, strict=True):
        dose = parse_dose(exercise.dose)
        assert shown["notes"].startswith(exercise.dose)
        assert shown["sets"] == dose.sets
        step = shown["steps"][0]
        if dose.unit == "reps":
            assert step["duration_reps"] == dose.amount
        elif dose.unit == "s":
            assert step["duration_time"] == dose.amount
        else:
            assert step["duration_type"] == "open"
    for step in steps:
        assert len(step["wkt_step_name"].encode()) <= 48
        assert len(step.get("notes", "").encode()) <= 254


def test_fit_exercise_names_come_from_the_programme(fit, context):
    files = unzip(fit.write([library_plan(3)], context()))
    steps = decode(next(iter(files.values())))["workout_step_mesgs"]
    by_name = {s["wkt_step_name"]: s for s in steps if s["intensity"] == "active"}
    circles = by_name["Seated ankle circles"]
    assert circles["exercise_category"] == "warm_up"
    assert EXERCISE_NAMES["warm_up_exercise_name"][circles["exercise_name"]] == "ankle_circles"
    band = by_name["Resisted dorsiflexion with a padded band"]
    assert EXERCISE_NAMES["warm_up_exercise_name"][band["exercise_name"]] == "ankle_dorsiflexion_with_band"
    # stage 3 calf raises are single-leg: the FIT name says so
    raises = by_name["Calf raises with controlled negatives"]
    assert raises["exercise_category"] == "calf_raise"
    assert (
        EXERCISE_NAMES["calf_raise_exercise_name"][raises["exercise_name"]]
        == "single_leg_standing_calf_raise"
    )
    # no FIT match in the profile: no category, the step name carries it
    toe_curls = by_name["Toe curls"]
    assert "exercise_category" not in toe_curls and "exercise_name" not in toe_curls


def test_lateral_hops_are_a_plyo_lateral_leap(fit, context):
    hops = load_programme().exercises["lateral_hops"].at(4)
    session = Session(date(2026, 12, 1), "Hops", 10, ("lateral",), (hops,), slot="ankle-1")
    (data,) = unzip(fit.write([Plan(WEEK, Stage(4, "x"), (), (session,))], context())).values()
    step = decode(data)["workout_step_mesgs"][0]
    assert step["exercise_category"] == "plyo"
    assert EXERCISE_NAMES["plyo_exercise_name"][step["exercise_name"]] == "lateral_leap_and_hop"


def test_long_texts_are_cut_at_a_character_within_the_field_limit(fit, plan, replan, context):
    cue = "Ü" * 400  # two bytes each
    long = Exercise("Knöchelkreise " * 10, "2 x 10 each side", "mobility", cue=cue)
    changed = replan(plan, "ankle-1", title="Sprunggelenk " * 20, exercises=(long,), why="ä" * 300)
    messages = decode(unzip(fit.write([changed], context()))["2026-12-01-ankle-1.fit"])
    (workout,) = messages["workout_mesgs"]
    step = messages["workout_step_mesgs"][0]
    assert workout["wkt_name"].startswith("Sprunggelenk") and workout["wkt_name"].endswith("…")
    assert len(workout["wkt_name"].encode()) <= 48
    assert step["notes"].startswith("2 x 10 each side. ÜÜ") and len(step["notes"].encode()) <= 254
    assert len(workout["wkt_description"].encode()) <= 254


def test_a_session_without_exercises_is_one_open_step(fit, plan, replan, context):
    empty = replan(plan, "flow", exercises=())
    steps = decode(unzip(fit.write([empty], context()))["2026-12-06-flow.fit"])["workout_step_mesgs"]
    assert [(s["wkt_step_name"], s["duration_type"]) for s in steps] == [("Mobility flow", "open")]


def test_exporting_twice_gives_the_same_bytes(fit, make_plan, context):
    plans = [make_plan("2026-W49"), make_plan("2026-W50")]
    first = fit.write(plans, context())
    assert fit.write(plans, context()) == first
    assert len(unzip(first)) == 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 x 10 each direction, each foot", (2, 10, "reps", True)),
        ("3 x 20 s per side", (3, 20, "s", True)),
        ("3 x 10 single leg off a step, 3 s down", (3, 10, "reps", False)),
        ("4 x 15 m", (4, 15, "m", False)),
        ("1 x 2 min", (1, 120, "s", False)),
        ("10 each way", (1, 10, "reps", False)),
        ("3 tries per side, note the best distance", (1, 3, "reps", True)),
        ("as long as it feels easy", (1, 0, None, False)),
    ],
)
def test_dose_parsing(text, expected):
    dose = parse_dose(text)
    assert (dose.sets, dose.amount, dose.unit, dose.per_side) == expected
