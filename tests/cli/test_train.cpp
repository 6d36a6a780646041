// quantlab train from the command line: presets, a short run, bad input,
// and Ctrl-C followed by --resume.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/fixture.hpp"
#include "gguf/gguf.hpp"
#include "model/synth.hpp"
#include "train/data.hpp"

namespace ql::test {
namespace {

// A token corpus for the demo preset's 2048-token vocabulary: two domains
// of counting sequences, and a synthetic vocabulary-only tokenizer.
void write_corpus(const ScratchDir& dir) {
    fs::create_directories(dir / "corpus/tokens");
    auto stream = [](int64_t n, int period) {
        std::vector<uint16_t> s;
        for (int64_t i = 0; i < n; ++i) s.push_back(static_cast<uint16_t>(i * 7 % period));
        return s;
    };
    train::write_token_file(dir / "corpus/tokens/en.train.tok", stream(20000, 31), 2048);
    train::write_token_file(dir / "corpus/tokens/en.val.tok", stream(2000, 31), 2048);
    train::write_token_file(dir / "corpus/tokens/code.train.tok", stream(20000, 57), 2048);
    train::write_token_file(dir / "corpus/tokens/code.val.tok", stream(2000, 57), 2048);
    std::ofstream(dir / "corpus/tokens/domains.txt") << "en\ncode\n";
    gguf::GgufWriter w(dir / "corpus/tokenizer.gguf");
    for (auto& [k, v] : model::synthetic_bpe_tokenizer(2048, "qwen2")) w.set(k, v);
    w.write_all({});
}

TEST(CliTrain, ListsPresetsAsJson) {
    ScratchDir dir;
    const RunResult r = run_quantlab({"train", "--list-presets", "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.is_array());
    bool demo = false, moe = false;
    for (const auto& p : j) {
        EXPECT_GT(p["params"].get<int64_t>(), 0);
        demo |= p["name"] == "demo";
        moe |= p["moe"].get<bool>();
    }
    EXPECT_TRUE(demo);
    EXPECT_TRUE(moe);
}

TEST(CliTrain, ShortRunReportsFallingLoss) {
    ScratchDir dir;
    write_corpus(dir);
    const RunResult r = run_quantlab({"train", "--preset", "demo", "--steps", "30", "--corpus",
                                      dir / "corpus", "-o", dir / "demo.gguf", "--json"},
                                     dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    for (const char* key : {"initial_val_loss", "val_loss", "train_loss", "tokens", "seconds"})
        EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_LT(j["val_loss"].get<double>(), j["initial_val_loss"].get<double>() - 0.5);
    EXPECT_EQ(j["tokens"].get<int64_t>(), 30 * 8 * 128);
    EXPECT_TRUE(j["finished"].get<bool>());
    const auto model = gguf::GgufFile::open(dir / "demo.gguf");
    EXPECT_EQ(model.get_string("general.architecture").value_or(""), "llama");
}

void expect_one_line(const RunResult& r, int status, const std::string& words) {
    EXPECT_EQ(r.status, status) << r.err;
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
}

TEST(CliTrain, BadInputGivesOneLine) {
    ScratchDir dir;
    expect_one_line(run_quantlab({"train", "--preset", "nope", "-o", dir / "x.gguf"}, dir), 1,
                    "unknown preset 'nope'");
    expect_one_line(
        run_quantlab(
            {"train", "--preset", "demo", "--corpus", dir / "missing", "-o", dir / "x.gguf"}, dir),
        2, dir / "missing");
    write_corpus(dir);
    std::ofstream(dir / "bad.ckpt") << "QLCKPT01 but then nothing that adds up";
    expect_one_line(run_quantlab({"train", "--preset", "demo", "--corpus", dir / "corpus",
                                  "--resume", dir / "bad.ckpt", "-o", dir / "x.gguf"},
                                 dir),
                    2, dir / "bad.ckpt");
    EXPECT_FALSE(fs::exists(dir / "x.gguf"));
}

TEST(CliTrain, InterruptedRunResumes) {
    ScratchDir dir;
    write_corpus(dir);
    // Ctrl-C a long run after a moment; it saves its checkpoint and says how to go on.
    const std::string cmd =
        shell_quote(QL_BINARY) + " train --preset demo --steps 100000 --corpus " +
        shell_quote(dir / "corpus") + " -o " + shell_quote(dir / "d.gguf") + " 2>" +
        shell_quote(dir / "err.txt") + " & pid=$!; sleep 2; kill -INT $pid; wait $pid; echo $? > " +
        shell_quote(dir / "status.txt");
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(slurp(dir / "status.txt"), "1\n");
    const std::string err = slurp(dir / "err.txt");
    EXPECT_NE(err.find("interrupted after step"), std::string::npos) << err;
    EXPECT_NE(err.find("--resume"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(dir / "d.gguf"));
    const RunResult r = run_quantlab(
        {"train", "--preset", "demo", "--steps", "100000", "--stop-after", "3", "--corpus",
         dir / "corpus", "--resume", dir / "d.gguf.ckpt", "-o", dir / "d.gguf", "--json"},
        dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_GT(j["steps"].get<int64_t>(), 3);  // it went on from the interrupted step
    EXPECT_FALSE(j["finished"].get<bool>());
}

}  // namespace
}  // namespace ql::test
