#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "util/checked.hpp"
#include "util/cpu.hpp"
#include "util/error.hpp"
#include "util/threads.hpp"

using namespace ql;

TEST(Checked, AddAndMulDetectOverflow) {
    EXPECT_EQ(checked_add(1, 2), 3u);
    EXPECT_FALSE(checked_add(UINT64_MAX, 1));
    EXPECT_EQ(checked_mul(1u << 20, 1u << 20), uint64_t{1} << 40);
    EXPECT_FALSE(checked_mul(uint64_t{1} << 32, uint64_t{1} << 32));
    EXPECT_EQ(checked_align(33, 32), 64u);
    EXPECT_EQ(checked_align(64, 32), 64u);
    EXPECT_FALSE(checked_align(UINT64_MAX - 3, 32));
}

TEST(Threads, ParallelForCoversEveryIndexOnce) {
    for (int threads : {1, 2, 3, 7}) {
        std::vector<std::atomic<int>> hits(101);
        parallel_for(101, threads, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) hits[i]++;
        });
        for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
}

TEST(Threads, ExceptionsPropagate) {
    EXPECT_THROW(parallel_for(10, 2,
                              [](int64_t b, int64_t) {
                                  if (b > 0) fail("boom");
                              }),
                 Error);
}

TEST(Errors, InputErrorsExitWithTwo) {
    try {
        fail_input("{}: bad {}", "f.gguf", 3);
    } catch (const Error& e) {
        EXPECT_EQ(e.exit_status(), 2);
        EXPECT_STREQ(e.what(), "f.gguf: bad 3");
    }
}

TEST(Cpu, DetectionIsConsistent) {
    const auto& f = cpu_features();
    if (f.avx512_kernels()) {
        EXPECT_TRUE(f.avx2_kernels());
    }
    EXPECT_FALSE(f.describe().empty());
}
