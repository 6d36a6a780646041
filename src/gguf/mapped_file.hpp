// A view of one file's bytes: an mmap of a file on disk, a private copy of
// it in anonymous memory, or a borrowed buffer (for parsing images held in
// memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gguf/gguf.hpp"

namespace ql::gguf {

class MappedFile {
  public:
    // Maps `path` read-only. Throws ql::InputError("<path>: <problem>").
    // An empty file gives an empty view (nothing is mapped).
    static std::unique_ptr<MappedFile> open(const std::string& path,
                                            Residence residence = Residence::Mapped);
    // Wraps memory the caller owns; it must outlive the view.
    static std::unique_ptr<MappedFile> borrow(const uint8_t* data, size_t size, std::string name);

    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }
    Residence residence() const { return residence_; }
    // Writable bytes of a Loaded file (nullptr otherwise).
    uint8_t* mutable_data() { return residence_ == Residence::Loaded ? owned_ : nullptr; }

  private:
    MappedFile() = default;
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    bool owns_mapping_ = false;
    size_t mapping_bytes_ = 0;  // length passed to mmap (Loaded: rounded up to 2 MiB)
    uint8_t* owned_ = nullptr;  // the anonymous copy of a Loaded file
    Residence residence_ = Residence::Mapped;
};

}  // namespace ql::gguf
