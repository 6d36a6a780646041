// A whole (tiny) training run on a synthetic token corpus: the loss falls,
// a resumed run ends with the same bits as an uninterrupted one, and the
// exported GGUF gives the engine the logits the trainer computes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "gguf/gguf.hpp"
#include "model/forward.hpp"
#include "model/synth.hpp"
#include "train/checkpoint.hpp"
#include "train/data.hpp"
#include "train/model.hpp"
#include "train/tiny_preset.hpp"
#include "train/trainer.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ql::train;

Preset tiny(bool moe) {
    Preset p = ql::test::tiny_preset(
        moe ? "test-moe" : "test-dense", moe,
        {.n_vocab = 300, .n_embd = 32, .n_ff = 64, .n_ff_exp = 32, .seq_len = 16, .batch = 4});
    p.steps = 40;
    p.warmup = 5;
    p.lr = 1e-2f;
    p.eval_every = 10;
    p.checkpoint_every = 20;
    return p;
}

// A corpus whose text has structure to learn: runs counting up modulo a
// small period, so the next token is mostly predictable.
std::string make_corpus(const std::string& name, int64_t n_vocab) {
    const fs::path dir = fs::temp_directory_path() / ("ql_test_corpus_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir / "tokens");
    auto stream = [&](int64_t n, int period) {
        std::vector<uint16_t> s;
        for (int64_t i = 0; i < n; ++i)
            s.push_back(static_cast<uint16_t>((i * 7 % period) % n_vocab));
        return s;
    };
    write_token_file((dir / "tokens/a.train.tok").string(), stream(4000, 13), n_vocab);
    write_token_file((dir / "tokens/a.val.tok").string(), stream(400, 13), n_vocab);
    write_token_file((dir / "tokens/b.train.tok").string(), stream(4000, 29), n_vocab);
    write_token_file((dir / "tokens/b.val.tok").string(), stream(400, 29), n_vocab);
    std::ofstream(dir / "tokens/domains.txt") << "a\nb\n";
    // a vocabulary-only GGUF with n_vocab tokens
    ql::gguf::GgufWriter w((dir / "tokenizer.gguf").string());
    for (auto& [k, v] : ql::model::synthetic_bpe_tokenizer(n_vocab, "qwen2")) w.set(k, v);
    w.write_all({});
    return dir.string();
}

TrainOptions options(const Preset& p, const std::string& corpus, const std::string& out) {
    TrainOptions o;
    o.preset = p;
    o.corpus_dir = corpus;
    o.out = out;
    o.threads = 2;
    o.seed = 3;
    o.eval_windows = 8;
    o.f32 = true;
    return o;
}

std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void check_run(bool moe) {
    const Preset p = tiny(moe);
    const std::string corpus = make_corpus(p.name, p.n_vocab);
    const std::string out = corpus + "/model.gguf";
    const TrainResult r = run_training(options(p, corpus, out));
    EXPECT_LT(r.val_loss, r.initial_val_loss - 1.0) << "the loss did not fall";
    EXPECT_EQ(r.tokens, p.steps * p.tokens_per_step());
    ASSERT_EQ(r.val_by_domain.size(), 2u);

    EXPECT_TRUE(r.finished);
    const std::string full = read_all(out);

    // The same run in two sessions: 15 steps, stop, resume to the end.
    TrainOptions first = options(p, corpus, corpus + "/split.gguf");
    first.stop_after = 15;
    const TrainResult part = run_training(first);
    EXPECT_FALSE(part.finished);
    EXPECT_EQ(part.steps, 15);
    EXPECT_FALSE(fs::exists(corpus + "/split.gguf"));
    TrainOptions second = options(p, corpus, corpus + "/split.gguf");
    second.resume = corpus + "/split.gguf.ckpt";
    const TrainResult rest = run_training(second);
    EXPECT_TRUE(rest.finished);
    EXPECT_EQ(rest.tokens, r.tokens);
    EXPECT_EQ(rest.initial_val_loss, r.initial_val_loss);
    EXPECT_EQ(read_all(corpus + "/split.gguf"), full) << "a resumed run ended with other bits";

    // The exported model gives the engine the trainer's logits.
    TrainModel model(p, 2);
    const auto ck = ql::train::load_checkpoint(corpus + "/split.gguf.ckpt");
    const Batch b = sample_batch(std::vector<uint16_t>(200, 5), 1, p.seq_len, 1, 0);
    Batch probe = b;
    for (int64_t t = 0; t < p.seq_len; ++t)
        probe.tokens[static_cast<size_t>(t)] = static_cast<int32_t>((t * 37 + 11) % p.n_vocab);
    const std::vector<float> expected = model.logits(ck.params.data(), probe);
    const auto engine = ql::model::Model::open(out);
    ql::model::KvCache cache(engine.hparams(), p.seq_len);
    std::vector<float> got(expected.size());
    ql::model::ForwardOptions fo;
    fo.activations = ql::kernels::ActivationMode::Float;
    fo.n_threads = 2;
    ql::model::forward(engine, cache, probe.tokens, got.data(), fo);
    double max_diff = 0, max_abs = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        max_diff = std::max(max_diff, static_cast<double>(std::abs(got[i] - expected[i])));
        max_abs = std::max(max_abs, static_cast<double>(std::abs(expected[i])));
    }
    EXPECT_LT(max_diff, 1e-3 * std::max(1.0, max_abs)) << "largest logit " << max_abs;
    fs::remove_all(corpus);
}

TEST(Trainer, DenseRunLearnsAndIsDeterministic) {
    check_run(false);
}
TEST(Trainer, MoeRunLearnsAndIsDeterministic) {
    check_run(true);
}

}  // namespace
