"""Corpus runs: records per second and peak memory of `pixtok compare` over a growing corpus, and
the speed-up of more jobs.

The test corpus (every text of corpus/, one JSON Lines record each, with a `lang`
field from its file name) is repeated until the file reaches each size (default ~10 MB and
~100 MB). By default every record is a text the run has not seen: after the first pass, each
text is rotated (its end moved before its start) at a different character for every pass, so
no record repeats another and each one is laid out and tokenized afresh, as in a real corpus;
`--repeat` writes the texts unchanged, so that after the first pass a run meets texts it has
already laid out (the figure for repeats).

For each size and job count, `python -m pixtok compare CORPUS --id-field id --group-by lang
-o OUT --jobs N` runs as a child process with compare's default render preset, tokenizers and
encoders and no density measures (`--no-density`); the benchmark polls the resident memory of
the whole process tree (the command and its workers) every 50 ms and keeps the peak.

The smallest corpus runs `--rounds` times per job count, interleaved (1, 2, 1, 2, ...), and the
fastest round is kept, since the machine may be shared; the larger ones run once, with the most
jobs, to show memory (the peak is the largest of the rounds).

Baseline, in this process: one `Comparer.measure` loop over the records of the smallest corpus,
no engine, no output file. Reported ratios: each run's records/s over that baseline, the
speed-up of N jobs over 1 job on the same corpus, and each size's peak memory over the
smallest size's (flat memory means ~1.0).

Run: `python benchmarks/bench_corpus.py [--sizes 10,100] [--jobs 1,2] [--rounds 3] [--repeat] [--json]`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok.compare import CompareOptions, Comparer  # noqa: E402
from pixtok.corpus.inputs import CorpusOptions, iter_records  # noqa: E402

CORPUS = REPO / "corpus"
MB = 1_000_000
#: What each record costs: compare's default tokenizers and encoders, no density measures (the
#: same options on the command line and in the baseline).
OPTIONS = CompareOptions(density=False)


def rotated(text: str, shift: int) -> str:
    """`text` with its last characters moved before its first, cut at a character that starts
    a cluster (not a combining mark or a joiner), `shift` characters (or a little more) in."""
    cut = shift % len(text)
    while cut < len(text) and (
        unicodedata.category(text[cut]).startswith("M") or text[cut] in "\u200c\u200d"
    ):
        cut += 1
    return text[cut:] + text[:cut]


def build_corpus(path: Path, size_mb: float, repeat: bool = False) -> tuple[int, int]:
    """Repeat the test corpus into JSON Lines until `size_mb` MB; return (records, bytes).

    Unless `repeat`, each pass after the first rotates every text at a new place, so that no two
    records hold the same text."""
    texts = [(p.name.split("_", 1)[0], p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))]
    records = passes = 0
    seen: set[bytes] = set()  # digests, not the texts: the corpus is not held twice
    with open(path, "w", encoding="utf-8") as stream:
        while stream.tell() < size_mb * MB:
            for lang, text in texts:
                body = text
                if not repeat:
                    shift = passes * 7919  # a prime: cuts spread over the text, pass after pass
                    while (digest := hashlib.sha1((body := rotated(text, shift)).encode()).digest()) in seen:
                        shift += 1
                    seen.add(digest)
                row = {"id": f"r{records}", "lang": lang, "text": body}
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
                records += 1
            passes += 1
    return records, path.stat().st_size


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


def run_cli(corpus: Path, output: Path, jobs: int) -> dict[str, float]:
    """Time one `pixtok compare` run and sample its process tree's memory."""
    command = [sys.executable, "-m", "pixtok", "compare", str(corpus), "--id-field", "id"]
    command += ["--group-by", "lang", "-o", str(output), "--jobs", str(jobs), "--quiet"]
    command += ["--tokenizer", ",".join(OPTIONS.tokenizers), "--encoder", ",".join(OPTIONS.encoders)]
    command += ["--no-density"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watched = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    _, err = child.communicate()
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"pixtok compare failed ({child.returncode}): {err.decode()[-500:]}")
    with open(output, "rb") as written:  # JSON Lines: one record a line (stdout is piped: empty)
        records = sum(1 for _ in written)
    return {"seconds": seconds, "records": records, "peak_rss_mb": peak / MB}


