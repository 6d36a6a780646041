// Hostile and broken inputs to every command of this helper: exactly one
// stderr line that names the file, exit status 2, and no output file.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "cli/fixture.hpp"

namespace ql::test {
namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A valid model cut short, random bytes, and headers that lie.
std::vector<std::pair<std::string, std::string>> hostile_files(const ScratchDir& dir) {
    TinyModelOptions o;
    o.n_layer = 1;
    write_tiny_model(dir / "good.gguf", o);
    const std::string good = slurp(dir / "good.gguf");
    std::mt19937 rng(5);
    std::string random(4096, '\0');
    for (auto& c : random) c = static_cast<char>(rng());
    std::string bad_version = good;
    bad_version[4] = 99;  // version 99
    std::string huge_count = good;
    for (int i = 8; i < 16; ++i) huge_count[i] = '\x7f';  // n_tensors = 0x7f7f...
    std::string bad_magic = good;
    bad_magic[0] = 'X';
    return {{"truncated.gguf", good.substr(0, good.size() / 2)},
            {"header_only.gguf", good.substr(0, 20)},
            {"random.gguf", random},
            {"bad_version.gguf", bad_version},
            {"huge_count.gguf", huge_count},
            {"bad_magic.gguf", bad_magic},
            {"empty.gguf", ""}};
}

void expect_one_line_naming(const RunResult& r, const std::string& path) {
    EXPECT_EQ(r.status, 2) << path << ": " << r.err;
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("quantlab: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
}

TEST(CliErrors, HostileModelsGiveOneLineAndStatus2) {
    ScratchDir dir;
    for (const auto& [name, bytes] : hostile_files(dir)) {
        const std::string path = dir / name;
        write_bytes(path, bytes);
        expect_one_line_naming(run_quantlab({"info", path}, dir), path);
        expect_one_line_naming(run_quantlab({"info", path, "--json"}, dir), path);
        expect_one_line_naming(
            run_quantlab({"dump", path, "--tensor", "output.weight", "--f32", dir / "o.bin"}, dir),
            path);
        expect_one_line_naming(
            run_quantlab({"quantize", path, dir / "o.gguf", "--type", "Q8_0"}, dir), path);
        EXPECT_FALSE(fs::exists(dir / "o.bin"));
        EXPECT_FALSE(fs::exists(dir / "o.gguf"));
        fs::remove(path);
    }
    size_t n_files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++n_files;
    EXPECT_EQ(n_files, 1u);  // good.gguf only: no temporaries
}

TEST(CliErrors, HostileImatrixGivesOneLineAndStatus2) {
    ScratchDir dir;
    TinyModelOptions o;
    o.n_layer = 1;
    write_tiny_model(dir / "m.gguf", o);
    const std::string imatrix = dir / "bad.imatrix";
    write_bytes(imatrix, std::string("\x02\x00\x00\x00\x05\x00\x00\x00"
                                     "abc",
                                     11));
    const RunResult r = run_quantlab(
        {"quantize", dir / "m.gguf", dir / "o.gguf", "--type", "Q8_0", "--imatrix", imatrix}, dir);
    expect_one_line_naming(r, imatrix);
    EXPECT_FALSE(fs::exists(dir / "o.gguf"));
}

TEST(CliErrors, MissingFileIsNamed) {
    ScratchDir dir;
    const std::string path = dir / "nope.gguf";
    const RunResult r = run_quantlab({"info", path}, dir);
    EXPECT_NE(r.status, 0);
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
}

TEST(CliErrors, UnknownCommandAndFlagsAreParseErrors) {
    ScratchDir dir;
    EXPECT_EQ(run_quantlab({"no-such-command"}, dir).status, 2);
    EXPECT_EQ(run_quantlab({"info"}, dir).status, 2);
    EXPECT_EQ(run_quantlab({"info", "x.gguf", "--bogus"}, dir).status, 2);
    EXPECT_EQ(run_quantlab({"dump", "x.gguf", "--tensor"}, dir).status, 2);
}

}  // namespace
}  // namespace ql::test
