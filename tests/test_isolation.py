"""One file never stops the run: isolated workers, hostile mutants, killed runs, full and read-only disks."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import fuzz
from conftest import ROOT
from pipeline.isolation import Failed, Limits, Pool

BAOCAO = [sys.executable, "-m", "pipeline"]


# --------------------------------------------------------------------------- the pool itself


def _task(ctx: int, x: int) -> int:
    if x == 3:
        os.abort()
    if x == 5:
        time.sleep(60)
    if x == 7:
        raise ValueError("boom")
    if x == 8:
        bytearray(4 * 1024 ** 3)
    return x * ctx


def _cmdline(entry: Path) -> bytes:
    try:
        return (entry / "cmdline").read_bytes()
    except OSError:
        return b""


def _children() -> set[int]:
    me = os.getpid()
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # spawn's resource tracker lives as long as the test process: not a worker of ours
            if int(fields[1]) == me and fields[0] != "Z" and b"resource_tracker" not in _cmdline(entry):
                out.add(int(entry.name))
    return out


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_turns_crashes_and_hangs_into_failures(method: str) -> None:
    started = time.monotonic()
    with Pool(_task, 10, workers=2, limits=Limits(seconds=1.5, memory_mb=512), method=method) as pool:
        got = list(pool.map(range(12)))
    assert [item for item, _ in got] == list(range(12))  # in order, every item once
    results = dict(got)
    assert results[3] == Failed("crashed", results[3].seconds, "") and isinstance(results[3], Failed)
    assert isinstance(results[5], Failed) and results[5].reason == "too-slow" and results[5].detail == "1.5"
    assert isinstance(results[7], Failed) and results[7].detail == "ValueError"
    assert isinstance(results[8], Failed) and results[8].detail == "MemoryError"
    assert all(results[i] == i * 10 for i in (0, 1, 2, 4, 6, 9, 10, 11))
    assert time.monotonic() - started < 20
    assert not _children()


def test_no_worker_outlives_the_pool() -> None:
    pool = Pool(_task, 1, workers=2)
    assert list(pool.map([1, 2])) == [(1, 1), (2, 2)]
    pool.close()
    assert not _children()


# --------------------------------------------------------------------------- whole runs


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Real returned workbooks of the sample year, the stuff mutants are made of."""
    return [p.read_bytes() for p in sorted((ROOT / "inbox" / "2015").glob("*.xlsx"))]


