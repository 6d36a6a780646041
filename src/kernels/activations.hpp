// Activation quantizers as the peer's x86 CPU backend runs them (AVX2 /
// AVX-512 build). These differ from ggml's reference quantizers in two ways
// that change bytes: the multiplier is 127/amax (not 1/(amax/127)), and
// halves round to even (not away from zero). Matching them bit for bit keeps
// quantized-model logits on the peer's trajectory.
//
// Q8_K activations need no variant: the peer's x86 from_float for Q8_K is
// the reference one, and its repacked 4-row quantizer (used for Q4_K and
// Q2_K weights) gives the same bytes except when +amax and -amax both occur
// in one super-block (then it takes the positive one; the reference takes
// the first). We follow the reference.
#pragma once

#include <cstdint>

namespace ql::kernels::act {

// x [n] -> n/32 Q8_0 blocks [d:fp16][qs:32 int8]; n a multiple of 32.
void quantize_q8_0_x86(const float* x, void* dst, int64_t n);

// x [n] -> n/32 Q8_1 blocks [d:fp16][s:fp16][qs:32 int8], s = d * sum(qs).
void quantize_q8_1_x86(const float* x, void* dst, int64_t n);

// The same bytes with AVX-512 (activations_avx512.cpp; only where
// cpu_features().avx512_kernels()), and Q8_K's reference bytes likewise.
void quantize_q8_0_x86_avx512(const float* x, void* dst, int64_t n);
void quantize_q8_1_x86_avx512(const float* x, void* dst, int64_t n);
void quantize_q8_k_avx512(const float* x, void* dst, int64_t n);

}  // namespace ql::kernels::act
