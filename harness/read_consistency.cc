#include "harness/read_consistency.h"

#include <algorithm>

namespace vecgate {

namespace {
constexpr size_t kMaxExamples = 5;
}  // namespace

std::string CollectionRead::Evidence() const {
  std::string out;
  if (count_before != count_after) {
    out = "count " + std::to_string(count_before) + " before the scan, " +
          std::to_string(count_after) + " after";
  } else {
    out = "count " + std::to_string(count_before) + " before and after";
  }
  if (marker_before != marker_after) {
    out += "; changed from (" + marker_before + ") to (" + marker_after + ")";
  }
  if (repeated > 0) out += "; " + std::to_string(repeated) + " ids read twice";
  if (refuted > 0) {
    out += "; " + std::to_string(refuted) + " of " + std::to_string(looked_again) +
           " discrepancies not confirmed by a second look";
    if (!examples.empty()) {
      out += " (";
      for (size_t i = 0; i < examples.size(); ++i) out += (i ? ", " : "") + examples[i];
      out += ")";
    }
  } else if (looked_again > 0) {
    out += "; " + std::to_string(looked_again) + " discrepancies confirmed by a second look";
  }
  return out;
}

void CollectionRead::AddExample(const std::string& text) {
  if (examples.size() < kMaxExamples) examples.push_back(text);
}

nlohmann::json CollectionRead::ToJson() const {
  nlohmann::json j;
  j["store"] = side;
  j["collection"] = collection;
  j["count_before"] = count_before;
  j["count_after"] = count_after;
  j["records_read"] = records_read;
  j["ids_read_twice"] = repeated;
  j["looked_again"] = looked_again;
  j["not_confirmed"] = refuted;
  j["changed_while_read"] = moved() || refuted > 0;
  if (!marker_before.empty() || !marker_after.empty()) {
    j["marker_before"] = marker_before;
    j["marker_after"] = marker_after;
  }
  j["evidence"] = Evidence();
  return j;
}

Result<std::unordered_map<std::string, int>> LookAgain(Store& store,
                                                       const std::string& collection,
                                                       const std::vector<std::string>& ids,
                                                       size_t* asked) {
  std::unordered_map<std::string, int> held;
  Include none;
  none.documents = false;
  none.metadatas = false;
  none.embeddings = false;
  const size_t n = std::min(ids.size(), kMaxLookAgain);
  *asked = n;
  const size_t per_call = std::max<size_t>(1, store.get_batch_size());
  std::vector<std::string> batch;
  for (size_t begin = 0; begin < n; begin += per_call) {
    batch.assign(ids.begin() + static_cast<std::ptrdiff_t>(begin),
                 ids.begin() + static_cast<std::ptrdiff_t>(std::min(n, begin + per_call)));
    auto got = store.Get(collection, batch, none);
    if (!got.ok()) {
      return got.status().WithContext("asking " + store.Describe() + " again for " +
                                      std::to_string(batch.size()) + " ids of " + collection);
    }
    for (const auto& id : got->ids()) ++held[id];
  }
  return held;
}

}  // namespace vecgate
