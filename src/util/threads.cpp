#include "util/threads.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define QL_CPU_RELAX() _mm_pause()
#else
#define QL_CPU_RELAX() std::this_thread::yield()
#endif

namespace ql {

namespace {

// Set on pool workers for good and on a caller while its job runs: a
// parallel_for from there runs inline (no nested jobs, no self-deadlock).
thread_local bool in_parallel_region = false;

// Workers that stay alive between parallel_for calls: a call publishes a job
// and bumps the generation; every worker runs its chunk (if the job has one
// for it) and acknowledges, so the next job is published only when all have
// seen this one. Workers spin briefly between jobs (calls come back to back
// in a forward pass), then sleep on a condition variable.
class WorkerPool {
  public:
    static WorkerPool& instance() {
        static WorkerPool pool;
        return pool;
    }

    // A forked child has none of the parent's workers.
    bool usable() const { return getpid() == owner_; }

    // Runs fn over [0, n) in `parts` contiguous chunks; chunk 0 on the caller.
    void run(int64_t n, int64_t parts, const std::function<void(int64_t, int64_t)>& fn) {
        std::lock_guard<std::mutex> one_job_at_a_time(run_mutex_);
        ensure_workers(parts - 1);
        errors_.assign(static_cast<size_t>(parts), nullptr);
        job_ = {&fn, n, parts};
        pending_.store(static_cast<int64_t>(threads_.size()), std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(sleep_mutex_);
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        in_parallel_region = true;
        run_chunk(0);
        in_parallel_region = false;
        wait_for_workers();
        for (auto& e : errors_)
            if (e) std::rethrow_exception(e);
    }

    ~WorkerPool() {
        {
            std::lock_guard<std::mutex> lock(sleep_mutex_);
            stopping_ = true;
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
    }

  private:
    struct Job {
        const std::function<void(int64_t, int64_t)>* fn = nullptr;
        int64_t n = 0;
        int64_t parts = 0;
    };

    void ensure_workers(int64_t wanted) {
        while (static_cast<int64_t>(threads_.size()) < wanted) {
            const int64_t index = static_cast<int64_t>(threads_.size()) + 1;  // chunk it runs
            // The generation before the job about to be published: a new
            // worker must not take that job for one it has already seen.
            const uint64_t seen = generation_.load(std::memory_order_acquire);
            threads_.emplace_back([this, index, seen] { work(index, seen); });
        }
    }

    void run_chunk(int64_t i) {
        const int64_t begin = job_.n * i / job_.parts, end = job_.n * (i + 1) / job_.parts;
        try {
            (*job_.fn)(begin, end);
        } catch (...) {
            errors_[static_cast<size_t>(i)] = std::current_exception();
        }
    }

    // The caller waits for the workers: spinning while a chunk is likely to
    // end soon, then yielding the core (a worker may need it).
    void wait_for_workers() {
        for (int i = 1; pending_.load(std::memory_order_acquire) > 0; ++i) {
            if (i < kCallerSpins)
                QL_CPU_RELAX();
            else
                std::this_thread::yield();
        }
    }

    // Waits for a generation newer than `seen`: spinning for up to kSpin,
    // then asleep.
    uint64_t wait_for_job(uint64_t seen) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 1;; ++i) {
            const uint64_t g = generation_.load(std::memory_order_acquire);
            if (g != seen) return g;
            QL_CPU_RELAX();
            if (i % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin) break;
        }
        std::unique_lock<std::mutex> lock(sleep_mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        return generation_.load(std::memory_order_acquire);
    }

    void work(int64_t index, uint64_t seen) {
        in_parallel_region = true;
        for (;;) {
            seen = wait_for_job(seen);
            if (stopping_) return;
            if (index < job_.parts) run_chunk(index);
            pending_.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    static constexpr std::chrono::microseconds kSpin{200};
    static constexpr int kCallerSpins = 2000;  // pause instructions before yielding

    std::mutex run_mutex_;
    std::mutex sleep_mutex_;
    std::condition_variable wake_;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int64_t> pending_{0};
    bool stopping_ = false;
    Job job_;
    std::vector<std::exception_ptr> errors_;
    std::vector<std::thread> threads_;
    const pid_t owner_ = getpid();
};

}  // namespace

int default_thread_count() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

void parallel_for(int64_t n, int n_threads, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    const int64_t t = std::clamp<int64_t>(n_threads, 1, n);
    // One chunk, or a nested call: run it here, the same partition in sequence.
    if (t == 1 || in_parallel_region || !WorkerPool::instance().usable()) {
        for (int64_t i = 0; i < t; ++i) fn(n * i / t, n * (i + 1) / t);
        return;
    }
    WorkerPool::instance().run(n, t, fn);
}

void parallel_for_dynamic(int64_t n, int n_threads, int64_t grain,
                          const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(grain, 1);
    const int64_t n_chunks = (n + grain - 1) / grain;
    std::atomic<int64_t> next{0};
    parallel_for(std::min<int64_t>(n_threads, n_chunks), n_threads, [&](int64_t, int64_t) {
        for (int64_t c = next.fetch_add(1); c < n_chunks; c = next.fetch_add(1))
            fn(c * grain, std::min(n, (c + 1) * grain));
    });
}

}  // namespace ql
