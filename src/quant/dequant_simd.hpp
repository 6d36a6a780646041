// Run-time choice between the scalar reference dequantizers (registry) and
// SIMD versions. SIMD versions must be bit-identical to the reference: they
// perform the same float operations in the same order (no fused multiply-add).
#pragma once

#include "quant/types.hpp"

namespace ql::quant {

// The fastest dequantizer for `type` on this CPU (the reference if none).
DequantizeFn best_dequantize(TypeId type);

// The AVX-512 version, or nullptr if there is none (regardless of the CPU).
DequantizeFn avx512_dequantize(TypeId type);

}  // namespace ql::quant
