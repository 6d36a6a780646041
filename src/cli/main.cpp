// quantlab: which model size and quantization give the best answers for the
// memory you have, and how fast. See README.md for a tour of the commands.
#include <malloc.h>

#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "util/error.hpp"

int main(int argc, char** argv) {
    // The forward pass allocates and frees megabyte buffers per layer: keep
    // freed memory in the heap instead of returning it to the kernel, which
    // zeroes every page again on the next use (8% of prompt time otherwise).
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    CLI::App app{
        "quantlab: read, write, quantize and measure GGUF models.\n"
        "Run 'quantlab <command> --help' for the options of a command."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "quantlab 0.1.0");
    int status = 0;
    ql::cli::register_info(app, status);
    ql::cli::register_dump(app, status);
    ql::cli::register_quantize(app, status);
    ql::cli::register_generate(app, status);
    ql::cli::register_compare_weights(app, status);
    ql::cli::register_tokenize(app, status);
    ql::cli::register_logits(app, status);
    ql::cli::register_run(app, status);
    ql::cli::register_bench(app, status);
    ql::cli::register_train(app, status);
    ql::cli::register_corpus(app, status);
    ql::cli::register_train_tokenizer(app, status);
    ql::cli::register_zoo(app, status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const ql::Error& e) {
        std::fprintf(stderr, "quantlab: %s\n", e.what());
        return e.exit_status();
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "quantlab: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "quantlab: %s\n", e.what());
        return 1;
    }
    return status;
}
