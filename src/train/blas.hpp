// The f32 matrix products of training, on OpenBLAS (sgemm reaches 220-295
// GFLOP/s with 2 threads here, well above what our own f32 kernels do), in
// the three shapes a linear layer needs. Matrices are row-major; a weight
// W is [n_out, n_in] (n_out rows of n_in), as GGUF stores it.
#pragma once

#include <cstdint>

namespace ql::train {

// Threads OpenBLAS may use (call once at start; 1..n).
void set_blas_threads(int n_threads);

// C[m, n] = alpha * op(A) * op(B) + beta * C, op = transpose when the flag is
// set; lda/ldb/ldc are the row strides of A, B and C as stored.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// y[rows, n_out] = x[rows, n_in] * W^T (+ y when accumulate)
void linear_forward(const float* x, const float* w, float* y, int64_t rows, int64_t n_in,
                    int64_t n_out, bool accumulate = false);
// dx[rows, n_in] (+)= dy[rows, n_out] * W; dW[n_out, n_in] += dy^T * x.
// Either output may be null (not needed).
void linear_backward(const float* x, const float* w, const float* dy, float* dx, float* dw,
                     int64_t rows, int64_t n_in, int64_t n_out, bool accumulate_dx = false);

}  // namespace ql::train
