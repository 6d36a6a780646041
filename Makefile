# The two commands of the README:
#   make demo   install what is missing, build, run the main job
#   make test   install what is missing, build, run every test
# (plus helpers: build, asan, fuzz, bench, format, clean)

JOBS      ?= $(shell nproc)
BUILD     ?= build
ASAN      ?= build-asan
FUZZBUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
# configure DIR, ARGS: the generator (Ninja when installed) is chosen only when
# DIR is first configured; an existing build directory keeps its own.
configure = if [ -f $(1)/CMakeCache.txt ]; then cmake -S . -B $(1) $(2) >/dev/null; \
	else cmake -S . -B $(1) $$(command -v ninja >/dev/null 2>&1 && echo -G Ninja) $(2) >/dev/null; fi

.PHONY: demo test setup build asan fuzz bench format clean

setup:
	@bash scripts/setup.sh

build: setup
	@$(call configure,$(BUILD),-DCMAKE_BUILD_TYPE=Release)
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/bin/quantlab

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory fuzz

asan: setup
	@$(call configure,$(ASAN),-DCMAKE_BUILD_TYPE=RelWithDebInfo -DQL_SANITIZE=ON -DQL_BENCH=OFF)
	@cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -LE lint

fuzz: setup
	@export CXX=clang++; $(call configure,$(FUZZBUILD),-DCMAKE_BUILD_TYPE=RelWithDebInfo -DQL_FUZZ=ON)
	@cmake --build $(FUZZBUILD) -j $(JOBS) --target fuzz_gguf_reader
	@bash scripts/run_fuzz.sh $(FUZZBUILD)/bin/fuzz_gguf_reader $(FUZZ_SECONDS)

bench: build
	@for b in $(BUILD)/bin/bench_*; do $$b; done

format:
	@find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZBUILD)
