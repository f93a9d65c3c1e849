"""Hostile zip archives: nothing is written outside the library, every entry ends on one line, nothing crashes.

(tests/test_importer.py covers one zip-slip name, a symlink entry, an inner zip and an honest bomb; these go
further: crafted archives whose headers lie, damaged entries, and archives of thousands of entries.)
"""

from __future__ import annotations

import gzip
import json
import os
import stat
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink import paths
from stridelink.cli import cli
from tests.conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

RUN = CORPUS / "python-fitparse" / "garmin-fenix-5-run.fit"
GPX = CORPUS / "heartandsole" / "testdata.gpx"


def _import(*inputs: Path) -> tuple[int, list[dict]]:
    """``stridelink import --json``: the exit code and one parsed object per output line."""
    result = CliRunner().invoke(cli, ["import", *map(str, inputs), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert row["status"] in ("imported", "duplicate", "skipped", "rejected")
        if row["error"] is not None:
            assert "\n" not in row["error"] and row["error"].strip()
    return result.exit_code, rows


def _by_entry(rows: list[dict]) -> dict[str, dict]:
    return {row["path"].split("!", 1)[-1]: row for row in rows}


def _snapshot(root: Path, skip: Path) -> dict[str, int]:
    return {str(p): p.lstat().st_size for p in root.rglob("*") if not p.is_relative_to(skip)}


def _library_holds_only_its_own_files(home: Path) -> None:
    """Archived originals are named by their hash, never by a name from the archive."""
    for p in home.rglob("*"):
        rel = p.relative_to(home).as_posix()
        if p.is_dir():
            assert rel == "archive" or (rel.startswith("archive/") and len(p.name) == 2), rel
        elif not rel.startswith("stridelink.db"):
            folder, name = rel.split("/")[1:]
            assert rel.startswith("archive/") and name.startswith(folder) and len(name.split(".")[0]) == 64, (
                rel
            )
            assert not p.is_symlink()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, inside tmp_path, so a relative escape would land where the test can see it."""
    cwd = tmp_path / "deep" / "er" / "cwd"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    return cwd


# --- crafting ---------------------------------------------------------------------------------------------------


def _lying_zip(path: Path, name: str, chunks: int, claimed_size: int, *, crc_of_claimed: bool) -> None:
    """One deflated entry of ``chunks`` MB of zeros whose local and central headers claim ``claimed_size`` bytes.

    ``crc_of_claimed``: the CRC matches the first ``claimed_size`` bytes (a consistent lie), else the whole stream.
    """
    zeros = b"\0" * 2**20
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)  # a full flush makes blocks independent
    stream = block * chunks + packer.flush()
    crc = zlib.crc32(b"\0" * claimed_size) if crc_of_claimed else 0
    if not crc_of_claimed:
        for _ in range(chunks):
            crc = zlib.crc32(zeros, crc)
    encoded = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), claimed_size,
                        len(encoded), 0) + encoded  # fmt: skip
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(stream), claimed_size,
                          len(encoded), 0, 0, 0, 0, 0, 0) + encoded  # fmt: skip
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(stream), 0)
    path.write_bytes(local + stream + central + end)


# --- the tests --------------------------------------------------------------------------------------------------


def test_names_that_point_elsewhere_are_only_names(tmp_path: Path, workdir: Path, library_home: Path) -> None:
    run, gpx = RUN.read_bytes(), GPX.read_bytes()
    escape = f"/tmp/stridelink-zip-slip-{os.getpid()}.fit"
    names = {
        "../../../../escaped.fit": run,
        "a/../../../../escaped2.gpx": gpx,
        escape: (CORPUS / "python-fitparse" / "Activity.fit").read_bytes(),
        "..\\..\\windows.fit": run + b"",
        "C:\\Windows\\evil.gpx": gpx,
        "//server/share/unc.fit": run,
        "name\nwith newline.fit": run,
        "./././.fit.fit": run,
        "ok/plain.FIT": run,
    }
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in names.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    before = _snapshot(tmp_path, library_home)
    code, rows = _import(archive)
    assert len(rows) == len(names)
    assert _snapshot(tmp_path, library_home) == before
    assert not Path(escape).exists()
    statuses = [row["status"] for row in rows]
    assert statuses.count("imported") == 3  # the two runs and the GPX; the rest are duplicates of them
    assert code == (1 if "rejected" in statuses else 0)
    _library_holds_only_its_own_files(library_home)


def test_symlink_entries_are_never_followed(tmp_path: Path, workdir: Path, library_home: Path) -> None:
    archive = tmp_path / "links.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, target in (("abs.fit", str(RUN)), ("rel.gpx", "../../../../" + str(GPX)), ("dir.fit", "/etc"),
                             ("passwd.gpx", "/etc/passwd"), ("loop.fit", "loop.fit")):  # fmt: skip
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # unix, where the mode bits mean something
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    before = _snapshot(tmp_path, library_home)
    code, rows = _import(archive)
    assert code == 1
    assert [row["status"] for row in rows] == ["rejected"] * 5
    assert all("symbolic link" in row["error"] for row in rows)
    assert _snapshot(tmp_path, library_home) == before
    assert not paths.archive_path(library_home).exists() or not any(
        paths.archive_path(library_home).rglob("*.*")
    )


def _zip_of(path: Path, entries: dict[str, bytes | Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            if isinstance(data, Path):
                zf.write(data, name)
            else:
                zf.writestr(name, data)
    return path


def test_nested_archives_are_opened_to_a_bounded_depth(tmp_path: Path, workdir: Path, library_home: Path) -> None:
    from stridelink.sources import MAX_ARCHIVE_DEPTH

    assert MAX_ARCHIVE_DEPTH == 3
    inner = _zip_of(tmp_path / "inner.zip", {"run.fit": RUN})
    middle = _zip_of(tmp_path / "middle.zip", {"inner.zip": inner, "disguised.fit": inner, "disguised.gpx": inner})
    outer = _zip_of(tmp_path / "outer.zip", {"middle.ZIP": middle, "track.gpx": GPX})
    deeper = _zip_of(tmp_path / "deeper.zip", {"outer.zip": outer})
    before = _snapshot(tmp_path, library_home)
    scratch = set(Path(tempfile.gettempdir()).glob("stridelink-*.zip"))
    code, rows = _import(outer, deeper)
    entries = {row["path"]: row for row in rows}
    assert entries[f"{outer}!middle.ZIP!inner.zip!run.fit"]["status"] == "imported"  # three deep: read
    assert entries[f"{outer}!track.gpx"]["status"] == "imported"
    assert entries[f"{outer}!middle.ZIP!disguised.fit"]["status"] == "rejected"  # a zip named like a run
    assert entries[f"{outer}!middle.ZIP!disguised.gpx"]["status"] == "rejected"
    assert entries[f"{deeper}!outer.zip!track.gpx"]["status"] == "duplicate"
    too_deep = entries[f"{deeper}!outer.zip!middle.ZIP!inner.zip"]
    assert too_deep["status"] == "rejected" and "nested more than 3 deep" in too_deep["error"]
    assert code == 1 and len(rows) == 8
    assert _snapshot(tmp_path, library_home) == before  # temporary copies of inner archives are gone
    assert set(Path(tempfile.gettempdir()).glob("stridelink-*.zip")) <= scratch


def test_an_archive_containing_itself_ends(tmp_path: Path, workdir: Path) -> None:
    """A zip that holds copies of itself, nested as far as it goes: bounded by depth, one line each."""
    archive = _zip_of(tmp_path / "self.zip", {"run.fit": RUN})
    for _ in range(6):
        archive = _zip_of(tmp_path / f"self{_}.zip", {"self.zip": archive, "again.zip": archive})
    code, rows = _import(archive)
    assert code == 1
    assert all(row["status"] in ("imported", "duplicate", "rejected") for row in rows)
    assert len(rows) == 2 ** 3  # two copies per level, refused at the fourth level
    assert sum(row["status"] == "rejected" for row in rows) == 2 ** 3


def test_nested_archives_share_one_expansion_budget(tmp_path: Path, workdir: Path, monkeypatch) -> None:
    """Many inner archives, each modest, cannot add up past the bound for the whole input."""
    from stridelink import sources

    monkeypatch.setattr(sources, "MAX_EXPANDED_BYTES", 3 * 1024 * 1024)
    inner = _zip_of(tmp_path / "inner.zip", {f"{i}.gpx": b"\0" * 2**20 for i in range(2)})
    outer = _zip_of(tmp_path / "outer.zip", {f"part{i}.zip": inner for i in range(4)})
    code, rows = _import(outer)
    refused = [row for row in rows if row["status"] == "rejected" and "implausible size" in row["error"]]
    assert code == 1 and len(refused) >= 4  # the budget ran out partway; every entry still has its line


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


@pytest.mark.slow  # inflates gzip bombs to the limit
def test_gzip_bombs_are_read_only_to_the_limit(tmp_path: Path, workdir: Path, library_home: Path) -> None:
    """300 MB of zeros gzipped to 300 KB, as a file and inside a zip; and a trailer claiming a tiny size."""
    zeros = gzip.compress(b"\0" * (300 * 2**20), compresslevel=1, mtime=0)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bomb.fit.gz").write_bytes(zeros)
    (tmp_path / "in" / "liar.GPX.GZ").write_bytes(zeros[:-4] + (1000).to_bytes(4, "little"))
    _zip_of(tmp_path / "in" / "bombs.zip", {"activities/1.fit.gz": zeros, "activities/2.tcx.gz": zeros})
    before = _snapshot(tmp_path, library_home)
    code, rows = _import(tmp_path / "in")
    assert code == 1 and len(rows) == 4
    for row in rows:
        assert row["status"] == "rejected" and "MB" in row["error"], row
    assert _snapshot(tmp_path, library_home) == before


@pytest.mark.parametrize(
    "content, why",
    [
        (b"", "empty"),
        (b"\x1f\x8b\x08\x00" + b"\0" * 20, "truncated header"),
        (b"not gzip at all", "not gzip"),
        (None, "damaged deflate data"),
        (None, "truncated stream"),
    ],
)
def test_damaged_gzip_files_are_rejected(tmp_path: Path, workdir: Path, content: bytes | None, why: str) -> None:
    good = _gz(RUN.read_bytes())
    if why == "damaged deflate data":
        content = good[:40] + b"\xff" * 64 + good[104:]
    elif why == "truncated stream":
        content = good[: len(good) // 2]
    path = tmp_path / "run.fit.gz"
    path.write_bytes(content)  # type: ignore[arg-type]
    code, [row] = _import(path)
    assert code == 1 and row["status"] == "rejected", why


@pytest.mark.slow  # inflates 300 MB
def test_a_bomb_whose_headers_claim_a_small_size(tmp_path: Path, workdir: Path, library_home: Path) -> None:
    """300 MB of zeros deflated to 300 KB, the headers claiming 1,000 bytes: only what is claimed is ever read."""
    consistent, inconsistent = tmp_path / "bomb-a.zip", tmp_path / "bomb-b.zip"
    _lying_zip(consistent, "small.fit", 300, 1000, crc_of_claimed=True)
    _lying_zip(inconsistent, "small.gpx", 300, 1000, crc_of_claimed=False)
    assert zipfile.ZipFile(consistent).infolist()[0].file_size == 1000
    before = _snapshot(tmp_path, library_home)
    code, rows = _import(consistent, inconsistent)
    assert code == 1
    assert [row["status"] for row in rows] == ["rejected", "rejected"]
    assert _snapshot(tmp_path, library_home) == before


def test_a_bomb_claiming_nothing(tmp_path: Path, workdir: Path) -> None:
    archive = tmp_path / "zero.zip"
    _lying_zip(archive, "zero.fit", 50, 0, crc_of_claimed=True)
    code, [row] = _import(archive)
    assert code == 1 and row["status"] == "rejected" and row["error"] == "the file is empty"


def test_damaged_entries_are_rejected_without_stopping_the_others(tmp_path: Path, workdir: Path) -> None:
    run = RUN.read_bytes()
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("broken.fit", run)
        zf.writestr("fine.gpx", GPX.read_bytes())
    data = bytearray(archive.read_bytes())
    start = 30 + len("broken.fit")  # the first entry's deflated bytes follow its local header
    data[start + 100 : start + 140] = b"\xff" * 40
    archive.write_bytes(bytes(data))
    code, rows = _import(archive)
    entries = _by_entry(rows)
    assert entries["broken.fit"]["status"] == "rejected"
    assert entries["fine.gpx"]["status"] == "imported"
    assert code == 1


def test_an_entry_whose_checksum_is_wrong(tmp_path: Path, workdir: Path) -> None:
    archive = tmp_path / "crc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("run.fit", RUN.read_bytes())
    data = bytearray(archive.read_bytes())
    data[30 + len("run.fit") + 500] ^= 0x01  # stored bytes changed, CRC-32 in the headers not
    archive.write_bytes(bytes(data))
    code, [row] = _import(archive)
    assert code == 1 and row["status"] == "rejected"


def test_an_unsupported_compression_method(tmp_path: Path, workdir: Path) -> None:
    archive = tmp_path / "method.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("run.fit", RUN.read_bytes())
        zf.writestr("track.gpx", GPX.read_bytes())
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # first entry: method 9 (deflate64)
        at = data.index(signature)
        data[at + offset : at + offset + 2] = struct.pack("<H", 9)
    archive.write_bytes(bytes(data))
    code, rows = _import(archive)
    entries = _by_entry(rows)
    assert entries["run.fit"]["status"] == "rejected" and entries["track.gpx"]["status"] == "imported"
    assert code == 1


def test_thousands_of_entries(tmp_path: Path, workdir: Path, library_home: Path, monkeypatch) -> None:
    """Every entry gets its line; the archive's directory is read a few times, not once per entry (quadratic)."""
    reads = []
    real = zipfile.ZipFile._RealGetContents

    def counted(self: zipfile.ZipFile) -> None:
        reads.append(self.filename)
        real(self)

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", counted)
    archive = tmp_path / "many.zip"
    count = 1500
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(count):
            zf.writestr(f"watch/{i:05d}.fit", b"\x0e\x10" + i.to_bytes(4, "little"))
        zf.write(RUN, "watch/real.fit")
    reads.clear()
    code, rows = _import(archive)
    assert code == 1 and len(rows) == count + 1
    assert sum(row["status"] == "rejected" for row in rows) == count
    assert _by_entry(rows)["watch/real.fit"]["status"] == "imported"
    assert len(list(paths.archive_path(library_home).rglob("*.fit"))) == 1
    assert len(reads) <= 3, f"the zip directory was read {len(reads)} times"


def test_too_many_entries_is_one_rejection(tmp_path: Path, workdir: Path) -> None:
    from stridelink.importer import MAX_ZIP_MEMBERS

    archive = tmp_path / "too-many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(MAX_ZIP_MEMBERS + 1):
            zf.writestr(f"{i}.fit", b"")
    code, [row] = _import(archive)
    assert code == 1 and row["status"] == "rejected" and "too many" in row["error"]
