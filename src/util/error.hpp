// Errors: one exception type carrying a one-line message for the user, and an
// exit status (1 = bad usage/environment, 2 = bad input data).
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace ql {

class Error : public std::runtime_error {
  public:
    explicit Error(std::string message, int exit_status = 1)
        : std::runtime_error(std::move(message)), exit_status_(exit_status) {}
    int exit_status() const { return exit_status_; }

  private:
    int exit_status_;
};

// Bad input data (a file, a tensor): exit status 2.
class InputError : public Error {
  public:
    explicit InputError(std::string message) : Error(std::move(message), 2) {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
    throw Error(fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void fail_input(fmt::format_string<Args...> f, Args&&... args) {
    throw InputError(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ql
