// The one temporary directory of the tests: a fresh folder under the
// system's temporary directory, removed with everything in it at
// destruction.
#ifndef VECGATE_TESTUTIL_TEMP_DIR_H_
#define VECGATE_TESTUTIL_TEMP_DIR_H_

#include <string>

namespace vecgate {
namespace testutil {

// Not copyable: one owner removes the folder. When no folder can be made
// the test program cannot go on, so the constructor prints why and aborts.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The folder, without a trailing '/'.
  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace testutil
}  // namespace vecgate

#endif  // VECGATE_TESTUTIL_TEMP_DIR_H_
