#include "train/data.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "train/params.hpp"
#include "util/error.hpp"

namespace ql::train {

namespace {

constexpr char kMagic[8] = {'Q', 'L', 'T', 'O', 'K', 'E', 'N', 'S'};

template <typename T>
void put(std::ofstream& out, T v) {
    out.write(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
bool get(std::ifstream& in, T& v) {
    return static_cast<bool>(in.read(reinterpret_cast<char*>(&v), sizeof v));
}

}  // namespace

void write_token_file(const std::string& path, const std::vector<uint16_t>& ids, int64_t n_vocab) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) fail("{}: cannot create the token file", path);
        out.write(kMagic, sizeof kMagic);
        put<uint32_t>(out, 1);
        put<uint32_t>(out, static_cast<uint32_t>(n_vocab));
        put<uint64_t>(out, ids.size());
        out.write(reinterpret_cast<const char*>(ids.data()),
                  static_cast<std::streamsize>(ids.size() * sizeof(uint16_t)));
        if (!out.flush()) fail("{}: cannot write the token file", path);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        fail("{}: cannot rename {} into place", path, tmp);
}

std::vector<uint16_t> read_token_file(const std::string& path, int64_t& n_vocab) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) fail_input("{}: cannot open the token file: {}", path, std::strerror(errno));
    const auto size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    char magic[8];
    uint32_t version = 0, vocab = 0;
    uint64_t count = 0;
    if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0)
        fail_input("{}: not a quantlab token file (bad magic)", path);
    if (!get(in, version) || !get(in, vocab) || !get(in, count))
        fail_input("{}: truncated token file header", path);
    if (version != 1) fail_input("{}: token file version {} (this build reads 1)", path, version);
    if (vocab == 0 || vocab > 65536) fail_input("{}: vocabulary size {} out of range", path, vocab);
    constexpr uint64_t kHeader = 8 + 4 + 4 + 8;
    if (count > (size - kHeader) / 2 || kHeader + 2 * count != size)
        fail_input("{}: {} tokens announced, {} bytes of data", path, count, size - kHeader);
    std::vector<uint16_t> ids(count);
    if (!in.read(reinterpret_cast<char*>(ids.data()), static_cast<std::streamsize>(2 * count)))
        fail_input("{}: cannot read the tokens", path);
    for (uint64_t i = 0; i < count; ++i)
        if (ids[i] >= vocab)
            fail_input("{}: token {} at position {} is outside the vocabulary of {}", path, ids[i],
                       i, vocab);
    n_vocab = vocab;
    return ids;
}

TokenCorpus load_token_corpus(const std::string& dir) {
    const std::string list = dir + "/tokens/domains.txt";
    std::ifstream in(list);
    if (!in) fail_input("{}: no tokenized corpus (run `quantlab corpus build`)", list);
    TokenCorpus c;
    std::string name;
    while (std::getline(in, name)) {
        if (name.empty()) continue;
        DomainTokens d;
        d.domain = name;
        int64_t v_train = 0, v_val = 0;
        d.train = read_token_file(dir + "/tokens/" + name + ".train.tok", v_train);
        d.val = read_token_file(dir + "/tokens/" + name + ".val.tok", v_val);
        if (v_train != v_val || (c.n_vocab != 0 && v_train != c.n_vocab))
            fail_input("{}: the token files disagree on the vocabulary size", dir);
        c.n_vocab = v_train;
        c.train.insert(c.train.end(), d.train.begin(), d.train.end());
        c.domains.push_back(std::move(d));
    }
    if (c.domains.empty()) fail_input("{}: lists no domain", list);
    return c;
}

namespace {

Batch window_batch(const std::vector<uint16_t>& s, const std::vector<int64_t>& starts,
                   int64_t seq_len) {
    Batch b;
    b.n_seq = static_cast<int64_t>(starts.size());
    b.seq_len = seq_len;
    for (int64_t start : starts)
        for (int64_t t = 0; t < seq_len; ++t) {
            b.tokens.push_back(s[static_cast<size_t>(start + t)]);
            b.targets.push_back(s[static_cast<size_t>(start + t + 1)]);
        }
    return b;
}

}  // namespace

Batch sample_batch(const std::vector<uint16_t>& stream, int64_t n_seq, int64_t seq_len,
                   uint64_t seed, int64_t step) {
    const auto n = static_cast<int64_t>(stream.size());
    if (n < seq_len + 2)
        fail("the training stream has {} tokens, fewer than a window of {}", n, seq_len + 1);
    Rng rng(seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(step));
    std::vector<int64_t> starts;
    for (int64_t i = 0; i < n_seq; ++i)
        starts.push_back(static_cast<int64_t>(rng.next() % static_cast<uint64_t>(n - seq_len - 1)));
    return window_batch(stream, starts, seq_len);
}

std::vector<Batch> eval_batches(const std::vector<uint16_t>& stream, int64_t n_seq, int64_t seq_len,
                                int64_t max_windows) {
    std::vector<Batch> out;
    std::vector<int64_t> starts;
    for (int64_t s = 0;
         s + seq_len + 1 <= static_cast<int64_t>(stream.size()) &&
         static_cast<int64_t>(out.size()) * n_seq + static_cast<int64_t>(starts.size()) <
             max_windows;
         s += seq_len) {
        starts.push_back(s);
        if (static_cast<int64_t>(starts.size()) == n_seq) {
            out.push_back(window_batch(stream, starts, seq_len));
            starts.clear();
        }
    }
    if (!starts.empty()) out.push_back(window_batch(stream, starts, seq_len));
    return out;
}

}  // namespace ql::train
