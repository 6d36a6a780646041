#!/usr/bin/env bash
# The demo of `make demo`. Until the full experiment exists (model zoo,
# evaluation, planner), it walks through what quantlab does today: make a small
# model, inspect it, quantize it three ways, and compare sizes and errors.
set -euo pipefail
QL=${1:-build/bin/quantlab}
OUT=${DEMO_DIR:-build/demo}
mkdir -p "$OUT"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. generate a small qwen3-shaped model with random weights (F16)"
"$QL" generate --arch qwen3 --type F16 --n-embd 512 --n-layer 4 --n-ff 1536 -o "$OUT/tiny-f16.gguf"

step "2. inspect it"
"$QL" info "$OUT/tiny-f16.gguf"

for mix in Q8_0 Q4_K_M IQ4_XS Q2_K; do
  step "3. quantize to $mix (plan first, then write)"
  "$QL" quantize "$OUT/tiny-f16.gguf" "$OUT/tiny-$mix.gguf" --mix "$mix" --dry-run | tail -3
  "$QL" quantize "$OUT/tiny-f16.gguf" "$OUT/tiny-$mix.gguf" --mix "$mix"
done

step "4. compare: size, bits per weight, effective capacity, weight error against F16"
summary() {  # file -> "bytes bpw capacity rel_rmse"
  python3 - "$1" "$QL" <<'PY'
import json, os, subprocess, sys
f, ql = sys.argv[1], sys.argv[2]
info = json.loads(subprocess.check_output([ql, "info", f, "--json"]))
ref = f.replace(os.path.basename(f), "tiny-f16.gguf")
cmp = json.loads(subprocess.check_output([ql, "compare-weights", ref, f, "--json"]))
name = os.path.basename(f)[5:-5]
print(f"{name:<10} {os.path.getsize(f):>12} {info['bpw']:>8.3f} {info['capacity_gbit']:>14.4f} {cmp['overall_rel_rmse']:>10.5f}")
PY
}
printf '%-10s %12s %8s %14s %10s\n' file bytes bpw capacity_gbit rel_rmse
for mix in f16 Q8_0 Q4_K_M IQ4_XS Q2_K; do summary "$OUT/tiny-$mix.gguf"; done

step "5. speed of each file (scalar reference kernels for now; SIMD kernels come next)"
for mix in f16 Q8_0 Q4_K_M; do
  "$QL" bench "$OUT/tiny-$mix.gguf" -p 64 -n 16 -r 2 | tail -2
done
