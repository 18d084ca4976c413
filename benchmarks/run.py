"""The benchmark: each case in a fresh process, rounds alternated, medians with min-max, ratios within rounds.

    .venv/bin/python benchmarks/make_corpus.py 500 5000        # once: the corpus (cached)
    .venv/bin/python benchmarks/run.py --sizes 500 5000 --rounds 3

Cases, on the corpus of N returned workbooks (benchmarks/make_corpus.py):
  naive        pandas.read_excel(engine="openpyxl") of each file's report sheet, pd.concat; no checks
  floor        python-calamine reading the five sheets the check reads, with a minimal zip check; one core
  check+merge  the check as a library call (every safety rule, workers) and the merged tables; no store
  check        `baocao check`, whole command, no stored results
  check again  `baocao check` again on the unchanged inbox
  run          `baocao run`, whole command, no stored results
  run again    `baocao run` again on the unchanged inbox
  run 1 change `baocao run` after one file of the inbox changed
Each figure is the wall time of the process and its peak memory (the largest resident set among the
process and the workers it waited for). Every round runs every case once, in a rotated order.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
YEAR = 2015
SHEETS = ("Thông tin đơn vị", "Báo cáo", "Hoạt động khác", "Đánh giá chung", "_baocao")
COMMANDS = {"check": "check", "check again": "check", "run": "run", "run again": "run", "run 1 change": "run"}
LIBRARY = ("naive", "floor", "check+merge")
CASES = (*LIBRARY, *COMMANDS)


# As installed by pip, modules are compiled once; a shell that forbids bytecode would time compiling instead.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
PROVINCE = 0  # "size" of the bundled sample workspace (one province, its own inbox)


def _ws(n: int) -> Path:
    return BENCH / "corpus" / ("province" if n == PROVINCE else f"n{n}") / "ws"


def _province() -> None:
    """A copy of the bundled sample workspace, made once, so the benchmark never writes into the repository's."""
    ws = _ws(PROVINCE)
    if ws.is_dir():
        return
    ws.mkdir(parents=True)
    shutil.copy(ROOT / "baocao.toml", ws / "baocao.toml")
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, ws / folder)


def _inbox(n: int) -> Path:
    return _ws(n) / "inbox" / str(YEAR)


# --------------------------------------------------------------------------- the library cases (in a child)


def case_naive(n: int) -> int:
    import pandas as pd

    frames = [pd.read_excel(p, sheet_name="Báo cáo", header=3, engine="openpyxl")
              for p in sorted(_inbox(n).rglob("*.xlsx"))]
    return len(pd.concat(frames, ignore_index=True))


def case_floor(n: int) -> int:
    import zipfile

    from python_calamine import CalamineWorkbook

    rows = 0
    for p in sorted(_inbox(n).rglob("*")):
        if not p.is_file():
            continue
        if p.suffix == ".xlsx":  # the least a safe reader must do: the zip's declared sizes
            with zipfile.ZipFile(p) as zf:
                if sum(i.file_size for i in zf.infolist()) > 200 << 20:
                    continue
        book = CalamineWorkbook.from_path(str(p))
        for name in book.sheet_names:
            if name in SHEETS:
                rows += len(book.get_sheet_by_name(name).to_python())
    return rows


def case_check_merge(n: int) -> int:
    sys.path.insert(0, str(ROOT))
    from pipeline.check.run import run_check
    from pipeline.consolidate.merge import merge
    from pipeline.workspace.load import load_workspace

    ws = load_workspace(_ws(n))
    result = run_check(ws, YEAR, keep=False)
    return len(merge(result.counted(), ws.plan).rows)


def child(case: str, n: int) -> None:
    """Run one library case in this (fresh) process and print its figures as JSON."""
    import resource

    started = time.perf_counter()
    value = {"naive": case_naive, "floor": case_floor, "check+merge": case_check_merge}[case](n)
    seconds = time.perf_counter() - started
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "value": value}))


# --------------------------------------------------------------------------- preparing and running one case


def _reset(n: int, keep_store: bool) -> None:
    outbox = _ws(n) / "outbox"
    if not keep_store:
        shutil.rmtree(outbox / ".store", ignore_errors=True)
    for name in ("kiem-tra", f"tong-hop-{YEAR}.xlsx", f"bao-cao-{YEAR}.docx", ".kiem-tra.json", ".bao-cao.json"):
        path = outbox / str(YEAR) / name
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def _change_one(n: int) -> None:
    """Rewrite one returned workbook with one figure changed, as an agency's corrected file would come."""
    import io

    import openpyxl

    path = sorted(_inbox(n).glob("*.xlsx"))[0]
    book = openpyxl.load_workbook(path)
    cell = book["Báo cáo"]["J6"]
    cell.value = (cell.value if isinstance(cell.value, int) else 0) + 1
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())


