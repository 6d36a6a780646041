// The sources of the corpus: the spec file, the package roots, and reading
// and cleaning every file a source names.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "train/corpus.hpp"
#include "train/corpus_clean.hpp"
#include "util/error.hpp"

namespace ql::train {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxFileBytes = int64_t(256) << 20;  // a file larger than this is not text

Cleaner parse_cleaner(const std::string& s, std::string_view name) {
    if (s == "brown") return Cleaner::Brown;
    if (s == "sentence-json") return Cleaner::SentenceJson;
    if (s == "roff") return Cleaner::Roff;
    if (s == "code") return Cleaner::Code;
    fail_input("{}: unknown cleaner '{}' (brown, sentence-json, roff, code)", name, s);
}

std::vector<std::string> string_list(const nlohmann::json& j, const char* key,
                                     std::string_view name) {
    std::vector<std::string> out;
    if (!j.contains(key)) return out;
    if (!j[key].is_array()) fail_input("{}: '{}' must be a list of globs", name, key);
    for (const auto& v : j[key]) {
        if (!v.is_string()) fail_input("{}: '{}' must be a list of globs", name, key);
        out.push_back(v.get<std::string>());
    }
    return out;
}

std::string required_string(const nlohmann::json& j, const char* key, std::string_view name) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
        fail_input("{}: a source lacks '{}'", name, key);
    return j[key].get<std::string>();
}

SourceSpec parse_source(const nlohmann::json& j, const CorpusSpec& spec, std::string_view name) {
    if (!j.is_object()) fail_input("{}: every source must be an object", name);
    SourceSpec s;
    s.domain = required_string(j, "domain", name);
    const std::string kind = required_string(j, "kind", name);
    if (kind != "npm" && kind != "deb") fail_input("{}: unknown source kind '{}'", name, kind);
    s.kind = kind == "npm" ? SourceKind::Npm : SourceKind::Deb;
    s.package = required_string(j, "package", name);
    s.version = required_string(j, "version", name);
    s.clean = parse_cleaner(required_string(j, "clean", name), name);
    s.include = string_list(j, "include", name);
    s.exclude = string_list(j, "exclude", name);
    if (s.include.empty()) fail_input("{}: {} includes no files", name, s.label());
    const bool known = std::any_of(spec.domains.begin(), spec.domains.end(),
                                   [&](const DomainSpec& d) { return d.name == s.domain; });
    if (!known) fail_input("{}: {} names an unknown domain '{}'", name, s.label(), s.domain);
    if (s.package.find("..") != std::string::npos || s.version.find('/') != std::string::npos)
        fail_input("{}: bad package name or version '{}'", name, s.label());
    return s;
}

double number_or(const nlohmann::json& j, const char* key, double fallback, std::string_view name) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number()) fail_input("{}: '{}' must be a number", name, key);
    return j[key].get<double>();
}

