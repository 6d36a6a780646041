// The parameters of a model in training: one flat f32 vector (so that the
// optimizer, clipping and checkpoints see one array), with a named view per
// GGUF tensor. A tensor is [n_mat][n_out][n_in] (n_in = GGUF's ne0; n_mat > 1
// only for stacked experts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/presets.hpp"

namespace ql::train {

struct ParamTensor {
    std::string name;  // GGUF tensor name, e.g. "blk.0.attn_q.weight"
    int64_t offset = 0;
    int64_t n_in = 0, n_out = 1, n_mat = 1;
    bool decay = false;  // weight decay applies (matrices, not norms or embeddings)
    int64_t size() const { return n_in * n_out * n_mat; }
};

// Indices into ParamLayout::tensors of one block's tensors (-1: absent).
struct BlockParams {
    int attn_norm = -1, wq = -1, wk = -1, wv = -1, wo = -1, q_norm = -1, k_norm = -1;
    int ffn_norm = -1, w_gate = -1, w_up = -1, w_down = -1;         // dense
    int router = -1, gate_exps = -1, up_exps = -1, down_exps = -1;  // MoE
};

struct ParamLayout {
    std::vector<ParamTensor> tensors;
    std::vector<BlockParams> blocks;
    int tok_embd = -1, output_norm = -1;
    int64_t total = 0;

    static ParamLayout for_preset(const Preset& p);
    const ParamTensor& at(int index) const { return tensors.at(static_cast<size_t>(index)); }
};

// Initial values, deterministic for a seed: matrices ~ N(0, 0.02), the
// output projections of each block (attn_output, ffn_down) scaled by
// 1/sqrt(2 n_layer), norms 1.
std::vector<float> init_params(const ParamLayout& layout, const Preset& p, uint64_t seed);

// Deterministic random numbers (splitmix64), the same on every platform.
struct Rng {
    uint64_t state;
    explicit Rng(uint64_t seed) : state(seed) {}
    uint64_t next();
    double uniform();  // [0, 1)
    double normal();   // N(0, 1), Box-Muller
};

}  // namespace ql::train
