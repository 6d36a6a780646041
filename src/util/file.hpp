// Whole-file reading for text and summaries: the bytes of a file, or nothing
// when it cannot be opened or read, with errno saying why. Each caller words
// its own error (what the file was for, what to run to make it).
#pragma once

#include <optional>
#include <string>

namespace ql {

std::optional<std::string> read_file(const std::string& path);

}  // namespace ql
