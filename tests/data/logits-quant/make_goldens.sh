#!/bin/sh
# Regenerates the quantized-model goldens the test reads
# (tests/model/test_forward_quantized.cpp). Per case ARCH-TYPE:
#   model.gguf   the peer's llama-quantize of a small synthetic model
#                (`quantlab generate --arch ARCH --seed 1 $GEN_ARGS`) with an
#                imatrix from the peer's llama-imatrix; committed because our
#                quantizer writes other (better) bytes;
#   logits.f16   the peer's logits-dump over tokens.txt, [n_tokens, n_vocab] fp16;
#   deq.f16      (llama cases) the peer's logits of the same weights
#                dequantized to F32 (`quantlab quantize --type F32`): the
#                reference for the higher-precision-activation check.
# It also prints, per case, the noise floor of the comparison: the peer
# against itself with weight repacking off and micro-batches of 64
# (peer_logits_variant.cpp), next to quantlab against the peer.
#   QUANTLAB=build/bin/quantlab tests/data/logits-quant/make_goldens.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
QUANTLAB=${QUANTLAB:-$HERE/../../../build/bin/quantlab}
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin}
PEER_SRC=$(cd "$PEER/../.." && pwd)
N_TOKENS=512
N_VOCAB=264
# One block (for glm4moe a MoE block: no leading dense one, no nextn block:
# the F32 goldens cover both), logits with a standard deviation of 4, widths
# kept small (the files are committed). Deeper models cannot carry the argmax bar: there
# the peer disagrees with itself about as much as with us (measure.sh, and
# docs/QUANTIZATION.md, "Matching llama.cpp").
GEN_ARGS="--n-layer 1 --logit-spread 4 --n-vocab $N_VOCAB --n-ff 256"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

awk -v n=$N_TOKENS -v v=$N_VOCAB 'BEGIN { s = 777; for (i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648; printf "%d%s", int(s / 65536) % v, (i % 16 == 15) ? "\n" : " " } }' \
    > "$HERE/tokens.txt"
python3 -c "import random; random.seed(1); print(' '.join(random.choice(
    ['the', 'a', 'of', 'model', 'token', 'x', 'y', '42', 'quant', 'lab']) for _ in range(3000)))" > "$TMP/text.txt"
g++ -O2 -std=c++17 -I "$PEER_SRC/include" -I "$PEER_SRC/ggml/include" "$HERE/peer_logits_variant.cpp" \
    -L "$PEER" -lllama -lggml -lggml-base -Wl,-rpath,"$PEER" -o "$TMP/peer_logits_variant"

to_f16() {
    python3 -c "
import array, struct, sys
a = array.array('f'); a.frombytes(open(sys.argv[1], 'rb').read())
open(sys.argv[2], 'wb').write(b''.join(struct.pack('<e', v) for v in a))" "$1" "$2"
}

for arch in ${ARCHS:-llama qwen2 qwen3 qwen3moe glm4moe}; do
    # shellcheck disable=SC2086
    extra=""
    case $arch in
        qwen3moe) extra="--n-expert 4" ;;
        glm4moe) extra="--n-expert 4 --n-dense-lead 0 --n-nextn 0" ;;
    esac
    "$QUANTLAB" generate --arch "$arch" --seed 1 $GEN_ARGS $extra -o "$TMP/$arch.gguf" > /dev/null
    "$PEER/llama-imatrix" -m "$TMP/$arch.gguf" -f "$TMP/text.txt" -o "$TMP/$arch.imatrix.gguf" \
        -c 128 --chunks 8 -t 2 > /dev/null 2>&1
    for type in ${TYPES:-Q4_K_M TQ1_0 IQ2_XXS}; do
        case=$arch-$type
        dir=$HERE/$case
        mkdir -p "$dir"
        "$PEER/llama-quantize" --imatrix "$TMP/$arch.imatrix.gguf" "$TMP/$arch.gguf" \
            "$dir/model.gguf" "$type" 2 > "$TMP/quantize.log" 2>&1 || { tail -5 "$TMP/quantize.log"; exit 1; }
        "$PEER/logits-dump" "$dir/model.gguf" "$HERE/tokens.txt" "$TMP/peer.f32" 2 > /dev/null 2>&1
        to_f16 "$TMP/peer.f32" "$dir/logits.f16"
        if [ "$arch" = llama ]; then
            "$QUANTLAB" quantize --type F32 "$dir/model.gguf" "$TMP/deq.gguf" > /dev/null
            "$PEER/logits-dump" "$TMP/deq.gguf" "$HERE/tokens.txt" "$TMP/deq.f32" 2 > /dev/null 2>&1
            to_f16 "$TMP/deq.f32" "$dir/deq.f16"
        fi
        "$TMP/peer_logits_variant" "$dir/model.gguf" "$HERE/tokens.txt" "$TMP/variant.f32" 2 \
            --no-repack --ubatch 64 > /dev/null 2>&1
        "$QUANTLAB" logits "$dir/model.gguf" --tokens "$HERE/tokens.txt" --out "$TMP/ours.f32" > /dev/null
        printf '%-17s quantlab vs peer: ' "$case"
        python3 "$HERE/compare.py" "$TMP/peer.f32" "$TMP/ours.f32" $N_VOCAB
        printf '%-17s peer vs variant:  ' "$case"
        python3 "$HERE/compare.py" "$TMP/peer.f32" "$TMP/variant.f32" $N_VOCAB
    done
done
