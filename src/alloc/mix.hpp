// Quantization plans: which type each tensor of a model gets, for a uniform
// --type or one of llama.cpp's mix presets (--mix Q4_K_M, ...), with overrides.
// The tensor -> type choice of every preset equals llama.cpp's llama-quantize.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gguf/gguf.hpp"
#include "quant/types.hpp"

namespace ql::alloc {

struct MixPreset {
    std::string name;            // "Q4_K_M" (canonical upper case)
    quant::TypeId default_type;  // the preset's base type
    bool requires_imatrix;       // llama-quantize refuses it without an imatrix (when rows
                                 // fit its blocks; plan_quantization checks per tensor)
    uint32_t ftype;              // llama_ftype value written to general.file_type
};

// Every preset quantlab knows; lookup is case-insensitive (nullptr if unknown).
const std::vector<MixPreset>& mix_presets();
const MixPreset* find_mix(std::string_view name);

struct PlanOptions {
    std::optional<quant::TypeId> type;                  // --type: every weight matrix to this type
    std::optional<std::string> mix;                     // --mix NAME
    std::optional<quant::TypeId> output_type;           // --output-tensor-type
    std::optional<quant::TypeId> token_embedding_type;  // --token-embedding-type
    std::vector<std::pair<std::string, quant::TypeId>>
        overrides;             // --override REGEX=TYPE, first match wins
    bool pure = false;         // --pure: no per-tensor mix adjustments
    bool has_imatrix = false;  // an importance matrix is available
};

struct PlannedTensor {
    std::string name;
    std::vector<int64_t> shape;
    quant::TypeId from;      // type in the input file
    quant::TypeId to;        // type in the output file (== from when copied)
    uint64_t bytes_out = 0;  // size in the output
    std::string note;        // why (e.g. "fallback: 1000 not divisible by 256"), may be empty
};

struct Plan {
    std::vector<PlannedTensor> tensors;  // in input order
    uint32_t ftype = 0;                  // general.file_type to write
    uint64_t bytes_in = 0, bytes_out = 0;
};

// Plans every tensor of `model`, exactly as llama-quantize would (same rules,
// same walk order for its layer counters, same shape fallback):
//  - only 2-D weights and 3-D expert stacks are converted; norms, biases,
//    1-D tensors, the MoE router (ffn_gate_inp) and position embeddings keep
//    their type;
//  - --output-tensor-type / --token-embedding-type are taken as given;
//  - overrides (first matching regex wins) replace the mix rules for a tensor;
//    the shape fallback still applies to them;
//  - `pure` and `type` plans give every converted tensor the base type;
//  - a plain float `type` (F32/F16/BF16) ignores overrides, as llama.cpp does
//    for its float file types.
// Throws ql::Error for unknown presets, invalid option combinations, a type
// with no fallback for a tensor's rows, or a tensor whose planned type needs
// an imatrix (IQ1/IQ2/IQ3_XXS, Q2_K in Q2_K_S) when has_imatrix is false.
Plan plan_quantization(const gguf::GgufFile& model, const PlanOptions& options);

}  // namespace ql::alloc
