#include "kernels/matmul.hpp"

#include <algorithm>
#include <cstdlib>
#include <span>
#include <vector>

#include "kernels/gemm.hpp"
#include "util/checked.hpp"
#include "util/error.hpp"
#include "util/threads.hpp"

namespace ql::kernels {

namespace {

uint64_t dense_row_bytes(TypeId type, int64_t n_in) {
    const auto& t = quant::type_traits(type);
    const auto bytes = n_in > 0 ? quant::row_bytes(t, static_cast<uint64_t>(n_in)) : std::nullopt;
    if (!bytes)
        fail("{} matrix: {} columns is not a positive multiple of the block size {}", t.name, n_in,
             t.block_size);
    return *bytes;
}

void check_weights(const MatmulWeights& w) {
    if (!is_weight_type(w.type))
        fail("type {} cannot be the weight of a matrix product", quant::type_traits(w.type).name);
    if (w.n_out < 0) fail("matrix with {} rows", w.n_out);
    if (w.row_stride < dense_row_bytes(w.type, w.n_in))
        fail("{} matrix: row stride {} is smaller than a row", quant::type_traits(w.type).name,
             w.row_stride);
}

const uint8_t* weight_row(const MatmulWeights& w, int64_t r) {
    return static_cast<const uint8_t*>(w.data) + static_cast<uint64_t>(r) * w.row_stride;
}

// Tokens per tile of the prompt-processing loop: their activation rows stay
// in cache while every weight row of the thread's range passes over them.
constexpr int64_t kTokenTile = 64;

// From this many tokens on, tables that allow it use the GEMM (gemm.hpp):
// decoding a panel costs about as much as a few tokens of vec_dot work.
constexpr int64_t kGemmMinTokens = 16;

// y rows [t0, t0 + n_tok) x weight rows [r0, r1): each weight row is dotted
// with up to kMaxActs activation rows at a time.
void dot_tile(const KernelTable& table, const MatmulWeights& w, const uint8_t* acts,
              size_t act_bytes, int64_t t0, int64_t n_tok, int64_t r0, int64_t r1, float* y) {
    const VecDotFn dot = table.find(w.type);
    const VecDotMultiFn multi = table.find_multi(w.type);
    float out[kMaxActs];
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* row = weight_row(w, r);
        for (int64_t t = t0; t < t0 + n_tok; t += kMaxActs) {
            const int n_act = static_cast<int>(std::min<int64_t>(kMaxActs, t0 + n_tok - t));
            const uint8_t* act = acts + static_cast<size_t>(t) * act_bytes;
            if (multi) {
                multi(w.n_in, row, act, act_bytes, n_act, out);
            } else {
                for (int j = 0; j < n_act; ++j) out[j] = dot(w.n_in, row, act + j * act_bytes);
            }
            for (int j = 0; j < n_act; ++j) y[(t + j) * w.n_out + r] = out[j];
        }
    }
}

// Activation rows of x [n_tokens, n_in] quantized for weights of type `type`.
std::vector<uint8_t> quantize_rows(TypeId type, const float* x, int64_t n_in, int64_t n_tokens,
                                   int n_threads) {
    const size_t act_bytes = activation_row_bytes(type, n_in);
    std::vector<uint8_t> acts(act_bytes * static_cast<size_t>(n_tokens));  // [n_tokens] rows
    parallel_for(n_tokens, n_threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
            quantize_activations(type, x + t * n_in, acts.data() + t * act_bytes, n_in);
    });
    return acts;
}

bool use_gemm(const KernelTable& table, TypeId type, int64_t n_tokens) {
    static const bool disabled = std::getenv("QL_NO_GEMM") != nullptr;  // for comparisons
    return !disabled && table.gemm && n_tokens >= kGemmMinTokens && gemm_supported(type);
}

// y_i = x · W_iᵀ for matrices sharing one quantized input: the GEMM ones one
// after the other, the rest in one parallel pass over all their rows.
void matmul_quantized(const KernelTable& table, std::span<const MatmulWeights> ws,
                      std::span<float* const> ys, const float* x, int64_t n_tokens, int n_threads) {
    const MatmulWeights& first = ws.front();
    const size_t act_bytes = activation_row_bytes(first.type, first.n_in);
    const auto acts = quantize_rows(first.type, x, first.n_in, n_tokens, n_threads);
    std::vector<size_t> rest;  // matrices for the dot kernels
    int64_t rest_rows = 0;
    for (size_t i = 0; i < ws.size(); ++i) {
        if (use_gemm(table, ws[i].type, n_tokens)) {
            gemm_quantized(ws[i], acts.data(), act_bytes, n_tokens, ys[i], n_threads);
        } else {
            rest.push_back(i);
            rest_rows += ws[i].n_out;
        }
    }
    // Rows in chunks taken first come, first served (about 8 per thread).
    const int64_t grain = std::max<int64_t>(16, rest_rows / (8 * std::max(n_threads, 1)));
    parallel_for_dynamic(rest_rows, n_threads, grain, [&](int64_t begin, int64_t end) {
        int64_t row0 = 0;  // first global row of matrix i
        for (size_t i : rest) {
            const MatmulWeights& w = ws[i];
            const int64_t lo = std::max(begin, row0) - row0,
                          hi = std::min(end, row0 + w.n_out) - row0;
            for (int64_t t0 = 0; lo < hi && t0 < n_tokens; t0 += kTokenTile) {
                const int64_t n_tok = std::min(kTokenTile, n_tokens - t0);
                dot_tile(table, w, acts.data(), act_bytes, t0, n_tok, lo, hi, ys[i]);
            }
            row0 += w.n_out;
        }
    });
}

