from __future__ import annotations

import re

import pytest
from garmin_fit_sdk import profile

from stridelink.errors import SettingsError
from stridelink.plan.programme import FOCUSES, load_programme, parse_programme
from tests.conftest import ROOT, SHARED

SEED = SHARED / "seed" / "ankle-mobility-progressions.txt"
PACKAGED = ROOT / "stridelink" / "data" / "programme.toml"

# Every drill the programme text names, in its own words.
SEED_DRILLS = [
    "seated ankle circles",
    "gentle ankle rocks",
    "side-to-side mobility and subtle rotation",
    "controlled ankle squats",
    "step-downs",
    "track your range using a wall or a mirror",
    "ankle dorsiflexion holds at the wall",
    "timed taps",
    "elevating the heel slightly on a wedge",
    "heel-to-toe transitions",
    "light toe curls",
    "controlled ankle arches across a tabletop with a resistance band",
    "agility ladders or line drills",
    "mini hops in place",
    "lateral hops",
    "forward skips",
    "single-leg stance with eyes closed",
    "foam pad or balance disk",
    "plank-to-heel progression",
    "resisted dorsiflexion with a padded band",
    "calf raises with controlled negatives",
    "balance challenges on one leg with the non-supporting leg extended",
    "toe-press drills",
    "hill or incline drags",
    "dorsiflexion slides",
    "hurdle step-down",
    "short, controlled changes of direction",
    "light running drills",
    "light calf activation",
]


@pytest.fixture(scope="module")
def programme():
    return load_programme()


def test_five_stages_in_order(programme):
    assert [s.number for s in programme.stages] == [1, 2, 3, 4, 5]
    assert [s.name for s in programme.stages] == [
        "Foundational range",
        "Controlled bodyweight and balance",
        "Dynamic strength and proprioception",
        "Plyometric-informed work",
        "Running-specific integration",
    ]


@pytest.mark.skipif(not SEED.exists(), reason="the programme text is not next to the project")
def test_drill_list_quotes_the_programme_text():
    text = re.sub(r"\s+", " ", SEED.read_text(encoding="utf-8").lower())
    missing = [phrase for phrase in SEED_DRILLS if phrase not in text]
    assert missing == []


def test_every_seed_drill_is_in_the_library(programme):
    sources = [source.lower() for e in programme.exercises.values() for source in e.sources]
    missing = [phrase for phrase in SEED_DRILLS if not any(phrase in source for source in sources)]
    assert missing == []


def test_library_records_are_complete(programme):
    for exercise in programme.exercises.values():
        assert exercise.focus in FOCUSES
        assert exercise.stages, exercise.key
        assert exercise.cue and exercise.name
        assert all(dose.strip() for _, dose in exercise.doses)


def test_plyometric_work_starts_at_stage_four(programme):
    plyometric = [e for e in programme.exercises.values() if e.plyometric]
    assert {e.key for e in plyometric} >= {"mini_hops_in_place", "lateral_hops", "forward_skips"}
    assert all(min(e.stages) >= 4 for e in plyometric)


def test_stage_lists_only_hold_exercises_of_that_stage(programme):
    for stage in programme.stages:
        for key in (*stage.ankle_core, *stage.warmup, *stage.flow):
            assert programme.exercises[key].allowed(stage.number), (stage.number, key)
        for key in stage.warmup:
            assert programme.exercises[key].warmup_dose


def test_fit_exercise_names_exist_in_the_fit_profile(programme):
    types = profile.Profile["types"]
    categories = set(types["exercise_category"].values())
    named = [e for e in programme.exercises.values() if e.fit_exercise]
    assert len(named) >= 8
    for exercise in named:
        fit = exercise.fit_exercise
        assert fit.category in categories, exercise.key
        assert fit.name in set(types[f"{fit.category}_exercise_name"].values()), exercise.key


def test_emphasis_rotates_by_iso_week(programme):
    rotation = [programme.week.emphasis(week) for week in range(1, 8)]
    assert rotation[:3] == ["dorsiflexion", "plantarflexion", "lateral"]
    assert rotation[3:6] == rotation[:3]


def test_advancement_criteria_are_data(programme):
    assert programme.advancement.sessions_per_week == 2
    assert programme.advancement.weeks == 3
    assert programme.regression.pain_threshold == 3


def test_a_coach_can_edit_the_file(tmp_path):
    text = PACKAGED.read_text(encoding="utf-8").replace('name = "Foundational range"', 'name = "Easy range"')
    path = tmp_path / "programme.toml"
    path.write_text(text, encoding="utf-8")
    assert load_programme(path).stage(1).name == "Easy range"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('focus = "mobility"', 'focus = "speed"', "exercises.seated_ankle_circles.focus"),
        ("number = 2", "number = 7", "stages[2].number"),
        ('ankle_core = ["ankle_rocks",', 'ankle_core = ["lateral_hops",', "has no dose for stage 1"),
        (
            'cadence = [["light_running_drills"]]',
            'cadence = [["moon_walk"]]',
            "'moon_walk' is not in the exercise",
        ),
        ("plyometric = true", 'plyometric = "yes"', "needs true or false"),
        ("pain_threshold = 3", "pain_threshold = -1", "regression.pain_threshold"),
        ('name = "Ankle mobility progression"', 'name = "unterminated', "programme.toml"),
    ],
)
def test_a_bad_file_names_the_problem(old, new, problem):
    text = PACKAGED.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(SettingsError, match=re.escape(problem)):
        parse_programme(text.replace(old, new, 1))


def test_unreadable_path_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="cannot read"):
        load_programme(tmp_path / "missing.toml")
