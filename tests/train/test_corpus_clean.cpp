// The corpus cleaners on small committed samples (tests/data/corpus): Brown
// tags stripped, roff markup stripped, minified files skipped, globs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "train/corpus_clean.hpp"
#include "util/error.hpp"

namespace {

using namespace ql::train;

std::string sample(const std::string& name) {
    std::ifstream f(std::string(QL_SOURCE_DIR) + "/tests/data/corpus/" + name, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

TEST(CleanBrown, TagsStrippedAndSentencesRebuilt) {
    const std::string text = clean_brown(sample("brown_sample.txt"));
    EXPECT_EQ(text,
              "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent "
              "primary election produced \"no evidence\" that any irregularities took place.\n"
              "\n"
              "It was won by Ivan Allen Jr. He asked (twice), \"why?\"\n"
              "\n"
              "The price was 1/2 of the total;; it didn't matter -- not at all.\n");
    EXPECT_FALSE(contains(text, "/at"));
}

TEST(CleanBrown, EmptyInputGivesNothing) {
    EXPECT_EQ(clean_brown("\n\n\t\n"), "");
}

TEST(CleanSentenceJson, OneSentencePerLine) {
    EXPECT_EQ(clean_sentence_json(R"(["One.", "  Two\nlines. ", ""])", "x"), "One.\nTwo lines.\n");
    EXPECT_THROW(clean_sentence_json(R"({"a": 1})", "x.json"), ql::InputError);
    EXPECT_THROW(clean_sentence_json(R"(["a", 2])", "x.json"), ql::InputError);
    EXPECT_THROW(clean_sentence_json("[\"broken", "x.json"), ql::InputError);
}

TEST(CleanRoff, MarkupStrippedTextKept) {
    const std::string text = clean_roff(sample("roff_sample.1"));
    EXPECT_FALSE(contains(text, "comment")) << text;
    EXPECT_FALSE(contains(text, "Copyright")) << text;
    EXPECT_FALSE(contains(text, "\\f")) << text;
    EXPECT_FALSE(contains(text, "\\-")) << text;
    EXPECT_FALSE(contains(text, "something")) << text;  // inside .if \{ ... \}
    EXPECT_FALSE(contains(text, ".ft")) << text;        // inside .de ... ..
    EXPECT_FALSE(contains(text, "tab(:)")) << text;     // tbl options and format
    EXPECT_TRUE(contains(text, "LS 1 März 2023 GNU coreutils 9.1 Benutzerbefehle\n")) << text;
    EXPECT_TRUE(contains(text, "\nBEZEICHNUNG\nls - Verzeichnisinhalte auflisten\n")) << text;
    EXPECT_TRUE(contains(text, "ls [OPTION]... [DATEI]...")) << text;
    EXPECT_TRUE(contains(text, "über die DATEIen (standardmäßig das aktuelle Verzeichnis)."))
        << text;
    EXPECT_TRUE(contains(text, "falls weder -cftuvSUX noch --sort angegeben ist.")) << text;
    EXPECT_TRUE(contains(text, "Optionen \u2014 sind")) << text;
    EXPECT_TRUE(contains(text, "\n-a, --all\nEinträge, die mit \u201e.\u201c beginnen")) << text;
    EXPECT_TRUE(contains(text, "\u2022 Schrift fixed und Größe klein und ä'")) << text;
    EXPECT_TRUE(contains(text, "\nName Wert\n")) << text;
    EXPECT_TRUE(contains(text, "\neins zwei\n")) << text;
    EXPECT_TRUE(contains(text,
                         "\nSIEHE AUCH\ndir(1), Projektseite "
                         "<https://www.gnu.org/software/coreutils/>.\n"))
        << text;
    EXPECT_EQ(text.find("\n\n\n"), std::string::npos);
    EXPECT_NE(text.front(), '\n');
    EXPECT_EQ(text.back(), '\n');
}

TEST(CleanRoff, MdocMacros) {
    const std::string text = clean_roff(sample("mdoc_sample.8"));
    EXPECT_EQ(text,
              "BEZEICHNUNG\nfoo \u2013 tut etwas\n\n"
              "ÜBERSICHT\nfoo [-v] datei\n\n"
              "BESCHREIBUNG\nSiehe bar(1).\n");
}

TEST(CleanRoff, SoLinkIsEmpty) {
    EXPECT_EQ(clean_roff(".so man1/ls.1\n"), "");
}

TEST(CleanCode, LineEndsBomAndSourceMapComments) {
    EXPECT_EQ(clean_code("\xEF\xBB\xBF"
                         "a {\r\n  b: 1px;\r\n}\r\n/*# sourceMappingURL=x.css.map */\r\n\n\n"),
              "a {\n  b: 1px;\n}\n");
    EXPECT_EQ(clean_code("f();\n//# sourceMappingURL=f.js.map"), "f();\n");
    EXPECT_EQ(clean_code("no newline"), "no newline\n");
}

TEST(CodeSkipReason, MinifiedFilesSkipped) {
    EXPECT_EQ(code_skip_reason("dist/css/bootstrap.min.css", "a{}"), "minified name");
    EXPECT_EQ(code_skip_reason("build/pure-min.css", "a{}"), "minified name");
    EXPECT_EQ(code_skip_reason("dist/jquery.min.map", "{}"), "minified name");
    EXPECT_EQ(code_skip_reason("dist/app.js.map", "{}"), "source map");
    const std::string packed = "var a=" + std::string(5000, '1') + ";\n";
    EXPECT_NE(code_skip_reason("dist/app.js", packed), "");
    std::string normal;
    for (int i = 0; i < 200; ++i) normal += "  color: red;\n";
    EXPECT_EQ(code_skip_reason("dist/app.css", normal), "");
}

TEST(GlobMatch, ComponentsClassesAndDoubleStar) {
    EXPECT_TRUE(glob_match("c[a-r][0-9][0-9]", "ca01"));
    EXPECT_FALSE(glob_match("c[a-r][0-9][0-9]", "cs01"));
    EXPECT_FALSE(glob_match("c[a-r][0-9][0-9]", "ca01x"));
    EXPECT_TRUE(glob_match("c[!x]?", "cab"));
    EXPECT_TRUE(glob_match("*.css", "a.css"));
    EXPECT_FALSE(glob_match("*.css", "dir/a.css"));
    EXPECT_TRUE(glob_match("js/**/*.js", "js/a.js"));
    EXPECT_TRUE(glob_match("js/**/*.js", "js/x/y/a.js"));
    EXPECT_FALSE(glob_match("js/**/*.js", "jsx/a.js"));
    EXPECT_TRUE(glob_match("usr/share/man/de/man*/*.gz", "usr/share/man/de/man1/ls.1.gz"));
    EXPECT_TRUE(glob_match("a[b", "a[b"));
    EXPECT_TRUE(glob_match("**", "any/thing"));
}

TEST(Utf8, ValidAndInvalid) {
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("Größe \u2014 \U0001F600"));
    EXPECT_FALSE(is_valid_utf8("\xC3"));          // cut short
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));      // overlong
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // surrogate
    EXPECT_FALSE(is_valid_utf8("latin1 \xE4"));
}

}  // namespace
