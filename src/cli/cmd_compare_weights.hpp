// Hidden benchmark helper `quantlab compare-weights` (see cmd_compare_weights.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace ql::cli {

void register_compare_weights(CLI::App& app, int& status);

}  // namespace ql::cli
