// quantlab corpus build: the fake packages of tests/data/corpus end to end,
// --json, and the error paths (missing package: exit 1 naming it and
// scripts/setup.sh; bad flags: exit 2).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/fixture.hpp"

namespace ql::test {
namespace {

const std::string kData = std::string(QL_SOURCE_DIR) + "/tests/data/corpus";

std::vector<std::string> fixture_args(const ScratchDir& dir) {
    return {"corpus",       "build",        "--out",
            dir / "corpus", "--sources",    kData + "/sources.json",
            "--npm-dir",    kData + "/npm", "--deb-dir",
            kData + "/deb"};
}

TEST(CliCorpus, BuildsAndPrintsJsonSummary) {
    ScratchDir dir;
    auto args = fixture_args(dir);
    args.push_back("--json");
    const RunResult r = run_quantlab(args, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["out"], dir / "corpus");
    EXPECT_EQ(j["sources"].size(), 4u);
    for (const char* d : {"en", "code", "de"}) {
        EXPECT_GE(j["domains"][d]["train"]["documents"].get<int>(), 1) << d;
        EXPECT_GE(j["domains"][d]["val"]["documents"].get<int>(), 1) << d;
        EXPECT_TRUE(fs::exists(dir / (std::string("corpus/") + d + "/train.txt"))) << d;
    }
    EXPECT_TRUE(fs::exists(dir / "corpus/manifest.json"));
    // A progress line per source on stderr.
    EXPECT_EQ(r.err_lines().size(), 4u) << r.err;
    EXPECT_NE(r.err.find("fake-brown@1.0.0"), std::string::npos);
}

TEST(CliCorpus, PlainOutputNamesTheDomains) {
    ScratchDir dir;
    const RunResult r = run_quantlab(fixture_args(dir), dir);
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char* d : {"en ", "code ", "de "}) EXPECT_NE(r.out.find(d), std::string::npos);
}

TEST(CliCorpus, MissingNpmDirExits1NamingPackageAndSetup) {
    ScratchDir dir;
    auto args = fixture_args(dir);
    args[7] = dir / "nowhere";  // --npm-dir
    const RunResult r = run_quantlab(args, dir);
    EXPECT_EQ(r.status, 1);
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("fake-brown@1.0.0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("run scripts/setup.sh"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "corpus"));
}

TEST(CliCorpus, MissingSourcesFileExits1) {
    ScratchDir dir;
    auto args = fixture_args(dir);
    args[5] = dir / "none.json";  // --sources
    const RunResult r = run_quantlab(args, dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("none.json"), std::string::npos) << r.err;
}

TEST(CliCorpus, BadSourcesFileExits2) {
    ScratchDir dir;
    std::ofstream(dir / "bad.json") << "{\"domains\": 3}";
    auto args = fixture_args(dir);
    args[5] = dir / "bad.json";
    const RunResult r = run_quantlab(args, dir);
    EXPECT_EQ(r.status, 2);
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
}

TEST(CliCorpus, BadFlagsExit2) {
    ScratchDir dir;
    EXPECT_EQ(run_quantlab({"corpus", "build", "--no-such-flag"}, dir).status, 2);
    EXPECT_EQ(run_quantlab({"corpus"}, dir).status, 2);
    EXPECT_EQ(run_quantlab({"corpus", "build", "extra"}, dir).status, 2);
    const RunResult help = run_quantlab({"corpus", "build", "--help"}, dir);
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("--npm-dir"), std::string::npos);
}

}  // namespace
}  // namespace ql::test
