#!/bin/sh
# Regenerates the activation goldens in this folder with the llama.cpp peer's
# CPU backend as built on this machine (its x86 from_float quantizers).
# Usage: sh gen_activation_golden.sh [PEER_DIR]
set -eu
peer=${1:-$HOME/.cache/quantlab-peers/llama.cpp}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
g=$peer/ggml
c++ -O2 -std=c++17 -I"$g/include" "$here/gen_activation_golden.cpp" \
    -L"$peer/build/bin" -lggml-cpu -lggml-base -Wl,-rpath,"$peer/build/bin" -o "$tmp/gen"
cd "$here" && "$tmp/gen"
rm -rf "$tmp"
