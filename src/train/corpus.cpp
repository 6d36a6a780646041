#include "train/corpus.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <unordered_map>

#include "train/bpe_train.hpp"
#include "train/tokenize_corpus.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"
#include "util/threads.hpp"

namespace ql::train {

namespace fs = std::filesystem;

namespace {

// The split and the cap use independent hashes: with one hash, the documents
// kept under a cap (the lowest hashes) would all be held out first.
constexpr uint64_t kSplitSalt = 0;
constexpr uint64_t kCapSalt = 0x9e3779b97f4a7c15ull;

int64_t total_bytes(const std::vector<Document>& docs, const std::vector<size_t>& which) {
    int64_t n = 0;
    for (size_t i : which) n += static_cast<int64_t>(docs[i].text.size());
    return n;
}

// Indices of docs ordered by the hash of their names (ties: by name).
std::vector<size_t> hash_order(const std::vector<Document>& docs, uint64_t salt) {
    std::vector<size_t> order(docs.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::vector<uint64_t> h(docs.size());
    for (size_t i = 0; i < docs.size(); ++i) h[i] = stable_hash(docs[i].name, salt);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return h[a] != h[b] ? h[a] < h[b] : docs[a].name < docs[b].name;
    });
    return order;
}

std::string read_text_file(const std::string& path) {
    std::optional<std::string> text = read_file(path);
    if (!text)
        fail(
            "corpus: cannot read the sources file {}: {} (run from the repository root or "
            "give --sources)",
            path, std::strerror(errno));
    return std::move(*text);
}

struct DocumentOrigin {
    SourceResult* source;
    std::string path;
};

struct DomainOut {
    std::string name;
    double max_share = 0;
    std::vector<Document> docs;
    std::vector<DocumentOrigin> origins;  // of each document
    std::vector<size_t> train, val;
    int64_t dropped_documents = 0, dropped_bytes = 0;
};

// The documents of one domain in the order of the sources, exact duplicates
// (same text) dropped and recorded as skipped in their source.
DomainOut domain_documents(const DomainSpec& domain, std::vector<SourceResult>& sources) {
    DomainOut out{domain.name, domain.max_share, {}, {}, {}, {}, 0, 0};
    std::unordered_map<std::string, std::string> first_by_digest;
    for (auto& s : sources) {
        if (s.spec->domain != domain.name) continue;
        std::vector<std::string> files;
        for (size_t i = 0; i < s.documents.size(); ++i) {
            auto& d = s.documents[i];
            const auto [it, fresh] = first_by_digest.emplace(sha256_hex(d.text), d.name);
            if (!fresh) {
                s.skipped.push_back({s.files[i], "duplicate of " + it->second});
                s.bytes_out -= static_cast<int64_t>(d.text.size());
                continue;
            }
            files.push_back(s.files[i]);
            out.origins.push_back({&s, s.files[i]});
            out.docs.push_back(std::move(d));
        }
        s.files = std::move(files);
        s.documents.clear();
    }
    out.train.resize(out.docs.size());
    std::iota(out.train.begin(), out.train.end(), size_t{0});
    return out;
}

// Records the documents a cap left out as skipped in their sources.
void record_over_cap(DomainOut& d, const std::vector<size_t>& kept) {
    std::vector<bool> keep(d.docs.size(), false);
    for (size_t i : kept) keep[i] = true;
    std::map<SourceResult*, std::set<std::string>> dropped;
    for (size_t i = 0; i < d.docs.size(); ++i) {
        if (keep[i]) continue;
        auto& o = d.origins[i];
        o.source->skipped.push_back({o.path, "over the share cap of domain " + d.name});
        o.source->bytes_out -= static_cast<int64_t>(d.docs[i].text.size());
        dropped[o.source].insert(o.path);
    }
    for (auto& [source, paths] : dropped)
        std::erase_if(source->files, [&](const std::string& f) { return paths.count(f) > 0; });
}

// Keeps the capped domains under their share of the whole corpus.
void apply_caps(std::vector<DomainOut>& domains) {
    int64_t uncapped = 0;
    for (const auto& d : domains)
        if (d.max_share <= 0) uncapped += total_bytes(d.docs, d.train);
    for (auto& d : domains) {
        if (d.max_share <= 0) continue;
        const auto cap = static_cast<int64_t>(
            std::floor(d.max_share / (1 - d.max_share) * static_cast<double>(uncapped)));
        const auto kept = documents_under_cap(d.docs, cap);
        d.dropped_documents = static_cast<int64_t>(d.docs.size() - kept.size());
        d.dropped_bytes = total_bytes(d.docs, d.train) - total_bytes(d.docs, kept);
        record_over_cap(d, kept);
        std::vector<Document> docs;
        for (size_t i : kept) docs.push_back(std::move(d.docs[i]));
        d.docs = std::move(docs);
        d.origins.clear();
    }
}

// Writes docs[which] separated by the separator line; returns the SHA-256.
std::string write_documents(const fs::path& path, const std::vector<Document>& docs,
                            const std::vector<size_t>& which) {
    std::ofstream f(path, std::ios::binary);
    if (!f) fail("corpus: cannot create {}: {}", path.string(), std::strerror(errno));
    Sha256 sha;
    const std::string sep = std::string(kDocumentSeparator) + "\n";
    for (size_t i : which) {
        f.write(docs[i].text.data(), static_cast<std::streamsize>(docs[i].text.size()));
        f.write(sep.data(), static_cast<std::streamsize>(sep.size()));
        sha.update(docs[i].text);
        sha.update(sep);
    }
    f.flush();
    if (!f) fail("corpus: cannot write {}: {}", path.string(), std::strerror(errno));
    return sha.finish_hex();
}

nlohmann::json split_json(const DomainOut& d, const std::vector<size_t>& which,
                          const std::string& file, const std::string& sha) {
    const std::string sep = std::string(kDocumentSeparator) + "\n";
    return {{"file", file},
            {"documents", which.size()},
            {"bytes", total_bytes(d.docs, which) + static_cast<int64_t>(sep.size() * which.size())},
            {"text_bytes", total_bytes(d.docs, which)},
            {"sha256", sha}};
}

nlohmann::json source_json(const SourceResult& s) {
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& k : s.skipped) skipped.push_back({{"file", k.path}, {"reason", k.reason}});
    const char* cleaners[] = {"brown", "sentence-json", "roff", "code"};
    return {{"name", s.spec->package},
            {"version", s.spec->version},
            {"kind", s.spec->kind == SourceKind::Npm ? "npm" : "deb"},
            {"domain", s.spec->domain},
            {"clean", cleaners[static_cast<int>(s.spec->clean)]},
            {"include", s.spec->include},
            {"exclude", s.spec->exclude},
            {"files", s.files},
            {"files_used", s.files.size()},
            {"skipped", skipped},
            {"bytes_in", s.bytes_in},
            {"bytes_out", s.bytes_out}};
}

