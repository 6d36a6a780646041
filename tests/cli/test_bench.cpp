// `quantlab bench`: the JSON carries means and deviations of both tests with
// one sample per repetition, all positive; the table names both tests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/fixture.hpp"
#include "model/synth.hpp"
#include "process_scratch.hpp"

namespace ql::test {
namespace {

const std::string& bench_model() {
    static const std::string path = [] {
        const auto p = process_scratch_dir() / "qwen3.gguf";
        model::write_synthetic_model(model::default_synth_config("qwen3"), p.string());
        return p.string();
    }();
    return path;
}

TEST(CliBench, JsonHasPositiveMeansAndOneSamplePerRepetition) {
    ScratchDir dir;
    const auto r = run_quantlab(
        {"bench", bench_model(), "-p", "16", "-n", "4", "-r", "2", "--threads", "2", "--json"},
        dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    for (const char* key : {"pp_tps", "tg_tps"}) {
        ASSERT_TRUE(j.contains(key)) << key;
        EXPECT_GT(j[key].get<double>(), 0.0) << key;
    }
    for (const char* key : {"pp_tps_std", "tg_tps_std"}) {
        ASSERT_TRUE(j.contains(key)) << key;
        EXPECT_GE(j[key].get<double>(), 0.0) << key;
    }
    for (const char* key : {"pp_samples", "tg_samples"}) {
        const auto samples = j[key].get<std::vector<double>>();
        ASSERT_EQ(samples.size(), 2u) << key;
        double mean = 0;
        for (double s : samples) {
            EXPECT_GT(s, 0.0);
            mean += s / 2;
        }
        const std::string mean_key = std::string(key).substr(0, 2) + "_tps";
        EXPECT_NEAR(j[mean_key].get<double>(), mean, 1e-9 * mean);
    }
    EXPECT_EQ(j["n_prompt"].get<int>(), 16);
    EXPECT_EQ(j["n_gen"].get<int>(), 4);
    EXPECT_EQ(j["n_threads"].get<int>(), 2);
    EXPECT_GT(j["n_params"].get<double>(), 0.0);
    EXPECT_GT(j["size_bytes"].get<double>(), 0.0);
}

TEST(CliBench, TableNamesBothTests) {
    ScratchDir dir;
    const auto r = run_quantlab({"bench", bench_model(), "-p", "8", "-n", "2", "-r", "1"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("pp8"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("tg2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("t/s"), std::string::npos) << r.out;
}

TEST(CliBench, RejectsBadCounts) {
    ScratchDir dir;
    const auto r = run_quantlab({"bench", bench_model(), "-p", "0", "-n", "0"}, dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err_lines().size(), 1u) << r.err;
}

}  // namespace
}  // namespace ql::test
