// Generates the vec_dot goldens of tests/kernels/test_vec_dot_golden.cpp with
// the llama.cpp peer's ggml (CPU backend, the kernels llama.cpp runs here).
// Build and run: see gen_vec_dot_golden.sh. Writes, into the current folder:
//   input.f32               [2 x 4 rows, 512] weights (rows 0-3), activations (rows 4-7)
//   importance.f32          [512] importance for types that need it
//   TYPE.w                  4 weight rows quantized by ggml_quantize_chunk
//   TYPE.act                4 activation rows quantized by ggml's CPU from_float
//                           (the vec_dot type's quantizer as llama.cpp runs it)
//   TYPE.dot.f32            [4] ggml's vec_dot(weight row r, activation row r)
//   TYPE.generic.f32        [4] the same from ggml's generic (scalar) code, compiled
//                           from ggml-cpu/quants.c without FMA (quantized types only)
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ggml-cpu.h"
#include "ggml.h"

// ggml's generic dot products (ggml-cpu/quants.c, linked in by the script).
// On x86 ggml has no Q2_0 kernel of its own: the generic one carries the plain name.
extern "C" {
#define QL_GENERIC(name)                                                                      \
    void name(int n, float* s, size_t bs, const void* x, size_t bx, const void* y, size_t by, \
              int nrc)
QL_GENERIC(ggml_vec_dot_q1_0_q8_0_generic);
QL_GENERIC(ggml_vec_dot_q2_0_q8_0);
QL_GENERIC(ggml_vec_dot_q4_0_q8_0_generic);
QL_GENERIC(ggml_vec_dot_q4_1_q8_1_generic);
QL_GENERIC(ggml_vec_dot_q5_0_q8_0_generic);
QL_GENERIC(ggml_vec_dot_q5_1_q8_1_generic);
QL_GENERIC(ggml_vec_dot_q8_0_q8_0_generic);
QL_GENERIC(ggml_vec_dot_mxfp4_q8_0_generic);
QL_GENERIC(ggml_vec_dot_nvfp4_q8_0_generic);
QL_GENERIC(ggml_vec_dot_iq4_nl_q8_0_generic);
QL_GENERIC(ggml_vec_dot_q2_K_q8_K_generic);
QL_GENERIC(ggml_vec_dot_q3_K_q8_K_generic);
QL_GENERIC(ggml_vec_dot_q4_K_q8_K_generic);
QL_GENERIC(ggml_vec_dot_q5_K_q8_K_generic);
QL_GENERIC(ggml_vec_dot_q6_K_q8_K_generic);
QL_GENERIC(ggml_vec_dot_tq1_0_q8_K_generic);
QL_GENERIC(ggml_vec_dot_tq2_0_q8_K_generic);
QL_GENERIC(ggml_vec_dot_iq4_xs_q8_K_generic);
QL_GENERIC(ggml_vec_dot_iq2_xxs_q8_K_generic);
QL_GENERIC(ggml_vec_dot_iq2_xs_q8_K_generic);
QL_GENERIC(ggml_vec_dot_iq2_s_q8_K_generic);
QL_GENERIC(ggml_vec_dot_iq3_xxs_q8_K_generic);
QL_GENERIC(ggml_vec_dot_iq3_s_q8_K_generic);
QL_GENERIC(ggml_vec_dot_iq1_s_q8_K_generic);
QL_GENERIC(ggml_vec_dot_iq1_m_q8_K_generic);
#undef QL_GENERIC
}

namespace {

using GenericDot = void (*)(int, float*, size_t, const void*, size_t, const void*, size_t, int);

struct GenericEntry {
    ggml_type type;
    GenericDot dot;
};

const GenericEntry kGeneric[] = {
    {GGML_TYPE_Q1_0, ggml_vec_dot_q1_0_q8_0_generic},
    {GGML_TYPE_Q2_0, ggml_vec_dot_q2_0_q8_0},
    {GGML_TYPE_Q4_0, ggml_vec_dot_q4_0_q8_0_generic},
    {GGML_TYPE_Q4_1, ggml_vec_dot_q4_1_q8_1_generic},
    {GGML_TYPE_Q5_0, ggml_vec_dot_q5_0_q8_0_generic},
    {GGML_TYPE_Q5_1, ggml_vec_dot_q5_1_q8_1_generic},
    {GGML_TYPE_Q8_0, ggml_vec_dot_q8_0_q8_0_generic},
    {GGML_TYPE_MXFP4, ggml_vec_dot_mxfp4_q8_0_generic},
    {GGML_TYPE_NVFP4, ggml_vec_dot_nvfp4_q8_0_generic},
    {GGML_TYPE_IQ4_NL, ggml_vec_dot_iq4_nl_q8_0_generic},
    {GGML_TYPE_Q2_K, ggml_vec_dot_q2_K_q8_K_generic},
    {GGML_TYPE_Q3_K, ggml_vec_dot_q3_K_q8_K_generic},
    {GGML_TYPE_Q4_K, ggml_vec_dot_q4_K_q8_K_generic},
    {GGML_TYPE_Q5_K, ggml_vec_dot_q5_K_q8_K_generic},
    {GGML_TYPE_Q6_K, ggml_vec_dot_q6_K_q8_K_generic},
    {GGML_TYPE_TQ1_0, ggml_vec_dot_tq1_0_q8_K_generic},
    {GGML_TYPE_TQ2_0, ggml_vec_dot_tq2_0_q8_K_generic},
    {GGML_TYPE_IQ4_XS, ggml_vec_dot_iq4_xs_q8_K_generic},
    {GGML_TYPE_IQ2_XXS, ggml_vec_dot_iq2_xxs_q8_K_generic},
    {GGML_TYPE_IQ2_XS, ggml_vec_dot_iq2_xs_q8_K_generic},
    {GGML_TYPE_IQ2_S, ggml_vec_dot_iq2_s_q8_K_generic},
    {GGML_TYPE_IQ3_XXS, ggml_vec_dot_iq3_xxs_q8_K_generic},
    {GGML_TYPE_IQ3_S, ggml_vec_dot_iq3_s_q8_K_generic},
    {GGML_TYPE_IQ1_S, ggml_vec_dot_iq1_s_q8_K_generic},
    {GGML_TYPE_IQ1_M, ggml_vec_dot_iq1_m_q8_K_generic},
};

GenericDot generic_dot(ggml_type t) {
    for (const auto& e : kGeneric)
        if (e.type == t) return e.dot;
    return nullptr;
}

constexpr int kRows = 4, kCols = 512;

void write(const std::string& path, const void* data, size_t bytes) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(data, 1, bytes, f) != bytes) {
        std::perror(path.c_str());
        std::exit(1);
    }
    std::fclose(f);
}

