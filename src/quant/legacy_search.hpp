// Scale searches shared by the single-scale formats (legacy Q4_0..Q8_1, Q1_0,
// Q2_0, TQ1_0, TQ2_0). Every search minimises the weighted squared error
// sum_i w_i (x_i - y_i)^2 of one block, where y_i is what the dequantizer will
// produce from the stored fp16 scale(s) and integer codes. Sums are kept in
// double so that inputs near FLT_MAX cannot overflow them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ql::quant {

// Largest finite fp16 value: stored scales are clamped to it.
inline constexpr double kHalfMax = 65504.0;

// fp16 code of `v`, clamped to the finite fp16 range.
uint16_t half_clamped(double v);

// Per-value weights of one block: the importance slice when given (falling
// back to uniform weights if it is all zero), otherwise uniform weights.
// w: [n]
void block_weights(const float* importance, int n, float* w);

// Sum of w_i x_i^2 over the block: the error of writing zeros.
double zero_error(const float* x, const float* w, int n);

// A symmetric-scale block: y_i = d * q_i with q_i in [qlo, qhi].
struct ScaledCodes {
    uint16_t d_half = 0;  // fp16 scale as stored
    double error = 0;     // weighted squared error of the stored block
};

// One step of the scale sweep: as 1/|d| grows past inv_scale, one value's code
// moves one step away from zero.
struct ScaleEvent {
    double inv_scale;
    double dot_gain;   // change of sum w |x| |q|
    double norm_gain;  // change of sum w q^2
};

// Least-squares optimum of the scale (either sign) for the integer grid
// [qlo, qhi] (qlo <= 0 <= qhi) with nearest-code assignment, before fp16
// rounding. Exact: every inverse scale at which some code changes is visited
// in order while the sums sum w x q and sum w q^2 are updated, and the
// assignment maximising (sum w x q)^2 / sum w q^2 wins. The error of a block
// is sum w x^2 minus that ratio. `events` is scratch space reused between calls.
double optimal_signed_scale(const float* x, const float* w, int n, int qlo, int qhi,
                            std::vector<ScaleEvent>& events);

// Rounds the scale `d` to fp16 (trying the neighbouring fp16 codes and one
// least-squares refit), assigns every value its nearest code for the stored
// scale and keeps the best. q: [n], codes in [qlo, qhi].
ScaledCodes finish_symmetric(const float* x, const float* w, int n, int qlo, int qhi, double d,
                             int* q);

// Search for a symmetric block: optimal_signed_scale (grids of up to 15
// steps) or a cheaper fan of scales (larger grids), then finish_symmetric.
ScaledCodes quantize_symmetric(const float* x, const float* w, int n, int qlo, int qhi, int* q,
                               std::vector<ScaleEvent>& events);

// An affine block: y_i = d * q_i + m with q_i in [0, qmax].
struct AffineCodes {
    uint16_t d_half = 0;
    uint16_t m_half = 0;
    double error = 0;
};

// Searches scale and offset (many starting scales, alternating code
// assignment and least-squares refits, then fp16-aware rounding).
// q: [n], codes in [0, qmax].
AffineCodes quantize_affine(const float* x, const float* w, int n, int qmax, int* q);

// Calls fn(row_values, block_weights, block_index_in_row, out_block) for every
// block of every row; returns bytes written. The weights buffer holds
// `block_size` entries.
template <typename BlockFn>
size_t for_each_block(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance, int block_size, int type_size, BlockFn&& fn) {
    std::vector<float> w(static_cast<size_t>(block_size));
    auto* out = static_cast<uint8_t*>(dst);
    const int64_t blocks_per_row = n_per_row / block_size;
    for (int64_t r = 0; r < n_rows; ++r) {
        for (int64_t b = 0; b < blocks_per_row; ++b) {
            const float* x = src + r * n_per_row + b * block_size;
            block_weights(importance ? importance + b * block_size : nullptr, block_size, w.data());
            fn(x, w.data(), out);
            out += type_size;
        }
    }
    return static_cast<size_t>(n_rows * blocks_per_row * type_size);
}

}  // namespace ql::quant
