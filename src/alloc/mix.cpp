// Quantization plans: presets, which tensors are quantized at all, the walk
// over the tensors in llama.cpp's order (its counters depend on it), manual
// overrides and the shape fallback. The per-mix rules are in mix_rules.cpp.
#include "alloc/mix.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <numeric>
#include <regex>

#include "alloc/mix_rules.hpp"
#include "util/error.hpp"

namespace ql::alloc {

namespace {

using mix_rules::Ftype;
using mix_rules::Role;
using quant::TypeId;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

MixPreset preset(const char* name, TypeId base, bool needs_imatrix, Ftype ftype) {
    return MixPreset{name, base, needs_imatrix, static_cast<uint32_t>(ftype)};
}

// ---- which tensors are quantized at all ----

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Dimensions ignoring trailing ones, as ggml counts them.
int effective_dims(const std::vector<int64_t>& shape) {
    int n = static_cast<int>(shape.size());
    while (n > 1 && shape[static_cast<size_t>(n - 1)] == 1) --n;
    return n;
}

// Weights llama.cpp always copies unchanged: norms, routers, position
// embeddings, tiny recurrent/conv/multimodal parameters.
bool is_never_quantized(const std::string& name) {
    static const char* const kParts[] = {"_norm.weight",
                                         "ffn_gate_inp.weight",
                                         "ffn_gate_tid2eid.weight",
                                         "altup",
                                         "laurel",
                                         "per_layer_model_proj",
                                         "ssm_conv1d",
                                         "shortconv.conv.weight",
                                         "indexer.k_proj.weight",
                                         "indexer.q_proj.weight",
                                         "time_mix_first.weight",
                                         "time_mix_w0.weight",
                                         "time_mix_w1.weight",
                                         "time_mix_w2.weight",
                                         "time_mix_v0.weight",
                                         "time_mix_v1.weight",
                                         "time_mix_v2.weight",
                                         "time_mix_a0.weight",
                                         "time_mix_a1.weight",
                                         "time_mix_a2.weight",
                                         "time_mix_g1.weight",
                                         "time_mix_g2.weight",
                                         "time_mix_decay_w1.weight",
                                         "time_mix_decay_w2.weight",
                                         "time_mix_lerp_fused.weight",
                                         "attn_rel_b.weight",
                                         ".position_embd",
                                         "sam.pos_embd",
                                         "sam.neck.",
                                         "sam.net_",
                                         ".rel_pos",
                                         ".patch_embd",
                                         ".patch_merger",
                                         "a.rvq.codebook",
                                         "mm.a.code_embd"};
    for (const char* part : kParts)
        if (name.find(part) != std::string::npos) return true;
    return name == "position_embd.weight" || name == "token_types.weight";
}

bool is_quantizable(const gguf::TensorInfo& t) {
    return effective_dims(t.shape) >= 2 && ends_with(t.name, "weight") &&
           !is_never_quantized(t.name);
}

// ---- model facts ----

int64_t metadata_int(const gguf::GgufFile& f, const std::string& key, int64_t fallback) {
    const gguf::Value* v = f.find(key);
    if (!v) return fallback;
    if (v->type == gguf::ValueType::ARRAY) {  // per-layer arrays: layer 0 decides
        const bool numeric =
            v->elem_type != gguf::ValueType::STRING && v->elem_type != gguf::ValueType::ARRAY;
        return numeric && v->array_size() > 0 ? v->array_int(0) : fallback;
    }
    return v->as_int().value_or(fallback);
}

mix_rules::ModelFacts model_facts(const gguf::GgufFile& f, bool has_imatrix) {
    mix_rules::ModelFacts m;
    m.arch = f.architecture();
    const std::string a = m.arch + ".";
    const int64_t n_head = metadata_int(f, a + "attention.head_count", 0);
    const int64_t n_head_kv = metadata_int(f, a + "attention.head_count_kv", n_head);
    m.n_gqa = n_head_kv > 0 ? n_head / n_head_kv : 0;
    m.n_expert = metadata_int(f, a + "expert_count", 0);
    const int64_t n_layer =
        metadata_int(f, a + "block_count", 0) - metadata_int(f, a + "nextn_predict_layers", 0);
    // llama.cpp's LLM_TYPE_70B: 80-layer llama with grouped heads, 80-layer
    // qwen2/deci/olmo, 68-layer jais2.
    const bool llama_70b = m.arch == "llama" && m.n_expert != 8 && n_head != n_head_kv;
    m.is_70b = (n_layer == 80 &&
                (llama_70b || m.arch == "qwen2" || m.arch == "deci" || m.arch == "olmo")) ||
               (n_layer == 68 && m.arch == "jais2");
    m.has_imatrix = has_imatrix;
    m.tied_embeddings = f.find_tensor("output.weight") == nullptr;
    return m;
}

// llama.cpp walks tensors sorted by block number (non-block tensors first),
// then by name; the V and ffn counters advance in that order.
std::vector<size_t> llama_walk_order(const std::vector<gguf::TensorInfo>& tensors) {
    auto block_of = [](const std::string& name) {
        int b = -1;
        if (std::sscanf(name.c_str(), "blk.%d.", &b) != 1) b = -1;
        return b;
    };
    std::vector<size_t> order(tensors.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        const int bx = block_of(tensors[x].name), by = block_of(tensors[y].name);
        if (bx != by) return bx < by;
        return tensors[x].name < tensors[y].name;
    });
    return order;
}

// ---- the walk ----

struct Counters {
    int64_t n_value = 0, i_value = 0;  // V-like projections
    int64_t n_layers = 0;              // block_count (nextn blocks included)
    int64_t i_down = 0, i_gate = 0, i_up = 0;
};

class Planner {
  public:
    Planner(const gguf::GgufFile& model, const PlanOptions& o) : options_(o) {
        facts_ = model_facts(model, o.has_imatrix);
        for (const auto& t : model.tensors())
            if (mix_rules::is_value_like(mix_rules::role_of(t.name))) ++counters_.n_value;
        counters_.n_layers = metadata_int(model, facts_.arch + ".block_count", 0);
        for (const auto& [pattern, type] : o.overrides) {
            try {
                overrides_.emplace_back(std::regex(pattern), type);
            } catch (const std::regex_error&) {
                fail("invalid override pattern '{}'", pattern);
            }
        }
    }

