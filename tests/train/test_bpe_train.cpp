// Byte-level BPE training: hand-checkable merges and tie-breaking, exact
// vocabulary size, the end-of-text token never merged, round trips through
// the written GGUF, and the committed golden (tests/data/train, made by
// make_bpe_golden.sh): retraining gives the committed vocabulary, and our
// tokenizer gives llama-tokenize's ids for every case.
#include "train/bpe_train.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/fixture.hpp"
#include "tokenizer/pretokenize.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab_cases.hpp"
#include "train/tokenize_corpus.hpp"
#include "util/error.hpp"

namespace ql::train {
namespace {

const std::string kDir = std::string(QL_SOURCE_DIR) + "/tests/data/train/";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

BpeVocab train(const std::vector<std::string_view>& docs, int64_t vocab_size,
               int64_t min_count = 1) {
    BpeTrainOptions o;
    o.vocab_size = vocab_size;
    o.min_pair_count = min_count;
    return train_bpe(docs, o);
}

const std::string& sample() {
    static const std::string text = read_file(kDir + "bpe_sample.txt");
    return text;
}

// ---- Hand-checkable cases ---------------------------------------------------

TEST(BpeTrain, FirstMergeIsTheMostFrequentPair) {
    // Pieces "aaab" and " aaab": (a, a) 4 times, (a, b) twice, (" ", a) once.
    const BpeVocab v = train({"aaab aaab"}, 258);
    ASSERT_EQ(v.merges.size(), 1u);
    EXPECT_EQ(v.merges[0], "a a");
    EXPECT_EQ(v.tokens[256], "aa");
    EXPECT_EQ(v.tokens.size(), 258u);
}

TEST(BpeTrain, TiesGoToTheSmallestPairBytes) {
    // After "a a": (aa, a) and (a, b) both occur twice; "a" < "aa".
    const BpeVocab v = train({"aaab aaab"}, 259);
    ASSERT_EQ(v.merges.size(), 2u);
    EXPECT_EQ(v.merges[1], "a b");
    // Equally frequent pairs in different documents: the order of the
    // documents does not matter.
    for (const auto& docs :
         {std::vector<std::string_view>{"xy", "ab"}, std::vector<std::string_view>{"ab", "xy"}}) {
        const BpeVocab w = train(docs, 258);
        ASSERT_EQ(w.merges.size(), 1u);
        EXPECT_EQ(w.merges[0], "a b");
    }
}

TEST(BpeTrain, MergesAreStoredInGpt2Characters) {
    // Pieces "the" once and " the" three times: (t, h) and (h, e) 4 times
    // each ("h" < "t" wins the tie), then (t, he) 4, then (" ", the) 3. The
    // space is stored as "Ġ" (U+0120).
    const BpeVocab v = train({"the the the the"}, 260);
    EXPECT_EQ(v.tokens[32], "\xC4\xA0");
    EXPECT_EQ(v.merges, (std::vector<std::string>{"h e", "t he", "\xC4\xA0 the"}));
    EXPECT_EQ(v.tokens[258], "\xC4\xA0the");
}

// The slow way: recount every pair before each merge.
std::vector<std::string> naive_merges(const std::vector<std::string_view>& docs, size_t n_tokens,
                                      int64_t min_count) {
    const auto pre = tok::PreTokenizer::for_name("qwen2");
    std::map<std::vector<std::string>, int64_t> words;
    for (std::string_view d : docs) {
        const std::string text(d);
        for (const auto& [b, e] : pre->split(text)) {
            std::vector<std::string> w;
            for (size_t i = b; i < e; ++i) w.push_back(text.substr(i, 1));
            ++words[w];
        }
    }
    std::set<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.insert(std::string(1, static_cast<char>(b)));
    std::vector<std::string> merges;
    while (tokens.size() < n_tokens) {
        std::map<std::pair<std::string, std::string>, int64_t> pairs;
        for (const auto& [w, n] : words)
            for (size_t i = 0; i + 1 < w.size(); ++i) pairs[{w[i], w[i + 1]}] += n;
        const std::pair<std::string, std::string>* best = nullptr;
        int64_t best_n = 0;
        for (const auto& [p, n] : pairs)  // ascending pair order: the first maximum wins ties
            if (n > best_n) best = &p, best_n = n;
        if (best == nullptr || best_n < min_count) break;
        const auto [l, r] = *best;
        merges.push_back(tok::bytes_to_unicode(l) + " " + tok::bytes_to_unicode(r));
        tokens.insert(l + r);
        std::map<std::vector<std::string>, int64_t> next;
        for (const auto& [w, n] : words) {
            std::vector<std::string> m;
            for (size_t i = 0; i < w.size(); ++i) {
                if (i + 1 < w.size() && w[i] == l && w[i + 1] == r) {
                    m.push_back(l + r);
                    ++i;
                } else {
                    m.push_back(w[i]);
                }
            }
            next[m] += n;
        }
        words = std::move(next);
    }
    return merges;
}

TEST(BpeTrain, IncrementalCountsMatchRecountingEverything) {
    std::vector<std::string_view> docs = {"aaaa aaaaa abab ababab aaab", "xxxx xxx x xx xxxxx"};
    const auto sample_docs = split_documents(sample());
    for (size_t i = 0; i < sample_docs.size(); i += 4) docs.push_back(sample_docs[i]);
    for (int64_t min_count : {1, 2}) {
        const BpeVocab fast = train(docs, 420, min_count);
        EXPECT_EQ(fast.merges, naive_merges(docs, 419, min_count));
    }
}

TEST(BpeTrain, ReachesTheVocabularySizeExactly) {
    const auto docs = split_documents(sample());
    for (int64_t n : {257, 300, 512, 1000}) {
        const BpeVocab v = train(docs, n, 2);
        EXPECT_EQ(static_cast<int64_t>(v.tokens.size()), n);
        EXPECT_EQ(v.token_types.size(), v.tokens.size());
        EXPECT_EQ(v.eos_id, n - 1);
        EXPECT_EQ(v.tokens.back(), "<|endoftext|>");
        EXPECT_EQ(v.token_types.back(), kBpeTokenControl);
        for (size_t i = 0; i + 1 < v.tokens.size(); ++i)
            ASSERT_EQ(v.token_types[i], kBpeTokenNormal);
        EXPECT_GE(static_cast<int64_t>(v.merges.size()), n - 257);
    }
}

TEST(BpeTrain, StopsWhenNoPairIsFrequentEnough) {
    const BpeVocab v = train({"abcd"}, 400, 2);
    EXPECT_EQ(v.tokens.size(), 257u);
    EXPECT_TRUE(v.merges.empty());
}

TEST(BpeTrain, TheEndOfTextTokenIsNeverMerged) {
    std::string doc;
    for (int i = 0; i < 50; ++i) doc += "ab<|endoftext|><|endoftext|>";
    const BpeVocab v = train({doc, "<|endoftext|>"}, 300, 1);
    // Only "ab" is left once the end-of-text text is cut out.
    ASSERT_EQ(v.merges.size(), 1u);
    EXPECT_EQ(v.merges[0], "a b");
    EXPECT_EQ(v.tokens.size(), 258u);
    for (size_t i = 256; i + 1 < v.tokens.size(); ++i) {
        EXPECT_EQ(v.tokens[i].find('<'), std::string::npos) << v.tokens[i];
        EXPECT_EQ(v.tokens[i].find('|'), std::string::npos) << v.tokens[i];
    }
}

TEST(BpeTrain, SameInputSameVocabularyWhateverTheThreads) {
    const auto docs = split_documents(sample());
    BpeTrainOptions o;
    o.vocab_size = 700;
    o.n_threads = 1;
    const BpeVocab a = train_bpe(docs, o);
    o.n_threads = 2;
    const BpeVocab b = train_bpe(docs, o);
    EXPECT_EQ(a.tokens, b.tokens);
    EXPECT_EQ(a.merges, b.merges);
}

TEST(BpeTrain, BadOptionsFailWithUsageErrors) {
    BpeTrainOptions o;
    o.vocab_size = 256;
    try {
        train_bpe({"abc"}, o);
        FAIL() << "vocab 256 accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.exit_status(), 1);
    }
    o.vocab_size = 65537;
    EXPECT_THROW(train_bpe({"abc"}, o), Error);
    o.vocab_size = 512;
    o.pre = "no-such-pre";
    try {
        train_bpe({"abc"}, o);
        FAIL() << "unknown pre accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.exit_status(), 1);
        EXPECT_NE(std::string(e.what()).find("no-such-pre"), std::string::npos);
    }
}

// ---- Round trips through the written GGUF ------------------------------------

class BpeRoundTrip : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        path_ = (std::filesystem::temp_directory_path() /
                 ("ql_test_bpe_round_trip_" + std::to_string(::getpid()) + ".gguf"))
                    .string();
        vocab_ = new BpeVocab(train(split_documents(sample()), 1024, 2));
        write_vocab_gguf(path_, *vocab_);
    }
    static void TearDownTestSuite() {
        delete vocab_;
        std::filesystem::remove(path_);
    }
    static std::string path_;
    static BpeVocab* vocab_;
};
std::string BpeRoundTrip::path_;
BpeVocab* BpeRoundTrip::vocab_ = nullptr;

