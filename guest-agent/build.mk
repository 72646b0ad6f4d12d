# The guest agent: switchctl and switcher-agent, static Linux binaries that go
# into the guests (a busybox initramfs has no libc to link against).  Included
# by the top Makefile; uses its BUILD, Q, say, WARN and CC.
#
# The mailbox codec and the hotkey parser are the switcher's own
# (switcher/mailbox.c, switcher/hotkey.c), compiled in here, so the guest and
# the switcher can never disagree on the layout or on what a key is.
# mailbox.c needs config.c (sw_mailbox_build, also used by the test option
# --make-test-mailbox), fmt.c and diag.c.
#
# Each binary is built twice: the shipped one, which guests run and `make
# demo` and the install instructions use, and a test build with the test
# hooks (-DSW_AGENT_TEST_HOOKS=1, see guest-agent/agent.h) under
# $(BUILD)/guest-agent/test/, which the tests use.  `make` builds both.

AGENT_FDT_LIB ?= $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libfdt.a /usr/lib/libfdt.a))
AGENT_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iswitcher -Iguest-agent $(EXTRA_CFLAGS)
AGENT_TEST_CFLAGS := -DSW_AGENT_TEST_HOOKS=1
AGENT_HDR := $(wildcard guest-agent/*.h) $(wildcard switcher/*.h)
AGENT_CORE := guest-agent/agent.c guest-agent/mbox.c guest-agent/mounts.c guest-agent/disk.c \
        guest-agent/suspend.c switcher/mailbox.c switcher/config.c switcher/hotkey.c switcher/gpt.c \
        switcher/fmt.c switcher/diag.c switcher/saveall.c
AGENT_PROGS := switchctl switcher-agent

# agent_variant OUT_DIR,OBJ_DIR,CFLAGS,LDFLAGS,FDT_LIB,TAG: the rules for one
# build of the agent: objects in OBJ_DIR, switchctl and switcher-agent in
# OUT_DIR.  TAG marks the build in make's progress lines.
define agent_variant
$(2)/%.o: %.c $$(AGENT_HDR)
	$$(call say,CC$(6),$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $(3) -c $$< -o $$@

$(addprefix $(1)/,$(AGENT_PROGS)): $(1)/%: $(2)/guest-agent/%.o $(patsubst %.c,$(2)/%.o,$(AGENT_CORE)) $(5)
	$$(call say,LINK$(6),$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $(4) -static -o $$@ $$(filter %.o %.a,$$^) $(5)
endef

$(eval $(call agent_variant,$(BUILD)/guest-agent,$(BUILD)/agent-obj,$(AGENT_CFLAGS),,$(AGENT_FDT_LIB),))
$(eval $(call agent_variant,$(BUILD)/guest-agent/test,$(BUILD)/agent-test-obj,$(AGENT_CFLAGS) $(AGENT_TEST_CFLAGS),,$(AGENT_FDT_LIB),))

# The lab bank (`switchctl snapshot`, guest-agent/snapctl.c and snapio.c)
# links libext2fs, statically: Debian's libext2fs-dev ships libext2fs.a and
# comerr-dev libcom_err.a for amd64; the i386 agent's copies are fetched like
# its libfdt.a (below).
AGENT_SNAP_SRC := guest-agent/snapctl.c guest-agent/snapio.c switcher/snapshot.c switcher/sha256.c \
        switcher/hash64.c switcher/savestate.c
AGENT_SNAP_LIBS := $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libext2fs.a /usr/lib/libext2fs.a)) \
        $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libcom_err.a /usr/lib/libcom_err.a))
$(BUILD)/guest-agent/switchctl: $(patsubst %.c,$(BUILD)/agent-obj/%.o,$(AGENT_SNAP_SRC)) $(AGENT_SNAP_LIBS)
$(BUILD)/guest-agent/test/switchctl: $(patsubst %.c,$(BUILD)/agent-test-obj/%.o,$(AGENT_SNAP_SRC)) $(AGENT_SNAP_LIBS)
# switcher-agent too: a slot suspended by its hotkey may be the one asked to
# save the slot that ran `switchctl poweroff --save` (snapctl.c).
$(BUILD)/guest-agent/switcher-agent: $(patsubst %.c,$(BUILD)/agent-obj/%.o,$(AGENT_SNAP_SRC)) $(AGENT_SNAP_LIBS)
$(BUILD)/guest-agent/test/switcher-agent: $(patsubst %.c,$(BUILD)/agent-test-obj/%.o,$(AGENT_SNAP_SRC)) $(AGENT_SNAP_LIBS)

AGENT_BINS := $(addprefix $(BUILD)/guest-agent/,$(AGENT_PROGS)) \
        $(addprefix $(BUILD)/guest-agent/test/,$(AGENT_PROGS))

.PHONY: agent
agent: $(AGENT_BINS)
all: $(AGENT_BINS)

# The same agent for 32-bit (i386) guests: gcc -m32 (gcc-multilib) and
# Debian's i386 static libraries (libfdt.a, and libext2fs.a with
# libcom_err.a for the lab bank), fetched into the cache by
# fetch-i386-static.sh (libfdt-dev cannot be installed for two architectures
# at once).  Built by `make agent32`, and by `make test` / `make demo`, which
# boot i386 slots; a plain `make` stays offline.  _FILE_OFFSET_BITS=64: the
# mailbox and the stores may lie above 2 GiB, beyond a 32-bit off_t.
AGENT32_FDT_LIB := $(BUILD)/cache/i386/libfdt/libfdt.a
AGENT32_SNAP_LIBS := $(BUILD)/cache/i386/libext2fs/libext2fs.a $(BUILD)/cache/i386/libcom_err/libcom_err.a
AGENT32_CFLAGS := $(AGENT_CFLAGS) -m32 -D_FILE_OFFSET_BITS=64

$(AGENT32_FDT_LIB):
	$(call say,FETCH,$@)
	$(Q)guest-agent/fetch-i386-static.sh $(BUILD)/cache libfdt-dev libfdt.a
$(BUILD)/cache/i386/libext2fs/libext2fs.a:
	$(call say,FETCH,$@)
	$(Q)guest-agent/fetch-i386-static.sh $(BUILD)/cache libext2fs-dev libext2fs.a
$(BUILD)/cache/i386/libcom_err/libcom_err.a:
	$(call say,FETCH,$@)
	$(Q)guest-agent/fetch-i386-static.sh $(BUILD)/cache comerr-dev libcom_err.a

$(eval $(call agent_variant,$(BUILD)/guest-agent/i386,$(BUILD)/agent32-obj,$(AGENT32_CFLAGS),-m32,$(AGENT32_FDT_LIB),32))
$(eval $(call agent_variant,$(BUILD)/guest-agent/test/i386,$(BUILD)/agent32-test-obj,$(AGENT32_CFLAGS) $(AGENT_TEST_CFLAGS),-m32,$(AGENT32_FDT_LIB),32))
$(BUILD)/guest-agent/i386/switchctl: $(patsubst %.c,$(BUILD)/agent32-obj/%.o,$(AGENT_SNAP_SRC)) $(AGENT32_SNAP_LIBS)
$(BUILD)/guest-agent/test/i386/switchctl: $(patsubst %.c,$(BUILD)/agent32-test-obj/%.o,$(AGENT_SNAP_SRC)) $(AGENT32_SNAP_LIBS)
$(BUILD)/guest-agent/i386/switcher-agent: $(patsubst %.c,$(BUILD)/agent32-obj/%.o,$(AGENT_SNAP_SRC)) $(AGENT32_SNAP_LIBS)
$(BUILD)/guest-agent/test/i386/switcher-agent: $(patsubst %.c,$(BUILD)/agent32-test-obj/%.o,$(AGENT_SNAP_SRC)) $(AGENT32_SNAP_LIBS)

.PHONY: agent32
agent32: $(addprefix $(BUILD)/guest-agent/i386/,$(AGENT_PROGS)) \
        $(addprefix $(BUILD)/guest-agent/test/i386/,$(AGENT_PROGS))
