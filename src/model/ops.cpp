#include "model/ops.hpp"

#include <algorithm>
#include <cmath>

namespace ql::model {

void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps) {
    double sum_squares = 0.0;
    for (int64_t i = 0; i < n; ++i) sum_squares += static_cast<double>(x[i] * x[i]);
    const float mean = static_cast<float>(sum_squares / static_cast<double>(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * weight[i];
}

namespace {

// The angle of pair `pair` from its unscaled angle: interpolated (linear
// scaling), or with YaRN mixed back towards the unscaled angle for the pairs
// below the ramp (ramp 1 there, 0 above rope_yarn_high).
float scaled_angle(float unscaled, int64_t pair, const HParams& hp) {
    const float interpolated = hp.rope_freq_scale * unscaled;
    if (hp.rope_ext_factor == 0.0f) return interpolated;
    const float width = std::max(0.001f, hp.rope_yarn_high - hp.rope_yarn_low);
    const float y = (static_cast<float>(pair) - hp.rope_yarn_low) / width;
    const float mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * hp.rope_ext_factor;
    return interpolated * (1.0f - mix) + unscaled * mix;
}

}  // namespace

void rope_cos_sin(int64_t pos, const HParams& hp, const float* freq_factors, float* cos_sin) {
    // Pair i turns by pos * base^(-2i/n_rot): the angle is built up by
    // repeated multiplication in float, as ggml does.
    const int64_t half = hp.n_rot / 2;
    const float step = std::pow(hp.rope_base, -2.0f / static_cast<float>(hp.n_rot));
    float unscaled = static_cast<float>(pos);
    for (int64_t i = 0; i < half; ++i) {
        const float factor = freq_factors ? freq_factors[i] : 1.0f;
        const float theta = scaled_angle(unscaled / factor, i, hp);
        unscaled *= step;
        cos_sin[2 * i] = std::cos(theta) * hp.rope_mscale;
        cos_sin[2 * i + 1] = std::sin(theta) * hp.rope_mscale;
    }
}

void apply_rope_table(float* head, const float* cos_sin, const HParams& hp) {
    const int64_t half = hp.n_rot / 2;
    for (int64_t i = 0; i < half; ++i) {
        const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
        // Adjacent pairs (2i, 2i+1) or halves (i, i + n_rot/2).
        const int64_t a = hp.rope_style == RopeStyle::Adjacent ? 2 * i : i;
        const int64_t b = hp.rope_style == RopeStyle::Adjacent ? 2 * i + 1 : i + half;
        const float x0 = head[a];
        const float x1 = head[b];
        head[a] = x0 * c - x1 * s;
        head[b] = x0 * s + x1 * c;
    }
}

void swiglu(float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        gate[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

void softmax(float* x, int64_t n) {
    const float max = *std::max_element(x, x + n);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void add_bias(float* x, const float* bias, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] += bias[i];
}

}  // namespace ql::model