std::string read_plain_file(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail("{}: cannot open: {}", path.string(), std::strerror(errno));
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string read_gzip_file(const fs::path& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) fail("{}: cannot open: {}", path.string(), std::strerror(errno));
    std::string out;
    char buf[1 << 16];
    int n = 0;
    while ((n = gzread(f, buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<size_t>(n));
        if (static_cast<int64_t>(out.size()) > kMaxFileBytes) break;
    }
    int err = Z_OK;
    const char* message = n < 0 ? gzerror(f, &err) : "";
    const std::string what = message ? message : "";
    gzclose_r(f);
    if (n < 0) fail_input("{}: not a valid gzip file: {}", path.string(), what);
    if (static_cast<int64_t>(out.size()) > kMaxFileBytes)
        fail_input("{}: larger than {} bytes uncompressed", path.string(), kMaxFileBytes);
    return out;
}

std::string read_source_file(const fs::path& path) {
    if (fs::file_size(path) > static_cast<uintmax_t>(kMaxFileBytes))
        fail_input("{}: larger than {} bytes", path.string(), kMaxFileBytes);
    const std::string ext = path.extension().string();
    return ext == ".gz" ? read_gzip_file(path) : read_plain_file(path);
}

// Regular files below root (symbolic links are left out: in packages they
// duplicate another file), as sorted relative paths.
std::vector<std::string> package_files(const fs::path& root) {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_symlink() || !e.is_regular_file()) continue;
        files.push_back(fs::relative(e.path(), root).generic_string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

bool matches_any(const std::vector<std::string>& globs, const std::string& path) {
    return std::any_of(globs.begin(), globs.end(),
                       [&](const std::string& g) { return glob_match(g, path); });
}

// A document's text must not hold the separator line itself.
std::string without_separator_lines(std::string text) {
    const std::string line = std::string(kDocumentSeparator) + "\n";
    for (size_t at = text.find(line); at != std::string::npos; at = text.find(line, at))
        if (at == 0 || text[at - 1] == '\n')
            text.erase(at, line.size());
        else
            at += line.size();
    return text;
}

// The cleaned text of one file, or the reason it is skipped.
std::string clean_file(const SourceSpec& spec, const std::string& path, const std::string& raw,
                       const std::string& name, std::string& skip_reason) {
    if (spec.clean == Cleaner::Code) {
        skip_reason = code_skip_reason(path, raw);
        if (!skip_reason.empty()) return {};
    }
    if (!is_valid_utf8(raw)) {
        skip_reason = "not UTF-8";
        return {};
    }
    std::string text;
    switch (spec.clean) {
        case Cleaner::Brown:
            text = clean_brown(raw);
            break;
        case Cleaner::SentenceJson:
            text = clean_sentence_json(raw, name);
            break;
        case Cleaner::Roff:
            text = clean_roff(raw);
            break;
        case Cleaner::Code:
            text = clean_code(raw);
            break;
    }
    text = without_separator_lines(std::move(text));
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        skip_reason = "empty after cleaning";
    return text;
}

}  // namespace

std::string SourceSpec::label() const {
    return kind == SourceKind::Npm ? package + "@" + version : package + "_" + version;
}

CorpusSpec parse_corpus_spec(std::string_view json, std::string_view name) {
    const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) fail_input("{}: not a JSON object", name);
    if (!j.contains("domains") || !j["domains"].is_array() || !j.contains("sources") ||
        !j["sources"].is_array())
        fail_input("{}: needs the lists 'domains' and 'sources'", name);
    CorpusSpec spec;
    for (const auto& d : j["domains"]) {
        if (!d.is_object() || !d.contains("name") || !d["name"].is_string())
            fail_input("{}: every domain needs a name", name);
        DomainSpec ds{d["name"].get<std::string>(), number_or(d, "max_share", 0.0, name)};
        if (ds.name.empty() || ds.name.find_first_of("/.\\") != std::string::npos)
            fail_input("{}: bad domain name '{}'", name, ds.name);
        if (ds.max_share < 0 || ds.max_share >= 1)
            fail_input("{}: max_share of {} must be in [0, 1)", name, ds.name);
        spec.domains.push_back(ds);
    }
    for (const auto& s : j["sources"]) spec.sources.push_back(parse_source(s, spec, name));
    const auto split = j.value("split", nlohmann::json::object());
    spec.val_fraction = number_or(split, "val_fraction", spec.val_fraction, name);
    spec.min_val_documents = static_cast<int64_t>(
        number_or(split, "min_val_documents", double(spec.min_val_documents), name));
    spec.min_val_bytes =
        static_cast<int64_t>(number_or(split, "min_val_bytes", double(spec.min_val_bytes), name));
    if (spec.val_fraction < 0 || spec.val_fraction >= 1 || spec.min_val_documents < 0 ||
        spec.min_val_bytes < 0)
        fail_input("{}: bad split settings", name);
    return spec;
}

std::string default_npm_dir() {
    if (const char* d = std::getenv("QL_NPM_DIR"); d && *d) return d;
    const char* home = std::getenv("HOME");
    return std::string(home ? home : ".") + "/.cache/quantlab/npm";
}

std::string default_deb_dir() {
    if (const char* d = std::getenv("QL_DEB_DIR"); d && *d) return d;
    const char* home = std::getenv("HOME");
    return std::string(home ? home : ".") + "/.cache/quantlab/deb";
}

std::string source_root(const SourceSpec& spec, const std::string& npm_dir,
                        const std::string& deb_dir) {
    if (spec.kind == SourceKind::Npm) return npm_dir + "/" + spec.label() + "/package";
    return deb_dir + "/" + spec.label();
}

SourceResult read_source(const SourceSpec& spec, const std::string& root) {
    const auto start = std::chrono::steady_clock::now();
    const char* kind = spec.kind == SourceKind::Npm ? "npm" : "Debian";
    if (!fs::is_directory(root))
        fail("corpus: {} package {} is missing ({} not found; run scripts/setup.sh)", kind,
             spec.label(), root);
    SourceResult r;
    r.spec = &spec;
    const auto files = package_files(root);
    for (const auto& pattern : spec.include)
        if (std::none_of(files.begin(), files.end(),
                         [&](const std::string& f) { return glob_match(pattern, f); }))
            fail("corpus: {}: no file matches '{}' in {} (run scripts/setup.sh)", spec.label(),
                 pattern, root);
    for (const auto& path : files) {
        if (!matches_any(spec.include, path) || matches_any(spec.exclude, path)) continue;
        const std::string raw = read_source_file(fs::path(root) / path);
        const std::string name = spec.label() + "/" + path;
        std::string reason;
        std::string text = clean_file(spec, path, raw, name, reason);
        if (!reason.empty()) {
            r.skipped.push_back({path, reason});
            continue;
        }
        r.bytes_in += static_cast<int64_t>(raw.size());
        r.bytes_out += static_cast<int64_t>(text.size());
        r.files.push_back(path);
        r.documents.push_back({name, std::move(text)});
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

}  // namespace ql::train
