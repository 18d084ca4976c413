"""Kill `baocao run` at random moments, many times: nothing may outlive it, the outbox must be whole.

    .venv/bin/python scripts/kill_runs.py [--times 30] [--seed 7]

Each round sends SIGKILL, SIGTERM or SIGINT at a random moment of a run on a copy of the sample
workspace, then checks: no process of that run alive 2 s later; the year's outputs are the
previous complete set (same file names); a rerun gives the same set again.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _names(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _alive(marker: bytes) -> int:
    n = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                n += marker in (entry / "environ").read_bytes()
            except OSError:
                pass
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--times", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        shutil.copy(ROOT / "baocao.toml", ws / "baocao.toml")
        for folder in ("plan", "templates", "inbox"):
            shutil.copytree(ROOT / folder, ws / folder)
        cmd = [sys.executable, "-m", "pipeline", "-w", str(ws)]
        subprocess.run([*cmd, "generate", "--year", "2015"], capture_output=True, check=True, cwd=ROOT)
        subprocess.run([*cmd, "run", "--year", "2015"], capture_output=True, cwd=ROOT)
        year = ws / "outbox" / "2015"
        complete = _names(year)
        for n in range(args.times):
            sig = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
            delay = rng.uniform(0.2, 4.0)
            marker = f"KILLTEST={n}-{rng.random()}"
            env = {**os.environ, "KILLTEST": marker.split("=")[1]}
            proc = subprocess.Popen([*cmd, "run", "--year", "2015"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            time.sleep(delay)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=120)
            time.sleep(2)
            left = _alive(marker.encode())
            whole = _names(year) == complete
            tb = b"Traceback" in err
            rerun = subprocess.run([*cmd, "run", "--year", "2015"], capture_output=True, cwd=ROOT)
            again = _names(year) == complete and rerun.returncode == 1
            ok = not left and whole and not tb and again
            results["ok" if ok else "FAILED"] += 1
            if tb:
                print(err.decode("utf-8", "replace")[-1500:])
            print(f"{n:3d} {signal.Signals(sig).name:8s} at {delay:4.1f} s: exit {proc.returncode:4d}, "
                  f"processes left {left}, outbox whole {whole}, traceback {tb}, rerun same {again}")
    print(dict(results))


if __name__ == "__main__":
    main()
