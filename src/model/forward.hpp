// The forward pass: a model opened from GGUF (weights loaded or mapped) and the
// logits of a batch of tokens, with a KV cache carrying earlier positions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "gguf/gguf.hpp"
#include "kernels/matmul.hpp"
#include "model/hparams.hpp"
#include "model/kv_cache.hpp"
#include "model/weights.hpp"

namespace ql::model {

struct ForwardOptions {
    // Quantized: activations rounded as ggml does (its results); Float: f32
    // activations against dequantized weights (higher precision).
    kernels::ActivationMode activations = kernels::ActivationMode::Quantized;
    int n_threads = 1;
    // Write the logits of the batch's last token only ([n_vocab]) instead of
    // every token's ([n_tokens, n_vocab]): what generation needs.
    bool last_logits_only = false;
};

class Model {
  public:
    // Opens and checks the file: hyper-parameters, every tensor's shape.
    // Throws ql::InputError naming the file and the problem.
    // Loaded (the default) reads the weights into huge-page-backed anonymous
    // memory; Mapped leaves them in the mmapped file.
    static Model open(const std::string& path, gguf::Residence residence = gguf::Residence::Loaded);
    static Model from_file(gguf::GgufFile file);

    const HParams& hparams() const { return hp_; }
    const ModelWeights& weights() const { return weights_; }
    const gguf::GgufFile& file() const { return file_; }

  private:
    Model(gguf::GgufFile file, HParams hp, ModelWeights w)
        : file_(std::move(file)), hp_(std::move(hp)), weights_(std::move(w)) {}
    gguf::GgufFile file_;
    HParams hp_;
    ModelWeights weights_;
};

// Runs `tokens` at positions cache.n_past() ... and writes their logits
// [n_tokens, n_vocab]; the cache then holds them too. Throws ql::Error for a
// token id out of range or when the batch does not fit in the cache.
void forward(const Model& model, KvCache& cache, std::span<const int32_t> tokens, float* logits,
             const ForwardOptions& options);

// Runs a prompt in batches of at most n_batch tokens (bounded activation
// memory for long prompts) and writes the logits of its last token [n_vocab].
void prefill(const Model& model, KvCache& cache, std::span<const int32_t> tokens,
             float* last_logits, ForwardOptions options, int64_t n_batch = 512);

}  // namespace ql::model
