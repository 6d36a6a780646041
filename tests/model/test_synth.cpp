// Synthetic models: the files open with our reader and hold exactly the
// tensors, shapes and keys llama.cpp expects per architecture; weights are
// deterministic per seed and not degenerate; the tokenizer is consistent.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "gguf/gguf.hpp"
#include "model/synth.hpp"
#include "quant/half.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using ql::gguf::GgufFile;
using ql::model::SynthConfig;
using ql::quant::TypeId;

namespace {

fs::path scratch(const std::string& name) {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("ql_test_synth_" + std::to_string(getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir / name;
}

struct ScratchCleanup : ::testing::Environment {
    void TearDown() override { fs::remove_all(scratch("").parent_path()); }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

std::vector<char> file_bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

GgufFile write_and_open(const SynthConfig& c, const std::string& name) {
    const auto path = scratch(name);
    ql::model::write_synthetic_model(c, path.string());
    return GgufFile::open(path.string());
}

std::vector<float> values_of(const ql::gguf::TensorInfo& t) {
    std::vector<float> v(static_cast<size_t>(t.n_elements()));
    ql::quant::dequantize(t.type, t.data, v.data(), t.n_elements());
    return v;
}

// The keys llama.cpp's loader reads for the architecture (required or used).
std::vector<std::string> expected_keys(const SynthConfig& c) {
    std::vector<std::string> keys = {"general.architecture", "general.name", "general.file_type"};
    for (const char* k :
         {"context_length", "embedding_length", "block_count", "feed_forward_length",
          "attention.head_count", "attention.head_count_kv", "attention.key_length",
          "attention.value_length", "attention.layer_norm_rms_epsilon", "rope.freq_base",
          "rope.dimension_count"})
        keys.push_back(c.arch + "." + k);
    if (c.arch == "qwen3moe" || c.arch == "glm4moe")
        for (const char* k : {"expert_count", "expert_used_count", "expert_feed_forward_length"})
            keys.push_back(c.arch + "." + k);
    if (c.arch == "glm4moe")
        for (const char* k :
             {"expert_shared_count", "leading_dense_block_count", "expert_weights_scale",
              "expert_weights_norm", "expert_gating_func", "nextn_predict_layers"})
            keys.push_back(c.arch + "." + k);
    for (const char* k : {"tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                          "tokenizer.ggml.token_type", "tokenizer.ggml.merges",
                          "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"})
        keys.push_back(k);
    return keys;
}

class SynthArch : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(SynthArch, FileHoldsTheLayoutAndKeys) {
    const SynthConfig c = ql::model::default_synth_config(GetParam());
    const GgufFile f = write_and_open(c, GetParam() + ".gguf");
    EXPECT_EQ(f.architecture(), GetParam());
    for (const auto& key : expected_keys(c)) EXPECT_NE(f.find(key), nullptr) << key;

    const auto layout = ql::model::synth_layout(c);
    ASSERT_EQ(f.tensors().size(), layout.size());
    for (size_t i = 0; i < layout.size(); ++i) {
        EXPECT_EQ(f.tensors()[i].name, layout[i].name);
        EXPECT_EQ(f.tensors()[i].shape, layout[i].shape) << layout[i].name;
        EXPECT_EQ(f.tensors()[i].type, layout[i].type) << layout[i].name;
    }
    const std::string a = c.arch + ".";
    const int64_t blocks = c.n_layer + (c.arch == "glm4moe" ? c.n_nextn : 0);
    EXPECT_EQ(f.get_int(a + "block_count"), blocks);
    EXPECT_EQ(f.get_int(a + "embedding_length"), c.n_embd);
    const auto* embd = f.find_tensor("token_embd.weight");
    ASSERT_NE(embd, nullptr);
    EXPECT_EQ(embd->shape, (std::vector<int64_t>{c.n_embd, c.n_vocab}));
    EXPECT_EQ(f.find("tokenizer.ggml.tokens")->array_size(), static_cast<size_t>(c.n_vocab));
    const auto* q = f.find_tensor("blk.0.attn_q.weight");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->shape, (std::vector<int64_t>{c.n_embd, c.n_head * c.head_dim}));
    EXPECT_NE(f.find_tensor("output.weight"), nullptr);
}

TEST_P(SynthArch, SameSeedSameBytesOtherSeedOtherWeights) {
    SynthConfig c = ql::model::default_synth_config(GetParam());
    c.n_layer = 1 + (GetParam() == "glm4moe");  // keep the files small
    c.n_ff = 128;
    c.n_ff_exp = 64;
    c.n_vocab = 300;
    c.seed = 11;
    ql::model::write_synthetic_model(c, scratch("a.gguf").string());
    ql::model::write_synthetic_model(c, scratch("b.gguf").string());
    c.seed = 12;
    ql::model::write_synthetic_model(c, scratch("c.gguf").string());
    const auto a = file_bytes(scratch("a.gguf"));
    EXPECT_EQ(a, file_bytes(scratch("b.gguf")));
    EXPECT_EQ(a.size(), file_bytes(scratch("c.gguf")).size());
    EXPECT_NE(a, file_bytes(scratch("c.gguf")));
}

INSTANTIATE_TEST_SUITE_P(All, SynthArch,
                         ::testing::Values("llama", "qwen2", "qwen3", "qwen3moe", "glm4moe"));

TEST(Synth, ArchitectureSpecificTensors) {
    auto has = [](const GgufFile& f, const std::string& n) { return f.find_tensor(n) != nullptr; };
    const GgufFile qwen2 = write_and_open(ql::model::default_synth_config("qwen2"), "q2.gguf");
    EXPECT_TRUE(has(qwen2, "blk.0.attn_q.bias") && has(qwen2, "blk.0.attn_v.bias"));
    EXPECT_FALSE(has(qwen2, "blk.0.attn_q_norm.weight"));

    const GgufFile qwen3 = write_and_open(ql::model::default_synth_config("qwen3"), "q3.gguf");
    EXPECT_EQ(qwen3.find_tensor("blk.0.attn_k_norm.weight")->shape, std::vector<int64_t>{128});
    EXPECT_FALSE(has(qwen3, "blk.0.attn_q.bias"));

    const auto moe_cfg = ql::model::default_synth_config("qwen3moe");
    const GgufFile moe = write_and_open(moe_cfg, "q3m.gguf");
    EXPECT_EQ(moe.find_tensor("blk.1.ffn_down_exps.weight")->shape,
              (std::vector<int64_t>{moe_cfg.n_ff_exp, moe_cfg.n_embd, moe_cfg.n_expert}));
    EXPECT_EQ(moe.find_tensor("blk.1.ffn_gate_inp.weight")->type, TypeId::F32);
    EXPECT_FALSE(has(moe, "blk.0.ffn_gate.weight"));

    const auto glm_cfg = ql::model::default_synth_config("glm4moe");
    const GgufFile glm = write_and_open(glm_cfg, "glm.gguf");
    const std::string last = "blk." + std::to_string(glm_cfg.n_layer) + ".";
    EXPECT_TRUE(has(glm, "blk.0.ffn_gate.weight"));  // leading dense block
    EXPECT_FALSE(has(glm, "blk.0.ffn_gate_exps.weight"));
    EXPECT_TRUE(has(glm, "blk.1.exp_probs_b.bias") && has(glm, "blk.1.ffn_up_shexp.weight"));
    EXPECT_TRUE(has(glm, "blk.1.post_attention_norm.weight") && has(glm, "blk.1.attn_k.bias"));
    EXPECT_TRUE(has(glm, last + "nextn.eh_proj.weight") && has(glm, last + "nextn.enorm.weight"));
    EXPECT_FALSE(has(glm, "blk.0.nextn.eh_proj.weight"));
    EXPECT_EQ(glm.get_int("glm4moe.rope.dimension_count"), glm_cfg.head_dim / 2);
    EXPECT_EQ(glm.get_int("glm4moe.expert_gating_func"), 2);  // sigmoid
}

TEST(Synth, WeightsAreNotDegenerate) {
    SynthConfig c = ql::model::default_synth_config("llama");
    c.type = TypeId::F16;
    const GgufFile f = write_and_open(c, "f16.gguf");
    EXPECT_EQ(f.find_tensor("blk.0.ffn_up.weight")->type, TypeId::F16);
    EXPECT_EQ(f.find_tensor("blk.0.attn_norm.weight")->type, TypeId::F32);
    EXPECT_EQ(f.get_int("general.file_type"), 1);

    const auto norm = values_of(*f.find_tensor("blk.0.attn_norm.weight"));
    double mean = 0, spread = 0;
    for (float v : norm) mean += v / static_cast<double>(norm.size());
    for (float v : norm) spread += (v - mean) * (v - mean) / static_cast<double>(norm.size());
    EXPECT_NEAR(mean, 1.0, 0.05);
    EXPECT_NEAR(std::sqrt(spread), 0.1, 0.03);  // 1 + 0.1 * noise, not all ones

    const auto up = values_of(*f.find_tensor("blk.0.ffn_up.weight"));
    double ss = 0;
    for (float v : up) ss += static_cast<double>(v) * v;
    EXPECT_NEAR(std::sqrt(ss / static_cast<double>(up.size())), 1.0 / std::sqrt(c.n_embd), 0.01);

    // The output row of <|endoftext|> (last id) is shrunk so generation rarely stops early.
    const auto out = values_of(*f.find_tensor("output.weight"));
    auto row_rms = [&](int64_t r) {
        double sum = 0;
        for (int64_t k = 0; k < c.n_embd; ++k) {
            const double v = out[static_cast<size_t>(r * c.n_embd + k)];
            sum += v * v;
        }
        return std::sqrt(sum / static_cast<double>(c.n_embd));
    };
    EXPECT_LT(row_rms(c.n_vocab - 1), 0.1 * row_rms(c.n_vocab - 2));
}

TEST(Synth, SyntheticTokenizerIsConsistent) {
    const auto kv = ql::model::synthetic_bpe_tokenizer(700, "qwen2");
    const ql::gguf::Value *tokens = nullptr, *merges = nullptr, *types = nullptr;
    for (const auto& [k, v] : kv) {
        if (k == "tokenizer.ggml.tokens") tokens = &v;
        if (k == "tokenizer.ggml.merges") merges = &v;
        if (k == "tokenizer.ggml.token_type") types = &v;
    }
    ASSERT_TRUE(tokens && merges && types);
    ASSERT_EQ(tokens->array_strings.size(), 700u);
    EXPECT_EQ(types->array_size(), 700u);
    EXPECT_EQ(merges->array_strings.size(), 700u - 256u - 1u);
    const std::set<std::string> vocab(tokens->array_strings.begin(), tokens->array_strings.end());
    EXPECT_EQ(vocab.size(), 700u);                     // no duplicates
    EXPECT_EQ(tokens->array_strings[32], "\xC4\xA0");  // GPT-2 spells the space byte as U+0120
    EXPECT_EQ(tokens->array_strings[65], "A");         // printable bytes spell themselves
    for (const auto& m : merges->array_strings) {
        const auto space = m.find(' ', 1);
        ASSERT_NE(space, std::string::npos) << m;
        const std::string left = m.substr(0, space), right = m.substr(space + 1);
        EXPECT_TRUE(vocab.count(left) && vocab.count(right) && vocab.count(left + right)) << m;
    }
    EXPECT_TRUE(vocab.count("\xC4\xA0the"));  // learned from the built-in text
    EXPECT_EQ(types->array_int(699), 3);      // <|endoftext|> is a control token
}

TEST(Synth, CopiesTokenizerFromAVocabFile) {
    const std::string vocab = std::string(QL_SHARED_DIR) + "/golden/vocab/ggml-vocab-qwen2.gguf";
    if (!fs::exists(vocab)) GTEST_SKIP() << "no " << vocab;
    SynthConfig c = ql::model::default_synth_config("qwen2");
    c.n_layer = 1;  // small widths: the qwen2 vocabulary has 151k tokens
    c.n_embd = 32;
    c.n_head = 2;
    c.n_head_kv = 1;
    c.head_dim = 16;
    c.n_ff = 64;
    c.type = TypeId::F16;
    c.vocab_path = vocab;
    const GgufFile f = write_and_open(c, "vocab.gguf");
    const GgufFile v = GgufFile::open(vocab);
    const auto n = static_cast<int64_t>(v.find("tokenizer.ggml.tokens")->array_size());
    EXPECT_EQ(f.find_tensor("token_embd.weight")->shape[1], n);
    for (const auto& [key, value] : v.metadata())
        if (key.rfind("tokenizer.", 0) == 0) {
            ASSERT_NE(f.find(key), nullptr) << key;
            EXPECT_TRUE(*f.find(key) == value) << key;
        }
}

TEST(Synth, RejectsBadConfigurations) {
    EXPECT_THROW(ql::model::default_synth_config("gpt2"), ql::Error);
    SynthConfig c = ql::model::default_synth_config("llama");
    c.n_head_kv = 3;  // 8 heads do not split into 3 groups
    EXPECT_THROW(ql::model::synth_layout(c), ql::Error);
    c = ql::model::default_synth_config("qwen3moe");
    c.n_expert_used = 9;
    EXPECT_THROW(ql::model::synth_layout(c), ql::Error);
    c = ql::model::default_synth_config("llama");
    c.type = TypeId::Q4_0;
    EXPECT_THROW(ql::model::synth_layout(c), ql::Error);
    c = ql::model::default_synth_config("llama");
    c.n_vocab = 100;
    EXPECT_THROW(ql::model::write_synthetic_model(c, scratch("bad.gguf").string()), ql::Error);
    EXPECT_FALSE(fs::exists(scratch("bad.gguf")));
}

TEST(Synth, GenerateCommandAppliesItsOptions) {
    const auto path = scratch("cli.gguf");
    const std::string cmd = std::string(QL_BINARY) +
                            " generate --arch qwen3moe --n-embd 512 --n-layer 1 --n-expert 4 "
                            "--n-expert-used 1 --n-ff-exp 128 --n-vocab 300 --seed 5 --type BF16 "
                            "--json -o " +
                            path.string();
    FILE* pipe = popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buf[256];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    ASSERT_EQ(pclose(pipe), 0) << out;
    const GgufFile f = GgufFile::open(path.string());
    EXPECT_NE(out.find("\"tensors\": " + std::to_string(f.tensors().size())), std::string::npos)
        << out;
    EXPECT_EQ(f.find_tensor("blk.0.ffn_up_exps.weight")->shape,
              (std::vector<int64_t>{512, 128, 4}));
    EXPECT_EQ(f.find_tensor("blk.0.ffn_up_exps.weight")->type, TypeId::BF16);
    EXPECT_EQ(f.get_int("qwen3moe.expert_used_count"), 1);
    EXPECT_EQ(f.find_tensor("token_embd.weight")->shape[1], 300);

    const std::string bad = std::string(QL_BINARY) + " generate --arch gpt5 -o " +
                            scratch("x.gguf").string() + " 2>/dev/null";
    EXPECT_NE(std::system(bad.c_str()), 0);
    EXPECT_FALSE(fs::exists(scratch("x.gguf")));
}
