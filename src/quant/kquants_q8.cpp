// Q8_K: the activation format of the k-quant and i-quant dot products.
// Block (292 bytes): float d, int8 qs[256], int16 bsums[16] (sum of each
// 16 consecutive qs). Plain round to nearest with d = -max/127, where max is
// the value of largest magnitude, as ggml does: its sign is kept so that
// max itself becomes -127 and every level fits in [-127, 127].
#include <cmath>
#include <cstring>

#include "quant/formats.hpp"
#include "quant/half.hpp"

namespace ql::quant {

namespace {

constexpr int kBlock = 256;
constexpr int kBlockBytes = 292;
constexpr int kGroup = 16;  // values per bsums entry

// Halves round to even, as ggml's float-adder rounding does. |v| <= 127.5.
int round_to_nearest_even(float v) {
    return static_cast<int>(std::nearbyint(v));
}

void quantize_q8_k_block(const float* x, uint8_t* b) {
    float max = 0, amax = 0;
    for (int i = 0; i < kBlock; ++i) {
        if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), max = x[i];
    }
    int8_t qs[kBlock] = {};  // [256]
    float d = 0;
    if (amax != 0) {
        const float iscale = -127.f / max;
        if (std::isfinite(iscale)) {
            d = 1 / iscale;
            for (int i = 0; i < kBlock; ++i) {
                const int v = round_to_nearest_even(iscale * x[i]);
                qs[i] = static_cast<int8_t>(v < 127 ? v : 127);
            }
        } else {  // max is so tiny (subnormal) that 127/max overflows: divide instead
            d = max / -127.f;
            for (int i = 0; d != 0 && i < kBlock; ++i) {
                const int v = round_to_nearest_even(x[i] / d);
                qs[i] = static_cast<int8_t>(v < -127 ? -127 : (v > 127 ? 127 : v));
            }
        }
        // Near FLT_MAX, d * 127 may round past the largest float: step d
        // towards zero until every level reconstructs finitely.
        while (!std::isfinite(d * 127.f)) d = std::nextafter(d, 0.0f);
    }
    store_f32(b, d);
    std::memcpy(b + 4, qs, kBlock);
    for (int g = 0; g < kBlock / kGroup; ++g) {
        int sum = 0;
        for (int i = 0; i < kGroup; ++i) sum += qs[g * kGroup + i];
        store_u16(b + 4 + kBlock + 2 * g, static_cast<uint16_t>(static_cast<int16_t>(sum)));
    }
}

}  // namespace

void dequantize_q8_k(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t blk = 0; blk < n / kBlock; ++blk, b += kBlockBytes) {
        const float d = load_f32(b);
        const auto* qs = reinterpret_cast<const int8_t*>(b + 4);
        for (int i = 0; i < kBlock; ++i) dst[blk * kBlock + i] = d * static_cast<float>(qs[i]);
    }
}

size_t quantize_q8_k(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* /*importance: unused, the format has no search*/) {
    auto* out = static_cast<uint8_t*>(dst);
    const int64_t n_blocks = n_rows * (n_per_row / kBlock);
    for (int64_t blk = 0; blk < n_blocks; ++blk) {
        quantize_q8_k_block(src + blk * kBlock, out + blk * kBlockBytes);
    }
    return static_cast<size_t>(n_blocks * kBlockBytes);
}

}  // namespace ql::quant
