# kyso — plain Makefile.  `make` builds build/kyso; see README.md.
#
# BUILD selects the output tree so the sanitizer build (make asan) lives
# beside the normal one and runs the very same tests.

BUILD   ?= build
ifeq ($(origin CC),default)
CC      := gcc
endif
PREFIX  ?= /usr/local
PKGS    := libcrypto libssl p11-kit-1 libxml-2.0 zlib harfbuzz harfbuzz-subset jansson libcurl libmicrohttpd libqrencode sqlite3
# Libraries without a pkg-config file (scripts/fuzz.sh reads this line too).
NOPC_LIBS := -lhpdf
VERSION := 0.1.0

WARN    := -Wall -Wextra -Werror -Wshadow -Wconversion -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wnull-dereference
HARDEN  := -fstack-protector-strong -fPIE
DEFS    := -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED \
           -DKS_VERSION=\"$(VERSION)\"
OPT     ?= -O2 -g -D_FORTIFY_SOURCE=2
SAN     ?=
INCS    := -I. -Icore $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS  := -std=c11 $(OPT) $(WARN) $(HARDEN) $(DEFS) $(SAN) $(INCS) $(EXTRA_CFLAGS)
LDFLAGS := -pie -Wl,-z,relro,-z,now $(SAN)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(NOPC_LIBS) -lm -lpthread

LIB_SRC   := $(wildcard core/*.c pkcs11/*.c formats/*/*.c signer/*.c signer/*/*.c api/*.c)
# The command line: argument parsing and printing over the engine (signer/)
# and the HTTP front (api/); linked into build/kyso only.
CLI_SRC   := $(wildcard cli/*.c)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/tests/replay_%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FONTS     := $(BUILD)/fonts/DejaVuSans-flat.ttf $(BUILD)/fonts/DejaVuSans-Bold-flat.ttf

.PHONY: all tests test check asan asan-unit lint pki run bench fuzz fuzz-updates clean install deps
.DELETE_ON_ERROR:

# Quiet build: "CC file.c"; `make V=1` prints every command in full.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

all: $(BUILD)/kyso $(FONTS)

# Record fonts for kyso render: DejaVu Sans cut to the record character set
# with composite glyphs decomposed (scripts/mkfont.py says why).
PYTHON3  ?= /usr/bin/python3
FONT_SRC ?= /usr/share/fonts/truetype/dejavu
$(BUILD)/fonts/%-flat.ttf: $(FONT_SRC)/%.ttf scripts/mkfont.py formats/render/ks_render_chars.h
	@mkdir -p $(dir $@)
	$(call say,FONT,$@)
	$(Q)$(PYTHON3) scripts/mkfont.py $< $@.tmp formats/render/ks_render_chars.h && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libkyso.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/kyso: $(CLI_OBJ) $(BUILD)/libkyso.a
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(BUILD)/libkyso.a
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libkyso.a $(LIBS) -lcmocka

# A PKCS#11 module over SoftHSM2 that fails one call on request
# (tests/unit/test_pkcs11_faults.c loads it beside the test binaries).
$(BUILD)/tests/p11faults.so: tests/p11faults/ks_p11_faults.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(filter-out -fPIE,$(CFLAGS)) -fPIC -shared -Wl,-z,relro,-z,now $(SAN) -o $@ $< -ldl -lpthread

# The fuzz harnesses double as regression tests: a plain driver replays
# their seed corpus in every `make test`.
$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(BUILD)/libkyso.a
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(BUILD)/libkyso.a $(LIBS)

$(BUILD)/bench/%: bench/%.c bench/common.c bench/common.h $(BUILD)/libkyso.a
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< bench/common.c $(BUILD)/libkyso.a $(LIBS)

tests: all $(UNIT_BIN) $(REPLAY_BIN) $(BUILD)/tests/p11faults.so

deps:
	@scripts/deps.sh

test check: deps
	@$(MAKE) --no-print-directory tests
	@$(MAKE) --no-print-directory pki
	@scripts/run-tests.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" tests
	@$(MAKE) --no-print-directory pki
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		scripts/run-tests.sh build/asan

# The unit tests and fuzz seed replays under ASan and UBSan (CI runs it).
asan-unit: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" tests
	@$(MAKE) --no-print-directory pki
	@KYSO_TEST_ONLY=unit ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1 scripts/run-tests.sh build/asan

fuzz: deps
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),600)

fuzz-updates: deps
	@scripts/fuzz-updates.sh $(or $(FUZZ_SECONDS),600)

lint: all
	@scripts/lint.sh $(BUILD)

pki:
	@bash certs-test/mkpki.sh build/pki

run: deps
	@$(MAKE) --no-print-directory all pki
	@scripts/run-demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all pki $(BENCH_BIN)
	@bench/run.sh $(BUILD)

install: all
	install -D -m 0755 $(BUILD)/kyso $(DESTDIR)$(PREFIX)/bin/kyso
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/kyso/fonts $(FONTS)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
