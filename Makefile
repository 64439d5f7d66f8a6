# The two quick-start commands (README.md). Both install missing Debian packages first.
#   make run   build, run every scenario (vqsim run -j $(JOBS)), write the report (build/report/index.html)
#   make test  build, run the whole test suite (CMocka unit tests + pytest; both on $(JOBS) cores,
#              pytest through pytest-xdist when installed, else one process)
#   make stress-linux  the real-kernel cases recorded STRESS_RUNS (5) times each, all clean
BUILD ?= build
JOBS ?= 2
SCENARIOS = $(shell find scenarios -name '*.yaml' | LC_ALL=C sort)

.PHONY: all run test deps build clean stress-linux

all: build

deps:
	@bash tools/setup-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DVQSIM_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) >/dev/null

run: build
	@rc=0; ./$(BUILD)/vqsim run -j $(JOBS) --json $(BUILD)/results.json --png $(BUILD)/scanouts $(SCENARIOS) || rc=$$?; \
	 py=$$(bash tools/find-python.sh) && \
	 $$py tools/report.py $(BUILD)/results.json -o $(BUILD)/report --junit $(BUILD)/junit.xml && \
	 echo "report: $(BUILD)/report/index.html  (JUnit: $(BUILD)/junit.xml, JSON: $(BUILD)/results.json)"; \
	 exit $$rc

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@py=$$(bash tools/find-python.sh) && \
	 xdist=$$($$py -c 'import xdist' 2>/dev/null && echo "-n $(JOBS)") ; \
	 VQSIM=$(BUILD)/vqsim $$py -m pytest -q $$xdist tests

# The real-kernel cases of tests/test_linux.py, each recorded STRESS_RUNS times (default 5):
# every run required clean, every negative control on it firing (the vCPUs' interleaving and
# KASLR differ from run to run).
STRESS_RUNS ?= 5
stress-linux: build
	@py=$$(bash tools/find-python.sh) && \
	 xdist=$$($$py -c 'import xdist' 2>/dev/null && echo "-n $(JOBS)") ; \
	 VQSIM=$(BUILD)/vqsim VQSIM_LINUX_RUNS=$(STRESS_RUNS) $$py -m pytest -q $$xdist \
	   tests/test_linux.py -k "test_linux_checks_clean or test_control"

clean:
	rm -rf $(BUILD)

# A fuzzing campaign (README.md, "Fuzzing"): every target FUZZ_TIME seconds on every core, its
# corpus kept and merged in build/fuzz-campaign/, figures per target, then the line coverage.
FUZZ_TIME ?= 60
.PHONY: fuzz
fuzz: deps
	@py=$$(bash tools/find-python.sh) && $$py tools/fuzz_campaign.py --time $(FUZZ_TIME) --coverage

# Benchmarks (bench/README.md): their own build dir, -O2, no sanitizers. BENCH_SCALE=0.01 for a
# quick look; the figures in bench/README.md are from BENCH_SCALE=1.
BENCH_BUILD ?= build-bench
BENCH_SCALE ?= 1
.PHONY: bench
bench: deps
	@cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
	  -DVQSIM_SANITIZE=OFF -DVQSIM_TESTS=OFF -DVQSIM_BENCH=ON -DVQSIM_LIBRARY=OFF >/dev/null
	@cmake --build $(BENCH_BUILD) -j$(JOBS) >/dev/null
	@bash bench/bench.sh $(BENCH_BUILD) $(BENCH_SCALE)
