// A tiny preset of either layout (llama or qwen3moe, 2 layers, 4 heads of 8
// over 2 KV heads) for the trainer's tests; the widths and the batch are the
// test's to choose.
#pragma once

#include <cstdint>
#include <string>

#include "train/presets.hpp"

namespace ql::test {

struct TinyPresetShape {
    int64_t n_vocab = 0;
    int64_t n_embd = 0;
    int64_t n_ff = 0;      // dense FFN width
    int64_t n_ff_exp = 0;  // expert FFN width (MoE: 4 experts, top-2)
    int64_t seq_len = 0;
    int64_t batch = 0;
};

inline train::Preset tiny_preset(std::string name, bool moe, const TinyPresetShape& s) {
    train::Preset p;
    p.name = std::move(name);
    p.arch = moe ? "qwen3moe" : "llama";
    p.n_vocab = s.n_vocab;
    p.n_embd = s.n_embd;
    p.n_layer = 2;
    p.n_head = 4;
    p.n_head_kv = 2;
    p.head_dim = 8;
    p.n_ff = s.n_ff;
    if (moe) {
        p.n_expert = 4;
        p.n_expert_used = 2;
        p.n_ff_exp = s.n_ff_exp;
    }
    p.seq_len = s.seq_len;
    p.batch = s.batch;
    return p;
}

}  // namespace ql::test
