#!/bin/sh
# Measures quantlab against llama.cpp on quantized models: for every
# architecture, the synthetic model of `quantlab generate --arch ARCH --seed 1
# $GEN_ARGS` (default: the architecture's defaults, 2 to 4 blocks), an
# imatrix from the peer's llama-imatrix on the F32 model, the peer's
# llama-quantize to each TYPE, then logits over ../logits/tokens.txt. Per
# case, three lines (compare.py: mean KL(a || b), argmax agreement on
# positions with a top-2 margin >= 1e-3, max relative logit difference):
#   quantlab   peer logits-dump vs `quantlab logits` (activations as ggml)
#   floor      peer logits-dump vs the peer with repacking off and micro-
#              batches of 64 (peer_logits_variant.cpp): how far the peer
#              moves from itself when only its summation order changes
#   f32-acts   the peer on the weights dequantized to F32 vs quantlab with
#              f32 activations, then vs the peer (8-bit activations)
#   QUANTLAB=build/bin/quantlab tests/data/logits-quant/measure.sh
#   GEN_ARGS="--n-layer 2" ARCHS=llama TYPES=Q4_K_M tests/data/logits-quant/measure.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
QUANTLAB=${QUANTLAB:-$HERE/../../../build/bin/quantlab}
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin}
PEER_SRC=$(cd "$PEER/../.." && pwd)
TOKENS=$HERE/../logits/tokens.txt
THREADS=${THREADS:-2}
GEN_ARGS=${GEN_ARGS:-}
TMP=${KEEP_DIR:-$(mktemp -d)}
mkdir -p "$TMP"

python3 -c "import random; random.seed(1); print(' '.join(random.choice(
    ['the', 'a', 'of', 'model', 'token', 'x', 'y', '42', 'quant', 'lab']) for _ in range(3000)))" > "$TMP/text.txt"
g++ -O2 -std=c++17 -I "$PEER_SRC/include" -I "$PEER_SRC/ggml/include" "$HERE/peer_logits_variant.cpp" \
    -L "$PEER" -lllama -lggml -lggml-base -Wl,-rpath,"$PEER" -o "$TMP/peer_logits_variant"

for arch in ${ARCHS:-llama qwen2 qwen3 qwen3moe glm4moe}; do
    m=$TMP/$arch.gguf
    # shellcheck disable=SC2086
    "$QUANTLAB" generate --arch "$arch" --seed 1 $GEN_ARGS -o "$m" > /dev/null
    n_vocab=$("$QUANTLAB" info "$m" --json | python3 -c "import json, sys; print(json.load(sys.stdin)['n_vocab'])")
    n_block=$("$QUANTLAB" info "$m" --json | python3 -c "
import json, sys; d = json.load(sys.stdin)['metadata']
print(d['glm4moe.block_count'] - d['glm4moe.nextn_predict_layers'] if 'glm4moe.block_count' in d else 0)")
    "$PEER/llama-imatrix" -m "$m" -f "$TMP/text.txt" -o "$TMP/$arch.imatrix.gguf" \
        -c 128 --chunks 8 -t "$THREADS" > "$TMP/$arch.imatrix.log" 2>&1
    # llama-imatrix does not run glm4moe's nextn block: no importance data
    # for it, so its tensors (unused for logits) go to Q4_K, which needs none.
    nextn=""
    [ "$arch" = glm4moe ] && nextn="--tensor-type blk\\.$n_block\\.=q4_k"
    for type in ${TYPES:-Q4_K_M TQ1_0 IQ2_XXS}; do
        c=$TMP/$arch-$type
        # shellcheck disable=SC2086
        "$PEER/llama-quantize" --imatrix "$TMP/$arch.imatrix.gguf" $nextn "$m" "$c.gguf" "$type" \
            "$THREADS" > "$c.quantize.log" 2>&1
        "$PEER/logits-dump" "$c.gguf" "$TOKENS" "$c.peer.f32" "$THREADS" > /dev/null 2>&1
        "$TMP/peer_logits_variant" "$c.gguf" "$TOKENS" "$c.variant.f32" "$THREADS" --no-repack --ubatch 64 \
            > /dev/null 2>&1
        "$QUANTLAB" quantize --type F32 "$c.gguf" "$c.deq.gguf" > /dev/null 2>&1
        "$PEER/logits-dump" "$c.deq.gguf" "$TOKENS" "$c.deq.f32" "$THREADS" > /dev/null 2>&1
        "$QUANTLAB" logits "$c.gguf" --tokens "$TOKENS" --out "$c.ours.f32" --threads "$THREADS" > /dev/null
        "$QUANTLAB" logits "$c.gguf" --tokens "$TOKENS" --out "$c.ours-f32acts.f32" --threads "$THREADS" \
            --float-activations > /dev/null
        printf '%-9s %-8s quantlab          ' "$arch" "$type"
        python3 "$HERE/compare.py" "$c.peer.f32" "$c.ours.f32" "$n_vocab"
        printf '%-9s %-8s floor             ' "$arch" "$type"
        python3 "$HERE/compare.py" "$c.peer.f32" "$c.variant.f32" "$n_vocab"
        printf '%-9s %-8s f32-acts quantlab ' "$arch" "$type"
        python3 "$HERE/compare.py" "$c.deq.f32" "$c.ours-f32acts.f32" "$n_vocab"
        printf '%-9s %-8s f32-acts peer     ' "$arch" "$type"
        python3 "$HERE/compare.py" "$c.deq.f32" "$c.peer.f32" "$n_vocab"
    done
done
