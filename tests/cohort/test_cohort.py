"""The cohort table on a real Dask cluster (two worker processes): it says what import, show and plan say of
the same files; a killed worker loses and duplicates nothing; a second build adds nothing; bad files are rows."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed", reason="the cohort extra (stridelink[cohort]) is not installed")
pytest.importorskip("pyarrow", reason="the cohort extra (stridelink[cohort]) is not installed")

import pandas as pd
import pyarrow.dataset as ds
from click.testing import CliRunner
from distributed import Client, LocalCluster

from stridelink.cli import cli
from stridelink.cli.cohort import cohort as cohort_cli
from stridelink.cohort import table
from stridelink.cohort.build import build
from stridelink.cohort.summary import read_table
from stridelink.cohort.tasks import analyse_files, finish_athlete
from stridelink.models import Signals
from tests.conftest import CORPUS, needs_corpus

pytestmark = [needs_corpus, pytest.mark.slow]  # a Dask cluster of two processes

START = datetime(2026, 9, 7, 6, 30, tzinfo=UTC)  # a Monday
ANA_RUNS = [("easy_road", 0), ("trail", 2), ("hill_repeats", 5), ("easy_road", 9), ("trail", 12),
            ("long_run", 16), ("hill_repeats", 19), ("track_intervals", 23)]
BEN_FILES = ["stride/run.fit", "stride/swim.fit", "runpandas/run.tcx", "python-fitparse/activity-small-fenix2-run.fit"]
BEN_EXPORT = ["runpandas/run.gpx", "runpandas/garmin_connect.gpx", "runpandas/malformed.tcx"]


@pytest.fixture(scope="module")
def client() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRIDELINK_LOAD_PLUGINS", "")  # the workers inherit it: built-in plugins only
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def squad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ana: eight synthetic runs over four weeks, a mobility session from the watch, one file twice;
    ben: real corpus files (a swim, a TCX) plus a bulk export zip holding a malformed file, and a broken file."""
    from stridelink.demo import simulator as synthetic

    root = tmp_path_factory.mktemp("squad")
    ana = root / "ana"
    ana.mkdir()
    for i, (kind, day) in enumerate(ANA_RUNS):
        run = synthetic.make_run(kind, START + timedelta(days=day), seed=i, duration_s=900)
        (ana / f"run-{i}.fit").write_bytes(synthetic.to_fit(run))
    shutil.copy(ana / "run-1.fit", ana / "copy-of-run-1.fit")
    (ana / "mobility.fit").write_bytes(synthetic.make_strength_session(START + timedelta(days=10, hours=10)))
    ben = root / "ben"
    ben.mkdir()
    for name in BEN_FILES:
        shutil.copy(CORPUS / name, ben / Path(name).name)
    (ben / "broken.fit").write_bytes(b"\x0e\x10junk that is not a FIT file")
    with zipfile.ZipFile(root / "cara.zip", "w") as export:
        for name in BEN_EXPORT:
            export.write(CORPUS / name, f"activities/{Path(name).name}")
    return root