TEST_F(BpeRoundTrip, TheFileHoldsTheVocabulary) {
    const auto file = gguf::GgufFile::open(path_);
    EXPECT_EQ(file.architecture(), "llama");
    EXPECT_EQ(file.get_string("tokenizer.ggml.model"), "gpt2");
    EXPECT_EQ(file.get_bool("tokenizer.ggml.add_bos_token"), false);
    EXPECT_EQ(file.get_int("tokenizer.ggml.bos_token_id"), vocab_->eos_id);
    EXPECT_TRUE(file.tensors().empty());
    const BpeVocab back = read_vocab_gguf(file);
    EXPECT_EQ(back.tokens, vocab_->tokens);
    EXPECT_EQ(back.token_types, vocab_->token_types);
    EXPECT_EQ(back.merges, vocab_->merges);
    EXPECT_EQ(back.pre, "qwen2");
    const auto tok = tok::Tokenizer::from_gguf(file);
    EXPECT_EQ(tok.n_vocab(), 1024u);
    EXPECT_EQ(tok.eos(), 1023);
    EXPECT_EQ(tok.bos(), 1023);
    EXPECT_FALSE(tok.adds_bos());
    EXPECT_TRUE(tok.is_eog(1023));
    EXPECT_EQ(tok.encode("<|endoftext|>", true), std::vector<int32_t>{1023});
}

