// A minimal fork-join helper: run fn(begin, end) over [0, n) split into
// contiguous chunks, one per thread. Deterministic partition for a given
// (n, n_threads).
#pragma once

#include <cstdint>
#include <functional>

namespace ql {

int default_thread_count();

void parallel_for(int64_t n, int n_threads, const std::function<void(int64_t, int64_t)>& fn);

// fn(begin, end) over [0, n) in chunks of `grain` (the last may be shorter)
// handed out first come, first served: a thread slowed by something else on
// its core takes fewer chunks instead of holding everyone up. Which thread
// runs a chunk varies; the chunks themselves do not (fixed by n and grain).
void parallel_for_dynamic(int64_t n, int n_threads, int64_t grain,
                          const std::function<void(int64_t, int64_t)>& fn);

}  // namespace ql
