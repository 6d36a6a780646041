#include "train/presets.hpp"

namespace ql::train {

namespace {

int64_t attention_params(const Preset& p) {
    const int64_t q = p.n_head * p.head_dim, kv = p.n_head_kv * p.head_dim;
    return p.n_embd * q * 2 + p.n_embd * kv * 2;  // wq, wo; wk, wv
}

int64_t block_norm_params(const Preset& p) {
    // attn_norm + ffn_norm; qwen3moe adds the per-head q and k norms
    return 2 * p.n_embd + (p.arch == "qwen3moe" ? 2 * p.head_dim : 0);
}

int64_t ffn_params(const Preset& p, int64_t experts) {
    if (!p.moe()) return 3 * p.n_embd * p.n_ff;
    return p.n_embd * p.n_expert + experts * 3 * p.n_embd * p.n_ff_exp;  // router + experts
}

int64_t count(const Preset& p, int64_t experts) {
    const int64_t block = attention_params(p) + block_norm_params(p) + ffn_params(p, experts);
    return p.n_vocab * p.n_embd + p.n_layer * block + p.n_embd;  // + output_norm
}

std::vector<Preset> make_presets() {
    std::vector<Preset> v;
    Preset demo;
    demo.name = "demo";
    demo.arch = "llama";
    demo.summary = "smallest shape, a few hundred steps: trains in under 2 minutes";
    demo.n_layer = 1;
    demo.n_ff = 256;
    demo.seq_len = 128;
    demo.batch = 8;
    demo.steps = 300;
    demo.warmup = 30;
    demo.eval_every = 50;
    demo.checkpoint_every = 100;
    v.push_back(demo);
    return v;
}

}  // namespace

int64_t Preset::n_params() const {
    return count(*this, n_expert);
}
int64_t Preset::n_active_params() const {
    return count(*this, n_expert_used);
}

const std::vector<Preset>& presets() {
    static const std::vector<Preset> list = make_presets();
    return list;
}

const Preset* find_preset(std::string_view name) {
    for (const Preset& p : presets())
        if (p.name == name) return &p;
    return nullptr;
}

}  // namespace ql::train
