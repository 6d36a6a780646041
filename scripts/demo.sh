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

step "4. compare: size, bits per weight, effective capacity"
printf '%-10s %12s %8s %14s\n' file bytes bpw capacity_gbit
for f in "$OUT"/tiny-*.gguf; do
  "$QL" info "$f" --json | python3 -c '
import json, os, sys
j = json.load(sys.stdin); f = sys.argv[1]
print(f"{os.path.basename(f)[5:-5]:<10} {os.path.getsize(f):>12} {j[\"bpw\"]:>8.3f} {j[\"capacity_gbit\"]:>14.4f}")' "$f"
done
