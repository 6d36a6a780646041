// quantlab corpus build as a library: the split, the cap, the manifest and
// byte-identical rebuilds on the fake packages of tests/data/corpus; the real
// sources when scripts/setup.sh has fetched them (skipped otherwise).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "train/corpus.hpp"
#include "train/data.hpp"
#include "train/tokenize_corpus.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ql::train;

const std::string kData = std::string(QL_SOURCE_DIR) + "/tests/data/corpus";

std::string slurp(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

class Scratch {
  public:
    Scratch() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = fs::temp_directory_path() /
                ("ql_corpus_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~Scratch() { fs::remove_all(path_); }
    fs::path operator/(const std::string& name) const { return path_ / name; }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

CorpusOptions fixture_options(const fs::path& out) {
    CorpusOptions o;
    o.sources_file = kData + "/sources.json";
    o.npm_dir = kData + "/npm";
    o.deb_dir = kData + "/deb";
    o.out_dir = out.string();
    o.vocab_size = 0;  // text only; CorpusBuild.TokenizerAndTokenFiles adds them
    return o;
}

std::vector<Document> numbered_documents(int n, size_t bytes) {
    std::vector<Document> docs;
    for (int i = 0; i < n; ++i)
        docs.push_back({"pkg@1/file" + std::to_string(i) + ".txt", std::string(bytes, 'x')});
    return docs;
}

TEST(CorpusSplit, StableHashNeverChanges) {
    EXPECT_EQ(stable_hash(""), 0xf52a15e9a9b5e89bull);
    EXPECT_EQ(stable_hash("a"), 0x2c0bdbf481420f8ull);
    EXPECT_EQ(stable_hash("a", 1), 0x270aeb36a95726cfull);
}

TEST(CorpusSplit, DeterministicAboutFivePercent) {
    const auto docs = numbered_documents(2000, 100);
    const auto val = held_out_documents(docs, 0.05, 1, 0);
    EXPECT_EQ(val, held_out_documents(docs, 0.05, 1, 0));
    EXPECT_GT(val.size(), 60u);
    EXPECT_LT(val.size(), 140u);
    // A document's side does not depend on the others.
    std::vector<Document> half(docs.begin(), docs.begin() + 1000);
    const auto val_half = held_out_documents(half, 0.05, 1, 0);
    std::vector<size_t> expected;
    for (size_t i : val)
        if (i < 1000) expected.push_back(i);
    EXPECT_EQ(val_half, expected);
}

TEST(CorpusSplit, MinimumsAreMetButOneDocumentStaysInTrain) {
    const auto docs = numbered_documents(10, 1000);
    EXPECT_GE(held_out_documents(docs, 0.0, 1, 0).size(), 1u);
    EXPECT_EQ(held_out_documents(docs, 0.0, 3, 0).size(), 3u);
    EXPECT_EQ(held_out_documents(docs, 0.0, 1, 4500).size(), 5u);
    EXPECT_EQ(held_out_documents(docs, 0.0, 1, 1000000).size(), 9u);
    EXPECT_TRUE(held_out_documents(numbered_documents(1, 10), 0.5, 1, 0).empty());
}

TEST(CorpusSplit, CapTakesWholeDocumentsInHashOrder) {
    auto docs = numbered_documents(50, 100);
    docs[7].text = std::string(1000, 'y');
    const auto kept = documents_under_cap(docs, 2050);
    int64_t bytes = 0;
    for (size_t i : kept) bytes += static_cast<int64_t>(docs[i].text.size());
    EXPECT_LE(bytes, 2050);
    EXPECT_GE(bytes, 1951);
    EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
    EXPECT_EQ(kept, documents_under_cap(docs, 2050));
    EXPECT_TRUE(documents_under_cap(docs, 50).empty());
}

TEST(CorpusSpec, BadSpecsNameTheFile) {
    EXPECT_THROW(parse_corpus_spec("[]", "s.json"), ql::InputError);
    EXPECT_THROW(parse_corpus_spec("{\"domains\": []}", "s.json"), ql::InputError);
    const std::string unknown_domain = R"({"domains": [{"name": "en"}], "sources": [
        {"domain": "xx", "kind": "npm", "package": "p", "version": "1", "include": ["a"],
         "clean": "code"}]})";
    try {
        parse_corpus_spec(unknown_domain, "s.json");
        FAIL() << "no error";
    } catch (const ql::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("s.json"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("xx"), std::string::npos);
    }
    const std::string bad_cleaner = R"({"domains": [{"name": "en"}], "sources": [
        {"domain": "en", "kind": "npm", "package": "p", "version": "1", "include": ["a"],
         "clean": "magic"}]})";
    EXPECT_THROW(parse_corpus_spec(bad_cleaner, "s.json"), ql::InputError);
}