@pytest.fixture(scope="module")
def built(client: Any, squad: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    out = tmp_path_factory.mktemp("table") / "cohort"
    return out, build([str(squad)], str(out), client=client, files_per_task=2)


def _rows(out: Path) -> Any:
    return read_table(str(out))


def _import(home: Path, athlete_path: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["import", str(athlete_path), "--json"], env={"STRIDELINK_HOME": str(home)})
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def _cli_json(home: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--json"], env={"STRIDELINK_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-12)
    return a == b


@pytest.mark.parametrize("athlete", ["ana", "ben", "cara"])
def test_table_says_what_import_show_and_plan_say(built: tuple[Path, list[Any]], squad: Path, tmp_path: Path,
                                                  athlete: str) -> None:
    out, _ = built
    frame = _rows(out)
    mine = frame[frame["athlete_id"] == athlete]
    source = squad / ("cara.zip" if athlete == "cara" else athlete)
    home = tmp_path / athlete
    imported = _import(home, source)

    # every file: a run row per run, or a skipped/rejected row with import's own reason
    run_ids = {rid for r in imported if r["status"] == "imported" for rid in r["run_ids"]}
    assert run_ids and set(mine.loc[mine["kind"] == "run", "run_id"]) == run_ids
    assert mine.loc[mine["kind"] == "run", "run_id"].is_unique
    refused = {r["path"]: (r["status"], r["error"]) for r in imported if r["status"] in ("skipped", "rejected")}
    rows = mine[mine["kind"].isin(["skipped", "rejected"])]
    assert dict(zip(rows["path"], zip(rows["kind"], rows["reason"], strict=True), strict=True)) == refused
    assert refused, "each athlete has a file that is refused"

    # each run: the fields and every signal of `show`, under the same names
    for row in mine[mine["kind"] == "run"].to_dict("records"):
        shown = _cli_json(home, "show", row["run_id"])
        assert datetime.fromisoformat(shown["start_utc"]) == row["start_utc"].to_pydatetime()
        for key in ("sport", "sub_sport", "distance_m", "duration_s", "source", "file_name", "device", "title",
                    "external_id"):
            assert _same(shown[key], None if pd.isna(row[key]) else row[key]), key
        assert set(shown["signals"]) <= set(frame.columns)
        for key, value in shown["signals"].items():
            cell = row[key]
            cell = None if cell is None or (isinstance(cell, float) and math.isnan(cell)) else cell
            cell = cell.item() if hasattr(cell, "item") else cell
            assert _same(value, cell), (row["run_id"], key, value, cell)

    # the plan: stage, adjustment kinds and session minutes of each week, as `plan --week W --json` gives them
    weeks = mine[mine["kind"] == "week"].sort_values("week_start").to_dict("records")
    assert weeks
    chosen = [weeks[0], weeks[-1]] + [w for w in weeks if len(w["adjustment_kinds"])][:10]
    if athlete == "ana":
        chosen = weeks
    for week in chosen:
        plan = _cli_json(home, "plan", "--week", week["week"])
        assert plan["stage"]["number"] == week["stage"] and plan["stage"]["name"] == week["stage_name"]
        assert [a["kind"] for a in plan["adjustments"]] == list(week["adjustment_kinds"]), week["week"]
        assert sum(s["duration_min"] for s in plan["sessions"]) == week["session_minutes"]
        assert len(plan["sessions"]) == week["sessions"]
    if athlete == "ana":  # the synthetic month changes the plan: the comparison is not of empty weeks
        assert any(len(w["adjustment_kinds"]) for w in weeks)


def test_reports_count_every_file(built: tuple[Path, list[Any]]) -> None:
    _, reports = built
    by_id = {r.athlete_id: r for r in reports}
    assert set(by_id) == {"ana", "ben", "cara"}
    ana = by_id["ana"]
    assert (ana.files, ana.runs, ana.skipped, ana.rejected, ana.duplicate) == (10, 8, 1, 0, 1)
    assert by_id["ben"].rejected == 1 and by_id["cara"].rejected == 1
    assert all(r.error is None for r in reports)


def test_the_table_reads_as_one_hive_dataset(built: tuple[Path, list[Any]]) -> None:
    out, _ = built
    assert sorted(p.name for p in out.iterdir()) == ["athlete_id=ana", "athlete_id=ben", "athlete_id=cara"]
    dataset = ds.dataset(out, format="parquet", partitioning="hive")
    frame = dataset.to_table(filter=ds.field("athlete_id") == "ana").to_pandas()
    assert set(frame["kind"]) == {"run", "skipped", "week"}
    signal_names = set(Signals.__dataclass_fields__)
    assert signal_names <= set(frame.columns) and {"athlete_id", "run_id"} <= set(frame.columns)
    session = frame[frame["kind"] == "skipped"].iloc[0]
    assert session["logged_session_min"] == 20.0  # the watch's mobility session counts for the plan


def test_a_second_build_adds_nothing_and_a_new_file_only_itself(
    client: Any, squad: Path, tmp_path: Path
) -> None:
    out = tmp_path / "table"
    build([str(squad)], str(out), client=client)
    before = {p: p.read_bytes() for p in out.rglob("*.parquet")}
    again = build([str(squad)], str(out), client=client)
    assert all(r.added == 0 and r.runs == 0 and r.known == r.files for r in again)
    assert {p: p.read_bytes() for p in out.rglob("*.parquet")} == before

    extra = squad.parent / "extra"
    shutil.copytree(squad / "ben", extra / "ben")
    (extra / "ben" / "walk.fit").write_bytes((CORPUS / "python-fitparse/garmin-fenix-5-walk.fit").read_bytes())
    third = {r.athlete_id: r for r in build([str(squad), str(extra)], str(out), client=client)}
    assert (third["ben"].added, third["ben"].runs, third["ben"].known) == (1, 1, 2 * 5), third["ben"]
    frame = _rows(out)
    ben = frame[(frame["athlete_id"] == "ben") & (frame["kind"] != "week")]
    assert ben["sha256"].notna().all() and len(ben) == 6 and ben["run_id"].dropna().is_unique
    assert {p: b for p, b in before.items() if "ben" not in str(p)} == {
        p: p.read_bytes() for p in out.rglob("*.parquet") if "ben" not in str(p)
    }


def test_a_worker_killed_mid_build_loses_and_duplicates_nothing(
    client: Any, squad: Path, built: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    out = tmp_path / "table"
    pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [address for address, keys in client.processing().items() if keys]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(pids[busy[0]])
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    reports = build([str(squad)], str(out), client=client, files_per_task=1)
    killer.join()
    assert killed, "no worker was busy to be killed"
    assert all(r.error is None for r in reports)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker

    def comparable(frame: Any) -> Any:
        keep = frame.drop(columns=["path"]).astype(str)
        return keep.sort_values(list(keep.columns)).reset_index(drop=True)

    got, expected = _rows(out), _rows(built[0])
    assert len(got) == len(expected)
    assert comparable(got).equals(comparable(expected))


def test_bad_files_are_rows_and_the_exit_status_says_so(client: Any, tmp_path: Path) -> None:
    squad = tmp_path / "squad"
    (squad / "dan").mkdir(parents=True)
    (squad / "dan" / "truncated.fit").write_bytes((CORPUS / "stride/run.fit").read_bytes()[:5000])
    (squad / "dan" / "empty.gpx").write_bytes(b"")
    (squad / "eve.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (squad / "fay").mkdir()
    shutil.copy(CORPUS / "stride/run.fit", squad / "fay" / "run.fit")
    (squad / "gus").symlink_to(squad / "fay", target_is_directory=True)  # an athlete's folder linked in
    out = tmp_path / "table"
    address = client.scheduler.address
    result = CliRunner().invoke(cohort_cli, ["build", str(squad), "--out", str(out), "--scheduler", address, "--json"])
    assert result.exit_code == 1, result.output
    lines = {d["athlete_id"]: d for d in map(json.loads, result.output.splitlines())}
    assert (lines["dan"]["rejected"], lines["eve"]["rejected"], lines["fay"]["rejected"]) == (2, 1, 0)
    frame = _rows(out)
    refused = frame[frame["kind"] == "rejected"]
    assert len(refused) == 3 and refused["reason"].str.len().gt(5).all()
    assert (frame["kind"] == "run").sum() == 2 and lines["gus"]["runs"] == 1

    summary = CliRunner().invoke(cohort_cli, ["summary", str(out), "--json"])
    assert summary.exit_code == 0, summary.output
    rows = {row["athlete_id"]: row for row in json.loads(summary.output)}
    assert rows["dan"]["runs"] == 0 and rows["dan"]["rejected"] == 2 and rows["fay"]["runs"] == 1

    usage = CliRunner().invoke(cohort_cli, ["build", str(tmp_path / "nowhere"), "--out", str(out)])
    assert usage.exit_code == 2


def test_a_csv_of_athletes_and_paths_gives_the_same_rows(client: Any, squad: Path, built: tuple[Path, list[Any]],
                                                         tmp_path: Path) -> None:
    listing = tmp_path / "athletes.csv"
    listing.write_text(f"athlete_id,path\nana,{squad / 'ana'}\nben,{squad / 'ben'}\n")
    out = tmp_path / "table"
    build([str(listing)], str(out), client=client)
    got, expected = _rows(out), _rows(built[0])
    expected = expected[expected["athlete_id"] != "cara"]
    assert sorted(got["run_id"].dropna()) == sorted(expected["run_id"].dropna())
    assert (got["kind"] == "week").sum() == (expected["kind"] == "week").sum()


def test_a_partition_is_replaced_whole_or_not_at_all(squad: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = str(tmp_path / "table")
    files = analyse_files(_sources(squad / "ben")[:2], frozenset())
    finish_athlete(out, "ben", files)
    part = tmp_path / "table" / "athlete_id=ben" / table.PART_FILE
    before = part.read_bytes()

    def dies_halfway(data: Any, where: Any, **_: Any) -> None:
        where.write(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(table.pq, "write_table", dies_halfway)
    with pytest.raises(OSError):
        finish_athlete(out, "ben", analyse_files(_sources(squad / "ben"), frozenset()))
    assert part.read_bytes() == before  # the old partition, whole
    leftover = list(part.parent.glob(".part-*"))
    assert leftover and len(ds.dataset(part.parent.parent, partitioning="hive").to_table()) > 0
    monkeypatch.undo()
    finish_athlete(out, "ben", analyse_files(_sources(squad / "ben"), frozenset()))
    assert not list(part.parent.glob(".part-*")) and part.read_bytes() != before


def _sources(folder: Path) -> list[Any]:
    from stridelink.cohort.athletes import Athlete, athlete_sources

    return athlete_sources(Athlete(folder.name, (str(folder),)))


def test_the_command_line_does_not_import_dask() -> None:
    modules = ("dask", "distributed", "fsspec", "pyarrow")
    code = f"import sys, stridelink.cli; sys.exit(any(m in sys.modules for m in {modules!r}))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_sources_on_any_fsspec_filesystem(squad: Path) -> None:
    """Object-store URLs go through fsspec: here its in-memory filesystem, read in this process."""
    import fsspec

    from stridelink.cohort.athletes import athlete_sources, find_athletes

    memory = fsspec.filesystem("memory")
    memory.pipe("/squad/ben/run.fit", (squad / "ben" / "run.fit").read_bytes())
    memory.pipe("/squad/ben/broken.fit", b"junk")
    memory.pipe("/squad/cara.zip", (squad / "cara.zip").read_bytes())
    try:
        athletes = find_athletes(["memory://squad"])
        assert [a.athlete_id for a in athletes] == ["ben", "cara"]
        rows = {athlete.athlete_id: analyse_files(athlete_sources(athlete), frozenset()) for athlete in athletes}
    finally:
        memory.rm("/squad", recursive=True)
    kinds = {a: sorted(r["kind"] for _, _, got in files for r in got or []) for a, files in rows.items()}
    assert kinds == {"ben": ["rejected", "run"], "cara": ["rejected", "run", "run"]}
    assert all(path.startswith("memory://") for files in rows.values() for path, _, _ in files)
