#include "cli/model_summary.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace ql::cli {

namespace {

using gguf::Value;
using gguf::ValueType;

constexpr size_t kStringShown = 60;  // characters of a long string shown in text output

bool is_expert_stack(const gguf::TensorInfo& t) {
    return t.name.find("_exps.") != std::string::npos;
}

std::optional<int64_t> arch_int(const gguf::GgufFile& m, const std::string& arch,
                                std::string_view key) {
    if (arch.empty()) return std::nullopt;
    return m.get_int(arch + "." + std::string(key));
}

std::optional<int64_t> vocabulary_size(const gguf::GgufFile& m, const std::string& arch) {
    if (const Value* tokens = m.find("tokenizer.ggml.tokens");
        tokens && tokens->type == ValueType::ARRAY)
        return static_cast<int64_t>(tokens->array_size());
    if (auto n = arch_int(m, arch, "vocab_size")) return n;
    if (const auto* embd = m.find_tensor("token_embd.weight"); embd && embd->shape.size() >= 2)
        return embd->shape[1];
    return std::nullopt;
}

// Escapes control characters so that one value stays on one line.
std::string one_line(std::string_view s, size_t max_chars) {
    std::string out;
    for (char c : s) {
        if (out.size() >= max_chars) {
            out += "...";
            break;
        }
        if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c == '\r')
            out += "\\r";
        else
            out += c;
    }
    return out;
}

bool is_float_type(ValueType t) {
    return t == ValueType::FLOAT32 || t == ValueType::FLOAT64;
}

nlohmann::json array_element_json(const Value& v, size_t i) {
    if (v.elem_type == ValueType::STRING) return v.array_strings[i];
    if (v.elem_type == ValueType::BOOL) return v.array_int(i) != 0;
    if (v.elem_type == ValueType::FLOAT32) {
        const auto f = static_cast<float>(v.array_float(i));
        if (std::isfinite(f)) return std::stod(fmt::format("{}", f));
    }
    if (is_float_type(v.elem_type)) return v.array_float(i);
    return v.array_int(i);
}

std::string array_element_text(const Value& v, size_t i) {
    if (v.elem_type == ValueType::STRING)
        return fmt::format("\"{}\"", one_line(v.array_strings[i], 24));
    if (v.elem_type == ValueType::BOOL) return v.array_int(i) != 0 ? "true" : "false";
    if (is_float_type(v.elem_type)) return fmt::format("{:g}", v.array_float(i));
    return fmt::format("{}", v.array_int(i));
}

nlohmann::json scalar_json(const Value& v) {
    if (v.type == ValueType::STRING) return v.str;
    if (v.type == ValueType::BOOL) return v.as_bool().value_or(false);
    if (v.type == ValueType::FLOAT32) {
        // Shortest decimal form of the float itself ("1e-06", not 9.99999997e-07).
        const auto f = static_cast<float>(v.as_float().value_or(0.0));
        return std::isfinite(f) ? nlohmann::json(std::stod(fmt::format("{}", f)))
                                : nlohmann::json(fmt::format("{}", f));
    }
    if (v.is_float()) return v.as_float().value_or(0.0);
    if (auto i = v.as_int()) return *i;
    return v.as_uint().value_or(0);
}

}  // namespace

ModelSummary summarize(const gguf::GgufFile& model) {
    ModelSummary s;
    s.architecture = model.architecture();
    s.tensor_bytes = model.tensor_bytes();
    s.n_expert = arch_int(model, s.architecture, "expert_count");
    s.n_expert_used = arch_int(model, s.architecture, "expert_used_count");
    const bool moe = s.n_expert && s.n_expert_used && *s.n_expert > 0 && *s.n_expert_used > 0;
    for (const auto& t : model.tensors()) {
        const auto n = static_cast<uint64_t>(t.n_elements());
        s.n_params += n;
        // An expert stack holds n_expert matrices of which n_expert_used run per token.
        const bool stack = moe && is_expert_stack(t);
        const auto active = [&](uint64_t v) {
            return stack ? v / static_cast<uint64_t>(*s.n_expert) *
                               static_cast<uint64_t>(*s.n_expert_used)
                         : v;
        };
        s.n_params_active += active(n);
        if (t.name != "token_embd.weight") s.bytes_per_token += active(t.n_bytes);
        s.tensor_types[std::string(quant::type_traits(t.type).name)] += 1;
    }
    s.bpw = s.n_params ? static_cast<double>(s.tensor_bytes) * 8.0 / static_cast<double>(s.n_params)
                       : 0.0;
    s.capacity_gbit = static_cast<double>(s.n_params) * s.bpw / 1e9;
    s.context_length = arch_int(model, s.architecture, "context_length");
    s.n_vocab = vocabulary_size(model, s.architecture);
    return s;
}

std::string value_to_text(const Value& v) {
    if (v.type == ValueType::STRING) return fmt::format("\"{}\"", one_line(v.str, kStringShown));
    if (v.type != ValueType::ARRAY) return scalar_json(v).dump();
    const size_t n = v.array_size();
    const size_t shown = n <= kArrayShownInFull ? n : kArrayPreview;
    std::string out = fmt::format("[{} x {}] ", gguf::value_type_name(v.elem_type), n);
    for (size_t i = 0; i < shown; ++i) {
        if (i) out += ", ";
        out += array_element_text(v, i);
    }
    if (shown < n) out += ", ...";
    return out;
}

nlohmann::json value_to_json(const Value& v) {
    if (v.type != ValueType::ARRAY) return scalar_json(v);
    const size_t n = v.array_size();
    nlohmann::json elems = nlohmann::json::array();
    const size_t shown = n <= kArrayShownInFull ? n : kArrayPreview;
    for (size_t i = 0; i < shown; ++i) elems.push_back(array_element_json(v, i));
    if (shown == n) return elems;
    return {{"type", "array"},
            {"element_type", std::string(gguf::value_type_name(v.elem_type))},
            {"length", n},
            {"first", elems}};
}

std::string si_count(double n) {
    if (n >= 1e9) return fmt::format("{:.2f} G", n / 1e9);
    if (n >= 1e6) return fmt::format("{:.2f} M", n / 1e6);
    if (n >= 1e3) return fmt::format("{:.2f} K", n / 1e3);
    return fmt::format("{:.0f}", n);
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
    return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace ql::cli
