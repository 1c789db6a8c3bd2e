"""Time a report of the whole test corpus against the compare run that feeds it.

The compare run is what `pixtok compare corpus/*.txt corpus/next/*.txt` does on one core with
its defaults (glyph preset, mistral-spm and cl100k, three encoders, density on, OCR off): a
`Comparer.measure` per text. The report run is what `pixtok report` does with the same options:
the same measuring, plus page pictures, encoder grids, text cut into tokens, charts, and the
HTML written to a file. Both run in one process, after a warm-up round (fonts, models and
matplotlib loaded), taking turns within each round, best of several rounds; the ratio
report/compare is what to read (the goal is < 2), in wall time and in this process's CPU time
(which other jobs on a shared machine disturb less), with the report's size beside it.

Run: `python benchmarks/bench_report.py [--rounds N] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok.compare import CompareOptions, Comparer  # noqa: E402
from pixtok.corpus.inputs import Record  # noqa: E402
from pixtok.report import ReportOptions, report_texts, write_report  # noqa: E402

CORPUS = REPO / "corpus"


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def best_times(works: dict[str, Callable[[], object]], rounds: int) -> dict[str, tuple[float, float]]:
    """Best wall and CPU time of each work over `rounds`, the works taking turns within a round
    so that a change in the machine's load falls on both alike; one warm-up round first."""
    for work in works.values():
        work()
    best = {name: (float("inf"), float("inf")) for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            wall, cpu = timed(work)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()

    files = sorted([*CORPUS.glob("*.txt"), *CORPUS.glob("next/*.txt")])
    texts = [(str(p.relative_to(REPO)), p.read_text(encoding="utf-8")) for p in files]
    options = CompareOptions(density=True)
    sizes: list[int] = []

    def compare_run() -> None:
        comparer = Comparer(options)
        for name, text in texts:
            comparer.measure(text, name)

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "report.html"

        def report_run() -> None:
            records = [Record(name, text) for name, text in texts]
            report = report_texts(records, ReportOptions(compare=options))
            sizes.append(write_report(report, target))

        best = best_times({"compare": compare_run, "report": report_run}, args.rounds)
    (compare_s, compare_cpu), (report_s, report_cpu) = best["compare"], best["report"]
    row = {
        "texts": len(texts),
        "chars": sum(len(t) for _, t in texts),
        "compare_s": round(compare_s, 3),
        "report_s": round(report_s, 3),
        "ratio": round(report_s / compare_s, 3),
        "compare_cpu_s": round(compare_cpu, 3),
        "report_cpu_s": round(report_cpu, 3),
        "cpu_ratio": round(report_cpu / compare_cpu, 3),
        "report_bytes": sizes[-1],
    }
    if args.json:
        print(json.dumps(row))
        return
    print(f"{row['texts']} texts, {row['chars']} chars; best of {args.rounds} after a warm-up")
    print(f"wall: compare {compare_s:.2f} s, report {report_s:.2f} s: ratio {row['ratio']:.2f}")
    print(f"CPU:  compare {compare_cpu:.2f} s, report {report_cpu:.2f} s: ratio {row['cpu_ratio']:.2f}")
    print(f"report size {row['report_bytes'] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
