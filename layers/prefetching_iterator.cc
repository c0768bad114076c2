#include "layers/prefetching_iterator.h"

#include "core/error.h"

namespace neon {

PrefetchingIterator::PrefetchingIterator(Backend& backend, HostBatches host, DType dtype)
    : HostBatchesIterator(std::move(host)) {
  for (Slot& slot : slots_) {
    slot.x = BatchFeatures(backend, dtype);
    slot.t = BatchTargets(backend, dtype);
  }
  loader_ = std::thread(&PrefetchingIterator::Load, this);
}

PrefetchingIterator::~PrefetchingIterator() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  loader_.join();
}

void PrefetchingIterator::Load() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] {
      return stop_ || (!error_ && to_load_ < host_.nbatches() && slots_[to_load_ % kSlots].free);
    });
    if (stop_) return;
    int64_t index = to_load_++;
    Slot& slot = slots_[index % kSlots];
    slot.free = false;
    loading_ = true;
    lock.unlock();
    // Outside the lock: the caller computes on the other slot meanwhile.
    std::exception_ptr error;
    try {
      slot.valid = host_.Gather(index, slot.x_host, slot.t_host);
      slot.x.set(slot.x_host);
      slot.t.set(slot.t_host);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    loading_ = false;
    if (error) {
      error_ = error;
    } else {
      slot.ready = true;
    }
    changed_.notify_all();
  }
}

void PrefetchingIterator::Restart(std::unique_lock<std::mutex>& lock, int64_t first) {
  changed_.wait(lock, [this] { return !loading_; });
  for (Slot& slot : slots_) {
    slot.free = true;
    slot.ready = false;
  }
  held_ = -1;
  to_load_ = to_hand_out_ = first;
  error_ = nullptr;
  changed_.notify_all();
}

void PrefetchingIterator::reset(int epoch) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return !loading_; });  // the loader reads the order while it gathers
  host_.Shuffle(epoch);
  Restart(lock, 0);
}

void PrefetchingIterator::skip(int64_t minibatches) {
  if (minibatches < 0) throw ArgumentError("PrefetchingIterator: cannot skip " + std::to_string(minibatches) + " minibatches");
  std::unique_lock<std::mutex> lock(mutex_);
  int64_t left = host_.nbatches() - to_hand_out_;
  Restart(lock, minibatches >= left ? host_.nbatches() : to_hand_out_ + minibatches);
}

bool PrefetchingIterator::next(Batch& batch) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (held_ >= 0) {  // the caller is done with the batch it held: the loader may refill it
    slots_[held_].free = true;
    held_ = -1;
    changed_.notify_all();
  }
  if (to_hand_out_ >= host_.nbatches()) return false;
  Slot& slot = slots_[to_hand_out_ % kSlots];
  changed_.wait(lock, [&] { return slot.ready || error_; });
  if (!slot.ready) std::rethrow_exception(error_);
  slot.ready = false;
  held_ = static_cast<int>(to_hand_out_ % kSlots);
  ++to_hand_out_;
  batch.x = slot.x;
  batch.t = slot.t;
  batch.valid = slot.valid;
  return true;
}

}  // namespace neon
