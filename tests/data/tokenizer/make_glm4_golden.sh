#!/usr/bin/env bash
# Regenerates the glm4 tokenizer golden (only needed to refresh it; the test
# tokenizer_test_glm4 reads the committed files):
#   glm4-tiny.gguf  small vocabulary, pre = "glm4" (make_glm4_vocab.py, from the
#                   peer's Qwen2 test vocabulary in ../shared/golden/vocab)
#   glm4-tiny.inp   the cases (glm4_cases.py)
#   glm4-tiny.out   llama-tokenize's ids for each case (special tokens parsed,
#                   no BOS as the vocabulary asks for none), one line per case
# Needs ~/.cache/quantlab-peers/llama.cpp with build/bin/llama-tokenize and
# python3 with numpy.
set -euo pipefail
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$PEER/build/bin
SRC=${SRC:-$HERE/../../../../shared/golden/vocab/ggml-vocab-qwen2.gguf}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

PYTHONPATH=$PEER/gguf-py /usr/bin/python3 "$HERE/make_glm4_vocab.py" "$SRC" "$HERE/glm4-tiny.gguf"
/usr/bin/python3 "$HERE/glm4_cases.py" "$HERE/glm4-tiny.inp"
/usr/bin/python3 - "$HERE/glm4-tiny.inp" "$TMP" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
for i, case in enumerate(text.split("\n__ggml_vocab_test__\n")[:-1]):
    open(f"{sys.argv[2]}/case{i:03d}.txt", "w", encoding="utf-8", newline="").write(case)
PY
: >"$HERE/glm4-tiny.out"
for f in "$TMP"/case*.txt; do
  LD_LIBRARY_PATH=$BIN "$BIN/llama-tokenize" -m "$HERE/glm4-tiny.gguf" --file "$f" --ids \
    --no-escape --log-disable 2>/dev/null | tail -n 1 | tr -d '[],' >>"$HERE/glm4-tiny.out"
done
wc -l "$HERE/glm4-tiny.out"
