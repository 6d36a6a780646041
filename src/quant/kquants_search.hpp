// The search shared by the k-quant quantizers (Q2_K ... Q6_K).
//
// Every k-quant super-block holds 256 values split into sub-blocks of 16 or
// 32. Element i of sub-block j is reconstructed as
//
//     value = (d * scale[j]) * q[i] - (dmin * min[j])
//
// with d, dmin stored as fp16, scale[j] / min[j] small integers and q[i] an
// integer level. Formats without mins (Q3_K, Q6_K) have min_hi == 0.
//
// The search minimises the weighted squared error sum_i w[i] (x[i] - value)^2
// in three steps: a free (real-valued) scale/offset fit per sub-block, then an
// alternation between "choose the integer sub-scales/mins and levels for the
// current d, dmin" (the integers bracketing the free fit, then a walk while
// the error drops) and "refit d, dmin by least squares for the current
// integers", started from n_starts initial super-scales. The best code seen is
// kept, so the result is never worse than writing zeros.
#pragma once

#include <array>
#include <cstdint>

namespace ql::quant::kq {

constexpr int kSuperBlock = 256;
constexpr int kMaxSubBlocks = 16;

struct Shape {
    int sub_size;            // values per sub-block: 16 or 32
    int q_lo, q_hi;          // range of the element levels
    int scale_lo, scale_hi;  // range of the integer sub-block scales
    int min_hi;              // integer sub-block mins are 0..min_hi; 0 = no mins
    int n_starts;            // initial super-scales tried (1..8)
    int fan_steps;           // free fit: scales tried on each side of the extreme-value one
    int rounds;              // integer choices per start (a refit of d, dmin between two)

    int n_sub() const { return kSuperBlock / sub_size; }
    bool has_min() const { return min_hi > 0; }
};

// The chosen representation of one super-block.
struct Code {
    float d = 0;     // fp16-representable super-scale
    float dmin = 0;  // fp16-representable super-scale of the mins (0 without mins)
    std::array<int, kMaxSubBlocks> scale{};
    std::array<int, kMaxSubBlocks> min{};
    std::array<int8_t, kSuperBlock> q{};  // [256] element levels in [q_lo, q_hi]
};

// x: [256] values, w: [256] weights >= 0 (not all zero). Deterministic.
Code search_super_block(const Shape& shape, const float* x, const float* w);

// Weights for one super-block. importance: null (uniform weights, i.e. plain
// squared error) or the [256] per-column importances of this super-block.
// w: [256] out. Columns with zero importance get a tiny weight so that every
// sub-block still has a well-defined fit.
void super_block_weights(const float* importance, float* w);

// Rounds to the nearest fp16 value after clamping into fp16's finite range.
float to_half_clamped(double v);

}  // namespace ql::quant::kq
