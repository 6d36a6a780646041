#include "util/file.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>

namespace ql {

std::optional<std::string> read_file(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) return std::nullopt;
    std::string bytes;
    char chunk[1 << 16];
    size_t n;
    errno = 0;  // so that a read error without an errno of its own is not reported as a stale one
    while ((n = std::fread(chunk, 1, sizeof chunk, f.get())) > 0) bytes.append(chunk, n);
    if (std::ferror(f.get())) {
        if (errno == 0) errno = EIO;
        return std::nullopt;
    }
    return bytes;
}

}  // namespace ql
