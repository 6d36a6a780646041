#include "model/sampler.hpp"

#include <algorithm>
#include <cmath>

namespace ql::model {

namespace {

bool more_likely(const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// prob = softmax(logit / temperature) over `cands` (sorted, most likely first).
void normalize(std::vector<Candidate>& cands, float temperature) {
    const double top = cands.front().logit;
    double sum = 0;
    for (auto& c : cands) {
        const double e = std::exp((c.logit - top) / temperature);
        c.prob = static_cast<float>(e);
        sum += e;
    }
    for (auto& c : cands) c.prob = static_cast<float>(c.prob / sum);
}

// Keeps the shortest prefix whose probability mass reaches top_p.
void keep_nucleus(std::vector<Candidate>& cands, float top_p) {
    double mass = 0;
    size_t keep = cands.size();
    for (size_t i = 0; i < cands.size(); ++i) {
        mass += cands[i].prob;
        if (mass >= top_p) {
            keep = i + 1;
            break;
        }
    }
    cands.resize(keep);
}

// Keeps the candidates at least min_p times as likely as the best one.
void keep_min_p(std::vector<Candidate>& cands, float min_p) {
    const float floor = cands.front().prob * min_p;
    size_t keep = 1;
    while (keep < cands.size() && cands[keep].prob >= floor) ++keep;
    cands.resize(keep);
}

}  // namespace

int32_t argmax(std::span<const float> logits) {
    if (logits.empty()) return -1;
    const auto best = std::max_element(logits.begin(), logits.end());  // first of equals
    return static_cast<int32_t>(best - logits.begin());
}

std::vector<Candidate> Sampler::candidates(std::span<const float> logits) const {
    std::vector<Candidate> cands(logits.size());  // [n_vocab], then the survivors
    for (size_t i = 0; i < logits.size(); ++i)
        cands[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
    if (cands.empty()) return cands;
    const size_t k =
        params_.top_k > 0 ? std::min(cands.size(), size_t(params_.top_k)) : cands.size();
    std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(k), cands.end(),
                      more_likely);
    cands.resize(k);

    // Nucleus and min-p judge the untempered distribution of what is left.
    normalize(cands, 1.0f);
    if (params_.top_p < 1.0f) keep_nucleus(cands, params_.top_p);
    if (params_.min_p > 0.0f) keep_min_p(cands, params_.min_p);

    const float temperature = params_.temperature > 0 ? params_.temperature : 1.0f;
    normalize(cands, temperature);
    return cands;
}

int32_t Sampler::sample(std::span<const float> logits) {
    if (params_.temperature <= 0.0f) return argmax(logits);
    const auto cands = candidates(logits);
    if (cands.empty()) return -1;
    // 53 random bits -> a uniform double in [0, 1), the same on every platform.
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    double mass = 0;
    for (const auto& c : cands) {
        mass += c.prob;
        if (u < mass) return c.id;
    }
    return cands.back().id;  // rounding left u above the last cumulative sum
}

}  // namespace ql::model
