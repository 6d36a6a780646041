// PLACEHOLDER: 'quantlab dump' is not implemented yet.
#include "cli/commands.hpp"
#include "util/error.hpp"

namespace ql::cli {

void register_dump(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("dump", "(not implemented yet)");
    cmd->callback([&status] {
        status = 1;
        fail("dump: not implemented yet");
    });
}

}  // namespace ql::cli