TEST(CorpusBuild, FixtureManifestAndFiles) {
    Scratch dir;
    const auto out = dir / "corpus";
    const auto m = build_corpus(fixture_options(out));
    ASSERT_EQ(m["sources"].size(), 4u);
    const auto& brown = m["sources"][0];
    EXPECT_EQ(brown["name"], "fake-brown");
    EXPECT_EQ(brown["version"], "1.0.0");
    EXPECT_EQ(brown["files"], nlohmann::json({"ca01", "cb02"}));  // not README
    const auto& web = m["sources"][2];
    EXPECT_EQ(web["files"], nlohmann::json({"css/copy.css", "index.html", "js/add.js"}));
    std::map<std::string, std::string> skipped;
    for (const auto& s : web["skipped"]) skipped[s["file"]] = s["reason"];
    EXPECT_EQ(skipped["css/style.min.css"], "minified name");
    EXPECT_EQ(skipped["css/style.css.map"], "source map");
    EXPECT_EQ(skipped["css/style.css"], "duplicate of fake-web@2.0.0/css/copy.css");
    EXPECT_NE(skipped["js/packed.js"].find("minified"), std::string::npos);
    const auto& man = m["sources"][3];
    EXPECT_EQ(man["skipped"][0]["file"], "usr/share/man/de/man1/dir.1.gz");  // .so link
    EXPECT_EQ(man["skipped"][0]["reason"], "empty after cleaning");

    for (const std::string domain : {"en", "code", "de"}) {
        const auto& d = m["domains"][domain];
        for (const std::string split : {"train", "val"}) {
            const std::string file = domain + "/" + split + ".txt";
            const std::string text = slurp(out / file);
            EXPECT_EQ(d[split]["file"], file);
            EXPECT_EQ(d[split]["bytes"].get<size_t>(), text.size());
            EXPECT_EQ(d[split]["sha256"], ql::sha256_hex(text));
            EXPECT_EQ(split_documents(text).size(), d[split]["documents"].get<size_t>());
            EXPECT_GE(d[split]["documents"].get<int>(), 1) << file;
        }
    }
    EXPECT_LE(m["domains"]["de"]["share"].get<double>(), 0.4);
    EXPECT_EQ(slurp(out / "manifest.json"), m.dump(2) + "\n");
    const std::string code = slurp(out / "code/train.txt") + slurp(out / "code/val.txt");
    EXPECT_EQ(code.find("sourceMappingURL"), std::string::npos);
    EXPECT_EQ(code.find('\r'), std::string::npos);
    size_t n_entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++n_entries;
    EXPECT_EQ(n_entries, 1u);  // no temporary left beside it
}

