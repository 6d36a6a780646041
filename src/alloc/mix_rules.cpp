// The rules of llama.cpp's quantization mixes (see mix_rules.hpp). Written
// per tensor kind: each function lists, mix by mix, what changes from the
// mix's default type.
#include "alloc/mix_rules.hpp"

#include <algorithm>
#include <initializer_list>

#include "util/error.hpp"

namespace ql::alloc::mix_rules {

using quant::TypeId;

namespace {

bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

bool one_of(Ftype mix, std::initializer_list<Ftype> set) {
    return std::find(set.begin(), set.end(), mix) != set.end();
}

// IQ2_S and IQ2_M lift their protected tensors to IQ3_S; the others to Q2_K.
TypeId very_low_bit_lift(Ftype mix) {
    return one_of(mix, {Ftype::IQ2_S, Ftype::IQ2_M}) ? TypeId::IQ3_S : TypeId::Q2_K;
}

int64_t block_size(TypeId t) {
    return quant::type_traits(t).block_size;
}

}  // namespace

Role role_of(const std::string& name) {
    if (name == "output.weight") return Role::Output;
    if (name == "token_embd.weight" || name == "per_layer_token_embd.weight")
        return Role::TokenEmbedding;
    // Order matters: "attn_qkv.weight" and "attn_kv_b.weight" before the
    // single projections; the ffn parts match expert and shared stacks too.
    struct Pattern {
        std::string_view part;
        Role role;
    };
    static constexpr Pattern kPatterns[] = {
        {"attn_qkv.weight", Role::AttnQkv},
        {"attn_kv_b.weight", Role::AttnKvB},
        {"attn_v.weight", Role::AttnV},
        {"attn_k.weight", Role::AttnK},
        {"attn_q.weight", Role::AttnQ},
        {"attn_output.weight", Role::AttnOutput},
        {"ffn_up", Role::FfnUp},
        {"ffn_gate", Role::FfnGate},
        {"ffn_down", Role::FfnDown},
    };
    for (const auto& p : kPatterns)
        if (contains(name, p.part)) return p.role;
    return Role::Other;
}

bool in_sensitive_layer(Position p) {
    const int64_t eighth = p.n / 8;
    return p.i < eighth || p.i >= 7 * p.n / 8 || (p.i - eighth) % 3 == 2;
}

bool is_very_low_bit(Ftype mix) {
    return one_of(mix, {Ftype::IQ2_XXS, Ftype::IQ2_XS, Ftype::IQ1_S, Ftype::IQ2_S, Ftype::IQ2_M,
                        Ftype::IQ1_M});
}

TypeId output_type(Ftype mix, TypeId base, int64_t row_length, const ModelFacts& m) {
    if (mix == Ftype::MXFP4_MOE) return TypeId::Q8_0;
    if (m.arch == "falcon" || row_length % block_size(base) != 0) return TypeId::Q8_0;
    if (is_very_low_bit(mix) || mix == Ftype::IQ3_XXS) return TypeId::Q5_K;
    return base == TypeId::Q8_0 ? TypeId::Q8_0 : TypeId::Q6_K;
}

TypeId token_embedding_type(Ftype mix, TypeId base) {
    switch (mix) {
        case Ftype::IQ2_XXS:
        case Ftype::IQ2_XS:
        case Ftype::IQ1_S:
        case Ftype::IQ1_M:
            return TypeId::Q2_K;
        case Ftype::IQ2_S:
        case Ftype::IQ2_M:
        case Ftype::IQ3_XXS:
            return TypeId::IQ3_S;
        case Ftype::TQ1_0:
        case Ftype::TQ2_0:
        case Ftype::Q2_0:
            return TypeId::Q4_K;
        default:
            return base;
    }
}

TypeId very_low_bit_type(Ftype mix, TypeId base, Role role, Position ffn_down,
                         const ModelFacts& m) {
    if (is_value_like(role))
        return (m.n_gqa >= 4 || m.n_expert >= 4) ? TypeId::Q4_K : very_low_bit_lift(mix);
    if (role == Role::AttnK && m.n_expert == 8) return TypeId::Q4_K;
    if (role == Role::FfnDown) return ffn_down.i < ffn_down.n / 8 ? very_low_bit_lift(mix) : base;
    if (role == Role::AttnOutput) {
        if (m.n_expert == 8) return TypeId::Q5_K;
        if (one_of(mix, {Ftype::IQ1_S, Ftype::IQ1_M})) return TypeId::IQ2_XXS;
        if (one_of(mix, {Ftype::IQ2_S, Ftype::IQ2_M})) return TypeId::IQ3_S;
    }
    return base;
}

TypeId value_type(Ftype mix, TypeId base, Position v, const ModelFacts& m) {
    const bool grouped = m.n_gqa >= 4;  // V is small next to Q: extra bits are cheap
    TypeId t = base;
    switch (mix) {
        case Ftype::Q2_K:
            t = grouped ? TypeId::Q4_K : TypeId::Q3_K;
            break;
        case Ftype::Q2_K_S:
        case Ftype::IQ3_XS:
        case Ftype::IQ3_S:
            if (grouped) t = TypeId::Q4_K;
            break;
        case Ftype::IQ3_XXS:
            t = grouped ? TypeId::Q4_K : (m.has_imatrix ? TypeId::IQ3_XXS : TypeId::IQ3_S);
            break;
        case Ftype::IQ3_M:
            t = TypeId::Q4_K;
            break;
        case Ftype::Q3_K_M:
            t = v.i < 2 ? TypeId::Q5_K : TypeId::Q4_K;
            break;
        case Ftype::Q3_K_L:
            t = TypeId::Q5_K;
            break;
        case Ftype::IQ4_NL:
        case Ftype::IQ4_XS:
            if (grouped) t = TypeId::Q5_K;
            break;
        case Ftype::Q4_K_M:
        case Ftype::Q5_K_M:
            if (in_sensitive_layer(v)) t = TypeId::Q6_K;
            break;
        case Ftype::Q4_K_S:
            if (v.i < 4) t = TypeId::Q5_K;
            break;
        default:
            break;
    }
    // 70B llama: eight query heads share each V head, so V is tiny.
    if (m.is_70b && (t == TypeId::Q3_K || t == TypeId::Q4_K)) t = TypeId::Q5_K;
    if (m.n_expert == 8) t = TypeId::Q8_0;  // Mixtral-style MoE: V is a rounding error in size
    return t;
}

TypeId key_type(Ftype mix, TypeId base, const ModelFacts& m) {
    if (m.n_expert == 8) return TypeId::Q8_0;
    if (mix == Ftype::IQ3_XS) return TypeId::IQ3_XXS;
    if (mix == Ftype::IQ3_XXS) return TypeId::IQ2_S;
    return base;
}

TypeId query_type(Ftype mix, TypeId base) {
    if (mix == Ftype::IQ3_XS) return TypeId::IQ3_XXS;
    if (mix == Ftype::IQ3_XXS) return TypeId::IQ2_S;
    return base;
}

TypeId ffn_down_type(Ftype mix, TypeId base, Position layer, const ModelFacts& m) {
    const bool falcon = m.arch == "falcon";
    const bool first_eighth = layer.i < layer.n / 8;
    const bool sensitive = in_sensitive_layer(layer);
    switch (mix) {
        case Ftype::Q2_K:
            return TypeId::Q3_K;
        case Ftype::Q2_K_S:
            return first_eighth ? TypeId::Q4_K : base;
        case Ftype::IQ3_XXS:
            if (m.has_imatrix) return base;
            return first_eighth ? TypeId::Q4_K : TypeId::Q3_K;
        case Ftype::Q3_K_M:
            if (layer.i < layer.n / 16) return TypeId::Q5_K;
            return (!falcon || sensitive) ? TypeId::Q4_K : TypeId::Q3_K;
        case Ftype::IQ3_M:
            return (first_eighth || (m.n_expert == 8 && sensitive)) ? TypeId::Q4_K : base;
        case Ftype::Q3_K_L:
            return falcon ? TypeId::Q4_K : TypeId::Q5_K;
        case Ftype::Q4_K_M:
            if (falcon) {
                if (layer.i < layer.n / 16) return TypeId::Q6_K;
                return sensitive ? TypeId::Q5_K : TypeId::Q4_K;
            }
            return sensitive ? TypeId::Q6_K : base;
        case Ftype::IQ4_NL:
        case Ftype::IQ4_XS:
            return (first_eighth && !m.has_imatrix) ? TypeId::Q5_K : base;
        case Ftype::Q5_K_M:
            return sensitive ? TypeId::Q6_K : base;
        case Ftype::Q4_K_S:
            return (!falcon && first_eighth) ? TypeId::Q5_K : base;
        // With an imatrix, the first layers of Q4_0/Q5_0 take the variant with a minimum.
        case Ftype::Q4_0:
            return (m.has_imatrix && first_eighth) ? TypeId::Q4_1 : base;
        case Ftype::Q5_0:
            return (m.has_imatrix && first_eighth) ? TypeId::Q5_1 : base;
        default:
            return base;
    }
}

TypeId attn_output_type(Ftype mix, TypeId base, const ModelFacts& m) {
    if (m.arch == "falcon") return mix == Ftype::Q3_K_L ? TypeId::Q4_K : base;
    if (m.n_expert == 8) {
        const bool lifted = one_of(mix, {Ftype::Q2_K, Ftype::IQ3_XS, Ftype::IQ3_XXS, Ftype::Q3_K_S,
                                         Ftype::Q3_K_M, Ftype::IQ4_NL, Ftype::Q4_K_S, Ftype::Q4_K_M,
                                         Ftype::IQ3_S, Ftype::IQ3_M, Ftype::IQ4_XS});
        return lifted ? TypeId::Q5_K : base;
    }
    switch (mix) {
        case Ftype::Q2_K:
            return TypeId::Q3_K;
        case Ftype::IQ3_XXS:
            return TypeId::IQ3_S;
        case Ftype::Q3_K_M:
        case Ftype::IQ3_M:
            return TypeId::Q4_K;
        case Ftype::Q3_K_L:
            return TypeId::Q5_K;
        default:
            return base;
    }
}

TypeId ffn_gate_up_type(Ftype mix, TypeId base, Position layer) {
    const bool middle = layer.i >= layer.n / 8 && layer.i < 7 * layer.n / 8;
    return (mix == Ftype::IQ3_XS && middle) ? TypeId::IQ3_XXS : base;
}

TypeId shape_fallback(TypeId wanted, int64_t row_length, std::string* note) {
    const int64_t block = block_size(wanted);
    if (row_length % block == 0) return wanted;
    TypeId alternative = wanted;
    switch (wanted) {
        case TypeId::IQ1_S:
        case TypeId::IQ1_M:
        case TypeId::IQ2_XXS:
        case TypeId::IQ2_XS:
        case TypeId::IQ2_S:
        case TypeId::IQ3_XXS:
        case TypeId::IQ3_S:
        case TypeId::IQ4_XS:
            alternative = TypeId::IQ4_NL;
            break;
        case TypeId::Q2_0:
        case TypeId::Q2_K:
        case TypeId::Q3_K:
        case TypeId::TQ1_0:
        case TypeId::TQ2_0:
            alternative = TypeId::Q4_0;
            break;
        case TypeId::Q4_K:
            alternative = TypeId::Q5_0;
            break;
        case TypeId::Q5_K:
            alternative = TypeId::Q5_1;
            break;
        case TypeId::Q6_K:
            alternative = TypeId::Q8_0;
            break;
        default:
            if (block > 32)
                fail("no fallback type for {} (rows of {} values)", quant::type_traits(wanted).name,
                     row_length);
            break;  // already a 32-block type: only F16 is left
    }
    if (row_length % block_size(alternative) != 0) alternative = TypeId::F16;
    if (note)
        *note = fmt::format("fallback: {} not divisible by {} ({})", row_length, block,
                            quant::type_traits(wanted).name);
    return alternative;
}

bool needs_imatrix(const std::string& name, TypeId type, Ftype mix) {
    const Role role = role_of(name);
    if (role == Role::Output || role == Role::TokenEmbedding) return false;
    switch (type) {
        case TypeId::IQ3_XXS:
        case TypeId::IQ2_XXS:
        case TypeId::IQ2_XS:
        case TypeId::IQ2_S:
        case TypeId::IQ1_M:
        case TypeId::IQ1_S:
            return true;
        case TypeId::Q2_K:
            return mix == Ftype::Q2_K_S;  // only the small Q2_K mix
        default:
            return false;
    }
}

}  // namespace ql::alloc::mix_rules
