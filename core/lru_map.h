// A map bounded to a fixed number of entries that evicts the least recently
// used one to make room: the shape of every in-memory cache of the runtime
// (plans, OpenCL programs and kernels), so none grows without limit and a hot
// working set below the bound stays cached. Not thread-safe: callers lock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>
#include <utility>

namespace neon {

template <typename Key, typename Value>
class LruMap {
 public:
  explicit LruMap(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {}

  // The value stored under `key`, now the most recently used; null when absent.
  // The pointer stays valid until that entry is evicted or the map cleared.
  Value* Find(const Key& key) {
    auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    return &found->second->second;
  }

  // Stores `value` under `key` (replacing an old one) as the most recently used,
  // first evicting the least recently used entry when the map is full.
  Value& Insert(const Key& key, Value value) {
    if (Value* existing = Find(key)) return *existing = std::move(value);
    if (index_.size() >= capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
      ++evictions_;
    }
    entries_.emplace_front(key, std::move(value));
    index_.emplace(key, entries_.begin());
    return entries_.front().second;
  }

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t evictions() const { return evictions_; }
  void clear() {
    index_.clear();
    entries_.clear();
  }

 private:
  using Entries = std::list<std::pair<Key, Value>>;
  size_t capacity_;
  Entries entries_;   // most recently used first
  std::unordered_map<Key, typename Entries::iterator> index_;
  uint64_t evictions_ = 0;
};

}  // namespace neon
