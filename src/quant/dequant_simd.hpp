// Run-time choice between the scalar reference dequantizers (registry) and
// SIMD versions. SIMD versions must be bit-identical to the reference: they
// perform the same float operations in the same order (no fused multiply-add).
#pragma once

#include "quant/types.hpp"

namespace ql::quant {

// The fastest dequantizer for `type` on this CPU: AVX-512, then AVX2, then the
// registry's reference. Honours the QL_CPU cap of cpu_features().
DequantizeFn best_dequantize(TypeId type);

// The AVX-512 version, or nullptr if there is none (regardless of the CPU).
DequantizeFn avx512_dequantize(TypeId type);

// The AVX2 (+FMA, F16C) version, or nullptr if there is none (regardless of the CPU).
DequantizeFn avx2_dequantize(TypeId type);

namespace detail {
// Per-file parts of avx512_dequantize / avx2_dequantize (dequant_avx512_*_avx512.cpp,
// dequant_avx2_*_avx2.cpp: a name must end in _avx512.cpp / _avx2.cpp for
// cmake/layers.cmake to add the -m flags); nullptr if none.
DequantizeFn avx512_dequantize_kquants(TypeId type);
DequantizeFn avx512_dequantize_codebooks(TypeId type);
DequantizeFn avx2_dequantize_codebooks(TypeId type);
}  // namespace detail

}  // namespace ql::quant
