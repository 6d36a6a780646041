#include "cli/text_file.hpp"

#include <fstream>
#include <sstream>

#include "util/error.hpp"

namespace ql::cli {

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("{}: cannot open the text file", path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) fail("{}: cannot read the text file", path);
    return ss.str();
}

}  // namespace ql::cli
