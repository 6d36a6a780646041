// The committed zoo models (zoo/<name>.gguf, trained by quantlab) run in
// quantlab as in llama.cpp: for every model with a golden in tests/data/zoo
// (made by make_goldens.sh with the peer's logits-dump), the logits of 256
// tokens of text match the peer's within 1e-3 of the largest logit, with
// the same argmax.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "forward_fixture.hpp"

namespace {

using namespace ql;
using namespace ql::test;

std::vector<std::string> zoo_goldens() {
    std::vector<std::string> names;
    const fs::path dir = fs::path(QL_SOURCE_DIR) / "tests/data/zoo";
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory()) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST(ZooLogits, EveryCommittedModelMatchesThePeer) {
    const auto names = zoo_goldens();
    if (names.empty()) GTEST_SKIP() << "no zoo goldens yet";
    for (const std::string& name : names) {
        const fs::path golden = fs::path(QL_SOURCE_DIR) / "tests/data/zoo" / name;
        const fs::path file = fs::path(QL_SOURCE_DIR) / "zoo" / (name + ".gguf");
        ASSERT_TRUE(fs::exists(file)) << file << " (the golden's model) is missing";
        const auto model = model::Model::open(file.string());
        const auto tokens = read_golden_tokens(golden / "tokens.txt");
        ASSERT_GE(tokens.size(), 200u) << name;
        model::ForwardOptions options;
        options.n_threads = 2;
        const auto logits = run_batch(model, tokens, options);
        expect_matches_peer_summary(logits, model.hparams().n_vocab, golden, "zoo " + name);
    }
}

}  // namespace
