// Fetches every record of a Chroma collection with the official chromadb
// JavaScript client (the pinned chromadb@3.0.10 in tools/chroma), the way a
// user pages a collection: getCollection, count, then get({limit, offset,
// include: embeddings, documents, metadatas}) page by page.
// Usage: node chromadb_js_fetch.cjs CHROMA_DIR PORT COLLECTION [PAGE]
// Prints "seconds S" (from getCollection to the last page; process start and
// module loading excluded) and "records N".
'use strict';
const path = require('path');
const { createRequire } = require('module');

async function main() {
  const [chromaDir, port, name, pageArg] = process.argv.slice(2);
  if (!chromaDir || !port || !name) {
    console.error('usage: chromadb_js_fetch.cjs CHROMA_DIR PORT COLLECTION [PAGE]');
    process.exit(2);
  }
  const page = Number(pageArg || 1000);
  const chromaRequire = createRequire(path.join(path.resolve(chromaDir), 'package.json'));
  const { ChromaClient } = chromaRequire('chromadb');
  const version = JSON.parse(require('fs').readFileSync(
    path.join(path.resolve(chromaDir), 'node_modules', 'chromadb', 'package.json'), 'utf8')).version;
  // The client warns that the collection has no embedding function; this
  // benchmark only reads stored embeddings.
  const warn = console.warn;
  console.warn = (...a) => { if (!String(a[0]).includes('No embedding function')) warn(...a); };
  const client = new ChromaClient({ host: '127.0.0.1', port: Number(port), ssl: false });
  const start = process.hrtime.bigint();
  const collection = await client.getCollection({ name });
  const total = await collection.count();
  let records = 0;
  let checksum = 0;
  for (let offset = 0; offset < total; offset += page) {
    const result = await collection.get({
      limit: page, offset, include: ['embeddings', 'documents', 'metadatas'] });
    records += result.ids.length;
    if (result.embeddings.length > 0) checksum += result.embeddings[0][0];
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`seconds ${seconds.toFixed(6)}`);
  console.log(`records ${records}`);
  console.log(`checksum ${checksum}`);
  console.log(`client chromadb@${version} node ${process.version}`);
}

main().catch((e) => { console.error(`chromadb_js_fetch: ${e && e.stack || e}`); process.exit(1); });
