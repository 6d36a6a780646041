// The forward pass beyond the peer goldens: a sequence split into batches
// through the KV cache gives the logits of one batch; results do not depend
// on the thread count; f32 activations agree on F32 weights; hyper-parameters
// per architecture; bad files and bad calls fail with one clear message.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "forward_fixture.hpp"
#include "util/error.hpp"

namespace {

using namespace ql;
using namespace ql::test;

std::vector<int32_t> first_tokens(size_t n) {
    auto tokens = read_golden_tokens();
    tokens.resize(n);
    return tokens;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0.0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
    return worst;
}

double max_abs(const std::vector<float>& a) {
    double m = 0.0;
    for (float v : a) m = std::max(m, std::fabs(double(v)));
    return m;
}

class ForwardCache : public ::testing::TestWithParam<std::string> {};

TEST_P(ForwardCache, BatchesThroughTheCacheEqualOneBatch) {
    const auto model = model::Model::open(write_model(golden_config(GetParam()), GetParam()));
    const int64_t n_vocab = model.hparams().n_vocab;
    const auto tokens = first_tokens(96);
    model::ForwardOptions options;
    const auto whole = run_batch(model, tokens, options);  // [96, n_vocab]

    model::KvCache cache(model.hparams(), 128);
    std::vector<float> pieces(whole.size());  // [96, n_vocab]
    size_t done = 0;
    for (const size_t n : {size_t{37}, size_t{1}, size_t{1}, size_t{57}}) {
        model::forward(model, cache, std::span(tokens).subspan(done, n), &pieces[done * n_vocab],
                       options);
        done += n;
    }
    ASSERT_EQ(done, tokens.size());
    EXPECT_EQ(cache.n_past(), 96);
    EXPECT_LE(max_abs_diff(whole, pieces), 1e-5 * max_abs(whole));
}

TEST_P(ForwardCache, ThreadCountDoesNotChangeTheBits) {
    const auto model = model::Model::open(write_model(golden_config(GetParam()), GetParam()));
    const auto tokens = first_tokens(40);
    model::ForwardOptions one, three;
    one.n_threads = 1;
    three.n_threads = 3;
    EXPECT_EQ(run_batch(model, tokens, one), run_batch(model, tokens, three));
}

TEST_P(ForwardCache, FloatActivationsAgreeOnF32Weights) {
    const auto model = model::Model::open(write_model(golden_config(GetParam()), GetParam()));
    const auto tokens = first_tokens(40);
    model::ForwardOptions quantized, floats;
    floats.activations = kernels::ActivationMode::Float;
    const auto a = run_batch(model, tokens, quantized);
    const auto b = run_batch(model, tokens, floats);
    EXPECT_LE(max_abs_diff(a, b), 1e-4 * max_abs(a));
}

INSTANTIATE_TEST_SUITE_P(Architectures, ForwardCache,
                         ::testing::Values("llama", "qwen2", "qwen3", "qwen3moe", "glm4moe"));

TEST(HParams, ArchitectureFactsComeFromMetadata) {
    const auto glm = model::Model::open(write_model(golden_config("glm4moe"), "glm4moe"));
    const auto& g = glm.hparams();
    EXPECT_EQ(g.n_layer, 2);  // the nextn block is stored but not run
    EXPECT_EQ(g.n_layer_file, 3);
    EXPECT_EQ(g.n_rot, 32);
    EXPECT_EQ(g.rope_style, model::RopeStyle::Neox);
    EXPECT_EQ(g.router_gate, model::RouterGate::Sigmoid);
    EXPECT_TRUE(g.normalize_expert_weights);
    EXPECT_FLOAT_EQ(g.expert_weights_scale, 2.5f);
    EXPECT_FALSE(glm.weights().blocks[0].moe);
    EXPECT_TRUE(glm.weights().blocks[1].moe);
    EXPECT_TRUE(glm.weights().blocks[1].experts.selection_bias);
    EXPECT_TRUE(glm.weights().blocks[1].experts.has_shared);

    const auto qmoe = model::Model::open(write_model(golden_config("qwen3moe"), "qwen3moe"));
    EXPECT_EQ(qmoe.hparams().router_gate, model::RouterGate::Softmax);
    EXPECT_TRUE(qmoe.hparams().normalize_expert_weights);
    EXPECT_TRUE(qmoe.weights().blocks[0].q_norm);

    const auto llama = model::Model::open(write_model(golden_config("llama"), "llama"));
    EXPECT_EQ(llama.hparams().rope_style, model::RopeStyle::Adjacent);
    EXPECT_EQ(llama.hparams().n_rot, llama.hparams().head_dim);
    EXPECT_FALSE(llama.weights().blocks[0].bq);
}

// Rewrites the llama model with `edit` applied to its metadata and tensor list.
struct TensorEdit {
    std::string drop;     // tensor left out
    std::string replace;  // tensor whose data and shape come from `source`
    std::string source;
    std::string architecture;  // new general.architecture, if not empty
};

std::string write_edited_llama(const TensorEdit& edit, const std::string& name) {
    const auto src = gguf::GgufFile::open(write_model(golden_config("llama"), "llama"));
    const auto path = forward_scratch(name + ".gguf").string();
    gguf::GgufWriter writer(path);
    writer.copy_metadata(src);
    if (!edit.architecture.empty())
        writer.set("general.architecture", gguf::Value::string(edit.architecture));
    std::vector<const void*> data;
    for (const auto& t : src.tensors()) {
        if (t.name == edit.drop) continue;
        const auto& from = t.name == edit.replace ? *src.find_tensor(edit.source) : t;
        writer.add_tensor(t.name, from.type, from.shape);
        data.push_back(from.data);
    }
    writer.write_all(data);
    return path;
}

void expect_input_error(const std::string& path, const std::string& needle) {
    try {
        (void)model::Model::open(path);
        ADD_FAILURE() << "opened " << path;
    } catch (const InputError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(needle), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

TEST(ForwardErrors, MissingTensorIsNamed) {
    expect_input_error(write_edited_llama({"blk.1.attn_v.weight", "", "", ""}, "missing"),
                       "missing tensor blk.1.attn_v.weight");
}

TEST(ForwardErrors, MisShapedTensorIsNamed) {
    expect_input_error(
        write_edited_llama({"", "blk.0.attn_k.weight", "blk.0.attn_q.weight", ""}, "misshaped"),
        "tensor blk.0.attn_k.weight has shape [256, 256], expected [256, 64]");
}

TEST(ForwardErrors, UnknownArchitectureIsNamed) {
    expect_input_error(write_edited_llama({"", "", "", "mamba"}, "mamba"),
                       "unsupported architecture 'mamba'");
}

TEST(ForwardErrors, BadTokensAndFullCacheAreRefused) {
    const auto model = model::Model::open(write_model(golden_config("llama"), "llama"));
    model::KvCache cache(model.hparams(), 4);
    std::vector<float> logits(8 * static_cast<size_t>(model.hparams().n_vocab));
    const std::vector<int32_t> bad = {1, static_cast<int32_t>(model.hparams().n_vocab)};
    EXPECT_THROW(model::forward(model, cache, bad, logits.data(), {}), Error);
    const std::vector<int32_t> too_many = {1, 2, 3, 4, 5};
    EXPECT_THROW(model::forward(model, cache, too_many, logits.data(), {}), Error);
    EXPECT_EQ(cache.n_past(), 0);
}

// The qwen3 model with `keys` set in its metadata.
std::string write_qwen3_with(const std::vector<std::pair<std::string, gguf::Value>>& keys,
                             const std::string& name) {
    const auto src = gguf::GgufFile::open(write_model(golden_config("qwen3"), "qwen3"));
    const auto path = forward_scratch(name + ".gguf").string();
    gguf::GgufWriter writer(path);
    writer.copy_metadata(src);
    for (const auto& [key, value] : keys) writer.set(key, value);
    std::vector<const void*> data;
    for (const auto& t : src.tensors()) {
        writer.add_tensor(t.name, t.type, t.shape);
        data.push_back(t.data);
    }
    writer.write_all(data);
    return path;
}

TEST(ForwardErrors, BadRopeScalingIsNamed) {
    const auto yarn = gguf::Value::string("yarn");
    expect_input_error(write_qwen3_with({{"qwen3.rope.scaling.type", yarn},
                                         {"qwen3.rope.scaling.factor", gguf::Value::f32(-4.0f)}},
                                        "yarn_negative_factor"),
                       "qwen3.rope.scaling.factor = -4 must be zero or positive");
    expect_input_error(
        write_qwen3_with({{"qwen3.rope.scaling.type", yarn},
                          {"qwen3.rope.scaling.original_context_length", gguf::Value::u32(0)}},
                         "yarn_zero_context"),
        "qwen3.rope.scaling.original_context_length = 0 is out of range");
    expect_input_error(write_qwen3_with({{"qwen3.rope.scaling.type", yarn},
                                         {"qwen3.rope.scaling.attn_factor", gguf::Value::f32(0)}},
                                        "yarn_zero_attn_factor"),
                       "qwen3.rope.scaling.attn_factor = 0 must be a positive number");
    expect_input_error(
        write_qwen3_with({{"qwen3.rope.scaling.type", gguf::Value::string("longrope")}},
                         "longrope"),
        "rope scaling 'longrope' is not supported");
}

TEST(HParams, ZeroScalingFactorMeansNone) {
    // llama.cpp reads rope.scaling.factor = 0 as "not scaled".
    const auto path = write_qwen3_with({{"qwen3.rope.scaling.type", gguf::Value::string("linear")},
                                        {"qwen3.rope.scaling.factor", gguf::Value::f32(0.0f)}},
                                       "zero_factor");
    EXPECT_EQ(model::Model::open(path).hparams().rope_freq_scale, 1.0f);
}

TEST(HParams, YarnScalingComesFromMetadata) {
    const auto path =
        write_qwen3_with({{"qwen3.rope.scaling.type", gguf::Value::string("yarn")},
                          {"qwen3.rope.scaling.factor", gguf::Value::f32(4.0f)},
                          {"qwen3.rope.scaling.original_context_length", gguf::Value::u32(256)}},
                         "yarn_ok");
    const auto model = model::Model::open(path);
    const auto& h = model.hparams();
    EXPECT_FLOAT_EQ(h.rope_freq_scale, 0.25f);
    EXPECT_EQ(h.rope_ext_factor, 1.0f);
    // cos and sin grow by YaRN's magnitude factor 0.1 ln(factor) + 1.
    EXPECT_FLOAT_EQ(h.rope_mscale, 1.0f + 0.1f * std::log(4.0f));
    EXPECT_GE(h.rope_yarn_low, 0.0f);
    EXPECT_LT(h.rope_yarn_low, h.rope_yarn_high);
    EXPECT_LE(h.rope_yarn_high, static_cast<float>(h.n_rot - 1));

    const auto plain = model::Model::open(write_model(golden_config("qwen3"), "qwen3"));
    EXPECT_EQ(plain.hparams().rope_ext_factor, 0.0f);
    EXPECT_EQ(plain.hparams().rope_mscale, 1.0f);
    EXPECT_EQ(plain.hparams().rope_freq_scale, 1.0f);
}

int run_shell(const std::string& command) {
    const int raw = std::system(command.c_str());
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

TEST(LogitsCommand, WritesEveryPositionAndRejectsBadIds) {
    const auto model_path = write_model(golden_config("qwen2"), "qwen2");
    const auto tokens_path = forward_scratch("cli_tokens.txt").string();
    const auto out_path = forward_scratch("cli_logits.f32").string();
    {
        std::ofstream tokens(tokens_path);
        tokens << "5 17\n300  2 9\n";
    }
    const std::string base = std::string(QL_BINARY) + " logits " + model_path + " --tokens ";
    ASSERT_EQ(run_shell(base + tokens_path + " --out " + out_path + " --threads 2"), 0);
    const auto written = read_f32_file(out_path);
    const auto m = model::Model::open(model_path);
    const auto expected = run_batch(m, {5, 17, 300, 2, 9}, {});
    EXPECT_EQ(written, expected);

    {
        std::ofstream tokens(tokens_path);
        tokens << "5 99999\n";
    }
    const auto bad_out = forward_scratch("cli_bad.f32").string();
    EXPECT_EQ(run_shell(base + tokens_path + " --out " + bad_out + " 2>/dev/null"), 2);
    EXPECT_FALSE(fs::exists(bad_out));
}

struct ScratchCleanup : ::testing::Environment {
    void TearDown() override { fs::remove_all(forward_scratch("").parent_path()); }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

}  // namespace
