// The pure SQL helpers of the postgresql:// store (postgres_internal.h):
// what an archive or a catalogue says is taken apart by structure, and text
// that could carry a clause or a statement of its own is refused.
#include <gtest/gtest.h>

#include "stores/postgres_internal.h"

namespace vecgate::postgres_internal {
namespace {

TEST(ParseIndexDefinitionTest, TakesApartWhatPgGetIndexdefPrints) {
  auto p = ParseIndexDefinition(
      "CREATE INDEX docs_embedding_idx ON public.docs USING hnsw (embedding vector_cosine_ops) "
      "WITH (m='16')");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->unique);
  EXPECT_EQ(p->name, "docs_embedding_idx");
  EXPECT_EQ(p->table, "docs");
  EXPECT_EQ(p->tail, "USING hnsw (embedding vector_cosine_ops) WITH (m='16')");
  p = ParseIndexDefinition("CREATE UNIQUE INDEX \"Big\"\"Idx\" ON ONLY \"My Schema\".\"T\" USING "
                           "btree (id) WHERE (note <> 'a;b')");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->unique);
  EXPECT_EQ(p->name, "Big\"Idx");
  EXPECT_EQ(p->table, "T");
}

TEST(ParseIndexDefinitionTest, ANameHoldingSqlStaysAName) {
  auto p = ParseIndexDefinition(
      "CREATE INDEX i ON s.\"x ON b USING btree(id);DROP TABLE v;--\" USING btree (document)");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->table, "x ON b USING btree(id);DROP TABLE v;--");
  EXPECT_EQ(p->tail, "USING btree (document)");
}

TEST(ParseIndexDefinitionTest, RefusesWhatIsNotOneIndexDefinition) {
  for (const char* def :
       {"CREATE INDEX i ON s.t USING btree (id); DROP TABLE v", "DROP TABLE v",
        "CREATE INDEX i ON s.t (id)", "CREATE INDEX \"i ON s.t USING btree (id)",
        "CREATE INDEX i ON s.t USING btree (id) WHERE (a = 'x)", "CREATE INDEX i ON s.t USING $$"}) {
    EXPECT_FALSE(ParseIndexDefinition(def)) << def;
  }
}

TEST(SqlTextTest, PlainTypeNamesOnly) {
  for (const char* ok : {"text", "vector(768)", "real[]", "double precision[]", "numeric(10,2)",
                         "character varying(20)", "timestamp with time zone",
                         "timestamp(3) without time zone", "public.vector(8)", "\"My Type\"[][]"}) {
    EXPECT_TRUE(IsPlainTypeName(ok)) << ok;
  }
  for (const char* bad : {"text references v", "text PRIMARY KEY", "int, x int", "text)",
                          "text; DROP TABLE v", ""}) {
    EXPECT_FALSE(IsPlainTypeName(bad)) << bad;
  }
}

TEST(SqlTextTest, DefaultsAreOneExpression) {
  for (const char* ok : {"'acme'::text", "now()", "nextval('s'::regclass)", "'a,b;c'", "f(1, 2)"}) {
    EXPECT_TRUE(IsOneExpression(ok)) << ok;
  }
  for (const char* bad : {"1, x int", "1); DROP TABLE v; --", "'open", "(1", "1)", "$$x$$", ""}) {
    EXPECT_FALSE(IsOneExpression(bad)) << bad;
  }
}

TEST(SqlTextTest, IdentifiersAreFittedTo63Bytes) {
  EXPECT_EQ(FitIdentifier("short"), "short");
  const std::string a = FitIdentifier(std::string(70, 'a') + "1");
  const std::string b = FitIdentifier(std::string(70, 'a') + "2");
  EXPECT_EQ(a.size(), 63u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace vecgate::postgres_internal
