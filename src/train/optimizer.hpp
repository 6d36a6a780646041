// AdamW with a linear warm-up and a cosine decay of the learning rate, and
// clipping of the gradient's global L2 norm. Weight decay applies to the
// tensors marked for it (matrices), decoupled from the gradient step.
#pragma once

#include <cstdint>
#include <vector>

#include "train/params.hpp"
#include "train/presets.hpp"

namespace ql::train {

struct AdamState {
    std::vector<float> m, v;  // [n_params] first and second moments
    int64_t t = 0;            // updates done
};

// Learning rate of step `step` (0-based) of `total` steps.
float learning_rate(const Preset& p, int64_t step, int64_t total);

// Global L2 norm (summed in double, in a fixed order).
double global_norm(const std::vector<float>& g, int n_threads);

// Scales g so that its norm is at most max_norm; returns the norm before.
double clip_gradient(std::vector<float>& g, float max_norm, int n_threads);

void adamw_update(std::vector<float>& params, const std::vector<float>& grads, AdamState& s,
                  const ParamLayout& layout, float lr, float weight_decay, int n_threads);

}  // namespace ql::train
