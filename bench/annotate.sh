#!/usr/bin/env bash
# Keywords and TL;DRs as `paperboy annotate` makes them, end to end (reading what is due, the
# model, writing), on the newest 2,000 papers of the sample: with the vectors `paperboy embed`
# stored for them, and without, on copies of one imported data directory.
#
#   bench/annotate.sh [PAPERBOY_BINARY]      (default: $CARGO_TARGET_DIR or target, release)
#
# Needs the model in PAPERBOY_MODEL_DIR (scripts/fetch-model.sh) and GNU time. Prints each
# command's own summary line and its wall time, CPU time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
model="${PAPERBOY_MODEL_DIR:?set PAPERBOY_MODEL_DIR to the all-MiniLM-L6-v2 directory}"
papers="${PAPERBOY_BENCH_PAPERS:-2000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

zcat ../shared/data/arxiv-2025-2026.jsonl.gz | tail -"$papers" > "$work/papers.jsonl"
"$binary" import "$work/papers.jsonl" --data-dir "$work/with" > /dev/null 2>&1
cp -r "$work/with" "$work/without"
timed() { /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KiB peak" "$@" 2>&1 | tail -2; }
echo "embed:"
timed "$binary" --model "$model" embed --data-dir "$work/with"
echo "annotate, with the stored vectors:"
timed "$binary" --model "$model" annotate --data-dir "$work/with"
echo "annotate, without:"
timed "$binary" --model "$model" annotate --data-dir "$work/without"
