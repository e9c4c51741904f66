// The sanitized previews qmilter-web showed last, with their attachment lists, by quarantine
// and entry id. A stored message never changes under its id, and sanitizing is nearly all
// of what a page costs (a 100 KB HTML message: about 3 ms of CPU), while the same page is
// fetched several times (the link scanner, the recipient, a reload). Bounded by count and
// by bytes; the least recently used goes first. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace qmilter::web {

// What a message's page shows of its content, both parts safe HTML.
struct CachedPreview {
  std::string html;              // the sanitized preview
  std::string attachments_html;  // mime::attachments_html() of the message's attachments
  std::size_t size() const { return html.size() + attachments_html.size(); }
};

class PreviewCache {
 public:
  PreviewCache(std::size_t max_entries, std::size_t max_bytes) : max_entries_(max_entries), max_bytes_(max_bytes) {}

  std::optional<CachedPreview> find(const std::string& quarantine, const std::string& id);
  void put(const std::string& quarantine, const std::string& id, CachedPreview preview);

 private:
  using Item = std::pair<std::string, CachedPreview>;  // key, preview
  static std::string key_of(const std::string& quarantine, const std::string& id) { return quarantine + '\0' + id; }

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  std::mutex mutex_;
  std::list<Item> items_;  // most recently used first
  std::unordered_map<std::string, std::list<Item>::iterator> index_;
  std::size_t bytes_ = 0;
};

}  // namespace qmilter::web
