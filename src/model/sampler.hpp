// Picks the next token from a row of logits: top-k, top-p (nucleus) and min-p
// filtering, then temperature and a draw from a seeded generator. Temperature
// <= 0 means greedy (the argmax, lowest id on ties). Same seed and same
// logits give the same sequence of tokens.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace ql::model {

struct SamplerParams {
    float temperature = 0.8f;
    int top_k = 40;       // <= 0: no top-k filtering
    float top_p = 0.95f;  // >= 1: no nucleus filtering
    float min_p = 0.05f;  // <= 0: no min-p filtering
    uint64_t seed = 0;
};

struct Candidate {
    int32_t id = 0;
    float logit = 0;
    float prob = 0;  // softmax over the surviving candidates (after temperature)
};

class Sampler {
  public:
    explicit Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}

    // The token drawn from `logits` [n_vocab].
    int32_t sample(std::span<const float> logits);

    // The candidates that survive top-k, top-p and min-p, most likely first,
    // with their probabilities after temperature (summing to 1).
    std::vector<Candidate> candidates(std::span<const float> logits) const;

    const SamplerParams& params() const { return params_; }

  private:
    SamplerParams params_;
    std::mt19937_64 rng_;
};

// Index of the largest logit (lowest index on ties); -1 for an empty row.
int32_t argmax(std::span<const float> logits);

}  // namespace ql::model
