// The search shared by IQ1_S and IQ1_M. Both code a 256-value super-block as
//   value = d * (2*s + 1) * (grid[j] + delta)
// with one fp16 `d`, a 3-bit `s` per block (32 values for IQ1_S, 16 for
// IQ1_M), an 11-bit grid index per group of 8 and delta = +-1/8, whose sign is
// chosen per block (IQ1_S) or per group (IQ1_M). The formats only differ in
// how these fields are packed (iq1.cpp).
#pragma once

#include <array>
#include <cstdint>

namespace ql::quant {

inline constexpr int kIq1SuperBlock = 256;
inline constexpr int kIq1Group = 8;
inline constexpr int kIq1Groups = kIq1SuperBlock / kIq1Group;  // 32

struct Iq1Shape {
    int block_size;       // values sharing one 3-bit scale: 32 (IQ1_S) or 16 (IQ1_M)
    bool sign_per_group;  // false: one delta sign per block (IQ1_S)
    float delta;          // |delta|
};

struct Iq1Code {
    uint16_t d_fp16 = 0;                            // super-block scale (fp16 bits)
    std::array<uint8_t, 16> scale{};                // [256 / block_size] 3-bit block scales
    std::array<uint16_t, kIq1Groups> grid{};        // [32] grid index per group of 8
    std::array<bool, kIq1Groups> negative_delta{};  // [32] delta sign per group
};

// Chooses the code minimising sum_j w[j] * (x[j] - value[j])^2 over one
// super-block. x: [256] finite values; w: [256] weights >= 0. The result
// never does worse than the all-zero code (d = 0) under these weights.
Iq1Code iq1_optimize(const float* x, const float* w, const Iq1Shape& shape);

}  // namespace ql::quant
