// The forward pass against llama.cpp: for every architecture, the default
// synthetic model (F32 weights) and 512 positions processed as one batch give
// the peer's logits (tests/data/logits, made by make_goldens.sh with the
// peer's logits-dump): max |Δlogit| <= 1e-3 * max |logit| at every position
// for the stored rows and probes, the same max |logit| and argmax. The
// -rope-scaled and -yarn cases add RoPE scaling (forward_fixture.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "forward_fixture.hpp"

namespace {

using namespace ql;
using namespace ql::test;

constexpr int64_t kHeadRows = 32;     // positions stored in full (summarize.py N_HEAD)
constexpr int64_t kProbeStride = 64;  // summarize.py PROBE_STRIDE
constexpr double kRelTolerance = 1e-3;

struct PositionSummary {
    int64_t argmax = 0;
    float max_abs = 0.0f;
    float second = 0.0f;
    const float* probes = nullptr;  // logits of ids 0, 64, 128, ...
};

class ForwardGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ForwardGolden, MatchesPeerLogitsAtEveryPosition) {
    const std::string golden_case = GetParam();
    const auto model = model::Model::open(golden_model(golden_case));
    const int64_t n_vocab = model.hparams().n_vocab;
    const auto tokens = read_golden_tokens();
    ASSERT_GE(tokens.size(), 500u);

    model::ForwardOptions options;
    options.n_threads = 2;
    const auto logits = run_batch(model, tokens, options);  // [n_tokens, n_vocab]

    const auto head = read_f32_file(logits_data_dir() / golden_case / "head.f32");
    const auto summary = read_f32_file(logits_data_dir() / golden_case / "summary.f32");
    const int64_t n_probes = n_vocab / kProbeStride;
    const int64_t summary_width = 3 + n_probes;
    const auto n_tokens = static_cast<int64_t>(tokens.size());
    ASSERT_EQ(static_cast<int64_t>(head.size()), kHeadRows * n_vocab);
    ASSERT_EQ(static_cast<int64_t>(summary.size()), n_tokens * summary_width);

    double worst_rel = 0.0;
    int64_t argmax_agree = 0;
    for (int64_t t = 0; t < n_tokens; ++t) {
        const float* ours = &logits[t * n_vocab];  // [n_vocab]
        const float* s = &summary[t * summary_width];
        const PositionSummary peer{static_cast<int64_t>(s[0]), s[1], s[2], s + 3};
        const double tolerance = kRelTolerance * peer.max_abs;
        double diff = 0.0;
        if (t < kHeadRows)
            for (int64_t i = 0; i < n_vocab; ++i)
                diff = std::max(diff, std::fabs(double(ours[i]) - head[t * n_vocab + i]));
        for (int64_t p = 0; p < n_probes; ++p)
            diff = std::max(diff, std::fabs(double(ours[p * kProbeStride]) - peer.probes[p]));
        float our_max_abs = 0.0f;
        for (int64_t i = 0; i < n_vocab; ++i)
            our_max_abs = std::max(our_max_abs, std::fabs(ours[i]));
        diff = std::max(diff, std::fabs(double(our_max_abs) - peer.max_abs));
        ASSERT_LE(diff, tolerance) << golden_case << " position " << t;
        worst_rel = std::max(worst_rel, diff / peer.max_abs);

        const int64_t our_argmax = std::max_element(ours, ours + n_vocab) - ours;
        argmax_agree += our_argmax == peer.argmax;
        const float peer_top = ours[peer.argmax];  // our logit for the peer's choice
        if (peer.max_abs > 0 && std::fabs(ours[our_argmax] - peer_top) > tolerance)
            ADD_FAILURE() << golden_case << " position " << t << ": argmax " << our_argmax
                          << " vs the peer's " << peer.argmax << " (margin "
                          << ours[our_argmax] - peer_top << ")";
    }
    EXPECT_GE(argmax_agree, n_tokens - 1);
    std::printf(
        "[ %s ] %lld positions: max |dlogit| / max |logit| = %.3g, argmax agree %lld/%lld\n",
        golden_case.c_str(), static_cast<long long>(n_tokens), worst_rel,
        static_cast<long long>(argmax_agree), static_cast<long long>(n_tokens));
}

INSTANTIATE_TEST_SUITE_P(Architectures, ForwardGolden,
                         ::testing::Values("llama", "llama-tied", "llama-rope-scaled", "llama-yarn",
                                           "qwen2", "qwen3", "qwen3-yarn", "qwen3moe", "glm4moe",
                                           "glm4moe-yarn"),
                         [](const auto& param_info) {
                             std::string name = param_info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

struct ScratchCleanup : ::testing::Environment {
    void TearDown() override { fs::remove_all(forward_scratch("").parent_path()); }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

}  // namespace
