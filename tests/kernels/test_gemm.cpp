// The integer GEMM of prompt processing (kernels/gemm.hpp) for every type
// with a level decoder, on this CPU if it has AVX-512 VNNI: each output
// against the exact dot of dequantized weights and dequantized activations
// (the integer sums are ggml's, only float rounding differs), for row counts
// that are not multiples of the 16-row panel and token counts that are not
// multiples of the 8-token tile; and the same bits for any thread count.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel_fixture.hpp"
#include "kernels/gemm.hpp"
#include "kernels/levels.hpp"

namespace ql::test {
namespace {

std::vector<TypeId> gemm_types() {
    std::vector<TypeId> out;
    for (TypeId t : weight_types())
        if (kernels::level_decoder(t)) out.push_back(t);
    return out;
}

struct Case {
    int64_t n_out, n_in, n_tokens;
    std::vector<uint8_t> w, acts;
    size_t row_bytes = 0, act_bytes = 0;
};

Case make_case(TypeId type, int64_t n_out, int64_t n_in, int64_t n_tokens, uint32_t seed) {
    Case c{n_out,
           n_in,
           n_tokens,
           quantize_matrix(type, random_matrix(n_out, n_in, seed), n_out, n_in),
           {}};
    c.row_bytes = c.w.size() / static_cast<size_t>(n_out);
    c.act_bytes = kernels::activation_row_bytes(type, n_in);
    c.acts.resize(c.act_bytes * static_cast<size_t>(n_tokens));
    const auto x = random_matrix(n_tokens, n_in, seed + 1);
    for (int64_t t = 0; t < n_tokens; ++t)
        kernels::quantize_activations(type, x.data() + t * n_in, c.acts.data() + t * c.act_bytes,
                                      n_in);
    return c;
}

std::vector<float> run_gemm(TypeId type, const Case& c, int threads) {
    const kernels::MatmulWeights w{type, c.n_out, c.n_in, c.w.data(), c.row_bytes};
    std::vector<float> y(static_cast<size_t>(c.n_out * c.n_tokens), -1.0f);
    kernels::gemm_quantized(w, c.acts.data(), c.act_bytes, c.n_tokens, y.data(), threads);
    return y;
}

class Gemm : public ::testing::TestWithParam<TypeId> {};

TEST_P(Gemm, MatchesExactDotOfDequantizedRows) {
    const TypeId type = GetParam();
    if (!kernels::gemm_supported(type)) GTEST_SKIP() << "no AVX-512 VNNI here";
    for (int64_t n_tokens : {1, 8, 21}) {
        const Case c = make_case(type, 37, 512, n_tokens, static_cast<uint32_t>(n_tokens));
        const auto y = run_gemm(type, c, 2);
        for (int64_t t = 0; t < n_tokens; ++t)
            for (int64_t r = 0; r < c.n_out; ++r) {
                const DotReference ref = reference_dot(type, c.n_in, c.w.data() + r * c.row_bytes,
                                                       c.acts.data() + t * c.act_bytes);
                ASSERT_NEAR(y[t * c.n_out + r], ref.value, 2e-6 * ref.magnitude + 1e-30)
                    << type_name(type) << " tokens " << n_tokens << " token " << t << " row " << r;
            }
    }
}

TEST_P(Gemm, SameBitsForAnyThreadCount) {
    const TypeId type = GetParam();
    if (!kernels::gemm_supported(type)) GTEST_SKIP() << "no AVX-512 VNNI here";
    const Case c = make_case(type, 53, 256, 19, 5);
    const auto one = run_gemm(type, c, 1);
    for (int threads : {2, 3}) {
        const auto many = run_gemm(type, c, threads);
        EXPECT_EQ(std::memcmp(one.data(), many.data(), one.size() * 4), 0) << threads;
    }
}

INSTANTIATE_TEST_SUITE_P(Decoded, Gemm, ::testing::ValuesIn(gemm_types()),
                         [](const auto& p) { return type_name(p.param); });

}  // namespace
}  // namespace ql::test
