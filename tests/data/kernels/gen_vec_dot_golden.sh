#!/bin/sh
# Regenerates the vec_dot goldens in this folder with the llama.cpp peer
# (built by ../shared/peers/llama-cpp.sh). ggml's generic dot products are
# compiled from the peer's ggml-cpu/quants.c without FMA, as a reference
# build of ggml would run them. Usage: sh gen_vec_dot_golden.sh [PEER_DIR]
set -eu
peer=${1:-$HOME/.cache/quantlab-peers/llama.cpp}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
g=$peer/ggml
cc -O2 -std=gnu11 -march=x86-64 -ffp-contract=off -DGGML_USE_CPU -I"$g/include" -I"$g/src" \
    -I"$g/src/ggml-cpu" -c "$g/src/ggml-cpu/quants.c" -o "$tmp/quants.o"
c++ -O2 -std=c++17 -I"$g/include" "$here/gen_vec_dot_golden.cpp" "$tmp/quants.o" \
    -L"$peer/build/bin" -lggml-cpu -lggml-base -Wl,-rpath,"$peer/build/bin" -o "$tmp/gen"
cd "$here" && "$tmp/gen"
rm -rf "$tmp"
