# kindred: a plain Makefile.  `make` builds build/kindred; `make run` and
# `make check` are the two commands the README gives.

CC      ?= cc
BUILD   ?= build
PKGS     = libmicrohttpd jansson sqlite3 libpq libsodium libutf8proc
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wconversion -Werror
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(OPT) $(SAN) $(WARN) \
           -Isrc -Iinclude -I$(BUILD) -MMD -MP \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lpthread -lm
LDFLAGS += $(SAN)

LIB_SRC  = $(sort $(wildcard src/util/*.c src/engine/*.c src/store/*.c \
             src/vault/*.c src/care/*.c src/web/*.c src/web/handlers/*.c))
CLI_SRC  = $(sort $(wildcard src/cli/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/embedded.o
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
EMBEDDED = $(sort $(shell find templates static data src/store/migrations -type f \
             ! -name '*~' ! -name '.*' 2>/dev/null))

UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run check asan unit deps test-deps format fuzz bench bench-engine eval clean
all: $(BUILD)/kindred

$(BUILD)/kindred: $(CLI_OBJ) $(BUILD)/libkindred.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libkindred.a $(LDLIBS)

$(BUILD)/libkindred.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $<

$(BUILD)/embedded.c: $(BUILD)/tools/embed $(EMBEDDED) Makefile
	$(BUILD)/tools/embed $@ $(EMBEDDED)

$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(CC) -O0 -Isrc -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkindred.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $< \
	    $(BUILD)/libkindred.a $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

unit: $(UNIT_BIN)

deps:
	@sh tools/deps.sh

# What the tests need beyond the build: node, chromium, and the two npm
# packages pinned in package-lock.json.
test-deps:
	@KINDRED_DEPS=test sh tools/deps.sh
	@[ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] || \
	    npm ci --no-audit --no-fund

run: deps all
	$(BUILD)/kindred serve

check: test-deps all unit
	@sh tests/run.sh $(BUILD)

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" check

format:
	clang-format -i $$(find src tests tools -name '*.[ch]')

FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
fuzz:
	@sh tests/fuzz/run.sh $(FUZZ_SRC)

bench: deps all $(BUILD)/bench/jsonl_roundtrip
	@sh bench/run.sh $(BUILD)

# The engine on the corpora's dev splits (outside the repository).
EVAL_DATA ?= ../shared/data
eval: all
	@$(BUILD)/kindred eval --data $(EVAL_DATA)

# analyze --jsonl throughput next to a jansson round trip of the same
# lines, measured in the same run.
$(BUILD)/bench/jsonl_roundtrip: bench/jsonl_roundtrip.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) $(shell pkg-config --libs jansson)

bench-engine: all $(BUILD)/bench/jsonl_roundtrip
	@sh bench/engine.sh $(BUILD)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
