"""The full hostile-file run: thousands of mutants of the sample's returned workbooks through `baocao run`.

    .venv/bin/python scripts/fuzz_run.py [--count 2400] [--seed 2015] [--batch 600]

Each batch of mutants goes into a fresh workspace's inbox and one `baocao run`; the script counts
exit codes, tracebacks, files without exactly one outcome, and the outcomes and codes given.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import fuzz  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--batch", type=int, default=600)
    args = parser.parse_args()
    bases = [p.read_bytes() for p in sorted((ROOT / "inbox" / "2015").glob("*.xlsx"))]
    all_mutants = list(fuzz.mutants(bases, args.count, args.seed))
    outcomes: collections.Counter[str] = collections.Counter()
    codes: collections.Counter[str] = collections.Counter()
    exits: collections.Counter[int] = collections.Counter()
    unaccounted = tracebacks = 0
    started = time.monotonic()
    for start in range(0, len(all_mutants), args.batch):
        batch = all_mutants[start:start + args.batch]
        with tempfile.TemporaryDirectory() as tmp:
            ws = Path(tmp)
            shutil.copy(ROOT / "baocao.toml", ws / "baocao.toml")
            for folder in ("plan", "templates"):
                shutil.copytree(ROOT / folder, ws / folder)
            inbox = ws / "inbox" / "2015"
            inbox.mkdir(parents=True)
            for name, data in batch:
                (inbox / name).write_bytes(data)
            done = subprocess.run([sys.executable, "-m", "pipeline", "-w", str(ws), "run", "--year", "2015", "--json"],
                                  capture_output=True, text=True, cwd=ROOT,
                                  env={**os.environ, "BAOCAO_LOG": str(ws / "loi.log")})
            exits[done.returncode] += 1
            tracebacks += ("Traceback" in done.stderr) + ("Traceback" in done.stdout)
            if done.returncode not in (0, 1):
                print(done.stderr[-2000:], file=sys.stderr)
                continue
            check = json.loads(done.stdout)["check"]
            seen: collections.Counter[str] = collections.Counter()
            for f in check["files"]:
                outcomes[f["outcome"]] += 1
                seen[f["path"].split(" » ")[0]] += 1
            unaccounted += sum(1 for name, _ in batch if seen[name] == 0)
            for f in check["findings"]:
                codes[f["code"]] += 1
        print(f"{start + len(batch)}/{len(all_mutants)} mutants, {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(f"mutants: {len(all_mutants)} (seed {args.seed}), runs: {sum(exits.values())}, "
          f"exit codes: {dict(sorted(exits.items()))}, tracebacks: {tracebacks}, files without an outcome: {unaccounted}")
    print("outcomes:", dict(outcomes.most_common()))
    print("codes:", dict(codes.most_common(25)))
    print(f"wall: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
