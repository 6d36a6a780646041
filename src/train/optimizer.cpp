#include "train/optimizer.hpp"

#include <cmath>

#include "util/threads.hpp"

namespace ql::train {

namespace {

constexpr float kBeta1 = 0.9f, kBeta2 = 0.95f, kEps = 1e-8f;
constexpr int64_t kChunk = 1 << 16;  // partial sums per fixed chunk: thread-count independent

}  // namespace

float learning_rate(const Preset& p, int64_t step, int64_t total) {
    if (step < p.warmup) return p.lr * static_cast<float>(step + 1) / static_cast<float>(p.warmup);
    const int64_t span = std::max<int64_t>(1, total - p.warmup);
    const double progress =
        std::min(1.0, static_cast<double>(step - p.warmup) / static_cast<double>(span));
    const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
    const double floor = p.min_lr_ratio;
    return static_cast<float>(p.lr * (floor + (1.0 - floor) * cosine));
}

double global_norm(const std::vector<float>& g, int n_threads) {
    const auto n = static_cast<int64_t>(g.size());
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    std::vector<double> part(static_cast<size_t>(chunks), 0.0);
    parallel_for(chunks, n_threads, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            double s = 0;
            for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i)
                s += static_cast<double>(g[static_cast<size_t>(i)]) * g[static_cast<size_t>(i)];
            part[static_cast<size_t>(c)] = s;
        }
    });
    double total = 0;
    for (double s : part) total += s;
    return std::sqrt(total);
}

double clip_gradient(std::vector<float>& g, float max_norm, int n_threads) {
    const double norm = global_norm(g, n_threads);
    if (max_norm > 0 && norm > max_norm) {
        const auto scale = static_cast<float>(max_norm / norm);
        parallel_for(static_cast<int64_t>(g.size()), n_threads, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; ++i) g[static_cast<size_t>(i)] *= scale;
        });
    }
    return norm;
}

void adamw_update(std::vector<float>& params, const std::vector<float>& grads, AdamState& s,
                  const ParamLayout& layout, float lr, float weight_decay, int n_threads) {
    if (s.m.size() != params.size()) {
        s.m.assign(params.size(), 0.0f);
        s.v.assign(params.size(), 0.0f);
    }
    ++s.t;
    const auto c1 = static_cast<float>(1.0 - std::pow(kBeta1, static_cast<double>(s.t)));
    const auto c2 = static_cast<float>(1.0 - std::pow(kBeta2, static_cast<double>(s.t)));
    for (const ParamTensor& t : layout.tensors) {
        const float decay = t.decay ? lr * weight_decay : 0.0f;
        parallel_for(t.size(), n_threads, [&](int64_t i0, int64_t i1) {
            for (int64_t i = t.offset + i0; i < t.offset + i1; ++i) {
                const auto k = static_cast<size_t>(i);
                const float g = grads[k];
                s.m[k] = kBeta1 * s.m[k] + (1.0f - kBeta1) * g;
                s.v[k] = kBeta2 * s.v[k] + (1.0f - kBeta2) * g * g;
                const float mhat = s.m[k] / c1, vhat = s.v[k] / c2;
                params[k] -= lr * mhat / (std::sqrt(vhat) + kEps) + decay * params[k];
            }
        });
    }
}

}  // namespace ql::train
