// Plain float weights. ggml multiplies in float and accumulates each product
// in double, then rounds the sum to float.
#include <cstring>

#include "kernels/dot_scalar.hpp"

namespace ql::kernels::scalar {

namespace {

template <typename ToFloat>
float dot_16bit(int64_t n, const void* w, const void* a, ToFloat to_float) {
    const auto* wb = static_cast<const uint8_t*>(w);  // [n] x 2 bytes
    const auto* ab = static_cast<const uint8_t*>(a);  // [n] x 2 bytes
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float product =
            to_float(quant::load_u16(wb + 2 * i)) * to_float(quant::load_u16(ab + 2 * i));
        sum += static_cast<double>(product);
    }
    return static_cast<float>(sum);
}

}  // namespace

float dot_f32(int64_t n, const void* w, const void* a) {
    const auto* wf = static_cast<const float*>(w);  // [n]
    const auto* af = static_cast<const float*>(a);  // [n]
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(wf[i] * af[i]);
    return static_cast<float>(sum);
}

float dot_f16(int64_t n, const void* w, const void* a) {
    return dot_16bit(n, w, a, quant::fp16_to_f32);
}

float dot_bf16(int64_t n, const void* w, const void* a) {
    return dot_16bit(n, w, a, quant::bf16_to_f32);
}

}  // namespace ql::kernels::scalar
