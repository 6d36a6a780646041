// The routed feed-forward of a qwen3moe block in training: a softmax router,
// the top-k experts per token with their weights renormalized to sum to 1,
// SwiGLU experts, and a load-balancing loss (Switch Transformer style:
// alpha * n_expert * Σ_e f_e P_e, f_e the share of routing slots expert e
// got, P_e its mean router probability) that keeps experts in use.
#pragma once

#include <cstdint>
#include <vector>

namespace ql::train {

struct MoeShape {
    int64_t rows = 0, n_embd = 0, n_ff = 0, n_expert = 0, n_used = 0;
    float balance_alpha = 0.01f;
};

// What the forward pass keeps for the backward pass.
struct MoeCache {
    std::vector<float> probs;   // [rows, n_expert] router softmax
    std::vector<int32_t> sel;   // [rows, n_used] chosen experts
    std::vector<float> weight;  // [rows, n_used] their renormalized weights
    std::vector<float> share;   // [n_expert] f_e
    // Per expert: its routing slots (row * n_used + slot, ascending), the
    // gathered inputs [n_e, n_embd], gate/up/hidden [n_e, n_ff], output [n_e, n_embd].
    std::vector<std::vector<int64_t>> slots;
    std::vector<std::vector<float>> x, g, u, h, y;
    double balance_loss = 0;
};

// out [rows, n_embd] += Σ_k weight_k * expert_k(x); x [rows, n_embd].
// router [n_expert, n_embd]; gate, up [n_expert][n_ff, n_embd]; down [n_expert][n_embd, n_ff].
void moe_forward(const MoeShape& s, const float* x, const float* router, const float* gate,
                 const float* up, const float* down, float* out, MoeCache& c, int n_threads);

// From dout [rows, n_embd]: dx [rows, n_embd] (overwritten) and the weight
// gradients (added), the balance loss's gradient included.
void moe_backward(const MoeShape& s, const float* x, const float* router, const float* gate,
                  const float* up, const float* down, const MoeCache& c, const float* dout,
                  float* dx, float* drouter, float* dgate, float* dup, float* ddown, int n_threads);

}  // namespace ql::train
