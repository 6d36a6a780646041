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

Preset dense(std::string name, std::string summary, int64_t n_embd, int64_t n_layer, int64_t n_ff,
             int64_t n_head, int64_t n_head_kv) {
    Preset p;
    p.name = std::move(name);
    p.arch = "llama";
    p.summary = std::move(summary);
    p.n_embd = n_embd;
    p.n_layer = n_layer;
    p.n_ff = n_ff;
    p.n_head = n_head;
    p.n_head_kv = n_head_kv;
    p.head_dim = 64;
    return p;
}

std::vector<Preset> make_presets() {
    std::vector<Preset> v;
    Preset demo = dense("demo", "smallest shape, a few hundred steps: trains in under 2 minutes",
                        256, 1, 256, 4, 2);
    demo.seq_len = 128;
    demo.batch = 8;
    demo.steps = 300;
    demo.warmup = 30;
    demo.eval_every = 50;
    demo.checkpoint_every = 100;
    v.push_back(demo);
    v.push_back(dense("xs", "zoo, smallest", 256, 2, 512, 4, 2));
    v.push_back(dense("s", "zoo", 256, 6, 768, 4, 2));
    v.push_back(dense("m", "zoo", 512, 4, 1536, 8, 4));
    v.push_back(dense("l", "zoo, largest", 512, 10, 1536, 8, 4));
    Preset moe;
    moe.name = "moe";
    moe.arch = "qwen3moe";
    moe.summary = "zoo, mixture of experts: 8 experts, top 2";
    moe.n_embd = 512;
    moe.n_layer = 4;
    moe.n_head = 8;
    moe.n_head_kv = 4;
    moe.head_dim = 64;
    moe.n_expert = 8;
    moe.n_expert_used = 2;
    moe.n_ff_exp = 512;
    v.push_back(moe);
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
