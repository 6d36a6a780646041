// Checks shared by the tests of every quantized format: robustness on
// extreme inputs and extreme importance weights, determinism, multi-row calls
// with importance, error on ggml's golden input, and exact round trips.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "quant/types.hpp"

namespace ql::test {

struct NamedRow {
    std::string name;
    std::vector<float> values;  // [n]
};

// The extreme inputs of issue 2, each a row of n values (n a multiple of 256).
inline std::vector<NamedRow> extreme_rows(int n) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<NamedRow> rows;
    rows.push_back({"zeros", std::vector<float>(n, 0.0f)});
    std::vector<float> huge(n, 0.0f);
    huge[n / 3] = 3e38f;
    rows.push_back({"single huge", huge});
    std::vector<float> all_huge(n);
    for (int i = 0; i < n; ++i) all_huge[i] = (i % 2 ? -3e38f : 3e38f) * (0.5f + 0.5f * i / n);
    rows.push_back({"all huge", all_huge});
    std::vector<float> tiny(n);
    for (int i = 0; i < n; ++i) tiny[i] = 1e-40f * normal(rng);
    rows.push_back({"subnormal", tiny});
    std::vector<float> mixed(n);
    for (int i = 0; i < n; ++i) mixed[i] = (i % 5 == 0 ? 3e38f : 1e-40f) * (i % 2 ? -1.0f : 1.0f);
    rows.push_back({"mixed huge/tiny", mixed});
    std::vector<float> negative(n);
    for (int i = 0; i < n; ++i) negative[i] = -std::fabs(normal(rng)) - 0.01f;
    rows.push_back({"negative only", negative});
    rows.push_back({"constant", std::vector<float>(n, 0.37f)});
    rows.push_back({"constant negative", std::vector<float>(n, -1234.5f)});
    std::vector<float> gaussian(n);
    for (int i = 0; i < n; ++i) gaussian[i] = normal(rng);
    rows.push_back({"gaussian", gaussian});
    std::vector<float> large(n);
    for (int i = 0; i < n; ++i) large[i] = 1e5f * std::sin(0.3f * static_cast<float>(i));
    rows.push_back({"large 1e5", large});
    return rows;
}

inline std::vector<float> random_importance(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 4.0f);
    std::vector<float> w(n);
    for (auto& v : w) v = u(rng) * u(rng);
    return w;
}

inline size_t quantized_bytes(quant::TypeId id, int64_t rows, int64_t n_per_row) {
    const auto& t = quant::type_traits(id);
    return static_cast<size_t>(rows * (n_per_row / t.block_size) * t.type_size);
}

// Quantize then dequantize rows x ([rows, n_per_row]).
inline std::vector<float> round_trip(quant::TypeId id, const std::vector<float>& x,
                                     int64_t n_per_row, const float* importance,
                                     std::vector<uint8_t>* bytes = nullptr) {
    const int64_t rows = static_cast<int64_t>(x.size()) / n_per_row;
    std::vector<uint8_t> q(quantized_bytes(id, rows, n_per_row));
    const size_t written = quant::quantize(id, x.data(), q.data(), rows, n_per_row, importance);
    EXPECT_EQ(written, q.size());
    std::vector<float> y(x.size());
    quant::dequantize(id, q.data(), y.data(), static_cast<int64_t>(y.size()));
    if (bytes) *bytes = q;
    return y;
}

// sum w (x - y)^2 in double; w null means uniform.
inline double weighted_error(const std::vector<float>& x, const std::vector<float>& y,
                             const float* w) {
    double err = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double d = static_cast<double>(x[i]) - y[i];
        err += (w ? w[i] : 1.0) * d * d;  // w: [x.size()]
    }
    return err;
}

