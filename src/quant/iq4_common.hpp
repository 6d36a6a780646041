// Shared pieces of the IQ4 formats: the non-linear level table, weights and
// the per-block scale search (see iq4_common.cpp).
#pragma once

#include <array>
#include <cstdint>

namespace ql::quant {

constexpr int kIq4Block = 32;     // values per scale
constexpr int kSuperBlock = 256;  // values per IQ4_XS super-block

// The 16 levels a 4-bit code selects (ggml's kvalues_iq4nl: a fact of the format).
constexpr std::array<int8_t, 16> kIq4Levels = {-127, -104, -83, -65, -49, -35, -22, -10,
                                               1,    13,   25,  38,  53,  69,  89,  113};

// Index of the level nearest to `v` (in level units).
int nearest_iq4_level(double v);

// Search weights of `n` values: the importance when given, otherwise (or if it
// is all zero there) uniform, which minimises the plain squared error.
void iq4_weights(const float* importance, int n, double* w);

// Codes of 32 values for the stored scale `d` (nearest level of x / d).
void assign_codes(const float* x, float d, uint8_t* codes);  // x [32] -> codes [32]

// Weighted squared error of 32 values coded with the stored scale `d`,
// reconstructing exactly as dequantization does (float d * level).
double weighted_error(const float* x, const double* w, float d);

enum class ScaleStorage { kExact, kFp16 };

struct ScaleFit {
    double scale = 0;  // 0: the block is best written as zeros
    double err = 0;    // weighted squared error at that scale
};

// Best scale of one 32-value block: 22 starting scales, each refined by one
// least-squares fit to its codes; judged after rounding the scale as it will
// be stored.
ScaleFit search_block_scale(const float* x, const double* w, ScaleStorage storage);

// fp16 bits of `d`, clamped to the largest finite half so it never becomes Inf.
uint16_t f32_to_fp16_clamped(float d);

}  // namespace ql::quant
