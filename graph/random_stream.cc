#include "graph/random_stream.h"

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/error.h"

namespace neon {

namespace {

// Counter offsets travel to kernels as doubles: every position must be exact.
constexpr uint64_t kMaxPosition = uint64_t{1} << 53;

struct Stream {
  uint64_t seed = 0;
  uint64_t next = 0;
};

struct Streams {
  std::mutex mutex;
  std::unordered_map<const Backend*, Stream> by_backend;
};

Streams& AllStreams() {
  static Streams* streams = new Streams();  // never destroyed: usable during static teardown
  return *streams;
}

}  // namespace

void SetSeed(const Backend& backend, uint64_t seed) {
  Streams& streams = AllStreams();
  std::lock_guard<std::mutex> lock(streams.mutex);
  streams.by_backend[&backend] = {seed, 0};
}

uint64_t GetSeed(const Backend& backend) {
  Streams& streams = AllStreams();
  std::lock_guard<std::mutex> lock(streams.mutex);
  auto found = streams.by_backend.find(&backend);
  return found == streams.by_backend.end() ? 0 : found->second.seed;
}

RandomRange ReserveRandom(const Backend& backend, uint64_t count) {
  Streams& streams = AllStreams();
  std::lock_guard<std::mutex> lock(streams.mutex);
  Stream& stream = streams.by_backend[&backend];
  if (count > kMaxPosition - stream.next) {
    throw ArgumentError("rand: drawing " + std::to_string(count) + " values at stream position " +
                        std::to_string(stream.next) + " of backend '" + backend.info().name +
                        "' passes 2^53, the last exact position; call SetSeed to restart the stream");
  }
  RandomRange range{stream.seed, stream.next};
  stream.next += count;
  return range;
}

}  // namespace neon
