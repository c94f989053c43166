// Unit tests of the record model and Status/Result.
#include "core/record.h"

#include <gtest/gtest.h>

#include "core/status.h"

namespace vecgate {
namespace {

TEST(RecordBatchTest, RowsShareOneContiguousBlock) {
  RecordBatch b;
  float a[3] = {1, 2, 3}, c[3] = {4, 5, 6};
  b.Add("a", "doc", std::nullopt, a, 3);
  b.Add("c", std::nullopt, Metadata{{"k", int64_t{1}}}, c, 3);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.UniformDimension(), 3u);
  EXPECT_EQ(b.embedding(1), b.values().data() + 3);
  EXPECT_EQ(b.embedding(1)[2], 6.0f);
  EXPECT_EQ(*b.document(0), "doc");
  EXPECT_FALSE(b.document(1).has_value());
}

TEST(RecordBatchTest, RaggedRowsAreKeptAndNotUniform) {
  RecordBatch b;
  float a[3] = {1, 2, 3};
  b.Add("a", std::nullopt, std::nullopt, a, 3);
  b.Add("short", std::nullopt, std::nullopt, a, 2);
  b.Add("none", std::nullopt, std::nullopt, nullptr, 0);
  EXPECT_EQ(b.UniformDimension(), 0u);
  EXPECT_EQ(b.embedding_size(1), 2u);
  EXPECT_FALSE(b.has_embedding(2));
}

TEST(RecordBatchTest, SetEmbeddingOfAnotherLengthShiftsLaterRows) {
  RecordBatch b;
  float a[2] = {1, 2}, c[2] = {3, 4}, longer[4] = {9, 9, 9, 9};
  b.Add("a", std::nullopt, std::nullopt, a, 2);
  b.Add("c", std::nullopt, std::nullopt, c, 2);
  b.SetEmbedding(0, longer, 4);
  EXPECT_EQ(b.embedding_size(0), 4u);
  EXPECT_EQ(b.embedding(1)[0], 3.0f);
  EXPECT_EQ(b.embedding(1)[1], 4.0f);
}

TEST(MetadataTest, TypeNamesAndRendering) {
  EXPECT_STREQ(MetadataTypeName(MetadataValue(std::string("x"))), "string");
  EXPECT_STREQ(MetadataTypeName(MetadataValue(int64_t{3})), "int");
  EXPECT_STREQ(MetadataTypeName(MetadataValue(0.5)), "float");
  EXPECT_STREQ(MetadataTypeName(MetadataValue(true)), "bool");
  EXPECT_EQ(MetadataValueToString(MetadataValue(0.75)), "0.75");
  EXPECT_EQ(ParseDistanceSpace("ip"), DistanceSpace::kIp);
  EXPECT_FALSE(ParseDistanceSpace("manhattan").has_value());
}

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument(std::to_string(x) + " is odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "InvalidArgument: 3 is odd");
  EXPECT_EQ(r.status().WithContext("quartering").message(), "quartering: 3 is odd");
}

}  // namespace
}  // namespace vecgate
