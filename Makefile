# Predis: `make run` sets up and starts the server; `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: redis-suite run test test-slow bench bench-memory bench-eviction bench-gpu bench-sampler autonomy fuzz model sim sim-live clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/predis-server --bind 127.0.0.1 --dir ./data $(ARGS)

# (the slowest tests are listed at the end: the whole run must stay under 15 minutes on a
# 2-core machine)
# (compileall: where PYTHONDONTWRITEBYTECODE is set, each of the ~270 servers the tests
# start would otherwise compile Predis's 140 modules from source, a quarter of its start)
test: $(STAMP)
	$(BIN)/python -m compileall -q predis.py server ops ml gpu
	$(BIN)/python -m pytest -q --durations=30

# Redis's own test suite (its 7.0.15 source, fetched once) with Predis as every server it
# starts: `make redis-suite UNITS="unit/acl unit/type/list"` (no UNITS: every unit file);
# `REDIS_SUITE=8.0.2 make redis-suite ...` runs the newer tests (Redis 7.2's behaviour, and 7.4
# and 8.0 features Predis does not have)
redis-suite: $(STAMP)
	compat_tests/redis_suite/run.sh $(UNITS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	$(BIN)/python -m bench.vs_redis $(ARGS)

bench-memory: $(STAMP)
	$(BIN)/python -m bench.memory $(ARGS)

bench-eviction: $(STAMP)
	$(BIN)/python -m bench.eviction $(ARGS)

# The ML loop: what sampling and the sidecar cost; the 30-day unattended run (report + plots).
bench-sampler: $(STAMP)
	$(BIN)/python -m bench.sampler_overhead $(ARGS)

autonomy: $(STAMP)
	$(BIN)/python -m bench.autonomy --days 30 --out bench/results/autonomy $(ARGS)

# Coverage-guided fuzzing (atheris) of the parsers and loaders, FUZZ_SECONDS per target; a
# crash stops its target and leaves the input in bench/results/fuzz/crash-*.
FUZZ_SECONDS ?= 120
FUZZ_TARGETS ?= resp command rdb stream config
fuzz: $(STAMP)
	$(BIN)/pip install -q 'atheris==3.0.0'
	mkdir -p bench/results/fuzz
	for target in $(FUZZ_TARGETS); do \
		mkdir -p bench/results/fuzz/$$target; \
		$(BIN)/python -m tests.fuzz.atheris_targets $$target bench/results/fuzz/$$target \
			-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=bench/results/fuzz/ \
			> bench/results/fuzz/$$target.log 2>&1; status=$$?; \
		echo "== $$target"; grep -a -E '^#[0-9]+[[:space:]]+DONE|^Done|Uncaught|^ +File' \
			bench/results/fuzz/$$target.log; [ $$status -eq 0 ] || exit $$status; \
	done

# On a machine with an NVIDIA GPU: the engine tests on the device and the GPU benchmarks.
bench-gpu: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH bench/gpu_check.sh bench/results/gpu-$$(date +%F)

# The learned eviction policy: the shipped model, the simulator study, the live comparison.
TRACES ?= ../shared/traces/*.oracleGeneral.bin.zst

SIZED_TRACES ?= ../shared/traces/adaptsize_cdn.oracleGeneral.bin.zst \
	../shared/traces/cloudphysics_io.oracleGeneral.bin.zst

model: $(STAMP)
	$(BIN)/predis train $(TRACES) $(foreach t,$(SIZED_TRACES),--bytes-trace $(t)) \
		--out ml/models/default.npz

sim: $(STAMP)
	mkdir -p docs/sim
	$(BIN)/predis sim $(TRACES) --json docs/sim/shipped-model.json \
		--plot docs/sim/shipped-model.png --table docs/sim/shipped-model.md $(ARGS)
	$(BIN)/predis sim $(TRACES) --train-per-trace --json docs/sim/per-trace.json \
		--plot docs/sim/per-trace.png --table docs/sim/per-trace.md $(ARGS)

sim-live: $(STAMP)
	$(BIN)/python -m bench.live_sim $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
