// Each `quantlab <command>` registers itself on the CLI11 app; the callback
// it installs runs the command and returns its exit status through `status`.
#pragma once

#include <CLI/CLI.hpp>

namespace ql::cli {

void register_info(CLI::App& app, int& status);
void register_dump(CLI::App& app, int& status);
void register_quantize(CLI::App& app, int& status);
void register_generate(CLI::App& app, int& status);
void register_compare_weights(CLI::App& app, int& status);  // hidden: for benchmarks
void register_tokenize(CLI::App&, int&);
void register_logits(CLI::App& app, int& status);
void register_run(CLI::App& app, int& status);
void register_bench(CLI::App& app, int& status);

}  // namespace ql::cli
