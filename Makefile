# The two quick-start commands (README.md). Both install missing Debian packages first.
#   make run   build, run every scenario, write the report (build/report/index.html)
#   make test  build, run the whole test suite (CMocka unit tests + pytest)
BUILD ?= build
JOBS ?= 2
SCENARIOS = $(shell find scenarios -name '*.yaml' | LC_ALL=C sort)

.PHONY: all run test deps build clean

all: build

deps:
	@bash tools/setup-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DVQSIM_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) >/dev/null

run: build
	@rc=0; ./$(BUILD)/vqsim run --json $(BUILD)/results.json --png $(BUILD)/scanouts $(SCENARIOS) || rc=$$?; \
	 py=$$(bash tools/find-python.sh) && \
	 $$py tools/report.py $(BUILD)/results.json -o $(BUILD)/report --junit $(BUILD)/junit.xml && \
	 echo "report: $(BUILD)/report/index.html  (JUnit: $(BUILD)/junit.xml, JSON: $(BUILD)/results.json)"; \
	 exit $$rc

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@py=$$(bash tools/find-python.sh) && VQSIM=$(BUILD)/vqsim $$py -m pytest -q tests

clean:
	rm -rf $(BUILD)
