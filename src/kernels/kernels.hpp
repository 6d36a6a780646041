// Dot products and matrix products per tensor type (issue 3). The scalar
// reference computes exactly what ggml's generic CPU code computes: weights
// stay in their block format, activations are quantized to the format ggml
// pairs with the weight type (its "vec_dot type"), integer sums are formed
// per sub-block and the float scales applied in ggml's order.
//
// Faster variants plug in through KernelTable: function pointers per weight
// type, chosen once at start-up (simd_tables.hpp); callers never test CPU
// features themselves.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "quant/types.hpp"

namespace ql::kernels {

using quant::TypeId;

// The activation format ggml's CPU backend pairs with `weight`, or nullopt
// if `weight` cannot be the weight of a matrix product (I8, Q8_K, ...).
std::optional<TypeId> activation_type(TypeId weight);

inline bool is_weight_type(TypeId weight) {
    return activation_type(weight).has_value();
}

// Bytes of one activation row of `n` values for weights of type `weight`.
// Throws ql::Error if `weight` is not a weight type or `n` does not fit.
size_t activation_row_bytes(TypeId weight, int64_t n);

// Quantizes one row x [n] into the activation format of `weight`
// (dst: activation_row_bytes(weight, n) bytes).
void quantize_activations(TypeId weight, const float* x, void* dst, int64_t n);

// Dot product of one weight row [n] with one quantized activation row
// (activation_type(wtype)); `n` is a multiple of both block sizes.
using VecDotFn = float (*)(int64_t n, const void* w_row, const void* act_row);

// Dot products of one weight row [n] with n_act (1..kMaxActs) quantized
// activation rows act_stride bytes apart: out[j] = dot(w_row, act_j). SIMD
// versions decode each weight block once for all the rows (prompt processing).
using VecDotMultiFn = void (*)(int64_t n, const void* w_row, const void* acts, size_t act_stride,
                               int n_act, float* out);
inline constexpr int kMaxActs = 4;

// One vec_dot (and optionally one vec_dot_multi) per weight type, indexed by
// the GGUF id, plus a name for logs.
struct KernelTable {
    static constexpr size_t kSlots = 64;
    std::array<VecDotFn, kSlots> vec_dot{};
    std::array<VecDotMultiFn, kSlots> vec_dot_multi{};  // empty: loop over vec_dot
    const char* name = "";
    // Batches of many tokens go through the integer GEMM (gemm.hpp) where it
    // has the weight type: set on the AVX-512 table.
    bool gemm = false;

    VecDotFn find(TypeId t) const {
        const auto i = static_cast<size_t>(t);
        return i < kSlots ? vec_dot[i] : nullptr;
    }
    VecDotMultiFn find_multi(TypeId t) const {
        const auto i = static_cast<size_t>(t);
        return i < kSlots ? vec_dot_multi[i] : nullptr;
    }
    void set(TypeId t, VecDotFn dot, VecDotMultiFn multi = nullptr) {
        vec_dot[static_cast<size_t>(t)] = dot;
        vec_dot_multi[static_cast<size_t>(t)] = multi;
    }
};

// The scalar reference: every weight type has an entry.
const KernelTable& scalar_kernels();

// The table chosen for this CPU: AVX-512 where util/cpu.hpp reports all the
// subsets our avx512 kernels need, else AVX2, else the scalar reference.
// Every slot is filled: a SIMD table takes the scalar entry where it has none
// (and the AVX-512 table the AVX2 entry before that).
const KernelTable& active_kernels();

enum class SimdLevel { Avx2, Avx512 };

// The table of one SIMD level, or nullptr if this CPU cannot run it (tests
// compare every level the machine has against the scalar reference).
const KernelTable* simd_kernels(SimdLevel level);

// Scalar reference dot product; throws ql::Error for a non-weight type or a
// bad length.
float vec_dot(TypeId wtype, int64_t n, const void* w_row, const void* act_row);

// High-precision mode: the weight row dequantized to f32 (bit-exact with
// ggml) dotted with f32 activations, accumulated in double.
// scratch: n floats.
double vec_dot_float(TypeId wtype, int64_t n, const void* w_row, const float* x, float* scratch);

}  // namespace ql::kernels
