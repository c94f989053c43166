// `vecgate diff --old URI --new URI --id ID`: one record from both stores,
// side by side, with what changed shown: the document's first difference
// in context, each metadata key whose value differs (numbers by value), and
// how far the embedding moved. It follows the same id mapping as validate
// (--new-id / --old-id), so the id is the one the reports name.
#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/text.h"
#include "harness/mapped_store.h"

namespace vecgate::cli {
namespace {

size_t CountCodePoints(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

struct DiffArgs {
  std::string old_uri, new_uri, id, collection, old_id, new_id;
};

struct Side {
  std::string collection;  // where the record was found, "" when absent
  RecordBatch record;      // one row when found
};

// The record with mapped id `id`: in `collection`, or in the first
// collection of the store that holds it.
Result<Side> FindRecord(Store& store, const std::string& id, const std::string& collection) {
  std::vector<std::string> names;
  if (!collection.empty()) {
    names.push_back(collection);
  } else {
    ASSIGN_OR_RETURN(auto all, store.ListCollections());
    for (const auto& c : all) names.push_back(c.name);
  }
  Side side;
  for (const auto& name : names) {
    ASSIGN_OR_RETURN(RecordBatch batch, store.Get(name, {id}, Include()));
    if (batch.empty()) continue;
    side.collection = name;
    side.record.AddFrom(batch, 0);
    return side;
  }
  return side;
}

std::string ValueText(const MetadataValue& v) {
  std::string text = MetadataValueToString(v);
  if (v.index() == 3 && text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return Printable(text, true);
}

bool SameValue(const MetadataValue& a, const MetadataValue& b) {
  auto number = [](const MetadataValue& v, double* out) {
    if (const auto* i = std::get_if<int64_t>(&v)) return *out = static_cast<double>(*i), true;
    if (const auto* d = std::get_if<double>(&v)) return *out = *d, true;
    return false;
  };
  double x, y;
  if (number(a, &x) && number(b, &y)) return x == y;
  return a == b;
}

nlohmann::json Compare(const Side& old_side, const Side& new_side) {
  nlohmann::json out;
  const RecordBatch& o = old_side.record;
  const RecordBatch& n = new_side.record;
  // Document.
  const std::string od = o.document(0).value_or(""), nd = n.document(0).value_or("");
  if (o.document(0) != n.document(0)) {
    TextDifference d = FirstDifference(od, nd);
    out["document"] = {{"old_chars", CountCodePoints(od)},
                       {"new_chars", CountCodePoints(nd)},
                       {"first_difference_at", d.offset},
                       {"old", d.old_snippet},
                       {"new", d.new_snippet}};
  }
  // Metadata, key by key.
  nlohmann::json fields = nlohmann::json::array();
  const Metadata empty;
  const Metadata& om = o.metadata(0) ? *o.metadata(0) : empty;
  const Metadata& nm = n.metadata(0) ? *n.metadata(0) : empty;
  for (const auto& [key, value] : om) {
    auto it = nm.find(key);
    if (it == nm.end()) {
      fields.push_back({{"field", key}, {"kind", "lost"}, {"old", ValueText(value)}});
    } else if (!SameValue(value, it->second)) {
      fields.push_back({{"field", key},
                        {"kind", MetadataTypeName(value) == std::string(MetadataTypeName(it->second))
                                     ? "changed"
                                     : "type_changed"},
                        {"old", ValueText(value)},
                        {"new", ValueText(it->second)}});
    }
  }
  for (const auto& [key, value] : nm) {
    if (!om.count(key)) {
      fields.push_back({{"field", key}, {"kind", "added"}, {"new", ValueText(value)}});
    }
  }
  if (!fields.empty()) out["metadata"] = fields;
  // Embedding.
  if (o.embedding_size(0) != n.embedding_size(0)) {
    out["embedding"] = {{"old_dimension", o.embedding_size(0)},
                        {"new_dimension", n.embedding_size(0)}};
  } else if (o.embedding_size(0) > 0) {
    double max_delta = 0, dot = 0, on = 0, nn = 0;
    size_t at = 0, differing = 0;
    for (size_t k = 0; k < o.embedding_size(0); ++k) {
      const double a = o.embedding(0)[k], b = n.embedding(0)[k];
      const double delta = std::fabs(a - b);
      if (!(a == b)) ++differing;
      if (delta > max_delta || std::isnan(delta)) max_delta = delta, at = k;
      dot += a * b, on += a * a, nn += b * b;
    }
    if (differing > 0) {
      const double cosine = on > 0 && nn > 0 ? 1 - dot / std::sqrt(on * nn) : NAN;
      out["embedding"] = {{"components_differing", differing},
                          {"largest_difference", max_delta},
                          {"at_component", at},
                          {"cosine_distance", std::isfinite(cosine) ? nlohmann::json(cosine)
                                                                    : nlohmann::json("n/a")}};
    }
  }
  return out;
}

void PrintText(const std::string& id, const Side& o, const Side& n, const nlohmann::json& diff) {
  std::cout << "record " << Printable(id, true) << "\n";
  std::cout << "  old: " << (o.collection.empty() ? "(absent)" : Printable(o.collection, true))
            << "\n  new: " << (n.collection.empty() ? "(absent)" : Printable(n.collection, true))
            << "\n";
  if (o.collection.empty() || n.collection.empty()) return;
  if (diff.empty()) {
    std::cout << "  the same in both stores (numbers compared by value)\n";
    return;
  }
  if (diff.contains("document")) {
    const auto& d = diff["document"];
    std::cout << "  document: " << d["old_chars"] << " -> " << d["new_chars"]
              << " chars, first difference at character " << d["first_difference_at"] << "\n"
              << "    - " << d["old"].get<std::string>() << "\n"
              << "    + " << d["new"].get<std::string>() << "\n";
  }
  for (const auto& f : diff.value("metadata", nlohmann::json::array())) {
    std::cout << "  metadata." << Printable(f["field"].get<std::string>(), true) << " "
              << f["kind"].get<std::string>() << ": "
              << (f.contains("old") ? f["old"].get<std::string>() : "(none)") << " -> "
              << (f.contains("new") ? f["new"].get<std::string>() : "(none)") << "\n";
  }
  if (diff.contains("embedding")) std::cout << "  embedding: " << diff["embedding"].dump() << "\n";
}

}  // namespace

Runner SetupDiff(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<DiffArgs>();
  app.add_option("--old", args->old_uri, "Store before the migration (URI)")->required();
  app.add_option("--new", args->new_uri, "Store after the migration (URI)")->required();
  app.add_option("--id", args->id, "The record's id, as the reports name it")->required();
  app.add_option("--collection", args->collection,
                 "The collection (default: the first one that holds the id, in each store)");
  app.add_option("--new-id", args->new_id, "Id mapping of the new store, as for validate");
  app.add_option("--old-id", args->old_id, "Id mapping of the old store, as for validate");
  SetExample(app,
             "vecgate diff --old chroma://127.0.0.1:8000/default_tenant/old "
             "--new chroma://127.0.0.1:8000/default_tenant/new --id chunk-17");
  return [args, &global]() -> int {
    auto old_raw = OpenStoreFor(args->old_uri, "--old", global);
    if (!old_raw.ok()) return ReportError(old_raw.status());
    auto new_raw = OpenStoreFor(args->new_uri, "--new", global);
    if (!new_raw.ok()) return ReportError(new_raw.status());
    IdMapping old_mapping, new_mapping;
    for (auto [spec, mapping] : {std::make_pair(&args->old_id, &old_mapping),
                                 std::make_pair(&args->new_id, &new_mapping)}) {
      if (spec->empty()) continue;
      auto parsed = ParseIdMapping(*spec);
      if (!parsed.ok()) return ReportError(parsed.status());
      *mapping = std::move(parsed).value();
    }
    MappedStore old_store(**old_raw, old_mapping, {});
    MappedStore new_store(**new_raw, new_mapping, {});
    if (new_mapping.kind == IdMapping::Kind::kUuid5) new_store.Learn(args->id);
    auto o = FindRecord(old_store, args->id, args->collection);
    if (!o.ok()) return ReportError(o.status());
    auto n = FindRecord(new_store, args->id, args->collection);
    if (!n.ok()) return ReportError(n.status());
    const bool both = !o->collection.empty() && !n->collection.empty();
    nlohmann::json diff = both ? Compare(*o, *n) : nlohmann::json::object();
    if (global.json) {
      std::cout << DumpJson(nlohmann::json{{"id", args->id},
                                           {"old_collection", o->collection},
                                           {"new_collection", n->collection},
                                           {"differences", diff}},
                            2)
                << "\n";
    } else {
      PrintText(args->id, *o, *n, diff);
    }
    if (o->collection.empty() && n->collection.empty()) {
      return ReportError(NotFound("no collection of either store holds id '" +
                                  Printable(args->id, true) + "'"),
                         "check the id and --new-id / --old-id");
    }
    return both && diff.empty() ? kExitPassed : kExitFailed;
  };
}

}  // namespace vecgate::cli
