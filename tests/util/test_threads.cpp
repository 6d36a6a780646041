// The persistent worker pool behind parallel_for: every index exactly once,
// the same partition for a given thread count, nested calls, exceptions from
// any chunk, many back-to-back jobs and changing thread counts.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "util/threads.hpp"

namespace {

using ql::parallel_for;

TEST(WorkerPool, EveryIndexOnceForManyJobsAndThreadCounts) {
    for (int round = 0; round < 500; ++round) {
        const int threads = 1 + round % 5;
        const int64_t n = 1 + round % 37;
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        parallel_for(n, threads, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
        });
        for (int64_t i = 0; i < n; ++i)
            ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "round " << round << " i " << i;
    }
}

TEST(WorkerPool, ChunksAreTheDocumentedPartition) {
    std::mutex m;
    std::map<int64_t, int64_t> chunks;  // begin -> end
    parallel_for(10, 3, [&](int64_t b, int64_t e) {
        std::lock_guard<std::mutex> lock(m);
        chunks[b] = e;
    });
    EXPECT_EQ(chunks, (std::map<int64_t, int64_t>{{0, 3}, {3, 6}, {6, 10}}));
}

TEST(WorkerPool, NestedCallsRunInline) {
    std::atomic<int64_t> total{0};
    parallel_for(4, 4, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            parallel_for(10, 4, [&](int64_t bb, int64_t ee) { total += ee - bb; });
    });
    EXPECT_EQ(total.load(), 40);
}

TEST(WorkerPool, AnExceptionInAnyChunkReachesTheCaller) {
    for (int64_t bad = 0; bad < 4; ++bad) {
        EXPECT_THROW(parallel_for(4, 4,
                                  [&](int64_t b, int64_t) {
                                      if (b == bad) throw std::runtime_error("chunk failed");
                                  }),
                     std::runtime_error);
    }
    // The pool still works afterwards.
    std::atomic<int64_t> total{0};
    parallel_for(100, 4, [&](int64_t b, int64_t e) { total += e - b; });
    EXPECT_EQ(total.load(), 100);
}

}  // namespace

namespace ql {
namespace {

// Every index is visited exactly once, in chunks of the grain, for any
// thread count; nested calls run inline.
TEST(ParallelForDynamic, CoversEveryIndexOnceInGrainChunks) {
    for (int threads : {1, 2, 5})
        for (int64_t n : {1, 7, 64, 1000}) {
            std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
            std::atomic<int> bad_chunks{0};
            parallel_for_dynamic(n, threads, 16, [&](int64_t begin, int64_t end) {
                if (begin % 16 != 0 || (end - begin != 16 && end != n)) ++bad_chunks;
                for (int64_t i = begin; i < end; ++i) ++seen[static_cast<size_t>(i)];
            });
            EXPECT_EQ(bad_chunks.load(), 0);
            for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)].load(), 1) << i;
        }
}

TEST(ParallelForDynamic, NestedInsideParallelFor) {
    std::atomic<int64_t> total{0};
    parallel_for(4, 2, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            parallel_for_dynamic(100, 2, 7, [&](int64_t lo, int64_t hi) { total += hi - lo; });
    });
    EXPECT_EQ(total.load(), 400);
}

}  // namespace
}  // namespace ql
