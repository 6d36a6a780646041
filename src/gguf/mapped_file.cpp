// Model files mapped read-only, or loaded into anonymous memory.
#include "gguf/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace ql::gguf {

namespace {

// Closes a descriptor when leaving scope.
struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

constexpr size_t kHugePage = size_t{2} << 20;

// Reads size bytes of fd into dst in chunks; throws if the file ends early.
void read_all(int fd, const std::string& path, uint8_t* dst, size_t size) {
    constexpr size_t kChunk = size_t{64} << 20;
    size_t done = 0;
    while (done < size) {
        const ssize_t got =
            ::pread(fd, dst + done, std::min(kChunk, size - done), static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) fail_input("{}: cannot read: {}", path, std::strerror(errno));
        if (got == 0) fail_input("{}: the file shrank while being read", path);
        done += static_cast<size_t>(got);
    }
}

}  // namespace

std::unique_ptr<MappedFile> MappedFile::open(const std::string& path, Residence residence) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_input("{}: cannot open: {}", path, std::strerror(errno));
    FdCloser closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail_input("{}: cannot stat: {}", path, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail_input("{}: not a regular file", path);

    std::unique_ptr<MappedFile> f(new MappedFile());
    f->path_ = path;
    f->size_ = static_cast<size_t>(st.st_size);
    if (f->size_ == 0) return f;
    if (residence == Residence::Loaded) {
        const size_t bytes = (f->size_ + kHugePage - 1) / kHugePage * kHugePage;
        void* p =
            ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            fail_input("{}: cannot allocate {} bytes to load it: {}", path, bytes,
                       std::strerror(errno));
        f->owned_ = static_cast<uint8_t*>(p);
        f->data_ = f->owned_;
        f->mapping_bytes_ = bytes;
        f->owns_mapping_ = true;
        f->residence_ = Residence::Loaded;
        ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: fine if THP is off
        read_all(fd, path, f->owned_, f->size_);
        return f;
    }
    void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) fail_input("{}: cannot map: {}", path, std::strerror(errno));
    f->data_ = static_cast<const uint8_t*>(p);
    f->mapping_bytes_ = f->size_;
    f->owns_mapping_ = true;
    return f;
}

std::unique_ptr<MappedFile> MappedFile::borrow(const uint8_t* data, size_t size, std::string name) {
    std::unique_ptr<MappedFile> f(new MappedFile());
    f->path_ = std::move(name);
    f->data_ = data;
    f->size_ = data ? size : 0;
    return f;
}

MappedFile::~MappedFile() {
    if (owns_mapping_ && data_) ::munmap(const_cast<uint8_t*>(data_), mapping_bytes_);
}

}  // namespace ql::gguf
