// quantlab dump MODEL.gguf --tensor NAME --f32 OUT.bin: one tensor,
// dequantized exactly as the library does it, as little-endian float32 in
// ggml order (ne[0] fastest). The output appears only once complete.
#include <algorithm>
#include <bit>
#include <memory>
#include <string>
#include <vector>

#include "cli/atomic_output.hpp"
#include "cli/commands.hpp"
#include "gguf/gguf.hpp"
#include "util/error.hpp"

namespace ql::cli {

namespace {

static_assert(std::endian::native == std::endian::little,
              "dump writes host floats as little-endian");

struct DumpArgs {
    std::string model, tensor, f32_path;
};

constexpr int64_t kValuesPerChunk = int64_t{1} << 22;  // 16 MiB of f32 at a time

void run_dump(const DumpArgs& args) {
    const gguf::GgufFile model = gguf::GgufFile::open(args.model);
    const gguf::TensorInfo* t = model.find_tensor(args.tensor);
    if (!t) fail("{}: no tensor named '{}' (see 'quantlab info')", args.model, args.tensor);
    const auto& traits = quant::type_traits(t->type);
    const int64_t n_per_row = t->shape.empty() ? 0 : t->shape[0];
    const int64_t n_rows = t->n_rows();
    const uint64_t row_bytes = *quant::row_bytes(traits, static_cast<uint64_t>(n_per_row));
    const int64_t rows_per_chunk =
        std::max<int64_t>(1, kValuesPerChunk / std::max<int64_t>(1, n_per_row));

    AtomicOutputFile out(args.f32_path);
    std::vector<float> values;  // [rows_per_chunk][n_per_row]
    for (int64_t row = 0; row < n_rows; row += rows_per_chunk) {
        const int64_t rows = std::min(rows_per_chunk, n_rows - row);
        values.resize(static_cast<size_t>(rows * n_per_row));
        quant::dequantize(t->type, t->data + static_cast<uint64_t>(row) * row_bytes, values.data(),
                          rows * n_per_row);
        out.write(values.data(), values.size() * sizeof(float));
    }
    out.commit();
}

}  // namespace

void register_dump(CLI::App& app, int& status) {
    auto args = std::make_shared<DumpArgs>();
    auto* cmd = app.add_subcommand("dump", "Write one tensor, dequantized, as raw float32");
    cmd->add_option("model", args->model, "GGUF file")->required();
    cmd->add_option("--tensor", args->tensor, "Tensor name, e.g. blk.0.attn_q.weight")->required();
    cmd->add_option("--f32", args->f32_path, "Output file: little-endian float32, ne[0] fastest")
        ->required();
    cmd->callback([args, &status] {
        run_dump(*args);
        status = 0;
    });
}

}  // namespace ql::cli
