// The backward pass against finite differences of the loss, for the dense
// (llama) and the MoE (qwen3moe) layouts, on tiny shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "train/model.hpp"
#include "train/tiny_preset.hpp"

namespace {

using namespace ql::train;

Preset tiny(bool moe) {
    return ql::test::tiny_preset(
        moe ? "tiny-moe" : "tiny", moe,
        {.n_vocab = 37, .n_embd = 16, .n_ff = 24, .n_ff_exp = 12, .seq_len = 7, .batch = 3});
}

Batch random_batch(const Preset& p, uint64_t seed) {
    Rng rng(seed);
    Batch b;
    b.n_seq = p.batch;
    b.seq_len = p.seq_len;
    for (int64_t i = 0; i < b.rows(); ++i) {
        b.tokens.push_back(static_cast<int32_t>(rng.next() % static_cast<uint64_t>(p.n_vocab)));
        b.targets.push_back(static_cast<int32_t>(rng.next() % static_cast<uint64_t>(p.n_vocab)));
    }
    return b;
}

// Parameters large enough that every gradient is well above f32 noise.
std::vector<float> random_params(const ParamLayout& l, uint64_t seed) {
    std::vector<float> v(static_cast<size_t>(l.total));
    Rng rng(seed);
    for (const ParamTensor& t : l.tensors) {
        const bool norm = t.name.find("norm") != std::string::npos;
        for (int64_t i = 0; i < t.size(); ++i)
            v[static_cast<size_t>(t.offset + i)] =
                static_cast<float>(norm ? 1.0 + 0.2 * rng.normal() : 0.4 * rng.normal());
    }
    return v;
}

double total(const StepLoss& s) {
    return s.loss + s.balance;
}

void check_gradients(bool moe) {
    const Preset p = tiny(moe);
    TrainModel model(p, 2);
    const ParamLayout& l = model.layout();
    std::vector<float> params = random_params(l, 11);
    const Batch batch = random_batch(p, 5);
    std::vector<float> grads(static_cast<size_t>(l.total));
    model.forward_backward(params.data(), batch, grads.data());
    Rng pick(3);
    int checked = 0;
    for (const ParamTensor& t : l.tensors) {
        for (int n = 0; n < 6; ++n) {
            const auto i = static_cast<size_t>(
                t.offset + static_cast<int64_t>(pick.next() % static_cast<uint64_t>(t.size())));
            const float keep = params[i];
            // (MoE: a smaller step, or a shifted norm weight flips some top-k choice)
            const float h = moe ? 2e-3f : 1e-2f;
            params[i] = keep + h;
            const double up = total(model.forward_backward(params.data(), batch, nullptr));
            params[i] = keep - h;
            const double down = total(model.forward_backward(params.data(), batch, nullptr));
            params[i] = keep;
            const double numeric = (up - down) / (2.0 * h);
            const double analytic = grads[i];
            EXPECT_NEAR(analytic, numeric,
                        3e-2 * std::max(std::abs(numeric), std::abs(analytic)) + 3e-4)
                << t.name << " element " << i - static_cast<size_t>(t.offset);
            ++checked;
        }
    }
    EXPECT_GT(checked, 50);
}

TEST(TrainGradients, DenseMatchesFiniteDifferences) {
    check_gradients(false);
}
TEST(TrainGradients, MoeMatchesFiniteDifferences) {
    check_gradients(true);
}

TEST(TrainGradients, SameBitsForTheSameInput) {
    const Preset p = tiny(true);
    TrainModel a(p, 2), b(p, 2);
    const auto params = random_params(a.layout(), 1);
    const Batch batch = random_batch(p, 2);
    std::vector<float> ga(static_cast<size_t>(a.layout().total)), gb(ga.size());
    const StepLoss la = a.forward_backward(params.data(), batch, ga.data());
    const StepLoss lb = b.forward_backward(params.data(), batch, gb.data());
    EXPECT_EQ(la.loss, lb.loss);
    EXPECT_EQ(ga, gb);
}

}  // namespace
