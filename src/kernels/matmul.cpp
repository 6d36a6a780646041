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

// One product with its input already quantized.
struct QuantizedJob {
    const MatmulWeights* w;
    const uint8_t* acts;  // [n_tokens] activation rows of act_bytes
    size_t act_bytes;
    float* y;
    int64_t n_tokens;
};

// The jobs' rows in one parallel pass, in chunks taken first come, first
// served (about 8 per thread).
void dot_jobs(const KernelTable& table, std::span<const QuantizedJob> jobs, int n_threads) {
    int64_t total = 0;
    for (const QuantizedJob& j : jobs) total += j.w->n_out;
    if (total == 0) return;
    const int64_t grain = std::max<int64_t>(16, total / (8 * std::max(n_threads, 1)));
    parallel_for_dynamic(total, n_threads, grain, [&](int64_t begin, int64_t end) {
        int64_t row0 = 0;  // first global row of the job
        for (const QuantizedJob& j : jobs) {
            const int64_t lo = std::max(begin, row0) - row0,
                          hi = std::min(end, row0 + j.w->n_out) - row0;
            for (int64_t t0 = 0; lo < hi && t0 < j.n_tokens; t0 += kTokenTile) {
                const int64_t n_tok = std::min(kTokenTile, j.n_tokens - t0);
                dot_tile(table, *j.w, j.acts, j.act_bytes, t0, n_tok, lo, hi, j.y);
            }
            row0 += j.w->n_out;
        }
    });
}

// Quantizes every distinct input once (jobs with the same x, token count and
// activation format share it), runs the GEMM jobs one after the other and
// the rest in one parallel pass.
void matmul_quantized(const KernelTable& table, std::span<const MatmulJob> jobs, int n_threads) {
    std::vector<std::vector<uint8_t>> inputs(jobs.size());  // quantized input of job i (or empty)
    std::vector<QuantizedJob> dots;
    for (size_t i = 0; i < jobs.size(); ++i) {
        const MatmulJob& job = jobs[i];
        const size_t act_bytes = activation_row_bytes(job.w.type, job.w.n_in);
        const uint8_t* acts = nullptr;
        for (size_t k = 0; k < i && !acts; ++k)
            if (jobs[k].x == job.x && jobs[k].n_tokens == job.n_tokens &&
                jobs[k].w.n_in == job.w.n_in &&
                activation_type(jobs[k].w.type) == activation_type(job.w.type))
                acts = inputs[k].data();
        if (!acts) {
            inputs[i] = quantize_rows(job.w.type, job.x, job.w.n_in, job.n_tokens, n_threads);
            acts = inputs[i].data();
        }
        if (use_gemm(table, job.w.type, job.n_tokens)) {
            gemm_quantized(job.w, acts, act_bytes, job.n_tokens, job.y, n_threads);
        } else {
            dots.push_back({&job.w, acts, act_bytes, job.y, job.n_tokens});
        }
    }
    dot_jobs(table, dots, n_threads);
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
    const MatmulJob job{w, x, y, n_tokens};
    matmul_quantized(table, std::span(&job, 1), n_threads);
}

void matmul(const MatmulWeights& w, const float* x, float* y, int64_t n_tokens, ActivationMode mode,
            int n_threads) {
    matmul_with(active_kernels(), w, x, y, n_tokens, mode, n_threads);
}

void matmul_many(std::span<const MatmulJob> jobs, ActivationMode mode, int n_threads) {
    bool together = mode == ActivationMode::Quantized;
    for (const MatmulJob& j : jobs) {
        check_weights(j.w);
        if (j.n_tokens < 0) fail("matmul with {} tokens", j.n_tokens);
        together = together && j.n_tokens > 0;
    }
    if (!together) {
        for (const MatmulJob& j : jobs) matmul(j.w, j.x, j.y, j.n_tokens, mode, n_threads);
        return;
    }
    matmul_quantized(active_kernels(), jobs, n_threads);
}

void matmul_shared_input(std::span<const MatmulWeights> ws, const float* x,
                         std::span<float* const> ys, int64_t n_tokens, ActivationMode mode,
                         int n_threads) {
    if (ws.size() != ys.size())
        fail("matmul_shared_input: {} matrices, {} outputs", ws.size(), ys.size());
    std::vector<MatmulJob> jobs;
    for (size_t i = 0; i < ws.size(); ++i) jobs.push_back({ws[i], x, ys[i], n_tokens});
    matmul_many(jobs, mode, n_threads);
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
