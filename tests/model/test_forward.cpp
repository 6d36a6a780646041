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

class ForwardGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ForwardGolden, MatchesPeerLogitsAtEveryPosition) {
    const std::string golden_case = GetParam();
    const auto model = model::Model::open(golden_model(golden_case));
    const auto tokens = read_golden_tokens();
    ASSERT_GE(tokens.size(), 500u);
    model::ForwardOptions options;
    options.n_threads = 2;
    const auto logits = run_batch(model, tokens, options);  // [n_tokens, n_vocab]
    expect_matches_peer_summary(logits, model.hparams().n_vocab, logits_data_dir() / golden_case,
                                golden_case);
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
