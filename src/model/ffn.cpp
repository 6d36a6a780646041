// Feed-forward networks: dense SwiGLU, and routed experts with a shared one.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "model/block_parts.hpp"
#include "model/ops.hpp"
#include "util/threads.hpp"

namespace ql::model {

void project(const BatchContext& ctx, const kernels::MatmulWeights& w, const float* x, float* y,
             int64_t n_tokens) {
    kernels::matmul(w, x, y, n_tokens, ctx.options.activations, ctx.options.n_threads);
}

void feed_forward(const BatchContext& ctx, const FeedForward& w, const float* x, float* out,
                  int64_t n_tokens) {
    const int64_t n_ff = w.gate.n_out;
    std::vector<float> gate(static_cast<size_t>(n_tokens * n_ff));  // [n_tokens, n_ff]
    std::vector<float> up(static_cast<size_t>(n_tokens * n_ff));    // [n_tokens, n_ff]
    const kernels::MatmulWeights both[] = {w.gate, w.up};
    float* const outs[] = {gate.data(), up.data()};
    kernels::matmul_shared_input(both, x, outs, n_tokens, ctx.options.activations,
                                 ctx.options.n_threads);
    parallel_for(n_tokens, ctx.options.n_threads, [&](int64_t begin, int64_t end) {
        swiglu(gate.data() + begin * n_ff, up.data() + begin * n_ff, (end - begin) * n_ff);
    });
    project(ctx, w.down, gate.data(), out, n_tokens);
}

namespace {

struct Choice {
    int64_t expert = 0;
    float weight = 0.0f;
};

struct RoutedToken {
    int64_t token = 0;
    float weight = 0.0f;
};

// The k experts of one token from its router logits [n_expert].
std::vector<Choice> choose_experts(const HParams& hp, const ExpertFeedForward& w, float* logits) {
    const int64_t n = hp.n_expert;
    if (hp.router_gate == RouterGate::Softmax) {
        softmax(logits, n);
    } else {
        for (int64_t e = 0; e < n; ++e) logits[e] = 1.0f / (1.0f + std::exp(-logits[e]));
    }
    // The selection bias (glm4moe) only decides which experts; weights stay unbiased.
    std::vector<float> rank(logits, logits + n);  // [n_expert]
    if (w.selection_bias) add_bias(rank.data(), w.selection_bias.data, n);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return rank[a] > rank[b]; });
    std::vector<Choice> chosen(static_cast<size_t>(hp.n_expert_used));
    float sum = 0.0f;
    for (int64_t i = 0; i < hp.n_expert_used; ++i) {
        chosen[i] = {order[i], logits[order[i]]};
        sum += chosen[i].weight;
    }
    for (auto& c : chosen) {
        if (hp.normalize_expert_weights) c.weight /= std::max(sum, 6.103515625e-5f);
        c.weight *= hp.expert_weights_scale;
    }
    return chosen;
}

// The work of one routed expert: its tokens' inputs and its outputs.
struct ExpertBatch {
    int64_t expert = 0;
    const std::vector<RoutedToken>* tokens = nullptr;
    const float* input = nullptr;  // [m, n_embd]: x's row itself for one token, else `rows`
    std::vector<float> rows;       // [m, n_embd] gathered inputs (m > 1)
    std::vector<float> gate, up;   // [m, n_ff_exp]
    std::vector<float> result;     // [m, n_embd]
    int64_t m() const { return static_cast<int64_t>(tokens->size()); }
};

// Every routed expert's SwiGLU, the experts' products batched: all gate and
// up projections in one matmul_many, then all down projections in another
// (a generated token's k experts are small products; one pass each keeps
// both threads busy); out += weight * result per token.
void run_experts(const BatchContext& ctx, const ExpertFeedForward& w, const float* x,
                 const std::vector<std::vector<RoutedToken>>& routed, float* out) {
    const int64_t n_embd = ctx.hp.n_embd, n_ff = w.gate.n_out;
    std::vector<ExpertBatch> batches;
    for (int64_t e = 0; e < ctx.hp.n_expert; ++e) {
        if (routed[e].empty()) continue;
        ExpertBatch& b = batches.emplace_back();
        b.expert = e;
        b.tokens = &routed[e];
        const int64_t m = b.m();
        if (m == 1) {
            b.input = x + routed[e][0].token * n_embd;
        } else {
            b.rows.resize(static_cast<size_t>(m * n_embd));
            for (int64_t i = 0; i < m; ++i)
                std::copy_n(x + routed[e][i].token * n_embd, n_embd, &b.rows[i * n_embd]);
            b.input = b.rows.data();
        }
        b.gate.resize(static_cast<size_t>(m * n_ff));
        b.up.resize(static_cast<size_t>(m * n_ff));
        b.result.resize(static_cast<size_t>(m * n_embd));
    }
    std::vector<kernels::MatmulJob> jobs;
    for (ExpertBatch& b : batches) {
        jobs.push_back({kernels::expert_weights(w.gate, b.expert), b.input, b.gate.data(), b.m()});
        jobs.push_back({kernels::expert_weights(w.up, b.expert), b.input, b.up.data(), b.m()});
    }
    kernels::matmul_many(jobs, ctx.options.activations, ctx.options.n_threads);
    jobs.clear();
    const auto n_batches = static_cast<int64_t>(batches.size());
    parallel_for(n_batches, ctx.options.n_threads, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            ExpertBatch& b = batches[static_cast<size_t>(i)];
            swiglu(b.gate.data(), b.up.data(), b.m() * n_ff);
        }
    });
    for (ExpertBatch& b : batches) {
        jobs.push_back(
            {kernels::expert_weights(w.down, b.expert), b.gate.data(), b.result.data(), b.m()});
    }
    kernels::matmul_many(jobs, ctx.options.activations, ctx.options.n_threads);
    for (const ExpertBatch& b : batches)
        for (int64_t i = 0; i < b.m(); ++i) {
            const RoutedToken& rt = (*b.tokens)[static_cast<size_t>(i)];
            float* dst = out + rt.token * n_embd;
            for (int64_t d = 0; d < n_embd; ++d) dst[d] += rt.weight * b.result[i * n_embd + d];
        }
}

}  // namespace

void expert_feed_forward(const BatchContext& ctx, const ExpertFeedForward& w, const float* x,
                         float* out) {
    const HParams& hp = ctx.hp;
    const int64_t n = ctx.n_tokens;
    const int64_t n_embd = hp.n_embd;
    std::vector<float> router(static_cast<size_t>(n * hp.n_expert));  // [n_tokens, n_expert]
    project(ctx, w.router, x, router.data(), n);

    // Tokens per expert, with their weights.
    std::vector<std::vector<RoutedToken>> routed(static_cast<size_t>(hp.n_expert));
    for (int64_t t = 0; t < n; ++t)
        for (const Choice& c : choose_experts(hp, w, &router[t * hp.n_expert]))
            routed[c.expert].push_back({t, c.weight});

    std::fill_n(out, n * n_embd, 0.0f);
    run_experts(ctx, w, x, routed, out);
    if (w.has_shared) {
        std::vector<float> shared(static_cast<size_t>(n * n_embd));  // [n_tokens, n_embd]
        feed_forward(ctx, w.shared, x, shared.data(), n);
        for (int64_t i = 0; i < n * n_embd; ++i) out[i] += shared[i];
    }
}

}  // namespace ql::model
