#!/usr/bin/env python3
"""Cuts the bundled demo data set out of the shared arXiv sample.

Keeps about 30% of the papers announced from 2026-05-11 on (picked by a CRC32 of the id, so
the cut is stable), in the sample's own JSON Lines format, gzip-compressed without a
timestamp so that the same input gives the same bytes.

    python3 crates/paperboy/demo/make_demo.py ../shared/data/arxiv-2025-2026.jsonl.gz \
        crates/paperboy/demo/papers.jsonl.gz
"""

import gzip
import io
import json
import sys
import zlib

FIRST_DAY = "2026-05-11"
KEEP_PERCENT = 30


def main(source: str, target: str) -> None:
    kept = []
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["announce_date"] >= FIRST_DAY and zlib.crc32(record["id"].encode()) % 100 < KEEP_PERCENT:
                kept.append(record)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as out:
        for record in kept:
            out.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    with open(target, "wb") as out:
        out.write(buffer.getvalue())
    days = len({r["announce_date"] for r in kept})
    print(f"{len(kept)} papers on {days} announce days, {len(buffer.getvalue())} bytes -> {target}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
