#!/usr/bin/env bash
# Side-by-side quantization benchmark: quantlab against the llama.cpp peer's
# llama-quantize on the same generated F16 model, same thread count.
# For each type: median wall time of RUNS runs each, and the relative RMSE of
# each output's weights against the F16 weights (quantlab compare-weights,
# over all tensors). Prints a markdown table.
#
# usage: bench/quantize_vs_llamacpp.sh [QUANTLAB] [PEER_BIN_DIR]
# env:   TYPES="Q4_K_M Q6_K Q8_0 IQ4_XS"  RUNS=3  THREADS=2  WORK=/tmp/...
#        N_EMBD=1024 N_LAYER=12 N_FF=3072 N_VOCAB=32000  (qwen3-like, ~250 MB at F16)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
quantlab="${1:-$here/../build/bin/quantlab}"
peer="${2:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin}"
types="${TYPES:-Q4_K_M Q6_K Q8_0 IQ4_XS}"
runs="${RUNS:-3}"
threads="${THREADS:-2}"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
model="$work/f16.gguf"

if [ ! -f "$model" ]; then
    "$quantlab" generate --arch qwen3 --type F16 -o "$model" --seed 11 \
        --n-embd "${N_EMBD:-1024}" --n-layer "${N_LAYER:-12}" --n-ff "${N_FF:-3072}" \
        --n-head 16 --n-head-kv 8 --head-dim 64 --n-vocab "${N_VOCAB:-32000}" >&2
fi

now() { date +%s.%N; }

# Median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# time_runs OUT CMD...: runs CMD RUNS times (OUT removed before each), prints the median seconds.
time_runs() {
    local out="$1"; shift
    for _ in $(seq "$runs"); do
        rm -f "$out"
        local t0; t0=$(now)
        "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
        echo "$(now) - $t0" | bc -l
    done | median
}

rel_rmse() {
    "$quantlab" compare-weights "$model" "$1" --json |
        python3 -c 'import json,sys; print("%.5f" % json.load(sys.stdin)["overall_rel_rmse"])'
}

echo "model: $("$quantlab" info "$model" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print("%s, %.1f M parameters, %.0f MB" % (j["architecture"], j["n_params"]/1e6, j["tensor_bytes"]/1e6))'), threads: $threads, runs: $runs"
echo
echo "| type | ours s | peer s | ratio (ours/peer) | ours rel-RMSE | peer rel-RMSE |"
echo "|---|---:|---:|---:|---:|---:|"
for type in $types; do
    ours="$work/ours-$type.gguf"
    theirs="$work/peer-$type.gguf"
    t_ours=$(time_runs "$ours" "$quantlab" quantize "$model" "$ours" --mix "$type" --threads "$threads")
    t_peer=$(time_runs "$theirs" "$peer/llama-quantize" "$model" "$theirs" "$type" "$threads")
    ratio=$(echo "$t_ours / $t_peer" | bc -l)
    printf '| %s | %.2f | %.2f | %.2f | %s | %s |\n' "$type" "$t_ours" "$t_peer" "$ratio" \
        "$(rel_rmse "$ours")" "$(rel_rmse "$theirs")"
done
