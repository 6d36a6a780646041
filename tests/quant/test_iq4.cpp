// IQ4_NL and IQ4_XS: bit-exact dequantization against ggml, quantization
// error against ggml's, robustness on extreme rows, determinism.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "harness.hpp"
#include "quant/half.hpp"
#include "quant/iq4_common.hpp"

using namespace ql;
using quant::TypeId;

namespace {

const TypeId kTypes[] = {TypeId::IQ4_NL, TypeId::IQ4_XS};

std::vector<uint8_t> quantize_rows(TypeId id, const std::vector<float>& x, int64_t rows,
                                   const float* importance = nullptr) {
    const auto& t = quant::type_traits(id);
    const int64_t cols = static_cast<int64_t>(x.size()) / rows;
    std::vector<uint8_t> q(static_cast<size_t>(*quant::row_bytes(t, cols) * rows));
    EXPECT_EQ(quant::quantize(id, x.data(), q.data(), rows, cols, importance), q.size());
    return q;
}

std::vector<float> round_trip(TypeId id, const std::vector<float>& x, int64_t rows = 1,
                              const float* importance = nullptr) {
    auto q = quantize_rows(id, x, rows, importance);
    std::vector<float> y(x.size());
    quant::dequantize(id, q.data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
}

// Relative RMSE of y against x (0 for an all-zero x reproduced exactly).
double relative_rmse(const std::vector<float>& x, const std::vector<float>& y) {
    double num = 0, den = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double d = double(y[i]) - double(x[i]);
        num += d * d;
        den += double(x[i]) * double(x[i]);
    }
    return den > 0 ? std::sqrt(num / den) : (num > 0 ? INFINITY : 0.0);
}

// Rows no quantizer may fail on, 256 values each.
std::vector<std::pair<const char*, std::vector<float>>> extreme_rows() {
    std::vector<std::pair<const char*, std::vector<float>>> rows;
    auto add = [&](const char* name, auto fill) {
        std::vector<float> v(256);
        for (int i = 0; i < 256; ++i) v[i] = fill(i);
        rows.emplace_back(name, std::move(v));
    };
    add("zeros", [](int) { return 0.0f; });
    add("one huge", [](int i) { return i == 37 ? 3e38f : 0.0f; });
    add("all huge", [](int i) { return (i % 3 ? 3e38f : -2e38f); });
    add("tiny", [](int i) { return (i % 2 ? 1e-40f : -1e-40f) * float(i % 7); });
    add("huge and tiny", [](int i) { return i % 5 == 0 ? -3e38f : 1e-40f * float(i); });
    add("negative only", [](int i) { return -1.0f - 0.01f * float(i); });
    add("constant", [](int) { return 0.75f; });
    add("large 1e5", [](int i) { return 1e5f * std::sin(0.3f * float(i)); });
    return rows;
}

}  // namespace

TEST(Iq4, GoldenDequantIq4Nl) {
    if (!test::expect_golden_dequant(TypeId::IQ4_NL, false)) GTEST_SKIP() << "no golden data";
    EXPECT_TRUE(test::expect_golden_dequant(TypeId::IQ4_NL, true));
}

TEST(Iq4, GoldenDequantIq4Xs) {
    if (!test::expect_golden_dequant(TypeId::IQ4_XS, false)) GTEST_SKIP() << "no golden data";
    EXPECT_TRUE(test::expect_golden_dequant(TypeId::IQ4_XS, true));
}

TEST(Iq4, ErrorBarIq4Nl) {
    const auto start = std::chrono::steady_clock::now();
    test::expect_error_bar(TypeId::IQ4_NL, 1.005);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("IQ4_NL: 2 x 256x1024 quantized in %.2f s\n", s);
}

TEST(Iq4, ErrorBarIq4Xs) {
    const auto start = std::chrono::steady_clock::now();
    test::expect_error_bar(TypeId::IQ4_XS, 1.005);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("IQ4_XS: 2 x 256x1024 quantized in %.2f s\n", s);
}