// Every domain's documents, capped and split into train and held-out.
std::vector<DomainOut> split_domains(const CorpusSpec& spec, std::vector<SourceResult>& sources) {
    std::vector<DomainOut> domains;
    for (const auto& d : spec.domains) domains.push_back(domain_documents(d, sources));
    apply_caps(domains);
    for (auto& d : domains) {
        if (d.docs.size() < 2) fail("corpus: domain {} has fewer than two documents", d.name);
        d.val = held_out_documents(d.docs, spec.val_fraction, spec.min_val_documents,
                                   spec.min_val_bytes);
        d.train.clear();
        for (size_t i = 0, v = 0; i < d.docs.size(); ++i)
            if (v < d.val.size() && d.val[v] == i)
                ++v;
            else
                d.train.push_back(i);
    }
    return domains;
}

void write_text_file(const fs::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    f.flush();
    if (!f) fail("corpus: cannot write {}: {}", path.string(), std::strerror(errno));
}

// Writes DIR/<domain>/{train,val}.txt; returns the domain's manifest entry.
nlohmann::json write_domain(const fs::path& dir, const DomainOut& d, int64_t all_bytes,
                            std::vector<std::string>& files) {
    fs::create_directories(dir / d.name);
    nlohmann::json dj;
    for (const auto* split : {"train", "val"}) {
        const auto& which = std::string(split) == "train" ? d.train : d.val;
        const std::string file = d.name + "/" + split + ".txt";
        const std::string sha = write_documents(dir / file, d.docs, which);
        dj[split] = split_json(d, which, file, sha);
        files.push_back(file);
    }
    const int64_t bytes = total_bytes(d.docs, d.train) + total_bytes(d.docs, d.val);
    dj["documents"] = d.docs.size();
    dj["text_bytes"] = bytes;
    dj["share"] = all_bytes > 0 ? static_cast<double>(bytes) / static_cast<double>(all_bytes) : 0.0;
    if (d.max_share > 0) {
        dj["max_share"] = d.max_share;
        dj["over_cap"] = {{"documents", d.dropped_documents}, {"bytes", d.dropped_bytes}};
    }
    return dj;
}

// A directory that is removed unless released (the corpus being written).
class TempDir {
  public:
    explicit TempDir(fs::path p) : path_(std::move(p)) {
        std::error_code ec;
        fs::remove_all(path_, ec);
        if (!fs::create_directories(path_, ec))
            fail("corpus: cannot create {}: {}", path_.string(), ec.message());
    }
    ~TempDir() {
        std::error_code ec;
        if (!released_) fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    void release() { released_ = true; }

  private:
    fs::path path_;
    bool released_ = false;
};

// Moves the finished corpus into place: one rename when out does not exist,
// else file by file (the manifest last) so that other files in out (the
// tokenizer, token files) stay.
void commit_corpus(TempDir& temp, const fs::path& out, const std::vector<std::string>& files) {
    std::error_code ec;
    if (!fs::exists(out)) {
        fs::rename(temp.path(), out, ec);
        if (ec)
            fail("corpus: cannot rename {} to {}: {}", temp.path().string(), out.string(),
                 ec.message());
        temp.release();
        return;
    }
    if (!fs::is_directory(out)) fail("corpus: {} exists and is not a directory", out.string());
    for (const auto& f : files) {
        fs::create_directories((out / f).parent_path(), ec);
        fs::rename(temp.path() / f, out / f, ec);
        if (ec) fail("corpus: cannot move {} into {}: {}", f, out.string(), ec.message());
    }
}

// The tokenizer trained on every train document, then each split as token
// ids: DIR/tokenizer.gguf, DIR/tokens/..., and their counts in the manifest.
void add_tokens(const fs::path& dir, const std::vector<DomainOut>& domains, const CorpusOptions& o,
                nlohmann::json& manifest, std::vector<std::string>& files) {
    std::vector<std::string_view> docs;
    for (const auto& d : domains)
        for (size_t i : d.train) docs.push_back(d.docs[i].text);
    BpeTrainOptions bo;
    bo.vocab_size = o.vocab_size;
    bo.n_threads = o.n_threads;
    const BpeVocab vocab = train_bpe(docs, bo);
    write_vocab_gguf((dir / "tokenizer.gguf").string(), vocab);
    files.push_back("tokenizer.gguf");
    std::vector<std::string> names;
    for (const auto& d : domains) names.push_back(d.name);
    const int threads = o.n_threads > 0 ? o.n_threads : default_thread_count();
    const auto splits = tokenize_corpus(dir.string(), names, threads);
    int64_t all_tokens = 0;
    for (const auto& s : splits) all_tokens += s.tokens;
    for (const auto& s : splits) {
        const std::string file = "tokens/" + s.domain + "." + s.split + ".tok";
        files.push_back(file);
        auto& j = manifest["domains"][s.domain];
        j[s.split]["tokens"] = s.tokens;
        j[s.split]["tokens_file"] = file;
        j[s.split]["tokens_sha256"] = sha256_hex(read_text_file((dir / file).string()));
        const int64_t domain_tokens =
            j.value("tokens", int64_t{0}) + s.tokens;  // train + val once both are in
        j["tokens"] = domain_tokens;
        j["token_share"] = static_cast<double>(domain_tokens) / static_cast<double>(all_tokens);
    }
    files.push_back("tokens/domains.txt");
    manifest["tokenizer"] = {
        {"file", "tokenizer.gguf"},
        {"model", "gpt2"},
        {"pre", vocab.pre},
        {"vocab_size", vocab.tokens.size()},
        {"merges", vocab.merges.size()},
        {"sha256", sha256_hex(read_text_file((dir / "tokenizer.gguf").string()))}};
    manifest["tokens"] = all_tokens;
}

}  // namespace

