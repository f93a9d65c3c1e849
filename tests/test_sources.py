"""The imports runners actually do: gzipped files, Strava's and Garmin Connect's bulk exports, folders holding
pipes and links. Exports are built in tmp_path from corpus files at test time, in the layouts the services use.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.importer import import_paths
from stridelink.store.library import Library
from tests.conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

RUN_FIT = CORPUS / "workoutizer" / "2019-09-18-16-02-35.fit"
TRAIL_FIT = CORPUS / "stride" / "run_fr10.fit"
RUN_GPX = CORPUS / "togeojson" / "Friday-Evening-Run.gpx"
RUN_TCX = CORPUS / "runpandas" / "run_garmin.tcx"
RIDE_FIT = CORPUS / "stride" / "ride.fit"
ROUTE_GPX = CORPUS / "heartandsole" / "testdata.gpx"
OTHER_RUNS = (CORPUS / "workoutizer" / "2019-09-25-16-15-53.fit", CORPUS / "workoutizer" / "2020-08-31-17-41-11.fit",
              CORPUS / "runpandas" / "run.fit")  # fmt: skip

# Strava's activities.csv header (as exported, with its repeated column names).
STRAVA_HEADER = ["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
                 "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute", "Activity Private Note",
                 "Activity Gear", "Filename", "Athlete Weight", "Bike Weight", "Elapsed Time", "Moving Time",
                 "Distance"]  # fmt: skip


def _gz(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), mtime=0)


def _strava_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STRAVA_HEADER)
    for activity_id, name, kind, filename in rows:
        row = [""] * len(STRAVA_HEADER)
        row[0], row[1], row[2], row[3], row[12] = activity_id, "1 Jan 2020, 07:00:00", name, kind, filename
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


# What each activity of the Strava export should become.
STRAVA = [
    ("2811001", "Morning Run", "Run", "activities/2811001.fit.gz", RUN_FIT, True, "imported"),
    ("2811002", "Friday evening, easy", "Run", "activities/2811002.gpx", RUN_GPX, False, "imported"),
    ("2811003", "Park loops", "Run", "activities/2811003.tcx.gz", RUN_TCX, True, "imported"),
    ("2811004", "Forest trails", "Trail Run", "activities/2811004.FIT.GZ", TRAIL_FIT, True, "imported"),
    ("2811005", "Commute", "Ride", "activities/2811005.fit.gz", RIDE_FIT, True, "skipped"),
]


def strava_export(target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        rows = [(aid, name, kind, filename) for aid, name, kind, filename, *_ in STRAVA]
        rows.append(("2811006", "Treadmill, no file", "Run", ""))  # manual entries have no file
        zf.writestr("activities.csv", _strava_csv(rows))
        zf.writestr("profile.csv", b"Athlete ID,Email Address\n1,runner@example.com\n")
        for _, _, _, filename, source, gzipped, _ in STRAVA:
            zf.writestr(filename, _gz(source) if gzipped else source.read_bytes())
        zf.writestr("routes/1.gpx", ROUTE_GPX.read_bytes())  # a planned route, not a recording
        zf.writestr("media/photo.jpg", b"\xff\xd8\xff")
    return target


def garmin_export(target: Path) -> Path:
    """Garmin Connect's export: JSON everywhere and the original files in zips inside the zip."""
    parts = []
    for part, files in enumerate(((RUN_FIT, OTHER_RUNS[0]), (OTHER_RUNS[1], RUN_TCX, RIDE_FIT)), start=1):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as inner:
            for number, path in enumerate(files):
                inner.writestr(f"runner@example.com_{part}{number:08d}{path.suffix.lower()}", path.read_bytes())
        parts.append(buffer.getvalue())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("DI_CONNECT/DI-Connect-User/user_profile.json", b"{}")
        zf.writestr("DI_CONNECT/DI-Connect-Fitness/runner@example.com_0_summarizedActivities.json", b"[]")
        for part, data in enumerate(parts, start=1):
            zf.writestr(f"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part{part}.zip", data)
    return target


def _import_cli(*inputs: Path) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(cli, ["import", *map(str, inputs), "--json"])
    assert "Traceback" not in result.output
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def test_strava_bulk_export_imports_completely_with_names_types_and_ids(tmp_path: Path) -> None:
    export = strava_export(tmp_path / "export_12345678.zip")
    code, rows, _ = _import_cli(export)
    by_entry = {row["path"].split("!", 1)[1]: row for row in rows}
    assert code == 0
    for _, _, _, filename, _, _, status in STRAVA:
        assert by_entry[filename]["status"] == status, by_entry[filename]
    assert "Ride" in by_entry["activities/2811005.fit.gz"]["error"]
    assert by_entry["routes/1.gpx"]["status"] == "skipped" and "route" in by_entry["routes/1.gpx"]["error"]
    assert len(rows) == len(STRAVA) + 1  # profile.csv and the photo are no activity files: no lines
    with Library.open() as library:
        runs = {run.external_id: run for run in library.runs()}
    expected = {f"strava:{aid}": (name, kind) for aid, name, kind, *_, status in STRAVA if status == "imported"}
    assert set(runs) == set(expected)
    for external_id, (name, _) in expected.items():
        assert runs[external_id].title == name
    assert runs["strava:2811004"].sub_sport == "trail"  # "Trail Run" names what the file left generic
    assert runs["strava:2811001"].to_dict()["title"] == "Morning Run"

    again, rows2, _ = _import_cli(export)
    statuses = {row["path"]: row["status"] for row in rows2}
    assert again == 0
    for row in rows:
        assert statuses[row["path"]] == ("duplicate" if row["status"] == "imported" else row["status"])


