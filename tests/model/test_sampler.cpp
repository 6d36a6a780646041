// The sampler: greedy is the argmax; top-k, top-p and min-p keep the right
// candidates of hand-made logits; a seed fixes the sequence; temperature
// sharpens or flattens the distribution.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "model/sampler.hpp"

namespace ql::model {
namespace {

SamplerParams only(float temperature, int top_k, float top_p, float min_p) {
    SamplerParams p;
    p.temperature = temperature;
    p.top_k = top_k;
    p.top_p = top_p;
    p.min_p = min_p;
    p.seed = 7;
    return p;
}

// Logits whose softmax is exactly `probs` (up to rounding).
std::vector<float> logits_of(const std::vector<double>& probs) {
    std::vector<float> l;
    for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
    return l;
}

std::vector<int32_t> ids(const std::vector<Candidate>& cands) {
    std::vector<int32_t> out;
    for (const auto& c : cands) out.push_back(c.id);
    return out;
}

TEST(Sampler, GreedyIsTheArgmax) {
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    Sampler greedy(only(0.0f, 40, 0.95f, 0.05f));
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<float> logits(500);
        for (auto& l : logits) l = normal(rng);
        const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
        EXPECT_EQ(greedy.sample(logits), best);
    }
    const std::vector<float> tie = {1.0f, 3.0f, 3.0f, 2.0f};
    EXPECT_EQ(argmax(tie), 1);  // lowest id among equals
    EXPECT_EQ(greedy.sample(tie), 1);
}

TEST(Sampler, TopKKeepsTheKLargest) {
    const std::vector<float> logits = {1.0f, 5.0f, 3.0f, 4.0f, 2.0f};
    const auto cands = Sampler(only(1.0f, 2, 1.0f, 0.0f)).candidates(logits);
    EXPECT_EQ(ids(cands), (std::vector<int32_t>{1, 3}));
    EXPECT_NEAR(cands[0].prob, 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
    EXPECT_NEAR(cands[0].prob + cands[1].prob, 1.0, 1e-6);
    EXPECT_EQ(Sampler(only(1.0f, 0, 1.0f, 0.0f)).candidates(logits).size(), 5u);  // off
}

TEST(Sampler, TopPKeepsTheSmallestNucleus) {
    const auto logits = logits_of({0.05, 0.5, 0.15, 0.3});
    EXPECT_EQ(ids(Sampler(only(1.0f, 0, 0.75f, 0.0f)).candidates(logits)),
              (std::vector<int32_t>{1, 3}));
    EXPECT_EQ(ids(Sampler(only(1.0f, 0, 0.85f, 0.0f)).candidates(logits)),
              (std::vector<int32_t>{1, 3, 2}));
    EXPECT_EQ(ids(Sampler(only(1.0f, 0, 0.4f, 0.0f)).candidates(logits)),
              (std::vector<int32_t>{1}));
    EXPECT_EQ(Sampler(only(1.0f, 0, 1.0f, 0.0f)).candidates(logits).size(), 4u);
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
    const auto logits = logits_of({0.05, 0.5, 0.15, 0.3});
    // floor 0.2 * 0.5 = 0.1: drops 0.05 only.
    EXPECT_EQ(ids(Sampler(only(1.0f, 0, 1.0f, 0.2f)).candidates(logits)),
              (std::vector<int32_t>{1, 3, 2}));
    // floor 0.5 * 0.5 = 0.25: keeps 0.5 and 0.3.
    const auto cands = Sampler(only(1.0f, 0, 1.0f, 0.5f)).candidates(logits);
    EXPECT_EQ(ids(cands), (std::vector<int32_t>{1, 3}));
    EXPECT_NEAR(cands[0].prob, 0.5 / 0.8, 1e-5);  // renormalised over the survivors
}

TEST(Sampler, DrawsOnlySurvivors) {
    const std::vector<float> logits = {0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f};
    Sampler s(only(1.0f, 3, 1.0f, 0.0f));
    std::set<int32_t> seen;
    for (int i = 0; i < 300; ++i) seen.insert(s.sample(logits));
    EXPECT_EQ(seen, (std::set<int32_t>{5, 6, 7}));
}

TEST(Sampler, SameSeedSameSequence) {
    std::vector<float> logits(100);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = 0.01f * float(i % 7);
    auto draw = [&](uint64_t seed) {
        auto p = only(1.0f, 0, 1.0f, 0.0f);
        p.seed = seed;
        Sampler s(p);
        std::vector<int32_t> seq;
        for (int i = 0; i < 50; ++i) seq.push_back(s.sample(logits));
        return seq;
    };
    EXPECT_EQ(draw(42), draw(42));
    EXPECT_NE(draw(42), draw(43));
}

TEST(Sampler, TemperatureSharpensOrFlattens) {
    const std::vector<float> logits = {2.0f, 1.0f, 0.0f};
    for (float t : {0.5f, 1.0f, 2.0f}) {
        const auto cands = Sampler(only(t, 0, 1.0f, 0.0f)).candidates(logits);
        const double z = std::exp(2.0 / t) + std::exp(1.0 / t) + 1.0;
        EXPECT_NEAR(cands[0].prob, std::exp(2.0 / t) / z, 1e-6) << t;
    }
    auto top_share = [&](float t) {
        Sampler s(only(t, 0, 1.0f, 0.0f));
        int top = 0;
        for (int i = 0; i < 4000; ++i) top += s.sample(logits) == 0;
        return top / 4000.0;
    };
    const double cold = top_share(0.5f), hot = top_share(2.0f);
    EXPECT_NEAR(cold, std::exp(4.0) / (std::exp(4.0) + std::exp(2.0) + 1.0), 0.03);
    EXPECT_NEAR(hot, std::exp(1.0) / (std::exp(1.0) + std::exp(0.5) + 1.0), 0.03);
    EXPECT_GT(cold, hot + 0.2);
}

}  // namespace
}  // namespace ql::model
