# Thin wrapper over CMake.
#   make          build ./kqlite
#   make demo     install missing Debian packages, build, hunt over the bundled examples
#   make check    install missing Debian packages, build, run every test (plain and ASan+UBSan)
BUILD ?= build
SAN_BUILD ?= build-san
CMAKE_FLAGS ?=

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
# make check runs each fuzz target over this many inputs from a fixed random seed: a
# repeatable smoke test, not a campaign (make fuzz explores; see docs/hostile-input.md).
CHECK_FUZZ_RUNS ?= 20000

.PHONY: all kqlite deps demo check test test-asan fuzz fuzz-build clean

all: kqlite

kqlite:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$$(nproc)
	@ln -sf $(BUILD)/kqlite kqlite

deps:
	@tools/install-deps.sh

demo: deps kqlite
	./kqlite hunt --now 2026-12-01T00:00:00Z examples/

check: deps
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) --runs $(CHECK_FUZZ_RUNS)

test: kqlite
	@tests/run-all.sh $(BUILD)

test-asan:
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DKQLITE_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j$$(nproc)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run-all.sh $(SAN_BUILD)

# Builds every tests/fuzz target with clang and runs each for FUZZ_SECONDS seconds
# (tests/fuzz/run.sh keeps corpora in tests/fuzz/corpus/ and stops at the first crash).
fuzz-build:
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKQLITE_FUZZ=ON -DKQLITE_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$$(nproc)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD) kqlite
