"""Benchmark the check against the naive loop and the floor, on N agencies' returns; write RESULTS.md.

    .venv/bin/python benchmarks/run.py                      # N = 50, 500, 5000 (corpus built once, cached)
    .venv/bin/python benchmarks/run.py --sizes 50,500       # quicker
    .venv/bin/python benchmarks/run.py --sizes 50 --out /tmp/r.md

One invocation runs every case side by side on the same cached files (benchmarks/make_corpus.py).
Each case runs in a fresh child process, so that its imports and its peak memory are its own;
the peak is that of the whole process tree (the check's worker processes included), sampled
every 20 ms from /proc, and never less than the child's own kernel-recorded peak. Times are
measured inside the child around the work itself (start-up excluded) unless the case is a
`baocao` command, which is timed from outside, start-up included.

Cases:
  (a) naive   pd.concat(pd.read_excel(f, sheet_name="Báo cáo", header=3, engine="openpyxl") for f in
              files): what a Python user would write; no checks. openpyxl reads only .xlsx, so it
              gets the .xlsx files; ratios are per file.
  (b) floor   python-calamine reading each file's "Báo cáo" sheet to rows, nothing else.
  (c) check   pipeline.check.run_check (walk, unpack, guard, identify, rules, outcomes) and the
              merged DataFrames, default workers (one per core); again with one worker.
      outputs what `baocao check` writes next: the check workbook, feedback copies (openpyxl),
              e-mail drafts; timed apart.
  (d) report  `baocao report --year 2015` (it checks the year again, then writes the summary
              workbook and the Word report), start-up included.
  (e) generate `pipeline.generate.generate` for the N agencies (workbooks, drafts, send list).
Plus `baocao --help` start-up and `baocao run --year 2015` on the sample workspace.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_corpus  # noqa: E402

YEAR = make_corpus.YEAR
BIN = Path(sys.executable).parent
BAOCAO = str(BIN / "baocao") if (BIN / "baocao").exists() else "baocao"
SHEET = "Báo cáo"
SPREADSHEETS = (".xlsx", ".xls", ".ods", ".xlsm")

# Targets of issue 6, at 5,000 files on 2 cores.
TARGET_VS_NAIVE = 10.0  # check + merge at least 10x faster than (a)
TARGET_VS_FLOOR = 2.0  # ... and within 2x of (b)
TARGET_RSS_MB = 500.0
TARGET_RUN_S = 3.0  # sample workspace `baocao run`, start-up included
TARGET_GENERATE_MS = 10.0  # per workbook


# --------------------------------------------------------------------------- child cases


def _files(ws: Path, suffixes: tuple[str, ...]) -> list[Path]:
    inbox = ws / "inbox" / str(YEAR)
    return sorted(p for p in inbox.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def _phase(phases: list[list[Any]], name: str) -> None:
    now = time.time()
    if phases:
        phases[-1][2] = now
    phases.append([name, now, now])


def case_naive(ws: Path) -> dict[str, Any]:
    import pandas as pd

    files = _files(ws, (".xlsx",))
    cpu, started = _cpu(), time.perf_counter()
    frame = pd.concat(pd.read_excel(f, sheet_name=SHEET, header=3, engine="openpyxl") for f in files)
    return {"files": len(files), "seconds": time.perf_counter() - started, "cpu_s": _cpu() - cpu, "rows": len(frame)}


def case_floor(ws: Path) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    files = _files(ws, SPREADSHEETS)
    cpu, started = _cpu(), time.perf_counter()
    rows = 0
    for f in files:
        rows += len(CalamineWorkbook.from_path(str(f)).get_sheet_by_name(SHEET).to_python())
    return {"files": len(files), "seconds": time.perf_counter() - started, "cpu_s": _cpu() - cpu, "rows": rows}


def case_check(ws: Path, workers: int | None, outputs: bool) -> dict[str, Any]:
    from pipeline.check.run import run_check
    from pipeline.workspace.load import load_workspace

    phases: list[list[Any]] = []
    _phase(phases, "load")
    t0 = time.perf_counter()
    workspace = load_workspace(ws)
    t1 = time.perf_counter()
    _phase(phases, "check")
    cpu = _cpu()
    result = run_check(workspace, YEAR, workers=workers)
    t2 = time.perf_counter()
    from pipeline.consolidate.merge import merge

    merged = merge(result.counted(), workspace.plan)
    t3 = time.perf_counter()
    out: dict[str, Any] = {
        "files": len(result.files), "load_s": t1 - t0, "check_s": t2 - t1, "merge_s": t3 - t2, "cpu_s": _cpu() - cpu,
        "seconds": t3 - t1, "rows": len(merged.rows), "counts": {o: result.count(o) for o in
                                                              sorted({x.outcome for x in result.outcomes})},
        "findings": len(result.findings()), "feedback_files": len(result.sources),
    }
    if outputs:
        _phase(phases, "outputs")
        out.update(_outputs(workspace, result))
    _phase(phases, "end")
    out["phases"] = phases[:-1]
    return out


def _outputs(workspace: Any, result: Any) -> dict[str, Any]:
    """`baocao check`'s outputs, with the check workbook, feedback copies and drafts timed apart."""
    import pipeline.outputs.check_outputs as co

    spent = {"workbook": 0.0, "feedback": 0.0, "drafts": 0.0}

    def timed(key: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                spent[key] += time.perf_counter() - started
        return wrapper

    co.write_check_workbook = timed("workbook", co.write_check_workbook)  # type: ignore[attr-defined]
    co.write_feedback_copy = timed("feedback", co.write_feedback_copy)  # type: ignore[attr-defined]
    co.write_eml = timed("drafts", co.write_eml)  # type: ignore[attr-defined]
    started = time.perf_counter()
    written = co.write_check_outputs(workspace, result)
    total = time.perf_counter() - started
    folder = workspace.settings.outbox(result.year) / "kiem-tra"
    copies = len(list((folder / "phan-hoi").glob("*.xlsx"))) if (folder / "phan-hoi").is_dir() else 0
    drafts = len(list((folder / "thu").glob("*.eml"))) if (folder / "thu").is_dir() else 0
    return {"outputs_s": total, "workbook_s": spent["workbook"], "feedback_s": spent["feedback"],
            "drafts_s": spent["drafts"], "other_outputs_s": total - sum(spent.values()), "copies": copies,
            "drafts": drafts, "written": len(written)}


def case_generate(ws: Path) -> dict[str, Any]:
    from pipeline.generate.workbooks import generate
    from pipeline.workspace.load import load_workspace

    workspace = load_workspace(ws)
    with tempfile.TemporaryDirectory() as tmp:
        cpu, started = _cpu(), time.perf_counter()
        result = generate(workspace, YEAR, out_dir=Path(tmp))
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    return {"files": len(result.workbooks), "seconds": seconds, "cpu_s": cpu, "setup_ms": result.setup_ms,
            "workbook_ms": result.workbook_ms, "email_ms": result.email_ms}


def case_profile(ws: Path, out: Path) -> dict[str, Any]:
    """The check and merge on one worker under cProfile; the stats file goes to `out`."""
    from pipeline.check.run import run_check
    from pipeline.workspace.load import load_workspace

    workspace = load_workspace(ws)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = run_check(workspace, YEAR, workers=1)
    from pipeline.consolidate.merge import merge

    _ = merge(result.counted(), workspace.plan)
    profiler.disable()
    profiler.dump_stats(str(out))
    return {"files": len(result.files), "seconds": time.perf_counter() - started}


def _cpu() -> float:
    """CPU seconds of this process and of its children already reaped (the check's workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Stages:
    """Exclusive wall time per stage: wraps functions so nested stages are not counted twice."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[float] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name, None)
        if fn is None:
            return  # renamed since: the stage is counted in "other"

        def timed(*args: Any, **kw: Any) -> Any:
            started = time.perf_counter()
            self._stack.append(0.0)
            try:
                return fn(*args, **kw)
            finally:
                spent = time.perf_counter() - started
                inner = self._stack.pop()
                self.spent[label] = self.spent.get(label, 0.0) + spent - inner
                self.calls[label] = self.calls.get(label, 0) + 1
                if self._stack:
                    self._stack[-1] += spent

        setattr(owner, name, timed)

    def run(self, label: str, fn: Any) -> Any:
        holder = type("Holder", (), {"fn": staticmethod(fn)})
        self.wrap(holder, "fn", label)
        return getattr(holder, "fn")()


def case_stages(ws: Path) -> dict[str, Any]:
    """Where the time of one worker goes, per stage of the check (exclusive times)."""
    import pipeline.check.run as check
    import pipeline.read.book as reader
    import pipeline.intake.unpack as unpack
    from pipeline.workspace.load import load_workspace

    stages = Stages()
    stages.wrap(unpack, "sniff", "sniff the real type (guard.py)")
    stages.wrap(unpack, "check", "guard: bound zip, XML, cells (guard.py)")
    stages.wrap(reader.Book, "__init__", "open workbook (reader.py: python-calamine)")
    stages.wrap(reader.Book, "rows", "read sheets to rows (reader.py: python-calamine)")
    stages.wrap(reader, "_formula_parts", "formula cells: read sheet XML (reader.py)")
    stages.wrap(reader, "_scan_formulas", "formula cells: scan (reader.py)")
    stages.wrap(check, "identify", "identify agency and year (identify.py)")
    stages.wrap(check, "check_workbook", "rules: rows, values, text (rules.py, values.py, text.py)")
    stages.wrap(check, "_meta_findings", "assignments fingerprint (check._meta_findings, layout.py)")
    stages.wrap(check, "_content_hash", "content hash (check._content_hash)")
    stages.wrap(check, "select", "outcomes (select.py)")
    stages.wrap(check, "agency_status", "agency status (check.agency_status)")
    workspace = load_workspace(ws)
    started = time.perf_counter()
    result = check.run_check(workspace, YEAR, workers=1)
    checked = time.perf_counter() - started
    stages.run("merged tables (merge.py, pandas import included)", lambda: result.merged)
    total = time.perf_counter() - started
    accounted = sum(stages.spent.values())
    rows = sorted(stages.spent.items(), key=lambda kv: -kv[1])
    rows.append(("other: walk, read files, members, results (check.py, unpack.py)", total - accounted))
    return {"files": len(result.files), "seconds": total, "check_s": checked,
            "stages": [(label, spent, stages.calls.get(label, 0)) for label, spent in rows]}


def case_phases(ws: Path) -> dict[str, Any]:
    """`baocao run --year 2015` done step by step in one process, each step timed (exclusive)."""
    started = time.perf_counter()
    stages = Stages()
    stages.run("import pipeline.cli.main (click)", lambda: __import__("pipeline.cli.main"))
    stages.run("import pandas", lambda: __import__("pandas"))
    stages.run("import openpyxl", lambda: __import__("openpyxl"))
    stages.run("import check_outputs (openpyxl styles, xlsx helpers)", lambda: __import__("pipeline.outputs.check_outputs"))
    stages.run("import report modules (docx, docxtpl)", lambda: [__import__(m) for m in (
        "pipeline.cycle", "pipeline.outputs.word.context", "pipeline.outputs.summary_workbook", "pipeline.outputs.word.render")])
    import pipeline.check.run as check
    import pipeline.outputs.check_outputs as outputs
    import pipeline.cycle as report
    import pipeline.outputs.word.context as context
    import pipeline.outputs.summary_workbook as summary
    import pipeline.outputs.word.render as word
    from pipeline.workspace.load import load_workspace

    stages.wrap(report, "run_check", "report: check earlier years again (check.run_check)")
    stages.wrap(report, "summarise", "report: summarise (consolidate.py)")
    import pipeline.outputs.word.charts as charts

    stages.wrap(charts, "chart_parts", "report: native Word charts (outputs/word/charts.py)")
    stages.wrap(summary, "write_summary_workbook", "report: summary workbook (summary_workbook.py)")
    stages.wrap(context, "build_context", "report: context (report_context.py)")
    stages.wrap(word, "render_report", "report: Word document (word_report.py)")
    stages.wrap(outputs, "write_check_workbook", "check outputs: check workbook (check_report.py)")
    stages.wrap(outputs, "write_feedback_copy", "check outputs: feedback copies (feedback.py, openpyxl)")
    stages.wrap(outputs, "write_eml", "check outputs: e-mail drafts (emails.py)")
    workspace = stages.run("load workspace", lambda: load_workspace(ws))
    result = stages.run(f"check {YEAR} (check.run_check)", lambda: check.run_check(workspace, YEAR))
    stages.run(f"merged tables {YEAR}", lambda: result.merged)
    stages.run("check outputs: rest", lambda: outputs.write_check_outputs(workspace, result))
    stages.run("report: rest", lambda: report.build_report(workspace, YEAR, checks={YEAR: result}))
    total = time.perf_counter() - started
    rows = sorted(stages.spent.items(), key=lambda kv: -kv[1])
    return {"files": len(result.files), "seconds": total, "stages": rows}


def run_case(args: argparse.Namespace) -> int:
    ws = Path(args.ws)
    if args.case == "naive":
        data = case_naive(ws)
    elif args.case == "floor":
        data = case_floor(ws)
    elif args.case == "check":
        data = case_check(ws, args.workers, args.outputs)
    elif args.case == "generate":
        data = case_generate(ws)
    elif args.case == "profile":
        data = case_profile(ws, Path(args.stats))
    elif args.case == "stages":
        data = case_stages(ws)
    elif args.case == "phases":
        data = case_phases(ws)
    else:
        raise SystemExit(f"unknown case {args.case}")
    data["self_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(data, default=str))
    return 0


# --------------------------------------------------------------------------- measuring from outside

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _descendants(pid: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _rss(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * _PAGE
        except OSError:
            pass
    return total


class Sampler:
    """Polls the RSS of a process tree every 20 ms (the tree itself is re-read every 200 ms, being
    costlier); peak over the whole run or within a time window."""

    def __init__(self, pid: int, every: float = 0.02, rescan: int = 10) -> None:
        self.pid, self.every, self.rescan = pid, every, rescan
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pids: list[int] = [self.pid]
        tick = 0
        while not self._stop.is_set():
            if tick % self.rescan == 0:
                pids = _descendants(self.pid)
            tick += 1
            self.samples.append((time.time(), _rss(pids)))
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self, start: float = 0.0, end: float = float("inf")) -> float:
        inside = [rss for t, rss in self.samples if start <= t <= end]
        return max(inside, default=0) / 2**20


def measure(cmd: list[str], timeout: float = 7200, cwd: Path | None = None) -> tuple[dict[str, Any], float, Sampler, int]:
    """Run a command, sampling its tree's memory: (its JSON output or {}, wall seconds, sampler, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                            env={**os.environ, "PYTHONHASHSEED": "0"})
    sampler = Sampler(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        sampler.stop()
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.stderr.write(err.decode(errors="replace")[-3000:])
        raise SystemExit(f"{cmd} exited with {proc.returncode}")
    try:
        data = json.loads(out.decode().strip().splitlines()[-1]) if out.strip() else {}
    except (json.JSONDecodeError, IndexError):
        data = {}
    return data, wall, sampler, proc.returncode


def child(case: str, ws: Path, *extra: str, timeout: float = 7200) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--ws", str(ws), *extra]
    data, wall, sampler, _ = measure(cmd, timeout)
    data["wall_s"] = wall
    data["peak_mb"] = max(sampler.peak_mb(), data.get("self_peak_mb", 0.0))
    for name, start, end in data.get("phases", []):
        data[f"peak_{name}_mb"] = sampler.peak_mb(start, end)
    return data


def command(args: list[str], ws: Path, repeat: int = 1, timeout: float = 7200) -> dict[str, Any]:
    """A `baocao` command timed from outside (start-up included): median wall over `repeat` runs."""
    walls, peaks = [], []
    for _ in range(repeat):
        _, wall, sampler, code = measure([BAOCAO, "-w", str(ws), *args], timeout)
        walls.append(wall)
        peaks.append(sampler.peak_mb())
    return {"seconds": statistics.median(walls), "walls": walls, "peak_mb": max(peaks), "exit": code}


# --------------------------------------------------------------------------- sample workspace


def sample_copy(dest: Path) -> Path:
    """A copy of the repository's sample workspace (settings, plan, templates, inbox), blanks generated."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for name in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / name, dest / name)
    (dest / "outbox").mkdir()
    subprocess.run([BAOCAO, "-w", str(dest), "generate", "--year", str(YEAR)], check=True, capture_output=True)
    return dest


def profile_run(ws: Path, stats: Path) -> None:
    """`baocao run --year 2015` under cProfile (in a child, as the officer would run it)."""
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "pipeline", "-w", str(ws), "run",
                    "--year", str(YEAR)], capture_output=True, check=False)


def import_times(args: list[str]) -> list[tuple[float, str]]:
    """Cumulative import time (ms) of the heaviest modules `baocao ARGS` imports, two levels deep."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "pipeline", *args], capture_output=True,
                          text=True, check=False)
    out = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        if cumulative.strip().isdigit() and depth <= 1:
            out.append((int(cumulative) / 1000, name.strip()))
    return sorted(out, reverse=True)[:10]


def top_functions(stats_path: Path, limit: int = 18) -> tuple[float, list[str]]:
    """(total seconds, table lines) of the functions with the most cumulative time in a cProfile file."""
    stats = pstats.Stats(str(stats_path))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_, calls, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/pipeline/" in filename:
            where = "pipeline/" + filename.rsplit("/pipeline/", 1)[1]
        elif "site-packages/" in filename:
            where = filename.split("site-packages/")[1]
        else:
            continue
        rows.append((ct, tt, calls, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    lines = [f"| `{label}` | {calls:,} | {tt:.2f} | {ct:.2f} | {100 * ct / total:.0f} % |"
             for ct, tt, calls, label in rows[:limit]]
    return total, lines


# --------------------------------------------------------------------------- the report


def per_file(data: dict[str, Any]) -> float:
    return data["seconds"] / max(data["files"], 1)


def row(label: str, data: dict[str, Any], naive: dict[str, Any] | None, floor: dict[str, Any] | None,
        peak_key: str = "peak_mb") -> str:
    spf = per_file(data)
    vs_a = f"{per_file(naive) / spf:.1f}× faster" if naive else "—"
    vs_b = f"{spf / per_file(floor):.1f}× slower" if floor else "—"
    rate = data["files"] / data["seconds"] if data["seconds"] else float("inf")
    cpu = f"{data['cpu_s']:.2f}" if "cpu_s" in data else "—"
    peak = data.get(peak_key, data.get("peak_mb"))
    shown = f"{peak:,.0f}" if peak is not None else "—"
    return f"| {label} | {data['files']:,} | {data['seconds']:.2f} | {cpu} | {rate:,.0f} | {vs_a} | {vs_b} | {shown} |"


def bench_size(n: int, single: bool, report: bool) -> dict[str, Any]:
    ws = make_corpus.build(n)
    out: dict[str, Any] = {"n": n, "manifest": {k: v for k, v in (make_corpus.manifest(n) or {}).items()
                                                  if k != "returns"}}
    print(f"[n={n}] (a) naive…", flush=True)
    out["naive"] = child("naive", ws)
    print(f"[n={n}] (b) floor…", flush=True)
    out["floor"] = child("floor", ws)
    print(f"[n={n}] (c) check + merge + outputs…", flush=True)
    out["check"] = child("check", ws, "--outputs")
    if single:
        print(f"[n={n}] (c) check + merge, one worker…", flush=True)
        out["check1"] = child("check", ws, "--workers", "1")
    if report:
        print(f"[n={n}] (d) baocao report…", flush=True)
        out["report"] = command(["report", "--year", str(YEAR), "--json"], ws)
        out["report"]["files"] = out["check"]["files"]
    print(f"[n={n}] (e) generate…", flush=True)
    out["generate"] = child("generate", ws)
    return out


def table(result: dict[str, Any]) -> list[str]:
    naive, floor, check = result["naive"], result["floor"], result["check"]
    workers = os.cpu_count() or 1
    lines = [
        "| Case | Files | Seconds | CPU s | Files/s | vs (a) naive | vs (b) floor | Peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row("(a) naive: `pd.read_excel(engine=\"openpyxl\")` + `pd.concat`, .xlsx only", naive, None, None),
        row("(b) floor: python-calamine, report sheet to rows", floor, naive, None),
        row(f"**(c) check + merge** (`run_check` + merged tables), {workers} workers", check, naive, floor,
            "peak_check_mb"),
    ]
    if "check1" in result:
        lines.append(row("(c) check + merge, 1 worker", result["check1"], naive, floor, "peak_check_mb"))
    outputs = {"files": check["files"], "seconds": check.get("outputs_s", 0.0), "peak_mb": check.get("peak_outputs_mb")}
    lines.append(row(f"(c) outputs of `baocao check`: check workbook {check.get('workbook_s', 0):.2f} s, "
                     f"{check.get('copies', 0)} feedback copies (openpyxl) {check.get('feedback_s', 0):.2f} s, "
                     f"{check.get('drafts', 0)} e-mail drafts {check.get('drafts_s', 0):.2f} s", outputs, None, None))
    if "report" in result:
        lines.append(row("(d) `baocao report` (checks the year again; start-up included)", result["report"], naive,
                         floor))
    gen = result["generate"]
    lines.append(row(f"(e) generate: {gen['workbook_ms']:.1f} ms per workbook, {gen['email_ms']:.1f} ms per draft, "
                     f"setup {gen['setup_ms'] / 1000:.2f} s", gen, None, None))
    return lines


def verdicts(results: list[dict[str, Any]], sample: dict[str, Any] | None) -> list[str]:
    """Each target of the issue: met or missed, by how much."""
    out = []
    big = max(results, key=lambda r: r["n"])
    naive, floor, check = big["naive"], big["floor"], big["check"]
    speedup = per_file(naive) / per_file(check)
    slowdown = per_file(check) / per_file(floor)
    n = big["n"]

    def mark(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    out.append(f"- Check + merge at least {TARGET_VS_NAIVE:.0f}× faster than (a) at {n:,} files: "
               f"{speedup:.1f}× — {mark(speedup >= TARGET_VS_NAIVE)}"
               + ("" if speedup >= TARGET_VS_NAIVE else
                  f": {per_file(check) * 1000:.2f} ms per file against the {per_file(naive) * 100:.2f} ms "
                  f"needed, {TARGET_VS_NAIVE / speedup:.1f}× too slow"))
    out.append(f"- Within {TARGET_VS_FLOOR:.0f}× of the floor (b) at {n:,} files: {slowdown:.1f}× — "
               f"{mark(slowdown <= TARGET_VS_FLOOR)}"
               + ("" if slowdown <= TARGET_VS_FLOOR else
                  f": the floor reads one sheet in {per_file(floor) * 1000:.2f} ms per file; the check spends "
                  f"{check.get('cpu_s', 0) / max(check['files'], 1) * 1000:.1f} ms of CPU per file "
                  f"({slowdown / TARGET_VS_FLOOR:.1f}× over the target; see *What limits the check*)"))
    peaks = [(r["n"], r["check"].get("peak_check_mb", r["check"]["peak_mb"])) for r in results]
    worst = max(p for _, p in peaks)
    flat = ", ".join(f"{p:,.0f} MB at {m:,}" for m, p in peaks)
    out.append(f"- Peak memory of check + merge at most {TARGET_RSS_MB:.0f} MB and flat in N: {flat} — "
               f"{mark(worst <= TARGET_RSS_MB)}")
    if len(peaks) >= 2:
        (n0, p0), (n1, p1) = peaks[0], peaks[-1]
        slope = (p1 - p0) / max(n1 - n0, 1) * 1024
        size = big["manifest"].get("bytes", 0) / max(big["manifest"].get("files", 1), 1) / 1024
        out.append(f"  It grows by {slope:.0f} KB per file (files average {size:.0f} KB): what grows is the "
                   "results (findings, submissions, the merged tables), not the files' bytes, which are read "
                   "in the workers and dropped once checked (at most workers × 3 chunks in flight; the bytes "
                   "of files needing a feedback copy are kept up to 64 MB, then re-read when the copy is written).")
    if sample is not None:
        run_s = sample["run"]["seconds"]
        out.append(f"- Province (sample workspace) `baocao run --year {YEAR}` at most {TARGET_RUN_S:.0f} s including "
                   f"start-up: {run_s:.2f} s (median of {len(sample['run']['walls'])}) — "
                   f"{mark(run_s <= TARGET_RUN_S)}" + ("" if run_s <= TARGET_RUN_S else
                                                     "; see *Province* below for what it is made of"))
    gen = big["generate"]
    per = gen["seconds"] * 1000 / max(gen["files"], 1)
    out.append(f"- Generation at most {TARGET_GENERATE_MS:.0f} ms per workbook at {gen['files']:,} agencies: "
               f"{gen['workbook_ms']:.1f} ms per workbook ({per:.1f} ms per agency counting its e-mail draft and "
               f"the run's setup) — {mark(gen['workbook_ms'] <= TARGET_GENERATE_MS)}")
    return out


def stage_table(stages: list[list[Any]], files: int, total: float, per_file_unit: bool = True) -> list[str]:
    lines = ["| Stage (where) | Calls | Seconds | ms per file | Share |", "|---|---:|---:|---:|---:|"]
    for label, spent, calls in stages:
        lines.append(f"| {label} | {calls:,} | {spent:.2f} | {spent / max(files, 1) * 1000:.2f} | "
                     f"{100 * spent / total:.0f} % |")
    return lines


def summary_of_stages(limits: dict[str, Any], results: list[dict[str, Any]]) -> str:
    """One sentence: where a file's time goes, grouped, against what the floor needs."""
    groups = {"reading": 0.0, "calamine": 0.0, "checks": 0.0, "merge": 0.0}
    for label, spent, _ in limits["stages"]:
        if "python-calamine" in label:
            groups["calamine"] += spent
        if any(k in label for k in ("guard.py", "reader.py", "unpack.py")):
            groups["reading"] += spent
        elif "merge.py" in label:
            groups["merge"] += spent
        else:
            groups["checks"] += spent
    files = max(limits["files"], 1)
    ms = {k: v / files * 1000 for k, v in groups.items()}
    floor = per_file(max(results, key=lambda r: r["n"])["floor"]) * 1000
    workers = os.cpu_count() or 1
    return (f"Per file, on one worker: {ms['reading']:.1f} ms to read, unpack and guard it (reader.py, guard.py, "
            f"unpack.py; {ms['calamine']:.1f} ms of it inside python-calamine, which reads five sheets where the "
            f"floor reads one), {ms['checks']:.1f} ms for the checks and bookkeeping (identify, rules, fingerprint, "
            f"content hash, outcomes), {ms['merge']:.1f} ms for the merged tables. The floor reads a file in "
            f"{floor:.2f} ms: being within {TARGET_VS_FLOOR:.0f}× of it on {workers} cores allows about "
            f"{floor * TARGET_VS_FLOOR * workers:.1f} ms of CPU per file for everything"
            + (", less than reading and guarding alone take." if ms["reading"] > floor * TARGET_VS_FLOOR * workers
               else "."))


def write_results(path: Path, results: list[dict[str, Any]], sample: dict[str, Any] | None,
                  limits: dict[str, Any] | None) -> None:
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Benchmark results",
        "",
        f"Written by `benchmarks/run.py` (`make bench`) on {dt.date.today().isoformat()}: {os.cpu_count()} cores "
        f"({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release()}. The machine is "
        "shared and noisy: expect ±20 % between runs, more on wall time than on CPU time.",
        "",
        "Corpus (`benchmarks/make_corpus.py`, cached in `benchmarks/corpus/`): for each N a copy of the sample "
        "workspace whose `plan/agencies.csv` gets synthetic agencies (three in four districts \"UBND huyện Thử "
        "0001…\", one in four departments of the group \"Các sở, ngành liên quan\"), so that every file is the "
        "return of a distinct expected agency. Workbooks come from `baocao generate` (the tool's master "
        "template) and are filled by `fill.fill_workbook` as an agency would (openpyxl): about 10 % "
        "with the usual mistakes, about 5 % late, about 7 % re-saved as .xls or .ods by LibreOffice.",
        "",
        "Each case runs in its own child process. *Seconds* is wall time of the work (start-up excluded, except "
        "for `baocao` commands); *CPU s* adds the worker processes; *vs (a)* is (a)'s time per file over the "
        "case's; *vs (b)* the case's time per file over the floor's; *Peak RSS* is the whole process tree's "
        "(main process and workers, sampled every 20 ms).",
    ]
    for r in results:
        m, ck = r["manifest"], r["check"]
        lines += ["", f"## N = {r['n']:,}", "",
                  f"{m.get('files', 0):,} files ({', '.join(f'{v} .{k}' for k, v in m.get('formats', {}).items())}), "
                  f"{m.get('bytes', 0) / 2**20:.1f} MB, {m.get('with_errors', '?')} filled with errors. Check: "
                  f"{', '.join(f'{v} {k}' for k, v in ck['counts'].items())}; {ck['findings']:,} findings; "
                  f"{ck['rows']:,} merged rows. Within (c): check {ck['check_s']:.2f} s, merged tables "
                  f"{ck['merge_s']:.2f} s (pandas import included); loading the workspace {ck['load_s']:.2f} s "
                  "more.", ""]
        lines += table(r)
    lines += ["", "## Targets (issue 6)", ""]
    lines += verdicts(results, sample)
    if limits is not None:
        lines += ["", "## What limits the check", "",
                  f"One worker, N = {limits['n']:,} ({limits['files']:,} files): {limits['check_s']:.2f} s to check, "
                  f"{limits['seconds'] - limits['check_s']:.2f} s more for the merged tables. Exclusive wall time "
                  "of each stage (a stage's time excludes the stages it calls):", ""]
        lines += stage_table(limits["stages"], limits["files"], limits["seconds"])
        lines += ["", summary_of_stages(limits, results)]
        lines += ["", f"cProfile of the same run (total {limits['profile'][0]:.1f} s profiled; profiling inflates "
                  "code made of many small Python calls, such as the rules, relative to C code such as "
                  "python-calamine and zlib):", "",
                  "| Function | Calls | Own s | Cumulative s | Share |", "|---|---:|---:|---:|---:|",
                  *limits["profile"][1]]
    if sample is not None:
        lines += ["", "## Province: the sample workspace", "",
                  f"`baocao run --year {YEAR}` (33 files in inbox/{YEAR}; the report checks 2014 again for its "
                  f"comparison): {sample['run']['seconds']:.2f} s median wall, start-up included "
                  f"({', '.join(f'{w:.2f}' for w in sample['run']['walls'])}), peak {sample['run']['peak_mb']:,.0f} "
                  f"MB. `baocao check --year {YEAR}`: {sample['check']['seconds']:.2f} s. `baocao --help`: "
                  f"{sample['help']['seconds'] * 1000:.0f} ms (Python alone starts in "
                  f"{sample['python']['seconds'] * 1000:.0f} ms).", ""]
        phases = sample.get("phases")
        if phases:
            lines += [f"Where `baocao run` spends its time, step by step in one process (exclusive times, "
                      f"{phases['seconds']:.2f} s in all, interpreter start-up not included). Done one after "
                      "the other here, so nothing overlaps: the command itself starts the chart's helper "
                      "before the check, which hides part of that wait.", "",
                      "| Step | Seconds | Share |", "|---|---:|---:|"]
            lines += [f"| {label} | {spent:.2f} | {100 * spent / phases['seconds']:.0f} % |"
                      for label, spent in phases["stages"]]
            lines.append("")
        if sample.get("imports"):
            lines += ["Heaviest imports of `baocao --help` (cumulative ms, `python -X importtime`, two levels): "
                      + ", ".join(f"{name} {ms:.0f}" for ms, name in sample["imports"]) + ".", ""]
        if sample.get("profile"):
            total, top = sample["profile"]
            lines += [f"cProfile of `baocao run --year {YEAR}` ({total:.1f} s profiled):", "",
                      "| Function | Calls | Own s | Cumulative s | Share |", "|---|---:|---:|---:|---:|", *top, ""]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def bench_sample() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        ws = sample_copy(Path(tmp) / "ws")
        print("[sample] baocao --help, check, run, profile…", flush=True)
        out: dict[str, Any] = {
            "python": command_raw([sys.executable, "-c", "pass"], repeat=5),
            "help": command(["--help"], ws, repeat=5),
            "check": command(["check", "--year", str(YEAR)], ws, repeat=3),
            "run": command(["run", "--year", str(YEAR)], ws, repeat=5),
            "imports": import_times(["--help"]),
            "phases": child("phases", ws),
        }
        stats = Path(tmp) / "run.prof"
        profile_run(ws, stats)
        if stats.is_file():
            out["profile"] = top_functions(stats, limit=20)
        return out


