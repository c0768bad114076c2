// The prefetching iterator on `reference`: the same batches as ArrayIterator, bit for
// bit, through epochs, skips and resets at any point; the loader's failure reaches the
// caller; destroying it mid-epoch stops the loader.
#include "layers/prefetching_iterator.h"

#include <gtest/gtest.h>

#include <atomic>

#include "backends/reference/reference_backend.h"
#include "backends/wrapped_buffer.h"
#include "core/error.h"

namespace neon {
namespace {

Backend& Reference() {
  static ReferenceBackend* backend = new ReferenceBackend();
  return *backend;
}

// 23 samples of (2, 3) features, 4 regression targets each: batches of 5 end with a partial one.
HostBatches Samples(bool shuffle) {
  std::vector<float> X(23 * 6), targets(23 * 4);
  for (size_t i = 0; i < X.size(); ++i) X[i] = static_cast<float>(i) * 0.5f;
  for (size_t i = 0; i < targets.size(); ++i) targets[i] = -static_cast<float>(i);
  return HostBatches(X, targets, 4, {2, 3}, 5, shuffle, /*seed=*/9);
}

struct HostBatch {
  std::vector<float> x, t;
  int64_t valid;
  bool operator==(const HostBatch& other) const { return x == other.x && t == other.t && valid == other.valid; }
};

std::vector<HostBatch> Drain(DataIterator& data) {
  std::vector<HostBatch> batches;
  Batch batch;
  while (data.next(batch)) batches.push_back({batch.x.get<float>(), batch.t.get<float>(), batch.valid});
  return batches;
}

TEST(PrefetchingIteratorTest, YieldsArrayIteratorBatchesBitForBit) {
  for (bool shuffle : {false, true}) {
    ArrayIterator plain(Reference(), Samples(shuffle));
    PrefetchingIterator prefetching(Reference(), Samples(shuffle));
    EXPECT_EQ(prefetching.nbatches(), 5);
    EXPECT_EQ(prefetching.feature_shape(), plain.feature_shape());
    for (int epoch : {0, 1, 2, 1}) {
      plain.reset(epoch);
      prefetching.reset(epoch);
      std::vector<HostBatch> expected = Drain(plain);
      ASSERT_EQ(expected.size(), 5u);
      EXPECT_EQ(expected.back().valid, 3);
      EXPECT_EQ(Drain(prefetching), expected) << "epoch " << epoch << " shuffle " << shuffle;
    }
    // A resumed epoch: skip from the start and from inside, past the end, and a reset halfway.
    for (int64_t skip : {0, 1, 3, 5, 99}) {
      plain.reset(4);
      prefetching.reset(4);
      plain.skip(skip);
      prefetching.skip(skip);
      EXPECT_EQ(Drain(prefetching), Drain(plain)) << "skip " << skip;
    }
    Batch batch;
    plain.reset(3);
    prefetching.reset(3);
    ASSERT_TRUE(plain.next(batch) && prefetching.next(batch));
    plain.skip(2);
    prefetching.skip(2);
    EXPECT_EQ(Drain(prefetching), Drain(plain)) << "skip inside the epoch";
    ASSERT_TRUE(prefetching.next(batch) == false);
    prefetching.reset(5);
    ASSERT_TRUE(prefetching.next(batch));
    prefetching.reset(6);  // with a batch held and the next one prepared
    plain.reset(6);
    EXPECT_EQ(Drain(prefetching), Drain(plain)) << "reset inside the epoch";
  }
}

// Host memory (reference's) whose copies to the device fail after `copies_allowed` of
// them; it only stores and copies, which is all an iterator asks of a backend.
class FailingCopies final : public Backend {
 public:
  explicit FailingCopies(int copies_allowed) : copies_allowed_(copies_allowed) {}
  const DeviceInfo& info() const override { return inner_.info(); }
  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    return std::make_shared<WrappedBuffer>(*this, inner_.allocate(bytes));
  }
  void copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) override {
    if (copies_allowed_-- <= 0) throw BackendError("FailingCopies: copy_in failed on purpose");
    inner_.copy_in(*WrappedBuffer::Unwrap(*this, &dst), offset, src, bytes);
  }
  void copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) override {
    inner_.copy_out(*WrappedBuffer::Unwrap(*this, &src), offset, dst, bytes);
  }
  void copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) override {
    inner_.copy(*WrappedBuffer::Unwrap(*this, &src), src_offset, *WrappedBuffer::Unwrap(*this, &dst), dst_offset, bytes);
  }
  void run(const FusedKernel&, const KernelArgs&) override { throw BackendError("FailingCopies: computes nothing"); }
  void gemm(const GemmArgs&) override { throw BackendError("FailingCopies: computes nothing"); }
  void fill_random(const RandomArgs&) override { throw BackendError("FailingCopies: computes nothing"); }
  void synchronize() override {}

 private:
  ReferenceBackend inner_;
  std::atomic<int> copies_allowed_;
};

TEST(PrefetchingIteratorTest, TheLoadersFailureReachesTheCaller) {
  FailingCopies backend(/*copies_allowed=*/4);  // two batches (features and targets each)
  PrefetchingIterator data(backend, Samples(false));
  Batch batch;
  EXPECT_TRUE(data.next(batch));
  EXPECT_TRUE(data.next(batch));
  try {
    data.next(batch);
    FAIL() << "the third batch's failed copy was not reported";
  } catch (const BackendError& error) {
    EXPECT_NE(std::string(error.what()).find("copy_in failed on purpose"), std::string::npos);
  }
  EXPECT_THROW(data.next(batch), BackendError);  // still failed until a reset
}

TEST(PrefetchingIteratorTest, StopsCleanlyAtAnyPoint) {
  for (int batches_read = 0; batches_read < 6; ++batches_read) {
    PrefetchingIterator data(Reference(), Samples(true));
    Batch batch;
    for (int i = 0; i < batches_read; ++i) data.next(batch);
  }  // each destructor joins its loader, whatever it was doing
  PrefetchingIterator data(Reference(), Samples(true));
  EXPECT_THROW(data.skip(-1), ArgumentError);
}

}  // namespace
}  // namespace neon
