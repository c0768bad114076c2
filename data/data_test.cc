// IDX reading and the datasets built on it, from small files the test writes:
// gzip and plain files, subsets, and a one-line IoError for every defect.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "backends/reference/reference_backend.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "core/error.h"

namespace neon {
namespace {

namespace fs = std::filesystem;

Backend& Reference() {
  static ReferenceBackend* backend = new ReferenceBackend();
  return *backend;
}

std::string TempDir(const std::string& name) {
  fs::path dir = fs::path(testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void Gzip(const std::string& src, const std::string& dst) {
  std::vector<uint8_t> bytes = ReadBytes(src);
  gzFile file = gzopen(dst.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(file);
}

// An MNIST-format split of `count` images of 3 x 2 pixels (pixel value = 10 * image + pixel)
// and labels image % 10; gzipped when asked.
void WriteSplit(const std::string& dir, const std::string& prefix, int64_t count, int64_t label_count, bool gzip) {
  IdxArray images{{count, 3, 2}, {}};
  for (int64_t i = 0; i < count * 6; ++i) images.data.push_back(static_cast<uint8_t>((i / 6) * 10 + i % 6));
  IdxArray labels{{label_count}, {}};
  for (int64_t i = 0; i < label_count; ++i) labels.data.push_back(static_cast<uint8_t>(i % 10));
  std::string images_path = dir + "/" + prefix + "-images-idx3-ubyte";
  std::string labels_path = dir + "/" + prefix + "-labels-idx1-ubyte";
  WriteIdx(images_path, images);
  WriteIdx(labels_path, labels);
  if (gzip) {
    Gzip(images_path, images_path + ".gz");
    Gzip(labels_path, labels_path + ".gz");
    fs::remove(images_path);
    fs::remove(labels_path);
  }
}

template <typename Fn>
std::string IoErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const IoError& error) {
    return error.what();
  }
  return "(no IoError)";
}

TEST(IdxTest, ReadsGzipAndPlainFilesAlike) {
  for (bool gzip : {false, true}) {
    std::string dir = TempDir(gzip ? "gz" : "plain");
    WriteSplit(dir, "train", 12, 12, gzip);
    Dataset data = LoadMnist(dir, "train");
    EXPECT_EQ(data.size(), 12);
    EXPECT_EQ(data.feature_shape, (Shape{1, 3, 2}));
    EXPECT_EQ(data.labels[11], 1);
    EXPECT_FLOAT_EQ(data.images[5 * 6 + 4], 54.0f / 255.0f);
  }
}

TEST(IdxTest, SubsetKeepsTheFirstSamples) {
  std::string dir = TempDir("subset");
  WriteSplit(dir, "t10k", 12, 12, true);
  Dataset data = LoadMnist(dir, "test", 5);
  EXPECT_EQ(data.size(), 5);
  EXPECT_EQ(data.images.size(), 30u);
  EXPECT_FLOAT_EQ(data.images[29], 45.0f / 255.0f);
}

TEST(IdxTest, MissingFileNamesTheDirectoryAndTheFile) {
  std::string dir = TempDir("missing");
  std::string message = IoErrorOf([&] { LoadMnist(dir, "train"); });
  EXPECT_NE(message.find("no train-images-idx3-ubyte[.gz]"), std::string::npos) << message;
  EXPECT_NE(message.find(dir), std::string::npos) << message;
}

TEST(IdxTest, LabelsThatDoNotMatchTheImagesAreAnError) {
  std::string dir = TempDir("mismatch");
  WriteSplit(dir, "train", 12, 11, false);
  std::string message = IoErrorOf([&] { LoadMnist(dir, "train"); });
  EXPECT_NE(message.find("11 labels but"), std::string::npos) << message;
  EXPECT_NE(message.find("has 12 images"), std::string::npos) << message;
}

TEST(IdxTest, WrongMagicIsAnError) {
  std::string dir = TempDir("magic");
  WriteSplit(dir, "train", 4, 4, false);
  std::string path = dir + "/train-images-idx3-ubyte";
  std::vector<uint8_t> bytes = ReadBytes(path);
  bytes[2] = 0x0D;  // float elements: not ours
  WriteBytes(path, bytes);
  std::string message = IoErrorOf([&] { ReadIdx(path); });
  EXPECT_NE(message.find(path + ": wrong magic number 0x00000d03"), std::string::npos) << message;
}

TEST(IdxTest, TruncatedFilesAreAnErrorAtEveryLength) {
  std::string dir = TempDir("truncated");
  WriteSplit(dir, "train", 4, 4, false);
  std::string path = dir + "/train-images-idx3-ubyte";
  std::vector<uint8_t> bytes = ReadBytes(path);
  std::string cut = dir + "/cut";
  for (size_t length = 0; length < bytes.size(); ++length) {
    WriteBytes(cut, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<int64_t>(length)));
    std::string message = IoErrorOf([&] { ReadIdx(cut); });
    EXPECT_NE(message.find(cut + ": truncated"), std::string::npos) << length << ": " << message;
  }
}

TEST(IdxTest, CorruptGzipIsAnError) {
  std::string dir = TempDir("corrupt");
  WriteSplit(dir, "train", 40, 40, true);
  std::string path = dir + "/train-images-idx3-ubyte.gz";
  std::vector<uint8_t> bytes = ReadBytes(path);
  for (size_t i = 12; i < bytes.size() - 8; ++i) bytes[i] ^= 0x5A;  // the deflate stream, not the gzip header
  WriteBytes(path, bytes);
  std::string message = IoErrorOf([&] { LoadMnist(dir, "train"); });
  EXPECT_EQ(message.find(path + ": "), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(IdxTest, HugeDimensionsAreAnErrorNotAnAllocation) {
  std::string dir = TempDir("huge");
  std::string path = dir + "/huge";
  WriteBytes(path, {0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  std::string message = IoErrorOf([&] { ReadIdx(path); });
  EXPECT_NE(message.find("more than 2^34 elements"), std::string::npos) << message;
}

TEST(IdxTest, AHeaderPromisingGigabytesInATinyFileFailsWithoutAllocatingThem) {
  std::string path = TempDir("promise") + "/promise";
  // 2^31 x 2 x 2 elements (8 GiB) announced, 4 bytes present.
  WriteBytes(path, {0, 0, 8, 3, 0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4});
  std::string message = IoErrorOf([&] { ReadIdx(path); });
  EXPECT_NE(message.find(path + ": truncated: the file ends inside the data"), std::string::npos) << message;
}

TEST(SyntheticDatasetTest, SameSeedSameDataAndIteratorCoversIt) {
  Dataset a = SyntheticDataset(10, 8, 4, 3);
  Dataset b = SyntheticDataset(10, 8, 4, 3);
  EXPECT_EQ(a.images, b.images);
  EXPECT_EQ(a.labels, b.labels);
  auto data = MakeIterator(Reference(), a, 4, /*shuffle=*/true, 1);
  EXPECT_EQ(data->feature_shape(), (Shape{1, 8, 8}));
  EXPECT_EQ(data->target_rows(), 4);
  Batch batch;
  int64_t valid = 0;
  while (data->next(batch)) valid += batch.valid;
  EXPECT_EQ(valid, 10);
  EXPECT_EQ(batch.x.shape(), (Shape{1, 8, 8, 4}));
}

}  // namespace
}  // namespace neon
