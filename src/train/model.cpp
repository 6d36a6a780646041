#include "train/model.hpp"

#include <algorithm>

#include "kernels/vec_f32.hpp"
#include "train/blas.hpp"
#include "train/moe.hpp"
#include "train/ops.hpp"

namespace ql::train {

namespace {

void resize(std::vector<float>& v, int64_t n) {
    v.resize(static_cast<size_t>(n));
}

}  // namespace

struct LayerCache {
    std::vector<float> x_in, xn1;     // [rows, d] block input and its norm
    std::vector<float> q_lin, k_lin;  // [rows, q/kv width] before the q/k norms (qwen3moe)
    std::vector<float> q, k, v;       // after the norms and RoPE
    std::vector<float> probs;         // [n_seq, n_head, T, T]
    std::vector<float> attn;          // [rows, q width] attention output
    std::vector<float> x_mid, xn2;    // [rows, d] after attention, its norm
    std::vector<float> g, u, h;       // [rows, n_ff] dense FFN
    MoeCache moe;
};

struct TrainModel::Caches {
    int64_t n_seq = 0, seq_len = 0, rows = 0;
    std::vector<LayerCache> layers;
    std::vector<float> x;                  // [rows, d] residual stream
    std::vector<float> x_final, xn_final;  // [rows, d]
    std::vector<float> logits;             // [rows, n_vocab]
    std::vector<float> rope;               // [seq_len, n_rot]
    // backward scratch
    std::vector<float> dx, dxn, dq, dk, dv, dattn, dg, du, dh;
    double balance = 0;
};

model::HParams hparams_for(const Preset& p) {
    model::HParams h;
    h.arch = p.arch;
    h.n_vocab = p.n_vocab;
    h.n_embd = p.n_embd;
    h.n_layer = h.n_layer_file = p.n_layer;
    h.n_head = p.n_head;
    h.n_head_kv = p.n_head_kv;
    h.head_dim = p.head_dim;
    h.n_ff = p.moe() ? p.n_ff_exp : p.n_ff;
    h.n_ctx_train = p.seq_len;
    h.rms_eps = p.rms_eps;
    h.rope_style = p.arch == "llama" ? model::RopeStyle::Adjacent : model::RopeStyle::Neox;
    h.n_rot = p.head_dim;
    h.rope_base = p.rope_base;
    h.n_expert = p.n_expert;
    h.n_expert_used = p.n_expert_used;
    h.n_ff_exp = p.n_ff_exp;
    h.normalize_expert_weights = p.moe();
    return h;
}

TrainModel::TrainModel(const Preset& preset, int n_threads)
    : preset_(preset),
      hp_(hparams_for(preset)),
      layout_(ParamLayout::for_preset(preset)),
      n_threads_(n_threads),
      c_(std::make_unique<Caches>()) {
    c_->layers.resize(static_cast<size_t>(preset.n_layer));
}

TrainModel::~TrainModel() = default;

void TrainModel::forward_block(int64_t layer, const float* P) {
    const Preset& p = preset_;
    const BlockParams& b = layout_.blocks[static_cast<size_t>(layer)];
    LayerCache& c = c_->layers[static_cast<size_t>(layer)];
    const int64_t M = c_->rows, d = p.n_embd, qw = p.n_head * p.head_dim,
                  kw = p.n_head_kv * p.head_dim;
    auto W = [&](int i) { return P + layout_.at(i).offset; };
    float* x = c_->x.data();  // [M, d]
    c.x_in.assign(x, x + M * d);
    resize(c.xn1, M * d);
    rms_norm_forward(x, W(b.attn_norm), c.xn1.data(), M, d, p.rms_eps, n_threads_);
    resize(c.q, M * qw);
    resize(c.k, M * kw);
    resize(c.v, M * kw);
    const bool qk_norm = b.q_norm >= 0;
    if (qk_norm) {
        resize(c.q_lin, M * qw);
        resize(c.k_lin, M * kw);
    }
    linear_forward(c.xn1.data(), W(b.wq), (qk_norm ? c.q_lin : c.q).data(), M, d, qw);
    linear_forward(c.xn1.data(), W(b.wk), (qk_norm ? c.k_lin : c.k).data(), M, d, kw);
    linear_forward(c.xn1.data(), W(b.wv), c.v.data(), M, d, kw);
    if (qk_norm) {
        rms_norm_forward(c.q_lin.data(), W(b.q_norm), c.q.data(), M * p.n_head, p.head_dim,
                         p.rms_eps, n_threads_);
        rms_norm_forward(c.k_lin.data(), W(b.k_norm), c.k.data(), M * p.n_head_kv, p.head_dim,
                         p.rms_eps, n_threads_);
    }
    rope_rows(c.q.data(), M, p.n_head, c_->seq_len, c_->rope.data(), hp_, false, n_threads_);
    rope_rows(c.k.data(), M, p.n_head_kv, c_->seq_len, c_->rope.data(), hp_, false, n_threads_);
    const AttentionShape as{c_->n_seq, c_->seq_len, p.n_head, p.n_head_kv, p.head_dim};
    resize(c.probs, c_->n_seq * p.n_head * c_->seq_len * c_->seq_len);
    resize(c.attn, M * qw);
    attention_forward(as, c.q.data(), c.k.data(), c.v.data(), c.probs.data(), c.attn.data(),
                      n_threads_);
    linear_forward(c.attn.data(), W(b.wo), x, M, qw, d, true);  // x += attn Wo^T
    c.x_mid.assign(x, x + M * d);
    resize(c.xn2, M * d);
    rms_norm_forward(x, W(b.ffn_norm), c.xn2.data(), M, d, p.rms_eps, n_threads_);
    if (p.moe()) {
        const MoeShape ms{M, d, p.n_ff_exp, p.n_expert, p.n_expert_used};
        moe_forward(ms, c.xn2.data(), W(b.router), W(b.gate_exps), W(b.up_exps), W(b.down_exps), x,
                    c.moe, n_threads_);
        c_->balance += c.moe.balance_loss;
        return;
    }
    const int64_t ff = p.n_ff;
    resize(c.g, M * ff);
    resize(c.u, M * ff);
    resize(c.h, M * ff);
    linear_forward(c.xn2.data(), W(b.w_gate), c.g.data(), M, d, ff);
    linear_forward(c.xn2.data(), W(b.w_up), c.u.data(), M, d, ff);
    swiglu_forward(c.g.data(), c.u.data(), c.h.data(), M * ff, n_threads_);
    linear_forward(c.h.data(), W(b.w_down), x, M, ff, d, true);  // x += h Wd^T
}

void TrainModel::forward(const float* params, const Batch& batch) {
    Caches& c = *c_;
    const int64_t d = preset_.n_embd;
    if (batch.seq_len != c.seq_len) {
        c.rope = rope_table(hp_, batch.seq_len);
        c.seq_len = batch.seq_len;
    }
    c.n_seq = batch.n_seq;
    c.rows = batch.rows();
    c.balance = 0;
    const float* embd = params + layout_.at(layout_.tok_embd).offset;
    resize(c.x, c.rows * d);
    for (int64_t r = 0; r < c.rows; ++r)
        std::copy_n(embd + batch.tokens[static_cast<size_t>(r)] * d, d, c.x.data() + r * d);
    for (int64_t l = 0; l < preset_.n_layer; ++l) forward_block(l, params);
    c.x_final = c.x;
    resize(c.xn_final, c.rows * d);
    rms_norm_forward(c.x_final.data(), params + layout_.at(layout_.output_norm).offset,
                     c.xn_final.data(), c.rows, d, preset_.rms_eps, n_threads_);
    resize(c.logits, c.rows * preset_.n_vocab);
    linear_forward(c.xn_final.data(), embd, c.logits.data(), c.rows, d, preset_.n_vocab);
}

void TrainModel::backward_block(int64_t layer, const float* P, float* G) {
    const Preset& p = preset_;
    const BlockParams& b = layout_.blocks[static_cast<size_t>(layer)];
    LayerCache& c = c_->layers[static_cast<size_t>(layer)];
    Caches& s = *c_;
    const int64_t M = s.rows, d = p.n_embd, qw = p.n_head * p.head_dim,
                  kw = p.n_head_kv * p.head_dim;
    auto W = [&](int i) { return P + layout_.at(i).offset; };
    auto dW = [&](int i) { return G + layout_.at(i).offset; };
    float* dx = s.dx.data();  // [M, d]: d loss / d block output, then / d block input
    resize(s.dxn, M * d);
    if (p.moe()) {
        const MoeShape ms{M, d, p.n_ff_exp, p.n_expert, p.n_expert_used};
        moe_backward(ms, c.xn2.data(), W(b.router), W(b.gate_exps), W(b.up_exps), W(b.down_exps),
                     c.moe, dx, s.dxn.data(), dW(b.router), dW(b.gate_exps), dW(b.up_exps),
                     dW(b.down_exps), n_threads_);
    } else {
        const int64_t ff = p.n_ff;
        resize(s.dh, M * ff);
        resize(s.dg, M * ff);
        resize(s.du, M * ff);
        linear_backward(c.h.data(), W(b.w_down), dx, s.dh.data(), dW(b.w_down), M, ff, d);
        swiglu_backward(c.g.data(), c.u.data(), s.dh.data(), s.dg.data(), s.du.data(), M * ff,
                        n_threads_);
        linear_backward(c.xn2.data(), W(b.w_gate), s.dg.data(), s.dxn.data(), dW(b.w_gate), M, d,
                        ff);
        linear_backward(c.xn2.data(), W(b.w_up), s.du.data(), s.dxn.data(), dW(b.w_up), M, d, ff,
                        true);
    }
    rms_norm_backward(c.x_mid.data(), W(b.ffn_norm), s.dxn.data(), dx, dW(b.ffn_norm), M, d,
                      p.rms_eps, true, n_threads_);
    // attention
    resize(s.dattn, M * qw);
    linear_backward(c.attn.data(), W(b.wo), dx, s.dattn.data(), dW(b.wo), M, qw, d);
    resize(s.dq, M * qw);
    resize(s.dk, M * kw);
    resize(s.dv, M * kw);
    const AttentionShape as{s.n_seq, s.seq_len, p.n_head, p.n_head_kv, p.head_dim};
    attention_backward(as, c.q.data(), c.k.data(), c.v.data(), c.probs.data(), s.dattn.data(),
                       s.dq.data(), s.dk.data(), s.dv.data(), n_threads_);
    rope_rows(s.dq.data(), M, p.n_head, s.seq_len, s.rope.data(), hp_, true, n_threads_);
    rope_rows(s.dk.data(), M, p.n_head_kv, s.seq_len, s.rope.data(), hp_, true, n_threads_);
    if (b.q_norm >= 0) {
        // through the per-head norms: the gradients move to the pre-norm values
        std::vector<float> dq_lin(s.dq.size()), dk_lin(s.dk.size());
        rms_norm_backward(c.q_lin.data(), W(b.q_norm), s.dq.data(), dq_lin.data(), dW(b.q_norm),
                          M * p.n_head, p.head_dim, p.rms_eps, false, n_threads_);
        rms_norm_backward(c.k_lin.data(), W(b.k_norm), s.dk.data(), dk_lin.data(), dW(b.k_norm),
                          M * p.n_head_kv, p.head_dim, p.rms_eps, false, n_threads_);
        s.dq.swap(dq_lin);
        s.dk.swap(dk_lin);
    }
    linear_backward(c.xn1.data(), W(b.wq), s.dq.data(), s.dxn.data(), dW(b.wq), M, d, qw);
    linear_backward(c.xn1.data(), W(b.wk), s.dk.data(), s.dxn.data(), dW(b.wk), M, d, kw, true);
    linear_backward(c.xn1.data(), W(b.wv), s.dv.data(), s.dxn.data(), dW(b.wv), M, d, kw, true);
    rms_norm_backward(c.x_in.data(), W(b.attn_norm), s.dxn.data(), dx, dW(b.attn_norm), M, d,
                      p.rms_eps, true, n_threads_);
}

void TrainModel::backward(const float* params, const Batch& batch, float* grads) {
    Caches& c = *c_;
    const int64_t d = preset_.n_embd, V = preset_.n_vocab;
    std::fill_n(grads, layout_.total, 0.0f);
    const float* embd = params + layout_.at(layout_.tok_embd).offset;
    float* dembd = grads + layout_.at(layout_.tok_embd).offset;
    // c.logits holds d loss / d logits here
    resize(c.dxn, c.rows * d);
    linear_backward(c.xn_final.data(), embd, c.logits.data(), c.dxn.data(), dembd, c.rows, d, V);
    resize(c.dx, c.rows * d);
    rms_norm_backward(c.x_final.data(), params + layout_.at(layout_.output_norm).offset,
                      c.dxn.data(), c.dx.data(), grads + layout_.at(layout_.output_norm).offset,
                      c.rows, d, preset_.rms_eps, false, n_threads_);
    for (int64_t l = preset_.n_layer - 1; l >= 0; --l) backward_block(l, params, grads);
    for (int64_t r = 0; r < c.rows; ++r)  // in row order: the same bits every time
        kernels::axpy_f32(dembd + batch.tokens[static_cast<size_t>(r)] * d, 1.0f,
                          c.dx.data() + r * d, d);
}

StepLoss TrainModel::forward_backward(const float* params, const Batch& batch, float* grads) {
    forward(params, batch);
    StepLoss out;
    out.loss = cross_entropy(c_->logits.data(), batch.targets.data(), c_->rows, preset_.n_vocab,
                             grads != nullptr, n_threads_);
    out.balance = c_->balance;
    if (grads) backward(params, batch, grads);
    return out;
}

std::vector<float> TrainModel::logits(const float* params, const Batch& batch) {
    forward(params, batch);
    return c_->logits;
}

}  // namespace ql::train
