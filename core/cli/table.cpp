// Aligned and tab-separated tables.
#include "core/cli/table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>

namespace qmilter::cli {

namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation(c); }));
}

// The first `width` characters of `text`, with "…" when something was cut.
std::string cut(const std::string& text, std::size_t width) {
  if (display_width(text) <= width || width == 0) return text;
  std::string result;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_continuation(text[i])) {
      if (chars + 1 == width) break;
      ++chars;
    }
    result += text[i];
  }
  return result + "\xe2\x80\xa6";
}

// Tabs and line breaks would break both formats.
std::string flatten(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
  return text;
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) cell = flatten(std::move(cell));
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out, bool terminal, std::size_t terminal_width) const {
  const std::size_t columns = headers_.size();
  if (!terminal) {
    auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t c = 0; c < columns; ++c) out << (c ? "\t" : "") << cells[c];
      out << '\n';
    };
    line(headers_);
    for (const auto& row : rows_) line(row);
    return;
  }

  std::vector<std::size_t> widths(columns);
  for (std::size_t c = 0; c < columns; ++c) {
    widths[c] = display_width(headers_[c]);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  // Too wide for the terminal: shrink the widest columns first, down to 8 characters.
  if (terminal_width > 0) {
    auto total = [&] {
      std::size_t sum = 0;
      for (std::size_t w : widths) sum += w;
      return sum + 2 * (columns - 1);
    };
    while (total() > terminal_width) {
      auto widest = std::max_element(widths.begin(), widths.end());
      if (*widest <= 8) break;
      --*widest;
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < columns; ++c) {
      std::string cell = cut(cells[c], widths[c]);
      text += cell;
      if (c + 1 < columns) text += std::string(widths[c] - display_width(cell) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  };
  line(headers_);
  std::vector<std::string> rule(columns);
  for (std::size_t c = 0; c < columns; ++c) rule[c] = std::string(widths[c], '-');
  line(rule);
  for (const auto& row : rows_) line(row);
}

std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;
}

}  // namespace qmilter::cli
