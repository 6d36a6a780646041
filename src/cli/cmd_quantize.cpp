// PLACEHOLDER: 'quantlab quantize' is not implemented yet.
#include "cli/commands.hpp"
#include "util/error.hpp"

namespace ql::cli {

void register_quantize(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("quantize", "(not implemented yet)");
    cmd->callback([&status] {
        status = 1;
        fail("quantize: not implemented yet");
    });
}

}  // namespace ql::cli
