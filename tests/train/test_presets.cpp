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
