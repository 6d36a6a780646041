// What `quantlab info` reports about a model, computed once from a GgufFile,
// and the shared ways to show metadata values (text and JSON).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gguf/gguf.hpp"

namespace ql::cli {

struct ModelSummary {
    std::string architecture;
    uint64_t n_params = 0;         // every element of every tensor
    uint64_t n_params_active = 0;  // per token: expert stacks scaled by n_expert_used / n_expert
    uint64_t tensor_bytes = 0;
    // Weight bytes one generated token reads: every tensor but the token
    // embedding (a row lookup), expert stacks scaled by n_expert_used / n_expert.
    uint64_t bytes_per_token = 0;
    double bpw = 0;                               // tensor_bytes * 8 / n_params
    double capacity_gbit = 0;                     // n_params * bpw / 1e9
    std::map<std::string, int64_t> tensor_types;  // type name -> tensor count
    std::optional<int64_t> context_length;
    std::optional<int64_t> n_vocab;
    std::optional<int64_t> n_expert, n_expert_used;
};

ModelSummary summarize(const gguf::GgufFile& model);

// Arrays longer than this are summarised (type, length, first elements).
inline constexpr size_t kArrayShownInFull = 16;
inline constexpr size_t kArrayPreview = 8;

// One-line rendering for terminals: long strings and arrays are shortened.
std::string value_to_text(const gguf::Value& v);
// JSON: scalars as JSON scalars, short arrays as arrays, long arrays as
// {"type": "array", "element_type", "length", "first": [...]}.
nlohmann::json value_to_json(const gguf::Value& v);

// "1.23 G", "350.0 M", "12.5 K" (SI, for parameter counts).
std::string si_count(double n);
// "[4096, 32000]"
std::string shape_to_string(const std::vector<int64_t>& shape);

}  // namespace ql::cli
