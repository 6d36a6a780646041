// Legacy 32-value formats: one fp16 scale per block (Q4_0, Q5_0, Q8_0), or a
// scale and an offset (Q4_1, Q5_1), or a scale and d * sum(q) (Q8_1).
//
// Byte layouts (ggml-common.h):
//   Q4_0 [d:2][qs:16]           y = (nibble - 8) * d
//   Q4_1 [d:2][m:2][qs:16]      y = nibble * d + m
//   Q5_0 [d:2][qh:4][qs:16]     y = (nibble | bit5 << 4) - 16) * d
//   Q5_1 [d:2][m:2][qh:4][qs:16]
//   Q8_0 [d:2][qs:32 int8]      y = q * d
//   Q8_1 [d:2][s:2][qs:32 int8] s = d * sum(q)
// Value j of a block sits in the low nibble of qs[j] for j < 16 and in the
// high nibble of qs[j - 16] otherwise; its fifth bit is bit j of qh.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "quant/formats.hpp"
#include "quant/half.hpp"
#include "quant/legacy_search.hpp"

namespace ql::quant {

namespace {

constexpr int kBlock = 32;

// codes: [32] unsigned codes (< 16, or < 32 when qh is given).
void pack_nibbles(const int* codes, uint8_t* qs, uint8_t* qh) {
    uint32_t high_bits = 0;
    for (int j = 0; j < kBlock / 2; ++j) {
        const int lo = codes[j], hi = codes[j + kBlock / 2];
        qs[j] = static_cast<uint8_t>((lo & 0x0f) | ((hi & 0x0f) << 4));
        high_bits |= static_cast<uint32_t>((lo >> 4) & 1) << j;
        high_bits |= static_cast<uint32_t>((hi >> 4) & 1) << (j + kBlock / 2);
    }
    if (qh)
        for (int b = 0; b < 4; ++b) qh[b] = static_cast<uint8_t>(high_bits >> (8 * b));
}

// Unsigned code of value j (0..31) from the nibbles and optional fifth bits.
inline int unpack_code(const uint8_t* qs, uint32_t high_bits, int j) {
    const int nibble = j < kBlock / 2 ? (qs[j] & 0x0f) : (qs[j - kBlock / 2] >> 4);
    return nibble | static_cast<int>(((high_bits >> j) & 1u) << 4);
}

// Symmetric 4/5-bit block: codes in [-half, half - 1] stored with +half.
void quantize_symmetric_block(const float* x, const float* w, int bits, uint8_t* out,
                              std::vector<ScaleEvent>& events) {
    const int half = 1 << (bits - 1);
    std::array<int, kBlock> q{};
    const ScaledCodes r = quantize_symmetric(x, w, kBlock, -half, half - 1, q.data(), events);
    for (int& c : q) c += half;
    store_u16(out, r.d_half);
    if (bits == 5) {
        pack_nibbles(q.data(), out + 6, out + 2);
    } else {
        pack_nibbles(q.data(), out + 2, nullptr);
    }
}

void quantize_affine_block(const float* x, const float* w, int bits, uint8_t* out) {
    std::array<int, kBlock> q{};
    const AffineCodes r = quantize_affine(x, w, kBlock, (1 << bits) - 1, q.data());
    store_u16(out, r.d_half);
    store_u16(out + 2, r.m_half);
    if (bits == 5) {
        pack_nibbles(q.data(), out + 8, out + 4);
    } else {
        pack_nibbles(q.data(), out + 4, nullptr);
    }
}

// Dequantizes n values of a 4/5-bit format. header = bytes before qh/qs.
template <bool kHasMin, int kBits>
void dequantize_nibbles(const void* src, float* dst, int64_t n) {
    constexpr int header = kHasMin ? 4 : 2;
    constexpr int type_size = header + (kBits == 5 ? 4 : 0) + kBlock / 2;
    constexpr int offset = kHasMin ? 0 : (1 << (kBits - 1));
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kBlock; ++b, block += type_size, dst += kBlock) {
        const float d = fp16_to_f32(load_u16(block));
        const float m = kHasMin ? fp16_to_f32(load_u16(block + 2)) : 0.0f;
        const uint32_t high_bits = kBits == 5 ? load_u32(block + header) : 0u;
        const uint8_t* qs = block + header + (kBits == 5 ? 4 : 0);
        for (int j = 0; j < kBlock; ++j) {
            const int code = unpack_code(qs, high_bits, j) - offset;
            if constexpr (kHasMin) {
                dst[j] = static_cast<float>(code) * d + m;
            } else {
                dst[j] = static_cast<float>(code) * d;
            }
        }
    }
}

// --- 8-bit ------------------------------------------------------------------

// Round-to-nearest with d = max|x| / 127 (the activation path; the same
// arithmetic as ggml's reference). Returns the float scale before storage.
float round_to_nearest_q8(const float* x, int8_t* q, uint16_t& d_half) {
    float amax = 0.0f;
    for (int j = 0; j < kBlock; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = std::min(amax / 127.0f, static_cast<float>(kHalfMax));
    d_half = f32_to_fp16(d);
    const float inv = d_half != 0 ? 1.0f / d : 0.0f;
    for (int j = 0; j < kBlock; ++j) {
        const float r = std::round(x[j] * inv);
        q[j] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
    }
    return d_half != 0 ? d : 0.0f;
}

// Weighted search over the 8-bit scale, starting from round-to-nearest.
// Returns the stored scale's fp16 code.
uint16_t search_q8(const float* x, const float* w, int8_t* q) {
    uint16_t rtn_half = 0;
    round_to_nearest_q8(x, q, rtn_half);
    std::array<int, kBlock> codes{};
    for (int j = 0; j < kBlock; ++j) codes[j] = q[j];
    const float rtn_d = fp16_to_f32(rtn_half);
    ScaledCodes best{rtn_half, 0};
    for (int j = 0; j < kBlock; ++j) {
        const double diff = static_cast<double>(x[j]) - static_cast<float>(codes[j]) * rtn_d;
        best.error += w[j] * diff * diff;
    }
    float amax = 0.0f;
    for (int j = 0; j < kBlock; ++j) amax = std::max(amax, std::fabs(x[j]));
    // One weighted refit from the round-to-nearest scale: most of the gain of
    // a wider scale search at a third of its cost.
    std::array<int, kBlock> trial{};
    const ScaledCodes r = finish_symmetric(x, w, kBlock, -127, 127, amax / 127.0, trial.data());
    if (r.error < best.error) {
        best = r;
        codes = trial;
    }
    for (int j = 0; j < kBlock; ++j) q[j] = static_cast<int8_t>(codes[j]);
    return best.d_half;
}

void store_int8(uint8_t* out, const int8_t* q) {
    std::memcpy(out, q, kBlock);
}

void dequantize_q8(const uint8_t* block, int type_size, float* dst, int64_t n) {
    const int header = type_size - kBlock;
    for (int64_t b = 0; b < n / kBlock; ++b, block += type_size, dst += kBlock) {
        const float d = fp16_to_f32(load_u16(block));
        for (int j = 0; j < kBlock; ++j)
            dst[j] = static_cast<float>(static_cast<int8_t>(block[header + j])) * d;
    }
}

}  // namespace

void dequantize_q4_0(const void* src, float* dst, int64_t n) {
    dequantize_nibbles<false, 4>(src, dst, n);
}
size_t quantize_q4_0(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    std::vector<ScaleEvent> events;
    return for_each_block(src, dst, n_rows, n_per_row, importance, kBlock, 18,
                          [&](const float* x, const float* w, uint8_t* out) {
                              quantize_symmetric_block(x, w, 4, out, events);
                          });
}

void dequantize_q4_1(const void* src, float* dst, int64_t n) {
    dequantize_nibbles<true, 4>(src, dst, n);
}
size_t quantize_q4_1(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    return for_each_block(
        src, dst, n_rows, n_per_row, importance, kBlock, 20,
        [&](const float* x, const float* w, uint8_t* out) { quantize_affine_block(x, w, 4, out); });
}

void dequantize_q5_0(const void* src, float* dst, int64_t n) {
    dequantize_nibbles<false, 5>(src, dst, n);
}
size_t quantize_q5_0(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    std::vector<ScaleEvent> events;
    return for_each_block(src, dst, n_rows, n_per_row, importance, kBlock, 22,
                          [&](const float* x, const float* w, uint8_t* out) {
                              quantize_symmetric_block(x, w, 5, out, events);
                          });
}

void dequantize_q5_1(const void* src, float* dst, int64_t n) {
    dequantize_nibbles<true, 5>(src, dst, n);
}
size_t quantize_q5_1(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    return for_each_block(
        src, dst, n_rows, n_per_row, importance, kBlock, 24,
        [&](const float* x, const float* w, uint8_t* out) { quantize_affine_block(x, w, 5, out); });
}

void dequantize_q8_0(const void* src, float* dst, int64_t n) {
    dequantize_q8(static_cast<const uint8_t*>(src), 34, dst, n);
}
size_t quantize_q8_0(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    return for_each_block(src, dst, n_rows, n_per_row, importance, kBlock, 34,
                          [&](const float* x, const float* w, uint8_t* out) {
                              std::array<int8_t, kBlock> q{};
                              uint16_t d_half = 0;
                              if (importance) {
                                  d_half = search_q8(x, w, q.data());
                              } else {
                                  round_to_nearest_q8(x, q.data(), d_half);
                              }
                              store_u16(out, d_half);
                              store_int8(out + 2, q.data());
                          });
}

void dequantize_q8_1(const void* src, float* dst, int64_t n) {
    dequantize_q8(static_cast<const uint8_t*>(src), 36, dst, n);
}
size_t quantize_q8_1(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    return for_each_block(src, dst, n_rows, n_per_row, importance, kBlock, 36,
                          [&](const float* x, const float* w, uint8_t* out) {
                              std::array<int8_t, kBlock> q{};
                              uint16_t d_half = 0;
                              float d = 0.0f;
                              if (importance) {
                                  d_half = search_q8(x, w, q.data());
                                  d = fp16_to_f32(d_half);
                              } else {
                                  d = round_to_nearest_q8(x, q.data(), d_half);
                              }
                              int sum = 0;
                              for (int8_t v : q) sum += v;
                              store_u16(out, d_half);
                              store_u16(out + 2, half_clamped(static_cast<float>(sum) * d));
                              store_int8(out + 4, q.data());
                          });
}

}  // namespace ql::quant
