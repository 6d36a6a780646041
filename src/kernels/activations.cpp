// See activations.hpp. Compiled with -ffp-contract=off like the rest of the
// kernels: every product below is a single rounded float multiply, as in
// the peer's vector code.
#include "kernels/activations.hpp"

#include <algorithm>
#include <cmath>

#include "quant/half.hpp"

namespace ql::kernels::act {

namespace {

constexpr int kBlock = 32;

struct BlockQuants {
    float d = 0.0f;  // the scale as computed in f32 (before fp16 storage)
    int sum = 0;     // sum of the 32 quants
};

// Rounds half to even, like the vector unit's round-to-nearest mode.
int8_t round_half_even_saturated(float v) {
    const float r = std::nearbyint(v);  // default mode: nearest, ties to even
    const float clamped = std::clamp(r, -128.0f, 127.0f);
    return static_cast<int8_t>(clamped);
}

// One 32-value block: x [32] -> q [32]; returns the f32 scale and quant sum.
BlockQuants quantize_block(const float* x, int8_t* q) {
    float amax = 0.0f;
    for (int j = 0; j < kBlock; ++j) amax = std::max(amax, std::fabs(x[j]));
    BlockQuants out;
    out.d = amax / 127.0f;
    const float multiplier = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (int j = 0; j < kBlock; ++j) {
        q[j] = round_half_even_saturated(x[j] * multiplier);
        out.sum += q[j];
    }
    return out;
}

}  // namespace

void quantize_q8_0_x86(const float* x, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);  // n/32 blocks of 34 bytes
    for (int64_t b = 0; b < n / kBlock; ++b, out += 34) {
        int8_t q[kBlock];
        const BlockQuants block = quantize_block(x + b * kBlock, q);
        quant::store_u16(out, quant::f32_to_fp16(block.d));
        std::copy(q, q + kBlock, reinterpret_cast<int8_t*>(out + 2));
    }
}

void quantize_q8_1_x86(const float* x, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);  // n/32 blocks of 36 bytes
    for (int64_t b = 0; b < n / kBlock; ++b, out += 36) {
        int8_t q[kBlock];
        const BlockQuants block = quantize_block(x + b * kBlock, q);
        quant::store_u16(out, quant::f32_to_fp16(block.d));
        const float scaled_sum = block.d * static_cast<float>(block.sum);
        quant::store_u16(out + 2, quant::f32_to_fp16(scaled_sum));
        std::copy(q, q + kBlock, reinterpret_cast<int8_t*>(out + 4));
    }
}

}  // namespace ql::kernels::act
