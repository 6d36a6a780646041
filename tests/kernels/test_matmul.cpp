// Matrix products: against a naive loop, independent of the thread count,
// odd shapes, padded rows and expert-stack addressing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernel_fixture.hpp"
#include "kernels/matmul.hpp"
#include "util/error.hpp"

namespace ql::test {
namespace {

using kernels::ActivationMode;
using kernels::MatmulWeights;

struct Problem {
    TypeId type;
    int64_t n_out, n_in, n_tokens;
    std::vector<float> x;    // [n_tokens, n_in]
    std::vector<uint8_t> w;  // [n_out] rows of row_bytes
    uint64_t row_bytes = 0;

    MatmulWeights weights() const { return MatmulWeights{type, n_out, n_in, w.data(), row_bytes}; }
};

Problem make_problem(TypeId type, int64_t n_out, int64_t n_in, int64_t n_tokens, uint32_t seed) {
    Problem p{type, n_out, n_in, n_tokens, random_matrix(n_tokens, n_in, seed + 1), {}, 0};
    p.w = quantize_matrix(type, random_matrix(n_out, n_in, seed), n_out, n_in);
    p.row_bytes = p.w.size() / static_cast<size_t>(n_out);
    return p;
}

std::vector<float> run(const Problem& p, ActivationMode mode, int threads) {
    std::vector<float> y(static_cast<size_t>(p.n_tokens * p.n_out), -1.0f);
    kernels::matmul(p.weights(), p.x.data(), y.data(), p.n_tokens, mode, threads);
    return y;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

class Matmul : public ::testing::TestWithParam<TypeId> {};

// Naive loop: per token, quantize the activations, then the double dot of
// dequantized weights and dequantized activations (quantized mode), or of
// dequantized weights and f32 activations (float mode).
TEST_P(Matmul, MatchesNaiveLoop) {
    const TypeId type = GetParam();
    const Problem p = make_problem(type, 7, 256, 3, 11);
    const auto yq = run(p, ActivationMode::Quantized, 2);
    const auto yf = run(p, ActivationMode::Float, 2);
    std::vector<uint8_t> act(kernels::activation_row_bytes(type, p.n_in));
    std::vector<float> wrow(static_cast<size_t>(p.n_in));
    for (int64_t t = 0; t < p.n_tokens; ++t) {
        const float* xt = p.x.data() + t * p.n_in;
        kernels::quantize_activations(type, xt, act.data(), p.n_in);
        for (int64_t r = 0; r < p.n_out; ++r) {
            const uint8_t* w = p.w.data() + r * p.row_bytes;
            const DotReference ref = reference_dot(type, p.n_in, w, act.data());
            EXPECT_NEAR(yq[t * p.n_out + r], ref.value, 2e-6 * ref.magnitude)
                << type_name(type) << " token " << t << " row " << r;
            quant::dequantize(type, w, wrow.data(), p.n_in);
            double exact = 0, magnitude = 0;
            for (int64_t i = 0; i < p.n_in; ++i) {
                exact += static_cast<double>(wrow[i]) * xt[i];
                magnitude += std::fabs(static_cast<double>(wrow[i]) * xt[i]);
            }
            EXPECT_NEAR(yf[t * p.n_out + r], exact, 1e-7 * magnitude) << type_name(type);
            // 8-bit activations stay close to the float result
            EXPECT_NEAR(yq[t * p.n_out + r], exact, 0.05 * magnitude) << type_name(type);
        }
    }
}

TEST_P(Matmul, SameBitsForAnyThreadCount) {
    const TypeId type = GetParam();
    const Problem p = make_problem(type, 13, 256, 5, 21);
    for (auto mode : {ActivationMode::Quantized, ActivationMode::Float}) {
        const auto one = run(p, mode, 1);
        EXPECT_TRUE(same_bits(one, run(p, mode, 2))) << type_name(type);
        EXPECT_TRUE(same_bits(one, run(p, mode, 3))) << type_name(type);
    }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, Matmul, ::testing::ValuesIn(weight_types()),
                         [](const auto& param_info) { return type_name(param_info.param); });

// Every token row of a batch equals the same row multiplied alone.
TEST(MatmulShapes, OddTokenCountsEqualRowByRow) {
    for (TypeId type : {TypeId::Q4_K, TypeId::Q8_0, TypeId::IQ2_XXS, TypeId::F16}) {
        for (int64_t n_tokens : {1, 3, 17}) {
            const Problem p = make_problem(type, 5, 512, n_tokens, 31);
            const auto batch = run(p, ActivationMode::Quantized, 3);
            for (int64_t t = 0; t < n_tokens; ++t) {
                std::vector<float> single(static_cast<size_t>(p.n_out));
                kernels::matmul(p.weights(), p.x.data() + t * p.n_in, single.data(), 1,
                                ActivationMode::Quantized, 1);
                // A batch may take the multi-row kernel, a single token the
                // one-row one: the same sums up to rounding.
                for (int64_t r = 0; r < p.n_out; ++r)
                    EXPECT_NEAR(single[r], batch[t * p.n_out + r],
                                1e-5f * (1.0f + std::fabs(single[r])))
                        << type_name(type) << " tokens " << n_tokens << " row " << t;
            }
        }
    }
}

TEST(MatmulShapes, PaddedRowStride) {
    const Problem p = make_problem(TypeId::Q6_K, 4, 256, 2, 41);
    const uint64_t stride = p.row_bytes + 64;
    std::vector<uint8_t> padded(stride * 4, 0xAB);
    for (int r = 0; r < 4; ++r)
        std::memcpy(padded.data() + r * stride, p.w.data() + r * p.row_bytes, p.row_bytes);
    std::vector<float> y(8);
    kernels::matmul({TypeId::Q6_K, 4, 256, padded.data(), stride}, p.x.data(), y.data(), 2,
                    ActivationMode::Quantized, 2);
    EXPECT_TRUE(same_bits(y, run(p, ActivationMode::Quantized, 1)));
}

TEST(MatmulShapes, RejectsBadArguments) {
    const Problem p = make_problem(TypeId::Q4_0, 2, 64, 1, 51);
    std::vector<float> y(2);
    MatmulWeights w = p.weights();
    w.row_stride = p.row_bytes - 1;
    EXPECT_THROW(kernels::matmul(w, p.x.data(), y.data(), 1, ActivationMode::Quantized, 1), Error);
    w = p.weights();
    w.n_in = 48;  // not a multiple of 32
    EXPECT_THROW(kernels::matmul(w, p.x.data(), y.data(), 1, ActivationMode::Quantized, 1), Error);
    w = p.weights();
    w.type = TypeId::Q8_K;
    EXPECT_THROW(kernels::matmul(w, p.x.data(), y.data(), 1, ActivationMode::Quantized, 1), Error);
}

// Expert e of a [n_expert, n_out, n_in] stack multiplies like the same
// matrix stored alone.
TEST(ExpertStack, AddressesEachExpert) {
    constexpr int64_t kExperts = 3, kOut = 6, kIn = 256, kTokens = 2;
    const TypeId type = TypeId::Q4_K;
    const auto all = random_matrix(kExperts * kOut, kIn, 61);
    const auto stacked = quantize_matrix(type, all, kExperts * kOut, kIn);
    const auto stack = kernels::make_expert_stack(type, kExperts, kOut, kIn, stacked.data());
    EXPECT_EQ(stack.expert_stride, stacked.size() / kExperts);
    const auto x = random_matrix(kTokens, kIn, 62);
    for (int64_t e = 0; e < kExperts; ++e) {
        const std::vector<float> part(all.begin() + e * kOut * kIn,
                                      all.begin() + (e + 1) * kOut * kIn);
        const auto alone = quantize_matrix(type, part, kOut, kIn);
        std::vector<float> y_stack(kTokens * kOut), y_alone(kTokens * kOut);
        kernels::matmul(kernels::expert_weights(stack, e), x.data(), y_stack.data(), kTokens,
                        ActivationMode::Quantized, 2);
        kernels::matmul({type, kOut, kIn, alone.data(), alone.size() / kOut}, x.data(),
                        y_alone.data(), kTokens, ActivationMode::Quantized, 1);
        EXPECT_TRUE(same_bits(y_stack, y_alone)) << "expert " << e;
    }
    EXPECT_THROW(kernels::expert_weights(stack, kExperts), Error);
    EXPECT_THROW(kernels::expert_weights(stack, -1), Error);
    EXPECT_THROW(kernels::make_expert_stack(type, 2, 2, 100, stacked.data()), Error);
}

}  // namespace
}  // namespace ql::test

namespace ql::test {
namespace {

// Matrices sharing one input give the same bits as separate products, with
// one activation format (Q4_K and Q6_K: Q8_K) or two (Q8_0 with Q4_K), for
// token counts on the dot-kernel path and on the GEMM path.
TEST(MatmulShared, SameBitsAsSeparateProducts) {
    for (auto types :
         {std::pair{TypeId::Q4_K, TypeId::Q6_K}, std::pair{TypeId::Q8_0, TypeId::Q4_K}})
        for (int64_t n_tokens : {1, 5, 20}) {
            const Problem a = make_problem(types.first, 19, 512, n_tokens, 3);
            Problem b = make_problem(types.second, 37, 512, n_tokens, 4);
            b.x = a.x;
            const kernels::MatmulWeights ws[] = {a.weights(), b.weights()};
            std::vector<float> ya(static_cast<size_t>(19 * n_tokens)),
                yb(static_cast<size_t>(37 * n_tokens));
            float* const ys[] = {ya.data(), yb.data()};
            kernels::matmul_shared_input(ws, a.x.data(), ys, n_tokens, ActivationMode::Quantized,
                                         2);
            EXPECT_TRUE(same_bits(ya, run(a, ActivationMode::Quantized, 2)))
                << type_name(types.first) << " " << n_tokens;
            EXPECT_TRUE(same_bits(yb, run(b, ActivationMode::Quantized, 3)))
                << type_name(types.second) << " " << n_tokens;
        }
}

}  // namespace
}  // namespace ql::test

namespace ql::test {
namespace {

// Independent products in one call: inputs shared or not, token counts on
// the dot-kernel and GEMM paths, several formats: each output has the bits
// of its own matmul.
TEST(MatmulMany, SameBitsAsSeparateProducts) {
    const Problem a = make_problem(TypeId::Q4_K, 21, 512, 1, 7);
    const Problem b = make_problem(TypeId::TQ1_0, 33, 512, 1, 8);
    Problem c = make_problem(TypeId::Q6_K, 17, 512, 1, 9);
    c.x = a.x;  // shares a's input
    const Problem d = make_problem(TypeId::Q8_0, 40, 256, 20, 10);
    const Problem* ps[] = {&a, &b, &c, &d};
    std::vector<std::vector<float>> ys;
    std::vector<kernels::MatmulJob> jobs;
    for (const Problem* p : ps) ys.emplace_back(static_cast<size_t>(p->n_out * p->n_tokens));
    for (size_t i = 0; i < 4; ++i)
        jobs.push_back({ps[i]->weights(), ps[i]->x.data(), ys[i].data(), ps[i]->n_tokens});
    kernels::matmul_many(jobs, ActivationMode::Quantized, 2);
    for (size_t i = 0; i < 4; ++i)
        EXPECT_TRUE(same_bits(ys[i], run(*ps[i], ActivationMode::Quantized, 3))) << i;
}

}  // namespace
}  // namespace ql::test
