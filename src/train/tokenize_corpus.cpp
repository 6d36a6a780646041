#include "train/tokenize_corpus.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "gguf/gguf.hpp"
#include "train/data.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/threads.hpp"

namespace ql::train {

namespace {

constexpr std::string_view kSeparator = "<|endoftext|>";

std::string read_split(const std::string& path) {
    std::optional<std::string> text = read_file(path);
    if (!text)
        fail_input("{}: cannot open: {} (run `quantlab corpus build`)", path, std::strerror(errno));
    return std::move(*text);
}

}  // namespace

std::vector<std::string_view> split_documents(std::string_view text) {
    std::vector<std::string_view> docs;
    size_t start = 0, pos = 0;
    auto flush = [&](size_t end) {
        if (end > start) docs.push_back(text.substr(start, end - start));
    };
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        if (text.substr(pos, eol - pos) == kSeparator) {
            flush(pos);
            start = std::min(text.size(), eol + 1);
        }
        pos = eol + 1;
    }
    flush(text.size());
    return docs;
}

std::vector<uint16_t> encode_documents(const tok::Tokenizer& tokenizer,
                                       const std::vector<std::string_view>& docs, int n_threads) {
    if (tokenizer.n_vocab() > 65536)
        fail("the tokenizer has {} tokens; token files hold 65536", tokenizer.n_vocab());
    const int32_t eos = tokenizer.eos();
    if (eos < 0) fail("the corpus tokenizer has no end-of-text token");
    std::vector<std::vector<int32_t>> ids(docs.size());
    parallel_for_dynamic(static_cast<int64_t>(docs.size()), n_threads, 1,
                         [&](int64_t d0, int64_t d1) {
                             for (int64_t d = d0; d < d1; ++d)
                                 ids[static_cast<size_t>(d)] =
                                     tokenizer.encode(docs[static_cast<size_t>(d)], false, false);
                         });
    std::vector<uint16_t> out;
    for (const auto& doc : ids) {
        for (int32_t id : doc) out.push_back(static_cast<uint16_t>(id));
        out.push_back(static_cast<uint16_t>(eos));
    }
    return out;
}

std::vector<TokenizedSplit> tokenize_corpus(const std::string& dir,
                                            const std::vector<std::string>& domains,
                                            int n_threads) {
    const auto file = gguf::GgufFile::open(dir + "/tokenizer.gguf");
    const auto tokenizer = tok::Tokenizer::from_gguf(file);
    std::filesystem::create_directories(dir + "/tokens");
    std::vector<TokenizedSplit> out;
    for (const std::string& domain : domains)
        for (const char* split : {"train", "val"}) {
            const std::string text = read_split(dir + "/" + domain + "/" + split + ".txt");
            const auto docs = split_documents(text);
            const auto ids = encode_documents(tokenizer, docs, n_threads);
            write_token_file(dir + "/tokens/" + domain + "." + split + ".tok", ids,
                             static_cast<int64_t>(tokenizer.n_vocab()));
            out.push_back({domain, split, static_cast<int64_t>(docs.size()),
                           static_cast<int64_t>(text.size()), static_cast<int64_t>(ids.size())});
        }
    std::ofstream list(dir + "/tokens/domains.txt", std::ios::trunc);
    for (const std::string& domain : domains) list << domain << '\n';
    if (!list.flush()) fail("{}/tokens/domains.txt: cannot write", dir);
    return out;
}

}  // namespace ql::train