def _measured(cmd: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=ENV)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd}: exit {proc.returncode}\n{err.decode()[-2000:]}")
    import resource

    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest process so far, among those waited
    return {"seconds": seconds, "out": out.decode(), "peak_kb": peak}


def one(case: str, n: int) -> dict[str, float]:
    """Wall seconds and peak MB of one case, in fresh processes (the peak measured by a wrapper process)."""
    if case in LIBRARY:
        done = subprocess.run([sys.executable, __file__, "--child", case, "--n", str(n)], capture_output=True,
                              text=True, cwd=ROOT, check=True, env=ENV)
        data = json.loads(done.stdout.splitlines()[-1])
        return {"seconds": data["seconds"], "peak_mb": data["peak_mb"]}
    again = case in ("check again", "run again", "run 1 change")
    _reset(n, keep_store=False)
    if again:  # the first run, unmeasured, leaves the store and outputs a second run finds
        subprocess.run([sys.executable, "-m", "pipeline", "-w", str(_ws(n)), COMMANDS[case], "--year", str(YEAR)],
                       capture_output=True, cwd=ROOT, env=ENV)
    if case == "run 1 change":
        _change_one(n)
    wrapper = [sys.executable, __file__, "--command", COMMANDS[case], "--n", str(n)]
    done = subprocess.run(wrapper, capture_output=True, text=True, cwd=ROOT, check=True, env=ENV)
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def command(name: str, n: int) -> None:
    """In a fresh wrapper process: run one whole command and print its wall time and peak memory."""
    measured = _measured([sys.executable, "-m", "pipeline", "-w", str(_ws(n)), name, "--year", str(YEAR)])
    print(json.dumps({"seconds": measured["seconds"], "peak_mb": measured["peak_kb"] / 1024}))


# --------------------------------------------------------------------------- rounds and the table


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[500],
                        help="corpus sizes; 0 is the bundled sample province (whole commands only)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--child")
    parser.add_argument("--command")
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n)
        return
    if args.command:
        command(args.command, args.n)
        return
    cases = [c for c in args.cases.split(",") if c]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    for n in args.sizes:
        if n == PROVINCE:
            _province()
        if not _inbox(n).is_dir():
            sys.exit(f"no corpus of {n} files: run benchmarks/make_corpus.py {n}")
        here = [c for c in cases if n != PROVINCE or c in ("run", "run again", "check", "check again")]
        times: dict[str, list[float]] = {c: [] for c in here}
        peaks: dict[str, list[float]] = {c: [] for c in here}
        ratios: dict[str, list[float]] = {}
        for r in range(args.rounds):
            order = here[r % len(here):] + here[: r % len(here)]
            got = {}
            for case in order:
                got[case] = one(case, n)
                times[case].append(got[case]["seconds"])
                peaks[case].append(got[case]["peak_mb"])
                print(f"  n={n} round {r + 1} {case}: {got[case]['seconds']:.2f} s, {got[case]['peak_mb']:.0f} MB",
                      file=sys.stderr)
            for name, a, b in (("naive / check+merge", "naive", "check+merge"),
                               ("check+merge / floor", "check+merge", "floor"),
                               ("run / check+merge", "run", "check+merge"),
                               ("check again / check", "check again", "check"),
                               ("run again / run", "run again", "run"),
                               ("run 1 change / run", "run 1 change", "run")):
                if a in got and b in got:
                    ratios.setdefault(name, []).append(got[a]["seconds"] / got[b]["seconds"])
        what = "the sample province (inbox/2015, with 2014 for comparison)" if n == PROVINCE else \
            f"{n} returned workbooks"
        print(f"\n{what}, {args.rounds} rounds: median (min-max)")
        print(f"| case | wall s | peak MB |\n|---|---:|---:|")
        for case in here:
            print(f"| {case} | {_fmt(times[case])} | {statistics.median(peaks[case]):.0f} |")
        print("\n| ratio within a round | median (min-max) |\n|---|---:|")
        for name, values in ratios.items():
            print(f"| {name} | {_fmt(values)} |")
    _reset_all(args.sizes)


def _reset_all(sizes: list[int]) -> None:
    for n in sizes:
        _reset(n, keep_store=False)


if __name__ == "__main__":
    main()
