// clean_roff: man pages (man and mdoc macros, tbl tables) to plain text.
// Not a roff interpreter: requests that carry text keep it, layout requests
// become paragraph and line breaks, everything else (definitions,
// conditionals, registers) is dropped.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "train/corpus_clean.hpp"

namespace ql::train {

namespace {

struct NamedChar {
    std::string_view name, text;
};

// groff_char(7) names that occur in man pages, and the strings (\*(xx) of
// the man and pod2man macro packages.
constexpr NamedChar kChars[] = {
    {"en", "\u2013"}, {"em", "\u2014"}, {"hy", "-"},      {"bu", "\u2022"},  {"aq", "'"},
    {"dq", "\""},     {"lq", "\u201c"}, {"rq", "\u201d"}, {"oq", "\u2018"},  {"cq", "\u2019"},
    {"Fo", "\u00ab"}, {"Fc", "\u00bb"}, {"fo", "\u2039"}, {"fc", "\u203a"},  {"co", "\u00a9"},
    {"rg", "\u00ae"}, {"tm", "\u2122"}, {"at", "@"},      {"rs", "\\"},      {"sl", "/"},
    {"ha", "^"},      {"ti", "~"},      {"ga", "`"},      {"de", "\u00b0"},  {"mu", "\u00d7"},
    {"di", "\u00f7"}, {"pl", "+"},      {"mi", "-"},      {"eq", "="},       {">=", "\u2265"},
    {"<=", "\u2264"}, {"!=", "\u2260"}, {"->", "\u2192"}, {"<-", "\u2190"},  {"ra", "\u27e9"},
    {"la", "\u27e8"}, {"is", "\u222b"}, {"if", "\u221e"}, {"pd", "\u2202"},  {"*W", "\u03a9"},
    {"*p", "\u03c0"}, {"*b", "\u03b2"}, {"*m", "\u03bc"}, {"*a", "\u03b1"},  {":a", "\u00e4"},
    {":o", "\u00f6"}, {":u", "\u00fc"}, {":A", "\u00c4"}, {":O", "\u00d6"},  {":U", "\u00dc"},
    {"ss", "\u00df"}, {"'e", "\u00e9"}, {"'a", "\u00e1"}, {"`e", "\u00e8"},  {"`a", "\u00e0"},
    {"/O", "\u00d8"}, {"/o", "\u00f8"}, {"mc", "\u00b5"}, {"md", "\u00b7"},  {"sc", "\u00a7"},
    {"ps", "\u00b6"}, {"ct", "\u00a2"}, {"Eu", "\u20ac"}, {"eu", "\u20ac"},  {"char176", "\u00b0"},
    {"Aq", "'"},      {"C`", "'"},      {"C'", "'"},      {"L\"", "\u201c"}, {"R\"", "\u201d"},
    {"Tm", "\u2122"}, {"R", "\u00ae"},  {"char46", "."},  {"char92", "\\"},  {"sh", "#"},
    {"dg", "\u2020"}, {"ba", "|"},      {"br", "|"},      {"lB", "["},       {"rB", "]"},
    {"lC", "{"},      {"rC", "}"},      {"Lq", "\u201e"}, {"Bq", "\u201e"},  {"bq", "\u201a"},
    {"ua", "\u2191"}, {"da", "\u2193"}, {"12", "\u00bd"},
};

void append_code_point(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp <= 0x10FFFF) {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// The text of a special character name ("em", "u00E4", "char176").
void append_named_char(std::string& out, std::string_view name) {
    for (const auto& c : kChars)
        if (c.name == name) return out.append(c.text), void();
    if (name.size() >= 5 && name[0] == 'u') {  // \[u00E4]
        uint32_t cp = 0;
        for (char ch : name.substr(1)) {
            const int digit =
                std::isxdigit(static_cast<unsigned char>(ch))
                    ? (std::isdigit(static_cast<unsigned char>(ch))
                           ? ch - '0'
                           : (std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10))
                    : -1;
            if (digit < 0) return;
            cp = cp * 16 + static_cast<uint32_t>(digit);
        }
        append_code_point(out, cp);
    }
}

// Reads an escape's name argument at s[i]: "(xx", "[name]" or one character.
std::string_view read_name(std::string_view s, size_t& i) {
    if (i >= s.size()) return {};
    if (s[i] == '(') {
        const std::string_view name = s.substr(i + 1, 2);
        i = std::min(i + 3, s.size());
        return name;
    }
    if (s[i] == '[') {
        const size_t close = s.find(']', i);
        const size_t end = close == std::string_view::npos ? s.size() : close;
        const std::string_view name = s.substr(i + 1, end - i - 1);
        i = std::min(end + 1, s.size());
        return name;
    }
    return s.substr(i++, 1);
}

// Reads a delimited argument ('...') at s[i].
std::string_view read_delimited(std::string_view s, size_t& i) {
    if (i >= s.size()) return {};
    const char delim = s[i];
    const size_t close = s.find(delim, i + 1);
    const size_t end = close == std::string_view::npos ? s.size() : close;
    const std::string_view arg = s.substr(i + 1, end - i - 1);
    i = std::min(end + 1, s.size());
    return arg;
}

// Skips the size argument of \s: \s-1, \s+2, \s0, \s12, \s(12, \s[12].
void skip_size(std::string_view s, size_t& i) {
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size()) return;
    if (s[i] == '(' || s[i] == '[') return void(read_name(s, i));
    if (s[i] == '\'') return void(read_delimited(s, i));
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
        const bool two = s[i] >= '1' && s[i] <= '3' && i + 1 < s.size() &&
                         std::isdigit(static_cast<unsigned char>(s[i + 1]));
        i += two ? 2 : 1;
    }
}

// One escape after the backslash at s[i - 1]; returns false at a comment.
bool unescape_one(std::string_view s, size_t& i, std::string& out) {
    const char c = s[i++];
    switch (c) {
        case '"':
        case '#':
            return false;
        case '-':
            out.push_back('-');
            break;
        case 'e':
        case '\\':
            out.push_back('\\');
            break;
        case '.':
            out.push_back('.');
            break;
        case '`':
            out.push_back('`');
            break;
        case '\'':
            out.push_back('\'');
            break;
        case 't':
            out.push_back('\t');
            break;
        case '~':
        case ' ':
        case '0':
            out.push_back(' ');
            break;
        case '(':
        case '[':
            --i, append_named_char(out, read_name(s, i));
            break;
        case 'C':
            append_named_char(out, read_delimited(s, i));
            break;
        case '*':
            append_named_char(out, read_name(s, i));
            break;
        case 'f':
        case 'n':
        case 'g':
        case 'k':
        case 'm':
        case 'M':
        case 'Y':
        case 'V':
        case '$':
        case 'F':
            read_name(s, i);
            break;
        case 's':
            skip_size(s, i);
            break;
        case 'h':
        case 'v':
        case 'w':
        case 'o':
        case 'X':
        case 'D':
        case 'l':
        case 'L':
        case 'b':
        case 'x':
        case 'Z':
        case 'A':
        case 'B':
        case 'R':
        case 'N':
            read_delimited(s, i);
            break;
        default:  // \& \| \^ \% \: \) \c \z \{ \} \d \u \p \r \a ... print nothing
            if (std::isalnum(static_cast<unsigned char>(c)) ||
                std::ispunct(static_cast<unsigned char>(c)))
                break;
            out.push_back(c);
    }
    return true;
}

std::string unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        if (s[i] != '\\') {
            out.push_back(s[i++]);
            continue;
        }
        if (++i >= s.size()) break;
        if (!unescape_one(s, i, out)) break;
    }
    return out;
}

