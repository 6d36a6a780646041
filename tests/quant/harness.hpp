// Shared checks for the tensor formats: bit-exact dequantization against
// ggml's golden output, and quantization error against ggml's on the
// quant-error set (../shared/golden). Tests GTEST_SKIP when the golden data
// is absent.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "quant/error_stats.hpp"
#include "quant/types.hpp"
#include "util/error.hpp"

namespace ql::test {

inline std::string shared_dir() {
    return QL_SHARED_DIR;
}

inline bool file_exists(const std::string& p) {
    return std::filesystem::exists(p);
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                                std::istreambuf_iterator<char>());
}

inline std::vector<float> read_f32(const std::string& path) {
    auto b = read_bytes(path);
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), v.size() * 4);
    return v;
}

// ggml's file names: lower case except the K of the k-quants ("q4_K").
inline std::string golden_name(const quant::TypeTraits& t) {
    std::string s(t.name);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s.size() > 2 && s.substr(s.size() - 2) == "_k") s.back() = 'K';
    return s;
}

// Rows of a tab-separated manifest keyed by its first column.
inline std::map<std::string, std::map<std::string, std::string>> read_manifest(
    const std::string& path) {
    std::map<std::string, std::map<std::string, std::string>> rows;
    std::ifstream f(path);
    std::string line;
    std::vector<std::string> header;
    auto split = [](const std::string& l) {
        std::vector<std::string> out;
        std::stringstream ss(l);
        std::string cell;
        while (std::getline(ss, cell, '\t')) out.push_back(cell);
        return out;
    };
    if (std::getline(f, line)) header = split(line);
    while (std::getline(f, line)) {
        auto cells = split(line);
        if (cells.empty()) continue;
        for (size_t i = 0; i < cells.size() && i < header.size(); ++i)
            rows[cells[0]][header[i]] = cells[i];
    }
    return rows;
}

// Dequantizes golden/quant/TYPE[.imp].q and compares bit for bit with
// TYPE[.imp].deq.f32. Returns false (and records a skip reason) if absent.
inline bool expect_golden_dequant(quant::TypeId id, bool with_importance) {
    const auto& t = quant::type_traits(id);
    const std::string base =
        shared_dir() + "/golden/quant/" + golden_name(t) + (with_importance ? ".imp" : "");
    if (!file_exists(base + ".q") || !file_exists(base + ".deq.f32")) return false;
    auto q = read_bytes(base + ".q");
    auto expected = read_f32(base + ".deq.f32");
    EXPECT_EQ(q.size(), expected.size() / t.block_size * t.type_size) << base;
    std::vector<float> got(expected.size());
    quant::dequantize(id, q.data(), got.data(), static_cast<int64_t>(got.size()));
    int64_t mismatches = 0, first = -1;
    for (size_t i = 0; i < got.size(); ++i) {
        uint32_t a, b;
        std::memcpy(&a, &got[i], 4);
        std::memcpy(&b, &expected[i], 4);
        if (a != b) {
            if (first < 0) first = static_cast<int64_t>(i);
            ++mismatches;
        }
    }
    EXPECT_EQ(mismatches, 0) << base << ": first mismatch at " << first << " got "
                             << (first >= 0 ? got[first] : 0) << " expected "
                             << (first >= 0 ? expected[first] : 0);
    return true;
}

struct ErrorStats {
    double mean_rel_rmse = 0;           // mean over rows of RMSE/RMS
    double mean_rel_rmse_weighted = 0;  // same, with importance weights in both sums
    double worst_row = 0;               // max over rows of RMSE/RMS (plain)
};

// Quantizes the quant-error set (256 rows x 1024) with and without importance
// and measures the error of the round trip.
inline ErrorStats measure_quant_error(quant::TypeId id) {
    const std::string dir = shared_dir() + "/golden/quant-error/";
    auto x = read_f32(dir + "input.f32");
    auto imp = read_f32(dir + "importance.f32");
    const int64_t cols = static_cast<int64_t>(imp.size());
    const int64_t rows = static_cast<int64_t>(x.size()) / cols;
    auto plain = quant::round_trip_errors(id, x.data(), rows, cols, nullptr, false);
    auto weighted = quant::round_trip_errors(id, x.data(), rows, cols, imp.data(), true);
    return ErrorStats{plain.mean(), weighted.mean(), plain.worst()};
}

// ggml's numbers for the same set (NaN where ggml cannot quantize without importance).
inline ErrorStats ggml_quant_error(quant::TypeId id) {
    auto m = read_manifest(shared_dir() + "/golden/quant-error/manifest.tsv");
    auto row = m[golden_name(quant::type_traits(id))];
    ErrorStats s;
    s.mean_rel_rmse = std::stod(row["mean_rel_rmse_plain"]);
    s.mean_rel_rmse_weighted = std::stod(row["mean_rel_rmse_importance_weighted"]);
    s.worst_row = std::stod(row["worst_row_rel_rmse_plain"]);
    return s;
}

// The bar of issue 2: mean relative RMSE <= ratio x ggml's, plain and weighted
// (where ggml has a number), and no row worse than writing zeros.
inline void expect_error_bar(quant::TypeId id, double ratio) {
    if (!file_exists(shared_dir() + "/golden/quant-error/input.f32")) {
        GTEST_SKIP() << "no golden data";
    }
    ErrorStats ours = measure_quant_error(id), ggml = ggml_quant_error(id);
    const auto name = quant::type_traits(id).name;
    if (!std::isnan(ggml.mean_rel_rmse)) {
        EXPECT_LE(ours.mean_rel_rmse, ratio * ggml.mean_rel_rmse) << name << " plain";
    }
    EXPECT_LE(ours.mean_rel_rmse_weighted, ratio * ggml.mean_rel_rmse_weighted)
        << name << " weighted";
    EXPECT_LE(ours.worst_row, 1.0) << name << " worst row";
    std::printf("%s: plain %.6g (ggml %.6g, x%.4f)  weighted %.6g (ggml %.6g, x%.4f)  worst %.4g\n",
                std::string(name).c_str(), ours.mean_rel_rmse, ggml.mean_rel_rmse,
                ours.mean_rel_rmse / ggml.mean_rel_rmse, ours.mean_rel_rmse_weighted,
                ggml.mean_rel_rmse_weighted,
                ours.mean_rel_rmse_weighted / ggml.mean_rel_rmse_weighted, ours.worst_row);
}

}  // namespace ql::test
