// quantlab compare-weights REFERENCE.gguf OTHER.gguf [--json] (hidden, for
// benchmarks): how far OTHER's weights are from REFERENCE's, per tensor and
// overall, as relative RMSE = sqrt(sum (b - a)^2 / sum a^2) over the
// dequantized values of the tensors both files share.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "gguf/gguf.hpp"
#include "util/error.hpp"

namespace ql::cli {

namespace {

struct CompareArgs {
    std::string reference, other;
    bool json = false;
};

struct TensorError {
    std::string name;
    std::string type_a, type_b;
    int64_t n = 0;
    double sum_sq_diff = 0, sum_sq_ref = 0;
    double rel_rmse() const {
        return sum_sq_ref > 0 ? std::sqrt(sum_sq_diff / sum_sq_ref) : std::sqrt(sum_sq_diff);
    }
};

constexpr int64_t kValuesPerChunk = int64_t{1} << 20;

// Dequantizes rows [row, row + rows) of `t` into `out` ([rows][ne0]).
void dequantize_rows(const gguf::TensorInfo& t, int64_t row, int64_t rows,
                     std::vector<float>& out) {
    const uint64_t row_bytes =
        *quant::row_bytes(quant::type_traits(t.type), static_cast<uint64_t>(t.shape[0]));
    out.resize(static_cast<size_t>(rows * t.shape[0]));
    quant::dequantize(t.type, t.data + static_cast<uint64_t>(row) * row_bytes, out.data(),
                      rows * t.shape[0]);
}

TensorError compare_tensor(const gguf::TensorInfo& a, const gguf::TensorInfo& b) {
    TensorError e{a.name,
                  std::string(quant::type_traits(a.type).name),
                  std::string(quant::type_traits(b.type).name),
                  a.n_elements(),
                  0,
                  0};
    const int64_t n_rows = a.n_rows();
    const int64_t chunk_rows = std::max<int64_t>(1, kValuesPerChunk / a.shape[0]);
    std::vector<float> va, vb;  // [chunk_rows][ne0]
    for (int64_t row = 0; row < n_rows; row += chunk_rows) {
        const int64_t rows = std::min(chunk_rows, n_rows - row);
        dequantize_rows(a, row, rows, va);
        dequantize_rows(b, row, rows, vb);
        for (size_t i = 0; i < va.size(); ++i) {
            const double d = static_cast<double>(vb[i]) - static_cast<double>(va[i]);
            e.sum_sq_diff += d * d;
            e.sum_sq_ref += static_cast<double>(va[i]) * static_cast<double>(va[i]);
        }
    }
    return e;
}

void run_compare(const CompareArgs& args) {
    const gguf::GgufFile a = gguf::GgufFile::open(args.reference);
    const gguf::GgufFile b = gguf::GgufFile::open(args.other);
    std::vector<TensorError> errors;
    std::vector<std::string> unmatched;
    TensorError total{"(all)", "", "", 0, 0, 0};
    for (const auto& ta : a.tensors()) {
        const gguf::TensorInfo* tb = b.find_tensor(ta.name);
        if (!tb || tb->shape != ta.shape) {
            unmatched.push_back(ta.name);
            continue;
        }
        errors.push_back(compare_tensor(ta, *tb));
        total.n += errors.back().n;
        total.sum_sq_diff += errors.back().sum_sq_diff;
        total.sum_sq_ref += errors.back().sum_sq_ref;
    }
    if (errors.empty())
        fail("{} and {} share no tensor of the same name and shape", args.reference, args.other);
    if (args.json) {
        nlohmann::json tensors = nlohmann::json::array();
        for (const auto& e : errors)
            tensors.push_back({{"name", e.name},
                               {"type_a", e.type_a},
                               {"type_b", e.type_b},
                               {"n", e.n},
                               {"rel_rmse", e.rel_rmse()}});
        const nlohmann::json j = {{"reference", args.reference},
                                  {"other", args.other},
                                  {"overall_rel_rmse", total.rel_rmse()},
                                  {"n", total.n},
                                  {"tensors", tensors},
                                  {"unmatched", unmatched}};
        fmt::print("{}\n", j.dump(2));
        return;
    }
    size_t width = 6;
    for (const auto& e : errors) width = std::max(width, e.name.size());
    fmt::print("{:<{}}  {:<7}  {:<7}  {:>12}\n", "tensor", width, "ref", "other", "rel. RMSE");
    for (const auto& e : errors)
        fmt::print("{:<{}}  {:<7}  {:<7}  {:>12.6f}\n", e.name, width, e.type_a, e.type_b,
                   e.rel_rmse());
    fmt::print("{:<{}}  {:<7}  {:<7}  {:>12.6f}\n", "(all)", width, "", "", total.rel_rmse());
    if (!unmatched.empty())
        fmt::print("{} tensors of {} have no match in {}\n", unmatched.size(), args.reference,
                   args.other);
}

}  // namespace

void register_compare_weights(CLI::App& app, int& status) {
    auto args = std::make_shared<CompareArgs>();
    auto* cmd = app.add_subcommand("compare-weights",
                                   "Relative RMSE of a model's weights against a reference");
    cmd->group("");  // hidden: a benchmark helper
    cmd->add_option("reference", args->reference, "Reference GGUF (e.g. the F16 model)")
        ->required();
    cmd->add_option("other", args->other, "GGUF to compare (e.g. a quantization of it)")
        ->required();
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args, &status] {
        run_compare(*args);
        status = 0;
    });
}

}  // namespace ql::cli
