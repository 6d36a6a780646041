#!/usr/bin/env bash
# Regenerates the quantization-mix goldens: for every synthetic model of
# models.tsv and every preset, the tensor -> type choice of llama.cpp's
# llama-quantize (run with --dry-run, which plans exactly as a real run does
# but writes nothing), one TSV per run in <model>/<run>.tsv.
#
# Presets that llama-quantize refuses without an importance matrix are run
# twice: without one (to record that it is required) and with a legacy .dat
# imatrix of ones covering every weight (dry runs only need one present).
# A few presets whose choice depends on an imatrix are also recorded with one
# (<PRESET>.imatrix.tsv), and a few option runs (--pure, --tensor-type,
# --output-tensor-type, --token-embedding-type) on some models.
#
# Usage: make_goldens.sh [QUANTLAB_BINARY] [PEER_BIN_DIR] [MODEL_NAME]
#   defaults: build-mix/bin/quantlab and ~/.cache/quantlab-peers/llama.cpp/build/bin;
#   MODEL_NAME limits the run to one line of models.tsv
# Needs python3 (standard library only). The test (tests/alloc/test_mix.cpp)
# reads only the TSVs; the peer is not needed to run it.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
QUANTLAB="${1:-$ROOT/build-mix/bin/quantlab}"
PEER="${2:-$HOME/.cache/quantlab-peers/llama.cpp/build/bin}"
ONLY="${3:-}"
QUANTIZE="$PEER/llama-quantize"
HELPER="$HERE/make_goldens.py"
SEED=7

PRESETS="Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q1_0 Q2_0 MXFP4_MOE Q2_K Q2_K_S Q3_K_S Q3_K_M Q3_K_L
Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K TQ1_0 TQ2_0 IQ1_S IQ1_M IQ2_XXS IQ2_XS IQ2_S IQ2_M
IQ3_XXS IQ3_XS IQ3_S IQ3_M IQ4_NL IQ4_XS"
# Presets whose choice changes when an imatrix is present.
IMATRIX_SENSITIVE="Q4_0 Q5_0 IQ4_NL IQ4_XS IQ3_S"
# Option runs: name|preset|extra llama-quantize arguments (on llama, qwen3moe and glm4moe).
OPTION_RUNS=(
  "Q3_K_M.pure|Q3_K_M|--pure"
  "Q4_K_M.overrides|Q4_K_M|--tensor-type attn_v=q8_0 --tensor-type blk\\.1\\.ffn_=iq4_nl --output-tensor-type q5_k --token-embedding-type q4_0"
  "IQ2_XXS.overrides|IQ2_XXS|--tensor-type ffn_down=q2_k --output-tensor-type q8_0"
)

[ -x "$QUANTLAB" ] || { echo "no quantlab binary at $QUANTLAB" >&2; exit 1; }
[ -x "$QUANTIZE" ] || { echo "no llama-quantize at $QUANTIZE" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# run_one MODEL_GGUF OUT_TSV PRESET IMATRIX_FILE_OR_EMPTY REQUIRED [EXTRA ARGS...]
# REQUIRED: "auto" (read from the log whether an imatrix would be required) or 1.
run_one() {
  local model="$1" out="$2" preset="$3" imatrix="$4" required="$5"
  shift 5
  local args=("$@")
  [ -n "$imatrix" ] && args+=(--imatrix "$imatrix")
  local log="$WORK/log.txt"
  if "$QUANTIZE" --dry-run "${args[@]}" "$model" "$preset" >"$log" 2>&1; then
    python3 "$HELPER" tsv "$log" "$out" "$preset" "${imatrix:+1}" "$required" "$*"
  else
    python3 "$HELPER" error "$log" "$out" "$preset" "${imatrix:+1}" "$required" "$*"
  fi
}

while IFS=$'\t' read -r name gen_args; do
  case "$name" in ''|'#'*) continue ;; esac
  [ -n "$ONLY" ] && [ "$name" != "$ONLY" ] && continue
  echo "== $name: $gen_args" >&2
  dir="$HERE/$name"
  mkdir -p "$dir"
  rm -f "$dir"/*.tsv
  model="$WORK/$name.gguf"
  # shellcheck disable=SC2086  # the arguments are meant to split
  "$QUANTLAB" generate $gen_args --seed "$SEED" -o "$model" >/dev/null

  # An imatrix of ones for every quantizable weight, from a first dry run's shapes.
  "$QUANTIZE" --dry-run "$model" Q8_0 >"$WORK/shapes.txt" 2>&1
  python3 "$HELPER" imatrix "$WORK/shapes.txt" "$WORK/$name.imatrix.dat"

  for preset in $PRESETS; do
    run_one "$model" "$dir/$preset.tsv" "$preset" "" auto
    if grep -q '^# requires_imatrix: 1' "$dir/$preset.tsv"; then
      run_one "$model" "$dir/$preset.tsv" "$preset" "$WORK/$name.imatrix.dat" 1
    fi
  done
  for preset in $IMATRIX_SENSITIVE; do
    run_one "$model" "$dir/$preset.imatrix.tsv" "$preset" "$WORK/$name.imatrix.dat" auto
  done
  case "$name" in
    llama|qwen3moe|glm4moe)
      for spec in "${OPTION_RUNS[@]}"; do
        IFS='|' read -r run preset extra <<<"$spec"
        # shellcheck disable=SC2086
        run_one "$model" "$dir/$run.tsv" "$preset" "" auto $extra
        if grep -q '^# requires_imatrix: 1' "$dir/$run.tsv"; then
          # shellcheck disable=SC2086
          run_one "$model" "$dir/$run.tsv" "$preset" "$WORK/$name.imatrix.dat" 1 $extra
        fi
      done
      ;;
  esac
done <"$HERE/models.tsv"
echo "done: $(find "$HERE" -name '*.tsv' ! -name models.tsv | wc -l) golden files" >&2
