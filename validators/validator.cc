// Shared pieces of the checks: status names, titles, capped finding lists
// and hashing.
#include "validators/validator.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "suites/checks.h"

namespace vecgate {

const char* CheckStatusName(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPass: return "PASS";
    case CheckStatus::kWarn: return "WARN";
    case CheckStatus::kFail: return "FAIL";
  }
  return "FAIL";
}

int64_t FindingList::Add(const std::string& collection, const std::string& id,
                         const std::string& problem) {
  ++total_;
  if (static_cast<int64_t>(findings_.size()) >= cap_) return -1;
  Finding f;
  f.collection = collection;
  f.id = id;
  f.problem = problem;
  findings_.push_back(std::move(f));
  return static_cast<int64_t>(findings_.size()) - 1;
}

void FindingList::MoveTo(CheckResult& result) {
  result.findings_total += total_;
  for (auto& f : findings_) result.findings.push_back(std::move(f));
  findings_.clear();
  total_ = 0;
}

uint64_t HashBytes(const void* data, size_t n) {
  uint64_t h = XXH3_64bits(data, n);
  return h == 0 ? 1 : h;  // 0 means "absent" in digests
}

namespace {

uint64_t HashString(const std::string& s, uint64_t tag) {
  return HashBytes(s.data(), s.size()) ^ tag;
}

uint64_t HashInt(int64_t v) { return HashBytes(&v, sizeof(v)) ^ 0x2; }

// Numbers hash by value: a double that is an int64 hashes as that int, so
// 1.0 and 1 (what a JavaScript writer makes of it) are equal for content,
// duplicates and citations alike.
uint64_t HashDouble(double v) {
  if (v >= -9223372036854775808.0 && v < 9223372036854775808.0 && v == std::trunc(v)) {
    return HashInt(static_cast<int64_t>(v));
  }
  return HashBytes(&v, sizeof(v)) ^ 0x3;
}

uint64_t HashScalar(const MetadataScalar& e) {
  switch (e.index()) {
    case 0: return HashString(std::get<std::string>(e), 0x1);
    case 1: return HashInt(std::get<int64_t>(e));
    case 2: return HashDouble(std::get<double>(e));
    case 3: return std::get<bool>(e) ? 0x44 : 0x45;
  }
  return 0x55;
}

}  // namespace

uint64_t HashMetadataValue(const MetadataValue& value) {
  switch (value.index()) {
    case kMetadataString: return HashString(std::get<std::string>(value), 0x1);
    case kMetadataInt: return HashInt(std::get<int64_t>(value));
    case kMetadataDouble: return HashDouble(std::get<double>(value));
    case kMetadataBool: return std::get<bool>(value) ? 0x44 : 0x45;
    case kMetadataArray: {
      // The list in order, each element by the rules above (so [1.0] and
      // [1] hash alike); the length keeps ["a"] apart from "a".
      const MetadataArray& array = std::get<MetadataArray>(value);
      uint64_t h = 0x6a09e667f3bcc908ULL ^ array.size();
      for (const MetadataScalar& e : array) {
        h ^= HashScalar(e) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      }
      return h ^ 0x6;
    }
    case kMetadataNested: return HashString(std::get<NestedJson>(value).json, 0x7);
  }
  return 0x55;
}

uint64_t CitationHash(const MetadataValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return HashBytes(s->data(), s->size());
  if (std::holds_alternative<std::monostate>(value)) return 0;
  const uint64_t h = HashMetadataValue(value);
  return h == 0 ? 1 : h;
}

uint64_t HashMetadata(const Metadata& m) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (const auto& [key, value] : m) {
    uint64_t kh = HashBytes(key.data(), key.size());
    h ^= kh + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= HashMetadataValue(value) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  }
  return h == 0 ? 1 : h;
}