TEST_F(BpeRoundTrip, DecodeOfEncodeGivesTheTextBack) {
    const auto file = gguf::GgufFile::open(path_);
    const auto tok = tok::Tokenizer::from_gguf(file);
    const std::vector<std::string> texts = {
        "The keeper counted two hundred and twelve steps from the door to the lamp.",
        ".card:hover {\n  transform: translateY(-2px);\n  box-shadow: 0 2px 4px "
        "rgba(0,0,0,.06);\n}",
        "@media (prefers-color-scheme: dark) { :root { --ink: #e6e9ee; } }",
        "export function f(a, b = {}) { return [...a].map((x) => x ** 2 ?? b.y); }\n\t// done",
        "Die Größe der Fähre: Übermäßig schöne Straßen, außerdem Äpfel, Öl und Ärger. ß",
        "tabs\t\tand   spaces \r\n\n  mixed",
        "emoji 🦙 CJK 你好 Cyrillic мир",
    };
    for (const std::string& t : texts) {
        const auto ids = tok.encode(t, false);
        EXPECT_EQ(tok.decode(ids), t);
        EXPECT_LT(ids.size(), t.size()) << "no merge applied to: " << t;
    }
}

TEST_F(BpeRoundTrip, RandomBytesComeBackAsTheirSanitizedText) {
    const auto file = gguf::GgufFile::open(path_);
    const auto tok = tok::Tokenizer::from_gguf(file);
    std::mt19937 rng(7);
    for (int trial = 0; trial < 50; ++trial) {
        std::string s(1 + rng() % 300, '\0');
        for (char& c : s) c = static_cast<char>(rng() & 0xFF);
        // Invalid UTF-8 becomes U+FFFD before tokenizing (as in llama.cpp);
        // valid text comes back byte for byte.
        EXPECT_EQ(tok.decode(tok.encode(s, false, false)), tok::sanitize_utf8(s));
        const std::string valid = tok::sanitize_utf8(s);
        EXPECT_EQ(tok.decode(tok.encode(valid, false, false)), valid);
    }
}

