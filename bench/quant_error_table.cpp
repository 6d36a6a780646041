// Prints the markdown table of docs/FORMATS.md: quantlab's quantization error
// against ggml's on ../shared/golden/quant-error, and exactness of
// dequantization against ggml's golden output.
//   build/bin/quant_error_table [SHARED_DIR]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "quant/error_stats.hpp"
#include "quant/types.hpp"

namespace {

using Manifest = std::map<std::string, std::map<std::string, std::string>>;

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<float> read_f32(const std::string& path) {
    auto b = read_bytes(path);
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), v.size() * 4);
    return v;
}

Manifest read_manifest(const std::string& path) {
    Manifest rows;
    std::ifstream f(path);
    std::string line;
    std::vector<std::string> header;
    auto split = [](const std::string& l) {
        std::vector<std::string> out;
        std::stringstream ss(l);
        for (std::string cell; std::getline(ss, cell, '\t');) out.push_back(cell);
        return out;
    };
    if (std::getline(f, line)) header = split(line);
    while (std::getline(f, line)) {
        auto cells = split(line);
        for (size_t i = 0; i < cells.size() && i < header.size(); ++i)
            rows[cells[0]][header[i]] = cells[i];
    }
    return rows;
}

std::string golden_name(std::string_view name) {
    std::string s(name);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s.size() > 2 && s.ends_with("_k")) s.back() = 'K';
    return s;
}

// "n/m" golden dequantization files reproduced bit for bit.
std::pair<int, int> exact_files(const ql::quant::TypeTraits& t, const std::string& dir) {
    int ok = 0, n = 0;
    for (const char* suffix : {"", ".imp"}) {
        const std::string base = dir + golden_name(t.name) + suffix;
        auto q = read_bytes(base + ".q");
        auto expected = read_f32(base + ".deq.f32");
        if (q.empty() || expected.empty()) continue;
        ++n;
        std::vector<float> got(expected.size());
        try {
            ql::quant::dequantize(t.id, q.data(), got.data(), static_cast<int64_t>(got.size()));
        } catch (...) {
            continue;
        }
        if (std::memcmp(got.data(), expected.data(), got.size() * 4) == 0) ++ok;
    }
    return {ok, n};
}

}  // namespace

int main(int argc, char** argv) {
    const std::string shared = argc > 1 ? argv[1] : QL_SHARED_DIR;
    const std::string qdir = shared + "/golden/quant/", edir = shared + "/golden/quant-error/";
    auto x = read_f32(edir + "input.f32");
    auto imp = read_f32(edir + "importance.f32");
    auto ggml = read_manifest(edir + "manifest.tsv");
    if (x.empty() || imp.empty()) {
        std::fprintf(stderr, "quant_error_table: no golden data under %s\n", edir.c_str());
        return 1;
    }
    const int64_t cols = static_cast<int64_t>(imp.size()),
                  rows = static_cast<int64_t>(x.size()) / cols;
    std::printf(
        "| type | bpw | exact deq | plain: ours | ggml | ratio | weighted: ours | ggml | ratio | "
        "worst row: ours | ggml |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    int total_ok = 0, total_n = 0;
    for (const auto& t : ql::quant::all_types()) {
        auto it = ggml.find(golden_name(t.name));
        if (it == ggml.end()) continue;
        auto& g = it->second;
        auto [ok, n] = exact_files(t, qdir);
        total_ok += ok;
        total_n += n;
        try {
            auto plain = ql::quant::round_trip_errors(t.id, x.data(), rows, cols, nullptr, false);
            auto weighted =
                ql::quant::round_trip_errors(t.id, x.data(), rows, cols, imp.data(), true);
            const double gp = std::stod(g["mean_rel_rmse_plain"]);
            const double gw = std::stod(g["mean_rel_rmse_importance_weighted"]);
            const double gworst = std::stod(g["worst_row_rel_rmse_plain"]);
            std::printf(
                "| %s | %.4g | %d/%d | %.5g | %.5g | %.4f | %.5g | %.5g | %.4f | %.4g | %.4g |\n",
                std::string(t.name).c_str(), t.bits_per_weight(), ok, n, plain.mean(), gp,
                std::isnan(gp) ? NAN : plain.mean() / gp, weighted.mean(), gw, weighted.mean() / gw,
                plain.worst(), gworst);
        } catch (const std::exception& e) {
            std::printf("| %s | %.4g | %d/%d | %s |\n", std::string(t.name).c_str(),
                        t.bits_per_weight(), ok, n, e.what());
        }
    }
    std::printf("\nexact dequantization: %d of %d golden files\n", total_ok, total_n);
    return 0;
}
