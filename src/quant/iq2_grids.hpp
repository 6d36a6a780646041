// The IQ2 codebooks (facts of the ggml formats, generated into iq2_grids.cpp
// by iq2_grids_gen.py). Each grid entry packs 8 magnitudes, one per byte, each
// one of kLevels; byte j is value j of the group of 8.
#pragma once

#include <cstdint>

namespace ql::quant::iq2 {

// The three magnitudes every IQ2 grid byte takes.
inline constexpr uint8_t kLevels[3] = {8, 25, 43};

extern const uint64_t kIq2xxsGrid[256];  // IQ2_XXS: 8-bit index
extern const uint64_t kIq2xsGrid[512];   // IQ2_XS: 9-bit index
extern const uint64_t kIq2sGrid[1024];   // IQ2_S: 10-bit index

// 7 stored sign bits -> 8 sign bits; bit 7 makes the count of set bits even.
extern const uint8_t kSignsEvenParity[128];

// Magnitude j (0..7) of a grid entry.
inline uint8_t grid_byte(uint64_t entry, int j) {
    return static_cast<uint8_t>(entry >> (8 * j));
}

}  // namespace ql::quant::iq2
