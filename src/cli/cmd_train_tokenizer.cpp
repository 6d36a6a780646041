// quantlab train-tokenizer FILE... --vocab N -o OUT.gguf [--pre NAME]
//   [--min-count N] [--threads N] [--json]: trains a byte-level BPE vocabulary
// on text files (lines holding only <|endoftext|> separate documents) and
// writes it as a vocabulary-only GGUF that quantlab and llama.cpp load.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/text_file.hpp"
#include "tokenizer/pretokenize.hpp"
#include "tokenizer/tokenizer.hpp"
#include "train/bpe_train.hpp"
#include "train/tokenize_corpus.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "util/threads.hpp"
#include "util/timer.hpp"

namespace ql::cli {

namespace {

struct TrainTokenizerArgs {
    std::vector<std::string> files;
    std::string out;
    train::BpeTrainOptions options;
    bool json = false;
};

struct EncodeStats {
    int64_t bytes = 0, tokens = 0;
    double seconds = 0;
};

// Bytes per token of the trained vocabulary on the training text (end-of-text
// tokens between documents not counted).
EncodeStats measure_encoding(const std::string& path, const std::vector<std::string_view>& docs,
                             int n_threads) {
    Timer timer;
    const auto file = gguf::GgufFile::open(path);
    const auto tokenizer = tok::Tokenizer::from_gguf(file);
    EncodeStats s;
    s.tokens = static_cast<int64_t>(train::encode_documents(tokenizer, docs, n_threads).size()) -
               static_cast<int64_t>(docs.size());
    for (std::string_view d : docs) s.bytes += static_cast<int64_t>(d.size());
    s.seconds = timer.seconds();
    return s;
}

struct TrainTimes {
    double total = 0, first_merge = 0;
};

void print_summary(const TrainTokenizerArgs& a, const train::BpeVocab& v, const TrainTimes& t,
                   const EncodeStats& e) {
    const double bpt =
        e.tokens > 0 ? static_cast<double>(e.bytes) / static_cast<double>(e.tokens) : 0.0;
    if (a.json) {
        const nlohmann::json j = {{"output", a.out},
                                  {"pre", v.pre},
                                  {"vocab_size", v.tokens.size()},
                                  {"merges", v.merges.size()},
                                  {"eos_id", v.eos_id},
                                  {"seconds", t.total},
                                  {"count_seconds", t.first_merge},
                                  {"input_bytes", e.bytes},
                                  {"input_tokens", e.tokens},
                                  {"bytes_per_token", bpt},
                                  {"encode_seconds", e.seconds}};
        std::printf("%s\n", j.dump(2).c_str());
        return;
    }
    std::printf("%s: %zu tokens (%zu merges, pre %s), trained in %.2f s\n", a.out.c_str(),
                v.tokens.size(), v.merges.size(), v.pre.c_str(), t.total);
    std::printf("%lld bytes -> %lld tokens: %.3f bytes per token\n",
                static_cast<long long>(e.bytes), static_cast<long long>(e.tokens), bpt);
}

void run_train_tokenizer(TrainTokenizerArgs& a) {
    if (a.options.vocab_size < train::kMinBpeVocab || a.options.vocab_size > train::kMaxBpeVocab)
        fail("train-tokenizer: --vocab must be in {}..{}", train::kMinBpeVocab,
             train::kMaxBpeVocab);
    tok::PreTokenizer::for_name(a.options.pre);  // unknown names fail before reading anything
    std::vector<std::string> texts;
    for (const std::string& f : a.files) texts.push_back(read_text_file(f));
    std::vector<std::string_view> docs;
    for (const std::string& t : texts)
        for (std::string_view d : train::split_documents(t)) docs.push_back(d);
    if (a.options.n_threads <= 0) a.options.n_threads = default_thread_count();

    Timer timer;
    ProgressBar bar("train-tokenizer", a.options.vocab_size);
    int64_t shown = 0;
    double first_merge = 0;  // pre-tokenization, counting and the first merge
    const auto vocab = train::train_bpe(docs, a.options, [&](int64_t n, int64_t) {
        if (shown == 0) first_merge = timer.seconds();
        bar.advance(n - shown);
        shown = n;
    });
    const double seconds = timer.seconds();
    bar.finish();
    train::write_vocab_gguf(a.out, vocab);
    print_summary(a, vocab, {seconds, first_merge},
                  measure_encoding(a.out, docs, a.options.n_threads));
}

}  // namespace

void register_train_tokenizer(CLI::App& app, int& status) {
    auto args = std::make_shared<TrainTokenizerArgs>();
    auto* cmd = app.add_subcommand(
        "train-tokenizer", "Train a byte-level BPE vocabulary on text files (GGUF, gpt2 model)");
    cmd->add_option("files", args->files,
                    "Text files; lines holding only <|endoftext|> separate documents")
        ->required();
    cmd->add_option("--vocab", args->options.vocab_size,
                    "Vocabulary size: 256 bytes + merged tokens + <|endoftext|> (default 2048)");
    cmd->add_option("-o,--output", args->out, "Vocabulary GGUF to write")->required();
    cmd->add_option("--pre", args->options.pre,
                    "Pre-tokenizer (a tokenizer.ggml.pre name llama.cpp knows; default qwen2)");
    cmd->add_option("--min-count", args->options.min_pair_count,
                    "Stop early when no pair occurs this often (default 2)");
    cmd->add_option("--threads", args->options.n_threads,
                    "Pre-tokenization threads (default: all cores; the result is the same)");
    cmd->add_flag("--json", args->json, "Print a JSON summary");
    cmd->callback([args, &status] {
        try {
            run_train_tokenizer(*args);
        } catch (const InputError& e) {  // an unknown --pre name: a usage problem
            throw Error(e.what(), 1);
        }
        status = 0;
    });
}

}  // namespace ql::cli