uint32_t CountChars(const std::string& text) {
  uint32_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

namespace {
constexpr uint64_t kPayloadMask = (uint64_t{1} << 45) - 1;
constexpr int64_t kExactIntLimit = int64_t{1} << 44;
}  // namespace

FieldDigests::Type FieldDigests::TypeOf(const MetadataValue& value) {
  switch (value.index()) {
    case kMetadataString: return kString;
    case kMetadataInt: {
      int64_t v = std::get<int64_t>(value);
      return v >= -kExactIntLimit && v < kExactIntLimit ? kIntExact : kIntHashed;
    }
    case kMetadataDouble: return kDouble;
    case kMetadataBool: return kBool;
    case kMetadataArray: return kArray;
    case kMetadataNested: return kNested;
  }
  return kNull;
}

uint64_t FieldDigests::Payload(const MetadataValue& value) {
  switch (TypeOf(value)) {
    case kString: {
      const auto& s = std::get<std::string>(value);
      return HashBytes(s.data(), s.size()) & kPayloadMask;
    }
    case kIntExact: return static_cast<uint64_t>(std::get<int64_t>(value)) & kPayloadMask;
    case kIntHashed: {
      int64_t v = std::get<int64_t>(value);
      return HashBytes(&v, sizeof(v)) & kPayloadMask;
    }
    case kBool: return std::get<bool>(value) ? 1 : 0;
    case kArray:
    case kNested: return HashMetadataValue(value) & kPayloadMask;
    case kDouble:
    case kNull: return 0;
  }
  return 0;
}

void FieldDigests::Append(const Metadata& metadata, uint32_t* begin, uint32_t* count) {
  *begin = static_cast<uint32_t>(std::min<size_t>(words_.size(), 0xFFFFFFFEu));
  *count = 0;
  if (words_.size() + 2 * metadata.size() >= 0xFFFFFFF0u) {
    *count = kFieldsUnknown;
    return;
  }
  for (const auto& [key, value] : metadata) {
    auto it = key_ids_.find(key);
    if (it == key_ids_.end()) {
      if (keys_.size() >= 0xFFFF) {  // more distinct keys than the id holds
        words_.resize(*begin);
        *count = kFieldsUnknown;
        return;
      }
      it = key_ids_.emplace(key, static_cast<uint16_t>(keys_.size())).first;
      keys_.push_back(key);
    }
    const Type type = TypeOf(value);
    words_.push_back((uint64_t{it->second} << 48) | (uint64_t{type} << 45) | Payload(value));
    if (type == kDouble) {
      double d = std::get<double>(value);
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof(bits));
      words_.push_back(bits);
    } else if (type == kArray) {
      words_.push_back(arrays_.size());
      arrays_.push_back(std::get<MetadataArray>(value));
    }
    ++*count;
  }
}

std::vector<FieldDigests::Entry> FieldDigests::Read(uint32_t begin, uint32_t count) const {
  std::vector<Entry> out;
  if (count == kFieldsUnknown) return out;
  size_t w = begin;
  for (uint32_t i = 0; i < count && w < words_.size(); ++i) {
    const uint64_t word = words_[w++];
    Entry e;
    const uint16_t key = static_cast<uint16_t>(word >> 48);
    e.key = key < keys_.size() ? std::string_view(keys_[key]) : std::string_view();
    e.type = static_cast<Type>((word >> 45) & 0x7);
    e.payload = word & kPayloadMask;
    e.number = 0;
    e.array = nullptr;
    if (e.type == kDouble && w < words_.size()) {
      uint64_t bits = words_[w++];
      std::memcpy(&e.number, &bits, sizeof(bits));
    } else if (e.type == kArray && w < words_.size()) {
      const uint64_t slot = words_[w++];
      if (slot < arrays_.size()) e.array = &arrays_[slot];
    }
    out.push_back(e);
  }
  return out;
}

void FieldDigests::Clear() {
  words_.clear();
  words_.shrink_to_fit();
  key_ids_.clear();
  keys_.clear();
  arrays_.clear();
  arrays_.shrink_to_fit();
}

std::string Validator::title() const {
  const CheckInfo* info = FindCheckInfo(name());
  return info != nullptr ? std::string(info->title) : std::string(name());
}

}  // namespace vecgate
