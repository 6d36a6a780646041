// The per-type tables: which activation format each weight type is dotted
// with (ggml-cpu.c type_traits_cpu: the facts), and which scalar kernel
// computes it. One row per weight type; nothing else repeats these facts.
#include <algorithm>
#include <vector>

#include "kernels/activations.hpp"
#include "kernels/dot_scalar.hpp"
#include "kernels/kernels.hpp"
#include "kernels/simd_tables.hpp"
#include "kernels/vec_f32.hpp"
#include "util/checked.hpp"
#include "util/cpu.hpp"
#include "util/error.hpp"

namespace ql::kernels {

namespace {

struct WeightKernel {
    TypeId weight;
    TypeId activation;
    VecDotFn scalar;
};

// clang-format off
constexpr WeightKernel kWeightKernels[] = {
    {TypeId::F32,     TypeId::F32,  scalar::dot_f32},
    {TypeId::F16,     TypeId::F16,  scalar::dot_f16},
    {TypeId::BF16,    TypeId::BF16, scalar::dot_bf16},
    {TypeId::Q1_0,    TypeId::Q8_0, scalar::dot_q1_0},
    {TypeId::Q2_0,    TypeId::Q8_0, scalar::dot_q2_0},
    {TypeId::Q4_0,    TypeId::Q8_0, scalar::dot_q4_0},
    {TypeId::Q4_1,    TypeId::Q8_1, scalar::dot_q4_1},
    {TypeId::Q5_0,    TypeId::Q8_0, scalar::dot_q5_0},
    {TypeId::Q5_1,    TypeId::Q8_1, scalar::dot_q5_1},
    {TypeId::Q8_0,    TypeId::Q8_0, scalar::dot_q8_0},
    {TypeId::MXFP4,   TypeId::Q8_0, scalar::dot_mxfp4},
    {TypeId::NVFP4,   TypeId::Q8_0, scalar::dot_nvfp4},
    {TypeId::IQ4_NL,  TypeId::Q8_0, scalar::dot_iq4_nl},
    {TypeId::Q2_K,    TypeId::Q8_K, scalar::dot_q2_k},
    {TypeId::Q3_K,    TypeId::Q8_K, scalar::dot_q3_k},
    {TypeId::Q4_K,    TypeId::Q8_K, scalar::dot_q4_k},
    {TypeId::Q5_K,    TypeId::Q8_K, scalar::dot_q5_k},
    {TypeId::Q6_K,    TypeId::Q8_K, scalar::dot_q6_k},
    {TypeId::TQ1_0,   TypeId::Q8_K, scalar::dot_tq1_0},
    {TypeId::TQ2_0,   TypeId::Q8_K, scalar::dot_tq2_0},
    {TypeId::IQ4_XS,  TypeId::Q8_K, scalar::dot_iq4_xs},
    {TypeId::IQ2_XXS, TypeId::Q8_K, scalar::dot_iq2_xxs},
    {TypeId::IQ2_XS,  TypeId::Q8_K, scalar::dot_iq2_xs},
    {TypeId::IQ2_S,   TypeId::Q8_K, scalar::dot_iq2_s},
    {TypeId::IQ3_XXS, TypeId::Q8_K, scalar::dot_iq3_xxs},
    {TypeId::IQ3_S,   TypeId::Q8_K, scalar::dot_iq3_s},
    {TypeId::IQ1_S,   TypeId::Q8_K, scalar::dot_iq1_s},
    {TypeId::IQ1_M,   TypeId::Q8_K, scalar::dot_iq1_m},
};
// clang-format on

const WeightKernel* find_kernel(TypeId weight) {
    for (const auto& k : kWeightKernels)
        if (k.weight == weight) return &k;
    return nullptr;
}

const WeightKernel& require_kernel(TypeId weight) {
    const WeightKernel* k = find_kernel(weight);
    if (!k) {
        const auto* t = quant::find_type(weight);
        fail("type {} cannot be the weight of a matrix product",
             t ? std::string(t->name) : std::to_string(static_cast<uint32_t>(weight)));
    }
    return *k;
}

KernelTable make_scalar_table() {
    KernelTable table;
    table.name = "scalar";
    for (const auto& k : kWeightKernels) table.vec_dot[static_cast<size_t>(k.weight)] = k.scalar;
    return table;
}

// Both block sizes (weight and activation) must divide n.
void check_length(TypeId weight, TypeId activation, int64_t n) {
    const auto& wt = quant::type_traits(weight);
    const auto& at = quant::type_traits(activation);
    if (n <= 0 || n % wt.block_size != 0 || n % at.block_size != 0)
        fail("{} x {} dot product: length {} is not a multiple of the block sizes {} and {}",
             wt.name, at.name, n, wt.block_size, at.block_size);
}

}  // namespace

std::optional<TypeId> activation_type(TypeId weight) {
    const WeightKernel* k = find_kernel(weight);
    if (!k) return std::nullopt;
    return k->activation;
}

size_t activation_row_bytes(TypeId weight, int64_t n) {
    const WeightKernel& k = require_kernel(weight);
    check_length(weight, k.activation, n);
    const auto bytes = quant::row_bytes(quant::type_traits(k.activation), static_cast<uint64_t>(n));
    if (!bytes) fail("activation row of {} values does not fit", n);
    return static_cast<size_t>(*bytes);
}

void quantize_activations(TypeId weight, const float* x, void* dst, int64_t n) {
    const WeightKernel& k = require_kernel(weight);
    check_length(weight, k.activation, n);
    // Q8_0 / Q8_1 as the peer's x86 backend rounds them; the rest (Q8_K,
    // plain floats) through the reference quantizers of the registry.
    static const bool avx512 = cpu_features().avx512_kernels();  // same bytes, faster
    if (k.activation == TypeId::Q8_0)
        return avx512 ? act::quantize_q8_0_x86_avx512(x, dst, n)
                      : act::quantize_q8_0_x86(x, dst, n);
    if (k.activation == TypeId::Q8_1)
        return avx512 ? act::quantize_q8_1_x86_avx512(x, dst, n)
                      : act::quantize_q8_1_x86(x, dst, n);
    if (k.activation == TypeId::Q8_K && avx512) return act::quantize_q8_k_avx512(x, dst, n);
    quant::quantize(k.activation, x, dst, 1, n, nullptr);
}

const KernelTable& scalar_kernels() {
    static const KernelTable table = make_scalar_table();
    return table;
}

namespace {

// F32 weights with f32 activations: the vec_f32 dot products.
float dot_f32_rows_avx2(int64_t n, const void* w, const void* a) {
    return simd::dot_f32_avx2(static_cast<const float*>(w), static_cast<const float*>(a), n);
}
float dot_f32_rows_avx512(int64_t n, const void* w, const void* a) {
    return simd::dot_f32_avx512(static_cast<const float*>(w), static_cast<const float*>(a), n);
}

// The scalar table with a level's kernels registered on top (AVX2 first, so
// the AVX-512 table falls back to AVX2 where it has no kernel of its own).
KernelTable make_simd_table(SimdLevel level) {
    KernelTable table = scalar_kernels();
    simd::register_legacy_avx2(table);
    simd::register_kquants_avx2(table);
    simd::register_lowbit_avx2(table);
    table.set(TypeId::F32, dot_f32_rows_avx2);
    table.name = "avx2";
    if (level == SimdLevel::Avx512) {
        simd::register_legacy_avx512(table);
        simd::register_kquants_avx512(table);
        simd::register_lowbit_avx512(table);
        table.set(TypeId::F32, dot_f32_rows_avx512);
        table.name = "avx512";
        table.gemm = true;
    }
    return table;
}

}  // namespace

const KernelTable* simd_kernels(SimdLevel level) {
    const CpuFeatures& cpu = cpu_features();
    if (level == SimdLevel::Avx512) {
        if (!cpu.avx512_kernels()) return nullptr;
        static const KernelTable table = make_simd_table(SimdLevel::Avx512);
        return &table;
    }
    if (!cpu.avx2_kernels()) return nullptr;
    static const KernelTable table = make_simd_table(SimdLevel::Avx2);
    return &table;
}

const KernelTable& active_kernels() {
    static const KernelTable* table = [] {
        if (const KernelTable* t = simd_kernels(SimdLevel::Avx512)) return t;
        if (const KernelTable* t = simd_kernels(SimdLevel::Avx2)) return t;
        return &scalar_kernels();
    }();
    return *table;
}

float vec_dot(TypeId wtype, int64_t n, const void* w_row, const void* act_row) {
    const WeightKernel& k = require_kernel(wtype);
    check_length(wtype, k.activation, n);
    return k.scalar(n, w_row, act_row);
}

double vec_dot_float(TypeId wtype, int64_t n, const void* w_row, const float* x, float* scratch) {
    require_kernel(wtype);
    quant::dequantize(wtype, w_row, scratch, n);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(scratch[i]) * x[i];
    return sum;
}

}  // namespace ql::kernels
