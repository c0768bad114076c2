// The loaders (IDX, safetensors, model files with their JSON description) fed
// thousands of seeded mutations of valid files: each must load or throw a typed
// neon::Error, never crash, hang or throw anything else. A longer run is one
// variable away: NEON_FUZZ_ITERATIONS=100000 (per loader; default 1500).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "backends/reference/reference_backend.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "core/error.h"
#include "graph/random_stream.h"
#include "layers/model_file.h"
#include "layers/model_zoo.h"

namespace neon {
namespace {

int Iterations() {
  const char* text = std::getenv("NEON_FUZZ_ITERATIONS");
  return text != nullptr ? std::max(1, std::atoi(text)) : 1500;
}

std::string TempPath(const std::string& name) { return (std::filesystem::path(testing::TempDir()) / name).string(); }

// One of: flip bits, overwrite with a random or boundary byte, truncate, insert, duplicate a run.
std::string Mutate(std::string bytes, std::mt19937_64& rng) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !bytes.empty(); ++e) {
    size_t at = rng() % bytes.size();
    switch (rng() % 6) {
      case 0: bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8))); break;
      case 1: bytes[at] = static_cast<char>(rng()); break;
      case 2: bytes[at] = "\x00\xff\x7f\x80{}[]\"0-9e"[rng() % 13]; break;
      case 3: bytes.resize(at); break;
      case 4: bytes.insert(at, std::string(1 + rng() % 8, static_cast<char>(rng()))); break;
      case 5: bytes.insert(at, bytes.substr(rng() % bytes.size(), rng() % 32)); break;
    }
  }
  return bytes;
}

// Runs `load` on mutations of `original`; counts typed errors and loads, fails on anything else.
template <typename Load>
void Fuzz(const std::string& original, uint64_t seed, Load load) {
  std::mt19937_64 rng(seed);
  int errors = 0, loads = 0;
  for (int i = 0; i < Iterations(); ++i) {
    std::string mutated = Mutate(original, rng);
    try {
      load(mutated);
      ++loads;
    } catch (const Error&) {
      ++errors;
    } catch (const std::exception& error) {
      FAIL() << "mutation " << i << " threw a " << typeid(error).name() << " that is not a neon::Error: " << error.what();
    }
  }
  std::printf("%d typed errors, %d loads\n", errors, loads);
  EXPECT_GT(errors, 0);
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
}

TEST(LoaderFuzzTest, Idx) {
  std::string plain = TempPath("plain.idx");
  WriteIdx(plain, {{6, 4, 3}, std::vector<uint8_t>(72, 7)});
  std::string original = ReadWholeFile(plain);
  std::string path = TempPath("mutated.idx");
  Fuzz(original, 1, [&](const std::string& bytes) {
    WriteBytes(path, bytes);
    IdxArray array = ReadIdx(path);
    size_t elements = 1;
    for (int64_t dim : array.dims) elements *= static_cast<size_t>(dim);
    ASSERT_EQ(array.data.size(), elements);
  });
}

TEST(LoaderFuzzTest, GzipIdx) {
  std::string path = TempPath("mutated.idx.gz");
  std::string plain = TempPath("plain2.idx");
  WriteIdx(plain, {{6, 4, 3}, std::vector<uint8_t>(72, 9)});
  std::string raw = ReadWholeFile(plain);
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, raw.data(), static_cast<unsigned>(raw.size()));
  gzclose(file);
  std::string original = ReadWholeFile(path);
  Fuzz(original, 2, [&](const std::string& bytes) {
    WriteBytes(path, bytes);
    ReadIdx(path);
  });
}

TEST(LoaderFuzzTest, SafetensorsModelFileAndDescription) {
  ReferenceBackend backend;
  SetSeed(backend, 1);
  ModelFile file;
  file.description = {{"input_shape", {1, 4, 4}},
                      {"layers",
                       {{{"kind", "Conv"}, {"r", 3}, {"s", 3}, {"k", 2}, {"pad", 1}, {"init", "Kaiming"}},
                        {{"kind", "BatchNorm"}},
                        {{"kind", "Pooling"}, {"r", 2}, {"s", 2}},
                        {{"kind", "Flatten"}},
                        {{"kind", "Linear"}, {"nout", 3}, {"init", {{"name", "Uniform"}, {"low", -1}, {"high", 1}}}},
                        {{"kind", "Activation"}, {"transform", "Softmax"}}}}};
  file.training = {{"optimizer", "adam"}};
  Model model(backend, BuildLayers(file.description));
  model.configure({1, 4, 4}, 2);
  model.allocate();
  Adam adam;
  adam.InitStates(model.params());
  std::string saved = TempPath("model.safetensors");
  SaveModel(saved, model, &adam, file);
  std::string original = ReadWholeFile(saved);
  std::string path = TempPath("mutated.safetensors");
  Fuzz(original, 3, [&](const std::string& bytes) {
    WriteBytes(path, bytes);
    ModelFile loaded = ReadModelFile(path);
    auto rebuilt = BuildModel(loaded, backend, 2);
    Adam again;
    LoadOptimizerState(loaded, *rebuilt, again);
  });
}

}  // namespace
}  // namespace neon
