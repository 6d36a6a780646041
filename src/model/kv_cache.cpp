#include "model/kv_cache.hpp"

#include "util/error.hpp"

namespace ql::model {

KvCache::KvCache(const HParams& hp, int64_t n_ctx) : n_ctx_(n_ctx), kv_width_(hp.kv_width()) {
    if (n_ctx <= 0) fail("the context size must be positive (got {})", n_ctx);
    const auto n = static_cast<size_t>(hp.n_layer * n_ctx * kv_width_);
    keys_.assign(n, 0.0f);
    values_.assign(n, 0.0f);
}

void KvCache::advance(int64_t n) {
    if (n < 0 || n_past_ + n > n_ctx_)
        fail("the KV cache holds {} positions; {} more do not fit", n_ctx_, n);
    n_past_ += n;
}

}  // namespace ql::model
