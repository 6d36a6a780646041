#!/usr/bin/env bash
# Regenerates the golden imatrix files of this folder with the llama.cpp
# peer's llama-imatrix, in both of its formats, from one run on a tiny random
# qwen3moe model made by `quantlab generate` (so 3-D expert stacks are covered).
#
# usage: tests/data/imatrix/make.sh [QUANTLAB_BINARY] [PEER_BIN_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
quantlab="${1:-$here/../../../build/bin/quantlab}"
peer="${2:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$quantlab" generate --arch qwen3moe -o "$work/tiny.gguf" --seed 7 --type F32 \
    --n-embd 256 --n-layer 1 --n-head 4 --n-head-kv 1 --head-dim 64 --n-vocab 300 \
    --n-expert 4 --n-expert-used 2 --n-ff-exp 256

# Calibration text: deterministic, a few chunks of 64 tokens.
for i in $(seq 1 200); do echo "line $i: the quick brown fox $((i * 7 % 13)) jumps over $((i % 5)) lazy dogs"; done >"$work/calib.txt"

cd "$work"  # the dataset name stored in the files is then just "calib.txt"
common=(-m tiny.gguf -f calib.txt -c 64 --chunks 4 -t 2 --no-ppl --seed 1)
"$peer/llama-imatrix" "${common[@]}" -o tiny.imatrix.gguf >"$work/log1" 2>&1 || { cat "$work/log1"; exit 1; }
"$peer/llama-imatrix" "${common[@]}" -o tiny.imatrix.dat --output-format dat >"$work/log2" 2>&1 || { cat "$work/log2"; exit 1; }
cp "$work/tiny.imatrix.gguf" "$work/tiny.imatrix.dat" "$here/"
ls -l "$here"
