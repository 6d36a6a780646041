#include "train/corpus_clean.hpp"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace ql::train {

namespace {

// --- Brown ------------------------------------------------------------------

std::string_view strip_tag(std::string_view token) {
    const size_t slash = token.rfind('/');
    return slash == std::string_view::npos || slash == 0 ? token : token.substr(0, slash);
}

bool attaches_to_previous(std::string_view w) {
    static const std::string_view kClosers[] = {",", ".", ";", ":",  "!", "?",
                                                ")", "]", "}", "''", "'"};
    return std::find(std::begin(kClosers), std::end(kClosers), w) != std::end(kClosers);
}

bool attaches_to_next(std::string_view w) {
    return w == "``" || w == "`" || w == "(" || w == "[";
}

// Brown writes quotes as `` '' (double) and ` ' (single).
std::string_view plain_quote(std::string_view w) {
    if (w == "``" || w == "''") return "\"";
    if (w == "`") return "'";
    return w;
}

// Appends the tokens of one tagged sentence to a paragraph.
void append_sentence(std::string& para, std::string_view line, bool& glue_next) {
    size_t at = 0;
    while (at < line.size()) {
        const size_t start = line.find_first_not_of(" \t\r", at);
        if (start == std::string_view::npos) break;
        const size_t end = std::min(line.find_first_of(" \t\r", start), line.size());
        at = end;
        const std::string_view word = strip_tag(line.substr(start, end - start));
        if (word.empty()) continue;
        // "Jr./np ./." : the abbreviation's period ends the sentence too.
        if (word == "." && !para.empty() && para.back() == '.') continue;
        if (!para.empty() && !glue_next && !attaches_to_previous(word)) para.push_back(' ');
        para.append(plain_quote(word));
        glue_next = attaches_to_next(word);
    }
}

// --- UTF-8 ------------------------------------------------------------------

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_sequence_length(std::string_view s, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80) return 1;
    size_t n = 0;
    uint32_t min = 0, cp = 0;
    if ((b0 & 0xE0) == 0xC0) {
        n = 2, min = 0x80, cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        n = 3, min = 0x800, cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, cp = b0 & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

// --- globs ------------------------------------------------------------------

// Matches a [...] class at the start of `p` against c; sets `used` to the
// class's length, 0 if `p` holds no complete class (then '[' is literal).
bool match_class(std::string_view p, char c, size_t& used) {
    size_t i = 1;
    const bool negate = i < p.size() && (p[i] == '!' || p[i] == '^');
    if (negate) ++i;
    bool hit = false;
    for (bool first = true; i < p.size() && (first || p[i] != ']'); first = false) {
        if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
            hit = hit || (c >= p[i] && c <= p[i + 2]);
            i += 3;
        } else {
            hit = hit || c == p[i];
            ++i;
        }
    }
    if (i >= p.size()) {
        used = 0;
        return false;
    }
    used = i + 1;
    return hit != negate;
}

bool glob_from(std::string_view p, std::string_view s) {
    while (!p.empty()) {
        if (p.substr(0, 3) == "**/") {
            const std::string_view rest = p.substr(3);
            if (glob_from(rest, s)) return true;
            for (size_t i = 0; i < s.size(); ++i)
                if (s[i] == '/' && glob_from(rest, s.substr(i + 1))) return true;
            return false;
        }
        if (p == "**") return true;
        if (p[0] == '*') {
            const std::string_view rest = p.substr(1);
            for (size_t i = 0; i <= s.size(); ++i) {
                if (glob_from(rest, s.substr(i))) return true;
                if (i < s.size() && s[i] == '/') break;
            }
            return false;
        }
        if (s.empty()) return false;
        size_t used = 1;
        if (p[0] == '?') {
            if (s[0] == '/') return false;
        } else if (p[0] == '[') {
            size_t class_length = 0;
            const bool hit = match_class(p, s[0], class_length);
            if (class_length > 0 ? !hit : s[0] != '[') return false;
            used = std::max<size_t>(class_length, 1);
        } else if (p[0] != s[0]) {
            return false;
        }
        p.remove_prefix(used);
        s.remove_prefix(1);
    }
    return s.empty();
}

std::string_view base_name(std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_source_map_comment(std::string_view line) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) return false;
    line.remove_prefix(start);
    return line.substr(0, 21) == "//# sourceMappingURL=" ||
           line.substr(0, 21) == "/*# sourceMappingURL=";
}

}  // namespace

std::string clean_brown(std::string_view tagged) {
    std::vector<std::string> paragraphs;
    std::string para;
    bool glue_next = false;
    auto flush = [&] {
        if (!para.empty()) paragraphs.push_back(std::move(para));
        para.clear();
        glue_next = false;
    };
    size_t at = 0;
    while (at < tagged.size()) {
        const size_t end = std::min(tagged.find('\n', at), tagged.size());
        const std::string_view line = tagged.substr(at, end - at);
        at = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
            flush();
            continue;
        }
        if (line[0] == '\t') flush();  // an indented line opens a paragraph
        append_sentence(para, line, glue_next);
    }
    flush();
    std::string out;
    for (const auto& p : paragraphs) {
        if (!out.empty()) out.push_back('\n');
        out.append(p).push_back('\n');
    }
    return out;
}

std::string clean_sentence_json(std::string_view json, std::string_view name) {
    const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_array()) fail_input("{}: not a JSON array of sentences", name);
    std::string out;
    for (const auto& s : doc) {
        if (!s.is_string()) fail_input("{}: not a JSON array of sentences", name);
        std::string sentence = s.get<std::string>();
        std::replace(sentence.begin(), sentence.end(), '\n', ' ');
        const size_t first = sentence.find_first_not_of(" \t\r");
        if (first == std::string::npos) continue;
        const size_t last = sentence.find_last_not_of(" \t\r");
        out.append(sentence, first, last - first + 1).push_back('\n');
    }
    return out;
}

std::string clean_code(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::string out;
    out.reserve(text.size() + 1);
    size_t at = 0;
    while (at < text.size()) {
        size_t end = std::min(text.find('\n', at), text.size());
        std::string_view line = text.substr(at, end - at);
        at = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (is_source_map_comment(line)) continue;
        out.append(line).push_back('\n');
    }
    while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n')
        out.pop_back();
    if (out == "\n") out.clear();
    return out;
}

std::string code_skip_reason(std::string_view path, std::string_view text) {
    const std::string_view name = base_name(path);
    if (name.find(".min.") != std::string_view::npos ||
        name.find("-min.") != std::string_view::npos)
        return "minified name";
    if (name.size() > 4 && name.substr(name.size() - 4) == ".map") return "source map";
    size_t lines = 0, longest = 0, at = 0;
    while (at < text.size()) {
        const size_t end = std::min(text.find('\n', at), text.size());
        longest = std::max(longest, end - at);
        ++lines;
        at = end + 1;
    }
    const bool long_lines =
        text.size() >= 2048 && (text.size() / std::max<size_t>(lines, 1) > 250 || longest > 10000);
    return long_lines ? "minified content (very long lines)" : "";
}

bool glob_match(std::string_view pattern, std::string_view path) {
    return glob_from(pattern, path);
}

bool is_valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const size_t n = utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

}  // namespace ql::train
