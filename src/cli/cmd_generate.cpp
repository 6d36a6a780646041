// PLACEHOLDER: 'quantlab generate' is not implemented yet.
#include "cli/commands.hpp"
#include "util/error.hpp"

namespace ql::cli {

void register_generate(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("generate", "(not implemented yet)");
    cmd->callback([&status] {
        status = 1;
        fail("generate: not implemented yet");
    });
}

}  // namespace ql::cli
