#!/bin/sh
# quantlab's engine against llama.cpp on the same files, same thread count:
# prompt processing (pp) and token generation (tg) in tokens/s, as ratios, and
# tg as a fraction of the memory-bandwidth roof (weight bytes read per token
# × tok/s ÷ the measured read bandwidth with the same number of threads).
#
# Models (made once, kept in $WORK): a qwen3-0.6B-shaped dense model (1024
# wide, 28 blocks, 16 heads, 8 KV heads, head 128, FFN 3072, the qwen2
# vocabulary of ../shared/golden/vocab) and a qwen3moe of ~1.3B parameters
# (32 experts, top 4), both F16 with random weights, quantized by the peer's
# llama-quantize (IQ2_XXS with an imatrix from llama-imatrix).
#
# Per file: ROUNDS rounds of `llama-bench -p PP -n TG -t THREADS -r REPS`
# then `quantlab bench -p PP -n TG --threads THREADS -r REPS`, interleaved;
# the medians of all samples. Prints a markdown table.
#
#   bench/engine_vs_llamacpp.sh                      # everything (~1 h)
#   MODELS=dense TYPES="Q4_K_M Q8_0" ROUNDS=1 bench/engine_vs_llamacpp.sh
#   PREPARE_ONLY=1 bench/engine_vs_llamacpp.sh       # only make the model files
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
QUANTLAB=${QUANTLAB:-$BUILD/bin/quantlab}
STREAM=${STREAM:-$BUILD/bin/stream_read}
PEER=${PEER:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin}
VOCAB=${VOCAB:-$ROOT/../shared/golden/vocab/ggml-vocab-qwen2.gguf}
WORK=${WORK:-$HOME/.cache/quantlab-bench}
THREADS=${THREADS:-2}
PP=${PP:-256}
TG=${TG:-64}
REPS=${REPS:-5}
ROUNDS=${ROUNDS:-2}
MODELS=${MODELS:-dense moe}
TYPES=${TYPES:-Q4_K_M Q8_0 Q6_K TQ1_0 TQ2_0 IQ2_XXS}

for tool in "$QUANTLAB" "$STREAM" "$PEER/llama-bench" "$PEER/llama-quantize" "$PEER/llama-imatrix"; do
    [ -x "$tool" ] || { echo "engine_vs_llamacpp: missing $tool (make build; ../shared/peers/llama-cpp.sh)" >&2; exit 1; }
done
[ -f "$VOCAB" ] || { echo "engine_vs_llamacpp: missing vocabulary $VOCAB" >&2; exit 1; }
mkdir -p "$WORK"

make_model() {  # name -> $WORK/name-F16.gguf
    f16=$WORK/$1-F16.gguf
    [ -f "$f16" ] && return 0
    case $1 in
        dense) args="--arch qwen3 --n-embd 1024 --n-layer 28 --n-head 16 --n-head-kv 8 --head-dim 128 --n-ff 3072" ;;
        moe) args="--arch qwen3moe --n-embd 1024 --n-layer 18 --n-head 16 --n-head-kv 8 --head-dim 128
                   --n-expert 32 --n-expert-used 4 --n-ff-exp 512" ;;
        *) echo "engine_vs_llamacpp: unknown model $1" >&2; exit 2 ;;
    esac
    # shellcheck disable=SC2086
    "$QUANTLAB" generate $args --type F16 --vocab "$VOCAB" --seed 1 -o "$f16" > /dev/null
}

# (POSIX sh variables are global: each function keeps its own names.)
make_imatrix() {  # name -> $WORK/name.imatrix.gguf
    im=$WORK/$1.imatrix.gguf
    [ -f "$im" ] && return 0
    python3 -c "import random; random.seed(1); print(' '.join(random.choice(
        ['the', 'a', 'of', 'model', 'token', 'memory', 'bits', '42', 'quant', 'lab', 'cpu', 'fast'])
        for _ in range(6000)))" > "$WORK/imatrix-text.txt"
    "$PEER/llama-imatrix" -m "$WORK/$1-F16.gguf" -f "$WORK/imatrix-text.txt" -o "$im" -c 256 --chunks 8 \
        -t "$THREADS" > "$WORK/$1.imatrix.log" 2>&1
}

