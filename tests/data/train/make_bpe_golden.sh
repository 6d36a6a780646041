#!/usr/bin/env bash
# Regenerates the BPE training golden (only needed to refresh it; the test
# train_test_bpe_train reads the committed files):
#   bpe_sample.txt  the training text (committed; English prose, CSS, HTML,
#                   JavaScript and German written for this test; documents
#                   separated by lines <|endoftext|>)
#   bpe-512.gguf    `quantlab train-tokenizer bpe_sample.txt --vocab 512`
#                   (pre qwen2, the defaults)
#   bpe_cases.inp   the cases (bpe_cases.py)
#   bpe-512.out     llama-tokenize's ids for each case (special tokens parsed,
#                   no BOS as the vocabulary asks for none), one line per case
# Needs a built quantlab (QUANTLAB, default build/bin/quantlab) and
# ~/.cache/quantlab-peers/llama.cpp with build/bin/llama-tokenize.
set -euo pipefail
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp}
HERE=$(cd "$(dirname "$0")" && pwd)
QUANTLAB=${QUANTLAB:-$HERE/../../../build/bin/quantlab}
BIN=$PEER/build/bin
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$QUANTLAB" train-tokenizer "$HERE/bpe_sample.txt" --vocab 512 -o "$HERE/bpe-512.gguf" --json
/usr/bin/python3 "$HERE/bpe_cases.py" "$HERE/bpe_cases.inp"
/usr/bin/python3 - "$HERE/bpe_cases.inp" "$TMP" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
for i, case in enumerate(text.split("\n__ggml_vocab_test__\n")[:-1]):
    open(f"{sys.argv[2]}/case{i:03d}.txt", "w", encoding="utf-8", newline="").write(case)
PY
: >"$HERE/bpe-512.out"
for f in "$TMP"/case*.txt; do
  LD_LIBRARY_PATH=$BIN "$BIN/llama-tokenize" -m "$HERE/bpe-512.gguf" --file "$f" --ids \
    --no-escape --log-disable 2>/dev/null | tail -n 1 | tr -d '[],' >>"$HERE/bpe-512.out"
done
wc -l "$HERE/bpe-512.out"
