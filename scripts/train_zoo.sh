#!/bin/sh
# Trains (or continues) the model zoo, one preset after the other, into zoo/:
# zoo/<preset>.gguf (F16), its checkpoint zoo/<preset>.gguf.ckpt while it
# runs, the training curve zoo/<preset>.gguf.log.jsonl and the final summary
# zoo/<preset>.json. A preset whose .json exists is done; one with a
# checkpoint is resumed (bit-exactly for the same thread count). The corpus
# manifest is kept as zoo/corpus-manifest.json: a zoo is only continued on the
# corpus it started with.
#   scripts/train_zoo.sh [PRESET...]      (default: xs s m l moe)
# Needs the corpus: build/bin/quantlab corpus build
set -eu
QUANTLAB=${QUANTLAB:-build/bin/quantlab}
THREADS=${THREADS:-2}
mkdir -p zoo
if [ ! -f corpus/manifest.json ]; then
    echo "train_zoo: no corpus/manifest.json: run build/bin/quantlab corpus build first" >&2
    exit 1
fi
if [ -f zoo/corpus-manifest.json ]; then
    if ! cmp -s corpus/manifest.json zoo/corpus-manifest.json; then
        echo "train_zoo: corpus/manifest.json differs from zoo/corpus-manifest.json, the corpus the zoo was trained on" >&2
        exit 1
    fi
else
    cp corpus/manifest.json zoo/corpus-manifest.json
fi
for preset in ${*:-xs s m l moe}; do
    out=zoo/$preset.gguf
    [ -f "zoo/$preset.json" ] && continue
    resume=""
    [ -f "$out.ckpt" ] && resume="--resume $out.ckpt"
    echo "train_zoo: $preset ${resume:+(resumed)}" >&2
    # shellcheck disable=SC2086
    "$QUANTLAB" train --preset "$preset" -o "$out" --threads "$THREADS" --seed 1 $resume --json \
        > "zoo/$preset.json.tmp"
    mv "zoo/$preset.json.tmp" "zoo/$preset.json"
    sha256sum "$out" >> zoo/SHA256SUMS
done
