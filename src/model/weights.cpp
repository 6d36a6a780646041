// Binding GGUF tensors to the forward pass's weights, with shape checks.
#include "model/weights.hpp"

#include <string>

#include "util/error.hpp"

namespace ql::model {

namespace {

using kernels::ExpertStack;
using kernels::MatmulWeights;

class Binder {
  public:
    explicit Binder(const gguf::GgufFile& file) : file_(file) {}

    // nullptr when absent and optional; checks the GGUF shape (ne[0] first).
    const gguf::TensorInfo* find(const std::string& name, const std::vector<int64_t>& shape,
                                 bool required) const {
        const gguf::TensorInfo* t = file_.find_tensor(name);
        if (!t) {
            if (required) fail_input("{}: missing tensor {}", file_.path(), name);
            return nullptr;
        }
        if (t->shape != shape)
            fail_input("{}: tensor {} has shape {}, expected {}", file_.path(), name,
                       shape_text(t->shape), shape_text(shape));
        return t;
    }

    VectorView vector(const std::string& name, int64_t n, bool required = true) const {
        const auto* t = find(name, {n}, required);
        if (!t) return {};
        if (t->type != quant::TypeId::F32)
            fail_input("{}: tensor {} must be F32 (is {})", file_.path(), name,
                       quant::type_traits(t->type).name);
        return {reinterpret_cast<const float*>(t->data), n};
    }

    // A weight matrix stored as GGUF [n_in, n_out].
    MatmulWeights matrix(const std::string& name, int64_t n_in, int64_t n_out) const {
        const auto* t = find(name, {n_in, n_out}, true);
        return {t->type, n_out, n_in, t->data, checked_row_bytes(*t, n_in)};
    }

    // GGUF [n_in, n_out, n_expert].
    ExpertStack experts(const std::string& name, int64_t n_in, int64_t n_out,
                        int64_t n_expert) const {
        const auto* t = find(name, {n_in, n_out, n_expert}, true);
        checked_row_bytes(*t, n_in);
        return kernels::make_expert_stack(t->type, n_expert, n_out, n_in, t->data);
    }

    uint64_t checked_row_bytes(const gguf::TensorInfo& t, int64_t n_in) const {
        const auto* traits = quant::find_type(t.type);
        const auto bytes =
            traits ? quant::row_bytes(*traits, static_cast<uint64_t>(n_in)) : std::nullopt;
        if (!bytes)
            fail_input("{}: tensor {}: rows of {} values do not fit its type", file_.path(), t.name,
                       n_in);
        return *bytes;
    }

  private:
    static std::string shape_text(const std::vector<int64_t>& shape) {
        std::string s = "[";
        for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
        return s + "]";
    }
    const gguf::GgufFile& file_;
};

FeedForward bind_ffn(const Binder& b, const std::string& p, const std::string& suffix,
                     int64_t n_embd, int64_t n_ff) {
    return {b.matrix(p + "ffn_gate" + suffix + ".weight", n_embd, n_ff),
            b.matrix(p + "ffn_up" + suffix + ".weight", n_embd, n_ff),
            b.matrix(p + "ffn_down" + suffix + ".weight", n_ff, n_embd)};
}

ExpertFeedForward bind_experts(const Binder& b, const std::string& p, const HParams& hp) {
    ExpertFeedForward e;
    const int64_t n = hp.n_expert;
    e.router = b.matrix(p + "ffn_gate_inp.weight", hp.n_embd, n);
    e.selection_bias = b.vector(p + "exp_probs_b.bias", n, false);
    e.gate = b.experts(p + "ffn_gate_exps.weight", hp.n_embd, hp.n_ff_exp, n);
    e.up = b.experts(p + "ffn_up_exps.weight", hp.n_embd, hp.n_ff_exp, n);
    e.down = b.experts(p + "ffn_down_exps.weight", hp.n_ff_exp, hp.n_embd, n);
    if (hp.n_expert_shared > 0) {
        e.has_shared = true;
        e.shared = bind_ffn(b, p, "_shexp", hp.n_embd, hp.n_ff_exp * hp.n_expert_shared);
    }
    return e;
}

BlockWeights bind_block(const Binder& b, const HParams& hp, int64_t layer) {
    const std::string p = "blk." + std::to_string(layer) + ".";
    BlockWeights w;
    w.attn_norm = b.vector(p + "attn_norm.weight", hp.n_embd);
    w.wq = b.matrix(p + "attn_q.weight", hp.n_embd, hp.q_width());
    w.wk = b.matrix(p + "attn_k.weight", hp.n_embd, hp.kv_width());
    w.wv = b.matrix(p + "attn_v.weight", hp.n_embd, hp.kv_width());
    w.wo = b.matrix(p + "attn_output.weight", hp.q_width(), hp.n_embd);
    w.bq = b.vector(p + "attn_q.bias", hp.q_width(), false);
    w.bk = b.vector(p + "attn_k.bias", hp.kv_width(), false);
    w.bv = b.vector(p + "attn_v.bias", hp.kv_width(), false);
    w.q_norm = b.vector(p + "attn_q_norm.weight", hp.head_dim, false);
    w.k_norm = b.vector(p + "attn_k_norm.weight", hp.head_dim, false);
    // glm4moe calls the norm in front of the feed-forward post_attention_norm.
    const bool glm_name = b.find(p + "post_attention_norm.weight", {hp.n_embd}, false) != nullptr;
    w.ffn_norm =
        b.vector(p + (glm_name ? "post_attention_norm" : "ffn_norm") + ".weight", hp.n_embd);
    w.moe = hp.is_moe_block(layer);
    if (w.moe)
        w.experts = bind_experts(b, p, hp);
    else
        w.dense = bind_ffn(b, p, "", hp.n_embd, hp.n_ff);
    return w;
}

}  // namespace

ModelWeights bind_weights(const gguf::GgufFile& file, const HParams& hp) {
    const Binder b(file);
    ModelWeights m;
    const auto* embd = b.find("token_embd.weight", {hp.n_embd, hp.n_vocab}, true);
    m.token_embd = {embd->type, embd->data, hp.n_embd * hp.n_vocab};
    m.token_embd_row_bytes = b.checked_row_bytes(*embd, hp.n_embd);
    m.output_norm = b.vector("output_norm.weight", hp.n_embd);
    m.rope_freqs = b.vector("rope_freqs.weight", hp.n_rot / 2, false);
    if (file.find_tensor("output.weight"))
        m.output = b.matrix("output.weight", hp.n_embd, hp.n_vocab);
    else  // tied embeddings
        m.output = {embd->type, hp.n_vocab, hp.n_embd, embd->data, m.token_embd_row_bytes};
    for (int64_t layer = 0; layer < hp.n_layer; ++layer)
        m.blocks.push_back(bind_block(b, hp, layer));
    return m;
}

}  // namespace ql::model
