# Thin wrapper over CMake: `make` builds ./kqlite, `make test` runs every test.
BUILD ?= build
SAN_BUILD ?= build-san
CMAKE_FLAGS ?=

.PHONY: all kqlite test test-asan deps clean fuzz

all: kqlite

kqlite:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$$(nproc)
	@ln -sf $(BUILD)/kqlite kqlite

deps:
	@tools/install-deps.sh

test: kqlite
	@tests/run-all.sh $(BUILD)

test-asan:
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DKQLITE_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j$$(nproc)
	@tests/run-all.sh $(SAN_BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) kqlite
