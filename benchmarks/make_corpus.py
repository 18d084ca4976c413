"""Build (once) and cache the benchmark corpus: N agencies' returns made the real way.

For each N a synthetic workspace is written under benchmarks/corpus/n<N>/ws/: a copy of the
sample workspace (settings, plan, templates) whose agency registry gets extra agencies so that
every one of the N returned files belongs to a distinct expected agency:

- the 31 agencies of the sample plan that report in 2015 (departments, districts, unions);
- synthetic ones, numbered with ASCII codes: three in four districts ("Ủy ban nhân dân huyện
  Thử 0042", code THU0042, reporting every active activity as Địa phương), one in four
  departments of the group "Các sở, ngành liên quan" ("Sở Kiểm thử 0043", code KT0043,
  reporting as Phối hợp). They are exactly what a ministry's registry of provinces' bodies
  would add: more rows of the same kinds.

Then `baocao generate` writes one workbook per agency through the tool's own master template,
and each is filled as an agency would (fill.fill_workbook, openpyxl): about 10 %
with the mistakes real returns carry (quality="errors"), about 5 % sent after the deadline,
and, when LibreOffice is installed, about 4 % re-saved as .xls and 3 % as .ods through it.
Files go to inbox/2015/ under the names agencies use (the generated name).

    .venv/bin/python benchmarks/make_corpus.py 50 500 5000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # fill.py: how agencies fill a workbook

CACHE = ROOT / "benchmarks" / "corpus"
YEAR = 2015
VERSION = 1  # bump when the recipe changes: cached corpora of another version are rebuilt
ERROR_SHARE, LATE_SHARE, XLS_SHARE, ODS_SHARE = 0.10, 0.05, 0.04, 0.03
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def corpus_dir(n: int) -> Path:
    return CACHE / f"n{n}"


def workspace_dir(n: int) -> Path:
    return corpus_dir(n) / "ws"


def inbox_dir(n: int) -> Path:
    return workspace_dir(n) / "inbox" / str(YEAR)


def manifest(n: int) -> dict[str, object] | None:
    """The manifest of a cached corpus, or None when absent or of another recipe."""
    path = corpus_dir(n) / "manifest.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if data.get("version") == VERSION and data.get("n") == n else None


def _synthetic_rows(count: int) -> list[list[str]]:
    rows = []
    for i in range(1, count + 1):
        if i % 4:
            rows.append([f"THU{i:04d}", f"Ủy ban nhân dân huyện Thử {i:04d}", f"UBND huyện Thử {i:04d}", "", "huyen",
                         f"vanthu.thu{i:04d}@bench.example", "0"])
        else:
            rows.append([f"KT{i:04d}", f"Sở Kiểm thử {i:04d}", f"Sở Kiểm thử {i:04d}", "", "so_nganh",
                         f"vanthu.kt{i:04d}@bench.example", "1"])
    return rows


def make_workspace(n: int, dest: Path) -> list[str]:
    """Copy the sample workspace's settings, plan and templates, with enough agencies for n returns."""
    from pipeline.model.assignments import by_agency
    from pipeline.workspace.load import load_workspace

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    shutil.copytree(ROOT / "plan", dest / "plan")
    shutil.copytree(ROOT / "templates", dest / "templates")
    (dest / "inbox").mkdir()
    (dest / "outbox").mkdir()
    base = len(by_agency(load_workspace(dest).assignments(YEAR)))
    extra = max(0, n - base)
    with (dest / "plan" / "agencies.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(_synthetic_rows(extra))
    codes = list(by_agency(load_workspace(dest).assignments(YEAR)))
    return codes[:n]


def _fill(job: tuple[bytes, int, str, str]) -> bytes:
    from fill import Fill, fill_workbook

    blank, seed, quality, day = job
    return fill_workbook(blank, Fill(YEAR, dt.date.fromisoformat(day), seed, quality, progress=0.5))


def _convert(files: dict[str, bytes], target: str) -> dict[str, bytes]:
    """Re-save workbooks through LibreOffice in batches (each start of soffice costs seconds)."""
    assert SOFFICE is not None
    out: dict[str, bytes] = {}
    names = list(files)
    for start in range(0, len(names), 200):
        batch = names[start : start + 200]
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name in batch:
                p = Path(tmp) / name
                p.write_bytes(files[name])
                paths.append(str(p))
            target_dir = Path(tmp) / "out"
            subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
                            target, "--outdir", str(target_dir), *paths], check=True, capture_output=True,
                           timeout=1800)
            for name in batch:
                converted = target_dir / (Path(name).stem + "." + target)
                if converted.is_file():
                    out[name] = converted.read_bytes()
    return out


