#include "quant/error_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ql::quant {

double RowErrors::mean() const {
    if (relative_rmse.empty()) return 0;
    double s = 0;
    for (double e : relative_rmse) s += e;
    return s / static_cast<double>(relative_rmse.size());
}

double RowErrors::worst() const {
    return relative_rmse.empty() ? 0
                                 : *std::max_element(relative_rmse.begin(), relative_rmse.end());
}

RowErrors relative_row_errors(const float* original, const float* reconstructed, int64_t n_rows,
                              int64_t n_cols, const float* weights) {
    RowErrors out;
    out.relative_rmse.reserve(n_rows);
    for (int64_t r = 0; r < n_rows; ++r) {
        double num = 0, den = 0;
        for (int64_t c = 0; c < n_cols; ++c) {
            const double w = weights ? weights[c] : 1.0;
            const double x = original[r * n_cols + c];
            const double d = reconstructed[r * n_cols + c] - x;
            num += w * d * d;
            den += w * x * x;
        }
        double rel = 0;
        if (den > 0)
            rel = std::sqrt(num / den);
        else if (num > 0)
            rel = std::numeric_limits<double>::infinity();
        out.relative_rmse.push_back(rel);
    }
    return out;
}

RowErrors round_trip_errors(TypeId type, const float* x, int64_t n_rows, int64_t n_cols,
                            const float* importance, bool weight_errors) {
    const TypeTraits& t = type_traits(type);
    const auto bytes = row_bytes(t, static_cast<uint64_t>(n_cols));
    std::vector<uint8_t> q(static_cast<size_t>(n_rows) * bytes.value_or(0));  // [n_rows, row bytes]
    std::vector<float> y(static_cast<size_t>(n_rows * n_cols));               // [n_rows, n_cols]
    quantize(type, x, q.data(), n_rows, n_cols, importance);
    dequantize(type, q.data(), y.data(), n_rows * n_cols);
    return relative_row_errors(x, y.data(), n_rows, n_cols, weight_errors ? importance : nullptr);
}

}  // namespace ql::quant
