// Listing output of qmilterctl: on a terminal an aligned table with a header rule (cells
// cut to fit the terminal's width), otherwise tab-separated lines with a header line, easy
// to cut/awk. Widths count UTF-8 characters, not bytes. Built and printed on one thread.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace qmilter::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  void add_row(std::vector<std::string> cells);
  bool empty() const noexcept { return rows_.empty(); }

  // `terminal_width` 0 = unknown (no cutting).
  void print(std::ostream& out, bool terminal, std::size_t terminal_width = 0) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// The width of the terminal on stdout, 0 when it is not one.
std::size_t terminal_width();

}  // namespace qmilter::cli
