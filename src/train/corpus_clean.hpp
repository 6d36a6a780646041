// The cleaners of the training corpus: each turns one file of a source into
// plain text (or says why the file is skipped). Pure functions on strings, so
// the tests run them on small committed samples.
#pragma once

#include <string>
#include <string_view>

namespace ql::train {

// Brown corpus, form C ("The/at jury/nn said/vbd ./."): the tags stripped and
// the tokens joined back into sentences ("The jury said."); a paragraph per
// line, paragraphs separated by an empty line.
std::string clean_brown(std::string_view tagged);

// A JSON array of sentences (nlp-corpus's builds/doc-N.json): one sentence per
// line. Throws ql::InputError naming `name` when it is not such an array.
std::string clean_sentence_json(std::string_view json, std::string_view name);

// A roff man page (man or mdoc macros, tbl tables) to plain text: comments and
// layout requests dropped, text-bearing requests (.TH .SH .B .BR .IP ...) keep
// their arguments, escapes (\fB \(em \- \[u00E4] ...) become the characters
// they stand for or nothing; filled text becomes a paragraph per line.
std::string clean_roff(std::string_view roff);

// Code (CSS, HTML, JavaScript) as it is, with CRLF line ends, a byte-order
// mark and source-map comments removed and a final newline.
std::string clean_code(std::string_view text);

// Why a code file is not taken: "minified name" (*.min.*), "source map"
// (*.map) or "minified content" (very long lines); empty if it is taken.
std::string code_skip_reason(std::string_view path, std::string_view text);

// Shell-style match of a relative path: `*` and `?` stay inside one path
// component, `**/` spans any number of directories, `[a-z]` / `[!a-z]`
// are character classes.
bool glob_match(std::string_view pattern, std::string_view path);

bool is_valid_utf8(std::string_view s);

}  // namespace ql::train