// Finite output, error no worse than zeros (plain and weighted), and the same
// bytes on a second call, for every extreme row.
inline void expect_robust(quant::TypeId id, bool can_write_zero = true) {
    const int n = 512;
    const auto w = random_importance(n, 3);
    for (const auto& row : extreme_rows(n)) {
        for (const float* imp : {static_cast<const float*>(nullptr), w.data()}) {
            std::vector<uint8_t> first, second;
            const auto y = round_trip(id, row.values, n, imp, &first);
            round_trip(id, row.values, n, imp, &second);
            const std::string what =
                std::string(quant::type_traits(id).name) + " " + row.name + (imp ? " imp" : "");
            EXPECT_EQ(first, second) << what << ": not deterministic";
            int non_finite = 0;
            for (float v : y) non_finite += std::isfinite(v) ? 0 : 1;
            EXPECT_EQ(non_finite, 0) << what;
            const std::vector<float> zeros(n, 0.0f);
            const double err = weighted_error(row.values, y, imp);
            const double zero_err = weighted_error(row.values, zeros, imp);
            if (can_write_zero || zero_err > 0) {
                EXPECT_LE(err, zero_err * (1 + 1e-9)) << what << ": worse than zeros";
            }
        }
    }
}

// n_rows rows quantized with importance in one call equal the rows quantized
// one at a time, and the importance-aware result has no larger weighted error
// than the plain one (a smaller one if `importance_must_help`).
inline void expect_multi_row_importance(quant::TypeId id, bool importance_must_help = false) {
    const int n = 1024, rows = 4;
    std::mt19937 rng(11);
    std::student_t_distribution<float> heavy(4.0f);
    std::vector<float> x(static_cast<size_t>(n * rows));
    for (auto& v : x) v = 0.02f * heavy(rng);
    const auto w = random_importance(n, 5);
    std::vector<uint8_t> all;
    round_trip(id, x, n, w.data(), &all);
    const size_t row_bytes = all.size() / rows;
    double err_imp = 0, err_plain = 0;
    for (int r = 0; r < rows; ++r) {
        std::vector<float> one(x.begin() + r * n, x.begin() + (r + 1) * n);
        std::vector<uint8_t> single;
        const auto y_imp = round_trip(id, one, n, w.data(), &single);
        const auto y_plain = round_trip(id, one, n, nullptr);
        EXPECT_TRUE(std::equal(single.begin(), single.end(), all.begin() + r * row_bytes))
            << quant::type_traits(id).name << " row " << r;
        err_imp += weighted_error(one, y_imp, w.data());
        err_plain += weighted_error(one, y_plain, w.data());
    }
    EXPECT_LE(err_imp, err_plain) << quant::type_traits(id).name;
    if (importance_must_help) {
        EXPECT_LT(err_imp, err_plain) << quant::type_traits(id).name;
    }
    EXPECT_GT(err_imp, 0.0) << quant::type_traits(id).name;
}

// A falling ramp of negative values and a constant row (256 values each) come
// back with a relative RMSE below `bound`.
inline void expect_moderate_rows_accurate(quant::TypeId id, double bound) {
    std::vector<float> ramp(256), constant(256, 0.75f);
    for (int i = 0; i < 256; ++i) ramp[i] = -1.0f - 0.01f * float(i);
    const std::vector<float> zeros(256, 0.0f);
    for (const auto* x : {&ramp, &constant}) {
        const auto y = round_trip(id, *x, 256, nullptr);
        EXPECT_LT(std::sqrt(weighted_error(*x, y, nullptr) / weighted_error(*x, zeros, nullptr)),
                  bound)
            << quant::type_traits(id).name << (x == &ramp ? " ramp" : " constant");
    }
}

