// The batched attention core: the scalar reference against a double-precision
// softmax, the AVX-512 kernel against the scalar reference (every row-group
// size, key and head-size tail), and rows giving the same bits whatever tile
// they share.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/attn_f32.hpp"
#include "util/cpu.hpp"

namespace {

using namespace ql::kernels;

std::vector<float> random_vector(int64_t n, uint32_t seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, sigma);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = g(rng);
    return v;
}

// One head's cache and a tile of queries with causal key counts.
struct Problem {
    int64_t head_dim, n_pos, n_q;
    int64_t stride;               // k / v row stride (> head_dim, as in a multi-head cache)
    std::vector<float> k;         // [n_pos, stride]
    std::vector<float> v;         // [n_pos, stride]
    std::vector<float> kt;        // [head_dim, ld]
    std::vector<float> q;         // [n_q, head_dim]
    std::vector<int64_t> n_keys;  // [n_q]
    int64_t ld;

    Problem(int64_t d, int64_t n, int64_t rows, uint32_t seed, float sigma = 1.0f)
        : head_dim(d), n_pos(n), n_q(rows), stride(d + 8) {
        k = random_vector(n_pos * stride, seed, sigma);
        v = random_vector(n_pos * stride, seed + 1);
        q = random_vector(n_q * head_dim, seed + 2, sigma);
        ld = attn_keys_ld(n_pos);
        kt.assign(static_cast<size_t>(head_dim * ld), -1.0f);
        transpose_keys(k.data(), stride, n_pos, head_dim, kt.data(), ld);
        for (int64_t i = 0; i < n_q; ++i) n_keys.push_back(std::max<int64_t>(1, n_pos - i / 2));
    }
    AttnKeys keys() const {
        return {kt.data(),
                ld,
                v.data(),
                stride,
                n_pos,
                head_dim,
                1.0f / std::sqrt(static_cast<float>(head_dim))};
    }
};

using Kernel = void (*)(const AttnKeys&, const AttnQueries&, float*);

// Rows [first, first + count) of the problem through `kernel`: [count, head_dim + 1],
// the extra float per row a sentinel that must stay untouched.
std::vector<float> run(const Problem& p, Kernel kernel, int64_t first, int64_t count) {
    std::vector<float> out(static_cast<size_t>(count * (p.head_dim + 1)), 7.0f);
    std::vector<const float*> q;
    std::vector<float*> o;
    for (int64_t i = 0; i < count; ++i) {
        q.push_back(&p.q[(first + i) * p.head_dim]);
        o.push_back(&out[i * (p.head_dim + 1)]);
    }
    std::vector<float> scores(static_cast<size_t>(count * p.ld), 3.0f);
    kernel(p.keys(), {q.data(), o.data(), &p.n_keys[first], count}, scores.data());
    return out;
}

// Row i's output in double: softmax(q·K * scale) · V over its keys.
std::vector<double> reference_row(const Problem& p, int64_t i) {
    const int64_t n = p.n_keys[i];
    const double scale = 1.0 / std::sqrt(static_cast<double>(p.head_dim));
    std::vector<double> s(static_cast<size_t>(n));
    double max = -INFINITY;
    for (int64_t j = 0; j < n; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < p.head_dim; ++d)
            dot += double(p.q[i * p.head_dim + d]) * p.k[j * p.stride + d];
        s[j] = dot * scale;
        max = std::max(max, s[j]);
    }
    double sum = 0;
    for (auto& x : s) sum += (x = std::exp(x - max));
    std::vector<double> out(static_cast<size_t>(p.head_dim), 0.0);
    for (int64_t j = 0; j < n; ++j)
        for (int64_t d = 0; d < p.head_dim; ++d) out[d] += s[j] / sum * p.v[j * p.stride + d];
    return out;
}