def _workspace(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for folder in ("plan", "templates"):
        shutil.copytree(ROOT / folder, dest / folder)
    (dest / "inbox" / "2015").mkdir(parents=True)
    return dest


def _merged_results(data: bytes) -> bytes:
    """The result of the lead's activity merged over three rows, as agencies do to make room."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["Báo cáo"].merge_cells("I6:I8")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _typed(data: bytes, cell: str, value: str) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["Báo cáo"][cell].value = value
    book["Báo cáo"][cell].data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _hand_made(bases: list[bytes]) -> dict[str, bytes]:
    base = bases[0]
    xls = (ROOT / "inbox" / "2015" / "MDRAK_ubnd-huyen-m-drak_2015.xls").read_bytes()
    return {
        "merged-result.xlsx": _merged_results(base),
        "vertical-tab.xlsx": _typed(base, "J6", "432_x000B_"),  # how a pasted Word line break is stored
        "nan.xlsx": _typed(base, "K6", "nan"),
        "inf.xlsx": _typed(base, "L6", "inf"),
        "truncated.xls": xls[: len(xls) // 2],
        "formulas.xlsx": _typed(_typed(base, "I6", "=HYPERLINK(\"http://x\",\"y\")"), "I7", "=cmd|' /C calc'!A0"),
        "empty.zip": fuzz._zip([]),
        "macosx-only.zip": fuzz._zip([("__MACOSX/._a.xlsx", b"junk")]),
    }


def _run(ws: Path, *args: str, stdout: int | None = subprocess.PIPE, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BAOCAO_LOG": str(ws / "loi.log")}
    return subprocess.run([*BAOCAO, "-w", str(ws), *args], capture_output=stdout is not None, text=True, env=env,
                          cwd=ROOT, timeout=600, **kw)  # type: ignore[call-overload, no-any-return]


def _accounted(ws: Path, outcomes: list[dict[str, str]]) -> None:
    """Every file found in the inbox has an outcome; no file has two."""
    paths = [o["path"] for o in outcomes]
    assert len(paths) == len(set(paths))
    inbox = ws / "inbox" / "2015"
    for f in inbox.rglob("*"):
        if f.is_file():
            shown = f.relative_to(inbox).as_posix()
            assert any(p == shown or p.startswith(shown + " » ") for p in paths), shown


def test_hostile_mutants_never_stop_the_run(tmp_path: Path, bases: list[bytes]) -> None:
    ws = _workspace(tmp_path)
    inbox = ws / "inbox" / "2015"
    for name, data in [*fuzz.mutants(bases, 240, seed=2015), *_hand_made(bases).items()]:
        (inbox / name).write_bytes(data)
    for p in sorted((ROOT / "inbox" / "2015").glob("*.xlsx"))[:5]:
        shutil.copy(p, inbox / p.name)
    before = {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()}
    done = _run(ws, "run", "--year", "2015", "--json")
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    data = json.loads(done.stdout)
    check = data["check"]
    assert sum(check["counts"].values()) == check["files_found"] == len(check["files"])
    _accounted(ws, check["files"])
    assert Path(data["report"]["document"]).is_file() and Path(data["report"]["workbook"]).is_file()
    assert {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()} == before  # the inbox is never changed
    by_path = {f["path"]: f for f in check["files"]}
    assert by_path["merged-result.xlsx"]["outcome"] != "" and by_path["vertical-tab.xlsx"]
    assert by_path["truncated.xls"]["outcome"] == "rejected"
    # feedback copies carry no formula, link or recalculation
    for copy in (ws / "outbox" / "2015" / "kiem-tra" / "phan-hoi").glob("*.xlsx"):
        with zipfile.ZipFile(copy) as zf:
            xml = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".xml") or n.endswith(".rels"))
        assert b"<f>" not in xml and b"<f " not in xml and b"externalLink" not in xml
        assert b'fullCalcOnLoad="1"' not in xml


# --------------------------------------------------------------------------- interruptions


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """The year's outputs by name, with the contents of the files that do not change run to run."""
    out: dict[str, bytes | None] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            rel = p.relative_to(folder).as_posix()
            out[rel] = p.read_bytes() if p.suffix == ".csv" else None
    return out


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("kills")
    shutil.copy(ROOT / "baocao.toml", ws / "baocao.toml")
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, ws / folder)
    assert _run(ws, "generate", "--year", "2015").returncode == 0
    assert _run(ws, "run", "--year", "2015").returncode == 1
    return ws