// Importance weights at the edges of what a file can hold (all zero, one
// huge, subnormal, every other column zero): the output stays finite and its
// importance-weighted error is no larger than that of writing zeros.
inline void expect_robust_to_extreme_importance(quant::TypeId id) {
    const int n = 512, rows = 2;
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(rows * n));  // [rows, n]
    for (auto& v : x) v = normal(rng);
    std::vector<NamedRow> weights;
    weights.push_back({"all zero", std::vector<float>(n, 0.0f)});
    weights.push_back({"one huge", std::vector<float>(n, 0.0f)});
    weights.back().values[100] = 3e38f;
    weights.push_back({"subnormal", std::vector<float>(n, 1e-40f)});
    weights.push_back({"alternating", std::vector<float>(n, 0.0f)});
    for (int c = 0; c < n; c += 2) weights.back().values[static_cast<size_t>(c)] = 1.0f;
    for (const auto& [name, imp] : weights) {
        const auto y = round_trip(id, x, n, imp.data());
        const std::string what = std::string(quant::type_traits(id).name) + " importance " + name;
        double err = 0, zero = 0;
        int non_finite = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            non_finite += std::isfinite(y[i]) ? 0 : 1;
            const double w = imp[i % n], d = static_cast<double>(y[i]) - x[i];
            err += w * d * d;
            zero += w * static_cast<double>(x[i]) * x[i];
        }
        EXPECT_EQ(non_finite, 0) << what;
        EXPECT_LE(err, zero) << what;
    }
}

// On ggml's golden input (8 rows x 1024; row 6 zeros, row 7 sparse spikes)
// the RMSE, plain and importance-weighted, is no larger than ggml's (from the
// manifest). False if the golden data is absent.
inline bool expect_golden_input_no_worse_than_ggml(quant::TypeId id) {
    const std::string dir = shared_dir() + "/golden/quant/";
    if (!file_exists(dir + "manifest.tsv")) return false;
    const auto x = read_f32(dir + "input.f32");
    const auto imp = read_f32(dir + "importance.f32");
    const auto manifest = read_manifest(dir + "manifest.tsv");
    const int64_t cols = static_cast<int64_t>(imp.size());
    const auto& t = quant::type_traits(id);
    auto row = manifest.at(golden_name(t));
    auto rmse = [&](const std::vector<float>& y, bool weighted) {
        double num = 0, den = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            const double w = weighted ? imp[i % static_cast<size_t>(cols)] : 1.0;
            const double d = static_cast<double>(y[i]) - x[i];
            num += w * d * d;
            den += w;
        }
        return std::sqrt(num / den);
    };
    const double plain = rmse(round_trip(id, x, cols, nullptr), false);
    const double weighted = rmse(round_trip(id, x, cols, imp.data()), true);
    EXPECT_LE(plain, std::stod(row["rmse_plain"])) << t.name;
    EXPECT_LE(weighted, std::stod(row["weighted_rmse_importance"])) << t.name;
    std::printf("%s on golden input: rmse %.6g (ggml %s), weighted %.6g (ggml %s)\n",
                std::string(t.name).c_str(), plain, row["rmse_plain"].c_str(), weighted,
                row["weighted_rmse_importance"].c_str());
    return true;
}

// The registry's scalar reference dequantizer (not the run-time SIMD choice)
// reproduces ggml's golden output bit for bit. False if the files are absent.
inline bool expect_scalar_golden_dequant(quant::TypeId id, bool with_importance) {
    const auto& t = quant::type_traits(id);
    const std::string base =
        shared_dir() + "/golden/quant/" + golden_name(t) + (with_importance ? ".imp" : "");
    if (!file_exists(base + ".q") || !file_exists(base + ".deq.f32")) return false;
    const auto q = read_bytes(base + ".q");
    const auto expected = read_f32(base + ".deq.f32");
    std::vector<float> got(expected.size());
    t.dequantize(q.data(), got.data(), static_cast<int64_t>(got.size()));
    int64_t mismatches = 0;
    for (size_t i = 0; i < got.size(); ++i)
        mismatches += std::memcmp(&got[i], &expected[i], sizeof(float)) != 0;
    EXPECT_EQ(mismatches, 0) << base << " (scalar reference)";
    return true;
}

}  // namespace ql::test