def build(n: int, force: bool = False, log: bool = True) -> Path:
    """The cached corpus of n returns (built when missing); returns its workspace folder."""
    if not force and manifest(n) is not None:
        return workspace_dir(n)
    from pipeline.generate.workbooks import generate
    from pipeline.workspace.load import load_workspace

    started = time.perf_counter()
    ws_dir = workspace_dir(n)
    codes = make_workspace(n, ws_dir)
    ws = load_workspace(ws_dir)
    deadline = ws.settings.deadline_for(YEAR)
    rng = random.Random(n)
    with tempfile.TemporaryDirectory() as tmp:
        made = generate(ws, YEAR, out_dir=Path(tmp))
        blanks = {w.agency.code: (w.workbook.name, w.workbook.read_bytes()) for w in made.workbooks}
    jobs, names, plan = [], [], []
    for i, code in enumerate(codes):
        name, blank = blanks[code]
        quality = "errors" if rng.random() < ERROR_SHARE else "clean"
        late = rng.random() < LATE_SHARE
        day = deadline + dt.timedelta(days=rng.randint(1, 10)) if late else deadline - dt.timedelta(
            days=rng.randint(0, 25))
        roll = rng.random()
        fmt = "xls" if roll < XLS_SHARE else "ods" if roll < XLS_SHARE + ODS_SHARE else "xlsx"
        jobs.append((blank, YEAR * 100_000 + i, quality, day.isoformat()))
        names.append(name)
        plan.append({"agency": code, "file": name, "quality": quality, "late": late, "format": fmt})
    if log:
        print(f"n={n}: điền {len(jobs)} biểu mẫu…", flush=True)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        filled = list(pool.map(_fill, jobs, chunksize=16))
    files = dict(zip(names, filled))
    resave: dict[str, dict[str, bytes]] = {"xls": {}, "ods": {}}
    for item in plan:
        if item["format"] != "xlsx" and SOFFICE is not None:
            resave[str(item["format"])][str(item["file"])] = files[str(item["file"])]
    inbox = inbox_dir(n)
    inbox.mkdir(parents=True, exist_ok=True)
    converted: dict[str, str] = {}
    for target, group in resave.items():
        if not group:
            continue
        if log:
            print(f"n={n}: lưu lại {len(group)} tệp dạng .{target} bằng LibreOffice…", flush=True)
        for name, data in _convert(group, target).items():
            files.pop(name)
            new_name = Path(name).stem + "." + target
            (inbox / new_name).write_bytes(data)
            converted[name] = new_name
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    for item in plan:
        if item["file"] in converted:
            item["file"] = converted[str(item["file"])]
        else:
            item["format"] = "xlsx"
    counts = {fmt: sum(1 for i in plan if i["format"] == fmt) for fmt in ("xlsx", "xls", "ods")}
    info = {
        "version": VERSION, "n": n, "year": YEAR, "files": len(plan), "formats": counts,
        "with_errors": sum(1 for i in plan if i["quality"] == "errors"), "late": sum(1 for i in plan if i["late"]),
        "libreoffice": SOFFICE is not None, "bytes": sum(p.stat().st_size for p in inbox.iterdir()),
        "built_seconds": round(time.perf_counter() - started, 1), "returns": plan,
    }
    (corpus_dir(n) / "manifest.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    if log:
        print(f"n={n}: {len(plan)} tệp {counts} trong {inbox} ({info['built_seconds']} s)", flush=True)
    return ws_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[50, 500, 5000])
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    args = parser.parse_args()
    for n in args.sizes:
        print(f"n={n}: {build(n, args.force)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
