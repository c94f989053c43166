// What the JS migration writers of tools/clients share: their command line,
// reading one Chroma collection with the official `chromadb` client, and the
// faults a test asks for. The same options and faults as chroma_source.py;
// the seeded draw is JS's own (mulberry32), so a seed picks other records
// here than in Python: read the --fault-log, never assume the ids.
//
// Every record is held in memory: the writers are for test corpora.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

// The pinned packages live in tools/jsclients/node_modules, which Node's
// ES module resolution does not search from here (it ignores NODE_PATH):
// load them as tools/jsclients would (each ships a CommonJS build).
export const requireClient = createRequire(new URL("../jsclients/package.json", import.meta.url));
const { ChromaClient } = requireClient("chromadb");

const PAGE_SIZE = 1000;
export const FAULTS = ["drop", "replace_vector", "stringify"];

// The shared options plus `extra` (parseArgs option specs) of one writer.
export function parseOptions(usage, extra = {}) {
  const { values } = parseArgs({
    options: {
      ...extra,
      chroma: { type: "string" },
      tenant: { type: "string", default: "default_tenant" },
      database: { type: "string", default: "default_database" },
      collection: { type: "string" },
      pg: { type: "string" },
      target: { type: "string" },
      inject: { type: "string", default: "" },
      seed: { type: "string", default: "1" },
      "fault-log": { type: "string" },
      "id-key": { type: "string", default: "chroma_id" },
    },
  });
  for (const required of ["chroma", "collection", "pg"]) {
    if (!values[required]) fail(`--${required} is required\n${usage}`);
  }
  values.target ??= values.collection;
  values.faults = parseFaults(values.inject);
  values.seed = Number.parseInt(values.seed, 10);
  if (!Number.isInteger(values.seed)) fail("--seed must be an integer");
  return values;
}

function parseFaults(text) {
  const faults = {};
  for (const item of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [name, fraction] = item.split(":");
    if (!FAULTS.includes(name)) fail(`--inject: unknown fault '${name}'; known: ${FAULTS.join(", ")}`);
    const value = Number(fraction);
    if (fraction === undefined || !Number.isFinite(value) || value < 0 || value > 1) {
      fail(`--inject: '${item}' needs a fraction within [0, 1], e.g. ${name}:0.02`);
    }
    faults[name] = value;
  }
  return faults;
}

export function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

// The distance space ("cosine", "l2", "ip"): configuration first, then the
// old "hnsw:space" metadata key, else Chroma's default l2.
function spaceOf(collection) {
  const hnsw = collection.configuration?.hnsw;
  return hnsw?.space ?? collection.metadata?.["hnsw:space"] ?? "l2";
}

// Every record of --collection: {name, metadata, space, dimension, ids,
// documents, metadatas, embeddings}.
export async function readCollection(options) {
  const url = new URL(options.chroma);
  const client = new ChromaClient({
    host: url.hostname,
    port: Number(url.port || 8000),
    ssl: url.protocol === "https:",
    tenant: options.tenant,
    database: options.database,
  });
  const source = await client.getCollection({ name: options.collection });
  const records = {
    name: source.name,
    metadata: source.metadata ?? {},
    space: spaceOf(source),
    dimension: 0,
    ids: [],
    documents: [],
    metadatas: [],
    embeddings: [],
  };
  for (let offset = 0; ; ) {
    const page = await source.get({
      include: ["embeddings", "documents", "metadatas"],
      limit: PAGE_SIZE,
      offset,
    });
    if (page.ids.length === 0) break;
    records.ids.push(...page.ids);
    records.documents.push(...page.documents);
    records.metadatas.push(...page.metadatas.map((m) => ({ ...(m ?? {}) })));
    records.embeddings.push(...page.embeddings.map((e) => Array.from(e)));
    offset += page.ids.length;
  }
  if (records.embeddings.length > 0) records.dimension = records.embeddings[0].length;
  return records;
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isNumber = (v) => typeof v === "number";

// Applies the faults in place and returns {fault: [old ids]}, as
// chroma_source.inject_faults: round(fraction * count) records a fault, from
// one seeded shuffle, no record twice; drop leaves it out, replace_vector
// gives it the vector of the next record in the shuffle whose vector
// differs, stringify turns its first numeric metadata value (by key) into a
// string.
export function injectFaults(records, faults, seed) {
  const random = mulberry32(seed);
  const n = records.ids.length;
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const taken = new Set();
  const affected = {};
  const take = (name, eligible) => {
    affected[name] = [];
    const want = Math.round(faults[name] * n);
    for (const i of order) {
      if (affected[name].length === want) break;
      if (!taken.has(i) && eligible(i)) {
        taken.add(i);
        affected[name].push(i);
      }
    }
  };
  if ("drop" in faults) take("drop", () => true);
  if ("replace_vector" in faults) {
    take("replace_vector", () => true);
    const original = records.embeddings.slice();
    const position = new Map(order.map((i, p) => [i, p]));
    const same = (a, b) => a.length === b.length && a.every((x, k) => x === b[k]);
    for (const i of affected.replace_vector) {
      const p = position.get(i);
      const after = order.slice(p + 1).concat(order.slice(0, p));
      const donor = after.find((j) => !same(original[j], original[i])) ?? i;
      records.embeddings[i] = original[donor].slice();
    }
  }
  if ("stringify" in faults) {
    take("stringify", (i) => Object.values(records.metadatas[i]).some(isNumber));
    for (const i of affected.stringify) {
      const metadata = records.metadatas[i];
      const key = Object.keys(metadata).filter((k) => isNumber(metadata[k])).sort()[0];
      metadata[key] = String(metadata[key]);
    }
  }
  const oldIds = records.ids.slice();
  const dropped = new Set(affected.drop ?? []);
  if (dropped.size > 0) {
    for (const column of ["ids", "documents", "metadatas", "embeddings"]) {
      records[column] = records[column].filter((_, i) => !dropped.has(i));
    }
  }
  const result = {};
  for (const [name, indexes] of Object.entries(affected)) {
    result[name] = indexes.map((i) => oldIds[i]).sort();
  }
  return result;
}

export function writeFaultLog(path, affected) {
  if (path) writeFileSync(path, `${JSON.stringify(affected, null, 1)}\n`);
}

// postgresql://USER:PASSWORD@HOST:PORT/DB as pg's connection options.
export function pgOptions(uri) {
  const url = new URL(uri);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1) || "postgres",
  };
}
