# Multi-OS partition switcher: one Makefile, out-of-tree build in $(BUILD).
#
#   make            build/switcher.efi and the host tools (build/mkslot)
#   make test       every test: host unit tests, then the QEMU + OVMF boots
#   make unit       host unit tests only (needs gcc, cmocka and libfdt; no root, no QEMU)
#   make demo       provision a disk from partitions.conf and boot it in QEMU
#   make bench      the issue 7 and 13 table: switches through the S3 path and the tboot
#                   entry, boots (direct vs switcher), copy rate, the switcher's part at
#                   256 MiB, 1 and 2 GiB active, the tboot path again without a TPM,
#                   and the swap's copy loop against rep movsb/movsq and memcpy
#                   (SW_BENCH_ONLY=copy: that row alone, one short QEMU run)
#   make soak       200 hotkey switches between two writing slots (SOAK_ROUNDS round trips)
#   make agent32    the guest agent for i386 guests (fetches Debian's i386 libfdt.a)
#   make agent-deb  the agent as Debian packages: build/deb/switcher-agent_VERSION_{amd64,i386}.deb
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 120) (clang)
#   make sanitize   the unit tests again under ASan + UBSan, from $(BUILD)/san
#   make deps       install missing Debian packages (as root), else print the line
#   make clean
#   V=1             show full commands

BUILD   ?= build
V       ?= 0
Q        = $(if $(filter 1,$(V)),,@)
say      = $(if $(filter 1,$(V)),,@printf '  %-7s %s\n' $(1) $(2);)

CC      ?= gcc
NASM    ?= nasm
LD      ?= ld
OBJCOPY ?= objcopy

WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
        -Wshadow -Wcast-qual -Wpointer-arith -Wwrite-strings -Wundef \
        -Wno-unused-parameter

# Every C object records the headers it included (OBJ.d next to OBJ.o, read
# back at the end of this file), so touching a header rebuilds exactly the
# objects that use it, and a new file needs no rule.  -MP adds an empty rule
# per header, so a deleted or renamed header does not stop the build.
DEPFLAGS := -MMD -MP

