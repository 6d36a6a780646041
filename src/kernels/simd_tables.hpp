// Registration of the SIMD dot products (internal to the kernels layer). Each
// family of formats lives in its own *_avx2.cpp / *_avx512.cpp files and
// fills the slots it implements; kernel_table.cpp builds the tables from
// these, AVX2 first, then AVX-512 on top.
#pragma once

#include "kernels/kernels.hpp"

namespace ql::kernels::simd {

// dot_kquants_avx2.cpp / dot_kquants_avx512.cpp: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
void register_kquants_avx2(KernelTable& table);
void register_kquants_avx512(KernelTable& table);

// dot_legacy_avx2.cpp / dot_legacy_avx512.cpp: F16, BF16, Q8_0, Q4_0, IQ4_NL,
// MXFP4, IQ4_XS.
void register_legacy_avx2(KernelTable& table);
void register_legacy_avx512(KernelTable& table);

// dot_lowbit_avx2.cpp / dot_lowbit_avx512.cpp: TQ1_0, TQ2_0, IQ1_S, IQ1_M,
// IQ2_XXS, IQ2_XS, IQ3_XXS.
void register_lowbit_avx2(KernelTable& table);
void register_lowbit_avx512(KernelTable& table);

}  // namespace ql::kernels::simd