void matmul_float(const MatmulWeights& w, const float* x, float* y, int64_t n_tokens,
                  int n_threads) {
    parallel_for(w.n_out, n_threads, [&](int64_t begin, int64_t end) {
        std::vector<float> row(static_cast<size_t>(w.n_in));  // one dequantized weight row
        for (int64_t r = begin; r < end; ++r) {
            quant::dequantize(w.type, weight_row(w, r), row.data(), w.n_in);
            for (int64_t t = 0; t < n_tokens; ++t) {
                const float* xt = x + t * w.n_in;
                double sum = 0;
                for (int64_t i = 0; i < w.n_in; ++i) sum += static_cast<double>(row[i]) * xt[i];
                y[t * w.n_out + r] = static_cast<float>(sum);
            }
        }
    });
}

}  // namespace

void matmul_with(const KernelTable& table, const MatmulWeights& w, const float* x, float* y,
                 int64_t n_tokens, ActivationMode mode, int n_threads) {
    check_weights(w);
    if (n_tokens < 0) fail("matmul with {} tokens", n_tokens);
    if (n_tokens == 0 || w.n_out == 0) return;
    if (mode == ActivationMode::Float) {
        matmul_float(w, x, y, n_tokens, n_threads);
        return;
    }
    if (!table.find(w.type))
        fail("kernel table '{}' has no {} kernel", table.name, quant::type_traits(w.type).name);
    float* const out[] = {y};
    matmul_quantized(table, std::span(&w, 1), out, x, n_tokens, n_threads);
}

void matmul(const MatmulWeights& w, const float* x, float* y, int64_t n_tokens, ActivationMode mode,
            int n_threads) {
    matmul_with(active_kernels(), w, x, y, n_tokens, mode, n_threads);
}

void matmul_shared_input(std::span<const MatmulWeights> ws, const float* x,
                         std::span<float* const> ys, int64_t n_tokens, ActivationMode mode,
                         int n_threads) {
    if (ws.size() != ys.size())
        fail("matmul_shared_input: {} matrices, {} outputs", ws.size(), ys.size());
    if (ws.empty()) return;
    bool shared = mode == ActivationMode::Quantized && n_tokens > 0;
    for (const MatmulWeights& w : ws) {
        check_weights(w);
        shared = shared && w.n_in == ws[0].n_in &&
                 activation_type(w.type) == activation_type(ws[0].type);
    }
    if (!shared) {
        for (size_t i = 0; i < ws.size(); ++i) matmul(ws[i], x, ys[i], n_tokens, mode, n_threads);
        return;
    }
    matmul_quantized(active_kernels(), ws, ys, x, n_tokens, n_threads);
}

ExpertStack make_expert_stack(TypeId type, int64_t n_expert, int64_t n_out, int64_t n_in,
                              const void* data) {
    if (n_expert < 0 || n_out < 0) fail("expert stack of {} x {} rows", n_expert, n_out);
    const uint64_t row = dense_row_bytes(type, n_in);
    const auto expert = checked_mul(row, static_cast<uint64_t>(n_out));
    if (!expert || !checked_mul(*expert, static_cast<uint64_t>(n_expert)))
        fail("expert stack [{}, {}, {}] is too large", n_expert, n_out, n_in);
    return ExpertStack{type, n_expert, n_out, n_in, data, row, *expert};
}

MatmulWeights expert_weights(const ExpertStack& stack, int64_t e) {
    if (e < 0 || e >= stack.n_expert)
        fail("expert {} out of range (the stack has {})", e, stack.n_expert);
    const auto* base =
        static_cast<const uint8_t*>(stack.data) + static_cast<uint64_t>(e) * stack.expert_stride;
    return MatmulWeights{stack.type, stack.n_out, stack.n_in, base, stack.row_stride};
}

}  // namespace ql::kernels
