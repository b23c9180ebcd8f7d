#include "connectors/sql/sql_text.hpp"

#include <algorithm>
#include <cctype>

namespace ferry::connectors::sql {
namespace {

bool is_word_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || u >= 0x80;
}

// End of a quoted run that starts at `i` (on the opening quote) and closes with `close`; a doubled
// closing quote stays inside, and so does a backslash escape where `backslash` is set.
std::size_t skip_quoted(std::string_view text, std::size_t i, char close, bool backslash) {
  ++i;
  while (i < text.size()) {
    if (backslash && text[i] == '\\') {
      i += 2;
      continue;
    }
    if (text[i] == close) {
      if (i + 1 < text.size() && text[i + 1] == close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return text.size();
}

// PostgreSQL's dollar quoting: $$...$$ or $tag$...$tag$. npos when `i` starts no such string.
std::size_t skip_dollar_quoted(std::string_view text, std::size_t i) {
  std::size_t j = i + 1;
  while (j < text.size() &&
         (is_word_char(text[j]) && std::isdigit(static_cast<unsigned char>(text[j])) == 0)) {
    ++j;
  }
  if (j >= text.size() || text[j] != '$') return std::string_view::npos;
  const std::string_view tag = text.substr(i, j - i + 1);
  const std::size_t end = text.find(tag, j + 1);
  return end == std::string_view::npos ? text.size() : end + tag.size();
}

std::string upper_word_at(std::string_view text, std::size_t i) {
  std::string word;
  while (i < text.size() && is_word_char(text[i])) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    ++i;
  }
  return word;
}

}  // namespace

ScannedSql scan_sql(std::string_view text) {
  ScannedSql out;
  out.odbc_text.reserve(text.size());
  bool first_word_seen = false;
  auto note_parameter = [&](std::string name) {
    if (std::find(out.parameters.begin(), out.parameters.end(), name) == out.parameters.end()) {
      out.parameters.push_back(std::move(name));
    }
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    std::size_t end = i + 1;
    if (c == '\'') {
      end = skip_quoted(text, i, '\'', true);
    } else if (c == '"') {
      end = skip_quoted(text, i, '"', false);
    } else if (c == '`') {
      end = skip_quoted(text, i, '`', false);
    } else if (c == '[') {
      end = skip_quoted(text, i, ']', false);
    } else if (c == '-' && text.substr(i, 2) == "--") {
      end = std::min(text.find('\n', i), text.size());
    } else if (c == '/' && text.substr(i, 2) == "/*") {
      const std::size_t close = text.find("*/", i + 2);
      end = close == std::string_view::npos ? text.size() : close + 2;
    } else if (c == '$' && (i == 0 || !is_word_char(text[i - 1]))) {
      if (const std::size_t dollar = skip_dollar_quoted(text, i);
          dollar != std::string_view::npos) {
        end = dollar;
      }
    } else if (c == ':' && text.substr(i, 2) == "::") {
      end = i + 2;
    } else if (c == ':' && i + 1 < text.size() && is_word_char(text[i + 1]) &&
               (i == 0 || text[i - 1] != ':')) {
      end = i + 1;
      while (end < text.size() && is_word_char(text[end])) ++end;
      std::string name(text.substr(i, end - i));
      if (name == ":cursor") {
        out.odbc_text += '?';
        ++out.cursor_markers;
        note_parameter(std::move(name));
        i = end;
        continue;
      }
      note_parameter(std::move(name));
    } else if (c == '?') {
      note_parameter("?");
    } else if (!first_word_seen && is_word_char(c)) {
      first_word_seen = true;
      const std::string word = upper_word_at(text, i);
      out.starts_as_read =
          word == "SELECT" || word == "WITH" || word == "VALUES" || word == "TABLE";
      end = i + word.size();
    }
    out.odbc_text.append(text.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace ferry::connectors::sql
