// prefill: a prompt run in batches, logits of its last token only, equals
// the last row of one forward pass over the whole prompt; forward with
// last_logits_only writes that row alone.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "forward_fixture.hpp"
#include "model/forward.hpp"
#include "util/error.hpp"

namespace {

using namespace ql;
using namespace ql::test;

// The last row of the logits of one forward pass over all of `tokens`.
std::vector<float> last_row_of_whole(const model::Model& m, const std::vector<int32_t>& tokens,
                                     const model::ForwardOptions& options) {
    const auto n_vocab = static_cast<std::ptrdiff_t>(m.hparams().n_vocab);
    model::KvCache cache(m.hparams(), static_cast<int64_t>(tokens.size()));
    std::vector<float> all(tokens.size() * static_cast<size_t>(n_vocab));  // [n_tokens, n_vocab]
    model::forward(m, cache, tokens, all.data(), options);
    return {all.end() - n_vocab, all.end()};
}

std::vector<float> prefilled(const model::Model& m, const std::vector<int32_t>& tokens,
                             const model::ForwardOptions& options, int64_t n_batch) {
    model::KvCache cache(m.hparams(), static_cast<int64_t>(tokens.size()));
    std::vector<float> last(static_cast<size_t>(m.hparams().n_vocab));  // [n_vocab]
    model::prefill(m, cache, tokens, last.data(), options, n_batch);
    EXPECT_EQ(cache.n_past(), static_cast<int64_t>(tokens.size()));
    return last;
}

std::vector<int32_t> prompt(size_t n) {
    auto tokens = read_golden_tokens();
    tokens.resize(n);
    return tokens;
}

TEST(Prefill, BatchesGiveTheLastRowOfOneWholePass) {
    const auto m = model::Model::open(golden_model("qwen3moe"));
    const auto tokens = prompt(100);
    for (auto mode : {kernels::ActivationMode::Quantized, kernels::ActivationMode::Float}) {
        model::ForwardOptions options;
        options.activations = mode;
        options.n_threads = 2;
        const auto expected = last_row_of_whole(m, tokens, options);
        for (int64_t n_batch : {1, 7, 64, 100, 512}) {
            const auto got = prefilled(m, tokens, options, n_batch);
            ASSERT_EQ(got.size(), expected.size());
            for (size_t i = 0; i < got.size(); ++i)
                ASSERT_NEAR(got[i], expected[i], 1e-4f * (1.0f + std::fabs(expected[i])))
                    << "n_batch " << n_batch << ", logit " << i;
        }
    }
}

TEST(Prefill, LastLogitsOnlyWritesOneRow) {
    const auto m = model::Model::open(golden_model("llama"));
    const auto tokens = prompt(20);
    model::ForwardOptions options;
    const auto expected = last_row_of_whole(m, tokens, options);
    const auto n_vocab = static_cast<size_t>(m.hparams().n_vocab);
    std::vector<float> out(2 * n_vocab, -12345.0f);  // [n_vocab] + a guard row
    options.last_logits_only = true;
    model::KvCache cache(m.hparams(), static_cast<int64_t>(tokens.size()));
    model::forward(m, cache, tokens, out.data(), options);
    for (size_t i = 0; i < n_vocab; ++i) ASSERT_EQ(out[i], expected[i]) << i;
    for (size_t i = n_vocab; i < out.size(); ++i) ASSERT_EQ(out[i], -12345.0f) << i;
}

TEST(Prefill, RefusesANonPositiveBatch) {
    const auto m = model::Model::open(golden_model("llama"));
    const auto tokens = prompt(4);
    model::KvCache cache(m.hparams(), 4);
    std::vector<float> last(static_cast<size_t>(m.hparams().n_vocab));
    EXPECT_THROW(model::prefill(m, cache, tokens, last.data(), {}, 0), Error);
}

}  // namespace