# ---------------------------------------------------------------------------
# The pure core (switcher/*.c): no EFI headers, built twice, once for the host
# tools and tests, once for the EFI binary.  One parser, one planner.
SW_SRC   := $(sort $(wildcard switcher/*.c))

HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iswitcher $(EXTRA_CFLAGS)
HOST_LDFLAGS := $(EXTRA_LDFLAGS)
HOST_OBJ := $(patsubst %.c,$(BUILD)/host/%.o,$(SW_SRC))

$(BUILD)/host/%.o: %.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libswitcher.a: $(HOST_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# ---------------------------------------------------------------------------
# gnulib for mkslot: imported from Debian's gnulib package into the build
# folder (never committed) by gnulib-tool, configured and built once.  The
# import runs autoreconf, so the first build takes a minute or two.  After
# changing GNULIB_MODULES, remove $(BUILD)/gnulib to import again.
GNULIB_TOOL    ?= gnulib-tool
GNULIB_MODULES := argp error progname xalloc xvasprintf full-write safe-read
GL_DIR := $(BUILD)/gnulib
GL_LIB := $(GL_DIR)/build/gllib/libgnu.a
# gnulib headers want its config.h first; switcher/config.h has the same
# name, so it is forced in with -include rather than #include <config.h>.
GL_CFLAGS := -include $(GL_DIR)/build/config.h -isystem $(GL_DIR)/build -isystem $(GL_DIR)/build/gllib -isystem $(GL_DIR)/src/gllib

$(GL_LIB):
	$(call say,GNULIB,$(GL_DIR))
	$(Q)rm -rf $(GL_DIR) && mkdir -p $(GL_DIR)/build
	$(Q)$(GNULIB_TOOL) --create-testdir --dir=$(GL_DIR)/src --without-tests \
	  --no-conditional-dependencies $(GNULIB_MODULES) >$(GL_DIR)/import.log 2>&1 || \
	  { tail -n 20 $(GL_DIR)/import.log; echo "gnulib-tool failed (log: $(GL_DIR)/import.log)"; exit 1; }
	$(Q)cd $(GL_DIR)/build && ../src/configure -q CFLAGS="-O2 -g" >../configure.log 2>&1 && \
	  $(MAKE) -s >../make.log 2>&1 || \
	  { tail -n 20 $(GL_DIR)/configure.log $(GL_DIR)/make.log; echo "building gnulib failed"; exit 1; }

# ---------------------------------------------------------------------------
# Host tools.
MKSLOT_SRC := $(sort $(wildcard tools/mkslot/*.c))
# The snapshot byte mover is shared with the guest agent (one implementation).
MKSLOT_SRC += guest-agent/snapio.c
MKSLOT_OBJ := $(patsubst %.c,$(BUILD)/host/%.o,$(MKSLOT_SRC))
# config.h is gnulib's, not ours: -Wundef stays on for our code through
# everything else, but gnulib's own config.h tests undefined macros.
$(MKSLOT_OBJ): HOST_CFLAGS += $(GL_CFLAGS) -Itools/mkslot -Wno-undef
# gnulib's headers are -isystem, which -MMD leaves out: its library stands
# for them (and must exist before the first compile).
$(MKSLOT_OBJ): $(GL_LIB)
$(MKSLOT_OBJ): HOST_CFLAGS += -Iguest-agent
$(BUILD)/mkslot: $(MKSLOT_OBJ) $(BUILD)/libswitcher.a $(GL_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lfdt -lext2fs -lcom_err

# ---------------------------------------------------------------------------
# Host unit tests (cmocka): tests/unit/test_NAME.c -> $(BUILD)/tests/test_NAME.
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_OBJ   := $(patsubst %.c,$(BUILD)/host/%.o,$(UNIT_SRC))
UNIT_UTIL  := $(patsubst %.c,$(BUILD)/host/%.o,$(wildcard tests/unit/util_*.c))

$(BUILD)/tests/test_%: $(BUILD)/host/tests/unit/test_%.o $(UNIT_UTIL) $(BUILD)/libswitcher.a
	$(call say,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lcmocka -lfdt

$(BUILD)/host/tests/unit/%.o: HOST_CFLAGS += -Itests/unit -DFIXTURES=\"$(CURDIR)/tests/fixtures\"
# The unit tests' packages are checked for before the first test compiles
# (order only: the check never makes an object stale), so a missing cmocka
# is named with its apt-get line rather than shown as a compiler error.
$(UNIT_OBJ) $(UNIT_UTIL): | unit-deps

# ---------------------------------------------------------------------------
# Fuzzing (libFuzzer): tests/fuzz/fuzz_NAME.c -> $(BUILD)/fuzz/fuzz_NAME, found
# like the unit tests, so a new parser's target is one new file.  The core is
# compiled again by clang into $(BUILD)/fuzz/obj with coverage and ASan +
# UBSan: the gcc objects above carry neither.  tests/fuzz/run-fuzz.sh seeds,
# replays and runs them (make fuzz, and briefly tests/tools/t-fuzz.sh).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 120
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -fno-omit-frame-pointer $(WARN) -Iswitcher -Itests/fuzz \
                $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_UTIL    := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(sort $(wildcard tests/fuzz/util_*.c)))
FUZZ_OBJ     := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(SW_SRC) $(FUZZ_SRC)) $(FUZZ_UTIL)

$(BUILD)/fuzz/obj/%.o: %.c
	$(call say,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

# Targets that build their seeds from fixtures (fuzz_seeds) find them here.
$(BUILD)/fuzz/obj/tests/fuzz/%.o: FUZZ_CFLAGS += -DFIXTURES=\"$(CURDIR)/tests/fixtures\"

$(BUILD)/fuzz/libswitcher.a: $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(SW_SRC))
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_UTIL) $(BUILD)/fuzz/libswitcher.a
	$(call say,LINK,$@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lfdt

# Without clang, say how to get it instead of failing on a missing command.
fuzz-cc:
	$(Q)command -v $(FUZZ_CC) >/dev/null || { \
	  echo "fuzz: $(FUZZ_CC) is missing: run as root:  apt-get install -y clang libclang-rt-14-dev" >&2; exit 1; }

fuzz-build: fuzz-cc
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)

# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer: the
# same rules with another build folder and flags (gcc's sanitizers).
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_BINS  := $(patsubst $(BUILD)/%,$(BUILD)/san/%,$(UNIT_BINS))

sanitize-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/san EXTRA_CFLAGS="$(SAN_FLAGS)" \
	  EXTRA_LDFLAGS="$(SAN_FLAGS)" $(SAN_BINS)

# ---------------------------------------------------------------------------
# The EFI binary: GNU-EFI, libfdt.a from Debian, the trampoline from nasm.
EFI_INC   ?= /usr/include/efi
EFI_LIB   ?= /usr/lib
FDT_LIB   ?= $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libfdt.a /usr/lib/libfdt.a))
EFI_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fpic -fshort-wchar \
        -mno-red-zone -fno-stack-protector -fno-strict-aliasing \
        -fno-builtin -DEFI_FUNCTION_WRAPPER -DSW_EFI=1 \
        -isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64 -Iswitcher -Iefi -Itrampoline -I$(BUILD)/gen
EFI_LDFLAGS := -nostdlib -znocombreloc -T $(EFI_LIB)/elf_x86_64_efi.lds \
        -shared -Bsymbolic -L$(EFI_LIB) --no-undefined

EFI_SRC  := $(sort $(wildcard efi/*.c))
EFI_OBJ  := $(patsubst %.c,$(BUILD)/efi-obj/%.o,$(SW_SRC) $(EFI_SRC))
TRAMP_SRC := $(sort $(wildcard trampoline/*.asm))
# Flat binaries (copied to fixed places at run time): wake16.asm (the low
# page) and tboot-stub.asm (the tboot range); the rest links into the image.
TRAMP_FLAT := $(filter %16.asm %-stub.asm,$(TRAMP_SRC))
TRAMP_OBJ := $(patsubst %.asm,$(BUILD)/efi-obj/%.o,$(filter-out $(TRAMP_FLAT),$(TRAMP_SRC)))
TRAMP_BIN := $(patsubst %.asm,$(BUILD)/gen/%.bin,$(TRAMP_FLAT))

# C layouts the trampoline needs, as nasm %defines generated from C offsetof.
# The generator's headers are recorded against the .inc it makes.
WAKE_DEFS := $(BUILD)/gen/trampoline/wake-defs.inc
$(WAKE_DEFS): trampoline/asm-defines.c
	$(call say,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -Itrampoline -Iswitcher -MMD -MP -MT $@ -MF $(@:.inc=.d) $< -o $(BUILD)/gen/trampoline/asm-defines
	$(Q)$(BUILD)/gen/trampoline/asm-defines > $@.tmp && mv $@.tmp $@

# Real-mode pieces are flat binaries, embedded by the elf64 objects (incbin).
$(BUILD)/gen/%.bin: %.asm $(wildcard trampoline/*.inc) $(WAKE_DEFS)
	$(call say,NASM,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(NASM) -f bin -Itrampoline/ -I$(BUILD)/gen/trampoline/ $< -o $@

$(BUILD)/efi-obj/trampoline/%.o: trampoline/%.asm $(TRAMP_BIN) $(wildcard trampoline/*.inc)
	$(call say,NASM,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(NASM) -f elf64 -Itrampoline/ -I$(BUILD)/gen/trampoline/ $< -o $@

# The generated files under $(BUILD)/gen come first (order only), in case a
# C file includes one: -MMD can only name them after the first compile.
$(BUILD)/efi-obj/%.o: %.c | $(WAKE_DEFS)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EFI_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/switcher.so: $(EFI_OBJ) $(TRAMP_OBJ)
	$(call say,LD,$@)
	$(Q)$(LD) $(EFI_LDFLAGS) $(EFI_LIB)/crt0-efi-x86_64.o $^ $(FDT_LIB) -lefi -lgnuefi -o $@
	$(Q)undef=$$(nm -u $@); if [ -n "$$undef" ]; then \
	  echo "switcher.so has undefined symbols:"; echo "$$undef"; rm -f $@; exit 1; fi

$(BUILD)/switcher.efi: $(BUILD)/switcher.so
	$(call say,OBJCOPY,$@)
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
	  -j .rela -j .rel.* -j .rela.* -j .reloc --target=efi-app-x86_64 \
	  --subsystem=10 $< $@

# ---------------------------------------------------------------------------
# make bench's guest-side copy benchmark, a static binary for the bench
# guests (tests/bench/bench.sh builds it through bench-tools).  It links the
# switcher's own trampoline object, so the copy loop it times is the one the
# swap runs, assembled by the rule above.
COPY_LOOP_OBJ := $(BUILD)/efi-obj/trampoline/trampoline.o
BENCH_TOOLS   := $(BUILD)/bench-bin/memcpy-bench

$(BUILD)/bench-bin/memcpy-bench: tests/bench/memcpy-bench.c trampoline/trampoline.h $(COPY_LOOP_OBJ)
	$(call say,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -Itrampoline -static -o $@ $(filter %.c %.o,$^)

bench-tools: $(BENCH_TOOLS)

# ---------------------------------------------------------------------------
.PHONY: all deps deps-check unit-deps bench-tools FORCE unit test demo bench soak clean check-deps fuzz fuzz-cc fuzz-build sanitize sanitize-build
.DEFAULT_GOAL := all
# Objects and generated blobs are kept between runs, not deleted as intermediates.
.SECONDARY:

all: deps-check $(BUILD)/switcher.efi $(BUILD)/mkslot

deps:
	$(Q)./tests/deps.sh install

deps-check:
	$(Q)./tests/deps.sh check

# Only what the unit tests build with: no root, no QEMU.
unit-deps:
	$(Q)./tests/deps.sh unit

unit: unit-deps $(UNIT_BINS)
	$(Q)./tests/run-unit.sh $(UNIT_BINS)

test: deps all agent32 $(UNIT_BINS)
	$(Q)./tests/run-all.sh $(BUILD)

demo: deps all agent32
	$(Q)./tests/ovmf/demo.sh $(BUILD)

bench: deps all bench-tools
	$(Q)./tests/bench/bench.sh $(BUILD)

# The switch test at length: every switch checked, then every file exact and
# both partitions clean.  About 10 s per round trip under TCG.
SOAK_ROUNDS ?= 100
soak: deps all
	$(Q)SW_RESULTS= SW_SWITCH_ROUNDS=$(SOAK_ROUNDS) ./tests/ovmf/t-switch.sh $(BUILD)

# Both scripts build what they run (so make test can run them as they are).
fuzz:
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CC=$(FUZZ_CC) ./tests/fuzz/run-fuzz.sh $(BUILD)

sanitize:
	$(Q)./tests/tools/t-sanitize.sh $(BUILD)

clean:
	rm -rf $(BUILD)

# ---------------------------------------------------------------------------
# The guest agent (switcher-agent, switchctl): static Linux binaries that go
# into the guests.  Its rules live with it.
-include guest-agent/build.mk

# Its objects record their headers too, through a pattern-specific flag
# (build.mk's rules stay as they are).
$(BUILD)/agent-obj/%.o: AGENT_CFLAGS += $(DEPFLAGS)
$(BUILD)/agent32-obj/%.o: AGENT32_CFLAGS += $(DEPFLAGS)

# The agent as Debian packages for amd64 and i386 guests, made by dpkg-deb
# from the shipped binaries (packaging/deb/build-deb.sh; docs/agent-deb.md).
# Their version is the switcher's (SWITCHER_VERSION in efi/sw-efi.h) with the
# Debian revision of packaging/deb/changelog.
.PHONY: agent-deb
agent-deb: $(addprefix $(BUILD)/guest-agent/,$(AGENT_PROGS)) $(addprefix $(BUILD)/guest-agent/i386/,$(AGENT_PROGS))
	$(call say,DEB,$(BUILD)/deb)
	$(Q)packaging/deb/build-deb.sh $(BUILD) >/dev/null

# ---------------------------------------------------------------------------
# The recorded header dependencies, for the objects this tree can build now
# (a stale .d of a deleted source is never read).  Only the ones that exist
# are read, so make never tries to remake one as a makefile.  The agent's
# object lists belong to build.mk, so its .d files are found by their place
# (its rules keep their own header prerequisites).
DEP_OBJ  := $(HOST_OBJ) $(MKSLOT_OBJ) $(UNIT_OBJ) $(UNIT_UTIL) $(EFI_OBJ) $(FUZZ_OBJ)
DEPFILES := $(DEP_OBJ:.o=.d) $(WAKE_DEFS:.inc=.d)
-include $(wildcard $(DEPFILES) $(BUILD)/agent-obj/*/*.d $(BUILD)/agent32-obj/*/*.d)
# An object without its .d (built before the .d files, or the .d deleted)
# says nothing about its headers: it is built again, once, rather than
# trusted.  (.SECONDARY keeps a missing .d from forcing that by itself.)
DEP_LOST := $(filter-out $(wildcard $(DEPFILES)),$(DEPFILES))
$(patsubst %.d,%.o,$(filter-out $(WAKE_DEFS:.inc=.d),$(DEP_LOST))) $(if $(filter $(WAKE_DEFS:.inc=.d),$(DEP_LOST)),$(WAKE_DEFS)): FORCE
FORCE:
