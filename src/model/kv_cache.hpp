// Keys and values of every processed position, per block, in F32.
#pragma once

#include <cstdint>
#include <vector>

#include "model/hparams.hpp"

namespace ql::model {

class KvCache {
  public:
    // Room for n_ctx positions; throws ql::Error if n_ctx is not positive.
    KvCache(const HParams& hp, int64_t n_ctx);

    int64_t n_ctx() const { return n_ctx_; }
    int64_t n_past() const { return n_past_; }  // positions already stored
    int64_t kv_width() const { return kv_width_; }

    // Row of position `pos` in block `layer`: [kv_width] (heads one after another).
    float* key(int64_t layer, int64_t pos) { return &keys_[offset(layer, pos)]; }
    float* value(int64_t layer, int64_t pos) { return &values_[offset(layer, pos)]; }
    const float* key(int64_t layer, int64_t pos) const { return &keys_[offset(layer, pos)]; }
    const float* value(int64_t layer, int64_t pos) const { return &values_[offset(layer, pos)]; }

    // Marks n more positions as stored (after every block wrote them).
    void advance(int64_t n);
    void clear() { n_past_ = 0; }
    uint64_t bytes() const { return 2 * keys_.size() * sizeof(float); }

  private:
    size_t offset(int64_t layer, int64_t pos) const {
        return static_cast<size_t>((layer * n_ctx_ + pos) * kv_width_);
    }
    int64_t n_ctx_ = 0;
    int64_t kv_width_ = 0;
    int64_t n_past_ = 0;
    std::vector<float> keys_;    // [n_layer, n_ctx, kv_width]
    std::vector<float> values_;  // [n_layer, n_ctx, kv_width]
};

}  // namespace ql::model
