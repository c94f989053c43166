// The content check: did the migration keep what each record says?
//
// For every id present in both stores (joined through OldIndex, so nothing
// is read twice and no document is held beyond its page):
// - the document, exactly (by hash): lost, added, truncated (shorter with
//   the same first kDocumentPrefixBytes bytes), "now equals record X's"
//   (the off-by-one zip of documents against ids) or changed;
// - every metadata key and value, typed: ints and bools exactly, numbers by
//   value (1.0 equals 1, doubles within content.max_ulps units in the last
//   place), strings by hash, arrays element by element by the same rules
//   (a dropped element, a reordered list, a list turned into a string are
//   changes, shown with both lists); a key lost; a change of kind (number
//   to string) is a change. Keys only the new records have, on records that kept every
//   old key and value, are counted per key and WARN (a writer's own keys,
//   such as LlamaIndex TS's create_date); content.new_fields_allowed accepts
//   them; fields in content.ignore_fields are not compared. The id mapping's
//   key and the keys a store's layout owns never reach this check;
// - per collection, the dimension and the distance space: a change is a
//   FAIL finding naming both values, unless the suite declares the
//   migration a re-embedding (content.reembedding).
// Embedding bytes are embedding_integrity's (the drift rule).
//
// The changed percentage counts records with any change; above
// content.fail_percent FAIL, above warn_percent WARN. Metrics count the
// changes per kind and per metadata field, so the report can say
// "documents changed in 9,832 records; metadata field disputed changed in
// 491". Findings: "document truncated 1204 -> 200 chars",
// "metadata.disputed true -> false", "document differs (now equals record
// X's)", "dimension 384 -> 256".
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/text.h"
#include "validators/check_util.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::FormatFixed;
using check_util::FormatNumber;
using check_util::Percent;

// Distance in units in the last place between two doubles (saturating).
uint64_t UlpDistance(double a, double b) {
  if (a == b) return 0;
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : UINT64_MAX;
  int64_t ia, ib;
  std::memcpy(&ia, &a, sizeof(a));
  std::memcpy(&ib, &b, sizeof(b));
  // Map the sign-magnitude order onto a monotonic integer line.
  if (ia < 0) ia = INT64_MIN - ia;
  if (ib < 0) ib = INT64_MIN - ib;
  const uint64_t d = ia > ib ? static_cast<uint64_t>(ia) - static_cast<uint64_t>(ib)
                             : static_cast<uint64_t>(ib) - static_cast<uint64_t>(ia);
  return d;
}

const char* TypeName(FieldDigests::Type t) {
  switch (t) {
    case FieldDigests::kString: return "string";
    case FieldDigests::kIntExact:
    case FieldDigests::kIntHashed: return "int";
    case FieldDigests::kDouble: return "float";
    case FieldDigests::kBool: return "bool";
    case FieldDigests::kNull: return "null";
    case FieldDigests::kArray: return "array";
    case FieldDigests::kNested: return "nested";
  }
  return "null";
}

// An old field's type as MetadataTypeName names it ("array<string>").
std::string OldTypeName(const FieldDigests::Entry& e) {
  if (e.type == FieldDigests::kArray && e.array != nullptr) {
    return MetadataTypeName(MetadataValue(*e.array));
  }
  return TypeName(e.type);
}

bool IsInt(FieldDigests::Type t) {
  return t == FieldDigests::kIntExact || t == FieldDigests::kIntHashed;
}

