// Per-type (de)quantization entry points, one pair per registry type. The
// registry (registry.cpp) is the only caller; everything else goes through it.
// Signatures: see DequantizeFn / QuantizeFn in types.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ql::quant {

#define QL_DECLARE_FORMAT(x)                                                            \
    void dequantize_##x(const void* src, float* dst, int64_t n);                        \
    size_t quantize_##x(const float* src, void* dst, int64_t n_rows, int64_t n_per_row, \
                        const float* importance);

// float_types.cpp: plain types
QL_DECLARE_FORMAT(f32)
QL_DECLARE_FORMAT(f16)
QL_DECLARE_FORMAT(bf16)
QL_DECLARE_FORMAT(f64)
QL_DECLARE_FORMAT(i8)
QL_DECLARE_FORMAT(i16)
QL_DECLARE_FORMAT(i32)
QL_DECLARE_FORMAT(i64)

// legacy.cpp: 32-value blocks with one scale (and min)
QL_DECLARE_FORMAT(q4_0)
QL_DECLARE_FORMAT(q4_1)
QL_DECLARE_FORMAT(q5_0)
QL_DECLARE_FORMAT(q5_1)
QL_DECLARE_FORMAT(q8_0)
QL_DECLARE_FORMAT(q8_1)
// low_bit.cpp: Q1_0 (128-value blocks, sign bits) and Q2_0 (64-value blocks)
QL_DECLARE_FORMAT(q1_0)
QL_DECLARE_FORMAT(q2_0)

// fp4.cpp: MXFP4 (E8M0 scale) and NVFP4 (E4M3 scales)
QL_DECLARE_FORMAT(mxfp4)
QL_DECLARE_FORMAT(nvfp4)

// ternary.cpp: TQ1_0, TQ2_0
QL_DECLARE_FORMAT(tq1_0)
QL_DECLARE_FORMAT(tq2_0)

// kquants*.cpp: 256-value super-blocks
QL_DECLARE_FORMAT(q2_k)
QL_DECLARE_FORMAT(q3_k)
QL_DECLARE_FORMAT(q4_k)
QL_DECLARE_FORMAT(q5_k)
QL_DECLARE_FORMAT(q6_k)
QL_DECLARE_FORMAT(q8_k)

// iq4.cpp: non-linear 4-bit
QL_DECLARE_FORMAT(iq4_nl)
QL_DECLARE_FORMAT(iq4_xs)
// iq3.cpp: 3-bit lattice codebooks
QL_DECLARE_FORMAT(iq3_xxs)
QL_DECLARE_FORMAT(iq3_s)
// iq2.cpp: 2-bit lattice codebooks
QL_DECLARE_FORMAT(iq2_xxs)
QL_DECLARE_FORMAT(iq2_xs)
QL_DECLARE_FORMAT(iq2_s)
// iq1.cpp: 1.5/1.75-bit codebooks
QL_DECLARE_FORMAT(iq1_s)
QL_DECLARE_FORMAT(iq1_m)

#undef QL_DECLARE_FORMAT

}  // namespace ql::quant
