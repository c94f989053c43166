// Check 8, citations: the citation field (citations.field, default
// "if_citation_uri") of every new record.
//
// - "malformed": not a string of the form if://KIND/PATH, KIND one or more of
//   [a-z0-9_-], PATH non-empty with no whitespace or control characters.
// - "changed": the value differs from the old record of the same id (compared
//   by hash with the old digest's citation_hash, computed from the same
//   rendering); a citation present in old and absent in new, or added in
//   new, is a change.
// - "unresolved": well-formed but not in the suite's citation registry (the
//   registry file is loaded into citation_registry by the suite loader);
//   only checked when the registry is not empty.
// A record without the field in both stores is not checked here
// (metadata_completeness reports it). The bad percentage counts records with
// any problem; above citations.fail_percent FAIL, above warn_percent WARN.
// A malformed or unresolved citation that the old record of the same id had
// too is pre-existing: listed apart and judged by the suite's pre_existing
// policy (a change is always the migration's).
#include <unordered_set>

#include "validators/check_util.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::FindField;
using check_util::FormatFixed;
using check_util::Percent;

bool IsKindChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// True for `if://KIND/PATH` as documented above.
bool WellFormedCitation(const std::string& uri) {
  static const std::string kScheme = "if://";
  if (uri.compare(0, kScheme.size(), kScheme) != 0) return false;
  size_t pos = kScheme.size();
  size_t kind_begin = pos;
  while (pos < uri.size() && IsKindChar(static_cast<unsigned char>(uri[pos]))) ++pos;
  if (pos == kind_begin || pos >= uri.size() || uri[pos] != '/') return false;
  ++pos;
  if (pos >= uri.size()) return false;
  for (; pos < uri.size(); ++pos) {
    unsigned char c = static_cast<unsigned char>(uri[pos]);
    if (c <= 0x20 || c == 0x7f) return false;  // controls and space
  }
  return true;
}

class CitationsValidator : public Validator {
 public:
  const char* name() const override { return "citations"; }

  Status OnBeginRun() override {
    findings_ = std::make_unique<check_util::SplitFindings>(suite().max_findings);
    registry_.clear();
    registry_.insert(suite().citation_registry.begin(), suite().citation_registry.end());
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext&) override {
    old_problems_.Clear();
    return Status::Ok();
  }

  Status OnOldPage(const GroupContext&, const RecordBatch& page, size_t) override {
    const std::string& field = suite().citations.field;
    for (size_t i = 0; i < page.size(); ++i) {
      const MetadataValue* value = FindField(page.metadata(i), field);
      if (value == nullptr || std::holds_alternative<std::monostate>(*value)) continue;
      const auto* s = std::get_if<std::string>(value);
      const bool well_formed = s != nullptr && WellFormedCitation(*s);
      if (!well_formed) old_problems_.Note(page.id(i), "malformed");
      if (well_formed && !registry_.empty() && !registry_.count(*s)) {
        old_problems_.Note(page.id(i), "unresolved");
      }
    }
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage& joined) override {
    const std::string& field = suite().citations.field;
    for (size_t i = 0; i < page.size(); ++i) {
      ++records_;
      bool introduced = false, preexisting = false;
      // Records one problem, pre-existing when the old record had it too.
      auto add = [&](const char* problem, bool can_preexist) {
        const bool pre = can_preexist && joined.old[i] != nullptr &&
                         old_problems_.Had(page.id(i), problem);
        (pre ? preexisting : introduced) = true;
        findings_->Add(pre, group.target, page.id(i), problem);
      };
      const MetadataValue* value = FindField(page.metadata(i), field);
      const OldRecordDigest* old = joined.old[i];
      const bool present = value != nullptr && !std::holds_alternative<std::monostate>(*value);
      if (present) {
        ++checked_;
        const auto* s = std::get_if<std::string>(value);
        const bool well_formed = s != nullptr && WellFormedCitation(*s);
        if (!well_formed) {
          ++malformed_;
          add("malformed", true);
        }
        if (old != nullptr && old->citation_hash != CitationHash(*value)) {
          ++changed_;
          add("changed", false);
        }
        if (well_formed && !registry_.empty() && !registry_.count(*s)) {
          ++unresolved_;
          add("unresolved", true);
        }
      } else if (old != nullptr && old->citation_hash != 0) {
        ++changed_;
        add("changed", false);
      }
      if (introduced) {
        ++bad_records_;
        faults_.Mark(group, old);
      } else if (preexisting) {
        ++preexisting_records_;
      }
    }
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    const CitationThresholds& t = suite().citations;
    const double pct = check_util::JudgeBadRecords(
        suite().pre_existing, t.warn_percent, t.fail_percent, bad_records_, preexisting_records_,
        records_, "records with a citation problem the migration introduced", &r);
    r.metrics["preexisting_records"] = preexisting_records_;
    r.metrics["field"] = suite().citations.field;
    r.metrics["records"] = records_;
    r.metrics["records_with_citation"] = checked_;
    r.metrics["malformed_count"] = malformed_;
    r.metrics["changed_count"] = changed_;
    r.metrics["unresolved_count"] = unresolved_;
    r.metrics["registry_size"] = static_cast<int64_t>(registry_.size());
    r.metrics["bad_records"] = bad_records_;
    r.metrics["bad_percentage"] = pct;
    r.summary = std::to_string(bad_records_) + " of " + std::to_string(records_) +
                " records with a bad citation (" + FormatFixed(pct, 3) + " %): " +
                std::to_string(malformed_) + " malformed, " + std::to_string(changed_) +
                " changed, " + std::to_string(unresolved_) + " unresolved";
    if (preexisting_records_ > 0) {
      r.summary += "; " + std::to_string(preexisting_records_) +
                   " more already bad in the old store";
    }
    if (registry_.empty()) r.summary += " (no registry)";
    if (r.status == CheckStatus::kFail) r.failed_collections = faults_.ToVector();
    findings_->MoveTo(r);
    return r;
  }

 private:
  std::unique_ptr<check_util::SplitFindings> findings_;
  check_util::OldProblems old_problems_;
  std::unordered_set<std::string> registry_;
  int64_t records_ = 0, checked_ = 0, bad_records_ = 0, preexisting_records_ = 0;
  int64_t malformed_ = 0, changed_ = 0, unresolved_ = 0;
  check_util::FaultSources faults_;
};

}  // namespace

std::unique_ptr<Validator> NewCitationsValidator() {
  return std::make_unique<CitationsValidator>();
}

}  // namespace vecgate
