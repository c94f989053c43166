// Whether a scan saw one state of a collection, and second looks at what
// the checks would accuse.
//
// Stores are often written while vecgate reads them (a zero-downtime
// migration keeps dual writes on while the copy is gated). A scan that pages
// by offset then skips a record that moved behind its cursor and reads
// another twice: "150 missing, 150 duplicate ids" that were never missing or
// duplicated. So for every collection it reads, the runner records
//
//   - its count before and after the scan, and the store's change marker
//     (Store::ChangeMarker) before and after;
//   - the ids read twice in the one scan;
//   - a second look (get by id) at every id the checks would call missing,
//     extra or duplicated: an id reported missing that the store does hold,
//     an extra that the other store holds, a "duplicate" the store holds
//     once, is refuted, and the read that produced it was not consistent.
//
// A run whose reads were not all consistent is read again (RunValidation)
// until one is, within the suite's reads.settle_seconds; if none is, the run
// ends in exit 3 with the collections and the evidence, never with a verdict
// built on a moving cursor. With reads.live (the application writes to both
// stores during the run), counts and markers are expected to move and only
// refuted discrepancies make a read inconsistent.
#ifndef VECGATE_HARNESS_READ_CONSISTENCY_H_
#define VECGATE_HARNESS_READ_CONSISTENCY_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/store.h"

namespace vecgate {

// One scan of one collection.
struct CollectionRead {
  std::string side;  // "old" or "new"
  std::string collection;
  int64_t count_before = 0;
  int64_t count_after = 0;
  int64_t records_read = 0;
  std::string marker_before;
  std::string marker_after;
  int64_t repeated = 0;   // ids read twice in this scan
  int64_t looked_again = 0;  // discrepancies asked for again by id
  int64_t refuted = 0;    // ... that the second look did not confirm
  std::vector<std::string> examples;  // a few refuted ids with what was seen

  bool moved() const {
    return count_before != count_after || marker_before != marker_after;
  }
  // Consistent for a verdict: nothing refuted and, unless `live`, the
  // collection did not move.
  bool consistent(bool live) const { return refuted == 0 && (live || !moved()); }
  // "count 19664 before the scan, 19670 after; 150 ids read twice; 150 of
  // 300 discrepancies not confirmed by a second look (e.g. chunk-17: missing
  // in the scan, present by id)", or "unchanged (count 19664 before and
  // after)".
  std::string Evidence() const;
  nlohmann::json ToJson() const;
  void AddExample(const std::string& text);
};

// How many records `store` holds under each of `ids` in `collection` (ids
// with none are absent), asked by id in batches. At most kMaxLookAgain ids
// are asked; `*asked` says how many were.
constexpr size_t kMaxLookAgain = 100000;
Result<std::unordered_map<std::string, int>> LookAgain(Store& store,
                                                       const std::string& collection,
                                                       const std::vector<std::string>& ids,
                                                       size_t* asked);

}  // namespace vecgate

#endif  // VECGATE_HARNESS_READ_CONSISTENCY_H_
