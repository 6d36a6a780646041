#!/bin/sh
# Trains (or continues) the model zoo, one preset after the other, into zoo/:
# zoo/<preset>.gguf (F16), its checkpoint zoo/<preset>.gguf.ckpt while it
# runs, the training curve zoo/<preset>.gguf.log.jsonl and the final summary
# zoo/<preset>.json. A preset whose .json exists is done; one with a
# checkpoint is resumed (bit-exactly for the same thread count). The corpus
# manifest is kept as zoo/corpus-manifest.json: a zoo is only continued on the
# corpus it started with.
#   scripts/train_zoo.sh [PRESET...]      (default: xs s m l moe)
#   scripts/train_zoo.sh --pack PRESET    compress PRESET's checkpoint for a commit
# TIME_LIMIT=150m (whole seconds, minutes or hours: 9000s, 150m, 3h) stops
# the script that long after it started, over all its presets: the running
# one gets SIGINT and saves its checkpoint first, later ones do not start;
# THREADS (default 2) and QUANTLAB (the binary) as set; TRAIN_ARGS adds flags
# to quantlab train (for trials, e.g. "--steps 40": such a model is not the
# zoo's).
#
# A run longer than one working session goes on in the next through a
# committed checkpoint: --pack writes zoo/<preset>.gguf.ckpt.zst (zstd, about
# 8% smaller: most bits of the f32 parameters and Adam moments are noise), and
# a later run unpacks it when zoo/<preset>.gguf.ckpt is missing. Remove the
# .zst from the repository once the preset is done.
# Needs the corpus: build/bin/quantlab corpus build
set -eu
QUANTLAB=${QUANTLAB:-build/bin/quantlab}
THREADS=${THREADS:-2}
TRAIN_ARGS=${TRAIN_ARGS:-}
deadline=""
if [ -n "${TIME_LIMIT:-}" ]; then
    amount=${TIME_LIMIT%[smh]}
    case $TIME_LIMIT in
        *s | *[0-9]) unit=1 ;;
        *m) unit=60 ;;
        *h) unit=3600 ;;
        *) unit="" ;;
    esac
    case $amount in '' | *[!0-9]*) unit="" ;; esac
    if [ -z "$unit" ]; then
        echo "train_zoo: TIME_LIMIT=$TIME_LIMIT is not a duration: give whole seconds, minutes or hours (9000s, 150m, 3h)" >&2
        exit 2
    fi
    deadline=$(($(date +%s) + amount * unit))
fi

if [ "${1:-}" = "--pack" ]; then
    ckpt=zoo/${2:?train_zoo: --pack needs a preset name}.gguf.ckpt
    [ -f "$ckpt" ] || { echo "train_zoo: no $ckpt to pack" >&2; exit 1; }
    zstd -q -f -19 -T0 "$ckpt" -o "$ckpt.zst.tmp"
    mv "$ckpt.zst.tmp" "$ckpt.zst"
    ls -l "$ckpt" "$ckpt.zst" >&2
    exit 0
fi

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
# shellcheck disable=SC2048  # preset names have no spaces; the default list splits
for preset in ${*:-xs s m l moe}; do
    out=zoo/$preset.gguf
    [ -f "zoo/$preset.json" ] && continue
    limit=""
    if [ -n "$deadline" ]; then
        left=$((deadline - $(date +%s)))
        if [ "$left" -le 0 ]; then
            echo "train_zoo: TIME_LIMIT=$TIME_LIMIT is over: $preset not started" >&2
            exit 1
        fi
        limit="timeout -s INT ${left}s"
    fi
    if [ ! -f "$out.ckpt" ] && [ -f "$out.ckpt.zst" ]; then
        zstd -q -f -d "$out.ckpt.zst" -o "$out.ckpt.tmp"
        mv "$out.ckpt.tmp" "$out.ckpt"
    fi
    resume=""
    [ -f "$out.ckpt" ] && resume="--resume $out.ckpt"
    echo "train_zoo: $preset ${resume:+(resumed)}" >&2
    # shellcheck disable=SC2086
    $limit \
        "$QUANTLAB" train --preset "$preset" -o "$out" --threads "$THREADS" --seed 1 $resume $TRAIN_ARGS --json \
        > "zoo/$preset.json.tmp"
    mv "zoo/$preset.json.tmp" "zoo/$preset.json"
    sha256sum "$out" >> zoo/SHA256SUMS
done
