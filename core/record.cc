// RecordBatch and metadata helpers.
#include "core/record.h"

#include <cmath>
#include <cstdio>

namespace vecgate {

const char* DistanceSpaceName(DistanceSpace space) {
  switch (space) {
    case DistanceSpace::kCosine: return "cosine";
    case DistanceSpace::kL2: return "l2";
    case DistanceSpace::kIp: return "ip";
  }
  return "l2";
}

std::optional<DistanceSpace> ParseDistanceSpace(const std::string& name) {
  if (name == "cosine") return DistanceSpace::kCosine;
  if (name == "l2") return DistanceSpace::kL2;
  if (name == "ip") return DistanceSpace::kIp;
  return std::nullopt;
}

MetadataValue ScalarToValue(const MetadataScalar& scalar) {
  switch (scalar.index()) {
    case 0: return std::get<std::string>(scalar);
    case 1: return std::get<int64_t>(scalar);
    case 2: return std::get<double>(scalar);
    case 3: return std::get<bool>(scalar);
  }
  return MetadataValue();
}

namespace {

const char* ArrayTypeName(const MetadataArray& array) {
  if (array.empty()) return "array";
  bool strings = true, ints = true, numbers = true, bools = true;
  for (const MetadataScalar& e : array) {
    strings &= std::holds_alternative<std::string>(e);
    ints &= std::holds_alternative<int64_t>(e);
    numbers &= std::holds_alternative<int64_t>(e) || std::holds_alternative<double>(e);
    bools &= std::holds_alternative<bool>(e);
  }
  if (strings) return "array<string>";
  if (ints) return "array<int>";
  if (numbers) return "array<float>";
  if (bools) return "array<bool>";
  return "array<mixed>";
}

}  // namespace

const char* MetadataTypeName(const MetadataValue& value) {
  switch (value.index()) {
    case kMetadataNull: return "null";
    case kMetadataString: return "string";
    case kMetadataInt: return "int";
    case kMetadataDouble: return "float";
    case kMetadataBool: return "bool";
    case kMetadataArray: return ArrayTypeName(std::get<MetadataArray>(value));
    case kMetadataNested: return "nested";
  }
  return "null";
}

std::string MetadataValueToString(const MetadataValue& value) {
  switch (value.index()) {
    case kMetadataNull: return "null";
    case kMetadataString: return "\"" + std::get<std::string>(value) + "\"";
    case kMetadataInt: return std::to_string(std::get<int64_t>(value));
    case kMetadataDouble: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", std::get<double>(value));
      return buf;
    }
    case kMetadataBool: return std::get<bool>(value) ? "true" : "false";
    case kMetadataArray: {
      std::string out = "[";
      for (const MetadataScalar& e : std::get<MetadataArray>(value)) {
        if (out.size() > 1) out += ", ";
        out += MetadataValueToString(ScalarToValue(e));
      }
      return out + "]";
    }
    case kMetadataNested: return std::get<NestedJson>(value).json;
  }
  return "null";
}

void RecordBatch::Clear() {
  ids_.clear();
  documents_.clear();
  metadatas_.clear();
  values_.clear();
  offsets_.assign(1, 0);
}

void RecordBatch::Reserve(size_t rows, size_t dimension) {
  ids_.reserve(rows);
  documents_.reserve(rows);
  metadatas_.reserve(rows);
  offsets_.reserve(rows + 1);
  if (dimension != 0 && rows > values_.max_size() / dimension) return;
  values_.reserve(rows * dimension);
}

void RecordBatch::Add(std::string id, std::optional<std::string> document,
                      std::optional<Metadata> metadata, const float* embedding,
                      size_t dim) {
  if (embedding != nullptr && dim > 0) {
    values_.insert(values_.end(), embedding, embedding + dim);
  }
  AppendRowMeta(std::move(id), std::move(document), std::move(metadata));
}

void RecordBatch::AppendRowMeta(std::string id,
                                std::optional<std::string> document,
                                std::optional<Metadata> metadata) {
  ids_.push_back(std::move(id));
  documents_.push_back(std::move(document));
  metadatas_.push_back(std::move(metadata));
  offsets_.push_back(values_.size());
}

void RecordBatch::AddFrom(const RecordBatch& other, size_t i) {
  Add(other.id(i), other.document(i), other.metadata(i), other.embedding(i),
      other.embedding_size(i));
}

size_t RecordBatch::UniformDimension() const {
  if (ids_.empty()) return 0;
  size_t d = embedding_size(0);
  if (d == 0) return 0;
  if (values_.size() != d * ids_.size()) return 0;
  for (size_t i = 1; i < ids_.size(); ++i) {
    if (offsets_[i] != i * d) return 0;
  }
  return d;
}

void RecordBatch::SetEmbedding(size_t i, const float* embedding, size_t dim) {
  size_t old_len = embedding_size(i);
  size_t begin = offsets_[i];
  if (dim == old_len) {
    for (size_t k = 0; k < dim; ++k) values_[begin + k] = embedding[k];
    return;
  }
  std::vector<float> row(embedding, embedding + dim);
  values_.erase(values_.begin() + begin, values_.begin() + begin + old_len);
  values_.insert(values_.begin() + begin, row.begin(), row.end());
  long delta = static_cast<long>(dim) - static_cast<long>(old_len);
  for (size_t r = i + 1; r < offsets_.size(); ++r) {
    offsets_[r] = static_cast<size_t>(static_cast<long>(offsets_[r]) + delta);
  }
}

}  // namespace vecgate
