#!/bin/sh
# Regenerates the forward-pass goldens: for every architecture, the default
# synthetic model of `quantlab generate --arch ARCH --seed 1` (F32 weights;
# case llama-tied adds --tie-embeddings: no output.weight; llama-rope-scaled
# adds linear RoPE scaling x2 and a rope_freqs tensor, see add_rope_scaling.py;
# ARCH-yarn adds YaRN x4 over an original context of 256, so that half of the
# positions lie beyond it; llama-yarn also adds the rope_freqs tensor),
# a token sequence of 512 ids, and llama.cpp's logits for it (logits-dump:
# F32 KV cache, flash attention off), shrunk by summarize.py.
#   QUANTLAB=build/bin/quantlab LOGITS_DUMP=.../logits-dump tests/data/logits/make_goldens.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
QUANTLAB=${QUANTLAB:-$HERE/../../../build/bin/quantlab}
LOGITS_DUMP=${LOGITS_DUMP:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin/logits-dump}
N_TOKENS=512
N_VOCAB=1024
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Token ids from a fixed linear congruential sequence (the test reads tokens.txt).
awk -v n=$N_TOKENS -v v=$N_VOCAB 'BEGIN { s = 12345; for (i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648; printf "%d%s", int(s / 65536) % v, (i % 16 == 15) ? "\n" : " " } }' \
    > "$HERE/tokens.txt"

for case in ${CASES:-llama llama-tied llama-rope-scaled llama-yarn qwen2 qwen3 qwen3-yarn qwen3moe glm4moe glm4moe-yarn}; do
    arch=${case%%-*}
    extra=""
    [ "$case" = llama-tied ] && extra="--tie-embeddings"
    mkdir -p "$HERE/$case"
    "$QUANTLAB" generate --arch "$arch" --seed 1 $extra -o "$TMP/$case.gguf" > /dev/null
    scaling=""
    case $case in
    llama-rope-scaled) scaling="2" ;;
    llama-yarn) scaling="4 --yarn 256 --freqs" ;;
    *-yarn) scaling="4 --yarn 256" ;;
    esac
    if [ -n "$scaling" ]; then
        python3 "$HERE/add_rope_scaling.py" "$TMP/$case.gguf" "$TMP/scaled.gguf" $scaling
        mv "$TMP/scaled.gguf" "$TMP/$case.gguf"
    fi
    "$LOGITS_DUMP" "$TMP/$case.gguf" "$HERE/tokens.txt" "$TMP/$case.f32" 2
    python3 "$HERE/summarize.py" "$TMP/$case.f32" $N_VOCAB "$HERE/$case"
done
