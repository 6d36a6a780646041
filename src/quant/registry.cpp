#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "quant/dequant_simd.hpp"
#include "quant/formats.hpp"
#include "quant/types.hpp"
#include "util/checked.hpp"
#include "util/error.hpp"

namespace ql::quant {

namespace {

#define QL_TYPE(ID, NAME, BLOCK, BYTES, FN, NEEDS_IMP, QUANTIZED)                            \
    TypeTraits {                                                                             \
        TypeId::ID, NAME, BLOCK, BYTES, dequantize_##FN, quantize_##FN, NEEDS_IMP, QUANTIZED \
    }

// The facts: ggml-common.h block layouts. Sorted by id.
const std::array kTypes = {
    QL_TYPE(F32, "F32", 1, 4, f32, false, false),
    QL_TYPE(F16, "F16", 1, 2, f16, false, false),
    QL_TYPE(Q4_0, "Q4_0", 32, 18, q4_0, false, true),
    QL_TYPE(Q4_1, "Q4_1", 32, 20, q4_1, false, true),
    QL_TYPE(Q5_0, "Q5_0", 32, 22, q5_0, false, true),
    QL_TYPE(Q5_1, "Q5_1", 32, 24, q5_1, false, true),
    QL_TYPE(Q8_0, "Q8_0", 32, 34, q8_0, false, true),
    QL_TYPE(Q8_1, "Q8_1", 32, 36, q8_1, false, true),
    QL_TYPE(Q2_K, "Q2_K", 256, 84, q2_k, false, true),
    QL_TYPE(Q3_K, "Q3_K", 256, 110, q3_k, false, true),
    QL_TYPE(Q4_K, "Q4_K", 256, 144, q4_k, false, true),
    QL_TYPE(Q5_K, "Q5_K", 256, 176, q5_k, false, true),
    QL_TYPE(Q6_K, "Q6_K", 256, 210, q6_k, false, true),
    QL_TYPE(Q8_K, "Q8_K", 256, 292, q8_k, false, true),
    QL_TYPE(IQ2_XXS, "IQ2_XXS", 256, 66, iq2_xxs, true, true),
    QL_TYPE(IQ2_XS, "IQ2_XS", 256, 74, iq2_xs, true, true),
    QL_TYPE(IQ3_XXS, "IQ3_XXS", 256, 98, iq3_xxs, false, true),
    QL_TYPE(IQ1_S, "IQ1_S", 256, 50, iq1_s, true, true),
    QL_TYPE(IQ4_NL, "IQ4_NL", 32, 18, iq4_nl, false, true),
    QL_TYPE(IQ3_S, "IQ3_S", 256, 110, iq3_s, false, true),
    QL_TYPE(IQ2_S, "IQ2_S", 256, 82, iq2_s, false, true),
    QL_TYPE(IQ4_XS, "IQ4_XS", 256, 136, iq4_xs, false, true),
    QL_TYPE(I8, "I8", 1, 1, i8, false, false),
    QL_TYPE(I16, "I16", 1, 2, i16, false, false),
    QL_TYPE(I32, "I32", 1, 4, i32, false, false),
    QL_TYPE(I64, "I64", 1, 8, i64, false, false),
    QL_TYPE(F64, "F64", 1, 8, f64, false, false),
    QL_TYPE(IQ1_M, "IQ1_M", 256, 56, iq1_m, false, true),
    QL_TYPE(BF16, "BF16", 1, 2, bf16, false, false),
    QL_TYPE(TQ1_0, "TQ1_0", 256, 54, tq1_0, false, true),
    QL_TYPE(TQ2_0, "TQ2_0", 256, 66, tq2_0, false, true),
    QL_TYPE(MXFP4, "MXFP4", 32, 17, mxfp4, false, true),
    QL_TYPE(NVFP4, "NVFP4", 64, 36, nvfp4, false, true),
    QL_TYPE(Q1_0, "Q1_0", 128, 18, q1_0, false, true),
    QL_TYPE(Q2_0, "Q2_0", 64, 18, q2_0, false, true),
};

#undef QL_TYPE

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::span<const TypeTraits> all_types() {
    return kTypes;
}

const TypeTraits* find_type(uint32_t id) {
    for (const auto& t : kTypes)
        if (static_cast<uint32_t>(t.id) == id) return &t;
    return nullptr;
}

const TypeTraits* find_type(std::string_view name) {
    for (const auto& t : kTypes)
        if (iequals(t.name, name)) return &t;
    return nullptr;
}

const TypeTraits& type_traits(TypeId id) {
    const TypeTraits* t = find_type(id);
    if (!t) fail("unknown tensor type id {}", static_cast<uint32_t>(id));
    return *t;
}

std::optional<uint64_t> row_bytes(const TypeTraits& t, uint64_t n) {
    if (n % static_cast<uint64_t>(t.block_size) != 0) return std::nullopt;
    return checked_mul(n / static_cast<uint64_t>(t.block_size), static_cast<uint64_t>(t.type_size));
}

void dequantize(TypeId type, const void* src, float* dst, int64_t n) {
    const TypeTraits& t = type_traits(type);
    if (n < 0 || n % t.block_size != 0)
        fail("{}: {} values is not a multiple of the block size {}", t.name, n, t.block_size);
    best_dequantize(type)(src, dst, n);
}

size_t quantize(TypeId type, const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                const float* importance) {
    const TypeTraits& t = type_traits(type);
    if (n_rows < 0 || n_per_row <= 0 || n_per_row % t.block_size != 0)
        fail("{}: row length {} is not a multiple of the block size {}", t.name, n_per_row,
             t.block_size);
    if (importance)
        for (int64_t i = 0; i < n_per_row; ++i)
            if (!std::isfinite(importance[i]) || importance[i] < 0)
                fail("{}: importance weight {} is {} (must be finite and >= 0)", t.name, i,
                     importance[i]);
    for (int64_t i = 0; i < n_rows * n_per_row; ++i)
        if (!std::isfinite(src[i]))
            fail_input("{}: value {} of row {} is not finite ({})", t.name, i % n_per_row,
                       i / n_per_row, src[i]);
    return t.quantize(src, dst, n_rows, n_per_row, importance);
}

}  // namespace ql::quant
