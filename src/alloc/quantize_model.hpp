// Executes a quantization plan: reads the input model tensor by tensor,
// converts each one to its planned type (dequantize to f32, then quantize,
// with the tensor's imatrix rows as importance) on N threads, and streams
// the result into an atomically written GGUF file.
//
// Memory stays bounded: one tensor's output plus an f32 working slab of at
// most `slab_bytes`, whatever the model size.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "alloc/imatrix.hpp"
#include "alloc/mix.hpp"
#include "gguf/gguf.hpp"

namespace ql::alloc {

struct QuantizeModelOptions {
    int n_threads = 1;
    const Imatrix* imatrix = nullptr;  // optional importance data
    // Keys set after the input's metadata is copied (e.g. quantize.imatrix.*).
    std::vector<std::pair<std::string, gguf::Value>> extra_metadata;
    bool show_progress = true;          // a progress bar on stderr (when it is a terminal)
    uint64_t slab_bytes = 64ull << 20;  // bound on the f32 working buffer
    // Receives warnings (one line each, no prefix); default: "quantlab: warning: " on stderr.
    std::function<void(const std::string&)> warn;
};

struct QuantizeModelResult {
    uint64_t bytes_in = 0, bytes_out = 0;         // tensor data only
    int64_t n_converted = 0;                      // tensors whose type changed
    int64_t n_requantized = 0;                    // of those, tensors that were already quantized
    std::vector<std::string> without_importance;  // converted without imatrix data
    double seconds = 0;
};

// The quantize.imatrix.* keys llama-quantize writes when an imatrix is used.
std::vector<std::pair<std::string, gguf::Value>> imatrix_metadata(const Imatrix& imatrix);

// Checks that `plan` matches `model` and that every tensor that needs
// importance has it, without writing anything. Throws ql::Error / InputError.
void check_plan(const gguf::GgufFile& model, const Plan& plan, const Imatrix* imatrix);

// Writes `out_path` (temporary name, then rename: nothing is left on error).
// Metadata: the input's (minus split.*), general.quantization_version = 2,
// general.file_type = plan.ftype, then options.extra_metadata.
QuantizeModelResult quantize_model(const gguf::GgufFile& model, const Plan& plan,
                                   const std::string& out_path,
                                   const QuantizeModelOptions& options);

}  // namespace ql::alloc
