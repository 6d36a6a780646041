// PLACEHOLDER: 'quantlab info' is not implemented yet.
#include "cli/commands.hpp"
#include "util/error.hpp"

namespace ql::cli {

void register_info(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("info", "(not implemented yet)");
    cmd->callback([&status] {
        status = 1;
        fail("info: not implemented yet");
    });
}

}  // namespace ql::cli
