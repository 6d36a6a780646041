// Each `quantlab <command>` registers itself on the CLI11 app; the callback
// it installs runs the command and returns its exit status through `status`.
#pragma once

#include <CLI/CLI.hpp>

#include "gguf/gguf.hpp"

namespace ql::cli {

// The --mmap flag of the commands that run a model (run, bench, logits):
// weights are loaded into huge-page memory unless it is given.
inline void add_mmap_flag(CLI::App* cmd, gguf::Residence& residence) {
    cmd->add_flag_callback(
        "--mmap", [&residence] { residence = gguf::Residence::Mapped; },
        "Leave the weights in the mmapped file instead of loading them into\n"
        "huge-page memory (less resident memory, slower generation)");
}

void register_info(CLI::App& app, int& status);
void register_dump(CLI::App& app, int& status);
void register_quantize(CLI::App& app, int& status);
void register_generate(CLI::App& app, int& status);
void register_compare_weights(CLI::App& app, int& status);  // hidden: for benchmarks
void register_tokenize(CLI::App&, int&);
void register_logits(CLI::App& app, int& status);
void register_run(CLI::App& app, int& status);
void register_bench(CLI::App& app, int& status);
void register_train(CLI::App& app, int& status);
void register_corpus(CLI::App& app, int& status);
void register_train_tokenizer(CLI::App& app, int& status);
void register_zoo(CLI::App& app, int& status);

}  // namespace ql::cli
