#!/bin/sh
# Measures quantlab against llama.cpp on quantized models: for every
# architecture, the default synthetic model of `quantlab generate --arch ARCH
# --seed 1`, an imatrix from the peer's llama-imatrix on the F32 model, the
# peer's llama-quantize to each TYPE, then logits over ../logits/tokens.txt
# from the peer's logits-dump and from `quantlab logits` (activations
# quantized as ggml does), compared by compare.py (mean KL, argmax).
#   QUANTLAB=build/bin/quantlab tests/data/logits-quant/measure.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
QUANTLAB=${QUANTLAB:-$HERE/../../../build/bin/quantlab}
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin}
TOKENS=$HERE/../logits/tokens.txt
THREADS=${THREADS:-2}
TMP=${KEEP_DIR:-$(mktemp -d)}
mkdir -p "$TMP"

python3 -c "import random; random.seed(1); print(' '.join(random.choice(
    ['the', 'a', 'of', 'model', 'token', 'x', 'y', '42', 'quant', 'lab']) for _ in range(3000)))" > "$TMP/text.txt"

for arch in ${ARCHS:-llama qwen3 qwen3moe glm4moe qwen2}; do
    "$QUANTLAB" generate --arch "$arch" --seed 1 -o "$TMP/$arch.gguf" > /dev/null
    "$PEER/llama-imatrix" -m "$TMP/$arch.gguf" -f "$TMP/text.txt" -o "$TMP/$arch.imatrix.gguf" \
        -c 128 --chunks 8 -t "$THREADS" > "$TMP/$arch.imatrix.log" 2>&1
    for type in ${TYPES:-Q4_K_M TQ1_0 IQ2_XXS}; do
        q=$TMP/$arch-$type.gguf
        "$PEER/llama-quantize" --imatrix "$TMP/$arch.imatrix.gguf" "$TMP/$arch.gguf" "$q" "$type" \
            "$THREADS" > "$TMP/$arch-$type.quantize.log" 2>&1
        "$PEER/logits-dump" "$q" "$TOKENS" "$TMP/$arch-$type.peer.f32" "$THREADS" > /dev/null 2>&1
        "$QUANTLAB" logits "$q" --tokens "$TOKENS" --out "$TMP/$arch-$type.ours.f32" --threads "$THREADS" > /dev/null
        printf '%-9s %-8s ' "$arch" "$type"
        python3 "$HERE/compare.py" "$TMP/$arch-$type.peer.f32" "$TMP/$arch-$type.ours.f32" 1024
    done
done
