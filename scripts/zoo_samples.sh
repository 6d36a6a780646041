#!/bin/sh
# Sample generations of the trained zoo for docs/ZOO.md: for every trained
# model and one prompt per corpus domain, the greedy continuation by quantlab
# (`quantlab run --temp 0`) and by llama.cpp (`llama-completion --temp 0`),
# and whether the two are the same text. Prints Markdown.
#   scripts/zoo_samples.sh [NAME...]      (default: every zoo/*.gguf)
set -eu
QUANTLAB=${QUANTLAB:-build/bin/quantlab}
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin/llama-completion}
N=${N:-48}
names=${*:-$(cd zoo && ls *.gguf | sed 's/\.gguf$//')}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

quote() {  # text -> one Markdown code span line (newlines shown as ⏎)
    printf '%s' "$1" | sed 's/`/ˋ/g' | awk 'BEGIN{ORS=""} NR>1{print "⏎"} {print}'
}

for name in $names; do
    model=zoo/$name.gguf
    printf '\n**%s** (greedy, %s tokens)\n\n| prompt | quantlab | llama.cpp same? |\n|---|---|---|\n' "$name" "$N"
    for prompt in "The old man looked at the" "body {
  margin:" "function parse(text) {" "Die Option"; do
        "$QUANTLAB" run "$model" -p "$prompt" -n "$N" --temp 0 --threads 2 > "$TMP/ours.txt" 2>/dev/null
        "$PEER" -m "$model" -p "$prompt" -n "$N" --temp 0 -no-cnv --no-display-prompt --simple-io \
            -t 2 --no-warmup < /dev/null > "$TMP/peer.txt" 2>/dev/null
        same=no
        cmp -s "$TMP/ours.txt" "$TMP/peer.txt" && same=yes
        printf '| `%s` | `%s` | %s |\n' "$(quote "$prompt")" "$(quote "$(cat "$TMP/ours.txt")")" "$same"
    done
done