    void set_mix(Ftype mix, TypeId base, bool use_rules) {
        // llama.cpp ignores --tensor-type overrides for a float target; a flag
        // that does nothing is more likely a mistake than an intent.
        if (!overrides_.empty() && !quant::type_traits(base).is_quantized)
            fail(
                "--override needs a quantized --type or --mix: a float target ({}) keeps every "
                "tensor float",
                quant::type_traits(base).name);
        mix_ = mix;
        base_ = base;
        use_rules_ = use_rules;
    }

    PlannedTensor plan_one(const gguf::TensorInfo& t);

  private:
    TypeId mix_choice(const gguf::TensorInfo& t, Role role);
    // Layer position of a feed-forward tensor: from the name for MoE models
    // (expert tensors are not one per layer), else the running count.
    mix_rules::Position ffn_position(const std::string& name, int64_t counter) const {
        int64_t layer = counter;
        if (std::max<int64_t>(1, facts_.n_expert) > 1) {
            int b = -1;
            if (std::sscanf(name.c_str(), "blk.%d.", &b) != 1 || b < 0 || b >= counters_.n_layers)
                fail("cannot tell the layer of tensor '{}'", name);
            layer = b;
        }
        return {layer, counters_.n_layers};
    }

    const PlanOptions& options_;
    mix_rules::ModelFacts facts_;
    Counters counters_;
    std::vector<std::pair<std::regex, TypeId>> overrides_;
    Ftype mix_ = Ftype::ALL_F32;
    TypeId base_ = TypeId::F32;
    bool use_rules_ = false;
};

TypeId Planner::mix_choice(const gguf::TensorInfo& t, Role role) {
    using namespace mix_rules;
    Counters& c = counters_;
    const bool output_like =
        role == Role::Output || (facts_.tied_embeddings && role == Role::TokenEmbedding);
    if (output_like) {
        if (options_.output_type) return *options_.output_type;
        return output_type(mix_, base_, t.shape[0], facts_);
    }
    if (mix_ == Ftype::MXFP4_MOE) {
        const bool expert_stack = t.shape.size() >= 3 && t.shape[2] > 1;
        return expert_stack ? TypeId::MXFP4 : TypeId::Q8_0;
    }
    if (role == Role::TokenEmbedding) {
        if (options_.token_embedding_type) return *options_.token_embedding_type;
        return token_embedding_type(mix_, base_);
    }
    if (is_very_low_bit(mix_)) {
        const TypeId chosen = very_low_bit_type(mix_, base_, role, {c.i_down, c.n_layers}, facts_);
        if (is_value_like(role)) ++c.i_value;
        if (role == Role::FfnDown) ++c.i_down;
        return chosen;
    }
    if (is_value_like(role)) return value_type(mix_, base_, {c.i_value++, c.n_value}, facts_);
    switch (role) {
        case Role::AttnK:
            return key_type(mix_, base_, facts_);
        case Role::AttnQ:
            return query_type(mix_, base_);
        case Role::FfnDown:
            return ffn_down_type(mix_, base_, ffn_position(t.name, c.i_down++), facts_);
        case Role::AttnOutput:
            return attn_output_type(mix_, base_, facts_);
        case Role::FfnGate:
            return ffn_gate_up_type(mix_, base_, ffn_position(t.name, c.i_gate++));
        case Role::FfnUp:
            return ffn_gate_up_type(mix_, base_, ffn_position(t.name, c.i_up++));
        default:
            return base_;
    }
}

PlannedTensor Planner::plan_one(const gguf::TensorInfo& t) {
    PlannedTensor p{t.name, t.shape, t.type, t.type, 0, ""};
    if (!is_quantizable(t)) return p;
    const Role role = mix_rules::role_of(t.name);
    if (options_.token_embedding_type && role == Role::TokenEmbedding) {
        p.to = *options_.token_embedding_type;
        p.note = "--token-embedding-type";
        return p;
    }
    if (options_.output_type && role == Role::Output) {
        p.to = *options_.output_type;
        p.note = "--output-tensor-type";
        return p;
    }
    p.to = base_;
    if (!quant::type_traits(base_).is_quantized) return p;  // plain float target: no rules

    bool manual = false;
    for (const auto& [pattern, type] : overrides_) {
        if (std::regex_search(t.name, pattern)) {
            p.to = type;
            p.note = "override";
            manual = true;
            break;
        }
    }
    if (!manual && use_rules_) {
        p.to = mix_choice(t, role);
        if (p.to != base_) p.note = "mix rule";
    }
    std::string why;
    const TypeId fitted = mix_rules::shape_fallback(p.to, t.shape[0], &why);
    if (fitted != p.to) {
        p.to = fitted;
        p.note = p.note.empty() ? why : p.note + ", " + why;
    }
    return p;
}

// The llama_ftype that names a uniform --type plan.
Ftype ftype_of_type(TypeId t) {
    switch (t) {
        case TypeId::F32:
            return Ftype::ALL_F32;
        case TypeId::F16:
            return Ftype::F16;
        case TypeId::BF16:
            return Ftype::BF16;
        case TypeId::Q4_0:
            return Ftype::Q4_0;
        case TypeId::Q4_1:
            return Ftype::Q4_1;
        case TypeId::Q5_0:
            return Ftype::Q5_0;
        case TypeId::Q5_1:
            return Ftype::Q5_1;
        case TypeId::Q8_0:
            return Ftype::Q8_0;
        case TypeId::Q2_K:
            return Ftype::Q2_K;
        case TypeId::Q3_K:
            return Ftype::Q3_K_S;
        case TypeId::Q4_K:
            return Ftype::Q4_K_S;
        case TypeId::Q5_K:
            return Ftype::Q5_K_S;
        case TypeId::Q6_K:
            return Ftype::Q6_K;
        case TypeId::IQ2_XXS:
            return Ftype::IQ2_XXS;
        case TypeId::IQ2_XS:
            return Ftype::IQ2_XS;
        case TypeId::IQ2_S:
            return Ftype::IQ2_S;
        case TypeId::IQ3_XXS:
            return Ftype::IQ3_XXS;
        case TypeId::IQ3_S:
            return Ftype::IQ3_S;
        case TypeId::IQ1_S:
            return Ftype::IQ1_S;
        case TypeId::IQ1_M:
            return Ftype::IQ1_M;
        case TypeId::IQ4_NL:
            return Ftype::IQ4_NL;
        case TypeId::IQ4_XS:
            return Ftype::IQ4_XS;
        case TypeId::TQ1_0:
            return Ftype::TQ1_0;
        case TypeId::TQ2_0:
            return Ftype::TQ2_0;
        case TypeId::MXFP4:
            return Ftype::MXFP4_MOE;
        case TypeId::Q1_0:
            return Ftype::Q1_0;
        case TypeId::Q2_0:
            return Ftype::Q2_0;
        default:
            fail("--type {} is not a type llama.cpp files are made of", quant::type_traits(t).name);
    }
}

uint64_t planned_bytes(const PlannedTensor& p, const gguf::TensorInfo& t) {
    if (p.to == t.type) return t.n_bytes;
    const auto row = quant::row_bytes(quant::type_traits(p.to), static_cast<uint64_t>(t.shape[0]));
    if (!row)
        fail("tensor '{}': rows of {} do not fit type {}", t.name, t.shape[0],
             quant::type_traits(p.to).name);
    return *row * static_cast<uint64_t>(t.n_rows());
}

}  // namespace

