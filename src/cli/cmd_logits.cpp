// quantlab logits MODEL.gguf --tokens FILE --out OUT.f32 [--threads N]
// [--float-activations]: runs the whole token sequence as one batch and
// writes the logits of every position, n_tokens x n_vocab little-endian f32
// (the layout of llama.cpp's logits-dump oracle).
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/atomic_output.hpp"
#include "cli/commands.hpp"
#include "model/forward.hpp"
#include "util/error.hpp"
#include "util/threads.hpp"

namespace ql::cli {

namespace {

struct LogitsArgs {
    std::string model;
    std::string tokens;
    std::string out;
    int threads = 0;
    gguf::Residence residence = gguf::Residence::Loaded;
    bool float_activations = false;
};

// Whitespace-separated token ids.
std::vector<int32_t> read_token_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) fail("{}: cannot open the token file: {}", path, std::strerror(errno));
    std::vector<int32_t> ids;
    std::string word;
    while (in >> word) {
        size_t used = 0;
        long long id = -1;
        try {
            id = std::stoll(word, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != word.size() || id < 0 || id > INT32_MAX)
            fail_input("{}: '{}' is not a token id", path, word);
        ids.push_back(static_cast<int32_t>(id));
    }
    if (ids.empty()) fail_input("{}: no token ids", path);
    return ids;
}

void run_logits(const LogitsArgs& args) {
    static_assert(std::endian::native == std::endian::little, "logits are written little-endian");
    const auto tokens = read_token_file(args.tokens);
    const auto model = model::Model::open(args.model, args.residence);
    const auto& hp = model.hparams();
    const auto n = static_cast<int64_t>(tokens.size());
    for (const int32_t id : tokens)
        if (id >= hp.n_vocab)
            fail_input("{}: token id {} is outside the vocabulary of {} tokens", args.tokens, id,
                       hp.n_vocab);
    model::KvCache cache(hp, n);
    model::ForwardOptions options;
    options.n_threads = args.threads > 0 ? args.threads : default_thread_count();
    if (args.float_activations) options.activations = kernels::ActivationMode::Float;
    std::vector<float> logits(static_cast<size_t>(n * hp.n_vocab));  // [n_tokens, n_vocab]
    model::forward(model, cache, tokens, logits.data(), options);
    AtomicOutputFile out(args.out);
    out.write(logits.data(), logits.size() * sizeof(float));
    out.commit();
}

}  // namespace

void register_logits(CLI::App& app, int& status) {
    auto args = std::make_shared<LogitsArgs>();
    auto* cmd =
        app.add_subcommand("logits", "Write the logits of every position of a token sequence");
    cmd->add_option("model", args->model, "GGUF model")->required();
    cmd->add_option("--tokens", args->tokens, "File of whitespace-separated token ids")->required();
    cmd->add_option("--out", args->out, "Output: n_tokens x n_vocab little-endian f32")->required();
    cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
    add_mmap_flag(cmd, args->residence);
    cmd->add_flag("--float-activations", args->float_activations,
                  "f32 activations against dequantized weights instead of ggml's rounding");
    cmd->callback([args, &status] {
        run_logits(*args);
        status = 0;
    });
}

}  // namespace ql::cli
