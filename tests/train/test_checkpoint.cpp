#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "train/checkpoint.hpp"
#include "util/error.hpp"

namespace {

using ql::train::Checkpoint;

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("ql_test_ckpt_" + name)).string();
}

Checkpoint sample() {
    Checkpoint c;
    c.preset = "demo";
    c.seed = 7;
    c.total_steps = 100;
    c.step = 40;
    c.adam_t = 40;
    c.threads = 2;
    c.initial_val_loss = 7.5;
    c.last_train_loss = 4.25;
    c.seconds = 12.5;
    c.tokens = 40960;
    for (int i = 0; i < 1000; ++i) {
        c.params.push_back(0.001f * static_cast<float>(i));
        c.m.push_back(-0.5f * static_cast<float>(i));
        c.v.push_back(static_cast<float>(i * i));
    }
    return c;
}

TEST(Checkpoint, RoundTripsEveryField) {
    const auto path = temp_path("roundtrip");
    const Checkpoint c = sample();
    ql::train::save_checkpoint(path, c);
    const Checkpoint r = ql::train::load_checkpoint(path);
    EXPECT_EQ(r.preset, c.preset);
    EXPECT_EQ(r.seed, c.seed);
    EXPECT_EQ(r.total_steps, c.total_steps);
    EXPECT_EQ(r.step, c.step);
    EXPECT_EQ(r.adam_t, c.adam_t);
    EXPECT_EQ(r.threads, c.threads);
    EXPECT_EQ(r.initial_val_loss, c.initial_val_loss);
    EXPECT_EQ(r.last_train_loss, c.last_train_loss);
    EXPECT_EQ(r.seconds, c.seconds);
    EXPECT_EQ(r.tokens, c.tokens);
    EXPECT_EQ(r.params, c.params);
    EXPECT_EQ(r.m, c.m);
    EXPECT_EQ(r.v, c.v);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    std::filesystem::remove(path);
}

void expect_rejected(const std::string& path, const std::string& words) {
    try {
        ql::train::load_checkpoint(path);
        FAIL() << "accepted a bad checkpoint";
    } catch (const ql::InputError& e) {
        EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
}

TEST(Checkpoint, AFlippedByteIsCaught) {
    const auto path = temp_path("flipped");
    ql::train::save_checkpoint(path, sample());
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(2000);
        f.put('\x55');
    }
    expect_rejected(path, "checksum");
    std::filesystem::remove(path);
}

TEST(Checkpoint, TruncationAndForeignFilesAreCaught) {
    const auto path = temp_path("truncated");
    ql::train::save_checkpoint(path, sample());
    std::filesystem::resize_file(path, 100);
    expect_rejected(path, "checksum");
    {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f << "GGUF and more bytes than a header";
    }
    expect_rejected(path, "not a quantlab checkpoint");
    std::filesystem::remove(path);
    EXPECT_THROW(ql::train::load_checkpoint(path), ql::InputError);
}

}  // namespace