def test_strava_export_unpacked_into_a_folder(tmp_path: Path) -> None:
    with zipfile.ZipFile(strava_export(tmp_path / "export.zip")) as zf:
        zf.extractall(tmp_path / "unpacked")
    with Library.open() as library:
        results = import_paths(library, [tmp_path / "unpacked"])
        titles = sorted(run.title or "" for run in library.runs())
    assert sorted(r.status for r in results) == ["imported"] * 4 + ["skipped"] * 2
    assert titles == sorted(name for _, name, _, *_, status in STRAVA if status == "imported")


def test_garmin_connect_export_imports_completely(tmp_path: Path) -> None:
    export = garmin_export(tmp_path / "garmin-export.zip")
    code, rows, _ = _import_cli(export)
    assert code == 0
    statuses = sorted((row["path"].rsplit("!", 1)[1][-7:], row["status"]) for row in rows)
    assert [s for _, s in statuses].count("imported") == 4 and [s for _, s in statuses].count("skipped") == 1
    assert all("UploadedFiles_0-_Part" in row["path"] for row in rows)
    again, rows2, _ = _import_cli(export)
    assert again == 0
    assert [r["status"] for r in rows2] == [("duplicate" if r["status"] == "imported" else r["status"]) for r in rows]


def test_the_summary_of_an_export_says_what_happened(tmp_path: Path) -> None:
    export = strava_export(tmp_path / "export.zip")
    result = CliRunner().invoke(cli, ["import", str(export)])
    assert result.exit_code == 0
    assert "4 imported, 0 duplicate, 2 skipped, 0 rejected" in result.stderr


def test_an_export_with_nothing_readable_is_not_a_success(tmp_path: Path) -> None:
    """Before gzip was read, Strava's export said "0 imported" with exit status 0."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("activities.csv", _strava_csv([]))
        zf.writestr("activities/1.json", b"{}")
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    code, rows, _ = _import_cli(archive, empty)
    assert code == 1
    assert [row["status"] for row in rows] == ["rejected", "rejected"]
    assert all("no activity files" in row["error"] for row in rows)


def test_gzipped_files_in_any_letter_case(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.fit.gz").write_bytes(_gz(RUN_FIT))
    (folder / "b.GPX.Gz").write_bytes(_gz(RUN_GPX))
    (folder / "c.Tcx.GZ").write_bytes(_gz(RUN_TCX))
    (folder / "notes.txt.gz").write_bytes(gzip.compress(b"hello"))
    code, rows, _ = _import_cli(folder, folder / "a.fit.gz")
    assert code == 0
    assert [(Path(r["path"]).name, r["status"]) for r in rows] == [
        ("a.fit.gz", "imported"), ("b.GPX.Gz", "imported"), ("c.Tcx.GZ", "imported"), ("a.fit.gz", "duplicate")]  # fmt: skip
    # the same bytes unzipped are the same file
    (tmp_path / "plain.fit").write_bytes(RUN_FIT.read_bytes())
    code, [row], _ = _import_cli(tmp_path / "plain.fit")
    assert row["status"] == "duplicate"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_named_pipe_called_run_fit_does_not_block(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "pipe.fit")
    os.mkfifo(tmp_path / "named.gpx.gz")
    (folder / "real.fit").write_bytes(RUN_FIT.read_bytes())
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(_import_cli(folder, tmp_path / "named.gpx.gz")),
                              daemon=True)  # fmt: skip
    worker.start()
    worker.join(60)
    assert outcome, "the import blocked on a named pipe"
    code, rows, _ = outcome[0]
    assert code == 1
    by_name = {Path(r["path"]).name: r for r in rows}
    assert by_name["real.fit"]["status"] == "imported"
    for name in ("pipe.fit", "named.gpx.gz"):
        assert by_name[name]["status"] == "rejected" and "named pipe" in by_name[name]["error"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this system")
def test_symlinked_files_are_followed_and_folder_links_not_looped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "link.fit").symlink_to(RUN_FIT)
    (folder / "broken.gpx").symlink_to(tmp_path / "gone.gpx")
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    code, rows, _ = _import_cli(folder)
    by_name = {Path(r["path"]).name: r for r in rows}
    assert by_name["link.fit"]["status"] == "imported"
    assert by_name["broken.gpx"]["status"] == "rejected" and "broken symbolic link" in by_name["broken.gpx"]["error"]
    assert code == 1 and len(rows) == 2
