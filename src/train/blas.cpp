#include "train/blas.hpp"

#include <dlfcn.h>

#include <cblas.h>

#include <cstdint>
#include <cstdlib>

#include "util/cpu.hpp"
#include "util/error.hpp"

namespace ql::train {

namespace {

// OpenBLAS is loaded at run time, not linked: Debian's 0.3.21 does not know
// recent Xeons and, left to itself, picks its Prescott (SSE3) kernels,
// 5-8x slower than its SkylakeX (AVX-512) ones here. The choice is made
// when the library initialises, from OPENBLAS_CORETYPE, so that variable
// must be set before the library is loaded. A user's own setting wins.
struct OpenBlas {
    decltype(&cblas_sgemm) sgemm = nullptr;
    decltype(&openblas_set_num_threads) set_threads = nullptr;
};

const char* core_for_this_cpu() {
    const CpuFeatures& cpu = cpu_features();
    if (cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512dq) return "SkylakeX";
    if (cpu.avx2 && cpu.fma) return "Haswell";
    return nullptr;  // let OpenBLAS decide
}

void* open_library() {
    for (const char* name : {QL_OPENBLAS_LIBRARY, "libopenblas.so.0"})
        if (void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return h;
    fail("cannot load OpenBLAS ({}): install libopenblas0-pthread (scripts/setup.sh)", dlerror());
}

const OpenBlas& openblas() {
    static const OpenBlas lib = [] {
        if (const char* core = core_for_this_cpu()) setenv("OPENBLAS_CORETYPE", core, 0);
        void* h = open_library();
        OpenBlas b;
        b.sgemm = reinterpret_cast<decltype(&cblas_sgemm)>(dlsym(h, "cblas_sgemm"));
        b.set_threads = reinterpret_cast<decltype(&openblas_set_num_threads)>(
            dlsym(h, "openblas_set_num_threads"));
        if (!b.sgemm || !b.set_threads) fail("the OpenBLAS library lacks cblas_sgemm");
        return b;
    }();
    return lib;
}

blasint to_blas(int64_t v, const char* what) {
    if (v < 0 || v > INT32_MAX) fail("matrix {} {} does not fit a BLAS index", what, v);
    return static_cast<blasint>(v);
}

}  // namespace

void set_blas_threads(int n_threads) {
    openblas().set_threads(n_threads < 1 ? 1 : n_threads);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    if (m == 0 || n == 0) return;
    openblas().sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                     trans_b ? CblasTrans : CblasNoTrans, to_blas(m, "rows"), to_blas(n, "columns"),
                     to_blas(k, "depth"), alpha, a, to_blas(lda, "stride"), b,
                     to_blas(ldb, "stride"), beta, c, to_blas(ldc, "stride"));
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
