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
    expect_one_line(run_quantlab({"train", "--preset", "demo", "--corpus", dir / "corpus",
                                  "--resume", dir / "none.ckpt", "-o", dir / "x.gguf"},
                                 dir),
                    2, dir / "none.ckpt: cannot open the checkpoint: No such file or directory");
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

// quantlab zoo reads what train and scripts/train_zoo.sh write: a finished
// run's summary, a run in progress (checkpoint and curve), SHA256SUMS.
TEST(CliZoo, ListsTrainedAndTrainingModelsAndVerifiesChecksums) {
    ScratchDir dir;
    write_corpus(dir);
    fs::create_directories(dir / "zoo");
    const RunResult done = run_quantlab({"train", "--preset", "demo", "--steps", "3", "--corpus",
                                         dir / "corpus", "-o", dir / "zoo/xs.gguf", "--json"},
                                        dir);
    ASSERT_EQ(done.status, 0) << done.err;
    std::ofstream(dir / "zoo/xs.json") << done.out;
    const RunResult part =
        run_quantlab({"train", "--preset", "demo", "--steps", "60", "--stop-after", "55",
                      "--corpus", dir / "corpus", "-o", dir / "zoo/s.gguf"},
                     dir);
    ASSERT_EQ(part.status, 0) << part.err;
    const std::string sums =
        "cd " + shell_quote(dir / "") + " && sha256sum zoo/xs.gguf > zoo/SHA256SUMS";
    ASSERT_EQ(std::system(sums.c_str()), 0);

    const RunResult r = run_quantlab({"zoo", "--dir", dir / "zoo", "--verify", "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.size(), 5u);  // xs s m l moe
    EXPECT_EQ(j[0]["name"], "xs");
    EXPECT_EQ(j[0]["state"], "trained");
    EXPECT_EQ(j[0]["tokens"].get<int64_t>(), 3 * 8 * 128);
    EXPECT_NEAR(j[0]["tokens_per_param"].get<double>(),
                3.0 * 8 * 128 / j[0]["params"].get<double>(), 1e-12);
    EXPECT_EQ(j[0]["val_loss_by_domain"].size(), 2u);
    EXPECT_EQ(j[0]["sha256_check"], "ok");
    EXPECT_EQ(j[1]["state"], "training");
    EXPECT_EQ(j[1]["steps_done"].get<int64_t>(), 50);  // the last evaluation before step 55
    EXPECT_TRUE(j[1]["val_loss_by_domain"].contains("code"));
    EXPECT_EQ(j[2]["state"], "missing");

    // A checkpoint packed by train_zoo.sh --pack (committed between sessions)
    // and its curve: the run goes on elsewhere.
    fs::rename(dir / "zoo/s.gguf.ckpt", dir / "zoo/m.gguf.ckpt.zst");
    fs::rename(dir / "zoo/s.gguf.log.jsonl", dir / "zoo/m.gguf.log.jsonl");
    const RunResult packed = run_quantlab({"zoo", "--dir", dir / "zoo", "--json"}, dir);
    ASSERT_EQ(packed.status, 0) << packed.err;
    const auto jp = nlohmann::json::parse(packed.out);
    EXPECT_EQ(jp[1]["state"], "missing");
    EXPECT_EQ(jp[2]["state"], "training");
    EXPECT_EQ(jp[2]["steps_done"].get<int64_t>(), 50);

    std::ofstream(dir / "zoo/xs.gguf", std::ios::app) << "x";  // the model changed
    const RunResult bad = run_quantlab({"zoo", "--dir", dir / "zoo", "--verify"}, dir);
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(bad.out.find("MISMATCH"), std::string::npos) << bad.out;
    EXPECT_NE(bad.err.find("xs (MISMATCH)"), std::string::npos) << bad.err;
    expect_one_line(run_quantlab({"zoo", "--dir", dir / "nowhere"}, dir), 1, dir / "nowhere");

    std::ofstream(dir / "zoo/xs.json") << "{";
    expect_one_line(run_quantlab({"zoo", "--dir", dir / "zoo"}, dir), 2, dir / "zoo/xs.json");
}

// scripts/train_zoo.sh carries a run from one working session to the next:
// TIME_LIMIT stops it with its checkpoint saved; the checkpoint packed with
// --pack, the unpacked one gone (a new machine), a later run unpacks and
// resumes it, bit-exactly.
TEST(TrainZooScript, TimeLimitAndPackedCheckpointCarryARun) {
    ScratchDir dir;
    write_corpus(dir);
    std::ofstream(dir / "corpus/manifest.json") << "{}\n";
    auto train_zoo = [&](const std::vector<std::string>& env, const std::string& args) {
        std::string cmd = "cd ";
        cmd.append(shell_quote(dir / ""))
            .append(" && env QUANTLAB=")
            .append(shell_quote(QL_BINARY));
        for (const auto& e : env) cmd.append(" ").append(shell_quote(e));
        cmd.append(" sh ").append(shell_quote(QL_SOURCE_DIR "/scripts/train_zoo.sh"));
        return run_shell(cmd.append(" ").append(args), dir);
    };
    expect_one_line(train_zoo({"TIME_LIMIT=2h30m"}, "demo"), 2,
                    "TIME_LIMIT=2h30m is not a duration");
    EXPECT_FALSE(fs::exists(dir / "zoo"));
    expect_one_line(train_zoo({}, "--pack demo"), 1, "no zoo/demo.gguf.ckpt to pack");
    expect_one_line(train_zoo({"TIME_LIMIT=1.5h"}, "demo"), 2, "TIME_LIMIT=1.5h is not a duration");

    // TIME_LIMIT interrupts the run, which saves its checkpoint; the preset
    // is not done, and once the time is over no preset starts.
    const RunResult cut = train_zoo({"TIME_LIMIT=2s", "TRAIN_ARGS=--steps 100000"}, "demo");
    EXPECT_EQ(cut.status, 124) << cut.err;  // timeout(1): the time ran out
    EXPECT_NE(cut.err.find("interrupted after step"), std::string::npos) << cut.err;
    EXPECT_TRUE(fs::exists(dir / "zoo/demo.gguf.ckpt"));
    EXPECT_FALSE(fs::exists(dir / "zoo/demo.json"));
    expect_one_line(train_zoo({"TIME_LIMIT=0"}, "demo"), 1,
                    "TIME_LIMIT=0 is over: demo not started");
    fs::remove_all(dir / "zoo");

    fs::create_directories(dir / "zoo");  // a run of 40 steps stopped after 20
    const RunResult part =
        run_quantlab({"train", "--preset", "demo", "--steps", "40", "--stop-after", "20",
                      "--threads", "2", "--corpus", dir / "corpus", "-o", dir / "zoo/demo.gguf"},
                     dir);
    ASSERT_EQ(part.status, 0) << part.err;
    const RunResult pack = train_zoo({}, "--pack demo");
    ASSERT_EQ(pack.status, 0) << pack.err;
    fs::remove(dir / "zoo/demo.gguf.ckpt");  // the next machine has only the packed one

    const RunResult rest = train_zoo({"TRAIN_ARGS=--steps 40", "TIME_LIMIT=10m"}, "demo");
    ASSERT_EQ(rest.status, 0) << rest.err;
    EXPECT_NE(rest.err.find("demo (resumed)"), std::string::npos) << rest.err;
    const auto j = nlohmann::json::parse(slurp(dir / "zoo/demo.json"));
    EXPECT_EQ(j["steps"].get<int64_t>(), 40);
    EXPECT_TRUE(j["finished"].get<bool>());
    EXPECT_NE(slurp(dir / "zoo/SHA256SUMS").find("zoo/demo.gguf"), std::string::npos);
    EXPECT_EQ(slurp(dir / "zoo/corpus-manifest.json"), "{}\n");

    const RunResult straight =
        run_quantlab({"train", "--preset", "demo", "--steps", "40", "--threads", "2", "--corpus",
                      dir / "corpus", "-o", dir / "x.gguf"},
                     dir);
    ASSERT_EQ(straight.status, 0) << straight.err;
    EXPECT_EQ(slurp(dir / "x.gguf"), slurp(dir / "zoo/demo.gguf"));
}

}  // namespace
}  // namespace ql::test
