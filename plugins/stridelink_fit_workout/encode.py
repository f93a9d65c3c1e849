"""Sessions as FIT workout files (garmin-fit-sdk's Encoder), and the week's files as one zip archive."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stridelink
from stridelink import SettingsError
from stridelink_fit_workout.exercises import fit_exercise
from stridelink_fit_workout.steps import Step, session_steps
from stridelink_fit_workout.text import NAME_MAX_BYTES, NOTES_MAX_BYTES, clip

MESG_FILE_ID = 0
MESG_WORKOUT = 26
MESG_WORKOUT_STEP = 27

# (sport, sub_sport) per choice of the [fit_workout] mobility_sport setting, for warm-ups and flows;
# ankle sessions are always strength workouts, the kind every Garmin with strength workouts runs.
STRENGTH = ("training", "strength_training")
MOBILITY_SPORTS = {
    "flexibility": ("training", "flexibility_training"),
    "strength": STRENGTH,
    "mobility": ("mobility", "generic"),  # FIT profile 21.1x+; older watches may not offer it
}
DEFAULT_MOBILITY_SPORT = "flexibility"


@dataclass(frozen=True, slots=True)
class WorkoutFile:
    name: str  # YYYY-MM-DD-<slot>.fit
    day: datetime
    data: bytes


def sport_for(session: stridelink.Session, settings: stridelink.Settings) -> tuple[str, str]:
    if session.kind == "ankle":
        return STRENGTH
    choice = str((settings.tables.get("fit_workout") or {}).get("mobility_sport", DEFAULT_MOBILITY_SPORT)).lower()
    if choice not in MOBILITY_SPORTS:
        raise SettingsError(
            f"[fit_workout] mobility_sport: {choice!r} is not one of {', '.join(MOBILITY_SPORTS)}"
        )
    return MOBILITY_SPORTS[choice]


def _serial(week: str, slot: str) -> int:
    """Stable per session, never 0 (uint32z's invalid value)."""
    return int.from_bytes(hashlib.sha256(f"{week}/{slot}".encode()).digest()[:4], "big") or 1


def _step_message(index: int, step: Step) -> dict[str, Any]:
    return {
        "mesg_num": MESG_WORKOUT_STEP,
        "message_index": index,
        "wkt_step_name": step.name,
        "duration_type": step.duration_type,
        "duration_value": step.duration_value,
        "target_type": "open",
        "target_value": step.target_value,
        "intensity": step.intensity,
        "notes": step.notes,
        "exercise_category": step.exercise_category,
        "exercise_name": step.exercise_name,
    }


def encode_session(week: str, slot: str, session: stridelink.Session, settings: stridelink.Settings) -> bytes:
    """One FIT workout file (type 5): file_id, workout, then one workout_step per step."""
    from garmin_fit_sdk import Encoder

    sport, sub_sport = sport_for(session, settings)
    steps = session_steps(session, fit_exercise)
    created = datetime(session.date.year, session.date.month, session.date.day, tzinfo=UTC)
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": MESG_FILE_ID,
            "type": "workout",
            "manufacturer": "development",
            "product": 0,
            "serial_number": _serial(week, slot),
            "time_created": created,  # the session's day, so re-exports are byte-identical
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": MESG_WORKOUT,
            "wkt_name": clip(session.title, NAME_MAX_BYTES),
            "sport": sport,
            "sub_sport": sub_sport,
            "num_valid_steps": len(steps),
            "wkt_description": clip(session.why, NOTES_MAX_BYTES) or None,
        }
    )
    for index, step in enumerate(steps):
        encoder.write_mesg(_step_message(index, step))
    return encoder.close()


def _slots(plan: stridelink.Plan) -> Iterator[tuple[str, stridelink.Session]]:
    """Each session with a slot unique in the week (``ankle-1``; a repeated slot gets ``-2``, ``-3``)."""
    seen: set[str] = set()
    for session in plan.sessions:
        slot = session.slot or session.kind
        candidate, n = slot, 1
        while f"{session.date}/{candidate}" in seen:
            n += 1
            candidate = f"{slot}-{n}"
        seen.add(f"{session.date}/{candidate}")
        yield candidate, session


def workout_files(plans: Sequence[stridelink.Plan], settings: stridelink.Settings) -> list[WorkoutFile]:
    files = []
    for plan in plans:
        for slot, session in _slots(plan):
            day = datetime(session.date.year, session.date.month, session.date.day)
            name = f"{session.date.isoformat()}-{slot}.fit"
            files.append(WorkoutFile(name, day, encode_session(plan.week, slot, session, settings)))
    return sorted(files, key=lambda f: f.name)


def write_zip(plans: Sequence[stridelink.Plan], context: stridelink.ExportContext) -> bytes:
    """The ``fit-workout`` exporter's ``write``: a zip of one ``.fit`` workout per session."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in workout_files(plans, context.settings):
            info = zipfile.ZipInfo(file.name, date_time=file.day.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, file.data)
    return out.getvalue()
