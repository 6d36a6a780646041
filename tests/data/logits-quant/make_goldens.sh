#!/bin/sh
# Regenerates the quantized-model goldens the test reads
# (tests/model/test_forward_quantized.cpp): per case ARCH-TYPE, a small
# synthetic model (`quantlab generate`, n_embd 256, one block, vocab 512,
# tied embeddings), an imatrix from the peer's llama-imatrix, the file the
# peer's llama-quantize makes of it (MODEL.gguf, committed: our quantizer
# writes other bytes), and the peer's logits-dump over tokens.txt stored as
# fp16 (LOGITS.f16, [n_tokens, n_vocab]) to keep the data small.
#   QUANTLAB=build/bin/quantlab tests/data/logits-quant/make_goldens.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
QUANTLAB=${QUANTLAB:-$HERE/../../../build/bin/quantlab}
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin}
N_TOKENS=512
N_VOCAB=512
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

awk -v n=$N_TOKENS -v v=$N_VOCAB 'BEGIN { s = 777; for (i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648; printf "%d%s", int(s / 65536) % v, (i % 16 == 15) ? "\n" : " " } }' \
    > "$HERE/tokens.txt"
python3 -c "import random; random.seed(1); print(' '.join(random.choice(
    ['the', 'a', 'of', 'model', 'token', 'x', 'y', '42', 'quant', 'lab']) for _ in range(3000)))" > "$TMP/text.txt"

for case in ${CASES:-llama-TQ1_0 llama-IQ2_XXS}; do
    arch=${case%%-*}
    type=${case#*-}
    "$QUANTLAB" generate --arch "$arch" --seed 1 --n-embd 256 --n-layer 1 --n-ff 256 --n-vocab $N_VOCAB \
        --n-head 4 --n-head-kv 2 --head-dim 64 --tie-embeddings -o "$TMP/$arch.gguf" > /dev/null
    "$PEER/llama-imatrix" -m "$TMP/$arch.gguf" -f "$TMP/text.txt" -o "$TMP/$arch.imatrix.gguf" \
        -c 128 --chunks 8 -t 2 > /dev/null 2>&1
    mkdir -p "$HERE/$case"
    "$PEER/llama-quantize" --imatrix "$TMP/$arch.imatrix.gguf" "$TMP/$arch.gguf" "$HERE/$case/model.gguf" \
        "$type" 2 > /dev/null 2>&1
    "$PEER/logits-dump" "$HERE/$case/model.gguf" "$HERE/tokens.txt" "$TMP/$case.f32" 2 > /dev/null 2>&1
    python3 -c "
import array, struct, sys
a = array.array('f'); a.frombytes(open(sys.argv[1], 'rb').read())
open(sys.argv[2], 'wb').write(b''.join(struct.pack('<e', v) for v in a))" "$TMP/$case.f32" "$HERE/$case/logits.f16"
done
