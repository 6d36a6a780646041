// The per-tensor rules of llama.cpp's quantization mixes, as data and small
// functions (used by mix.cpp; not a public interface).
//
// A mix starts from a default type and moves chosen tensors up or down:
// attention V and the first/last feed-forward-down layers get more bits, MoE
// models with exactly 8 experts protect attention, the very low-bit IQ mixes
// keep the embeddings and output at k-quants, and so on. Each function below
// answers "which type does this kind of tensor get under this mix"; the
// caller keeps the counters and applies overrides and the shape fallback.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "quant/types.hpp"

namespace ql::alloc::mix_rules {

// llama.cpp's llama_ftype values of the mixes (written to general.file_type).
enum class Ftype : uint32_t {
    ALL_F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q8_0 = 7,
    Q5_0 = 8,
    Q5_1 = 9,
    Q2_K = 10,
    Q3_K_S = 11,
    Q3_K_M = 12,
    Q3_K_L = 13,
    Q4_K_S = 14,
    Q4_K_M = 15,
    Q5_K_S = 16,
    Q5_K_M = 17,
    Q6_K = 18,
    IQ2_XXS = 19,
    IQ2_XS = 20,
    Q2_K_S = 21,
    IQ3_XS = 22,
    IQ3_XXS = 23,
    IQ1_S = 24,
    IQ4_NL = 25,
    IQ3_S = 26,
    IQ3_M = 27,
    IQ2_S = 28,
    IQ2_M = 29,
    IQ4_XS = 30,
    IQ1_M = 31,
    BF16 = 32,
    TQ1_0 = 36,
    TQ2_0 = 37,
    MXFP4_MOE = 38,
    Q1_0 = 40,
    Q2_0 = 41,
};

// What a tensor is, for the rules (from its name).
enum class Role {
    Output,          // output.weight
    TokenEmbedding,  // token_embd.weight
    AttnQkv,         // fused q/k/v
    AttnKvB,         // MLA kv_b
    AttnV,
    AttnK,
    AttnQ,
    AttnOutput,
    FfnUp,    // dense, expert stacks and shared experts alike
    FfnGate,  // ditto (the router ffn_gate_inp is never quantized)
    FfnDown,  // ditto
    Other,
};

Role role_of(const std::string& tensor_name);

// V-like projections share the "more bits for V" rule and its counter.
inline bool is_value_like(Role r) {
    return r == Role::AttnV || r == Role::AttnQkv || r == Role::AttnKvB;
}

// Facts about the model the rules look at.
struct ModelFacts {
    std::string arch;
    int64_t n_gqa = 1;     // query heads per kv head (layer 0)
    int64_t n_expert = 0;  // 0 for dense models
    bool is_70b = false;   // llama.cpp's LLM_TYPE_70B
    bool has_imatrix = false;
    bool tied_embeddings = false;  // no output.weight
};

// Where a tensor sits among its kind: i-th of n (a layer index for expert
// tensors, a running count otherwise).
struct Position {
    int64_t i = 0;
    int64_t n = 1;
};

// The first and last eighth of the layers, and every third layer between.
bool in_sensitive_layer(Position p);

// The output projection (and a tied token embedding): `row_length` is ne[0],
// `base` the mix's default type.
quant::TypeId output_type(Ftype mix, quant::TypeId base, int64_t row_length, const ModelFacts& m);
quant::TypeId token_embedding_type(Ftype mix, quant::TypeId base);
// Very low-bit IQ mixes (IQ1_*, IQ2_*) have their own small rule set.
bool is_very_low_bit(Ftype mix);
quant::TypeId very_low_bit_type(Ftype mix, quant::TypeId base, Role role, Position ffn_down,
                                const ModelFacts& m);
quant::TypeId value_type(Ftype mix, quant::TypeId base, Position v, const ModelFacts& m);
quant::TypeId key_type(Ftype mix, quant::TypeId base, const ModelFacts& m);
quant::TypeId query_type(Ftype mix, quant::TypeId base);
quant::TypeId ffn_down_type(Ftype mix, quant::TypeId base, Position layer, const ModelFacts& m);
quant::TypeId attn_output_type(Ftype mix, quant::TypeId base, const ModelFacts& m);
quant::TypeId ffn_gate_up_type(Ftype mix, quant::TypeId base, Position layer);

// The type llama.cpp falls back to when a row of `row_length` values does not
// split into blocks of `wanted`: a 32-block type of similar quality, or F16.
// `note` receives a reason when a fallback happens. Throws ql::Error when
// there is no fallback for the type.
quant::TypeId shape_fallback(quant::TypeId wanted, int64_t row_length, std::string* note);

// Whether llama.cpp refuses to produce `type` for this tensor without an
// importance matrix.
bool needs_imatrix(const std::string& tensor_name, quant::TypeId type, Ftype mix);

}  // namespace ql::alloc::mix_rules