const std::vector<MixPreset>& mix_presets() {
    static const std::vector<MixPreset> presets = {
        preset("Q4_0", TypeId::Q4_0, false, Ftype::Q4_0),
        preset("Q4_1", TypeId::Q4_1, false, Ftype::Q4_1),
        preset("Q5_0", TypeId::Q5_0, false, Ftype::Q5_0),
        preset("Q5_1", TypeId::Q5_1, false, Ftype::Q5_1),
        preset("Q8_0", TypeId::Q8_0, false, Ftype::Q8_0),
        preset("Q1_0", TypeId::Q1_0, false, Ftype::Q1_0),
        preset("Q2_0", TypeId::Q2_0, false, Ftype::Q2_0),
        preset("MXFP4_MOE", TypeId::MXFP4, false, Ftype::MXFP4_MOE),
        preset("Q2_K", TypeId::Q2_K, false, Ftype::Q2_K),
        preset("Q2_K_S", TypeId::Q2_K, true, Ftype::Q2_K_S),
        preset("Q3_K_S", TypeId::Q3_K, false, Ftype::Q3_K_S),
        preset("Q3_K_M", TypeId::Q3_K, false, Ftype::Q3_K_M),
        preset("Q3_K_L", TypeId::Q3_K, false, Ftype::Q3_K_L),
        preset("Q4_K_S", TypeId::Q4_K, false, Ftype::Q4_K_S),
        preset("Q4_K_M", TypeId::Q4_K, false, Ftype::Q4_K_M),
        preset("Q5_K_S", TypeId::Q5_K, false, Ftype::Q5_K_S),
        preset("Q5_K_M", TypeId::Q5_K, false, Ftype::Q5_K_M),
        preset("Q6_K", TypeId::Q6_K, false, Ftype::Q6_K),
        preset("TQ1_0", TypeId::TQ1_0, false, Ftype::TQ1_0),
        preset("TQ2_0", TypeId::TQ2_0, false, Ftype::TQ2_0),
        preset("IQ1_S", TypeId::IQ1_S, true, Ftype::IQ1_S),
        preset("IQ1_M", TypeId::IQ1_M, true, Ftype::IQ1_M),
        preset("IQ2_XXS", TypeId::IQ2_XXS, true, Ftype::IQ2_XXS),
        preset("IQ2_XS", TypeId::IQ2_XS, true, Ftype::IQ2_XS),
        preset("IQ2_S", TypeId::IQ2_XS, true, Ftype::IQ2_S),  // base IQ2_XS, as in llama.cpp
        preset("IQ2_M", TypeId::IQ2_S, true, Ftype::IQ2_M),
        preset("IQ3_XXS", TypeId::IQ3_XXS, true, Ftype::IQ3_XXS),
        preset("IQ3_XS", TypeId::IQ3_S, true, Ftype::IQ3_XS),  // Q and K drop to IQ3_XXS
        preset("IQ3_S", TypeId::IQ3_S, false, Ftype::IQ3_S),
        preset("IQ3_M", TypeId::IQ3_S, false, Ftype::IQ3_M),
        preset("IQ4_NL", TypeId::IQ4_NL, false, Ftype::IQ4_NL),
        preset("IQ4_XS", TypeId::IQ4_XS, false, Ftype::IQ4_XS),
    };
    return presets;
}