TEST(AttnF32, TransposeCopiesKeysAndZeroesThePadding) {
    const Problem p(48, 37, 1, 5);
    ASSERT_EQ(p.ld % 16, 0);
    ASSERT_GT(p.ld, p.n_pos);
    for (int64_t d = 0; d < p.head_dim; ++d) {
        for (int64_t j = 0; j < p.ld; ++j) {
            const float want = j < p.n_pos ? p.k[j * p.stride + d] : 0.0f;
            ASSERT_EQ(p.kt[d * p.ld + j], want) << d << " " << j;
        }
    }
}

TEST(AttnF32, ScalarMatchesDoublePrecision) {
    for (const int64_t d : {16, 64, 80, 128}) {
        const Problem p(d, 70, 9, static_cast<uint32_t>(d));
        const auto got = run(p, scalar::attend_f32, 0, p.n_q);
        for (int64_t i = 0; i < p.n_q; ++i) {
            const auto want = reference_row(p, i);
            for (int64_t c = 0; c < d; ++c)
                ASSERT_NEAR(got[i * (d + 1) + c], want[c], 1e-5) << d << " " << i << " " << c;
            EXPECT_EQ(got[i * (d + 1) + d], 7.0f) << "wrote past the row";
        }
    }
}

// The AVX-512 kernel against the scalar reference, for every row count up to
// two groups and key counts around the 16- and 64-key blocks.
void expect_simd_matches_scalar(int64_t d, int64_t n_pos, int64_t n_q, float sigma) {
    const Problem p(d, n_pos, n_q, static_cast<uint32_t>(d * 1000 + n_pos), sigma);
    const auto want = run(p, scalar::attend_f32, 0, n_q);
    const auto got = run(p, simd::attend_f32_avx512, 0, n_q);
    for (int64_t i = 0; i < n_q; ++i) {
        for (int64_t c = 0; c <= d; ++c) {
            const float w = want[i * (d + 1) + c];
            ASSERT_NEAR(got[i * (d + 1) + c], w, 2e-6f + 2e-5f * std::fabs(w))
                << "d " << d << " n_pos " << n_pos << " rows " << n_q << " row " << i << " col "
                << c << " sigma " << sigma;
        }
    }
}

TEST(AttnF32, Avx512MatchesScalar) {
    if (!ql::cpu_features().avx512_kernels()) GTEST_SKIP() << "no AVX-512";
    for (const int64_t d : {16, 64, 80, 128})
        for (const int64_t n_pos : {1, 15, 16, 17, 63, 64, 65, 130})
            for (int64_t n_q = 1; n_q <= 13; ++n_q) expect_simd_matches_scalar(d, n_pos, n_q, 1.0f);
}

TEST(AttnF32, Avx512IsStableOnLargeScores) {
    if (!ql::cpu_features().avx512_kernels()) GTEST_SKIP() << "no AVX-512";
    // Scores of hundreds: exp underflows for most keys; the max-subtraction
    // keeps the rest finite.
    for (const int64_t n_pos : {17, 100}) expect_simd_matches_scalar(64, n_pos, 7, 10.0f);
}

TEST(AttnF32, RowsGiveTheSameBitsInAnyTile) {
    const Problem p(128, 90, 14, 42);
    const auto whole = run(p, attend_f32, 0, p.n_q);
    for (int64_t first = 0; first < p.n_q; first += 3) {
        const int64_t count = std::min<int64_t>(3, p.n_q - first);
        const auto part = run(p, attend_f32, first, count);
        for (int64_t i = 0; i < count; ++i)
            for (int64_t c = 0; c < p.head_dim; ++c)
                ASSERT_EQ(part[i * (p.head_dim + 1) + c], whole[(first + i) * (p.head_dim + 1) + c])
                    << first + i << " " << c;
    }
    for (int64_t i = 0; i < p.n_q; ++i) {
        const auto alone = run(p, attend_f32, i, 1);
        for (int64_t c = 0; c < p.head_dim; ++c)
            ASSERT_EQ(alone[c], whole[i * (p.head_dim + 1) + c]) << i << " " << c;
    }
}

}  // namespace
