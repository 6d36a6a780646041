// An output file that appears under its final name only when complete:
// bytes go to "<path>.tmp.<pid>", commit() flushes and renames, and
// destruction without commit() removes the temporary file.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace ql::cli {

class AtomicOutputFile {
  public:
    explicit AtomicOutputFile(std::string path);  // throws ql::Error if it cannot be created
    ~AtomicOutputFile();
    AtomicOutputFile(const AtomicOutputFile&) = delete;
    AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

    void write(const void* data, size_t n_bytes);
    void commit();

  private:
    std::string path_, temp_path_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
};

}  // namespace ql::cli
