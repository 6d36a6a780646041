// Nearest-point search in the IQ3 codebooks. A codebook point is four
// magnitudes, each one of 8 levels; the codebook holds a subset (256 or 512)
// of the 8^4 lattice. For every lattice cell we keep the codebook points
// close to it, so a search rounds each target to its level and scans only
// that short list. Lists are built once, on first use, thread-safely.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ql::quant::iq3 {

constexpr int kLevels = 8;
constexpr int kCells = kLevels * kLevels * kLevels * kLevels;  // 4096 lattice cells

class Codebook {
  public:
    Codebook(const uint32_t* grid, int n_points);

    int size() const { return static_cast<int>(points_.size()); }
    const std::array<float, 4>& point(int i) const { return points_[static_cast<size_t>(i)]; }
    float top_level() const { return level_value_[kLevels - 1]; }
    float bottom_level() const { return level_value_[0]; }

    // Point minimising sum_i w[i] * (t[i] - point[i])^2 over the points near
    // the lattice cell of `t` (targets in codebook units; may be negative).
    int best_point(const float* t, const float* w) const;
    // The same over every point (slower, exact).
    int best_point_exhaustive(const float* t, const float* w) const;

    // Average length of the per-cell candidate lists (for tests and tuning).
    double mean_candidates() const;

  private:
    static constexpr int kLevelTableSize = 64;  // covers magnitudes 0 .. 63

    int level_of(float t) const {
        if (!(t >= 0)) return 0;
        if (t >= kLevelTableSize) return kLevels - 1;
        return level_table_[static_cast<int>(t)];
    }

    struct Candidate {
        std::array<float, 4> value;
        int index;
    };

    std::array<float, kLevels> level_value_{};
    std::array<uint8_t, kLevelTableSize> level_table_{};  // level of floor(magnitude)
    std::vector<std::array<float, 4>> points_;
    std::vector<uint32_t> cell_begin_;  // [kCells + 1] offsets into candidates_
    std::vector<Candidate> candidates_;
};

const Codebook& xxs_codebook();  // IQ3_XXS, 256 points
const Codebook& s_codebook();    // IQ3_S, 512 points

}  // namespace ql::quant::iq3
