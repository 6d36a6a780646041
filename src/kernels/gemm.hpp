// The integer GEMM of prompt processing: y [n_tokens, n_out] = x · Wᵀ for
// many tokens at once. Weight rows are decoded to byte levels (levels.hpp)
// sixteen at a time into a panel interleaved four values per row
// ([n_in / 4][16 rows][4]), so one 512-bit VNNI instruction multiplies four
// values of sixteen rows with four values of one token; each panel is decoded
// once and used for every token of the batch. The activations are the same
// int8 rows ggml quantizes (Q8_K / Q8_0), so the integer sums are ggml's;
// only the float summation order differs from the vec_dot kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/matmul.hpp"

namespace ql::kernels {

// Rows of one panel.
inline constexpr int kPanelRows = 16;

// True if this CPU runs the GEMM (AVX-512 VNNI) and `type` has a level decoder.
bool gemm_supported(TypeId type);

// y [n_tokens, n_out] from activation rows already quantized for w.type
// (acts: n_tokens rows of act_bytes, as quantize_activations writes them).
// Requires gemm_supported(w.type).
void gemm_quantized(const MatmulWeights& w, const uint8_t* acts, size_t act_bytes, int64_t n_tokens,
                    float* y, int n_threads);

namespace gemm_detail {

// A decoded panel: levels [n_in / 4][16][4] (u8), scale and offset
// [n_in / group][16] (offset null when the format has none).
struct Panel {
    const uint8_t* levels = nullptr;
    const float* scale = nullptr;
    const float* offset = nullptr;
    int64_t n_in = 0;
    int group = 32;
};

// Tokens per activation tile: the kernel's register block.
inline constexpr int kTileTokens = 8;

// The activations as the kernel reads them, in tiles of 8 tokens (the last
// padded with zeros): int8 values [n_tiles][n_in / 4][8][4] and per group
// [n_tiles][n_groups][8]: the integer start -bias * Σ a, the activation
// scale d, and d * Σ a (for offsets).
struct GemmActs {
    const int8_t* q = nullptr;
    const int32_t* init = nullptr;
    const float* d = nullptr;
    const float* d_sum = nullptr;
    int64_t n_in = 0;
    int64_t n_groups = 0;
};

// Interleaves 16 decoded rows rows [16][n_in] (bytes) into levels
// [n_in / 4][16][4], and their per-group values rows_g [16][n_groups] into
// out_g [n_groups][16] (gemm_avx512.cpp).
void interleave_rows_avx512(const uint8_t* rows, int64_t n_in, uint8_t* levels);
void interleave_groups_avx512(const float* rows_g, int64_t n_groups, float* out_g);

// y[t * y_stride + r] for tokens [0, n_tok) and the panel's rows r < n_rows
// (<= 16): gemm_avx512.cpp.
void panel_times_tokens_avx512(const Panel& p, const GemmActs& a, int64_t n_tok, float* y,
                               int64_t y_stride, int n_rows);

}  // namespace gemm_detail

}  // namespace ql::kernels
