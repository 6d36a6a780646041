// The whole of a text file given on the command line, verbatim; throws
// ql::Error (exit 1) naming the file when it cannot be opened or read.
#pragma once

#include <string>

namespace ql::cli {

std::string read_text_file(const std::string& path);

}  // namespace ql::cli
