// Quantization search shared by IQ3_XXS and IQ3_S: one 256-value super-block
// with an fp16 scale, a 4-bit scale per 32 values, a codebook point per 4
// values and a sign per value. The formats differ in codebook, in how the
// 4-bit scale multiplies the super scale, and in IQ3_XXS's sign parity.
#pragma once

#include <array>
#include <cstdint>

#include "quant/iq3_lattice.hpp"

namespace ql::quant::iq3 {

constexpr int kSuperBlock = 256;
constexpr int kSubBlock = 32;
constexpr int kSubBlocks = kSuperBlock / kSubBlock;  // 8
constexpr int kGroups = kSuperBlock / 4;             // 64 codebook points
constexpr int kSignBytes = kSuperBlock / 8;          // 32

struct Format {
    const Codebook* book;
    bool even_signs;  // every 8 values hold an even number of negatives
    float (*sub_scale)(float d,
                       int s);  // scale of a 32-value block, as the dequantizer computes it
};

// One super-block's choices, before packing into a format's bytes.
struct Code {
    uint16_t d_bits = 0;                         // fp16 super scale
    std::array<uint8_t, kSubBlocks> scale{};     // 4-bit scale per 32 values
    std::array<uint16_t, kGroups> point{};       // codebook index per 4 values
    std::array<uint8_t, kSignBytes> negative{};  // bit j: value j of the 8 is negative
};

// `x` and `importance` (null or 256 weights) cover one super-block.
Code quantize_super_block(const Format& f, const float* x, const float* importance);

// The values a code stands for, computed exactly as the dequantizers do.
void reconstruct(const Format& f, const Code& c, float* y);  // y [256]

}  // namespace ql::quant::iq3
