// A scratch directory that belongs to the whole test process: made on first
// use (under the system temp directory, named for the process), removed with
// everything in it when the process exits. For files that several tests of
// one binary share, such as a generated model.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace ql::test {

inline const std::filesystem::path& process_scratch_dir() {
    struct Dir {
        std::filesystem::path path;
        ~Dir() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static const Dir dir = [] {
        auto p = std::filesystem::temp_directory_path() /
                 ("ql_test_process_" + std::to_string(::getpid()));
        std::filesystem::create_directories(p);
        return Dir{p};
    }();
    return dir.path;
}

}  // namespace ql::test
