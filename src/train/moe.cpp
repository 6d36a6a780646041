#include "train/moe.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/vec_f32.hpp"
#include "train/blas.hpp"
#include "train/ops.hpp"
#include "util/threads.hpp"

namespace ql::train {

namespace {

// Router softmax and top-k per row (ties: the lower expert index first).
void route(const MoeShape& s, const float* x, const float* router, MoeCache& c, int n_threads) {
    const int64_t E = s.n_expert, K = s.n_used;
    c.probs.assign(static_cast<size_t>(s.rows * E), 0.0f);
    c.sel.assign(static_cast<size_t>(s.rows * K), 0);
    c.weight.assign(static_cast<size_t>(s.rows * K), 0.0f);
    linear_forward(x, router, c.probs.data(), s.rows, s.n_embd, E);
    parallel_for(s.rows, n_threads, [&](int64_t r0, int64_t r1) {
        std::vector<int32_t> order(static_cast<size_t>(E));
        for (int64_t r = r0; r < r1; ++r) {
            float* p = c.probs.data() + r * E;
            const float mx = *std::max_element(p, p + E);
            double sum = 0;
            for (int64_t e = 0; e < E; ++e) sum += (p[e] = std::exp(p[e] - mx));
            for (int64_t e = 0; e < E; ++e) p[e] = static_cast<float>(p[e] / sum);
            for (int64_t e = 0; e < E; ++e) order[static_cast<size_t>(e)] = static_cast<int32_t>(e);
            std::partial_sort(
                order.begin(), order.begin() + K, order.end(),
                [&](int32_t a, int32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
            float total = 0;
            for (int64_t k = 0; k < K; ++k) total += p[order[static_cast<size_t>(k)]];
            for (int64_t k = 0; k < K; ++k) {
                c.sel[static_cast<size_t>(r * K + k)] = order[static_cast<size_t>(k)];
                c.weight[static_cast<size_t>(r * K + k)] = p[order[static_cast<size_t>(k)]] / total;
            }
        }
    });
}

void assign_slots(const MoeShape& s, MoeCache& c) {
    const int64_t E = s.n_expert, K = s.n_used;
    c.slots.assign(static_cast<size_t>(E), {});
    for (int64_t slot = 0; slot < s.rows * K; ++slot)
        c.slots[static_cast<size_t>(c.sel[static_cast<size_t>(slot)])].push_back(slot);
    c.share.assign(static_cast<size_t>(E), 0.0f);
    double loss = 0;
    for (int64_t e = 0; e < E; ++e) {
        const float f = static_cast<float>(c.slots[static_cast<size_t>(e)].size()) /
                        static_cast<float>(s.rows * K);
        c.share[static_cast<size_t>(e)] = f;
        double mean_p = 0;
        for (int64_t r = 0; r < s.rows; ++r) mean_p += c.probs[static_cast<size_t>(r * E + e)];
        loss += f * mean_p / static_cast<double>(s.rows);
    }
    c.balance_loss = s.balance_alpha * static_cast<double>(E) * loss;
}

}  // namespace

void moe_forward(const MoeShape& s, const float* x, const float* router, const float* gate,
                 const float* up, const float* down, float* out, MoeCache& c, int n_threads) {
    const int64_t d = s.n_embd, ff = s.n_ff, E = s.n_expert, K = s.n_used;
    route(s, x, router, c, n_threads);
    assign_slots(s, c);
    c.x.assign(static_cast<size_t>(E), {});
    c.g = c.u = c.h = c.y = c.x;
    for (int64_t e = 0; e < E; ++e) {
        const auto& slots = c.slots[static_cast<size_t>(e)];
        const auto n = static_cast<int64_t>(slots.size());
        if (n == 0) continue;
        auto& xe = c.x[static_cast<size_t>(e)];
        xe.resize(static_cast<size_t>(n * d));
        for (int64_t i = 0; i < n; ++i)
            std::copy_n(x + (slots[static_cast<size_t>(i)] / K) * d, d, xe.data() + i * d);
        auto &g = c.g[static_cast<size_t>(e)], &u = c.u[static_cast<size_t>(e)],
             &h = c.h[static_cast<size_t>(e)], &y = c.y[static_cast<size_t>(e)];
        g.resize(static_cast<size_t>(n * ff));
        u.resize(g.size());
        h.resize(g.size());
        y.resize(static_cast<size_t>(n * d));
        linear_forward(xe.data(), gate + e * ff * d, g.data(), n, d, ff);
        linear_forward(xe.data(), up + e * ff * d, u.data(), n, d, ff);
        swiglu_forward(g.data(), u.data(), h.data(), n * ff, n_threads);
        linear_forward(h.data(), down + e * d * ff, y.data(), n, ff, d);
        for (int64_t i = 0; i < n; ++i) {
            const int64_t slot = slots[static_cast<size_t>(i)];
            kernels::axpy_f32(out + (slot / K) * d, c.weight[static_cast<size_t>(slot)],
                              y.data() + i * d, d);
        }
    }
}

void moe_backward(const MoeShape& s, const float* x, const float* router, const float* gate,
                  const float* up, const float* down, const MoeCache& c, const float* dout,
                  float* dx, float* drouter, float* dgate, float* dup, float* ddown,
                  int n_threads) {
    const int64_t d = s.n_embd, ff = s.n_ff, E = s.n_expert, K = s.n_used;
    std::fill_n(dx, s.rows * d, 0.0f);
    std::vector<float> dweight(static_cast<size_t>(s.rows * K), 0.0f);  // d loss / d weight
    std::vector<float> dy, dh, dg, du, dxe;
    for (int64_t e = 0; e < E; ++e) {
        const auto& slots = c.slots[static_cast<size_t>(e)];
        const auto n = static_cast<int64_t>(slots.size());
        if (n == 0) continue;
        const auto& y = c.y[static_cast<size_t>(e)];
        dy.assign(static_cast<size_t>(n * d), 0.0f);
        for (int64_t i = 0; i < n; ++i) {
            const int64_t slot = slots[static_cast<size_t>(i)];
            const float* g_out = dout + (slot / K) * d;
            dweight[static_cast<size_t>(slot)] = kernels::dot_f32(g_out, y.data() + i * d, d);
            kernels::axpy_f32(dy.data() + i * d, c.weight[static_cast<size_t>(slot)], g_out, d);
        }
        dh.resize(static_cast<size_t>(n * ff));
        dg.resize(dh.size());
        du.resize(dh.size());
        dxe.resize(static_cast<size_t>(n * d));
        linear_backward(c.h[static_cast<size_t>(e)].data(), down + e * d * ff, dy.data(), dh.data(),
                        ddown + e * d * ff, n, ff, d);
        swiglu_backward(c.g[static_cast<size_t>(e)].data(), c.u[static_cast<size_t>(e)].data(),
                        dh.data(), dg.data(), du.data(), n * ff, n_threads);
        const float* xe = c.x[static_cast<size_t>(e)].data();
        linear_backward(xe, gate + e * ff * d, dg.data(), dxe.data(), dgate + e * ff * d, n, d, ff);
        linear_backward(xe, up + e * ff * d, du.data(), dxe.data(), dup + e * ff * d, n, d, ff,
                        true);
        for (int64_t i = 0; i < n; ++i)
            kernels::axpy_f32(dx + (slots[static_cast<size_t>(i)] / K) * d, 1.0f,
                              dxe.data() + i * d, d);
    }
    // Router: weight_k = p_k / S (S = Σ over the chosen), then the softmax.
    std::vector<float> dlogits(static_cast<size_t>(s.rows * E));
    const float balance = s.balance_alpha * static_cast<float>(E) / static_cast<float>(s.rows);
    parallel_for(s.rows, n_threads, [&](int64_t r0, int64_t r1) {
        std::vector<float> dp(static_cast<size_t>(E));
        for (int64_t r = r0; r < r1; ++r) {
            const float* p = c.probs.data() + r * E;
            for (int64_t e = 0; e < E; ++e)
                dp[static_cast<size_t>(e)] = balance * c.share[static_cast<size_t>(e)];
            float total = 0, mix = 0;
            for (int64_t k = 0; k < K; ++k) {
                total += p[c.sel[static_cast<size_t>(r * K + k)]];
                mix += dweight[static_cast<size_t>(r * K + k)] *
                       c.weight[static_cast<size_t>(r * K + k)];
            }
            for (int64_t k = 0; k < K; ++k)
                dp[static_cast<size_t>(c.sel[static_cast<size_t>(r * K + k)])] +=
                    (dweight[static_cast<size_t>(r * K + k)] - mix) / total;
            double dot = 0;
            for (int64_t e = 0; e < E; ++e)
                dot += static_cast<double>(dp[static_cast<size_t>(e)]) * p[e];
            for (int64_t e = 0; e < E; ++e)
                dlogits[static_cast<size_t>(r * E + e)] =
                    p[e] * (dp[static_cast<size_t>(e)] - static_cast<float>(dot));
        }
    });
    linear_backward(x, router, dlogits.data(), dx, drouter, s.rows, d, E, true);
}

}  // namespace ql::train
