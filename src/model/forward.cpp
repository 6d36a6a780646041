// The forward pass, top to bottom: embed, blocks (attention, feed-forward,
// each on a normed copy of the residual stream), final norm, logits.
#include "model/forward.hpp"

#include <algorithm>
#include <vector>

#include "model/block_parts.hpp"
#include "model/ops.hpp"
#include "util/error.hpp"
#include "util/threads.hpp"

namespace ql::model {

Model Model::open(const std::string& path, gguf::Residence residence) {
    return from_file(gguf::GgufFile::open(path, residence));
}

Model Model::from_file(gguf::GgufFile file) {
    HParams hp = load_hparams(file);
    ModelWeights w = bind_weights(file, hp);
    return Model(std::move(file), std::move(hp), std::move(w));
}

namespace {

// x [n_tokens, n_embd] = rows of the token embedding.
void embed(const Model& model, std::span<const int32_t> tokens, float* x) {
    const HParams& hp = model.hparams();
    const ModelWeights& w = model.weights();
    for (size_t t = 0; t < tokens.size(); ++t) {
        const int32_t id = tokens[t];
        if (id < 0 || id >= hp.n_vocab)
            fail("token id {} is outside the vocabulary (0..{})", id, hp.n_vocab - 1);
        const uint8_t* row = w.token_embd.data + static_cast<uint64_t>(id) * w.token_embd_row_bytes;
        quant::dequantize(w.token_embd.type, row, x + t * hp.n_embd, hp.n_embd);
    }
}

// y [n_tokens, n_embd] = rms_norm of every row of x (rows split across threads).
void norm_rows(const BatchContext& ctx, const float* x, const VectorView& weight, float* y,
               int64_t n_tokens) {
    const HParams& hp = ctx.hp;
    parallel_for(n_tokens, ctx.options.n_threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
            rms_norm(x + t * hp.n_embd, weight.data, y + t * hp.n_embd, hp.n_embd, hp.rms_eps);
    });
}

void add_into(float* residual, const float* delta, int64_t n) {
    for (int64_t i = 0; i < n; ++i) residual[i] += delta[i];
}

}  // namespace

void forward(const Model& model, KvCache& cache, std::span<const int32_t> tokens, float* logits,
             const ForwardOptions& options) {
    const HParams& hp = model.hparams();
    const ModelWeights& w = model.weights();
    const auto n = static_cast<int64_t>(tokens.size());
    if (n == 0) return;
    if (cache.n_past() + n > cache.n_ctx())
        fail("{} tokens do not fit in the context: {} of {} positions are used", n, cache.n_past(),
             cache.n_ctx());
    std::vector<float> rope_table(static_cast<size_t>(n * hp.n_rot));  // [n_tokens, n_rot / 2, 2]
    for (int64_t t = 0; t < n; ++t)
        rope_cos_sin(cache.n_past() + t, hp, w.rope_freqs ? w.rope_freqs.data : nullptr,
                     &rope_table[static_cast<size_t>(t * hp.n_rot)]);
    const BatchContext ctx{hp, options, n, cache.n_past(), w.rope_freqs, rope_table.data()};
    const auto size = static_cast<size_t>(n * hp.n_embd);
    std::vector<float> residual(size);  // [n_tokens, n_embd] the residual stream
    std::vector<float> normed(size);    // [n_tokens, n_embd]
    std::vector<float> delta(size);     // [n_tokens, n_embd] a sub-layer's output
    embed(model, tokens, residual.data());

    for (int64_t layer = 0; layer < hp.n_layer; ++layer) {
        const BlockWeights& b = w.blocks[layer];
        norm_rows(ctx, residual.data(), b.attn_norm, normed.data(), n);
        attention(ctx, b, cache, layer, normed.data(), delta.data());
        add_into(residual.data(), delta.data(), n * hp.n_embd);

        norm_rows(ctx, residual.data(), b.ffn_norm, normed.data(), n);
        if (b.moe)
            expert_feed_forward(ctx, b.experts, normed.data(), delta.data());
        else
            feed_forward(ctx, b.dense, normed.data(), delta.data(), n);
        add_into(residual.data(), delta.data(), n * hp.n_embd);
    }
    cache.advance(n);

    // Only the rows whose logits are wanted go through the output projection.
    const int64_t first = options.last_logits_only ? n - 1 : 0;
    const float* rows = residual.data() + first * hp.n_embd;  // [n - first, n_embd]
    norm_rows(ctx, rows, w.output_norm, normed.data(), n - first);
    project(ctx, w.output, normed.data(), logits, n - first);  // [n - first, n_vocab]
}

void prefill(const Model& model, KvCache& cache, std::span<const int32_t> tokens,
             float* last_logits, ForwardOptions options, int64_t n_batch) {
    if (n_batch <= 0) fail("prefill: batch size must be positive (got {})", n_batch);
    options.last_logits_only = true;
    for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(n_batch)) {
        const size_t count = std::min(tokens.size() - start, static_cast<size_t>(n_batch));
        forward(model, cache, tokens.subspan(start, count), last_logits, options);
    }
}

}  // namespace ql::model