TEST(CorpusBuild, TokenizerAndTokenFiles) {
    Scratch dir;
    auto o = fixture_options(dir / "corpus");
    o.vocab_size = 300;
    const auto m = build_corpus(o);
    const auto out = dir / "corpus";
    ASSERT_TRUE(fs::exists(out / "tokenizer.gguf"));
    EXPECT_EQ(m["tokenizer"]["pre"], "qwen2");
    EXPECT_LE(m["tokenizer"]["vocab_size"].get<int64_t>(), 300);
    EXPECT_EQ(m["tokenizer"]["sha256"], ql::sha256_hex(slurp(out / "tokenizer.gguf")));
    const auto corpus = ql::train::load_token_corpus(out.string());
    ASSERT_EQ(corpus.domains.size(), 3u);
    int64_t total = 0;
    for (const auto& d : corpus.domains) {
        EXPECT_EQ(m["domains"][d.domain]["train"]["tokens"].get<size_t>(), d.train.size());
        EXPECT_EQ(m["domains"][d.domain]["val"]["tokens"].get<size_t>(), d.val.size());
        total += static_cast<int64_t>(d.train.size() + d.val.size());
    }
    EXPECT_EQ(m["tokens"].get<int64_t>(), total);
    // the same bytes when built again
    auto again = o;
    again.out_dir = (dir / "again").string();
    build_corpus(again);
    EXPECT_EQ(slurp(out / "tokenizer.gguf"), slurp(dir / "again/tokenizer.gguf"));
    EXPECT_EQ(slurp(out / "tokens/en.train.tok"), slurp(dir / "again/tokens/en.train.tok"));
}

TEST(CorpusBuild, SameInputsGiveIdenticalBytes) {
    Scratch dir;
    build_corpus(fixture_options(dir / "a"));
    build_corpus(fixture_options(dir / "b"));
    build_corpus(fixture_options(dir / "b"));  // rebuilt over itself
    for (const char* f : {"manifest.json", "en/train.txt", "en/val.txt", "code/train.txt",
                          "code/val.txt", "de/train.txt", "de/val.txt"})
        EXPECT_EQ(slurp(dir / "a" / f), slurp(dir / "b" / f)) << f;
}

TEST(CorpusBuild, RebuildKeepsOtherFilesInTheDirectory) {
    Scratch dir;
    const auto out = dir / "corpus";
    build_corpus(fixture_options(out));
    std::ofstream(out / "tokenizer.gguf") << "kept";
    build_corpus(fixture_options(out));
    EXPECT_EQ(slurp(out / "tokenizer.gguf"), "kept");
}

TEST(CorpusBuild, MissingPackageFailsAndWritesNothing) {
    Scratch dir;
    auto o = fixture_options(dir / "corpus");
    o.npm_dir = (dir / "no-such-dir").string();
    try {
        build_corpus(o);
        FAIL() << "no error";
    } catch (const ql::Error& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.exit_status(), 1);
        EXPECT_NE(what.find("fake-brown@1.0.0"), std::string::npos) << what;
        EXPECT_NE(what.find("scripts/setup.sh"), std::string::npos) << what;
    }
    EXPECT_TRUE(fs::is_empty(dir.path()));
}

// The real sources, when scripts/setup.sh has fetched them: every pinned file
// is there and the shares hold. (A full build reads ~50 MB: ~10 s.)
TEST(CorpusBuild, RealSourcesWhenFetched) {
#ifdef QL_SANITIZED
    GTEST_SKIP() << "too slow under the sanitizers";
#endif
    CorpusOptions o;
    o.sources_file = std::string(QL_SOURCE_DIR) + "/data/corpus/sources.json";
    const auto spec = parse_corpus_spec(slurp(o.sources_file), o.sources_file);
    for (const auto& s : spec.sources)
        if (!fs::is_directory(source_root(s, default_npm_dir(), default_deb_dir())))
            GTEST_SKIP() << s.label() << " not fetched (run scripts/setup.sh)";
    Scratch dir;
    o.out_dir = (dir / "corpus").string();
    const auto m = build_corpus(o);
    EXPECT_LE(m["domains"]["de"]["share"].get<double>(), 0.10);
    EXPECT_LE(m["domains"]["de"]["token_share"].get<double>(), 0.10);  // of the tokens, too
    EXPECT_EQ(m["tokenizer"]["vocab_size"].get<int64_t>(), 2048);
    for (const char* d : {"en", "code", "de"}) {
        EXPECT_GE(m["domains"][d]["val"]["bytes"].get<int64_t>(), 20000) << d;
        EXPECT_GT(m["domains"][d]["share"].get<double>(), 0.05) << d;
    }
}

}  // namespace
