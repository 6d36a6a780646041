// Codebooks and sign table of the 3-bit lattice formats IQ3_XXS and IQ3_S
// (ggml-common.h). Each grid entry packs four magnitudes, one per byte,
// first value in the lowest byte.
#pragma once

#include <array>
#include <cstdint>

namespace ql::quant {

extern const std::array<uint32_t, 256> kIq3XxsGrid;  // magnitudes 4, 12, ..., 52, 62
extern const std::array<uint32_t, 512> kIq3SGrid;    // magnitudes 1, 3, ..., 15
extern const std::array<uint8_t, 128> kEvenSigns;    // 7 sign bits -> 8 with even parity

// Magnitude `i` (0..3) of a packed grid entry.
inline int grid_value(uint32_t packed, int i) {
    return static_cast<int>((packed >> (8 * i)) & 0xffu);
}

}  // namespace ql::quant