TEST(Iq4, NearestLevel) {
    for (int i = 0; i < 16; ++i) EXPECT_EQ(quant::nearest_iq4_level(quant::kIq4Levels[i]), i);
    EXPECT_EQ(quant::nearest_iq4_level(-1e300), 0);
    EXPECT_EQ(quant::nearest_iq4_level(1e300), 15);
    EXPECT_EQ(quant::nearest_iq4_level(-INFINITY), 0);
    EXPECT_EQ(quant::nearest_iq4_level(6.9), 8);  // 1 and 13: cut at 7
    EXPECT_EQ(quant::nearest_iq4_level(7.1), 9);
    // Just below the lookup table's ends (rounding must not step outside it).
    EXPECT_EQ(quant::nearest_iq4_level(std::nextafter(114.0, 0.0)), 15);
    EXPECT_EQ(quant::nearest_iq4_level(std::nextafter(-128.0, 0.0)), 0);
    EXPECT_EQ(quant::nearest_iq4_level(-128.0), 0);
    for (double v = -140; v < 130; v += 0.0625) {  // agrees with a plain scan
        int best = 0;
        for (int i = 1; i < 16; ++i)
            if (std::fabs(v - quant::kIq4Levels[i]) < std::fabs(v - quant::kIq4Levels[best]))
                best = i;
        const double gap = std::fabs(v - quant::kIq4Levels[quant::nearest_iq4_level(v)]);
        EXPECT_EQ(gap, std::fabs(v - quant::kIq4Levels[best])) << v;
    }
}

TEST(Iq4, ExtremeRowsStayFiniteAndNoWorseThanZeros) {
    for (TypeId id : kTypes) {
        for (const auto& [name, x] : extreme_rows()) {
            auto y = round_trip(id, x);
            for (size_t i = 0; i < y.size(); ++i)
                ASSERT_TRUE(std::isfinite(y[i]))
                    << quant::type_traits(id).name << " " << name << " value " << i;
            EXPECT_LE(relative_rmse(x, y), 1.0) << quant::type_traits(id).name << " " << name;
        }
    }
}

TEST(Iq4, ModerateRowsAreAccurate) {
    // Rows well inside fp16 range lose only the 4-bit rounding.
    for (TypeId id : kTypes) {
        for (const auto& [name, x] : extreme_rows()) {
            if (std::string(name) != "negative only" && std::string(name) != "constant") continue;
            EXPECT_LT(relative_rmse(x, round_trip(id, x)), 0.05)
                << quant::type_traits(id).name << " " << name;
        }
    }
}

TEST(Iq4, ExtremeImportanceStaysFiniteAndNoWorseThanZeros) {
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0.0f, 1.0f);
    const int64_t cols = 512;
    std::vector<float> x(2 * cols);
    for (auto& v : x) v = g(rng);
    std::vector<std::pair<const char*, std::vector<float>>> weights;
    weights.emplace_back("all zero", std::vector<float>(cols, 0.0f));
    weights.emplace_back("one huge", std::vector<float>(cols, 0.0f));
    weights.back().second[100] = 3e38f;
    weights.emplace_back("tiny", std::vector<float>(cols, 1e-40f));
    weights.emplace_back("alternating", std::vector<float>(cols, 0.0f));
    for (int64_t c = 0; c < cols; c += 2) weights.back().second[c] = 1.0f;
    for (TypeId id : kTypes) {
        for (const auto& [name, imp] : weights) {
            auto y = round_trip(id, x, 2, imp.data());
            double err = 0, zero = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                ASSERT_TRUE(std::isfinite(y[i])) << quant::type_traits(id).name << " " << name;
                const double d = double(y[i]) - x[i];
                err += imp[i % cols] * d * d;
                zero += imp[i % cols] * double(x[i]) * x[i];
            }
            EXPECT_LE(err, zero) << quant::type_traits(id).name << " " << name;
        }
    }
}

