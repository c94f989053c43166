// `vecgate inspect --store STORE`: what a store holds, read through its
// adapter: each collection's count, distance space and dimension.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/text.h"

namespace vecgate::cli {

Runner SetupInspect(CLI::App& app, const GlobalOptions& global) {
  auto store_uri = std::make_shared<std::string>(DefaultStoreUri());
  app.add_option("--store", *store_uri, "Store URI (default: $CHROMADB_URL)");
  SetExample(app, "vecgate inspect --store chroma://127.0.0.1:8000");
  return [store_uri, &global]() -> int {
    auto store = OpenStoreFor(*store_uri, "--store", global);
    if (!store.ok()) return ReportError(store.status());
    auto collections = (*store)->ListCollections();
    if (!collections.ok()) return ReportError(collections.status());
    nlohmann::json out = nlohmann::json::array();
    int64_t total = 0;
    for (const auto& c : *collections) {
      auto count = (*store)->Count(c.name);
      if (!count.ok()) return ReportError(count.status());
      total += *count;
      out.push_back({{"collection", c.name},
                     {"count", *count},
                     {"space", DistanceSpaceName(c.space)},
                     {"dimension", c.dimension}});
    }
    if (global.json) {
      // Names from the store may hold invalid UTF-8: DumpJson never throws.
      std::cout << DumpJson(nlohmann::json{{"store", (*store)->Describe()},
                                           {"collections", out},
                                           {"total", total}},
                            2)
                << "\n";
      return kExitPassed;
    }
    std::cout << Printable((*store)->Describe(), /*one_line=*/true) << "\n";
    // Names are shown printable: no terminal escapes from a store.
    for (auto& c : out) {
      c["collection"] = Printable(c["collection"].get<std::string>(), /*one_line=*/true);
    }
    int width = 10;
    for (const auto& c : out) {
      width = std::max(width, static_cast<int>(c["collection"].get<std::string>().size()));
    }
    std::printf("  %-*s %10s  %-6s %9s\n", width, "collection", "count", "space", "dimension");
    for (const auto& c : out) {
      std::printf("  %-*s %10lld  %-6s %9lld\n", width,
                  c["collection"].get<std::string>().c_str(),
                  static_cast<long long>(c["count"].get<int64_t>()),
                  c["space"].get<std::string>().c_str(),
                  static_cast<long long>(c["dimension"].get<int64_t>()));
    }
    std::printf("  %-*s %10lld\n", width, "total", static_cast<long long>(total));
    return kExitPassed;
  };
}

}  // namespace vecgate::cli
