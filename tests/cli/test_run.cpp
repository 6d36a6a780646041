// `quantlab run` on a generated model: greedy output is deterministic and is
// what the library's forward pass and argmax give; -n limits the tokens; the
// figures reach stderr; a seed fixes sampled text; a prompt longer than the
// context is one clear error line.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <span>

#include <nlohmann/json.hpp>

#include "cli/fixture.hpp"
#include "model/forward.hpp"
#include "model/sampler.hpp"
#include "model/synth.hpp"
#include "process_scratch.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ql::test {
namespace {

const std::string kPrompt = "The quick brown fox";

// One generated llama model per test process.
const std::string& llama_model() {
    static const std::string path = [] {
        const auto p = process_scratch_dir() / "llama.gguf";
        model::write_synthetic_model(model::default_synth_config("llama"), p.string());
        return p.string();
    }();
    return path;
}

// What greedy generation of n tokens must print, computed with the library.
std::string library_greedy_text(const std::string& path, const std::string& prompt, int n) {
    const auto m = model::Model::open(path);
    const auto tokenizer = tok::Tokenizer::from_gguf(m.file());
    const auto ids = tokenizer.encode(prompt, true);
    const auto n_vocab = static_cast<size_t>(m.hparams().n_vocab);
    model::KvCache cache(m.hparams(), static_cast<int64_t>(ids.size()) + n);
    std::vector<float> logits(ids.size() * n_vocab);  // [n_prompt, n_vocab]
    model::forward(m, cache, ids, logits.data(), {});
    std::span<const float> last(logits.data() + (ids.size() - 1) * n_vocab, n_vocab);
    std::vector<int32_t> out;
    for (int i = 0; i < n; ++i) {
        const int32_t next = model::argmax(last);
        if (tokenizer.is_eog(next)) break;
        out.push_back(next);
        if (i + 1 == n) break;
        model::forward(m, cache, std::span<const int32_t>(&next, 1), logits.data(), {});
        last = std::span<const float>(logits.data(), n_vocab);
    }
    return tokenizer.decode(out);
}

nlohmann::json run_json(const std::vector<std::string>& extra, const ScratchDir& dir) {
    std::vector<std::string> args = {"run", llama_model(), "-p", kPrompt, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_quantlab(args, dir);
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

TEST(CliRun, GreedyIsDeterministicAndMatchesTheLibrary) {
    ScratchDir dir;
    const std::vector<std::string> args = {"run", llama_model(), "-p", kPrompt,     "--temp",
                                           "0",   "-n",          "24", "--threads", "2"};
    const auto first = run_quantlab(args, dir);
    const auto second = run_quantlab(args, dir);
    ASSERT_EQ(first.status, 0) << first.err;
    ASSERT_EQ(second.status, 0) << second.err;
    EXPECT_FALSE(first.out.empty());
    EXPECT_EQ(first.out, second.out);
    EXPECT_EQ(first.out, library_greedy_text(llama_model(), kPrompt, 24));
}

TEST(CliRun, NLimitsTheGeneratedTokens) {
    ScratchDir dir;
    for (int n : {1, 5, 12}) {
        const auto j = run_json({"--temp", "0", "-n", std::to_string(n)}, dir);
        const auto tokens = j["tokens"].get<std::vector<int32_t>>();
        if (j["stopped_at_eog"].get<bool>()) {
            EXPECT_LT(tokens.size(), size_t(n));
        } else {
            EXPECT_EQ(tokens.size(), size_t(n));
            EXPECT_EQ(j["n_generated"].get<int>(), n);
        }
        const auto r = run_quantlab(
            {"run", llama_model(), "-p", kPrompt, "--temp", "0", "-n", std::to_string(n)}, dir);
        EXPECT_EQ(r.out, library_greedy_text(llama_model(), kPrompt, n)) << n;
    }
}

TEST(CliRun, SeedFixesSampledText) {
    ScratchDir dir;
    const std::vector<std::string> sampled = {"--temp", "1.5",     "--top-k", "0",  "--top-p",
                                              "1",      "--min-p", "0",       "-n", "32"};
    auto with_seed = [&](const std::string& seed) {
        auto extra = sampled;
        extra.insert(extra.end(), {"--seed", seed});
        return run_json(extra, dir)["text"].get<std::string>();
    };
    EXPECT_EQ(with_seed("5"), with_seed("5"));
    EXPECT_NE(with_seed("5"), with_seed("6"));
}

TEST(CliRun, PrintsTheFiguresOnStderr) {
    ScratchDir dir;
    const auto r =
        run_quantlab({"run", llama_model(), "-p", kPrompt, "-n", "8", "--temp", "0"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    auto number_after = [&](const std::string& pattern) {
        std::smatch m;
        const bool found = std::regex_search(r.err, m, std::regex(pattern + "([0-9.]+)"));
        EXPECT_TRUE(found) << pattern << " in:\n" << r.err;
        return found ? std::stod(m[1].str()) : 0.0;
    };
    EXPECT_GT(number_after("prompt: [0-9]+ tokens, "), 0.0);
    EXPECT_GT(number_after("generation: [0-9]+ tokens, "), 0.0);
    EXPECT_GT(number_after("time to first token: "), 0.0);
    const double peak_mib = number_after("peak RSS: ");
    EXPECT_GT(peak_mib, 0.0);
    // Weights are mmapped: the process stays within the file plus 64 MiB
    // (not under the sanitizers, whose shadow memory counts in the RSS).
#ifndef QL_SANITIZED
    const double file_mib = double(fs::file_size(llama_model())) / (1024.0 * 1024.0);
    EXPECT_LT(peak_mib, file_mib + 64.0);
#endif
}

TEST(CliRun, PromptLongerThanTheContextIsOneErrorLine) {
    ScratchDir dir;
    const auto r = run_quantlab({"run", llama_model(), "-p", kPrompt, "--ctx", "2"}, dir);
    EXPECT_TRUE(r.status == 1 || r.status == 2) << r.status;
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("longer than the context"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
}

}  // namespace
}  // namespace ql::test
