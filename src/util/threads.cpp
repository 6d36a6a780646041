#include "util/threads.hpp"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace ql {

int default_thread_count() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

void parallel_for(int64_t n, int n_threads, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    int64_t t = std::clamp<int64_t>(n_threads, 1, n);
    if (t == 1) {
        fn(0, n);
        return;
    }
    std::vector<std::thread> workers;
    std::vector<std::exception_ptr> errors(t);
    for (int64_t i = 0; i < t; ++i) {
        int64_t begin = n * i / t, end = n * (i + 1) / t;
        workers.emplace_back([&, i, begin, end] {
            try {
                fn(begin, end);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        });
    }
    for (auto& w : workers) w.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace ql
