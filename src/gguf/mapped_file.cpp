// Read-only memory mapping of model files.
#include "gguf/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

}  // namespace

std::unique_ptr<MappedFile> MappedFile::open(const std::string& path) {
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
    void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) fail_input("{}: cannot map: {}", path, std::strerror(errno));
    f->data_ = static_cast<const uint8_t*>(p);
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
    if (owns_mapping_ && data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace ql::gguf
