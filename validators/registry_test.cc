#include <set>
#include <string>

#include <gtest/gtest.h>

#include "suites/checks.h"
#include "suites/suite.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

TEST(RegistryTest, EveryCatalogueCheckHasOneFactoryInReportOrder) {
  auto all = MakeAllValidators();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), AllChecks().size());
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i]->name(), AllChecks()[i].name);
    EXPECT_EQ((*all)[i]->title(), AllChecks()[i].title);
  }
}

TEST(RegistryTest, CatalogueNamesTitlesAndReasonsAreDistinct) {
  std::set<std::string> names, titles, reasons;
  for (const CheckInfo& c : AllChecks()) {
    EXPECT_TRUE(names.insert(std::string(c.name)).second) << c.name;
    EXPECT_TRUE(titles.insert(std::string(c.title)).second) << c.title;
    EXPECT_TRUE(reasons.insert(std::string(c.rollback_reason)).second) << c.rollback_reason;
    EXPECT_FALSE(c.rollback_reason.empty()) << c.name;
  }
  EXPECT_EQ(FindCheckInfo("no_such_check"), nullptr);
  ASSERT_NE(FindCheckInfo("content"), nullptr);
  EXPECT_EQ(FindCheckInfo("content")->rollback_reason, "Content Changed");
}

TEST(RegistryTest, DefaultSuiteRunsTheNineAndQueryPerformanceOnRequest) {
  Suite suite = DefaultSuite();
  auto enabled = MakeValidators(suite);
  ASSERT_TRUE(enabled.ok());
  EXPECT_EQ(enabled->size(), 9u);
  for (const auto& v : *enabled) EXPECT_STRNE(v->name(), "query_performance");
  suite.enabled_checks["duplicates"] = false;
  suite.query_performance.enabled = true;
  enabled = MakeValidators(suite);
  ASSERT_TRUE(enabled.ok());
  ASSERT_EQ(enabled->size(), 9u);
  EXPECT_STREQ(enabled->back()->name(), "query_performance");
  for (const auto& v : *enabled) EXPECT_STRNE(v->name(), "duplicates");
}

}  // namespace
}  // namespace vecgate
