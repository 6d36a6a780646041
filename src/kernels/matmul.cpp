#include "kernels/matmul.hpp"

#include <vector>

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

void matmul_quantized(VecDotFn dot, const MatmulWeights& w, const float* x, float* y,
                      int64_t n_tokens, int n_threads) {
    const size_t act_bytes = activation_row_bytes(w.type, w.n_in);
    std::vector<uint8_t> acts(act_bytes * static_cast<size_t>(n_tokens));  // [n_tokens] rows
    parallel_for(n_tokens, n_threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
            quantize_activations(w.type, x + t * w.n_in, acts.data() + t * act_bytes, w.n_in);
    });
    parallel_for(w.n_out, n_threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = 0; t < n_tokens; ++t) {
            const uint8_t* act = acts.data() + t * act_bytes;
            float* out = y + t * w.n_out;  // [n_out]
            for (int64_t r = begin; r < end; ++r) out[r] = dot(w.n_in, weight_row(w, r), act);
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
    VecDotFn dot = table.find(w.type);
    if (!dot) dot = scalar_kernels().find(w.type);
    matmul_quantized(dot, w, x, y, n_tokens, n_threads);
}

void matmul(const MatmulWeights& w, const float* x, float* y, int64_t n_tokens, ActivationMode mode,
            int n_threads) {
    matmul_with(active_kernels(), w, x, y, n_tokens, mode, n_threads);
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
