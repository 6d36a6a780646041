#include "train/blas.hpp"

#include <cblas.h>

#include "util/error.hpp"

namespace ql::train {

namespace {

blasint to_blas(int64_t v, const char* what) {
    if (v < 0 || v > INT32_MAX) fail("matrix {} {} does not fit a BLAS index", what, v);
    return static_cast<blasint>(v);
}

}  // namespace

void set_blas_threads(int n_threads) {
    openblas_set_num_threads(n_threads < 1 ? 1 : n_threads);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    if (m == 0 || n == 0) return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, to_blas(m, "rows"), to_blas(n, "columns"),
                to_blas(k, "depth"), alpha, a, to_blas(lda, "stride"), b, to_blas(ldb, "stride"),
                beta, c, to_blas(ldc, "stride"));
}

void linear_forward(const float* x, const float* w, float* y, int64_t rows, int64_t n_in,
                    int64_t n_out, bool accumulate) {
    gemm(false, true, rows, n_out, n_in, 1.0f, x, n_in, w, n_in, accumulate ? 1.0f : 0.0f, y,
         n_out);
}

void linear_backward(const float* x, const float* w, const float* dy, float* dx, float* dw,
                     int64_t rows, int64_t n_in, int64_t n_out, bool accumulate_dx) {
    if (dx)
        gemm(false, false, rows, n_in, n_out, 1.0f, dy, n_out, w, n_in, accumulate_dx ? 1.0f : 0.0f,
             dx, n_in);
    if (dw) gemm(true, false, n_out, n_in, rows, 1.0f, dy, n_out, x, n_in, 1.0f, dw, n_in);
}

}  // namespace ql::train
