// The scalar reference dot products, one per weight type (internal to the
// kernels layer; see kernels.hpp). Each takes n values of a weight row in its
// block format and the activation row in the paired format.
#pragma once

#include <cstdint>

#include "quant/half.hpp"

namespace ql::kernels::scalar {

#define QL_DECLARE_DOT(x) float dot_##x(int64_t n, const void* w, const void* a);

// dot_float.cpp: plain float weights (f32 activations for F32, same type otherwise)
QL_DECLARE_DOT(f32)
QL_DECLARE_DOT(f16)
QL_DECLARE_DOT(bf16)
// dot_legacy.cpp: Q8_0 / Q8_1 activations
QL_DECLARE_DOT(q1_0)
QL_DECLARE_DOT(q2_0)
QL_DECLARE_DOT(q4_0)
QL_DECLARE_DOT(q4_1)
QL_DECLARE_DOT(q5_0)
QL_DECLARE_DOT(q5_1)
QL_DECLARE_DOT(q8_0)
QL_DECLARE_DOT(mxfp4)
QL_DECLARE_DOT(nvfp4)
QL_DECLARE_DOT(iq4_nl)
// dot_kquants.cpp: Q8_K activations
QL_DECLARE_DOT(q2_k)
QL_DECLARE_DOT(q3_k)
QL_DECLARE_DOT(q4_k)
QL_DECLARE_DOT(q5_k)
QL_DECLARE_DOT(q6_k)
QL_DECLARE_DOT(tq1_0)
QL_DECLARE_DOT(tq2_0)
QL_DECLARE_DOT(iq4_xs)
// dot_iq.cpp: Q8_K activations
QL_DECLARE_DOT(iq2_xxs)
QL_DECLARE_DOT(iq2_xs)
QL_DECLARE_DOT(iq2_s)
QL_DECLARE_DOT(iq3_xxs)
QL_DECLARE_DOT(iq3_s)
QL_DECLARE_DOT(iq1_s)
QL_DECLARE_DOT(iq1_m)

#undef QL_DECLARE_DOT

// Views of the activation blocks.
// Q8_0 [d:2][qs:32]; Q8_1 [d:2][s:2][qs:32]; Q8_K [d:4][qs:256][bsums:16 x int16].
constexpr int kQ8Block = 32;
constexpr int kQ8_0Bytes = 34;
constexpr int kQ8_1Bytes = 36;
constexpr int kSuper = 256;
constexpr int kQ8KBytes = 292;

struct Q8KBlock {
    float d;
    const int8_t* qs;          // [256]
    const uint8_t* bsums_raw;  // [16] little-endian int16
    int bsum(int j) const { return static_cast<int16_t>(quant::load_u16(bsums_raw + 2 * j)); }
};

inline Q8KBlock q8k_block(const void* a, int64_t i) {
    const auto* p = static_cast<const uint8_t*>(a) + i * kQ8KBytes;
    return Q8KBlock{quant::load_f32(p), reinterpret_cast<const int8_t*>(p + 4), p + 4 + kSuper};
}

inline float half_at(const uint8_t* p) {
    return quant::fp16_to_f32(quant::load_u16(p));
}

}  // namespace ql::kernels::scalar
