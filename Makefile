# The two commands of the README: `make demo` and `make test`. Each installs
# what is missing (tools/setup.sh), configures and builds first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup build test demo bench asan fuzz package clean

all: build

setup:
	@tools/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

demo: build
	tools/demo.sh $(BUILD)/cli/vecgate

bench:
	@tools/setup.sh --bench
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	bench/run_all.sh $(BUILD)

# The sanitizer build; the tests pass under it too.
asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DVECGATE_SANITIZE=ON -DVECGATE_BUILD_BENCHMARKS=OFF"

# The Debian package, built for any x86-64 (no -march=native) without tests
# or benchmarks: $(PACKAGE_BUILD)/vecgate_VERSION_ARCH.deb, its Depends found
# by dpkg-shlibdeps. Install it with `sudo apt-get install ./FILE.deb`.
PACKAGE_BUILD ?= build-package
package: setup
	cmake -S . -B $(PACKAGE_BUILD) -DCMAKE_BUILD_TYPE=Release -DVECGATE_NATIVE=OFF \
	  -DVECGATE_BUILD_TESTS=OFF -DVECGATE_BUILD_BENCHMARKS=OFF $(CMAKE_FLAGS)
	cmake --build $(PACKAGE_BUILD) -j $(JOBS) --target vecgate
	cd $(PACKAGE_BUILD) && cpack -G DEB
	@ls $(PACKAGE_BUILD)/*.deb

# libFuzzer targets (clang, ASan, UBSan), each run FUZZ_SECONDS from its
# checked-in corpus; see fuzz/README.md.
FUZZ_SECONDS ?= 60
FUZZ_BUILD ?= build-fuzz
FUZZ_TARGETS = suite manifest journal chroma_page jsonl_line tar archive_index store_uri \
  audit_log queries postgres_binary
fuzz:
	@tools/setup.sh --fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DVECGATE_FUZZ=ON -DVECGATE_BUILD_TESTS=OFF -DVECGATE_BUILD_BENCHMARKS=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) build-asan $(FUZZ_BUILD) $(PACKAGE_BUILD)