// ---- The golden: determinism and the peer's ids -------------------------------

TEST(BpeGolden, RetrainingGivesTheCommittedVocabulary) {
    const BpeVocab v = train_bpe(split_documents(sample()), BpeTrainOptions{.vocab_size = 512});
    const BpeVocab committed = read_vocab_gguf(gguf::GgufFile::open(kDir + "bpe-512.gguf"));
    EXPECT_EQ(v.pre, committed.pre);
    EXPECT_EQ(v.tokens, committed.tokens);
    EXPECT_EQ(v.token_types, committed.token_types);
    EXPECT_EQ(v.merges, committed.merges);
    EXPECT_EQ(v.eos_id, committed.eos_id);
}

TEST(BpeGolden, OurIdsAreLlamaTokenizesIds) {
    const auto file = gguf::GgufFile::open(kDir + "bpe-512.gguf");
    const auto tok = tok::Tokenizer::from_gguf(file);
    const auto cases = test::read_vocab_cases(kDir + "bpe_cases.inp");
    const auto expected = test::read_vocab_ids(kDir + "bpe-512.out");
    ASSERT_EQ(cases.size(), expected.size());
    ASSERT_GE(cases.size(), 30u);
    for (size_t i = 0; i < cases.size(); ++i) {
        EXPECT_EQ(tok.encode(cases[i], /*add_bos=*/true), expected[i])
            << "case " << i << ": '" << cases[i] << "'";
    }
}

// ---- The command ---------------------------------------------------------------

TEST(TrainTokenizerCommand, WritesTheSameVocabularyAsTheLibrary) {
    test::ScratchDir dir;
    const std::string out = dir / "v.gguf";
    const auto r = test::run_quantlab(
        {"train-tokenizer", kDir + "bpe_sample.txt", "--vocab", "512", "-o", out, "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("\"bytes_per_token\""), std::string::npos);
    EXPECT_EQ(read_file(out), read_file(kDir + "bpe-512.gguf"));
}

TEST(TrainTokenizerCommand, BadInputGivesOneLineAndAStatus) {
    test::ScratchDir dir;
    const std::string out = dir / "v.gguf";
    const std::string text = kDir + "bpe_sample.txt";
    struct Case {
        std::vector<std::string> args;
        int status;
    };
    const std::vector<Case> cases = {
        {{"train-tokenizer", dir / "missing.txt", "-o", out}, 1},
        {{"train-tokenizer", text, "--vocab", "256", "-o", out}, 1},
        {{"train-tokenizer", text, "--vocab", "70000", "-o", out}, 1},
        {{"train-tokenizer", text, "--pre", "no-such-pre", "-o", out}, 1},
        {{"train-tokenizer", text, "--no-such-flag", "-o", out}, 2},
        {{"train-tokenizer", text}, 2},
    };
    for (const Case& c : cases) {
        const auto r = test::run_quantlab(c.args, dir);
        EXPECT_EQ(r.status, c.status) << c.args[1] << " " << c.args.back() << ": " << r.err;
        if (c.status == 1) {
            EXPECT_EQ(r.err_lines().size(), 1u) << r.err;
        }
        EXPECT_FALSE(std::filesystem::exists(out));
    }
}

}  // namespace
}  // namespace ql::train