// A double as a finding prints it: shortest exact form, and "1.0" rather
// than "1", so a float never reads like the int beside it.
std::string FloatText(double v) {
  std::string text = FormatNumber(v);
  if (std::isfinite(v) && text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string ScalarText(const MetadataScalar& e) {
  if (const auto* d = std::get_if<double>(&e)) return FloatText(*d);
  return MetadataValueToString(ScalarToValue(e));
}

// ["a", "b"], shortened to about 80 characters.
std::string ArrayText(const MetadataArray& array) {
  std::string text = "[";
  for (const MetadataScalar& e : array) {
    if (text.size() > 1) text += ", ";
    text += ScalarText(e);
    if (text.size() > 80) return text.substr(0, 77) + "...]";
  }
  return text + "]";
}

// The int a kIntExact digest holds: its 45-bit payload, sign-extended.
int64_t ExactInt(const FieldDigests::Entry& e) {
  return static_cast<int64_t>(e.payload << 19) >> 19;
}

// How an old field reads in a finding: the value when the digest holds it.
std::string OldValueText(const FieldDigests::Entry& e) {
  switch (e.type) {
    case FieldDigests::kBool: return e.payload ? "true" : "false";
    case FieldDigests::kIntExact: return std::to_string(ExactInt(e));
    case FieldDigests::kDouble: return FloatText(e.number);
    case FieldDigests::kNull: return "null";
    case FieldDigests::kString: return "a string";
    case FieldDigests::kIntHashed: return "an int";
    case FieldDigests::kArray: return e.array != nullptr ? ArrayText(*e.array) : "an array";
    case FieldDigests::kNested: return "nested JSON";
  }
  return "?";
}

std::string NewValueText(const MetadataValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return FloatText(*d);
  if (const auto* a = std::get_if<MetadataArray>(&v)) return ArrayText(*a);
  std::string text = MetadataValueToString(v);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

class ContentValidator : public Validator {
 public:
  const char* name() const override { return "content"; }

  Status OnBeginRun() override {
    findings_ = std::make_unique<FindingList>(suite().max_findings);
    ignored_.clear();
    ignored_.insert(suite().content.ignore_fields.begin(), suite().content.ignore_fields.end());
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext& group) override {
    g_ = GroupCounts();
    old_documents_.clear();
    if (!group.new_exists) return Status::Ok();  // count reports a missing collection
    const ContentThresholds& t = suite().content;
    for (const CollectionInfo& old : group.old_info) {
      const CollectionInfo& now = group.new_info;
      if (old.dimension > 0 && now.dimension > 0 && old.dimension != now.dimension) {
        Structural(group, old.name, "dimension " + std::to_string(old.dimension) + " -> " +
                                        std::to_string(now.dimension),
                   t.reembedding);
      }
      if (old.space != now.space && (old.dimension > 0 || now.dimension > 0)) {
        Structural(group, old.name,
                   std::string("distance space ") + DistanceSpaceName(old.space) + " -> " +
                       DistanceSpaceName(now.space),
                   t.reembedding);
      }
    }
    return Status::Ok();
  }

  Status OnOldPage(const GroupContext& group, const RecordBatch& page, size_t) override {
    // First holder of each old document, to name the record whose document a
    // changed record now carries. Points at OldIndex's own keys.
    for (size_t i = 0; i < page.size(); ++i) {
      if (!page.document(i)) continue;
      auto it = group.old_index->find(page.id(i));
      if (it == group.old_index->end()) continue;
      old_documents_.try_emplace(it->second.document_hash, &it->first);
    }
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage& joined) override {
    for (size_t i = 0; i < page.size(); ++i) {
      const OldRecordDigest* old = joined.old[i];
      if (old == nullptr) continue;  // count's business
      ++g_.compared;
      bool changed = CompareDocument(group, page, i, *old);
      changed |= CompareMetadata(group, page, i, *old);
      if (changed) {
        ++g_.changed;
        faults_.Mark(group, old);
      }
    }
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    ShowBothSides(group);
    nlohmann::json row;
    row["collection"] = group.target;
    row["records_compared"] = g_.compared;
    row["records_changed"] = g_.changed;
    row["documents_changed"] = g_.documents;
    row["metadata_changed"] = g_.metadata;
    row["structure"] = g_.structure.empty() ? "same" : g_.structure;
    per_collection_.push_back(std::move(row));
    compared_ += g_.compared;
    changed_ += g_.changed;
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    const ContentThresholds& t = suite().content;
    const double pct = Percent(changed_, compared_);
    r.status = check_util::StatusFromBadPercent(pct, t.warn_percent, t.fail_percent);
    r.criteria.push_back(check_util::PercentCriterion(
        "records whose document or metadata changed", pct, t.warn_percent, t.fail_percent,
        changed_, compared_));
    Criterion structure;
    structure.what = "dimension and distance space of every collection";
    structure.observed = structural_.empty() ? "unchanged" : Join(structural_);
    structure.limit = t.reembedding ? "may change (content.reembedding)" : "FAIL on any change";
    structure.status =
        !structural_.empty() && !t.reembedding ? CheckStatus::kFail : CheckStatus::kPass;
    r.criteria.push_back(structure);
    r.status = check_util::Worse(r.status, structure.status);
    if (added_only_records_ > 0) {
      Criterion added;
      added.what = "keys only the new store's records have (the old ones kept every key and value)";
      added.observed = AddedKeysText() + " (" + std::to_string(added_only_records_) + " records)";
      added.limit = "WARN; content.new_fields_allowed or content.ignore_fields accepts them";
      added.status = CheckStatus::kWarn;
      r.criteria.push_back(added);
      r.status = check_util::Worse(r.status, added.status);
    }

    r.metrics["records_compared"] = compared_;
    r.metrics["records_changed"] = changed_;
    r.metrics["changed_percentage"] = pct;
    nlohmann::json docs = nlohmann::json::object();
    for (const auto& [kind, n] : document_kinds_) docs[kind] = n;
    r.metrics["document_changes"] = docs;
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [field, n] : field_changes_) fields[field] = n;
    r.metrics["metadata_field_changes"] = fields;
    nlohmann::json added_keys = nlohmann::json::object();
    for (const auto& [key, n] : added_keys_) added_keys[key] = n;
    r.metrics["added_keys"] = added_keys;
    r.metrics["records_with_only_added_keys"] = added_only_records_;
    r.metrics["structural_changes"] = structural_;
    r.metrics["ignore_fields"] = suite().content.ignore_fields;
    r.metrics["reembedding"] = t.reembedding;
    r.per_collection = per_collection_;

    int64_t documents = 0;
    for (const auto& [kind, n] : document_kinds_) documents += n;
    r.summary = std::to_string(changed_) + " of " + std::to_string(compared_) +
                " records changed (" + FormatFixed(pct, 3) + " %)";
    if (documents > 0) {
      r.summary += "; documents changed in " + std::to_string(documents) + " records";
    }
    // The three most changed metadata fields.
    std::vector<std::pair<int64_t, std::string>> top;
    for (const auto& [field, n] : field_changes_) top.push_back({-n, field});
    std::sort(top.begin(), top.end());
    for (size_t k = 0; k < top.size() && k < 3; ++k) {
      r.summary += "; metadata field " + top[k].second + " changed in " +
                   std::to_string(-top[k].first);
    }
    if (top.size() > 3) r.summary += " (and " + std::to_string(top.size() - 3) + " more fields)";
    if (!structural_.empty()) r.summary += "; " + Join(structural_);
    if (added_only_records_ > 0) {
      r.summary += "; keys added by the writer: " + AddedKeysText();
    }
    if (r.status == CheckStatus::kFail) r.failed_collections = faults_.ToVector();
    {
      const bool records_failed = check_util::StatusFromBadPercent(pct, t.warn_percent,
                                                                   t.fail_percent) ==
                                  CheckStatus::kFail;
      const bool structure_failed = structure.status == CheckStatus::kFail;
      r.rollback_reason = structure_failed && records_failed ? "Collection Structure and Content Changed"
                          : structure_failed                ? "Collection Structure Changed"
                                                            : "Content Changed";
    }
    findings_->MoveTo(r);
    return r;
  }

 private:
  struct GroupCounts {
    int64_t compared = 0, changed = 0, documents = 0, metadata = 0;
    std::string structure;
  };

  // "create_date in 3000 records, chroma_id in 3000 records".
  std::string AddedKeysText() const {
    std::string out;
    for (const auto& [key, n] : added_keys_) {
      out += (out.empty() ? "" : ", ") + key + " in " + std::to_string(n) + " records";
    }
    return out;
  }

  static std::string Join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
  }

  void Structural(const GroupContext& group, const std::string& source, const std::string& what,
                  bool declared) {
    const std::string text = (group.old_info.size() > 1 ? source + " -> " : "") + group.target +
                             ": " + what + (declared ? " (declared re-embedding)" : "");
    structural_.push_back(text);
    g_.structure += (g_.structure.empty() ? "" : "; ") + what;
    if (!declared) {
      findings_->Add(group.target, "", what);
      faults_.Add(source);
    }
  }

  bool CompareDocument(const GroupContext& group, const RecordBatch& page, size_t i,
                       const OldRecordDigest& old) {
    const std::optional<std::string>& doc = page.document(i);
    const uint64_t hash = doc ? HashBytes(doc->data(), doc->size()) : 0;
    if (hash == old.document_hash) return false;
    std::string kind, problem;
    if (!doc) {
      kind = "lost";
      problem = "document lost (was " + std::to_string(old.document_chars) + " chars)";
    } else if (old.document_hash == 0) {
      kind = "added";
      problem = "document added (" + std::to_string(CountChars(*doc)) + " chars)";
    } else {
      const uint32_t chars = CountChars(*doc);
      auto other = old_documents_.find(hash);
      if (other != old_documents_.end() && *other->second != page.id(i)) {
        kind = "now_another_records";
        problem = "document differs (now equals record " + *other->second + "'s)";
      } else if (chars < old.document_chars && doc->size() >= kDocumentPrefixBytes &&
                 HashBytes(doc->data(), kDocumentPrefixBytes) == old.document_prefix_hash) {
        kind = "truncated";
        problem = "document truncated " + std::to_string(old.document_chars) + " -> " +
                  std::to_string(chars) + " chars";
      } else if (doc->empty()) {
        kind = "emptied";
        problem = "document emptied (was " + std::to_string(old.document_chars) + " chars)";
      } else {
        kind = "changed";
        problem = "document changed (" + std::to_string(old.document_chars) + " -> " +
                  std::to_string(chars) + " chars)";
      }
    }
    ++document_kinds_[kind];
    ++g_.documents;
    const int64_t at = findings_->Add(group.target, page.id(i), problem);
    if (at >= 0) {
      Finding& f = findings_->at(at);
      f.field = "document";
      f.kind = kind;
      Pending p;
      p.finding = at;
      p.source = old.source_index;
      p.id = page.id(i);
      p.new_document = doc ? doc->substr(0, kMaxDocumentShown) : std::string();
      p.document = kind != "added";
      pending_.push_back(std::move(p));
    }
    return true;
  }

  bool CompareMetadata(const GroupContext& group, const RecordBatch& page, size_t i,
                       const OldRecordDigest& old) {
    const std::optional<Metadata>& meta = page.metadata(i);
    const uint64_t hash = meta ? HashMetadata(*meta) : 0;
    if (hash == old.metadata_hash) return false;
    if (old.fields_count == kFieldsUnknown || group.old_fields == nullptr) {
      ++field_changes_["(metadata)"];
      ++g_.metadata;
      findings_->Add(group.target, page.id(i), "metadata changed");
      return true;
    }
    const std::vector<FieldDigests::Entry> before =
        old.metadata_hash == 0 ? std::vector<FieldDigests::Entry>()
                               : group.old_fields->Read(old.fields_begin, old.fields_count);
    static const Metadata kEmpty;
    const Metadata& after = meta ? *meta : kEmpty;
    std::vector<std::string> problems;
    std::vector<std::string> added;  // keys only the new record has, as findings say them
    std::vector<std::string> added_keys;
    std::string first_key, first_new;  // the first changed key, for the finding
    auto b = before.begin();
    auto a = after.begin();
    while (b != before.end() || a != after.end()) {
      const bool take_old = a == after.end() || (b != before.end() && b->key < a->first);
      const bool take_new = b == before.end() || (a != after.end() && a->first < b->key);
      if (take_old) {
        const std::string key(b->key);
        if (!ignored_.count(key)) {
          if (problems.empty()) first_key = key;
          problems.push_back("metadata." + key + " lost (was " + OldValueText(*b) + ")");
          ++field_changes_[key];
        }
        ++b;
      } else if (take_new) {
        if (!ignored_.count(a->first) && !suite().content.new_fields_allowed) {
          added.push_back("metadata." + a->first + " added (" + NewValueText(a->second) + ")");
          added_keys.push_back(a->first);
          ++added_keys_[a->first];
        }
        ++a;
      } else {
        const std::string key(b->key);
        if (!ignored_.count(key)) {
          std::string what = CompareValue(*b, a->second);
          if (!what.empty()) {
            if (problems.empty()) {
              first_key = key;
              first_new = NewValueText(a->second);
            }
            problems.push_back("metadata." + key + " " + what);
            ++field_changes_[key];
          }
        }
        ++a;
        ++b;
      }
    }
    if (problems.empty()) {
      // Every old key and value is there: keys the writer added are a
      // warning of their own, not a changed record.
      if (!added.empty()) ++added_only_records_;
      return false;
    }
    problems.insert(problems.end(), added.begin(), added.end());
    for (const auto& key : added_keys) ++field_changes_[key];
    ++g_.metadata;
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    const int64_t at = findings_->Add(group.target, page.id(i), text);
    if (at >= 0) {
      Finding& f = findings_->at(at);
      f.field = "metadata." + first_key;
      f.kind = "changed";
      f.new_value = first_new;
      Pending p;
      p.finding = at;
      p.source = old.source_index;
      p.id = page.id(i);
      p.key = first_key;
      pending_.push_back(std::move(p));
    }
    return true;
  }

  // "" when equal, else "true -> false", "type float -> string (1.5 -> \"1.5\")".
  // Numbers compare by value whatever their kind: a writer that turns 1.0
  // into 1 (JavaScript does) changed nothing.
  std::string CompareValue(const FieldDigests::Entry& old, const MetadataValue& now) const {
    const FieldDigests::Type type = FieldDigests::TypeOf(now);
    const bool old_number = old.type == FieldDigests::kDouble || IsInt(old.type);
    const bool new_number = type == FieldDigests::kDouble || IsInt(type);
    if (old_number && new_number && (old.type == FieldDigests::kDouble || type == FieldDigests::kDouble)) {
      if (NumbersEqual(old, now)) return "";
      return OldValueText(old) + " -> " + NewValueText(now);
    }
    const bool same_type = old.type == type || (IsInt(old.type) && IsInt(type));
    if (!same_type) {
      return "type " + OldTypeName(old) + " -> " + MetadataTypeName(now) + " (" +
             OldValueText(old) + " -> " + NewValueText(now) + ")";
    }
    if (type == FieldDigests::kArray && old.array != nullptr) {
      return CompareArrays(*old.array, std::get<MetadataArray>(now));
    }
    if (old.type == type && old.payload == FieldDigests::Payload(now)) return "";
    if (old.type == FieldDigests::kString || old.type == FieldDigests::kIntHashed ||
        old.type == FieldDigests::kNested || old.type == FieldDigests::kArray ||
        type == FieldDigests::kIntHashed) {
      return "changed (now " + NewValueText(now) + ")";
    }
    return OldValueText(old) + " -> " + NewValueText(now);
  }

  // "" when the lists are equal element by element (numbers by value, as
  // single values are), else both lists and what happened: "[\"a\", \"b\"]
  // -> [\"b\", \"a\"] (reordered)", "(1 element dropped)", "(element 2
  // 0.5 -> 0.25)".
  std::string CompareArrays(const MetadataArray& before, const MetadataArray& after) const {
    auto equal = [this](const MetadataScalar& x, const MetadataScalar& y) {
      const bool x_number = x.index() == 1 || x.index() == 2;
      const bool y_number = y.index() == 1 || y.index() == 2;
      if (x_number && y_number) {
        const double u = x.index() == 1 ? static_cast<double>(std::get<int64_t>(x))
                                        : std::get<double>(x);
        const double v = y.index() == 1 ? static_cast<double>(std::get<int64_t>(y))
                                        : std::get<double>(y);
        if (x.index() == 1 && y.index() == 1) return std::get<int64_t>(x) == std::get<int64_t>(y);
        return UlpDistance(u, v) <= static_cast<uint64_t>(suite().content.max_ulps);
      }
      return x == y;
    };
    size_t first_difference = 0;
    while (first_difference < before.size() && first_difference < after.size() &&
           equal(before[first_difference], after[first_difference])) {
      ++first_difference;
    }
    if (first_difference == before.size() && first_difference == after.size()) return "";
    std::string what;
    if (before.size() == after.size()) {
      // Reordered when every element still appears as often (by value).
      std::vector<bool> used(after.size(), false);
      bool permutation = true;
      for (const MetadataScalar& x : before) {
        bool found = false;
        for (size_t k = 0; k < after.size() && !found; ++k) {
          if (!used[k] && equal(x, after[k])) used[k] = found = true;
        }
        permutation &= found;
      }
      what = permutation ? "reordered"
                         : "element " + std::to_string(first_difference) + " " +
                               ScalarText(before[first_difference]) + " -> " +
                               ScalarText(after[first_difference]);
    } else if (after.size() < before.size()) {
      const size_t n = before.size() - after.size();
      what = std::to_string(n) + (n == 1 ? " element" : " elements") + " dropped";
    } else {
      const size_t n = after.size() - before.size();
      what = std::to_string(n) + (n == 1 ? " element" : " elements") + " added";
    }
    return ArrayText(before) + " -> " + ArrayText(after) + " (" + what + ")";
  }

  // An old number against a new one, at least one of them a double: equal
  // within content.max_ulps, an int taken at its double value.
  bool NumbersEqual(const FieldDigests::Entry& old, const MetadataValue& now) const {
    const uint64_t ulps = static_cast<uint64_t>(suite().content.max_ulps);
    if (old.type == FieldDigests::kIntHashed) {
      // Only the int's hash was kept: equal when the double is that int.
      const double d = std::get<double>(now);
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::trunc(d)) {
        return false;
      }
      return FieldDigests::Payload(MetadataValue(static_cast<int64_t>(d))) == old.payload;
    }
    const double before = old.type == FieldDigests::kDouble
                              ? old.number
                              : static_cast<double>(ExactInt(old));
    double after;
    if (const auto* d = std::get_if<double>(&now)) {
      after = *d;
    } else {
      after = static_cast<double>(std::get<int64_t>(now));
    }
    return UlpDistance(before, after) <= ulps;
  }

  // A listed finding whose old side is read back at the end of the group:
  // the digests keep hashes, and a person needs the text.
  struct Pending {
    int64_t finding = -1;
    uint32_t source = 0;
    std::string id;
    bool document = false;     // a document change: new_document is the new text
    std::string new_document;  // at most kMaxDocumentShown bytes
    std::string key;           // a metadata change: its first changed key
  };
  static constexpr size_t kMaxDocumentShown = 1 << 20;

  // Reads the old side of the listed findings (one Get per old collection,
  // at most max_findings ids) and puts both sides into them: the document's
  // first difference in context, the old value of a changed string. A
  // store that cannot answer leaves the findings as they were.
  void ShowBothSides(const GroupContext& group) {
    if (pending_.empty() || run_->old_store == nullptr) return;
    std::map<uint32_t, std::vector<std::string>> ids;
    for (const auto& p : pending_) ids[p.source].push_back(p.id);
    std::map<std::pair<uint32_t, std::string>, std::pair<std::optional<std::string>,
                                                          std::optional<Metadata>>>
        old_records;
    for (const auto& [source, list] : ids) {
      if (source >= group.sources.size()) continue;
      Include include;
      include.embeddings = false;
      auto got = run_->old_store->Get(group.sources[source], list, include);
      if (!got.ok()) continue;
      for (size_t i = 0; i < got->size(); ++i) {
        old_records[{source, got->id(i)}] = {got->document(i), got->metadata(i)};
      }
    }
    for (const auto& p : pending_) {
      auto it = old_records.find({p.source, p.id});
      if (it == old_records.end()) continue;
      Finding& f = findings_->at(p.finding);
      if (p.document) {
        const std::string before = it->second.first.value_or("");
        TextDifference d = FirstDifference(before, p.new_document);
        if (d.offset == std::string::npos) continue;
        f.offset = static_cast<int64_t>(d.offset);
        f.old_value = d.old_snippet;
        f.new_value = d.new_snippet;
        // The text says where and what for an edit; a truncation, a loss or
        // a shift already says what happened (the snippets are in the
        // finding's old and new).
        if (f.kind == "changed") {
          f.problem += " at character " + std::to_string(d.offset) + ": \"" + d.old_snippet +
                       "\" -> \"" + d.new_snippet + "\"";
        }
      } else if (!p.key.empty() && it->second.second) {
        auto value = it->second.second->find(p.key);
        if (value == it->second.second->end()) continue;
        f.old_value = NewValueText(value->second);
        // "metadata.author changed (now "B")" -> "metadata.author "A" -> "B"".
        const std::string vague = "metadata." + p.key + " changed (now " + f.new_value + ")";
        const size_t at = f.problem.find(vague);
        if (at != std::string::npos) {
          f.problem.replace(at, vague.size(),
                            "metadata." + p.key + " " + f.old_value + " -> " + f.new_value);
        }
      }
    }
    pending_.clear();
  }

  std::vector<Pending> pending_;
  std::unique_ptr<FindingList> findings_;
  std::unordered_set<std::string> ignored_;
  std::unordered_map<uint64_t, const std::string*> old_documents_;
  GroupCounts g_;
  int64_t compared_ = 0, changed_ = 0;
  std::map<std::string, int64_t> document_kinds_;
  std::map<std::string, int64_t> field_changes_;
  // Keys present only in the new records, with how many records have each,
  // and the records whose one difference is such keys.
  std::map<std::string, int64_t> added_keys_;
  int64_t added_only_records_ = 0;
  std::vector<std::string> structural_;
  check_util::FaultSources faults_;
  nlohmann::json per_collection_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Validator> NewContentValidator() {
  return std::make_unique<ContentValidator>();
}

}  // namespace vecgate
