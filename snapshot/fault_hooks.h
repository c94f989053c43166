// Test hooks for crash testing the real `vecgate` binary (tests/ kill
// tests). They do nothing unless their environment variable is set:
//
//   VECGATE_FAULT_KILL_AFTER_WRITES=N     the process raises SIGKILL on the
//       Nth file-system mutation through the Env (NewWritableFile,
//       NewAppendableFile, Append, Sync, Close, RenameFile, RemoveFile,
//       SyncDir), before performing it.
//   VECGATE_FAULT_KILL_AFTER_STORE_OPS=N  the process raises SIGKILL at the
//       Nth store mutation event: each CreateCollection, RenameCollection,
//       DeleteCollection or Add counts twice, once before and once after the
//       call (so odd N die before the call, even N just after it).
//
// They exist so a test can kill a process at an exact point, repeatably;
// they are not for production use.
#ifndef VECGATE_SNAPSHOT_FAULT_HOOKS_H_
#define VECGATE_SNAPSHOT_FAULT_HOOKS_H_

#include <memory>

#include "core/env.h"
#include "core/store.h"

namespace vecgate {

// Env::Default(), or a killing wrapper around it when
// VECGATE_FAULT_KILL_AFTER_WRITES is set. The Env lives for the process.
Env* EnvFromEnvironment();

// `store` itself, or wrapped in a killing store when
// VECGATE_FAULT_KILL_AFTER_STORE_OPS is set.
std::unique_ptr<Store> WrapStoreFromEnvironment(std::unique_ptr<Store> store);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_FAULT_HOOKS_H_
