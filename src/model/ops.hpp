// Row-wise operations of the forward pass (RMS norm, rotary embedding,
// activations). Rounding follows ggml's CPU reference where it matters:
// sums of squares in double, scaling in float.
#pragma once

#include <cstdint>

#include "model/hparams.hpp"

namespace ql::model {

// y [n] = x [n] / rms(x) * weight [n]; y may alias x.
void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps);

// RoPE in two steps, the angles of a position computed once for all its heads
// and layers. rope_cos_sin: cos_sin [n_rot / 2, 2] (cosine, sine, magnitude
// applied) for position `pos`; freq_factors is null or [n_rot/2]: pair i's
// angle is divided by freq_factors[i] (the rope_freqs tensor of Llama 3.1).
// Linear or YaRN scaling and the magnitude factor come from hp
// (rope_freq_scale, rope_ext_factor, rope_mscale).
void rope_cos_sin(int64_t pos, const HParams& hp, const float* freq_factors, float* cos_sin);
// Rotates the first hp.n_rot dimensions of one head [head_dim] in place by
// those angles; the remaining dimensions are left alone.
void apply_rope_table(float* head, const float* cos_sin, const HParams& hp);

// gate [n] = silu(gate) * up.
void swiglu(float* gate, const float* up, int64_t n);

// In place: exp(x - max) / sum, summed in double.
void softmax(float* x, int64_t n);

// x [n] += bias [n].
void add_bias(float* x, const float* bias, int64_t n);

}  // namespace ql::model
