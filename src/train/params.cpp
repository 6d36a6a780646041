#include "train/params.hpp"

#include <cmath>

namespace ql::train {

uint64_t Rng::next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double Rng::uniform() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();  // u1 in (0, 1]
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

namespace {

int add(ParamLayout& l, std::string name, int64_t n_in, int64_t n_out, int64_t n_mat, bool decay) {
    ParamTensor t;
    t.name = std::move(name);
    t.offset = l.total;
    t.n_in = n_in;
    t.n_out = n_out;
    t.n_mat = n_mat;
    t.decay = decay;
    l.total += t.size();
    l.tensors.push_back(std::move(t));
    return static_cast<int>(l.tensors.size() - 1);
}

}  // namespace

ParamLayout ParamLayout::for_preset(const Preset& p) {
    ParamLayout l;
    const int64_t d = p.n_embd, qw = p.n_head * p.head_dim, kw = p.n_head_kv * p.head_dim;
    l.tok_embd = add(l, "token_embd.weight", d, p.n_vocab, 1, false);
    for (int64_t i = 0; i < p.n_layer; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        BlockParams bp;
        bp.attn_norm = add(l, b + "attn_norm.weight", d, 1, 1, false);
        bp.wq = add(l, b + "attn_q.weight", d, qw, 1, true);
        bp.wk = add(l, b + "attn_k.weight", d, kw, 1, true);
        bp.wv = add(l, b + "attn_v.weight", d, kw, 1, true);
        bp.wo = add(l, b + "attn_output.weight", qw, d, 1, true);
        if (p.arch == "qwen3moe") {
            bp.q_norm = add(l, b + "attn_q_norm.weight", p.head_dim, 1, 1, false);
            bp.k_norm = add(l, b + "attn_k_norm.weight", p.head_dim, 1, 1, false);
        }
        bp.ffn_norm = add(l, b + "ffn_norm.weight", d, 1, 1, false);
        if (p.moe()) {
            bp.router = add(l, b + "ffn_gate_inp.weight", d, p.n_expert, 1, true);
            bp.gate_exps = add(l, b + "ffn_gate_exps.weight", d, p.n_ff_exp, p.n_expert, true);
            bp.up_exps = add(l, b + "ffn_up_exps.weight", d, p.n_ff_exp, p.n_expert, true);
            bp.down_exps = add(l, b + "ffn_down_exps.weight", p.n_ff_exp, d, p.n_expert, true);
        } else {
            bp.w_gate = add(l, b + "ffn_gate.weight", d, p.n_ff, 1, true);
            bp.w_up = add(l, b + "ffn_up.weight", d, p.n_ff, 1, true);
            bp.w_down = add(l, b + "ffn_down.weight", p.n_ff, d, 1, true);
        }
        l.blocks.push_back(bp);
    }
    l.output_norm = add(l, "output_norm.weight", d, 1, 1, false);
    return l;
}

std::vector<float> init_params(const ParamLayout& layout, const Preset& p, uint64_t seed) {
    std::vector<float> v(static_cast<size_t>(layout.total));
    Rng rng(seed);
    const double out_scale = 1.0 / std::sqrt(2.0 * static_cast<double>(p.n_layer));
    for (const ParamTensor& t : layout.tensors) {
        float* x = v.data() + t.offset;
        const bool norm = t.n_out == 1 && t.n_mat == 1 && t.name.find("norm") != std::string::npos;
        if (norm) {
            std::fill(x, x + t.size(), 1.0f);
            continue;
        }
        const bool proj = t.name.find("attn_output") != std::string::npos ||
                          t.name.find("ffn_down") != std::string::npos;
        const double std = 0.02 * (proj ? out_scale : 1.0);
        for (int64_t i = 0; i < t.size(); ++i) x[i] = static_cast<float>(std * rng.normal());
    }
    return v;
}

}  // namespace ql::train
