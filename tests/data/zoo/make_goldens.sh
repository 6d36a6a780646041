#!/bin/sh
# Goldens of the committed zoo models (zoo/<name>.gguf): the first 256 tokens
# of tests/data/train/bpe_sample.txt as the model's tokenizer cuts them
# (tokens.txt), and llama.cpp's logits for them (logits-dump: F32 KV cache,
# flash attention off), shrunk by ../logits/summarize.py into <name>/.
#   tests/data/zoo/make_goldens.sh [NAME...]     (default: every zoo/*.gguf)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../../..
QUANTLAB=${QUANTLAB:-$ROOT/build/bin/quantlab}
LOGITS_DUMP=${LOGITS_DUMP:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin/logits-dump}
N_TOKENS=256
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
names=${*:-$(cd "$ROOT/zoo" && ls *.gguf | sed 's/\.gguf$//')}
for name in $names; do
    model=$ROOT/zoo/$name.gguf
    mkdir -p "$HERE/$name"
    "$QUANTLAB" tokenize "$model" --file "$ROOT/tests/data/train/bpe_sample.txt" |
        python3 -c "import json, sys; ids = json.load(sys.stdin)[:$N_TOKENS]; print(' '.join(map(str, ids)))" \
        > "$HERE/$name/tokens.txt"
    n_vocab=$("$QUANTLAB" info "$model" --json | python3 -c "import json, sys; print(json.load(sys.stdin)['n_vocab'])")
    "$LOGITS_DUMP" "$model" "$HERE/$name/tokens.txt" "$TMP/$name.f32" 2
    python3 "$HERE/../logits/summarize.py" "$TMP/$name.f32" "$n_vocab" "$HERE/$name"
done
