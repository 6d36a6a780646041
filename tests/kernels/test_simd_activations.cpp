// The AVX-512 activation quantizers (src/kernels/activations_avx512.cpp)
// produce exactly the scalar bytes: Q8_0 / Q8_1 as the peer's x86 backend
// rounds them, and Q8_K as the reference quantizer does. Many random rows,
// plus rows built to hit halfway ties, zeros, repeated and opposite maxima,
// and tiny / huge magnitudes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/activations.hpp"
#include "quant/types.hpp"
#include "util/cpu.hpp"

namespace ql::test {
namespace {

constexpr int64_t kN = 2048;  // 8 Q8_K blocks, 64 Q8_0 blocks

// Row `kind` of a family of rows with seed `seed`.
std::vector<float> make_row(int kind, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::uniform_int_distribution<int> level(-127, 126);
    std::vector<float> x(kN);
    switch (kind) {
        case 0: {  // gaussian, magnitude varying by block
            for (int64_t i = 0; i < kN; ++i)
                x[i] = gauss(rng) * std::pow(10.0f, static_cast<float>((i / 32) % 7) - 3.0f);
            break;
        }
        case 1: {  // ties: |max| = 127 makes the multiplier exactly 1, the rest k +
                   // 0.5
            for (int64_t i = 0; i < kN; ++i) x[i] = static_cast<float>(level(rng)) + 0.5f;
            for (int64_t b = 0; b < kN; b += 32) x[b + rng() % 32] = (rng() % 2) ? 127.0f : -127.0f;
            break;
        }
        case 2: {  // zeros: whole blocks, scattered zeros, signed zeros
            for (int64_t i = 0; i < kN; ++i) {
                const int64_t blk = i / 256;
                x[i] = blk % 3 == 0 ? 0.0f
                                    : (rng() % 3 == 0 ? (rng() % 2 ? -0.0f : 0.0f) : gauss(rng));
            }
            break;
        }
        case 3: {  // +max and -max both, repeated maxima, in random order
            for (int64_t i = 0; i < kN; ++i) x[i] = gauss(rng);
            for (int64_t b = 0; b < kN; b += 32) {
                const float m = 4.0f + static_cast<float>(rng() % 5);
                for (int r = 0; r < 3; ++r) x[b + rng() % 32] = (rng() % 2) ? m : -m;
            }
            break;
        }
        case 4: {  // sparse: a few values per block
            for (int64_t i = 0; i < kN; ++i) x[i] = rng() % 16 == 0 ? gauss(rng) : 0.0f;
            break;
        }
        case 5: {  // tiny (subnormal maxima too) and huge magnitudes
            const float scales[] = {1e-42f, 1e-39f, 1e-30f, 1e-8f, 1e8f, 1e30f, 3e38f};
            for (int64_t i = 0; i < kN; ++i) x[i] = gauss(rng) * 0.25f * scales[(i / 256) % 7];
            break;
        }
        default: {  // ties at other scales: amax a power of two times 127
            const float s = std::ldexp(1.0f, static_cast<int>(rng() % 40) - 20);
            for (int64_t i = 0; i < kN; ++i) x[i] = (static_cast<float>(level(rng)) + 0.5f) * s;
            for (int64_t b = 0; b < kN; b += 32) x[b + rng() % 32] = -127.0f * s;
            break;
        }
    }
    return x;
}

using Quantizer = void (*)(const float*, void*, int64_t);

void q8_k_reference(const float* x, void* dst, int64_t n) {
    quant::quantize(quant::TypeId::Q8_K, x, dst, 1, n, nullptr);
}

void expect_same_bytes(Quantizer ref, Quantizer simd, size_t row_bytes, const char* name) {
    std::vector<uint8_t> a(row_bytes), b(row_bytes);
    for (int kind = 0; kind < 7; ++kind) {
        for (uint32_t seed = 1; seed <= 150; ++seed) {
            const auto x = make_row(kind, seed * 7919u + static_cast<uint32_t>(kind));
            std::memset(a.data(), 0xaa, row_bytes);
            std::memset(b.data(), 0x55, row_bytes);
            ref(x.data(), a.data(), kN);
            simd(x.data(), b.data(), kN);
            if (a != b) {
                size_t i = 0;
                while (a[i] == b[i]) ++i;
                FAIL() << name << ": kind " << kind << " seed " << seed << " first differing byte "
                       << i << " (" << int(a[i]) << " vs " << int(b[i]) << ")";
            }
        }
    }
}

class SimdActivations : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!cpu_features().avx512_kernels()) GTEST_SKIP() << "no AVX-512 here";
    }
};

TEST_F(SimdActivations, Q8_0MatchesScalarBytes) {
    expect_same_bytes(kernels::act::quantize_q8_0_x86, kernels::act::quantize_q8_0_x86_avx512,
                      kN / 32 * 34, "Q8_0");
}

TEST_F(SimdActivations, Q8_1MatchesScalarBytes) {
    expect_same_bytes(kernels::act::quantize_q8_1_x86, kernels::act::quantize_q8_1_x86_avx512,
                      kN / 32 * 36, "Q8_1");
}

TEST_F(SimdActivations, Q8_KMatchesReferenceBytes) {
    expect_same_bytes(q8_k_reference, kernels::act::quantize_q8_k_avx512, kN / 256 * 292, "Q8_K");
}

}  // namespace
}  // namespace ql::test
