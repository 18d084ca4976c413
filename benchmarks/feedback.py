"""Feedback copies: openpyxl (load, strip, mark, save) against patching the workbook's XML.

    .venv/bin/python benchmarks/feedback.py --corpus 100 --copies 500 --rounds 3

The agencies' files with findings come from a corpus of returns (benchmarks/make_corpus.py,
cached under benchmarks/corpus/); each case writes `--copies` copies, cycling through those
files, in one core and a fresh process (imports not timed). Each round runs both cases, in
alternated order; the table shows each round's seconds and the ratio within the round, then
the medians.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CASES = ("openpyxl", "xml")


def _collect(n: int, dest: Path) -> int:
    """Pickle (bytes, findings, author, due, year) of every .xlsx with findings in the corpus of n returns."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import make_corpus

    from pipeline.cycle import inspect
    from pipeline.intake.unpack import SEP, reread_member
    from pipeline.mail import department_tag
    from pipeline.model.vocab import FileKind, Severity
    from pipeline.workspace.load import load_workspace

    ws = load_workspace(make_corpus.build(n))
    result = inspect(ws, make_corpus.YEAR)
    inbox = ws.settings.inbox(make_corpus.YEAR)
    cases = []
    for f in result.files:
        if not FileKind(f.kind).ooxml or not f.findings:
            continue
        display = f.path.split(SEP)[0]
        member = reread_member(inbox / display, display, f.path)
        if member is None or member.rejection is not None or hashlib.sha256(member.data).hexdigest() != f.digest:
            continue
        due = "07/12/2026" if any(x.severity == Severity.ERROR for x in f.findings) else ""
        cases.append((member.data, list(f.findings), department_tag(ws), due, make_corpus.YEAR))
    dest.write_bytes(pickle.dumps(cases))
    return len(cases)


def _worker(case: str, cases_file: Path, copies: int, out: Path) -> float:
    """Write `copies` copies one way; the seconds it took."""
    from pipeline.model.vocab import FileKind
    from pipeline.outputs.feedback import FILL, list_sheet, write_feedback_copy
    from pipeline.outputs.feedback_xml import write_feedback_xml

    cases = pickle.loads(cases_file.read_bytes())
    started = time.perf_counter()
    for i in range(copies):
        data, findings, author, due, year = cases[i % len(cases)]
        path = out / f"copy{i}.xlsx"
        if case == "openpyxl":
            write_feedback_copy(data, FileKind.XLSX, findings, path, author, due, year)
        else:
            write_feedback_xml(data, findings, list_sheet(findings, due, year), FILL, author, path)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=int, default=100, help="returns in the corpus the files come from")
    parser.add_argument("--copies", type=int, default=500, help="copies each case writes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--cases", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(f"{_worker(args.worker, args.cases, args.copies, args.out):.3f}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        cases_file = Path(tmp) / "cases.pickle"
        files = _collect(args.corpus, cases_file)
        print(f"{files} files with findings (corpus of {args.corpus}), {args.copies} copies per case, one core")
        times: dict[str, list[float]] = {c: [] for c in CASES}
        print(f"{'round':>5} {'openpyxl s':>11} {'xml s':>8} {'ratio':>7}")
        for r in range(args.rounds):
            for case in (CASES if r % 2 == 0 else CASES[::-1]):
                out = Path(tmp) / f"{case}{r}"
                out.mkdir()
                done = subprocess.run([sys.executable, __file__, "--worker", case, "--cases", str(cases_file),
                                       "--copies", str(args.copies), "--out", str(out)],
                                      check=True, capture_output=True, text=True)
                times[case].append(float(done.stdout.strip()))
            a, b = times["openpyxl"][-1], times["xml"][-1]
            print(f"{r + 1:>5} {a:>11.2f} {b:>8.2f} {a / b:>6.1f}x")
        a, b = statistics.median(times["openpyxl"]), statistics.median(times["xml"])
        ratios = statistics.median(x / y for x, y in zip(times["openpyxl"], times["xml"]))
        print(f"{'median':>6} {a:>10.2f} {b:>8.2f} {ratios:>6.1f}x   "
              f"({1000 * a / args.copies:.1f} ms vs {1000 * b / args.copies:.1f} ms a copy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
