// A minibatch iterator whose loader thread prepares the next batch (gathers and
// shuffles on the host, copies to the device) while the model computes on the
// current one. Two device buffers alternate, so at most one batch is prepared ahead;
// the batches are exactly those of ArrayIterator over the same arrays. An exception
// in the loader is rethrown by next(); the destructor stops and joins the loader.
// Like every iterator it has one caller thread; the loader is its only other one.
// Backends allow a copy from one thread while another computes (docs/threads.md).
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "layers/data_iterator.h"

namespace neon {

class PrefetchingIterator : public HostBatchesIterator {
 public:
  PrefetchingIterator(Backend& backend, HostBatches host, DType dtype = DType::kFloat32);
  ~PrefetchingIterator() override;
  PrefetchingIterator(const PrefetchingIterator&) = delete;
  PrefetchingIterator& operator=(const PrefetchingIterator&) = delete;

  void reset(int epoch) override;
  bool next(Batch& batch) override;
  void skip(int64_t minibatches) override;

 private:
  static constexpr int kSlots = 2;
  struct Slot {
    Tensor x, t;                          // device buffers
    std::vector<float> x_host, t_host;    // staging
    int64_t valid = 0;
    bool free = true;                     // the loader may fill it
    bool ready = false;                   // filled, not yet handed out
  };

  void Load();
  // With the lock held: waits until the loader is between batches, then drops every
  // batch prepared and restarts it at minibatch `first`.
  void Restart(std::unique_lock<std::mutex>& lock, int64_t first);

  Slot slots_[kSlots];
  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t to_load_ = 0;        // the next minibatch the loader prepares
  int64_t to_hand_out_ = 0;    // the next minibatch next() returns
  int held_ = -1;              // the slot of the batch the caller holds
  bool loading_ = false;       // the loader is filling a slot outside the lock
  bool stop_ = false;
  std::exception_ptr error_;   // the loader's failure, rethrown by next() until reset
  std::thread loader_;         // last: starts after every member above exists
};

}  // namespace neon
