#!/usr/bin/env bash
# Regenerates the GGUF golden files in this directory with the llama.cpp peer
# (only needed to refresh them; the tests use the committed files):
#   tiny-f32.gguf               not committed (1.3 MB): made by gguf-py (make_goldens.py)
#   tiny-q4_k_m.gguf            llama-quantize tiny-f32.gguf ... Q4_K_M
#   tiny-q4_k_m-0000k-of-00003.gguf   llama-gguf-split --split-max-tensors 5
#   ../../fuzz/corpus/seed-*.gguf     fuzzer seeds made by gguf-py (make_fuzz_seeds.py)
# Needs: ~/.cache/quantlab-peers/llama.cpp with build/bin/llama-quantize and
# llama-gguf-split built, and python3 with numpy (Debian: python3-numpy).
set -euo pipefail
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$PEER/build/bin
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

PYTHONPATH=$PEER/gguf-py /usr/bin/python3 "$HERE/make_goldens.py" "$TMP/tiny-f32.gguf"
LD_LIBRARY_PATH=$BIN "$BIN/llama-quantize" "$TMP/tiny-f32.gguf" "$HERE/tiny-q4_k_m.gguf" Q4_K_M 1 \
  >"$TMP/quantize.log" 2>&1 || { cat "$TMP/quantize.log"; exit 1; }
rm -f "$HERE"/tiny-q4_k_m-0000?-of-0000?.gguf
LD_LIBRARY_PATH=$BIN "$BIN/llama-gguf-split" --split --split-max-tensors 5 \
  "$HERE/tiny-q4_k_m.gguf" "$HERE/tiny-q4_k_m" >"$TMP/split.log" 2>&1 || { cat "$TMP/split.log"; exit 1; }
PYTHONPATH=$PEER/gguf-py /usr/bin/python3 "$HERE/make_fuzz_seeds.py" "$HERE/../../fuzz/corpus"
ls -l "$HERE"/*.gguf "$HERE"/../../fuzz/corpus/*
