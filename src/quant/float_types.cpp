// Plain (unblocked) tensor types: floats and integers.
#include <cstring>

#include "quant/formats.hpp"
#include "quant/half.hpp"

namespace ql::quant {

namespace {
template <typename T>
void ints_to_f32(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, p + i * sizeof(T), sizeof(T));
        dst[i] = static_cast<float>(v);
    }
}

template <typename T>
size_t f32_to_ints(const float* src, void* dst, int64_t n_rows, int64_t n_per_row, const float*) {
    auto* p = static_cast<uint8_t*>(dst);
    const int64_t n = n_rows * n_per_row;
    for (int64_t i = 0; i < n; ++i) {
        T v = static_cast<T>(src[i]);
        std::memcpy(p + i * sizeof(T), &v, sizeof(T));
    }
    return static_cast<size_t>(n) * sizeof(T);
}
}  // namespace

void dequantize_f32(const void* src, float* dst, int64_t n) {
    std::memcpy(dst, src, static_cast<size_t>(n) * 4);
}
size_t quantize_f32(const float* src, void* dst, int64_t n_rows, int64_t n_per_row, const float*) {
    const size_t bytes = static_cast<size_t>(n_rows * n_per_row) * 4;
    std::memcpy(dst, src, bytes);
    return bytes;
}

void dequantize_f16(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(load_u16(p + 2 * i));
}
size_t quantize_f16(const float* src, void* dst, int64_t n_rows, int64_t n_per_row, const float*) {
    auto* p = static_cast<uint8_t*>(dst);
    const int64_t n = n_rows * n_per_row;
    for (int64_t i = 0; i < n; ++i) store_u16(p + 2 * i, f32_to_fp16(src[i]));
    return static_cast<size_t>(n) * 2;
}

void dequantize_bf16(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(load_u16(p + 2 * i));
}
size_t quantize_bf16(const float* src, void* dst, int64_t n_rows, int64_t n_per_row, const float*) {
    auto* p = static_cast<uint8_t*>(dst);
    const int64_t n = n_rows * n_per_row;
    for (int64_t i = 0; i < n; ++i) store_u16(p + 2 * i, f32_to_bf16(src[i]));
    return static_cast<size_t>(n) * 2;
}

void dequantize_f64(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        dst[i] = static_cast<float>(v);
    }
}
size_t quantize_f64(const float* src, void* dst, int64_t n_rows, int64_t n_per_row, const float*) {
    auto* p = static_cast<uint8_t*>(dst);
    const int64_t n = n_rows * n_per_row;
    for (int64_t i = 0; i < n; ++i) {
        double v = src[i];
        std::memcpy(p + 8 * i, &v, 8);
    }
    return static_cast<size_t>(n) * 8;
}

void dequantize_i8(const void* s, float* d, int64_t n) {
    ints_to_f32<int8_t>(s, d, n);
}
void dequantize_i16(const void* s, float* d, int64_t n) {
    ints_to_f32<int16_t>(s, d, n);
}
void dequantize_i32(const void* s, float* d, int64_t n) {
    ints_to_f32<int32_t>(s, d, n);
}
void dequantize_i64(const void* s, float* d, int64_t n) {
    ints_to_f32<int64_t>(s, d, n);
}
size_t quantize_i8(const float* s, void* d, int64_t r, int64_t c, const float* w) {
    return f32_to_ints<int8_t>(s, d, r, c, w);
}
size_t quantize_i16(const float* s, void* d, int64_t r, int64_t c, const float* w) {
    return f32_to_ints<int16_t>(s, d, r, c, w);
}
size_t quantize_i32(const float* s, void* d, int64_t r, int64_t c, const float* w) {
    return f32_to_ints<int32_t>(s, d, r, c, w);
}
size_t quantize_i64(const float* s, void* d, int64_t r, int64_t c, const float* w) {
    return f32_to_ints<int64_t>(s, d, r, c, w);
}

}  // namespace ql::quant
