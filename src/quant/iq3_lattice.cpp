#include "quant/iq3_lattice.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <set>

#include "quant/iq3_grids.hpp"

namespace ql::quant::iq3 {

namespace {

// How much farther than the nearest point (in level spacings) a cell's
// candidate list reaches. A target lies within one spacing of its cell's
// centre, so with equal weights its nearest point is at most two spacings
// farther from the centre than the centre's nearest point.
constexpr float kReachSpacings = 2.0f;

float squared_distance(const std::array<float, 4>& a, const std::array<float, 4>& b) {
    float s = 0;
    for (int i = 0; i < 4; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

}  // namespace

Codebook::Codebook(const uint32_t* grid, int n_points) {
    std::set<int> magnitudes;
    points_.resize(static_cast<size_t>(n_points));
    for (int p = 0; p < n_points; ++p)
        for (int i = 0; i < 4; ++i) {
            const int v = grid_value(grid[p], i);
            magnitudes.insert(v);
            points_[static_cast<size_t>(p)][static_cast<size_t>(i)] = static_cast<float>(v);
        }
    int l = 0;
    for (int v : magnitudes)
        level_value_[static_cast<size_t>(std::min(l++, kLevels - 1))] = float(v);
    // Every half-way point between levels is a whole number in both
    // codebooks, so the level of t depends only on floor(t).
    for (int k = 0; k < kLevelTableSize; ++k) {
        int level = 0;
        while (level < kLevels - 1 && 2.0f * k >= level_value_[level] + level_value_[level + 1])
            ++level;
        level_table_[k] = static_cast<uint8_t>(level);
    }
    const float spacing = level_value_[1] - level_value_[0];

    cell_begin_.assign(kCells + 1, 0);
    std::vector<float> dist(static_cast<size_t>(n_points));
    for (int cell = 0; cell < kCells; ++cell) {
        std::array<float, 4> centre;
        for (int i = 0; i < 4; ++i) centre[i] = level_value_[(cell >> (3 * i)) & 7];
        float nearest = std::numeric_limits<float>::max();
        for (int p = 0; p < n_points; ++p) {
            dist[p] = squared_distance(centre, points_[p]);
            nearest = std::min(nearest, dist[p]);
        }
        // A cell that is itself a point needs no list: per-coordinate rounding
        // is optimal for any positive weights.
        const float reach = std::sqrt(nearest) + kReachSpacings * spacing;
        const float limit = nearest == 0 ? 0 : reach * reach;
        for (int p = 0; p < n_points; ++p)
            if (dist[p] <= limit) candidates_.push_back({points_[p], p});
        cell_begin_[cell + 1] = static_cast<uint32_t>(candidates_.size());
    }
}

int Codebook::best_point(const float* t, const float* w) const {
    int cell = 0;
    for (int i = 0; i < 4; ++i) cell |= level_of(t[i]) << (3 * i);
    const Candidate* c = candidates_.data() + cell_begin_[cell];
    const Candidate* end = candidates_.data() + cell_begin_[cell + 1];
    if (end - c == 1) return c->index;
    int best = c->index;
    float best_err = std::numeric_limits<float>::max();
    for (; c != end; ++c) {
        float e = 0;
        for (int i = 0; i < 4; ++i) e += w[i] * (t[i] - c->value[i]) * (t[i] - c->value[i]);
        if (e < best_err) best_err = e, best = c->index;
    }
    return best;
}

int Codebook::best_point_exhaustive(const float* t, const float* w) const {
    int best = 0;
    float best_err = std::numeric_limits<float>::max();
    for (int p = 0; p < size(); ++p) {
        const auto& g = points_[p];
        float e = 0;
        for (int i = 0; i < 4; ++i) e += w[i] * (t[i] - g[i]) * (t[i] - g[i]);
        if (e < best_err) best_err = e, best = p;
    }
    return best;
}

double Codebook::mean_candidates() const {
    return static_cast<double>(candidates_.size()) / kCells;
}

const Codebook& xxs_codebook() {
    static std::once_flag once;
    static std::optional<Codebook> book;
    std::call_once(once, [] { book.emplace(kIq3XxsGrid.data(), 256); });
    return *book;
}

const Codebook& s_codebook() {
    static std::once_flag once;
    static std::optional<Codebook> book;
    std::call_once(once, [] { book.emplace(kIq3SGrid.data(), 512); });
    return *book;
}

}  // namespace ql::quant::iq3
