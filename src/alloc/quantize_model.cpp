#include "alloc/quantize_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "util/checked.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "util/threads.hpp"
#include "util/timer.hpp"

namespace ql::alloc {

namespace {

using quant::TypeId;

constexpr uint32_t kQuantizationVersion = 2;  // ggml's GGML_QNT_VERSION

bool is_token_embedding(std::string_view name) {
    return name == "token_embd.weight" || name == "per_layer_token_embd.weight";
}

// llama-quantize refuses these targets without importance data (except for the
// embeddings and the output matrix); the registry marks the ones ggml's
// quantizer itself cannot do without it.
bool needs_importance(const gguf::TensorInfo& t, TypeId to, uint32_t ftype) {
    if (quant::type_traits(to).requires_importance) return true;
    if (is_token_embedding(t.name) || t.name == "output.weight") return false;
    switch (to) {
        case TypeId::IQ3_XXS:
        case TypeId::IQ2_S:
        case TypeId::IQ1_M:
            return true;
        case TypeId::Q2_K: {
            const MixPreset* q2_k_s = find_mix("Q2_K_S");
            return q2_k_s && q2_k_s->ftype == ftype;
        }
        default:
            return false;
    }
}

// Number of row-matrices a tensor holds: 1 for 2-D weights, n_expert for a
// 3-D expert stack [n_per_row, rows_per_expert, n_expert].
int64_t n_matrices(const gguf::TensorInfo& t) {
    int64_t n = 1;
    for (size_t d = 2; d < t.shape.size(); ++d) n *= t.shape[d];
    return n;
}

// The imatrix rows for `t` ([n_matrices][n_per_row]), or nullptr when there
// are none. A size mismatch is an error, except on the token embedding (an
// imatrix never matches it: llama-quantize ignores it there too).
const float* importance_for(const gguf::TensorInfo& t, const Imatrix* imatrix) {
    if (!imatrix) return nullptr;
    const std::vector<float>* rows = imatrix->find(t.name);
    if (!rows) return nullptr;
    const auto expected = static_cast<uint64_t>(t.shape[0]) * static_cast<uint64_t>(n_matrices(t));
    if (rows->size() == expected) return rows->data();
    if (is_token_embedding(t.name)) return nullptr;
    fail_input("{}: entry '{}' has {} values, but the tensor needs {} ({} per row x {} matrices)",
               imatrix->path, t.name, rows->size(), expected, t.shape[0], n_matrices(t));
}

void check_planned_tensor(const gguf::TensorInfo& t, const PlannedTensor& p, const Plan& plan,
                          const Imatrix* imatrix) {
    if (p.name != t.name || p.from != t.type)
        fail("quantization plan does not match the model at tensor '{}'", t.name);
    if (p.to == p.from) return;
    const auto& to = quant::type_traits(p.to);
    if (t.shape.empty() || !quant::row_bytes(to, static_cast<uint64_t>(t.shape[0])))
        fail("tensor '{}': rows of {} values cannot be stored as {} (block size {})", t.name,
             t.shape.empty() ? 0 : t.shape[0], to.name, to.block_size);
    const float* importance = importance_for(t, imatrix);
    if (!importance && needs_importance(t, p.to, plan.ftype))
        fail("tensor '{}': {} needs an importance matrix (--imatrix) {}", t.name, to.name,
             imatrix ? "but the imatrix has no entry for it" : "and none was given");
}

void default_warn(const std::string& message) {
    std::fprintf(stderr, "quantlab: warning: %s\n", message.c_str());
}

// Names the first non-finite input value by its row and column in the tensor.
void require_finite(const float* rows, int64_t first_row, int64_t n_rows, int64_t n_per_row) {
    for (int64_t i = 0; i < n_rows * n_per_row; ++i)
        if (!std::isfinite(rows[i]))
            fail_input("value at row {}, column {} is not finite ({})", first_row + i / n_per_row,
                       i % n_per_row, rows[i]);
}

struct TensorJob {
    const gguf::TensorInfo& tensor;
    TypeId to;
    const float* importance;  // [n_matrices][n_per_row] or null
    int n_threads;
    uint64_t slab_bytes;
};

// Quantizes a whole tensor into `out` (resized to its output size), slab by slab.
void convert_tensor(const TensorJob& job, std::vector<float>& f32, std::vector<uint8_t>& out) {
    const gguf::TensorInfo& t = job.tensor;
    const int64_t n_per_row = t.shape[0];
    const int64_t n_rows = t.n_rows();
    const int64_t rows_per_matrix = n_rows / n_matrices(t);
    const uint64_t src_row = *quant::row_bytes(quant::type_traits(t.type), n_per_row);
    const uint64_t dst_row = *quant::row_bytes(quant::type_traits(job.to), n_per_row);
    out.resize(n_rows * dst_row);
    const int64_t slab_rows = std::clamp<int64_t>(
        static_cast<int64_t>(job.slab_bytes / (static_cast<uint64_t>(n_per_row) * sizeof(float))),
        1, n_rows);
    f32.resize(static_cast<size_t>(slab_rows * n_per_row));
    for (int64_t slab = 0; slab < n_rows; slab += slab_rows) {
        const int64_t slab_end = std::min(n_rows, slab + slab_rows);
        parallel_for(slab_end - slab, job.n_threads, [&](int64_t begin, int64_t end) {
            // Runs of rows that stay inside one matrix share one importance row.
            for (int64_t r = slab + begin; r < slab + end;) {
                const int64_t matrix = r / rows_per_matrix;
                const int64_t run_end = std::min(slab + end, (matrix + 1) * rows_per_matrix);
                float* rows_f32 = f32.data() + (r - slab) * n_per_row;  // [run][n_per_row]
                quant::dequantize(t.type, t.data + r * src_row, rows_f32,
                                  (run_end - r) * n_per_row);
                require_finite(rows_f32, r, run_end - r, n_per_row);
                const float* imp = job.importance ? job.importance + matrix * n_per_row : nullptr;
                quant::quantize(job.to, rows_f32, out.data() + r * dst_row, run_end - r, n_per_row,
                                imp);
                r = run_end;
            }
        });
    }
}

// Runs `fn`, prefixing any error with the file and tensor it concerns.
template <typename Fn>
void with_tensor_context(const std::string& file, const std::string& tensor, Fn&& fn) {
    try {
        fn();
    } catch (const InputError& e) {
        throw InputError(fmt::format("{}: tensor '{}': {}", file, tensor, e.what()));
    } catch (const Error& e) {
        throw Error(fmt::format("{}: tensor '{}': {}", file, tensor, e.what()), e.exit_status());
    }
}

void set_output_metadata(gguf::GgufWriter& w, const gguf::GgufFile& model, const Plan& plan,
                         const QuantizeModelOptions& options) {
    w.copy_metadata(model);
    // The output is always one file, whatever the input was split into.
    for (const auto& [key, value] : model.metadata())
        if (key.rfind("split.", 0) == 0) w.remove(key);
    w.set("general.quantization_version", gguf::Value::u32(kQuantizationVersion));
    w.set("general.file_type", gguf::Value::u32(plan.ftype));
    for (const auto& [key, value] : options.extra_metadata) w.set(key, value);
}

// One warning per kind of problem, not one per tensor.
void warn_about_inputs(const gguf::GgufFile& model, const Plan& plan, const Imatrix* imatrix,
                       const std::function<void(const std::string&)>& warn) {
    std::vector<std::string> requantized, missing;
    for (size_t i = 0; i < plan.tensors.size(); ++i) {
        const gguf::TensorInfo& t = model.tensors()[i];
        if (plan.tensors[i].to == t.type) continue;
        // Dequantizing to F32 loses nothing; any other change of a quantized tensor does.
        if (quant::type_traits(t.type).is_quantized && plan.tensors[i].to != quant::TypeId::F32)
            requantized.push_back(fmt::format("{} ({})", t.name, quant::type_traits(t.type).name));
        if (imatrix && !importance_for(t, imatrix)) missing.push_back(t.name);
    }
    auto plural = [](size_t n) { return n == 1 ? "" : "s"; };
    if (!requantized.empty())
        warn(
            fmt::format("requantizing {} already-quantized tensor{}, e.g. {}: quality will "
                        "suffer compared with quantizing the original weights",
                        requantized.size(), plural(requantized.size()), requantized.front()));
    if (!missing.empty())
        warn(fmt::format("{}: no importance data for {} tensor{}, e.g. '{}'; quantized without it",
                         imatrix->path, missing.size(), plural(missing.size()), missing.front()));
}

}  // namespace

std::vector<std::pair<std::string, gguf::Value>> imatrix_metadata(const Imatrix& imatrix) {
    std::vector<std::pair<std::string, gguf::Value>> kv;
    kv.emplace_back("quantize.imatrix.file", gguf::Value::string(imatrix.path));
    if (!imatrix.datasets.empty())
        kv.emplace_back("quantize.imatrix.dataset", gguf::Value::string(imatrix.datasets.front()));
    kv.emplace_back("quantize.imatrix.entries_count",
                    gguf::Value::u32(static_cast<uint32_t>(imatrix.entries.size())));
    if (imatrix.n_chunks > 0)
        kv.emplace_back("quantize.imatrix.chunks_count",
                        gguf::Value::u32(static_cast<uint32_t>(imatrix.n_chunks)));
    return kv;
}

void check_plan(const gguf::GgufFile& model, const Plan& plan, const Imatrix* imatrix) {
    if (plan.tensors.size() != model.tensors().size())
        fail("quantization plan has {} tensors, the model {}", plan.tensors.size(),
             model.tensors().size());
    for (size_t i = 0; i < plan.tensors.size(); ++i)
        check_planned_tensor(model.tensors()[i], plan.tensors[i], plan, imatrix);
}

QuantizeModelResult quantize_model(const gguf::GgufFile& model, const Plan& plan,
                                   const std::string& out_path,
                                   const QuantizeModelOptions& options) {
    check_plan(model, plan, options.imatrix);
    warn_about_inputs(model, plan, options.imatrix, options.warn ? options.warn : default_warn);
    Timer timer;
    gguf::GgufWriter writer(out_path);
    set_output_metadata(writer, model, plan, options);
    for (const auto& p : plan.tensors) writer.add_tensor(p.name, p.to, p.shape);
    writer.begin();

    QuantizeModelResult result;
    std::optional<ProgressBar> bar;
    if (options.show_progress) bar.emplace("quantize", static_cast<int64_t>(plan.tensors.size()));
    std::vector<float> f32;    // [slab_rows][n_per_row]
    std::vector<uint8_t> out;  // one converted tensor
    for (size_t i = 0; i < plan.tensors.size(); ++i) {
        const gguf::TensorInfo& t = model.tensors()[i];
        const PlannedTensor& p = plan.tensors[i];
        if (p.to == p.from) {
            writer.write_tensor_data(i, t.data, t.n_bytes);
        } else {
            const float* importance = importance_for(t, options.imatrix);
            if (options.imatrix && !importance) result.without_importance.push_back(t.name);
            if (quant::type_traits(t.type).is_quantized) ++result.n_requantized;
            ++result.n_converted;
            with_tensor_context(model.path(), t.name, [&] {
                convert_tensor({t, p.to, importance, std::max(1, options.n_threads),
                                std::max<uint64_t>(options.slab_bytes, 1)},
                               f32, out);
            });
            writer.write_tensor_data(i, out.data(), out.size());
        }
        result.bytes_in += t.n_bytes;
        result.bytes_out += writer.tensor_bytes(i);
        if (bar) bar->advance(1, static_cast<double>(t.n_bytes));
    }
    writer.finish();
    if (bar) bar->finish();
    result.seconds = timer.seconds();
    return result;
}

}  // namespace ql::alloc