std::string file_name(ggml_type t) {
    return ggml_type_name(t);
}

}  // namespace

int main() {
    ggml_cpu_init();
    std::mt19937 rng(20261127);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::vector<float> input(2 * kRows * kCols), importance(kCols);
    for (int r = 0; r < 2 * kRows; ++r)
        for (int c = 0; c < kCols; ++c)
            input[r * kCols + c] = gauss(rng) * std::pow(10.0f, -static_cast<float>(r % 3));
    for (int c = 0; c < kCols; ++c) importance[c] = 0.5f + static_cast<float>(rng() % 100) / 50;
    write("input.f32", input.data(), input.size() * 4);
    write("importance.f32", importance.data(), importance.size() * 4);

    const ggml_type types[] = {
        GGML_TYPE_F32,    GGML_TYPE_F16,     GGML_TYPE_BF16,   GGML_TYPE_Q4_0,  GGML_TYPE_Q4_1,
        GGML_TYPE_Q5_0,   GGML_TYPE_Q5_1,    GGML_TYPE_Q8_0,   GGML_TYPE_Q1_0,  GGML_TYPE_Q2_0,
        GGML_TYPE_MXFP4,  GGML_TYPE_NVFP4,   GGML_TYPE_IQ4_NL, GGML_TYPE_Q2_K,  GGML_TYPE_Q3_K,
        GGML_TYPE_Q4_K,   GGML_TYPE_Q5_K,    GGML_TYPE_Q6_K,   GGML_TYPE_TQ1_0, GGML_TYPE_TQ2_0,
        GGML_TYPE_IQ4_XS, GGML_TYPE_IQ2_XXS, GGML_TYPE_IQ2_XS, GGML_TYPE_IQ2_S, GGML_TYPE_IQ3_XXS,
        GGML_TYPE_IQ3_S,  GGML_TYPE_IQ1_S,   GGML_TYPE_IQ1_M};
    for (ggml_type t : types) {
        ggml_quantize_init(t);
        const auto* traits = ggml_get_type_traits_cpu(t);
        const ggml_type at = traits->vec_dot_type;
        const size_t wrow = ggml_row_size(t, kCols), arow = ggml_row_size(at, kCols);
        std::vector<uint8_t> w(wrow * kRows), a(arow * kRows);
        ggml_quantize_chunk(t, input.data(), w.data(), 0, kRows, kCols, importance.data());
        const auto* atraits = ggml_get_type_traits_cpu(at);
        std::vector<float> dots(kRows), generic(kRows);
        const GenericDot scalar = generic_dot(t);
        for (int r = 0; r < kRows; ++r) {
            const float* x = input.data() + (kRows + r) * kCols;
            if (at == GGML_TYPE_F32)
                std::copy(x, x + kCols, reinterpret_cast<float*>(a.data() + r * arow));
            else
                atraits->from_float(x, a.data() + r * arow, kCols);
            traits->vec_dot(kCols, &dots[r], 0, w.data() + r * wrow, 0, a.data() + r * arow, 0, 1);
            if (scalar)
                scalar(kCols, &generic[r], 0, w.data() + r * wrow, 0, a.data() + r * arow, 0, 1);
        }
        write(file_name(t) + ".w", w.data(), w.size());
        write(file_name(t) + ".act", a.data(), a.size());
        write(file_name(t) + ".dot.f32", dots.data(), dots.size() * 4);
        if (scalar) write(file_name(t) + ".generic.f32", generic.data(), generic.size() * 4);
        std::printf("%-8s act %-5s dots %g %g %g %g\n", ggml_type_name(t), ggml_type_name(at),
                    dots[0], dots[1], dots[2], dots[3]);
    }
    return 0;
}
