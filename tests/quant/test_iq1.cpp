// IQ1_S / IQ1_M: bit-exact dequantization against ggml, quantization error
// against ggml's on the quant-error set, robustness on extreme rows,
// determinism and exact round trips of representable rows.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "quant/half.hpp"

using namespace ql;
using quant::TypeId;

namespace {

constexpr TypeId kTypes[] = {TypeId::IQ1_S, TypeId::IQ1_M};

std::vector<uint8_t> quantize_rows(TypeId id, const std::vector<float>& x, int64_t rows,
                                   const float* importance) {
    const auto& t = quant::type_traits(id);
    const int64_t cols = static_cast<int64_t>(x.size()) / rows;
    std::vector<uint8_t> q(static_cast<size_t>(x.size() / t.block_size * t.type_size));
    const size_t written = quant::quantize(id, x.data(), q.data(), rows, cols, importance);
    EXPECT_EQ(written, q.size()) << t.name;
    return q;
}

std::vector<float> dequantize_all(TypeId id, const std::vector<uint8_t>& q, size_t n) {
    std::vector<float> y(n);
    quant::dequantize(id, q.data(), y.data(), static_cast<int64_t>(n));
    return y;
}

// sum w (y - x)^2 and sum w x^2 in double (inputs may be near FLT_MAX).
struct Energy {
    double error = 0, signal = 0;
};
Energy weighted_energy(const std::vector<float>& x, const std::vector<float>& y, const float* w,
                       size_t cols) {
    Energy e;
    for (size_t i = 0; i < x.size(); ++i) {
        const double wi = w ? w[i % cols] : 1.0;
        const double d = static_cast<double>(y[i]) - x[i];
        e.error += wi * d * d;
        e.signal += wi * static_cast<double>(x[i]) * x[i];
    }
    return e;
}

std::vector<float> gaussian(size_t n, float sigma, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

}  // namespace

TEST(Iq1, ConcurrentFirstUseGivesSameBytes) {
    // The grid lookup is built lazily on first use (this is the first test of
    // the executable); two threads racing on it must agree with a serial run.
    const auto x = gaussian(8 * 256, 1.0f, 11);
    for (TypeId id : kTypes) {
        std::vector<uint8_t> a, b;
        std::thread ta([&] { a = quantize_rows(id, x, 8, nullptr); });
        std::thread tb([&] { b = quantize_rows(id, x, 8, nullptr); });
        ta.join();
        tb.join();
        EXPECT_EQ(a, b);
        EXPECT_EQ(a, quantize_rows(id, x, 8, nullptr));
    }
}

TEST(Iq1, GoldenDequantIq1S) {
    // ggml cannot quantize IQ1_S without importance: only the .imp golden exists.
    if (!test::expect_golden_dequant(TypeId::IQ1_S, true)) GTEST_SKIP();
}

TEST(Iq1, GoldenDequantIq1M) {
    if (!test::expect_golden_dequant(TypeId::IQ1_M, false)) GTEST_SKIP();
    test::expect_golden_dequant(TypeId::IQ1_M, true);
}

TEST(Iq1, ErrorBarIq1S) {
    const auto start = std::chrono::steady_clock::now();
    test::expect_error_bar(TypeId::IQ1_S, 1.10);
    std::printf("IQ1_S: error bar (256x1024, plain + importance passes) took %.2f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

TEST(Iq1, ErrorBarIq1M) {
    const auto start = std::chrono::steady_clock::now();
    test::expect_error_bar(TypeId::IQ1_M, 1.10);
    std::printf("IQ1_M: error bar (256x1024, plain + importance passes) took %.2f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

TEST(Iq1, ExtremeRowsStayFiniteAndBeatZeros) {
    constexpr size_t kCols = 1024;
    struct Case {
        const char* name;
        std::vector<float> x;
    };
    std::vector<Case> cases;
    cases.push_back({"zeros", std::vector<float>(kCols, 0.0f)});
    auto huge = gaussian(kCols, 1.0f, 1);
    huge[300] = 3e38f;
    cases.push_back({"single huge", huge});
    auto lone_huge = std::vector<float>(kCols, 0.0f);
    lone_huge[5] = -3e38f;
    cases.push_back({"lone huge", lone_huge});
    cases.push_back({"subnormal", std::vector<float>(kCols, 1e-40f)});
    std::vector<float> mixed(kCols);
    for (size_t i = 0; i < kCols; ++i) mixed[i] = (i % 7 == 0) ? 3e38f : (i % 2 ? -1e-40f : 1e-30f);
    cases.push_back({"mixed huge/tiny", mixed});
    auto negative = gaussian(kCols, 0.1f, 2);
    for (auto& v : negative) v = -std::fabs(v) - 1e-3f;
    cases.push_back({"negative only", negative});
    cases.push_back({"constant", std::vector<float>(kCols, 0.37f)});
    cases.push_back({"constant negative", std::vector<float>(kCols, -1234.5f)});
    cases.push_back({"constant huge", std::vector<float>(kCols, 2e38f)});
    const auto importance = gaussian(kCols, 1.0f, 3);
    std::vector<float> imp(kCols);
    for (size_t i = 0; i < kCols; ++i) imp[i] = importance[i] * importance[i];

    for (TypeId id : kTypes) {
        for (const auto& c : cases) {
            for (const float* w :
                 {static_cast<const float*>(nullptr), static_cast<const float*>(imp.data())}) {
                const auto q = quantize_rows(id, c.x, 1, w);
                const auto y = dequantize_all(id, q, c.x.size());
                bool finite = true;
                for (float v : y) finite = finite && std::isfinite(v);
                const auto name = quant::type_traits(id).name;
                EXPECT_TRUE(finite) << name << " " << c.name;
                const Energy e = weighted_energy(c.x, y, w, kCols);
                EXPECT_LE(e.error, e.signal * (1 + 1e-9)) << name << " " << c.name;
                if (e.signal == 0) {
                    EXPECT_EQ(e.error, 0.0) << name << " " << c.name;
                }
            }
        }
    }
}

TEST(Iq1, QuantizationIsDeterministic) {
    const auto x = gaussian(4 * 512, 0.05f, 7);
    for (TypeId id : kTypes) {
        const auto a = quantize_rows(id, x, 4, nullptr);
        const auto b = quantize_rows(id, x, 4, nullptr);
        EXPECT_EQ(a, b) << quant::type_traits(id).name;
    }
}

TEST(Iq1, RepresentableRowsRoundTripExactly) {
    // Random valid codes (random grid indices, scales and delta signs, with
    // one block at the top scale 15 so that d is the natural choice):
    // decoding them gives a row the format represents exactly, and our
    // quantizer must find that code again.
    std::mt19937 rng(5);
    for (TypeId id : kTypes) {
        const auto& t = quant::type_traits(id);
        for (int trial = 0; trial < 40; ++trial) {
            std::vector<uint8_t> code(static_cast<size_t>(t.type_size));
            for (auto& b : code) b = static_cast<uint8_t>(rng());
            const uint16_t d = quant::f32_to_fp16(0.001f * static_cast<float>(1 + rng() % 1000));
            if (id == TypeId::IQ1_S) {
                quant::store_u16(code.data(), d);  // d, then block 0 scale = 7
                quant::store_u16(code.data() + 34, quant::load_u16(code.data() + 34) | 0x7000);
            } else {
                for (int i = 0; i < 4; ++i) {  // nibble i of d in bits 12..15 of sc[i]
                    uint16_t sc = quant::load_u16(code.data() + 48 + 2 * i) & 0x0fff;
                    sc |= static_cast<uint16_t>(((d >> (4 * i)) & 0xf) << 12);
                    if (i == 0) sc |= 7;  // block 0 scale = 7
                    quant::store_u16(code.data() + 48 + 2 * i, sc);
                }
            }
            const auto x = dequantize_all(id, code, 256);
            const auto again = quantize_rows(id, x, 1, nullptr);
            EXPECT_EQ(dequantize_all(id, again, 256), x) << t.name << " trial " << trial;
            EXPECT_EQ(again, code) << t.name << " trial " << trial;
        }
    }
}

TEST(Iq1, MultiRowCallWithImportance) {
    // Three rows of two super-blocks at different scales, one call: the same
    // bytes as row-by-row calls (the importance applies to every row), and
    // the importance lowers the importance-weighted error.
    constexpr int64_t kRows = 3, kCols = 512;
    std::vector<float> x;
    for (int64_t r = 0; r < kRows; ++r) {
        const auto row = gaussian(kCols, std::pow(10.0f, -static_cast<float>(r)), 20 + r);
        x.insert(x.end(), row.begin(), row.end());
    }
    std::vector<float> imp(kCols);
    std::mt19937 rng(9);
    std::exponential_distribution<float> heavy(1.0f);
    for (auto& w : imp) w = std::pow(heavy(rng), 3.0f);
    for (TypeId id : kTypes) {
        const auto& t = quant::type_traits(id);
        const auto all = quantize_rows(id, x, kRows, imp.data());
        const size_t row_bytes = all.size() / kRows;
        for (int64_t r = 0; r < kRows; ++r) {
            std::vector<float> row(x.begin() + r * kCols, x.begin() + (r + 1) * kCols);
            const auto one = quantize_rows(id, row, 1, imp.data());
            EXPECT_TRUE(std::equal(one.begin(), one.end(), all.begin() + r * row_bytes))
                << t.name << " row " << r;
            const auto plain = quantize_rows(id, row, 1, nullptr);
            const Energy with =
                weighted_energy(row, dequantize_all(id, one, kCols), imp.data(), kCols);
            const Energy without =
                weighted_energy(row, dequantize_all(id, plain, kCols), imp.data(), kCols);
            EXPECT_LT(with.error, without.error) << t.name << " row " << r;
        }
    }
}
