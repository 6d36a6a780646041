#!/bin/sh
# Sample generations of the trained zoo for docs/ZOO.md: for every trained
# model and one prompt per corpus domain, the greedy continuation by quantlab
# (`quantlab run --temp 0`) and by llama.cpp (`llama-completion --temp 0`),
# whether the two are the same text, and a sampled continuation by quantlab.
# Prints Markdown.
#   scripts/zoo_samples.sh [NAME...]      (default: every zoo/*.gguf)
set -eu
QUANTLAB=${QUANTLAB:-build/bin/quantlab}
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin/llama-completion}
N=${N:-48}
names=${*:-$(cd zoo && ls *.gguf | sed 's/\.gguf$//')}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

quote() {  # text -> one Markdown code span line (newlines shown as ⏎)
    printf '%s' "$1" | sed -e 's/`/ˋ/g' -e 's/|/\\|/g' | awk 'BEGIN{ORS=""} NR>1{print "⏎"} {print}'
}

# llama-completion ends its output with a blank line ("\n\n"), which is not
# generated text, and now and then exits before all of its output reached
# stdout (nothing, or the last bytes missing): of three runs, the longest
# output counts.
peer() {  # model prompt -> $TMP/peer.txt
    : > "$TMP/peer.raw"
    for _ in 1 2 3; do
        "$PEER" -m "$1" -p "$2" -n "$N" --temp 0 -no-cnv --no-display-prompt --simple-io \
            -t 2 --no-warmup < /dev/null > "$TMP/peer.try" 2>/dev/null || true
        [ "$(wc -c < "$TMP/peer.try")" -gt "$(wc -c < "$TMP/peer.raw")" ] && cp "$TMP/peer.try" "$TMP/peer.raw"
    done
    python3 -c 'import sys; t = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(t[:-2] if t.endswith(b"\n\n") else t)' \
        "$TMP/peer.raw" > "$TMP/peer.txt"
}

for name in $names; do
    model=zoo/$name.gguf
    printf '\n**%s** (%s tokens)\n\n| prompt | greedy (quantlab) | llama.cpp greedy the same? | sampled (quantlab, temp 0.7, seed 1) |\n|---|---|---|---|\n' "$name" "$N"
    for prompt in "The old man looked at the" "body {
  margin:" "function parse(text) {" "Die Option"; do
        "$QUANTLAB" run "$model" -p "$prompt" -n "$N" --temp 0 --threads 2 > "$TMP/ours.txt" 2>/dev/null
        "$QUANTLAB" run "$model" -p "$prompt" -n "$N" --temp 0.7 --seed 1 --threads 2 > "$TMP/sampled.txt" 2>/dev/null
        peer "$model" "$prompt"
        same=no
        cmp -s "$TMP/ours.txt" "$TMP/peer.txt" && same=yes
        printf '| `%s` | `%s` | %s | `%s` |\n' "$(quote "$prompt")" "$(quote "$(cat "$TMP/ours.txt")")" "$same" \
            "$(quote "$(cat "$TMP/sampled.txt")")"
    done
done
