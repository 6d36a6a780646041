#include "train/presets.hpp"

#include <algorithm>

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

// A zoo member: tokens to train on, spread over steps of batch x seq_len.
Preset schedule(Preset p, int64_t tokens, float lr) {
    p.batch = 32;
    p.seq_len = 256;
    p.steps = tokens / p.tokens_per_step();
    p.warmup = std::max<int64_t>(50, p.steps / 30);
    p.lr = lr;
    p.eval_every = 250;
    p.checkpoint_every = 100;
    return p;
}

std::vector<Preset> make_presets() {
    std::vector<Preset> v;
    Preset demo = dense("demo", "smallest shape, 1000 short steps: trains in under 2 minutes", 256,
                        1, 256, 4, 2);
    demo.seq_len = 128;
    demo.batch = 8;
    demo.steps = 1000;  // ~90 s on 2 cores here
    demo.warmup = 50;
    demo.eval_every = 50;
    demo.checkpoint_every = 100;
    v.push_back(demo);
    // Four dense sizes 2.3-3.1x apart (0.9M to 17M parameters), the smallest
    // trained far past 20 tokens per parameter, the larger ones well short of
    // it. A larger size never sees much fewer tokens than the one below it: at
    // these scales loss depends on tokens as much as on parameters, and the
    // family must show held-out loss falling with size.
    v.push_back(schedule(dense("xs", "zoo: smallest, ~43 tokens per parameter", 256, 1, 256, 4, 2),
                         40'000'000, 3e-3f));
    v.push_back(
        schedule(dense("s", "zoo: ~9 tokens per parameter", 256, 3, 768, 4, 2), 25'000'000, 2e-3f));
    v.push_back(schedule(dense("m", "zoo: ~2.7 tokens per parameter", 512, 2, 1536, 8, 4),
                         20'000'000, 1.5e-3f));
    v.push_back(schedule(dense("l", "zoo: largest, ~1.2 tokens per parameter", 512, 5, 1536, 8, 4),
                         20'000'000, 1e-3f));
    Preset moe;
    moe.name = "moe";
    moe.arch = "qwen3moe";
    moe.summary = "zoo: mixture of experts, 8 experts (top 2), total size near l";
    moe.n_embd = 512;
    moe.n_layer = 3;
    moe.n_head = 8;
    moe.n_head_kv = 4;
    moe.head_dim = 64;
    moe.n_expert = 8;
    moe.n_expert_used = 2;
    moe.n_ff_exp = 512;
    v.push_back(schedule(moe, 15'000'000, 1.5e-3f));
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