// Request arguments: blank-separated, "double quoted" ones may hold blanks
// ("" inside quotes is one quote). Escapes are resolved afterwards.
std::vector<std::string> split_args(std::string_view s) {
    std::vector<std::string> args;
    size_t i = 0;
    while (true) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        if (i >= s.size() || s.substr(i, 2) == "\\\"") break;
        std::string arg;
        if (s[i] == '"') {
            for (++i; i < s.size(); ++i) {
                if (s[i] == '"' && i + 1 < s.size() && s[i + 1] == '"') {
                    arg.push_back('"');
                    ++i;
                } else if (s[i] == '"') {
                    ++i;
                    break;
                } else {
                    arg.push_back(s[i]);
                }
            }
        } else {
            while (i < s.size() && s[i] != ' ' && s[i] != '\t') arg.push_back(s[i++]);
        }
        args.push_back(unescape(arg));
    }
    return args;
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
    std::string out;
    for (const auto& w : words) {
        if (w.empty()) continue;
        if (!out.empty()) out.append(sep);
        out.append(w);
    }
    return out;
}

int count_of(std::string_view s, std::string_view what) {
    int n = 0;
    for (size_t at = s.find(what); at != std::string_view::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// mdoc: a line's words with the callable macros among them resolved
// (".Op Fl a Ar file" -> "[-a file]").
std::string mdoc_words(const std::string& macro, const std::vector<std::string>& args) {
    std::vector<std::string> words{macro};
    words.insert(words.end(), args.begin(), args.end());
    std::string out;
    std::vector<std::string_view> closers;  // innermost last
    bool glue = false, dash = false;
    for (const auto& w : words) {
        if (w == "Fl") {
            dash = true;
        } else if (w == "Ns") {
            glue = true;
        } else if (is_one_of(w, {"Op", "Oo"})) {
            out.append(out.empty() || glue ? "" : " ").append("[");
            glue = true;
            if (w == "Op") closers.push_back("]");
        } else if (w == "Oc") {
            out.append("]");
        } else if (is_one_of(w, {"Dq", "Qq", "Do"})) {
            out.append(out.empty() || glue ? "" : " ").append("\u201c");
            glue = true;
            if (w != "Do") closers.push_back("\u201d");
        } else if (w == "Dc") {
            out.append("\u201d");
        } else if (w == "Pq") {
            out.append(out.empty() || glue ? "" : " ").append("(");
            glue = true;
            closers.push_back(")");
        } else if (w.size() >= 2 && w.size() <= 3 &&
                   std::isupper(static_cast<unsigned char>(w[0])) &&
                   std::islower(static_cast<unsigned char>(w[1]))) {
            continue;  // another callable macro (Ar, Cm, Pa, Nm, ...): its words follow
        } else {
            const bool punct =
                w.size() == 1 && std::string_view(",.;:)]").find(w[0]) != std::string_view::npos;
            if (!out.empty() && !glue && !dash && !punct) out.push_back(' ');
            if (dash && !out.empty() && !glue && out.back() != '[') out.push_back(' ');
            out.append(dash ? "-" : "").append(w);
            glue = dash = false;
        }
    }
    if (dash) out.append(out.empty() ? "-" : " -");
    for (auto it = closers.rbegin(); it != closers.rend(); ++it) out.append(*it);
    return out;
}

class RoffText {
  public:
    std::string finish();
    void line(std::string_view line);

  private:
    void request(std::string_view name, std::string_view rest);
    bool man_request(std::string_view name, const std::vector<std::string>& args);
    bool mdoc_request(std::string_view name, const std::vector<std::string>& args);
    void table_line(std::string_view line);
    void table_row(const std::string& row);
    void text(std::string t);
    void words(const std::string& t) {
        if (!t.empty()) text(t);
    }
    void own_line(const std::string& t);
    void heading(const std::string& t);
    void flush();
    void paragraph_break();

    std::string out_, para_, url_, name_, row_;
    bool fill_ = true, heading_next_ = false, tag_next_ = false, after_heading_ = false;
    bool in_table_ = false, table_format_ = false, in_block_ = false, in_definition_ = false;
    char tab_ = '\t';
    int skip_depth_ = 0;
};

void RoffText::flush() {
    if (!para_.empty()) out_.append(para_).push_back('\n');
    para_.clear();
}

void RoffText::paragraph_break() {
    flush();
    if (after_heading_) return;  // a paragraph right under its heading
    if (!out_.empty() && out_.back() == '\n' && (out_.size() < 2 || out_[out_.size() - 2] != '\n'))
        out_.push_back('\n');
}

void RoffText::own_line(const std::string& t) {
    flush();
    if (!t.empty()) out_.append(t).push_back('\n');
    after_heading_ = false;
}

void RoffText::heading(const std::string& t) {
    paragraph_break();
    own_line(t);
    after_heading_ = !t.empty();
}

void RoffText::text(std::string t) {
    if (heading_next_) {
        heading_next_ = false;
        return heading(t);
    }
    if (tag_next_) {
        tag_next_ = false;
        return own_line(t);
    }
    after_heading_ = false;
    if (!fill_) {  // no-fill: the line as it is
        flush();
        out_.append(t).push_back('\n');
        return;
    }
    if (t.find_first_not_of(" \t") == std::string::npos) return paragraph_break();
    if (t[0] == ' ') flush();  // a line starting with a blank breaks the line
    const size_t first = t.find_first_not_of(" \t");
    if (!para_.empty() && para_.back() != ' ') para_.push_back(' ');
    para_.append(t, first);
}

bool RoffText::man_request(std::string_view name, const std::vector<std::string>& args) {
    if (is_one_of(name, {"TH", "SH", "SS"})) {
        if (args.empty() && name != "TH") heading_next_ = true;
        if (name == "TH") {
            own_line(join(args, " "));
            paragraph_break();
        } else {
            heading(join(args, " "));
        }
    } else if (is_one_of(name, {"B", "I", "SM", "SB"})) {
        words(join(args, " "));
    } else if (is_one_of(name, {"BR", "RB", "BI", "IB", "IR", "RI"})) {
        words(join(args, ""));
    } else if (is_one_of(name, {"PP", "LP", "P", "sp", "HP", "YS"})) {
        paragraph_break();
    } else if (name == "br") {
        flush();
    } else if (name == "TP" || name == "TQ") {
        name == "TP" ? paragraph_break() : flush();
        tag_next_ = true;
    } else if (name == "IP") {
        paragraph_break();
        const std::string tag = args.empty() ? "" : args[0];
        if (tag.size() <= 4)
            para_ = tag;
        else
            own_line(tag);
    } else if (is_one_of(name, {"nf", "EX"})) {
        flush();
        fill_ = false;
    } else if (is_one_of(name, {"fi", "EE"})) {
        fill_ = true;
    } else if (name == "UR" || name == "MT") {
        url_ = args.empty() ? "" : args[0];
    } else if (name == "UE" || name == "ME") {
        text("<" + url_ + ">" + (args.empty() ? "" : args[0]));
        url_.clear();
    } else if (name == "OP") {
        text("[" + join(args, " ") + "]");
    } else if (name == "SY") {
        paragraph_break();
        words(join(args, " "));
    } else {
        return false;
    }
    return true;
}

bool RoffText::mdoc_request(std::string_view name, const std::vector<std::string>& args) {
    if (name == "Sh" || name == "Ss") {
        heading(join(args, " "));
    } else if (name == "Pp" || name == "Lp") {
        paragraph_break();
    } else if (name == "It") {
        paragraph_break();
        own_line(mdoc_words("", args));
    } else if (name == "Bd") {
        flush();
        fill_ = std::find(args.begin(), args.end(), "-literal") == args.end() &&
                std::find(args.begin(), args.end(), "-unfilled") == args.end();
    } else if (name == "Ed") {
        fill_ = true;
    } else if (name == "Nd") {
        words("\u2013 " + join(args, " "));
    } else if (name == "Xr" && args.size() >= 2) {
        words(args[0] + "(" + args[1] + ")" + join({args.begin() + 2, args.end()}, ""));
    } else if (name == "Nm") {
        if (name_.empty() && !args.empty()) name_ = args[0];
        words(args.empty() ? name_ : mdoc_words("Nm", args));
    } else if (is_one_of(name, {"Dd", "Dt", "Os", "Bl", "El", "Bk", "Ek", "Sm", "Xo", "Xc"})) {
    } else if (name.size() >= 2 && std::isupper(static_cast<unsigned char>(name[0])) &&
               std::islower(static_cast<unsigned char>(name[1]))) {
        words(mdoc_words(std::string(name), args));
    } else {
        return false;
    }
    return true;
}

void RoffText::request(std::string_view name, std::string_view rest) {
    if (is_one_of(name, {"de", "de1", "am", "ig"})) return void(in_definition_ = true);
    if (is_one_of(name, {"if", "ie", "el", "while"})) {
        skip_depth_ = std::max(0, count_of(rest, "\\{") - count_of(rest, "\\}"));
        return;
    }
    if (name == "TS") {
        paragraph_break();
        in_table_ = table_format_ = true;
        tab_ = '\t';
        return;
    }
    const auto args = split_args(rest);
    if (!man_request(name, args)) mdoc_request(name, args);  // anything else: layout, dropped
}

void RoffText::table_line(std::string_view line) {
    if (line.substr(0, 3) == ".TE") {
        in_table_ = in_block_ = false;
        row_.clear();
        return paragraph_break();
    }
    if (table_format_) {  // options ("tab(:);") and format lines up to the one ending in '.'
        const size_t tab = line.find("tab(");
        if (tab != std::string_view::npos && tab + 4 < line.size()) tab_ = line[tab + 4];
        const size_t last = line.find_last_not_of(" \t");
        if (last != std::string_view::npos && line[last] == '.' &&
            line.find(';') == std::string_view::npos)
            table_format_ = false;
        return;
    }
    if (!line.empty() && (line[0] == '.' || line[0] == '\'')) return;
    if (in_block_) {  // inside T{ ... T}: text of one cell
        if (line.substr(0, 2) != "T}") return void(row_.append(line).push_back(' '));
        in_block_ = false;
        line.remove_prefix(2);
    }
    row_.append(line);
    if (row_.size() >= 2 && row_.substr(row_.size() - 2) == "T{") {
        row_.resize(row_.size() - 2);
        in_block_ = true;
        return;
    }
    table_row(row_);
    row_.clear();
}

void RoffText::table_row(const std::string& row) {
    if (row == "_" || row == "=") return;  // rules
    std::vector<std::string> cells;
    for (size_t at = 0; at <= row.size();) {
        const size_t end = std::min(row.find(tab_, at), row.size());
        std::string cell = unescape(std::string_view(row).substr(at, end - at));
        const size_t first = cell.find_first_not_of(' ');
        const size_t last = cell.find_last_not_of(' ');
        cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
        at = end + 1;
    }
    own_line(join(cells, " "));
}

void RoffText::line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (in_definition_) return void(in_definition_ = line.substr(0, 2) != "..");
    if (skip_depth_ > 0) {
        skip_depth_ = std::max(0, skip_depth_ + count_of(line, "\\{") - count_of(line, "\\}"));
        return;
    }
    if (in_table_) return table_line(line);
    if (line.substr(0, 2) == "\\\"" || line.substr(0, 2) == "\\#") return;
    if (!line.empty() && (line[0] == '.' || line[0] == '\'')) {
        size_t i = 1;
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (line.substr(i, 2) == "\\\"" || line.substr(i, 2) == "\\#" || i >= line.size()) return;
        size_t end = i;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
        return request(line.substr(i, end - i), line.substr(end));
    }
    text(unescape(line));
}

std::string RoffText::finish() {
    flush();
    std::string out;
    size_t newlines = 0;
    for (char c : out_) {  // at most one empty line in a row, none at the start
        newlines = c == '\n' ? newlines + 1 : 0;
        if (newlines > 2 || (c == '\n' && out.empty())) continue;
        out.push_back(c);
    }
    while (out.size() >= 2 && out[out.size() - 2] == '\n') out.pop_back();
    return out;
}

}  // namespace

std::string clean_roff(std::string_view roff) {
    RoffText t;
    size_t at = 0;
    while (at < roff.size()) {
        const size_t end = std::min(roff.find('\n', at), roff.size());
        t.line(roff.substr(at, end - at));
        at = end + 1;
    }
    return t.finish();
}

}  // namespace ql::train