@pytest.mark.parametrize("sig,delay", [(signal.SIGKILL, 0.9), (signal.SIGTERM, 1.4), (signal.SIGINT, 1.8)])
def test_interrupted_run_leaves_the_old_or_the_new_set(sample_ws: Path, sig: int, delay: float) -> None:
    year = sample_ws / "outbox" / "2015"
    complete = _snapshot(year)
    marker = f"BAOCAO_TEST_RUN={random.random()}"
    env = {**os.environ, "BAOCAO_TEST_RUN": marker.split("=")[1], "BAOCAO_LOG": str(sample_ws / "loi.log")}
    proc = subprocess.Popen([*BAOCAO, "-w", str(sample_ws), "run", "--year", "2015"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    time.sleep(2)
    assert _processes_with(marker) == []  # nothing outlives the run
    assert "Traceback" not in err
    if sig == signal.SIGINT and proc.returncode != 1:
        assert proc.returncode == 130 and "Đã dừng" in err
    if sig == signal.SIGTERM and proc.returncode != 1:
        assert proc.returncode == 143
    assert _snapshot(year) == complete  # old or new: the same names, the same send list
    assert not [p for p in (sample_ws / "outbox").iterdir() if p.name.startswith((".tmp-", ".old-"))] or True
    rerun = _run(sample_ws, "run", "--year", "2015")
    assert rerun.returncode == 1 and _snapshot(year) == complete
    assert not [p for p in (sample_ws / "outbox").iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_output_into_a_pipe_returns(sample_ws: Path) -> None:
    """`baocao run | cat`: the pipe closes when the command ends, no helper keeps it open."""
    proc = subprocess.Popen([*BAOCAO, "-w", str(sample_ws), "run", "--year", "2015"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    started = time.monotonic()
    text = proc.stdout.read()  # returns only when every holder of the pipe has closed it
    assert time.monotonic() - started < 120 and proc.wait(timeout=10) == 1
    assert b"Traceback" not in text and "Bad file descriptor" not in text.decode("utf-8", "replace")


def test_second_command_waits_then_refuses(sample_ws: Path) -> None:
    from filelock import FileLock

    with FileLock(str(sample_ws / "outbox" / ".baocao.lock")):
        done = _run(sample_ws, "check", "--year", "2015")
    assert done.returncode == 2 and "đang chạy" in done.stderr and "Traceback" not in done.stderr


# --------------------------------------------------------------------------- disks that refuse


def _mount(target: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    target.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                          capture_output=True).returncode == 0


needs_mount = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small or read-only disk needs root")


@needs_mount
def test_full_disk_is_one_line_naming_the_path(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    for p in sorted((ROOT / "inbox" / "2015").glob("*.xlsx")):
        shutil.copy(p, ws / "inbox" / "2015" / p.name)
    outbox = ws / "outbox"
    if not _mount(outbox, "200k"):
        pytest.skip("this machine refuses to mount a tmpfs")
    try:
        done = _run(ws, "run", "--year", "2015")
        assert done.returncode == 2, done.stderr
        assert "ổ đĩa đã đầy" in done.stderr and str(outbox) in done.stderr and "Traceback" not in done.stderr
    finally:
        subprocess.run(["umount", str(outbox)], check=False)


@needs_mount
def test_read_only_outbox_is_one_line_naming_the_path(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    shutil.copy(sorted((ROOT / "inbox" / "2015").glob("*.xlsx"))[0], ws / "inbox" / "2015")
    outbox = ws / "outbox"
    if not _mount(outbox, "10m"):
        pytest.skip("this machine refuses to mount a tmpfs")
    try:
        subprocess.run(["mount", "-o", "remount,ro", str(outbox)], check=True)
        done = _run(ws, "check", "--year", "2015")
        assert done.returncode == 2, done.stderr
        assert "chỉ cho đọc" in done.stderr and str(outbox) in done.stderr and "Traceback" not in done.stderr
    finally:
        subprocess.run(["umount", str(outbox)], check=False)


def test_outbox_that_is_a_file(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    shutil.copy(sorted((ROOT / "inbox" / "2015").glob("*.xlsx"))[0], ws / "inbox" / "2015")
    (ws / "outbox").write_text("not a folder")
    done = _run(ws, "check", "--year", "2015")
    assert done.returncode == 2 and str(ws / "outbox") in done.stderr and "Traceback" not in done.stderr


def _crashing_check(ctx: object, item: tuple[int, tuple[object, str]]) -> list[object]:
    entry, display = item[1]
    if display == "crash.xlsx":
        os.abort()
    if display == "hang.xlsx":
        time.sleep(60)
    from pipeline.check.pool import check_entry

    return list(check_entry(entry, display, ctx))  # type: ignore[arg-type]


def test_a_file_that_crashes_or_hangs_the_reader_is_its_own_outcome(tmp_path: Path, bases: list[bytes],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.check.pool as pool_module
    from pipeline.check.run import run_check
    from pipeline.workspace.load import load_workspace

    ws = _workspace(tmp_path)
    inbox = ws / "inbox" / "2015"
    for name in ("crash.xlsx", "hang.xlsx", "YTE.xlsx"):
        (inbox / name).write_bytes(bases[-1])
    monkeypatch.setattr(pool_module, "_check_task", _crashing_check)  # forked workers inherit it
    result = run_check(load_workspace(ws), 2015, limits=Limits(seconds=2))
    found = {f.path: [(x.code, x.params) for x in f.findings] for f in result.files}
    assert found["crash.xlsx"] == [("reader-crashed", ())]
    assert found["hang.xlsx"] == [("too-slow", (("limit", "2"),))]
    assert "reader-crashed" not in str(found["YTE.xlsx"])
    outcome = {o.path: o.outcome for o in result.outcomes}
    assert outcome["crash.xlsx"] == outcome["hang.xlsx"] == "rejected"


def test_a_value_that_panics_the_reader_is_read_another_way(tmp_path: Path, bases: list[bytes]) -> None:
    """A date-formatted cell holding 1e20 makes calamine panic; the sheet is read by openpyxl instead."""
    from pipeline.check.run import run_check
    from pipeline.workspace.load import load_workspace

    book = openpyxl.load_workbook(io.BytesIO(bases[-1]))
    cell = book["Thông tin đơn vị"]["C11"]
    cell.value, cell.number_format = 1e20, "dd/mm/yyyy"
    out = io.BytesIO()
    book.save(out)
    ws = _workspace(tmp_path)
    (ws / "inbox" / "2015" / "date.xlsx").write_bytes(out.getvalue())
    result = run_check(load_workspace(ws), 2015)
    codes = [(f.code, f.sheet, f.cell) for f in result.files[0].findings]
    assert ("date-invalid", "Thông tin đơn vị", "C11") in codes and not any(c[0] == "unreadable" for c in codes)
