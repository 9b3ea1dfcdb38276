#!/usr/bin/env python3
"""Writes a larger catalog by repeating the shared sample under new arXiv ids.

Copy k (k = 0, 1, 2) adds 33,000*k to every id's number (2503.11731 -> 2503.11731,
2503.44731, 2503.77731): the sample's numbers stay below 33,000 and arXiv's have five digits,
so each copy is a distinct, valid set of papers with the sample's real texts, and at most three
copies fit. Used to check that memory stays flat as imports grow.

    python3 bench/scale_sample.py 3 /tmp/sample-x3.jsonl.gz
"""

import gzip
import json
import sys

SAMPLE = "../shared/data/arxiv-2025-2026.jsonl.gz"
SHIFT = 33_000
MAX_COPIES = 3


def main(copies: int, target: str, source: str = SAMPLE) -> None:
    if not 1 <= copies <= MAX_COPIES:
        sys.exit(f"copies must be 1 to {MAX_COPIES}")
    written = 0
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=1) as out:
        for copy in range(copies):
            with gzip.open(source, "rt", encoding="utf-8") as lines:
                for line in lines:
                    record = json.loads(line)
                    yymm, number = record["id"].split(".")
                    record["id"] = f"{yymm}.{int(number) + SHIFT * copy:05d}"
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
    print(f"{written} records -> {target}")


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:4])
