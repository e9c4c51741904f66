// StoredMessage: a MessageView over a quarantine entry.
#include "core/cli/stored_message.hpp"

#include <exception>

#include "core/cli/cli_context.hpp"

namespace qmilter::cli {

std::vector<sdk::Header> parse_header_section(std::string_view section) {
  std::vector<sdk::Header> headers;
  std::size_t start = 0;
  while (start < section.size()) {
    std::size_t end = section.find('\n', start);
    if (end == std::string_view::npos) end = section.size();
    std::string_view line = section.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    if (line.empty()) continue;
    if ((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
      headers.back().value += "\n";
      headers.back().value += line;
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  return headers;
}

StoredMessage::StoredMessage(const sdk::QuarantineStore& store, sdk::StoredEntry entry)
    : store_(store), entry_(std::move(entry)) {
  std::string section;
  bool complete = false;
  std::uint64_t total = 0;
  sdk::Status read = store_.read(entry_.id, [&](std::string_view chunk) {
    total += chunk.size();
    if (complete || chunk.empty()) return true;  // keep counting the body's size
    std::size_t before = section.size();
    section += chunk;
    if (section.front() == '\n') {  // no headers at all: the empty line comes first
      header_bytes_ = 1;
      section.clear();
      complete = true;
      return true;
    }
    std::size_t blank = section.find("\n\n", before >= 1 ? before - 1 : 0);
    if (blank != std::string::npos) {
      header_bytes_ = blank + 2;
      section.resize(blank + 1);
      complete = true;
    }
    return true;
  });
  if (!read.ok()) throw CliError(read.error().message);
  if (!complete) header_bytes_ = total;
  headers_ = parse_header_section(section);
  body_size_ = total - header_bytes_;
}

sdk::Status StoredMessage::read_body(const sdk::ChunkVisitor& visit) const noexcept {
  try {
    std::uint64_t skip = header_bytes_;
    bool stopped = false;
    return store_.read(entry_.id, [&](std::string_view chunk) {
      if (stopped) return false;
      if (skip >= chunk.size()) {
        skip -= chunk.size();
        return true;
      }
      chunk.remove_prefix(static_cast<std::size_t>(skip));
      skip = 0;
      stopped = !visit(chunk);
      return !stopped;
    });
  } catch (const std::exception& e) {
    return sdk::Error{std::string("cannot read the stored message: ") + e.what()};
  }
}

sdk::Match StoredMessage::match() const {
  sdk::Match match;
  match.groups = entry_.subgroups;
  match.named = entry_.named_subgroups;
  return match;
}

}  // namespace qmilter::cli
