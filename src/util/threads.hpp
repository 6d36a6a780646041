// A minimal fork-join helper: run fn(begin, end) over [0, n) split into
// contiguous chunks, one per thread. Deterministic partition for a given
// (n, n_threads).
#pragma once

#include <cstdint>
#include <functional>

namespace ql {

int default_thread_count();

void parallel_for(int64_t n, int n_threads, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace ql
