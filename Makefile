# The two commands of the README: `make demo` and `make test`. Each installs missing Debian
# packages (as root; otherwise prints the apt-get line), configures, builds, then runs.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup build demo test test-sanitize bench clean

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
	./$(BUILD)/dmasim sweep scenarios/study-64bit-dma.ini
	@./$(BUILD)/dmasim sweep scenarios/study-64bit-dma.ini --format html -o $(BUILD)/study-64bit-dma.html

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-sanitize: setup
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDMASIM_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/dmasim bench
	./$(BUILD)/dmasim-bench-hal

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
