// The type registry: the one table that knows every ggml tensor type.
// Name, GGUF id, block size, bytes per block and the (de)quantization
// functions live here and nowhere else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ql::quant {

// GGUF / ggml type ids (ggml.h `enum ggml_type`).
enum class TypeId : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
    NVFP4 = 40,
    Q1_0 = 41,
    Q2_0 = 42,
};

// Dequantize `n` values (a multiple of the block size) from `src` to `dst`.
using DequantizeFn = void (*)(const void* src, float* dst, int64_t n);

// Quantize `n_rows` rows of `n_per_row` values (a multiple of the block size)
// from `src` into `dst`; `importance` is null or holds `n_per_row` per-column
// weights (an imatrix row). Returns bytes written. Throws ql::Error on
// non-finite input.
using QuantizeFn = size_t (*)(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                              const float* importance);

struct TypeTraits {
    TypeId id;
    std::string_view name;  // canonical upper-case name, e.g. "Q4_K", "IQ2_XXS"
    int64_t block_size;     // values per block
    int64_t type_size;      // bytes per block
    DequantizeFn dequantize;
    QuantizeFn quantize;
    bool requires_importance;  // ggml refuses to quantize without an imatrix
    bool is_quantized;         // block-quantized (not a plain float/int type)

    double bits_per_weight() const {
        return 8.0 * static_cast<double>(type_size) / static_cast<double>(block_size);
    }
};

// Every type in the registry, in id order.
std::span<const TypeTraits> all_types();

// nullptr when the id is unknown.
const TypeTraits* find_type(uint32_t id);
inline const TypeTraits* find_type(TypeId id) {
    return find_type(static_cast<uint32_t>(id));
}

// Case-insensitive lookup by name ("q4_k", "Q4_K", "iq2_xxs"); nullptr if unknown.
const TypeTraits* find_type(std::string_view name);

// Throws ql::Error naming the id if it is unknown.
const TypeTraits& type_traits(TypeId id);

// Bytes of one row of `n` values, or nullopt if `n` is not a multiple of the
// block size or the product overflows.
std::optional<uint64_t> row_bytes(const TypeTraits& t, uint64_t n);

// Convenience wrappers that check arguments and throw ql::Error.
void dequantize(TypeId type, const void* src, float* dst, int64_t n);
size_t quantize(TypeId type, const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                const float* importance);

}  // namespace ql::quant
