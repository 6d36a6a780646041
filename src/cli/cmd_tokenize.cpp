// quantlab tokenize MODEL.gguf (--text STR | --file F) [--bos] [--no-parse-special]:
// the token ids of a text as one JSON array on stdout. Special tokens written
// in the text are recognised (as llama-tokenize does); BOS only with --bos
// and when the vocabulary uses one.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/text_file.hpp"
#include "gguf/gguf.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"

namespace ql::cli {

namespace {

struct TokenizeArgs {
    std::string model;
    std::string text;
    std::string file;
    bool bos = false;
    bool no_parse_special = false;
};

void run_tokenize(const TokenizeArgs& args) {
    const std::string text = args.file.empty() ? args.text : read_text_file(args.file);
    const auto model = gguf::GgufFile::open(args.model);
    const auto tokenizer = tok::Tokenizer::from_gguf(model);
    const auto ids = tokenizer.encode(text, args.bos, !args.no_parse_special);
    std::printf("%s\n", nlohmann::json(ids).dump().c_str());
}

}  // namespace

void register_tokenize(CLI::App& app, int& status) {
    auto args = std::make_shared<TokenizeArgs>();
    auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text as a JSON array");
    cmd->add_option("model", args->model, "GGUF file with a vocabulary")->required();
    auto* text = cmd->add_option("--text", args->text, "The text to tokenize");
    auto* file = cmd->add_option("--file", args->file, "Read the text from this file (verbatim)");
    text->excludes(file);
    file->excludes(text);
    cmd->add_flag("--bos", args->bos, "Add BOS (and EOS) as the vocabulary asks for");
    cmd->add_flag("--no-parse-special", args->no_parse_special,
                  "Treat control tokens written in the text as plain text");
    cmd->callback([args, &status, text, file] {
        if (text->count() == 0 && file->count() == 0) fail("tokenize: give --text or --file");
        run_tokenize(*args);
        status = 0;
    });
}

}  // namespace ql::cli
