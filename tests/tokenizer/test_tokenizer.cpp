// Tokenizer behaviour on hand-made vocabularies (SentencePiece merges by
// score, byte fallback, special tokens, BOS/EOS, decoding), bad vocabularies,
// round trips and speed on the golden vocabularies.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gguf/gguf.hpp"
#include "tokenizer/pretokenize.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"

namespace ql::tok {
namespace {

namespace fs = std::filesystem;
using Meta = std::vector<std::pair<std::string, gguf::Value>>;

const std::string kVocabDir = std::string(QL_SHARED_DIR) + "/golden/vocab/";

// A metadata-only GGUF in a per-test temporary file.
class VocabFile {
  public:
    explicit VocabFile(const Meta& meta) {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = (fs::temp_directory_path() /
                 fmt::format("ql_tok_{}_{}_{}.gguf", ::getpid(), info->name(), counter_++))
                    .string();
        gguf::GgufWriter w(path_);
        for (const auto& [k, v] : meta) w.set(k, v);
        w.begin();
        w.finish();
    }
    ~VocabFile() { fs::remove(path_); }
    gguf::GgufFile open() const { return gguf::GgufFile::open(path_); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    static inline int counter_ = 0;
};

// SPM vocabulary: <unk> <s> </s>, 256 byte tokens, then `pieces` with scores.
struct SpmVocab {
    std::vector<std::string> texts{"<unk>", "<s>", "</s>"};
    std::vector<float> scores{0, 0, 0};
    std::vector<int32_t> types{2, 3, 3};
    SpmVocab() {
        for (int b = 0; b < 256; ++b) add(fmt::format("<0x{:02X}>", b), 0, 6);
    }
    int32_t add(const std::string& text, float score, int32_t type = 1) {
        texts.push_back(text);
        scores.push_back(score);
        types.push_back(type);
        return static_cast<int32_t>(texts.size() - 1);
    }
    Meta meta() const {
        return {{"tokenizer.ggml.model", gguf::Value::string("llama")},
                {"tokenizer.ggml.tokens", gguf::Value::string_array(texts)},
                {"tokenizer.ggml.scores", gguf::Value::f32_array(scores)},
                {"tokenizer.ggml.token_type", gguf::Value::i32_array(types)}};
    }
};

int32_t byte_id(unsigned char b) {
    return 3 + b;
}

TEST(SpmTokenizer, MergesByScoreNotByPosition) {
    SpmVocab v;
    const int32_t mark = v.add("\xE2\x96\x81", -1);  // U+2581
    const int32_t a = v.add("a", -2);
    v.add("b", -2);
    v.add("ab", -1.5f);
    const int32_t mark_ab = v.add(
        "\xE2\x96\x81"
        "ab",
        -0.5f);
    const int32_t mark_a = v.add(
        "\xE2\x96\x81"
        "a",
        -3);
    const int32_t ba = v.add("ba", -0.1f);
    VocabFile f(v.meta());
    const Tokenizer tok = Tokenizer::from_gguf(f.open());
    EXPECT_EQ(tok.kind(), VocabKind::Spm);
    // " ab": (a,b) outscores (_,a); then (_,ab) merges.
    EXPECT_EQ(tok.encode("ab", false), (std::vector<int32_t>{mark_ab}));
    // " aba": (b,a) is best, after which "_a" + "ba" cannot merge further.
    EXPECT_EQ(tok.encode("aba", false), (std::vector<int32_t>{mark_a, ba}));
    // A character without a token falls back to its UTF-8 bytes.
    EXPECT_EQ(tok.encode("a\xC3\xA9", false),
              (std::vector<int32_t>{mark_a, byte_id(0xC3), byte_id(0xA9)}));
    EXPECT_EQ(tok.encode(" a", false), (std::vector<int32_t>{mark, mark_a}));
    EXPECT_EQ(tok.encode("a", true), (std::vector<int32_t>{1, mark_a}));
    EXPECT_EQ(tok.decode({1, mark_ab, ba, byte_id(0xC3), byte_id(0xA9), 2}), " abba\xC3\xA9");
    EXPECT_EQ(tok.decode({1, mark_a}, /*render_special=*/true), "<s> a");
    EXPECT_EQ(tok.bos(), 1);
    EXPECT_EQ(tok.eos(), 2);
    EXPECT_TRUE(tok.is_eog(2));
    EXPECT_FALSE(tok.is_eog(a));
}

TEST(SpmTokenizer, SpecialTokensAndSpacePrefix) {
    SpmVocab v;
    const int32_t mark = v.add("\xE2\x96\x81", -1);
    const int32_t mark_a = v.add(
        "\xE2\x96\x81"
        "a",
        -1);
    const int32_t b = v.add("b", -2);
    const int32_t tool = v.add("<tool>", 0, 4);  // user-defined
    VocabFile f(v.meta());
    const Tokenizer tok = Tokenizer::from_gguf(f.open());
    // User-defined tokens are matched even without parse_special; the text
    // after a special token gets the space prefix again.
    EXPECT_EQ(tok.encode("a<tool>b", false, false), (std::vector<int32_t>{mark_a, tool, mark, b}));
    // Control tokens only with parse_special.
    EXPECT_EQ(tok.encode("<s>", false, true), (std::vector<int32_t>{1}));
    EXPECT_EQ(tok.encode("<s>", false, false),
              (std::vector<int32_t>{mark, byte_id('<'), byte_id('s'), byte_id('>')}));

    Meta m = v.meta();
    m.emplace_back("tokenizer.ggml.add_space_prefix", gguf::Value::boolean(false));
    m.emplace_back("tokenizer.ggml.add_bos_token", gguf::Value::boolean(false));
    m.emplace_back("tokenizer.ggml.add_eos_token", gguf::Value::boolean(true));
    VocabFile g(m);
    const Tokenizer plain = Tokenizer::from_gguf(g.open());
    EXPECT_EQ(plain.encode("b", true), (std::vector<int32_t>{b, 2}));
    EXPECT_FALSE(plain.adds_bos());
}

// Bad vocabularies: one line naming the file and the problem.
void expect_input_error(const Meta& meta, const std::string& needle) {
    VocabFile f(meta);
    try {
        (void)Tokenizer::from_gguf(f.open());
        ADD_FAILURE() << "no error for " << needle;
    } catch (const InputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(needle), std::string::npos) << what;
        EXPECT_NE(what.find(f.path()), std::string::npos) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
}

Meta bpe_meta() {
    return {{"tokenizer.ggml.model", gguf::Value::string("gpt2")},
            {"tokenizer.ggml.pre", gguf::Value::string("qwen2")},
            {"tokenizer.ggml.tokens", gguf::Value::string_array({"a", "b", "ab"})},
            {"tokenizer.ggml.merges", gguf::Value::string_array({"a b"})}};
}

Meta with(Meta m, const std::string& key, gguf::Value v) {
    for (auto& [k, value] : m) {
        if (k == key) {
            value = std::move(v);
            return m;
        }
    }
    m.emplace_back(key, std::move(v));
    return m;
}

Meta without(Meta m, const std::string& key) {
    std::erase_if(m, [&](const auto& kv) { return kv.first == key; });
    return m;
}

TEST(TokenizerErrors, BadVocabulariesGiveOneClearLine) {
    expect_input_error(without(bpe_meta(), "tokenizer.ggml.model"), "tokenizer.ggml.model");
    expect_input_error(with(bpe_meta(), "tokenizer.ggml.model", gguf::Value::string("bert")),
                       "unknown tokenizer model 'bert'");
    expect_input_error(with(bpe_meta(), "tokenizer.ggml.pre", gguf::Value::string("klingon")),
                       "unknown pre-tokenizer type 'klingon'");
    expect_input_error(without(bpe_meta(), "tokenizer.ggml.merges"), "tokenizer.ggml.merges");
    expect_input_error(without(bpe_meta(), "tokenizer.ggml.tokens"), "tokenizer.ggml.tokens");
    expect_input_error(with(bpe_meta(), "tokenizer.ggml.tokens", gguf::Value::u32_array({1, 2})),
                       "tokenizer.ggml.tokens is not an array of strings");
    expect_input_error(
        with(bpe_meta(), "tokenizer.ggml.scores", gguf::Value::f32_array({0.f, 1.f})),
        "tokenizer.ggml.scores has 2 entries but the vocabulary has 3 tokens");
    expect_input_error(
        with(bpe_meta(), "tokenizer.ggml.token_type", gguf::Value::f32_array({1.f, 1.f, 1.f})),
        "tokenizer.ggml.token_type has the wrong type");
}

TEST(BpeTokenizer, MergesByRankAndRoundTrips) {
    Meta m = with(bpe_meta(), "tokenizer.ggml.tokens",
                  gguf::Value::string_array({"a", "b", "c", "ab", "bc", "abc", "\xC4\xA0"}));
    // "b c" has the better (lower) rank, so "abc" splits as a + bc.
    m = with(m, "tokenizer.ggml.merges", gguf::Value::string_array({"b c", "a b"}));
    VocabFile f(m);
    const Tokenizer tok = Tokenizer::from_gguf(f.open());
    EXPECT_EQ(tok.encode("abc", false), (std::vector<int32_t>{0, 4}));
    EXPECT_EQ(tok.encode("ab", false), (std::vector<int32_t>{3}));
    EXPECT_EQ(tok.encode(" a", false), (std::vector<int32_t>{6, 0}));  // space is U+0120
    EXPECT_EQ(tok.decode({6, 0, 4}), " abc");
    EXPECT_EQ(tok.pre_type(), "qwen2");
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(GoldenTokenizers, DecodeInvertsEncode) {
    const std::string text = read_file(kVocabDir + "ggml-vocab-qwen2.gguf.inp");
    for (const char* name : {"qwen2", "llama-bpe", "gpt-2", "llama-spm"}) {
        const auto file = gguf::GgufFile::open(kVocabDir + "ggml-vocab-" + name + ".gguf");
        const Tokenizer tok = Tokenizer::from_gguf(file);
        const std::string back = tok.decode(tok.encode(text, false));
        // SPM adds one leading space (the space prefix) and keeps it on decoding.
        EXPECT_EQ(back, tok.kind() == VocabKind::Spm ? " " + text : text) << name;
    }
}

// U+2581 read as a space: SPM's decoding turns a U+2581 token into a space but
// leaves one that went through byte fallback as its three bytes.
std::string spaces_for_marks(std::string_view bytes) {
    std::string out;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (bytes.substr(i, 3) == "\xE2\x96\x81") {
            out += ' ';
            i += 2;
        } else {
            out += bytes[i];
        }
    }
    return out;
}

TEST(GoldenTokenizers, ArbitraryBytesAreTokenizedAndDecodedBack) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> byte(0, 255);
    for (const char* name : {"llama-bpe", "gpt-2", "llama-spm"}) {
        const auto file = gguf::GgufFile::open(kVocabDir + "ggml-vocab-" + name + ".gguf");
        const Tokenizer tok = Tokenizer::from_gguf(file);
        for (int trial = 0; trial < 50; ++trial) {
            std::string bytes(static_cast<size_t>(1 + trial * 7), '\0');
            for (char& c : bytes) c = static_cast<char>(byte(rng));
            const auto ids = tok.encode(bytes, false);
            for (int32_t id : ids) ASSERT_LT(static_cast<size_t>(id), tok.n_vocab());
            // BPE sees invalid UTF-8 as U+FFFD; SPM keeps every byte (byte
            // fallback) after its space prefix.
            if (tok.kind() == VocabKind::Spm) {
                EXPECT_EQ(spaces_for_marks(tok.decode(ids)), spaces_for_marks(" " + bytes))
                    << name << " trial " << trial;
            } else {
                EXPECT_EQ(tok.decode(ids), sanitize_utf8(bytes)) << name << " trial " << trial;
            }
        }
    }
}

// Long inputs: a megabyte encodes and (byte-level BPE) decodes back exactly.
// Speed is measured by bench/bench_tokenizer.cpp, not here.
TEST(GoldenTokenizers, EncodesAMegabyteAndDecodesItBack) {
    const std::string cases = read_file(kVocabDir + "ggml-vocab-llama-bpe.gguf.inp");
    if (cases.empty()) GTEST_SKIP() << "no golden vocabularies in " << kVocabDir;
    std::string text;
    while (text.size() < (1u << 20)) text += cases;
    text.resize(1u << 20);
    while ((static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
    for (const char* name : {"llama-bpe", "qwen2"}) {
        const auto file = gguf::GgufFile::open(kVocabDir + "ggml-vocab-" + name + ".gguf");
        const Tokenizer tok = Tokenizer::from_gguf(file);
        const std::vector<int32_t> ids = tok.encode(text, false, false);
        EXPECT_GT(ids.size(), text.size() / 8) << name;
        EXPECT_LT(ids.size(), text.size()) << name;
        EXPECT_EQ(tok.decode(ids), text) << name;
    }
}

}  // namespace
}  // namespace ql::tok
