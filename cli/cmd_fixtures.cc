// `vecgate fixtures generate | load | migrate`: the bundled fixture corpus
// (four collections, 9,832 records; real-shaped by default,
// `--clean` for the clean one) and fault injection, for demos, tests and
// benchmarks. Both writers refuse a collection that already exists, unless
// `--replace` drops the ones they would write first.
#include <algorithm>
#include <iostream>

#include "cli/cli.h"
#include "core/env.h"
#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "stores/chroma_store.h"

namespace vecgate::cli {

namespace {

struct FixtureArgs {
  CorpusOptions corpus;
  std::string store_uri;
  std::string from_uri;
  std::string to_uri;
  std::string out_path;
  std::string inject;
  std::vector<std::string> faults;
  std::string fault_rate = "0.05";
  std::string fault_log;
  std::vector<std::string> collections;
  uint64_t fault_seed = 7;
  bool create_database = false;
  bool replace = false;
};

void AddCorpusOptions(CLI::App& app, FixtureArgs& args) {
  app.add_option("--seed", args.corpus.seed, "Seed of the generator")->capture_default_str();
  app.add_option("--scale", args.corpus.scale,
                 "Fraction of the corpus's 9,832 records (1.0 = all)")
      ->check(CLI::Range(0.0001, 1000.0))
      ->capture_default_str();
  app.add_option("--dimension", args.corpus.dimension, "Embedding dimension")
      ->check(CLI::Range(2, 65536))
      ->capture_default_str();
  app.add_flag("--clean", args.corpus.clean,
               "The clean corpus: no natural duplicates, odd unicode, empty or huge "
               "documents, optional field or pre-existing metadata problems");
  app.add_flag("--arrays", args.corpus.arrays,
               "Give three records in four a \"tags\" list (Chroma 1.5 metadata arrays; "
               "servers before 1.5 refuse lists), for the list faults");
}

std::string FaultNames() {
  std::string names;
  for (FaultKind f : AllFaultKinds()) {
    names += std::string(names.empty() ? "" : ", ") + FaultName(f);
  }
  return names;
}

// --inject plus every --fault at --fault-rate, as one spec.
Result<FaultSpec> FaultSpecFrom(const FixtureArgs& args) {
  std::string text = args.inject;
  for (const auto& name : args.faults) {
    if (!text.empty()) text += ",";
    text += name + ":" + args.fault_rate;
  }
  return ParseFaultSpec(text);
}

int64_t CorpusTotal(const CorpusOptions& options) {
  int64_t total = 0;
  for (const auto& c : CorpusCollections(options)) total += CorpusRecordCount(options, c.name);
  return total;
}

// " (real-shaped: ...)" for the realistic corpus, "" for the clean one.
std::string CorpusShape(const CorpusOptions& options) {
  if (options.clean) return " (clean corpus)";
  int64_t duplicates = 0, problems = 0;
  for (const auto& group : NaturalDuplicateGroups(options)) {
    duplicates += static_cast<int64_t>(group.size());
  }
  for (const auto& q : CorpusQuirks(options)) problems += IsPreexistingProblem(q.quirk);
  return " (real-shaped: " + std::to_string(duplicates) + " natural duplicates, " +
         std::to_string(problems) +
         " records with pre-existing metadata problems; --clean for none)";
}

// For chroma:// stores with --create-database: makes the tenant's database.
Status MaybeCreateDatabase(Store& store, bool create) {
  if (!create) return Status::Ok();
  if (auto* chroma = dynamic_cast<ChromaStore*>(&store)) return chroma->EnsureDatabase();
  return Status::Ok();
}

// --replace: drops each of `names` that exists in `store`, so that the load
// or migration that follows creates it afresh. Other collections are left
// alone. Says what it dropped on stderr unless `quiet`.
Status DropExisting(Store& store, const std::vector<std::string>& names, bool quiet) {
  auto existing = store.ListCollections();
  if (!existing.ok()) return existing.status();
  for (const CollectionInfo& info : *existing) {
    if (std::find(names.begin(), names.end(), info.name) == names.end()) continue;
    if (Status s = store.DeleteCollection(info.name); !s.ok()) {
      return s.WithContext("--replace: dropping collection '" + info.name + "'");
    }
    if (!quiet) {
      std::cerr << "vecgate: --replace: dropped collection " << info.name << " of "
                << store.Describe() << "\n";
    }
  }
  return Status::Ok();
}

const char kReplaceHelp[] =
    "Drop the collections this command writes if they exist, then write them "
    "afresh (other collections are left alone)";

}  // namespace

Runner SetupFixtures(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<FixtureArgs>();
  app.require_subcommand(1);
  SetExample(app, "vecgate fixtures load --store chroma://127.0.0.1:8000 --scale 0.1");

  CLI::App* generate = app.add_subcommand("generate", "Write the corpus to a JSONL file");
  AddCorpusOptions(*generate, *args);
  generate->add_option("--out", args->out_path, "Output file (.jsonl or .jsonl.gz)")
      ->required();
  SetExample(*generate, "vecgate fixtures generate --out corpus.jsonl.gz --dimension 384");

  CLI::App* load = app.add_subcommand("load", "Create the corpus's collections in a store");
  AddCorpusOptions(*load, *args);
  load->add_option("--store", args->store_uri, "Store URI (default: $CHROMADB_URL)");
  load->add_flag("--create-database", args->create_database,
                 "Create the Chroma tenant database of the URI if missing");
  load->add_flag("--replace", args->replace, kReplaceHelp);
  SetExample(*load,
             "vecgate fixtures load --store chroma://127.0.0.1:8000/default_tenant/old "
             "--create-database");

  CLI::App* migrate = app.add_subcommand(
      "migrate", "Copy every collection of one store into another, with injected faults");
  migrate->add_option("--from", args->from_uri, "Source store URI")->required();
  migrate->add_option("--to", args->to_uri, "Destination store URI")->required();
  migrate->add_option("--inject", args->inject,
                      "Faults as FAULT:RATE,... (" + FaultNames() +
                          "); empty = a clean copy");
  migrate->add_option("--fault", args->faults,
                      "A fault to inject at --fault-rate (repeat or separate with "
                      "commas); combines with --inject")
      ->delimiter(',');
  migrate->add_option("--fault-rate", args->fault_rate,
                      "Rate of each --fault, in [0, 1] (change_dimension: the "
                      "fraction of collections)")
      ->capture_default_str();
  migrate->add_option("--fault-seed", args->fault_seed, "Seed of the fault selection")
      ->capture_default_str();
  migrate->add_option("--fault-log", args->fault_log,
                      "Write the exact list of injected faults (JSON) here");
  migrate->add_option("--collections", args->collections, "Only these collections")
      ->delimiter(',');
  migrate->add_flag("--create-database", args->create_database,
                    "Create the destination Chroma database if missing");
  migrate->add_flag("--replace", args->replace, kReplaceHelp);
  SetExample(*migrate,
             "vecgate fixtures migrate --from chroma://127.0.0.1:8000/default_tenant/old "
             "--to chroma://127.0.0.1:8000/default_tenant/new --create-database "
             "--inject nan:0.01,drop:0.02 --fault-log faults.json");

  return [args, generate, load, migrate, &global]() -> int {
    if (generate->parsed()) {
      if (Status s = ValidateCorpusOptions(args->corpus); !s.ok()) return ReportError(s);
      std::string uri = "jsonl:" + args->out_path;
      if (Env::Default()->FileExists(args->out_path)) {
        return ReportError(AlreadyExists(args->out_path + " exists"),
                           "remove it or choose another --out");
      }
      auto store = OpenStoreFor(uri, "--out", global);
      if (!store.ok()) return ReportError(store.status());
      if (Status s = LoadCorpus(args->corpus, **store); !s.ok()) return ReportError(s);
      if (!global.quiet) {
        std::cerr << "vecgate: wrote " << CorpusTotal(args->corpus) << " records to "
                  << args->out_path << CorpusShape(args->corpus) << "\n";
      }
      return kExitPassed;
    }
    if (load->parsed()) {
      if (Status s = ValidateCorpusOptions(args->corpus); !s.ok()) return ReportError(s);
      std::string uri = args->store_uri.empty() ? DefaultStoreUri() : args->store_uri;
      auto store = OpenStoreFor(uri, "--store", global);
      if (!store.ok()) return ReportError(store.status());
      if (Status s = MaybeCreateDatabase(**store, args->create_database); !s.ok()) {
        return ReportError(s);
      }
      if (args->replace) {
        std::vector<std::string> names;
        for (const CollectionInfo& c : CorpusCollections(args->corpus)) names.push_back(c.name);
        if (Status s = DropExisting(**store, names, global.quiet); !s.ok()) {
          return ReportError(s);
        }
      }
      if (Status s = LoadCorpus(args->corpus, **store); !s.ok()) {
        return ReportError(s, s.code() == StatusCode::kAlreadyExists
                                  ? "add --replace to drop and recreate the fixture "
                                    "collections, or load into an empty database"
                                  : "");
      }
      if (!global.quiet) {
        std::cerr << "vecgate: loaded " << CorpusTotal(args->corpus) << " records into "
                  << (*store)->Describe() << CorpusShape(args->corpus) << "\n";
      }
      return kExitPassed;
    }
    // migrate
    auto parsed = FaultSpecFrom(*args);
    if (!parsed.ok()) return ReportError(parsed.status());
    const FaultSpec spec = std::move(parsed).value();
    auto from = OpenStoreFor(args->from_uri, "--from", global);
    if (!from.ok()) return ReportError(from.status());
    auto to = OpenStoreFor(args->to_uri, "--to", global);
    if (!to.ok()) return ReportError(to.status());
    if (Status s = MaybeCreateDatabase(**to, args->create_database); !s.ok()) {
      return ReportError(s);
    }
    MigrateOptions options;
    options.collections = args->collections;
    if (args->replace) {
      std::vector<std::string> names = args->collections;
      if (names.empty()) {
        auto source = (*from)->ListCollections();
        if (!source.ok()) return ReportError(source.status());
        for (const CollectionInfo& c : *source) names.push_back(c.name);
      }
      if (Status s = DropExisting(**to, names, global.quiet); !s.ok()) return ReportError(s);
    }
    auto log = MigrateWithFaults(**from, **to, spec, args->fault_seed, options);
    if (!log.ok()) {
      return ReportError(log.status(),
                         log.status().code() == StatusCode::kAlreadyExists ||
                                 log.status().message().find("already has collection") !=
                                     std::string::npos
                             ? "add --replace to drop and recreate the destination's "
                               "collections of the same names"
                             : "");
    }
    if (!args->fault_log.empty()) {
      if (Status s = WriteFileAtomically(Env::Default(), args->fault_log, log->ToJson());
          !s.ok()) {
        return ReportError(s);
      }
    }
    if (global.json) {
      std::cout << log->ToJson() << "\n";
    } else if (!global.quiet) {
      int64_t written = 0;
      for (const auto& [name, n] : log->written_counts) written += n;
      std::cerr << "vecgate: migrated " << written << " records from "
                << (*from)->Describe() << " to " << (*to)->Describe();
      if (!spec.rates.empty()) {
        std::cerr << " with " << log->events.size() << " injected faults (" << spec.ToString()
                  << ")";
      }
      std::cerr << "\n";
      // Records the destination refused (Chroma 1.5 refuses NaN and
      // infinite embeddings): named, as they are missing from it.
      std::vector<const FaultEvent*> refused;
      for (const auto& e : log->events) {
        if (e.refused_by_store) refused.push_back(&e);
      }
      if (!refused.empty()) {
        std::cerr << "vecgate: " << (*to)->Describe() << " refused " << refused.size()
                  << " damaged records, which are not in it:";
        for (size_t i = 0; i < refused.size() && i < 20; ++i) {
          std::cerr << (i ? ", " : " ") << refused[i]->collection << "/" << refused[i]->id;
        }
        std::cerr << (refused.size() > 20 ? ", ... (all in --fault-log)" : "") << "\n";
      }
    }
    return kExitPassed;
  };
}

}  // namespace vecgate::cli
