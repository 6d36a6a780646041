// Matrix products y = x · Wᵀ for weights in any block format (issue 3).
#pragma once

#include <cstdint>
#include <span>

#include "kernels/kernels.hpp"

namespace ql::kernels {

// A weight matrix [n_out, n_in] in its stored format; row r starts at
// data + r * row_stride bytes.
struct MatmulWeights {
    TypeId type = TypeId::F32;
    int64_t n_out = 0;  // rows = output features
    int64_t n_in = 0;   // columns = input features
    const void* data = nullptr;
    uint64_t row_stride = 0;  // bytes between rows (>= the row's size)
};

enum class ActivationMode {
    Quantized,  // activations rounded to the weight type's activation format, as ggml does
    Float,      // weights dequantized to f32, f32 activations, double accumulation
};

// y [n_tokens, n_out] = x [n_tokens, n_in] · Wᵀ. Each token row is quantized
// once, then dotted with every weight row; output rows are split across
// n_threads. The result does not depend on n_threads. Throws ql::Error on a
// non-weight type or a bad shape.
void matmul(const MatmulWeights& w, const float* x, float* y, int64_t n_tokens, ActivationMode mode,
            int n_threads);

// One product of a batch: y [n_tokens, w.n_out] = x [n_tokens, w.n_in] · Wᵀ.
struct MatmulJob {
    MatmulWeights w;
    const float* x = nullptr;
    float* y = nullptr;
    int64_t n_tokens = 0;
};

// Independent products at once (the experts of a token): every distinct
// input is quantized once and the rows of all products share one parallel
// pass (large batches go through the GEMM one product at a time); each y has
// the same bits as its own matmul gives.
void matmul_many(std::span<const MatmulJob> jobs, ActivationMode mode, int n_threads);

// y_i [n_tokens, n_out_i] = x · W_iᵀ for several matrices of the same input
// (q/k/v, gate/up): the input is quantized once and the matrices' rows share
// one parallel pass; each y_i has the same bits as matmul(W_i) gives.
void matmul_shared_input(std::span<const MatmulWeights> ws, const float* x,
                         std::span<float* const> ys, int64_t n_tokens, ActivationMode mode,
                         int n_threads);

// Same with an explicit kernel table (tests compare tables against each other).
void matmul_with(const KernelTable& table, const MatmulWeights& w, const float* x, float* y,
                 int64_t n_tokens, ActivationMode mode, int n_threads);

// A stack of expert matrices [n_expert, n_out, n_in] stored contiguously.
struct ExpertStack {
    TypeId type = TypeId::F32;
    int64_t n_expert = 0;
    int64_t n_out = 0;
    int64_t n_in = 0;
    const void* data = nullptr;
    uint64_t row_stride = 0;     // bytes between rows of one expert
    uint64_t expert_stride = 0;  // bytes between experts (>= n_out * row_stride)
};

// Dense rows: row_stride = row size, expert_stride = n_out * row_stride.
// Throws ql::Error if n_in is not a multiple of the block size or sizes overflow.
ExpertStack make_expert_stack(TypeId type, int64_t n_expert, int64_t n_out, int64_t n_in,
                              const void* data);

// Expert e's matrix. Throws ql::Error if e is out of range.
MatmulWeights expert_weights(const ExpertStack& stack, int64_t e);

}  // namespace ql::kernels
