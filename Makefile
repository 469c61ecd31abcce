# The two commands a newcomer needs: `make demo` and `make test`.
# Everything else (configure, build) follows from them.

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure

.PHONY: all setup configure build test demo test-asan test-tsan fuzz bench soak large clean format

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: setup $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest -j $(JOBS) $(CTEST_FLAGS)

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DSGXEMU_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug"

# The concurrent tests built with ThreadSanitizer.
test-tsan:
	$(MAKE) build BUILD=build-tsan CMAKE_FLAGS="-DSGXEMU_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug"
	cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
		ctest -j $(JOBS) $(CTEST_FLAGS) -L concurrent

# libFuzzer targets (clang, ASan+UBSan) in build-fuzz, each run for FUZZ_TIME seconds.
FUZZ_TIME ?= 60
fuzz:
	@bash scripts/setup.sh
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSGXEMU_FUZZ=ON \
		-DSGXEMU_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug \
		-DSGXEMU_WERROR=OFF
	cmake --build build-fuzz --target fuzzers -j $(JOBS)
	bash scripts/fuzz.sh build-fuzz $(FUZZ_TIME)

# Long runs, not in CI (README, "Long tests"). The soak: threads inside one enclave page through a
# heap four times a 1 MiB EPC until SOAK_EVICTIONS pages have been evicted, verifying every page.
SOAK_EVICTIONS ?= 1000000
soak: build
	SGXEMU_SOAK_EVICTIONS=$(SOAK_EVICTIONS) $(BUILD)/tests/test_reclaim_concurrency

# The large test: a 64 GiB ELRANGE enclave touching 8 GiB with a 2 GiB EPC (SGXEMU_LARGE_* scale it).
large: build
	SGXEMU_LARGE=1 $(BUILD)/tests/test_reclaim_large

demo: build
	@bash scripts/demo.sh $(BUILD)

bench: build
	$(BUILD)/sgxemu-bench

clean:
	rm -rf build build-asan build-tsan build-fuzz

format:
	find include src tools tests bench enclave -name '*.[ch]' | xargs clang-format -i
