// Exact weighted nearest-codeword search for the IQ1 grid.
//
// The codebook is stored as a trie with one level per coordinate and three
// branches (-1, 0, +1) per node. A depth-first walk visits the cheaper branch
// first and abandons a prefix as soon as its cost plus the best possible cost
// of the remaining coordinates cannot beat the best complete point found.
// When the unconstrained per-coordinate rounding is itself a codeword (the
// common case) it is returned at once.
#include "quant/iq1_search.hpp"

#include <array>
#include <mutex>
#include <vector>

#include "quant/iq1_grids.hpp"

namespace ql::quant {

namespace {

constexpr int kDims = 8;
constexpr int kPatterns = 6561;  // 3^8 ternary patterns

struct TrieNode {
    std::array<int32_t, 3> child{-1, -1, -1};  // by value + 1; at depth 8: child[0] = grid index
};

struct Iq1Lookup {
    std::vector<TrieNode> nodes;             // nodes[0] = root
    std::array<int16_t, kPatterns> by_code;  // base-3 pattern code -> grid index or -1
};

// Base-3 code of a pattern, coordinate j weighted 3^j, digit = value + 1.
int pattern_code(const std::array<int, kDims>& values) {
    int code = 0;
    for (int j = kDims - 1; j >= 0; --j) code = code * 3 + (values[j] + 1);
    return code;
}

void build_lookup(Iq1Lookup& lut) {
    lut.by_code.fill(-1);
    lut.nodes.assign(1, TrieNode{});
    for (int index = 0; index < kIq1GridSize; ++index) {
        std::array<int, kDims> values{};
        int node = 0;
        for (int j = 0; j < kDims; ++j) {
            values[j] = iq1_grid_value(index, j);
            int32_t& next = lut.nodes[node].child[values[j] + 1];
            if (next < 0) {
                next = static_cast<int32_t>(lut.nodes.size());
                lut.nodes.push_back(TrieNode{});
            }
            node = lut.nodes[node].child[values[j] + 1];
        }
        lut.nodes[node].child[0] = index;  // leaf
        lut.by_code[pattern_code(values)] = static_cast<int16_t>(index);
    }
}

const Iq1Lookup& lookup() {
    static Iq1Lookup lut;
    static std::once_flag once;
    std::call_once(once, [] { build_lookup(lut); });
    return lut;
}

struct SearchState {
    const Iq1Lookup* lut;
    std::array<std::array<double, 3>, kDims> cost;  // [coordinate][value + 1]
    std::array<std::array<int, 3>, kDims> order;    // branches of a coordinate, cheapest first
    std::array<double, kDims + 1> rest;             // lower bound of coordinates j.. end
    Iq1Match best{-1, 0.0};
};

void descend(SearchState& s, int node, int depth, double prefix) {
    if (depth == kDims) {
        if (s.best.index < 0 || prefix < s.best.cost) {
            s.best.index = s.lut->nodes[node].child[0];
            s.best.cost = prefix;
        }
        return;
    }
    for (int branch : s.order[depth]) {
        const int next = s.lut->nodes[node].child[branch];
        if (next < 0) continue;
        const double c = prefix + s.cost[depth][branch];
        if (s.best.index >= 0 && c + s.rest[depth + 1] >= s.best.cost) continue;
        descend(s, next, depth + 1, c);
    }
}

}  // namespace

Iq1Match iq1_nearest(const double* target, const double* weight) {
    SearchState s;
    s.lut = &lookup();
    std::array<int, kDims> rounded{};
    for (int j = 0; j < kDims; ++j) {
        for (int v = -1; v <= 1; ++v) {
            const double diff = target[j] - v;
            s.cost[j][v + 1] = weight[j] * diff * diff;
        }
        auto& o = s.order[j];
        o = {0, 1, 2};
        // sort the three branches by cost (stable: ties keep value order)
        if (s.cost[j][o[1]] < s.cost[j][o[0]]) std::swap(o[0], o[1]);
        if (s.cost[j][o[2]] < s.cost[j][o[1]]) std::swap(o[1], o[2]);
        if (s.cost[j][o[1]] < s.cost[j][o[0]]) std::swap(o[0], o[1]);
        rounded[j] = o[0] - 1;
    }
    s.rest[kDims] = 0.0;
    for (int j = kDims - 1; j >= 0; --j) s.rest[j] = s.rest[j + 1] + s.cost[j][s.order[j][0]];
    const int direct = s.lut->by_code[pattern_code(rounded)];
    if (direct >= 0) return Iq1Match{direct, s.rest[0]};
    descend(s, 0, 0, 0.0);
    return s.best;
}

}  // namespace ql::quant
