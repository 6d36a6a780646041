// Nearest-codeword search in the IQ1 lattice (2048 points of {-1,0,+1}^8):
// an exact weighted search by branch and bound over a ternary trie of the
// codebook, built lazily and thread-safely on first use.
#pragma once

#include <cstdint>

namespace ql::quant {

struct Iq1Match {
    int index = 0;      // grid index 0..2047
    double cost = 0.0;  // sum_j w[j] * (t[j] - grid[index][j])^2
};

// The grid point closest to `target` (8 values, in grid units) under the
// per-coordinate weights `weight` (8 values, >= 0). Exact; ties resolve to the
// first point found, deterministically.
Iq1Match iq1_nearest(const double* target, const double* weight);

}  // namespace ql::quant
