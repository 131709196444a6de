# The two commands of the README: `make demo` and `make test`. Each installs missing Debian
# packages (as root; otherwise prints the apt-get line), configures, builds, then runs.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20

.PHONY: all setup build demo test test-sanitize fuzz bench clean

all: build

setup:
	@sh scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: the flagship study. A database-like workload on a 64-bit and a 32-bit
# storage controller, on machines of 4 GiB to 1 TiB: what double-buffering costs, and why.
# The table goes to the terminal, the HTML report (charts included) to build/.
demo: build
	./$(BUILD)/dmasim sweep scenarios/study-64bit-dma.ini -o - -o $(BUILD)/study-64bit-dma.html

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-sanitize: setup
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDMASIM_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer (clang) on every parser: scenario files, scenario values, DbgPrint formats. The
# shipped scenarios seed the scenario corpus; FUZZ_SECONDS each.
fuzz: setup
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDMASIM_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target dmasim fuzz_scenario fuzz_units fuzz_dbgprint fuzz_options fuzz_point
	@mkdir -p $(FUZZ_BUILD)/corpus/scenario $(FUZZ_BUILD)/corpus/units $(FUZZ_BUILD)/corpus/dbgprint \
	    $(FUZZ_BUILD)/corpus/options $(FUZZ_BUILD)/corpus/point
	@cp scenarios/*.ini docs/examples/*.ini $(FUZZ_BUILD)/corpus/scenario/
	@printf '64K' > $(FUZZ_BUILD)/corpus/units/size; printf '0x9C402408' > $(FUZZ_BUILD)/corpus/units/hex
	@printf '%%wZ %%ws %%I64x %%lx %%5d %%p' > $(FUZZ_BUILD)/corpus/dbgprint/mix
	@printf '\000machine.memory=64G' > $(FUZZ_BUILD)/corpus/options/set
	@printf '\001machine.memory=4G..1T*2' > $(FUZZ_BUILD)/corpus/options/vary
	@printf '\002narrow:device.d.address_bits=32,workload.w.size=4K:1,8K:1' > $(FUZZ_BUILD)/corpus/options/variant
	@printf '\0032/4' > $(FUZZ_BUILD)/corpus/options/shard
	@printf '\2043..6' > $(FUZZ_BUILD)/corpus/options/seeds
	@rm -rf $(FUZZ_BUILD)/points && ./$(FUZZ_BUILD)/dmasim sweep scenarios/remap-vs-copy.ini \
	    --vary device.disk0.max_transfer=4K,8K --set workload.db.count=20 --out $(FUZZ_BUILD)/points 2>/dev/null \
	    && cp $(FUZZ_BUILD)/points/point-0001.json $(FUZZ_BUILD)/corpus/point/ || true
	@for t in scenario units dbgprint options point; do \
	    log=$(FUZZ_BUILD)/fuzz_$$t.log; \
	    ./$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	        $(FUZZ_BUILD)/corpus/$$t > $$log 2>&1 || { tail -n 60 $$log; exit 1; }; \
	    echo "fuzz_$$t: $$(grep '^Done' $$log)"; \
	done

bench: build
	./$(BUILD)/dmasim bench
	./$(BUILD)/dmasim-bench-hal

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
