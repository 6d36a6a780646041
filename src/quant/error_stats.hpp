// Quantization error of a round trip (quantize then dequantize), per row.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/types.hpp"

namespace ql::quant {

struct RowErrors {
    // Per row: sqrt(sum w (y - x)^2 / sum w x^2), w = 1 (plain) or the importance.
    std::vector<double> relative_rmse;
    double mean() const;
    double worst() const;
};

// Relative RMSE of each row of `reconstructed` against `original`
// ([n_rows, n_cols] each); `weights` null or n_cols per-column weights.
RowErrors relative_row_errors(const float* original, const float* reconstructed, int64_t n_rows,
                              int64_t n_cols, const float* weights);

// Quantize [n_rows, n_cols] to `type` (with `importance` if not null), dequantize,
// and measure against the input; errors weighted by `importance` when
// `weight_errors` is set.
RowErrors round_trip_errors(TypeId type, const float* x, int64_t n_rows, int64_t n_cols,
                            const float* importance, bool weight_errors);

}  // namespace ql::quant
