"""The summary workbook alone: time and peak memory of `write_summary_workbook`, one fresh process per case.

    .venv/bin/python benchmarks/summary.py --prepare 5000 [--corpus DIR]  # once: check + summarise, pickled
    git archive main | tar -x -C /tmp/sum-base                       # the code to compare with
    .venv/bin/python benchmarks/summary.py --n 5000 --trees /tmp/sum-base . --rounds 3
    .venv/bin/python benchmarks/summary.py --n 5000 --scale 4 --rounds 1     # 4 x the detail rows

`--prepare` copies the corpus workspace (benchmarks/make_corpus.py) to a temporary folder, checks
the year there (no store) and pickles the summary, the workspace root and the drafter's notes, so
every case writes the same workbook from the same input. Each case runs `write_summary_workbook`
of one source tree in a fresh child process, rounds alternate the trees; *peak MB* is the child's
peak resident set, *added MB* the peak over the resident set once the summary is loaded, i.e. what
writing the workbook itself costs.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2015
CACHE = Path(tempfile.gettempdir()) / "baocao-summary-bench"


def _pickle(n: int) -> Path:
    return CACHE / f"n{n}" / "summary.pickle"


def prepare(n: int, corpus: Path) -> None:
    """Check the corpus's year in a copy of its workspace and pickle what the writer takes."""
    sys.path.insert(0, str(ROOT))
    from pipeline.check.run import run_check
    from pipeline.consolidate.summary import summarise
    from pipeline.outputs.word.context import build_context
    from pipeline.workspace.load import load_workspace

    source = corpus / f"n{n}" / "ws"
    if not source.is_dir():
        sys.exit(f"no corpus of {n} files: run benchmarks/make_corpus.py {n}")
    ws_copy = CACHE / f"n{n}" / "ws"
    shutil.rmtree(ws_copy, ignore_errors=True)
    shutil.copytree(source, ws_copy, ignore=shutil.ignore_patterns("outbox"))
    ws = load_workspace(ws_copy)
    started = time.perf_counter()
    summary = summarise(ws, run_check(ws, YEAR, keep=False))
    notes = build_context(ws, summary, [], None)["notes"]
    print(f"checked and summarised in {time.perf_counter() - started:.1f} s: {len(summary.merged.rows):,} rows, "
          f"{len(summary.findings):,} findings, {len(notes)} notes", file=sys.stderr)
    with _pickle(n).open("wb") as out:
        pickle.dump({"root": str(ws_copy), "summary": summary, "notes": notes}, out)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(n: int, out: Path, profile: Path | None, scale: int = 1) -> None:
    """In a fresh process whose sys.path starts with the tree under test: write the workbook once.

    `scale` repeats the detail rows that many times, for the memory of a bigger year than the corpus's.
    """
    import dataclasses
    import resource

    from pipeline.outputs.summary_workbook import write_summary_workbook
    from pipeline.workspace.load import load_workspace

    with _pickle(n).open("rb") as f:
        data = pickle.load(f)
    ws = load_workspace(Path(data["root"]))
    if scale > 1:
        import pandas as pd

        summary = data["summary"]
        rows = pd.concat([summary.merged.rows] * scale, ignore_index=True)
        data["summary"] = dataclasses.replace(summary, merged=dataclasses.replace(summary.merged, rows=rows))
    loaded = _rss_mb()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    if profile:
        import cProfile

        cProfile.runctx("write_summary_workbook(ws, data['summary'], out, notes=data['notes'])", globals(),
                        locals(), str(profile))
    else:
        write_summary_workbook(ws, data["summary"], out, notes=data["notes"])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak, "added_mb": peak - max(loaded, base),
                      "bytes": out.stat().st_size}))


def one(tree: Path, n: int, out: Path, profile: Path | None = None, scale: int = 1) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--n", str(n), "--out", str(out),
           "--scale", str(scale)]
    if profile:
        cmd += ["--profile", str(profile)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env=env)
    if done.returncode:
        raise RuntimeError(f"{tree}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prepare", type=int, metavar="N")
    parser.add_argument("--corpus", type=Path, default=ROOT / "benchmarks" / "corpus",
                        help="where make_corpus.py left the corpus (only read)")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--trees", type=Path, nargs="+", default=[ROOT])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--scale", type=int, default=1, help="repeat the detail rows, for a bigger year")
    parser.add_argument("--keep", type=Path, help="folder to keep each tree's workbook in")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.corpus)
        return
    if args.child:
        child(args.n, args.out, args.profile, args.scale)
        return
    if not _pickle(args.n).is_file():
        sys.exit(f"no prepared summary: run benchmarks/summary.py --prepare {args.n}")
    trees = [t.resolve() for t in args.trees]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    got: dict[Path, list[dict[str, float]]] = {t: [] for t in trees}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = trees[r % len(trees):] + trees[: r % len(trees)]
            for tree in order:
                out = (args.keep or Path(tmp)) / f"tong-hop-{trees.index(tree)}.xlsx"
                out.parent.mkdir(parents=True, exist_ok=True)
                got[tree].append(one(tree, args.n, out, scale=args.scale))
                m = got[tree][-1]
                print(f"  round {r + 1} {tree}: {m['seconds']:.2f} s ({m['cpu']:.2f} s CPU), peak {m['peak_mb']:.0f} MB, "
                      f"added {m['added_mb']:.0f} MB", file=sys.stderr)
    scaled = f", detail rows x{args.scale}" if args.scale > 1 else ""
    print(f"\nwrite_summary_workbook, n={args.n}{scaled}, {args.rounds} rounds: median (min-max)")
    print("| tree | wall s | CPU s | peak MB | added MB | file KB |\n|---|---:|---:|---:|---:|---:|")
    for tree in trees:
        ms = got[tree]
        print(f"| {tree} | {_fmt([m['seconds'] for m in ms])} | {_fmt([m['cpu'] for m in ms])} | "
              f"{_fmt([m['peak_mb'] for m in ms])} | "
              f"{_fmt([m['added_mb'] for m in ms])} | {ms[-1]['bytes'] / 1024:,.0f} |")


if __name__ == "__main__":
    main()