uint64_t stable_hash(std::string_view name, uint64_t salt) {
    uint64_t h = 0xcbf29ce484222325ull ^ salt;
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    // FNV-1a leaves the last bytes (names differ at their ends) poorly mixed
    // into the high bits: finish with splitmix64's mixer.
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

std::vector<size_t> held_out_documents(const std::vector<Document>& docs, double val_fraction,
                                       int64_t min_documents, int64_t min_bytes) {
    std::vector<bool> held(docs.size(), false);
    int64_t n = 0, bytes = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
        const double u = static_cast<double>(stable_hash(docs[i].name, kSplitSalt) >> 11) * 0x1p-53;
        if (u < val_fraction && n + 1 < static_cast<int64_t>(docs.size())) {
            held[i] = true;
            ++n;
            bytes += static_cast<int64_t>(docs[i].text.size());
        }
    }
    for (size_t i : hash_order(docs, kSplitSalt)) {
        if (n >= min_documents && bytes >= min_bytes) break;
        if (held[i]) continue;
        if (n + 1 >= static_cast<int64_t>(docs.size())) break;  // one stays in train
        held[i] = true;
        ++n;
        bytes += static_cast<int64_t>(docs[i].text.size());
    }
    std::vector<size_t> out;
    for (size_t i = 0; i < docs.size(); ++i)
        if (held[i]) out.push_back(i);
    return out;
}

std::vector<size_t> documents_under_cap(const std::vector<Document>& docs, int64_t cap_bytes) {
    std::vector<size_t> kept;
    int64_t bytes = 0;
    for (size_t i : hash_order(docs, kCapSalt)) {
        const auto size = static_cast<int64_t>(docs[i].text.size());
        if (bytes + size > cap_bytes) continue;
        bytes += size;
        kept.push_back(i);
    }
    std::sort(kept.begin(), kept.end());
    return kept;
}

nlohmann::json build_corpus(const CorpusOptions& o,
                            const std::function<void(const SourceResult&)>& on_source) {
    const std::string spec_text = read_text_file(o.sources_file);
    const CorpusSpec spec = parse_corpus_spec(spec_text, o.sources_file);
    const std::string npm_dir = o.npm_dir.empty() ? default_npm_dir() : o.npm_dir;
    const std::string deb_dir = o.deb_dir.empty() ? default_deb_dir() : o.deb_dir;
    std::vector<SourceResult> sources;
    for (const auto& s : spec.sources) {
        sources.push_back(read_source(s, source_root(s, npm_dir, deb_dir)));
        if (on_source) on_source(sources.back());
    }
    const auto domains = split_domains(spec, sources);

    const fs::path out = o.out_dir;
    const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
    TempDir temp(parent / (out.filename().string() + ".tmp." + std::to_string(::getpid())));
    nlohmann::json manifest;
    manifest["format"] = "quantlab-corpus-1";
    manifest["separator"] = kDocumentSeparator;
    manifest["sources_sha256"] = sha256_hex(spec_text);
    manifest["split"] = {{"val_fraction", spec.val_fraction},
                         {"min_val_documents", spec.min_val_documents},
                         {"min_val_bytes", spec.min_val_bytes}};
    manifest["sources"] = nlohmann::json::array();
    for (const auto& s : sources) manifest["sources"].push_back(source_json(s));
    int64_t all_bytes = 0;
    for (const auto& d : domains)
        all_bytes += total_bytes(d.docs, d.train) + total_bytes(d.docs, d.val);
    std::vector<std::string> files;
    for (const auto& d : domains)
        manifest["domains"][d.name] = write_domain(temp.path(), d, all_bytes, files);
    manifest["text_bytes"] = all_bytes;
    if (o.vocab_size > 0) add_tokens(temp.path(), domains, o, manifest, files);
    write_text_file(temp.path() / "manifest.json", manifest.dump(2) + "\n");
    files.push_back("manifest.json");
    commit_corpus(temp, out, files);
    return manifest;
}

}  // namespace ql::train
