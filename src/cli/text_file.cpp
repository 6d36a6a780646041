#include "cli/text_file.hpp"

#include <cerrno>
#include <cstring>
#include <optional>

#include "util/error.hpp"
#include "util/file.hpp"

namespace ql::cli {

std::string read_text_file(const std::string& path) {
    std::optional<std::string> text = read_file(path);
    if (!text) fail("{}: cannot read the text file: {}", path, std::strerror(errno));
    return std::move(*text);
}

}  // namespace ql::cli
