#include "cli/atomic_output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace ql::cli {

AtomicOutputFile::AtomicOutputFile(std::string path)
    : path_(std::move(path)), temp_path_(fmt::format("{}.tmp.{}", path_, ::getpid())) {
    file_ = std::fopen(temp_path_.c_str(), "wb");
    if (!file_) fail("{}: cannot create: {}", path_, std::strerror(errno));
}

AtomicOutputFile::~AtomicOutputFile() {
    if (file_) std::fclose(file_);
    if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicOutputFile::write(const void* data, size_t n_bytes) {
    if (std::fwrite(data, 1, n_bytes, file_) != n_bytes)
        fail("{}: write failed: {}", path_, std::strerror(errno));
}

void AtomicOutputFile::commit() {
    const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!flushed || !closed) fail("{}: write failed: {}", path_, std::strerror(errno));
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0)
        fail("{}: cannot rename {} to it: {}", path_, temp_path_, std::strerror(errno));
    committed_ = true;
}

}  // namespace ql::cli