def command_raw(cmd: list[str], repeat: int) -> dict[str, Any]:
    walls = [measure(cmd)[1] for _ in range(repeat)]
    return {"seconds": min(walls), "walls": walls}


def bench_limits(n: int) -> dict[str, Any]:
    ws = make_corpus.build(n)
    print(f"[n={n}] stages and profile of one worker…", flush=True)
    data = child("stages", ws)
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "check.prof"
        child("profile", ws, "--stats", str(stats))
        data["profile"] = top_functions(stats, limit=22)
    data["n"] = n
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,500,5000", help="comma-separated N (default 50,500,5000)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--single-upto", type=int, default=500, help="also time one worker for N up to this")
    parser.add_argument("--report-upto", type=int, default=5000, help="time `baocao report` for N up to this")
    parser.add_argument("--profile-n", type=int, default=500, help="break the check down on this N (0: skip)")
    parser.add_argument("--no-sample", action="store_true", help="skip the sample workspace runs")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw measurements here")
    parser.add_argument("--from-json", type=Path, default=None, help="only write RESULTS.md from saved measurements")
    # one case in a child process (used by the benchmark itself)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--ws", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--outputs", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        return run_case(args)
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        write_results(args.out, saved["results"], saved["sample"], saved["limits"])
        print(args.out.read_text(encoding="utf-8"))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    for n in sizes:  # build what is missing first, so that building never overlaps a measurement
        make_corpus.build(n)
    results = [bench_size(n, n <= args.single_upto, n <= args.report_upto) for n in sizes]
    limits = bench_limits(args.profile_n) if args.profile_n else None
    sample = None if args.no_sample else bench_sample()
    write_results(args.out, results, sample, limits)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "sample": sample, "limits": limits}, default=str,
                                        indent=1))
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
