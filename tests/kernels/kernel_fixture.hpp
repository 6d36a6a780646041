// Shared helpers of the kernel tests: random weight matrices in any format,
// and a double-precision reference for the quantized dot product.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "quant/half.hpp"
#include "quant/types.hpp"

namespace ql::test {

using quant::TypeId;

// Every registry type that can be a weight, in registry order.
inline std::vector<TypeId> weight_types() {
    std::vector<TypeId> out;
    for (const auto& t : quant::all_types())
        if (kernels::is_weight_type(t.id)) out.push_back(t.id);
    return out;
}

inline std::string type_name(TypeId t) {
    return std::string(quant::type_traits(t).name);
}

// [rows, cols] gaussian values; row r is scaled by 10^(-(r % 4)) so blocks
// see different magnitudes; a few outliers.
inline std::vector<float> random_matrix(int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const float scale = std::pow(10.0f, -static_cast<float>(r % 4));
        for (int64_t c = 0; c < cols; ++c) {
            float x = gauss(rng) * scale;
            if (rng() % 97 == 0) x *= 6.0f;
            v[static_cast<size_t>(r * cols + c)] = x;
        }
    }
    return v;
}

// The weights quantized to `type` ([rows] rows of row_bytes).
inline std::vector<uint8_t> quantize_matrix(TypeId type, const std::vector<float>& x, int64_t rows,
                                            int64_t cols) {
    const auto& t = quant::type_traits(type);
    std::vector<float> importance(static_cast<size_t>(cols));
    for (int64_t c = 0; c < cols; ++c) importance[c] = 1.0f + static_cast<float>(c % 7);
    std::vector<uint8_t> q(*quant::row_bytes(t, static_cast<uint64_t>(cols)) * rows);
    quant::quantize(type, x.data(), q.data(), rows, cols,
                    t.requires_importance ? importance.data() : nullptr);
    return q;
}

struct DotReference {
    double value = 0;      // Σ w_i a_i with both sides dequantized, in double
    double magnitude = 0;  // Σ |w_i a_i|: the scale of the rounding error
};

// What ggml's integer-sum scheme computes exactly, in double: the dot of the
// dequantized weight row and the dequantized activation row. For Q8_1
// activations the weight's offset multiplies the stored (fp16-rounded) block
// sum s instead of the exact sum of the dequantized activations.
inline DotReference reference_dot(TypeId wtype, int64_t n, const void* w_row, const void* act_row) {
    const TypeId atype = *kernels::activation_type(wtype);
    std::vector<float> w(static_cast<size_t>(n)), a(static_cast<size_t>(n));
    quant::dequantize(wtype, w_row, w.data(), n);
    quant::dequantize(atype, act_row, a.data(), n);
    DotReference r;
    for (int64_t i = 0; i < n; ++i) {
        r.value += static_cast<double>(w[i]) * a[i];
        r.magnitude += std::fabs(static_cast<double>(w[i]) * a[i]);
    }
    if (atype ==
        TypeId::Q8_1) {  // weight block: [d:2][m:2]...; activation block: [d:2][s:2][qs:32]
        const int64_t wbytes = quant::type_traits(wtype).type_size;
        const auto* wb = static_cast<const uint8_t*>(w_row);
        const auto* ab = static_cast<const uint8_t*>(act_row);
        for (int64_t b = 0; b < n / 32; ++b) {
            const double m = quant::fp16_to_f32(quant::load_u16(wb + b * wbytes + 2));
            const double s = quant::fp16_to_f32(quant::load_u16(ab + b * 36 + 2));
            double exact = 0;
            for (int j = 0; j < 32; ++j) exact += a[static_cast<size_t>(32 * b + j)];
            r.value += m * (s - exact);
            r.magnitude += std::fabs(m * s);
        }
    }
    return r;
}

}  // namespace ql::test