const MixPreset* find_mix(std::string_view name) {
    for (const auto& p : mix_presets())
        if (iequals(p.name, name)) return &p;
    return nullptr;
}

Plan plan_quantization(const gguf::GgufFile& model, const PlanOptions& options) {
    if (options.type.has_value() == options.mix.has_value())
        fail("give exactly one of a type and a mix");
    Planner planner(model, options);
    Plan plan;
    Ftype ftype;
    if (options.mix) {
        const MixPreset* p = find_mix(*options.mix);
        if (!p) fail("unknown mix '{}'", *options.mix);
        ftype = static_cast<Ftype>(p->ftype);
        planner.set_mix(ftype, p->default_type, !options.pure);
    } else {
        ftype = ftype_of_type(*options.type);
        planner.set_mix(ftype, *options.type, false);
    }
    plan.ftype = static_cast<uint32_t>(ftype);

    const auto& tensors = model.tensors();
    plan.tensors.resize(tensors.size());
    for (size_t i : llama_walk_order(tensors)) plan.tensors[i] = planner.plan_one(tensors[i]);

    for (size_t i = 0; i < tensors.size(); ++i) {
        PlannedTensor& p = plan.tensors[i];
        p.bytes_out = planned_bytes(p, tensors[i]);
        plan.bytes_in += tensors[i].n_bytes;
        plan.bytes_out += p.bytes_out;
        const bool converted = is_quantizable(tensors[i]);
        if (converted && !options.has_imatrix && mix_rules::needs_imatrix(p.name, p.to, ftype))
            fail("{} of tensor '{}' needs an importance matrix (--imatrix)",
                 quant::type_traits(p.to).name, p.name);
    }
    return plan;
}

}  // namespace ql::alloc
