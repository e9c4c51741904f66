#include "core/web/preview_cache.hpp"

namespace qmilter::web {

std::optional<CachedPreview> PreviewCache::find(const std::string& quarantine, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(key_of(quarantine, id));
  if (found == index_.end()) return std::nullopt;
  items_.splice(items_.begin(), items_, found->second);
  return found->second->second;
}

void PreviewCache::put(const std::string& quarantine, const std::string& id, CachedPreview preview) {
  if (preview.size() > max_bytes_) return;
  std::lock_guard lock(mutex_);
  const std::string key = key_of(quarantine, id);
  if (auto old = index_.find(key); old != index_.end()) {
    bytes_ -= old->second->second.size();
    items_.erase(old->second);
    index_.erase(old);
  }
  bytes_ += preview.size();
  items_.emplace_front(key, std::move(preview));
  index_[key] = items_.begin();
  while (items_.size() > max_entries_ || bytes_ > max_bytes_) {
    bytes_ -= items_.back().second.size();
    index_.erase(items_.back().first);
    items_.pop_back();
  }
}

}  // namespace qmilter::web