make_quant() {  # name type -> $WORK/name-type.gguf
    out=$WORK/$1-$2.gguf
    [ -f "$out" ] && return 0
    imatrix=""
    if [ "$2" = IQ2_XXS ]; then make_imatrix "$1"; imatrix="--imatrix $WORK/$1.imatrix.gguf"; fi
    # shellcheck disable=SC2086
    "$PEER/llama-quantize" $imatrix "$WORK/$1-F16.gguf" "$out" "$2" "$THREADS" > "$out.log" 2>&1
}

# Samples of one engine on one file, appended as "pp X" / "tg X" lines.
peer_samples() {
    "$PEER/llama-bench" -m "$1" -p "$PP" -n "$TG" -t "$THREADS" -r "$REPS" -o json 2> /dev/null |
        python3 -c "
import json, sys
for test in json.load(sys.stdin):
    kind = 'pp' if test['n_prompt'] > 0 else 'tg'
    for v in test['samples_ts']: print(kind, v)"
}
ours_samples() {
    "$QUANTLAB" bench "$1" -p "$PP" -n "$TG" --threads "$THREADS" -r "$REPS" --json |
        python3 -c "
import json, sys
d = json.load(sys.stdin)
for v in d['pp_samples']: print('pp', v)
for v in d['tg_samples']: print('tg', v)"
}

if [ "${PREPARE_ONLY:-0}" = 1 ]; then
    for model in $MODELS; do
        make_model "$model"
        for type in $TYPES; do make_quant "$model" "$type"; done
    done
    exit 0
fi

# The roof: the read bandwidth (bench/stream_read.cpp). It varies by +-15%
# (and the engines' speed with it) with what else the host runs, so it is
# read right before each engine's samples of every round, and each sample is
# divided by the reading taken just before it: the roof fraction is the
# median of those per-sample fractions ("read GB/s" is the median reading of
# the file). Three readings at the start are printed for reference.
read_bandwidth() {
    "$STREAM" --threads "$THREADS" --json | python3 -c "import json, sys; print(json.load(sys.stdin)['read_gbps'])"
}
bandwidths=""
for _ in 1 2 3; do bandwidths="$bandwidths $(read_bandwidth)"; done
echo "read bandwidth with $THREADS threads at the start: $bandwidths GB/s (bench/stream_read.cpp)"
echo "pp$PP / tg$TG, $THREADS threads, $ROUNDS x $REPS repetitions per engine, medians"
echo
echo "| model | type | MiB/token | pp peer | pp quantlab | pp ratio | tg peer | tg quantlab | tg ratio | read GB/s | roof peer | roof quantlab |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for model in $MODELS; do
    make_model "$model"
    for type in $TYPES; do
        make_quant "$model" "$type"
        f=$WORK/$model-$type.gguf
        bytes=$("$QUANTLAB" info "$f" --json | python3 -c "import json, sys; print(json.load(sys.stdin)['bytes_per_token'])")
        : > "$WORK/peer.samples"
        : > "$WORK/ours.samples"
        round=0
        while [ $round -lt "$ROUNDS" ]; do
            bw=$(read_bandwidth)
            peer_samples "$f" | sed "s/\$/ $bw/" >> "$WORK/peer.samples"
            bw=$(read_bandwidth)
            ours_samples "$f" | sed "s/\$/ $bw/" >> "$WORK/ours.samples"
            round=$((round + 1))
        done
        python3 - "$WORK/peer.samples" "$WORK/ours.samples" "$bytes" "$model" "$type" << 'EOF'
import statistics, sys
bytes_per_token = int(sys.argv[3])
def summary(path):
    s = {'pp': [], 'tg': [], 'roof': [], 'bw': []}
    for line in open(path):
        kind, v, bw = line.split()
        s[kind].append(float(v))
        s['bw'].append(float(bw))
        if kind == 'tg':
            s['roof'].append(float(v) * bytes_per_token / (float(bw) * 1e9))
    return {k: statistics.median(v) for k, v in s.items()}
peer, ours = summary(sys.argv[1]), summary(sys.argv[2])
bw = statistics.median([peer['bw'], ours['bw']])
print(f"| {sys.argv[4]} | {sys.argv[5]} | {bytes_per_token / 2**20:.1f} | {peer['pp']:.1f} | {ours['pp']:.1f} | "
      f"{ours['pp'] / peer['pp']:.2f} | {peer['tg']:.2f} | {ours['tg']:.2f} | {ours['tg'] / peer['tg']:.2f} | "
      f"{bw:.1f} | {peer['roof']:.0%} | {ours['roof']:.0%} |")
EOF
    done
done
