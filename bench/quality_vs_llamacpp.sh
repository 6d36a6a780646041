#!/usr/bin/env bash
# Do quantlab's quantized files run in llama.cpp, and how close do they stay to
# the unquantized model compared with llama-quantize's own files? Both engines'
# logits come from the peer's logits-dump (llama.cpp runs every file).
#   bench/quality_vs_llamacpp.sh [MIX ...]        (default: Q4_K_M IQ4_XS Q2_K TQ1_0)
# Needs the peer (../shared/peers/llama-cpp.sh) and Debian's python3-numpy.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
QL=${QL:-$HERE/build/bin/quantlab}
PEER=$(bash "$HERE/../shared/peers/llama-cpp.sh")
MIXES=("$@")
((${#MIXES[@]})) || MIXES=(Q4_K_M IQ4_XS Q2_K TQ1_0)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$QL" generate --arch ${ARCH:-llama} --seed 7 -o "$W/f32.gguf" >/dev/null
/usr/bin/python3 -c "import random; random.seed(1); print(' '.join(str(random.randrange(1000)) for _ in range(256)))" >"$W/toks.txt"
"$PEER/logits-dump" "$W/f32.gguf" "$W/toks.txt" "$W/ref.f32" 2>/dev/null
echo "| mix | KL(F32 ‖ quantlab) | KL(F32 ‖ llama-quantize) | argmax agreement quantlab | llama-quantize |"
echo "|---|---|---|---|---|"
for m in "${MIXES[@]}"; do
  "$QL" quantize "$W/f32.gguf" "$W/ours.gguf" --mix "$m" >/dev/null 2>&1
  "$PEER/llama-quantize" "$W/f32.gguf" "$W/peer.gguf" "$m" >/dev/null 2>&1
  "$PEER/logits-dump" "$W/ours.gguf" "$W/toks.txt" "$W/ours.f32" 2>/dev/null
  "$PEER/logits-dump" "$W/peer.gguf" "$W/toks.txt" "$W/peer.f32" 2>/dev/null
  /usr/bin/python3 - "$W" "$m" <<'PY'
import sys, numpy as np
w, m = sys.argv[1], sys.argv[2]
def load(n):
    return np.fromfile(f"{w}/{n}.f32", dtype=np.float32).astype(np.float64).reshape(256, -1)
def log_softmax(a):
    a = a - a.max(1, keepdims=True)
    return a - np.log(np.exp(a).sum(1, keepdims=True))
ref, ours, peer = load("ref"), load("ours"), load("peer")
lr = log_softmax(ref)
kl = lambda o: float(np.mean(np.sum(np.exp(lr) * (lr - log_softmax(o)), 1)))
agree = lambda o: float(np.mean(ref.argmax(1) == o.argmax(1)))
print(f"| {m} | {kl(ours):.4f} | {kl(peer):.4f} | {agree(ours):.3f} | {agree(peer):.3f} |")
PY
done
