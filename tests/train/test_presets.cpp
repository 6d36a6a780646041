#include <gtest/gtest.h>

#include "train/presets.hpp"

namespace {

using ql::train::Preset;

TEST(Presets, EveryWidthIsAMultipleOf256) {
    for (const Preset& p : ql::train::presets()) {
        SCOPED_TRACE(p.name);
        EXPECT_EQ(p.n_embd % 256, 0);
        EXPECT_EQ((p.n_head * p.head_dim) % 256, 0);
        if (p.moe())
            EXPECT_EQ(p.n_ff_exp % 256, 0);
        else
            EXPECT_EQ(p.n_ff % 256, 0);
        EXPECT_EQ(p.n_head % p.n_head_kv, 0);
    }
}

TEST(Presets, FindByName) {
    ASSERT_NE(ql::train::find_preset("demo"), nullptr);
    EXPECT_EQ(ql::train::find_preset("demo")->name, "demo");
    EXPECT_EQ(ql::train::find_preset("no-such-preset"), nullptr);
}

TEST(Presets, ParameterCountOfTheDemoShape) {
    const Preset& p = *ql::train::find_preset("demo");
    // embeddings 2048 x 256, one block: wq/wo 256x256, wk/wv 256x128, FFN 3 x 256x256,
    // two norms, and the output norm
    const int64_t expected = 2048 * 256 + (2 * 65536 + 2 * 32768 + 3 * 65536 + 2 * 256) + 256;
    EXPECT_EQ(p.n_params(), expected);
    EXPECT_EQ(p.n_active_params(), expected);
}

}  // namespace

namespace {

// The zoo the issue asks for: >= 4 dense sizes spanning >= 16x, about 2.8x
// apart; a MoE near the largest dense size; one size far past 20 tokens per
// parameter; a demo that is small and short.
TEST(Presets, TheZooHasItsShape) {
    std::vector<const Preset*> dense;
    const Preset* moe = nullptr;
    for (const Preset& p : ql::train::presets()) {
        if (p.name == "demo") continue;
        if (p.moe())
            moe = &p;
        else
            dense.push_back(&p);
    }
    ASSERT_GE(dense.size(), 4u);
    ASSERT_NE(moe, nullptr);
    for (size_t i = 1; i < dense.size(); ++i) {
        const double ratio = static_cast<double>(dense[i]->n_params()) /
                             static_cast<double>(dense[i - 1]->n_params());
        EXPECT_GT(ratio, 2.0) << dense[i]->name;
        EXPECT_LT(ratio, 3.6) << dense[i]->name;
    }
    const double span = static_cast<double>(dense.back()->n_params()) /
                        static_cast<double>(dense.front()->n_params());
    EXPECT_GE(span, 16.0);
    const double moe_ratio =
        static_cast<double>(moe->n_params()) / static_cast<double>(dense.back()->n_params());
    EXPECT_GT(moe_ratio, 0.7);
    EXPECT_LT(moe_ratio, 1.5);
    EXPECT_LT(moe->n_active_params(), moe->n_params() / 2);
    double most = 0;
    for (const Preset* p : dense)
        most = std::max(most, static_cast<double>(p->steps * p->tokens_per_step()) /
                                  static_cast<double>(p->n_params()));
    EXPECT_GT(most, 40.0);
    const Preset& demo = *ql::train::find_preset("demo");
    // under 2 minutes at 60 GFLOP/s (the trainer does more here): 6 N D <= 7.2e12
    EXPECT_LE(6.0 * static_cast<double>(demo.steps * demo.tokens_per_step()) *
                  static_cast<double>(demo.n_params()),
              7.2e12);
}

}  // namespace
