#!/usr/bin/env python3
"""Writes a larger catalog by repeating the shared sample under new arXiv ids.

The first copy keeps the sample's ids (from 2018 to 2026). Every further copy gets fresh ids
counted through 2015-2017 (1501.00001, 1501.00002, ..., 1501.99999, 1502.00001, ...), months the
sample does not use, so each copy is a distinct, valid set of papers with the sample's real
texts. Dates inside the records are kept. Used to check that memory stays flat as imports grow,
and for search at scale:

    python3 bench/scale_sample.py 3 /tmp/sample-x3.jsonl.gz
    python3 bench/scale_sample.py 14 /tmp/sample-1m.jsonl.gz    # 1,046,192 papers
"""

import gzip
import json
import sys

SAMPLE = "../shared/data/arxiv-2025-2026.jsonl.gz"
NUMBERS_PER_MONTH = 99_999
FIRST_YEAR = 15
# 36 months of 99,999 ids: room for 48 further copies of the sample.
MAX_COPIES = 48


def fresh_id(counter: int) -> str:
    """The `counter`-th id of 2015-2017, from 0."""
    month_index, number = divmod(counter, NUMBERS_PER_MONTH)
    year, month = divmod(month_index, 12)
    return f"{FIRST_YEAR + year:02d}{month + 1:02d}.{number + 1:05d}"


def main(copies: int, target: str, source: str = SAMPLE) -> None:
    if not 1 <= copies <= MAX_COPIES:
        sys.exit(f"copies must be 1 to {MAX_COPIES}")
    written = fresh = 0
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=1) as out:
        for copy in range(copies):
            with gzip.open(source, "rt", encoding="utf-8") as lines:
                for line in lines:
                    record = json.loads(line)
                    if copy > 0:
                        record["id"] = fresh_id(fresh)
                        fresh += 1
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
            print(f"copy {copy + 1}/{copies}: {written} records", file=sys.stderr)
    print(f"{written} records -> {target}")


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:4])
