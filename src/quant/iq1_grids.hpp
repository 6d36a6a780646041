// Codebook and constants shared by IQ1_S and IQ1_M (ggml-common.h facts).
#pragma once

#include <array>
#include <cstdint>

namespace ql::quant {

inline constexpr int kIq1GridSize = 2048;    // 11-bit grid index
inline constexpr float kIq1SDelta = 0.125f;  // IQ1S_DELTA: shift added to every grid value
inline constexpr float kIq1MDelta = 0.125f;  // IQ1M_DELTA

// 2048 points of {-1, 0, +1}^8; byte j (little-endian) of an entry is the
// int8 value of coordinate j.
extern const std::array<uint64_t, kIq1GridSize> kIq1Grid;

// Coordinate j (0..7) of grid point `index`, in {-1, 0, +1}.
inline int iq1_grid_value(int index, int j) {
    return static_cast<int8_t>(static_cast<uint8_t>(kIq1Grid[index] >> (8 * j)));
}

}  // namespace ql::quant
