// Registers the built-in store schemes (chroma://, chromas://, http:// and
// https:// for Chroma, jsonl:) with
// OpenStore. Call once at start-up (main, test main, benchmark main).
#ifndef VECGATE_STORES_REGISTER_H_
#define VECGATE_STORES_REGISTER_H_

namespace vecgate {
void RegisterBuiltinStores();
}  // namespace vecgate

#endif  // VECGATE_STORES_REGISTER_H_