TEST(Iq4, GoldenInputNoWorseThanGgml) {
    // golden/quant: 8 rows x 1024 (row 6 zeros, row 7 sparse spikes); the
    // manifest holds ggml's RMSE over the whole set, plain and with importance.
    const std::string dir = test::shared_dir() + "/golden/quant/";
    if (!test::file_exists(dir + "manifest.tsv")) GTEST_SKIP() << "no golden data";
    auto x = test::read_f32(dir + "input.f32");
    auto imp = test::read_f32(dir + "importance.f32");
    const auto manifest = test::read_manifest(dir + "manifest.tsv");
    const int64_t cols = static_cast<int64_t>(imp.size()), rows = x.size() / imp.size();
    for (TypeId id : kTypes) {
        const auto& t = quant::type_traits(id);
        auto row = manifest.at(test::golden_name(t));
        auto rmse = [&](const std::vector<float>& y, bool weighted) {
            double num = 0, den = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                const double w = weighted ? imp[i % cols] : 1.0, d = double(y[i]) - x[i];
                num += w * d * d;
                den += w;
            }
            return std::sqrt(num / den);
        };
        const double plain = rmse(round_trip(id, x, rows), false);
        const double weighted = rmse(round_trip(id, x, rows, imp.data()), true);
        EXPECT_LE(plain, std::stod(row["rmse_plain"])) << t.name;
        EXPECT_LE(weighted, std::stod(row["weighted_rmse_importance"])) << t.name;
        std::printf("%s on golden input: rmse %.6g (ggml %s), weighted %.6g (ggml %s)\n",
                    std::string(t.name).c_str(), plain, row["rmse_plain"].c_str(), weighted,
                    row["weighted_rmse_importance"].c_str());
    }
}

TEST(Iq4, QuantizingTwiceGivesSameBytes) {
    std::mt19937 rng(7);
    std::normal_distribution<float> g(0.0f, 0.3f);
    std::vector<float> x(3 * 512), imp(512);
    for (auto& v : x) v = g(rng);
    for (auto& v : imp) v = std::fabs(g(rng)) + 0.01f;
    for (TypeId id : kTypes) {
        EXPECT_EQ(quantize_rows(id, x, 3), quantize_rows(id, x, 3)) << quant::type_traits(id).name;
        EXPECT_EQ(quantize_rows(id, x, 3, imp.data()), quantize_rows(id, x, 3, imp.data()))
            << quant::type_traits(id).name;
    }
}

TEST(Iq4, RepresentableRowComesBackExactly) {
    // IQ4_NL: each block is an exact fp16 scale times table levels.
    std::vector<float> nl(64);
    for (int i = 0; i < 64; ++i) {
        const float d = i < 32 ? 0.5f : -0.0078125f;
        const int code = (i * 7 + 3) % 16;
        nl[i] = d * quant::kIq4Levels[i % 32 == 5 ? 0 : code];  // each block holds level -127
    }
    EXPECT_EQ(round_trip(TypeId::IQ4_NL, nl), nl);
    // IQ4_XS: super scale 2^-6, sub-scales -32 (widest), 5, -3, 17, ... times levels.
    std::vector<float> xs(256);
    const int subs[8] = {-32, 5, -3, 17, 31, -8, 1, 12};
    for (int i = 0; i < 256; ++i) {
        const float dl = 0.015625f * static_cast<float>(subs[i / 32]);
        const int code = i % 32 == 0 ? 0 : (i * 5 + 1) % 16;
        xs[i] = dl * quant::kIq4Levels[code];
    }
    EXPECT_EQ(round_trip(TypeId::IQ4_XS, xs), xs);
}

TEST(Iq4, MultiRowWithImportance) {
    // Rows are independent: one call over 4 rows equals 4 calls of one row,
    // and quantizing with the importance lowers the importance-weighted error.
    std::mt19937 rng(11);
    std::student_t_distribution<float> t(3.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const int64_t rows = 4, cols = 512;
    std::vector<float> x(rows * cols), imp(cols);
    for (auto& v : x) v = 0.05f * t(rng);
    for (auto& v : imp) v = u(rng) * u(rng) * 10.0f;
    for (TypeId id : kTypes) {
        const auto name = quant::type_traits(id).name;
        auto all = quantize_rows(id, x, rows, imp.data());
        const size_t row_size = all.size() / rows;
        for (int64_t r = 0; r < rows; ++r) {
            std::vector<float> one(x.begin() + r * cols, x.begin() + (r + 1) * cols);
            auto q = quantize_rows(id, one, 1, imp.data());
            EXPECT_TRUE(std::equal(q.begin(), q.end(), all.begin() + r * row_size)) << name;
        }
        auto weighted = [&](const std::vector<float>& y) {
            double e = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                const double d = double(y[i]) - x[i];
                e += imp[i % cols] * d * d;
            }
            return e;
        };
        EXPECT_LT(weighted(round_trip(id, x, rows, imp.data())), weighted(round_trip(id, x, rows)))
            << name;
    }
}
