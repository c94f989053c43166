"""What the Python migration writers of tools/clients share: their command
line, reading one Chroma collection with the official client, and the
faults a test asks for.

A writer (langchain_writer.py, llamaindex_writer.py) calls parse_args(), then
read_collection(), then inject_faults(), and hands the records to its
library's own vector store API with the embeddings Chroma holds (nothing is
embedded again). Every record is held in memory: the writers are for test
corpora (tens of thousands of records), not for production migrations.
"""

import argparse
import json
import random
import sys
import urllib.parse
from dataclasses import dataclass, field

# Records read from Chroma per request.
PAGE_SIZE = 1000

# Metadata key under which a writer keeps Chroma's id when its library
# cannot keep it as the row's id.
DEFAULT_ID_KEY = "chroma_id"

FAULTS = ("drop", "replace_vector", "stringify")


@dataclass
class Collection:
    name: str
    metadata: dict
    # "cosine", "l2" or "ip": the distance space Chroma indexes the
    # collection in (configuration first, then the old "hnsw:space" key).
    space: str
    dimension: int
    ids: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    metadatas: list = field(default_factory=list)
    embeddings: list = field(default_factory=list)


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--chroma", required=True, help="Chroma URL, http://HOST:PORT")
    parser.add_argument("--tenant", default="default_tenant")
    parser.add_argument("--database", default="default_database")
    parser.add_argument("--collection", required=True, help="the Chroma collection to copy")
    parser.add_argument("--pg", required=True, help="postgresql://USER:PASSWORD@HOST:PORT/DB")
    parser.add_argument("--target", help="name in PostgreSQL (default: the collection's)")
    parser.add_argument("--inject", default="",
                        help="faults, e.g. drop:0.02,replace_vector:0.01,stringify:0.03")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-log", help="write the affected old ids here as JSON")
    parser.add_argument("--id-key", default=DEFAULT_ID_KEY,
                        help="metadata key for Chroma's id where the library makes its own ids")
    args = parser.parse_args()
    args.faults = parse_faults(parser, args.inject)
    args.target = args.target or args.collection
    return args


def parse_faults(parser, text):
    faults = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, fraction = item.partition(":")
        if name not in FAULTS:
            parser.error(f"--inject: unknown fault '{name}'; known: {', '.join(FAULTS)}")
        try:
            faults[name] = float(fraction)
        except ValueError:
            parser.error(f"--inject: '{item}' needs a fraction, e.g. {name}:0.02")
        if not 0.0 <= faults[name] <= 1.0:
            parser.error(f"--inject: the fraction of '{name}' must be within [0, 1]")
    return faults


def _space(collection):
    configuration = getattr(collection, "configuration", None) or {}
    hnsw = configuration.get("hnsw") if isinstance(configuration, dict) else None
    if isinstance(hnsw, dict) and hnsw.get("space"):
        return hnsw["space"]
    return (collection.metadata or {}).get("hnsw:space", "l2")


def read_collection(args):
    """Every record of --collection, read page by page by the official client."""
    import chromadb

    url = urllib.parse.urlparse(args.chroma)
    client = chromadb.HttpClient(host=url.hostname, port=url.port or 8000,
                                 ssl=url.scheme == "https", tenant=args.tenant,
                                 database=args.database)
    source = client.get_collection(args.collection)
    result = Collection(name=source.name, metadata=dict(source.metadata or {}),
                        space=_space(source), dimension=0)
    offset = 0
    while True:
        page = source.get(include=["embeddings", "documents", "metadatas"],
                          limit=PAGE_SIZE, offset=offset)
        if not page["ids"]:
            break
        result.ids += page["ids"]
        result.documents += page["documents"]
        result.metadatas += [dict(m or {}) for m in page["metadatas"]]
        # numpy float32 arrays -> Python floats, as the libraries expect.
        result.embeddings += [[float(x) for x in e] for e in page["embeddings"]]
        offset += len(page["ids"])
    if result.embeddings:
        result.dimension = len(result.embeddings[0])
    return result


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def inject_faults(records, faults, seed):
    """Applies the faults in place and returns {fault: [old ids]}.

    Each fault takes round(fraction * count) records, drawn without
    replacement from one seeded shuffle, so no record has two faults:
    drop leaves the record out, replace_vector gives it the embedding of
    another record, stringify turns its first numeric metadata value (by
    key) into a string ("7" for 7). Records without a numeric value are
    never drawn for stringify.
    """
    rng = random.Random(seed)
    order = list(range(len(records.ids)))
    rng.shuffle(order)
    affected = {name: [] for name in FAULTS if name in faults}
    taken = set()

    def take(name, eligible):
        # Half up, as Math.round in chroma_source.mjs (Python rounds half to even).
        want = int(faults[name] * len(records.ids) + 0.5)
        for i in order:
            if len(affected[name]) == want:
                break
            if i not in taken and eligible(i):
                taken.add(i)
                affected[name].append(i)

    if "drop" in faults:
        take("drop", lambda i: True)
    if "replace_vector" in faults:
        take("replace_vector", lambda i: True)
        original = list(records.embeddings)
        position = {i: p for p, i in enumerate(order)}
        for i in affected["replace_vector"]:
            # The record after it in the shuffled order (cyclically) whose
            # vector differs from its own.
            p = position[i]
            after = order[p + 1:] + order[:p]
            donor = next((j for j in after if original[j] != original[i]), i)
            records.embeddings[i] = list(original[donor])
    if "stringify" in faults:
        take("stringify", lambda i: any(_is_number(v) for v in records.metadatas[i].values()))
        for i in affected["stringify"]:
            metadata = records.metadatas[i]
            key = sorted(k for k, v in metadata.items() if _is_number(v))[0]
            metadata[key] = str(metadata[key])

    old_ids = list(records.ids)
    dropped = set(affected.get("drop", []))
    if dropped:
        keep = [i for i in range(len(records.ids)) if i not in dropped]
        for name in ("ids", "documents", "metadatas", "embeddings"):
            column = getattr(records, name)
            setattr(records, name, [column[i] for i in keep])
    return {name: sorted(old_ids[i] for i in indexes) for name, indexes in affected.items()}


def write_fault_log(path, affected):
    if not path:
        return
    with open(path, "w", encoding="utf-8") as out:
        json.dump(affected, out, indent=1, sort_keys=True)
        out.write("\n")


def progress(message):
    print(message, file=sys.stderr, flush=True)
