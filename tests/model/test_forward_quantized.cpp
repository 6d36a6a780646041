// Quantized models against llama.cpp: for each architecture, files quantized
// by the peer's llama-quantize (Q4_K_M, TQ1_0, IQ2_XXS, with an imatrix) and
// the peer's logits for 512 positions (tests/data/logits-quant, made by
// make_goldens.sh; stored as fp16). With activations quantized as ggml does:
// issue 3's bars (mean KL <= 1e-3, the same argmax on >= 99% of the positions
// whose top-2 margin is >= 1e-3). The two-block models are chosen so that the
// peer meets those bars against itself (repacking off, smaller micro-batches);
// docs/QUANTIZATION.md explains why deeper ones cannot.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/forward.hpp"
#include "quant/half.hpp"

namespace ql::test {
namespace {

namespace fs = std::filesystem;

const fs::path& data_dir() {
    static const fs::path dir = fs::path(QL_SOURCE_DIR) / "tests/data/logits-quant";
    return dir;
}

std::vector<int32_t> read_tokens() {
    std::ifstream in(data_dir() / "tokens.txt");
    std::vector<int32_t> ids;
    int32_t id = 0;
    while (in >> id) ids.push_back(id);
    return ids;
}

// The peer's logits [n_tokens, n_vocab], stored as little-endian fp16.
std::vector<float> read_peer_logits(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    std::vector<float> out(bytes.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        const auto lo = static_cast<uint8_t>(bytes[2 * i]);
        const auto hi = static_cast<uint8_t>(bytes[2 * i + 1]);
        out[i] = quant::fp16_to_f32(static_cast<uint16_t>(lo | (hi << 8)));
    }
    return out;
}

// log softmax of one row of logits [n], in double.
std::vector<double> log_softmax(const float* row, size_t n) {
    const double top = *std::max_element(row, row + n);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += std::exp(row[i] - top);
    std::vector<double> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = row[i] - top - std::log(sum);
    return out;
}

struct Agreement {
    double mean_kl = 0;       // mean over positions of KL(peer || ours)
    int decided = 0;          // positions with peer top-2 margin >= 1e-3
    int same_argmax = 0;      // ... of which ours has the same argmax
    double max_rel_diff = 0;  // max over positions of max|d logit| / max|peer logit|
};

Agreement compare(const std::vector<float>& peer, const std::vector<float>& ours, size_t n_vocab) {
    Agreement a;
    const size_t n_tokens = peer.size() / n_vocab;
    for (size_t t = 0; t < n_tokens; ++t) {
        const float* p = peer.data() + t * n_vocab;
        const float* q = ours.data() + t * n_vocab;
        const auto lp = log_softmax(p, n_vocab), lq = log_softmax(q, n_vocab);
        for (size_t i = 0; i < n_vocab; ++i) a.mean_kl += std::exp(lp[i]) * (lp[i] - lq[i]);
        std::vector<float> sorted(p, p + n_vocab);
        std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
        if (sorted[0] - sorted[1] >= 1e-3f) {
            ++a.decided;
            a.same_argmax +=
                std::max_element(p, p + n_vocab) - p == std::max_element(q, q + n_vocab) - q;
        }
        float max_abs = 0, max_diff = 0;
        for (size_t i = 0; i < n_vocab; ++i) {
            max_abs = std::max(max_abs, std::fabs(p[i]));
            max_diff = std::max(max_diff, std::fabs(p[i] - q[i]));
        }
        a.max_rel_diff = std::max(a.max_rel_diff, static_cast<double>(max_diff / max_abs));
    }
    a.mean_kl /= static_cast<double>(n_tokens);
    return a;
}

// Our logits for the whole token sequence [n_tokens, n_vocab].
std::vector<float> our_logits(const model::Model& model, const std::vector<int32_t>& tokens,
                              kernels::ActivationMode activations) {
    const auto n_vocab = static_cast<size_t>(model.hparams().n_vocab);
    model::KvCache cache(model.hparams(), static_cast<int64_t>(tokens.size()));
    std::vector<float> out(tokens.size() * n_vocab);  // [n_tokens, n_vocab]
    model::ForwardOptions options;
    options.activations = activations;
    options.n_threads = 2;
    model::forward(model, cache, tokens, out.data(), options);
    return out;
}

class ForwardQuantized : public ::testing::TestWithParam<std::string> {};

// Issue 3's bars with activations quantized as ggml does.
TEST_P(ForwardQuantized, MatchesPeerLogits) {
    const fs::path dir = data_dir() / GetParam();
    const auto model = model::Model::open((dir / "model.gguf").string());
    const auto tokens = read_tokens();
    ASSERT_GE(tokens.size(), 500u);
    const auto n_vocab = static_cast<size_t>(model.hparams().n_vocab);
    const auto peer = read_peer_logits(dir / "logits.f16");
    ASSERT_EQ(peer.size(), tokens.size() * n_vocab);

    const auto ours = our_logits(model, tokens, kernels::ActivationMode::Quantized);
    const Agreement a = compare(peer, ours, n_vocab);
    EXPECT_LE(a.mean_kl, 1e-3);
    EXPECT_GE(a.same_argmax, static_cast<int>(std::ceil(0.99 * a.decided)));
    // The KL bar is loose on these models: f32 activations instead of
    // ggml's 8-bit ones stay under it (KL ~4e-4). This bound is not: our
    // worst is ~4e-6 (fp16 goldens), the peer's own floor ~1e-6.
    EXPECT_LE(a.mean_kl, 2e-5);
    RecordProperty("mean_kl", std::to_string(a.mean_kl));
    std::printf("%s: mean KL %.3e, argmax %d/%d, max rel diff %.3e\n", GetParam().c_str(),
                a.mean_kl, a.same_argmax, a.decided, a.max_rel_diff);

    // With higher-precision activations, quantlab is closer to the model the
    // file stands for (its weights dequantized to F32, run by the peer) than
    // the peer with its 8-bit activations is.
    if (!fs::exists(dir / "deq.f16")) return;
    const auto reference = read_peer_logits(dir / "deq.f16");
    ASSERT_EQ(reference.size(), peer.size());
    const auto ours_float = our_logits(model, tokens, kernels::ActivationMode::Float);
    const double ours_kl = compare(reference, ours_float, n_vocab).mean_kl;
    const double peer_kl = compare(reference, peer, n_vocab).mean_kl;
    EXPECT_LE(ours_kl, peer_kl);
    std::printf("%s: KL to the F32-dequantized model: quantlab (f32 activations) %.3e, peer %.3e\n",
                GetParam().c_str(), ours_kl, peer_kl);
}

// One case per architecture and type: ARCH-TYPE directories made by make_goldens.sh.
std::vector<std::string> golden_cases() {
    std::vector<std::string> cases;
    for (const char* arch : {"llama", "qwen2", "qwen3", "qwen3moe", "glm4moe"})
        for (const char* type : {"Q4_K_M", "TQ1_0", "IQ2_XXS"})
            cases.push_back(std::string(arch) + "-" + type);
    return cases;
}

INSTANTIATE_TEST_SUITE_P(PeerQuantized, ForwardQuantized, ::testing::ValuesIn(golden_cases()),
                         [](const auto& case_info) {
                             std::string name = case_info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

}  // namespace
}  // namespace ql::test