def baseline(corpus: Path) -> float:
    """Records per second of a plain Comparer.measure loop in this process."""
    comparer = Comparer(OPTIONS)
    records = list(iter_records([corpus], CorpusOptions(id_field="id", keep=())))
    comparer.measure(records[0].text)  # warm-up: tokenizers and fonts loaded
    start = time.perf_counter()
    for record in records:
        comparer.measure(record.text, record.id)
    return len(records) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100", help="corpus sizes in MB, comma-separated")
    parser.add_argument("--jobs", default="1,2", help="job counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="rounds on the smallest corpus (best kept)")
    parser.add_argument(
        "--repeat", action="store_true", help="records repeat the corpus texts unchanged (the repeat figure)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    job_counts = [int(j) for j in args.jobs.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        corpora = {}
        for size in sizes:
            path = folder / f"corpus-{size:g}mb.jsonl"
            corpora[size] = (path, *build_corpus(path, size, args.repeat))
        base = baseline(corpora[sizes[0]][0])
        for size in sizes:
            path, records, nbytes = corpora[size]
            # The smallest corpus runs with every job count, interleaved, best of the rounds (the
            # machine may be shared); the larger ones with the most jobs, once: they show memory.
            plan = job_counts if size == sizes[0] else job_counts[-1:]
            rounds = args.rounds if size == sizes[0] else 1
            best: dict[int, dict[str, float]] = {}
            for _ in range(rounds):
                for jobs in plan:
                    run = run_cli(path, folder / "out.jsonl", jobs)
                    assert run["records"] == records
                    print(json.dumps({"size_mb": size, "jobs": jobs, **run}), file=sys.stderr)
                    kept = best.setdefault(jobs, run)
                    kept["seconds"] = min(kept["seconds"], run["seconds"])
                    kept["peak_rss_mb"] = max(kept["peak_rss_mb"], run["peak_rss_mb"])
            for jobs, run in best.items():
                results.append(
                    {
                        "size_mb": round(nbytes / MB, 1),
                        "records": records,
                        "jobs": jobs,
                        "seconds": round(run["seconds"], 1),
                        "records_per_s": round(records / run["seconds"], 2),
                        "mb_per_s": round(nbytes / MB / run["seconds"], 3),
                        "peak_rss_mb": round(run["peak_rss_mb"], 1),
                        "vs_baseline": round(records / run["seconds"] / base, 2),
                    }
                )
    first = {r["jobs"]: r for r in results if r["size_mb"] == results[0]["size_mb"]}
    one = first[1]["records_per_s"] if 1 in first else None
    speedup = {j: round(r["records_per_s"] / one, 2) for j, r in first.items()} if one else {}
    top = job_counts[-1]
    smallest = first[top]["peak_rss_mb"]
    memory = {r["size_mb"]: round(r["peak_rss_mb"] / smallest, 2) for r in results if r["jobs"] == top}
    report = {
        "texts": "repeated unchanged" if args.repeat else "new in every record",
        "machine": {
            "cores": os.cpu_count(),
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "python": platform.python_version(),
        },
        "baseline_records_per_s": round(base, 2),
        "runs": results,
        "speedup_vs_1_job": speedup,
        f"peak_memory_vs_smallest_at_{top}_jobs": memory,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"records: {report['texts']}")
    print(f"baseline (Comparer.measure loop, this process): {base:.2f} records/s")
    print("| corpus | records | jobs | seconds | records/s | MB/s | peak RSS (tree) | vs baseline |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['size_mb']} MB | {r['records']} | {r['jobs']} | {r['seconds']} | {r['records_per_s']} "
            f"| {r['mb_per_s']} | {r['peak_rss_mb']} MB | {r['vs_baseline']}x |"
        )
    print(f"speed-up over 1 job: {speedup}; peak memory over the smallest corpus: {memory}")
    print(f"machine: {report['machine']}")


if __name__ == "__main__":
    main()
