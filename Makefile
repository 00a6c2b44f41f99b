# vernier — one Makefile is the build.
#
#   make            library (static + shared) and the vernier binary
#   make demo       install what is missing, build, evaluate the bundled example
#   make test       install what is missing, build, run every test suite
#   make asan       the C tests and CLI tests under AddressSanitizer (+ leak checks)
#   make ubsan      the same under UndefinedBehaviorSanitizer
#   make bench      the speed benchmark (bench/RESULTS.md)
#   make fuzz T=csv S=600   run one libFuzzer target for S seconds (fuzz/README.md)
#   make python     the Python extension in place (python/vernier/_core*.so)
#   make clean

CC       ?= cc
PYTHON   ?= /usr/bin/python3
BUILD    ?= build
OPT      ?= -O2
# -ffp-contract=off: a fused multiply-add would break the error terms of compensated
# sums. Never build with fast-math: it lets the compiler drop compensation terms.
CFLAGS   ?= $(OPT) -g
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
            -Wformat=2 -Wvla
ifeq ($(CI),true)
WARN     += -Werror
endif
PKGS      = zlib sqlite3 yaml-0.1
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -ffp-contract=off -fPIC $(WARN) -Iinclude -Isrc \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LIBS      = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lz -lsqlite3 -lyaml) -lm -lpthread

LIB_SRC   = $(wildcard src/*.c)
CLI_SRC   = $(wildcard cli/*.c)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   = $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps demo test test-unit test-cli test-check test-oracle test-store test-python python asan ubsan bench bench-smoke clean \
        fuzz fuzz-build test-fuzz-replay test-robust

all: $(BUILD)/libvernier.a $(BUILD)/libvernier.so $(BUILD)/vernier

$(BUILD)/%.o: %.c include/vernier.h $(wildcard src/*.h) $(wildcard cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libvernier.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libvernier.so: $(LIB_OBJ)
	$(CC) -shared $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/vernier: $(CLI_OBJ) $(BUILD)/libvernier.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libvernier.a $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/alloc_hook.h $(BUILD)/libvernier.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libvernier.a $(LIBS)

# Debian packages the build and the tests need; installed only when missing.
deps:
	@sh scripts/deps.sh

demo: deps all
	$(BUILD)/vernier eval examples/diabetes.csv -y y -p yhat
	$(BUILD)/vernier eval examples/demand.csv -y demand -p forecast --by store
	$(BUILD)/vernier compare examples/eta.csv -y actual -p v1 -p v2 --primary p95_abs_error \
	    --guard mean_error:0.5 --threads 0 || echo "(exit $$?: the challenger does not win)"
	$(BUILD)/vernier check --spec examples/vernier.yaml
	$(BUILD)/vernier report examples/demand.csv -y demand -p forecast --by store --ci \
	    --title "Daily demand forecast, four stores" -o report.html
	@echo "wrote report.html: open it in a browser (it needs no network)"

test: deps all $(UNIT_BIN)
	@$(MAKE) --no-print-directory test-unit test-cli test-check test-oracle test-store test-python test-fuzz-replay test-robust bench-smoke

# The Python package: the extension compiles python/vernier/_core.c with the library
# sources (python/setup.py); pip installs it the same way.
PYEXT := python/vernier/_core$(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)

python: $(PYEXT)

$(PYEXT): python/vernier/_core.c python/setup.py $(LIB_SRC) include/vernier.h $(wildcard src/*.h)
	cd python && $(PYTHON) setup.py -q build_ext --inplace -j 2

test-python: $(PYEXT) $(BUILD)/vernier
	VERNIER=$(abspath $(BUILD)/vernier) PYTHONPATH=$(abspath python) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/python

test-unit: $(UNIT_BIN)
	@sh tests/run_unit.sh $(UNIT_BIN)

test-cli: $(BUILD)/vernier
	@sh tests/cli/run.sh $(BUILD)/vernier

test-check: $(BUILD)/vernier
	@sh tests/check/e2e.sh $(BUILD)/vernier

test-oracle: $(BUILD)/vernier
	VERNIER=$(abspath $(BUILD)/vernier) $(PYTHON) -m pytest -q -p no:cacheprovider tests/oracle

# Fault injection and adversarial numbers through the CLI (docs/robustness.md): every
# allocation failed in turn, I/O errors (an LD_PRELOAD shim, /dev/full, RLIMIT_FSIZE),
# directories, FIFOs, slow pipes, subnormals, overflow. The shim is never sanitized.
$(BUILD)/tests/libioshim.so: tests/robust/ioshim.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O1 -g -o $@ $< -ldl

test-robust: $(BUILD)/vernier $(BUILD)/tests/libioshim.so
	VERNIER=$(abspath $(BUILD)/vernier) IOSHIM=$(abspath $(BUILD)/tests/libioshim.so) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/robust

test-store: $(BUILD)/vernier
	VERNIER=$(abspath $(BUILD)/vernier) $(PYTHON) -m pytest -q -p no:cacheprovider tests/store

asan:
	$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  CFLAGS="-g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  test-unit test-cli test-check test-fuzz-replay test-robust

ubsan:
	$(MAKE) --no-print-directory BUILD=build-ubsan OPT=-O1 \
	  CFLAGS="-g -fsanitize=undefined -fno-sanitize-recover=all" test-unit test-cli test-check test-fuzz-replay test-robust

bench: all
	$(PYTHON) bench/run.py

bench-smoke: all
	$(PYTHON) bench/run.py --smoke
	$(PYTHON) bench/scaling.py --smoke

# ---- fuzzing (fuzz/README.md) ----
# Each fuzz/fuzz_T.c is a libFuzzer target (clang, ASan+UBSan, into fuzz/build/) and,
# linked with fuzz/replay.c and the ordinary library, a plain replay driver over its
# committed corpus fuzz/corpus/T that `make test` runs.
FUZZ_TARGETS = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_CC     ?= $(shell command -v clang-14 || command -v clang)
FUZZ_BUILD  ?= fuzz/build
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# the reader's block shrunk to 61 bytes puts block boundaries everywhere in small inputs
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -ffp-contract=off -g -O1 -Iinclude -Isrc -DVN_CSV_BLOCK=61 \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_LIBOBJ  = $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
.SECONDARY: $(FUZZ_LIBOBJ)
REPLAY_BIN   = $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
T ?= csv
S ?= 60

$(FUZZ_BUILD)/%.o: %.c include/vernier.h $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIBOBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBOBJ) $(LIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

# Runs target T for S seconds over a scratch copy of its corpus (new inputs land in
# fuzz/build/corpus-T; fold the interesting ones back with fuzz/README.md's -merge=1).
fuzz: $(FUZZ_BUILD)/fuzz_$(T)
	@mkdir -p $(FUZZ_BUILD)/corpus-$(T) $(FUZZ_BUILD)/artifacts-$(T)
	$(FUZZ_BUILD)/fuzz_$(T) -max_total_time=$(S) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts-$(T)/ $(FUZZ_BUILD)/corpus-$(T) fuzz/corpus/$(T)

$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(BUILD)/libvernier.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/replay.c $(BUILD)/libvernier.a $(LIBS)

test-fuzz-replay: $(REPLAY_BIN)
	@for t in $(FUZZ_TARGETS); do $(BUILD)/fuzz/replay_$$t fuzz/corpus/$$t || exit 1; done

clean:
	rm -rf build build-asan build-ubsan fuzz/build python/build python/*.egg-info python/vernier/_core*.so
