// llama.cpp's tokenizer test format, read by every tokenizer golden test: a
// .inp file of cases separated by "\n__ggml_vocab_test__\n" and a .out file
// with one line of token ids per case.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ql::test {

inline std::vector<std::string> read_vocab_cases(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> cases;
    for (size_t pos = 0, hit; (hit = text.find(sep, pos)) != std::string::npos;
         pos = hit + sep.size())
        cases.push_back(text.substr(pos, hit - pos));
    return cases;
}

inline std::vector<std::vector<int32_t>> read_vocab_ids(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::vector<int32_t>> out;
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::vector<int32_t> ids;
        for (int32_t id; ls >> id;) ids.push_back(id);
        out.push_back(ids);
    }
    return out;
}

}  // namespace ql::test
