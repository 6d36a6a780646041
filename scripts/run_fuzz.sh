#!/usr/bin/env bash
# Runs the GGUF reader fuzzer for SECONDS on a scratch copy of the seed corpus.
# Inputs are at most 8 KiB; any single allocation over 64 MB counts as a crash
# (the reader must never allocate more than a file could justify).
#   scripts/run_fuzz.sh BUILD/bin/fuzz_gguf_reader SECONDS
set -euo pipefail
BIN=$1
SECONDS_TO_RUN=${2:-60}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/corpus"
cp "$HERE"/tests/fuzz/corpus/* "$WORK/corpus/" 2>/dev/null || true
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -malloc_limit_mb=64 -print_final_stats=1 \
  -artifact_prefix="$WORK/" "$WORK/corpus" 2>"$WORK/log" || {
  tail -40 "$WORK/log"
  echo "fuzz: the GGUF reader crashed; reproducer: $(ls "$WORK"/crash-* 2>/dev/null | head -1)" >&2
  mkdir -p "$HERE/build-fuzz/artifacts" && cp "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* "$HERE/build-fuzz/artifacts/" 2>/dev/null || true
  exit 1
}
grep -E "stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$WORK/log" | sed 's/^/fuzz: /'
