# The guest agent: switchctl and switcher-agent, static Linux binaries that go
# into the guests (a busybox initramfs has no libc to link against).  Included
# by the top Makefile; uses its BUILD, Q, say, WARN and CC.
#
# The mailbox codec is the switcher's own (switcher/mailbox.c), compiled in
# here, so the guest and the switcher can never disagree on the layout.
# mailbox.c needs config.c (sw_mailbox_build, used by the developer option
# --make-test-mailbox), fmt.c and diag.c.

AGENT_FDT_LIB ?= $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libfdt.a /usr/lib/libfdt.a))
AGENT_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iswitcher -Iguest-agent $(EXTRA_CFLAGS)
AGENT_HDR := $(wildcard guest-agent/*.h) $(wildcard switcher/*.h)
AGENT_CORE := guest-agent/agent.c guest-agent/gpt.c switcher/mailbox.c switcher/config.c \
        switcher/fmt.c switcher/diag.c
AGENT_CORE_OBJ := $(patsubst %.c,$(BUILD)/agent-obj/%.o,$(AGENT_CORE))

$(BUILD)/agent-obj/%.o: %.c $(AGENT_HDR)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(AGENT_CFLAGS) -c $< -o $@

$(BUILD)/guest-agent/switchctl: $(BUILD)/agent-obj/guest-agent/switchctl.o $(AGENT_CORE_OBJ)
	$(call say,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -o $@ $^ $(AGENT_FDT_LIB)

$(BUILD)/guest-agent/switcher-agent: $(BUILD)/agent-obj/guest-agent/switcher-agent.o $(AGENT_CORE_OBJ)
	$(call say,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -o $@ $^ $(AGENT_FDT_LIB)

.PHONY: agent
agent: $(BUILD)/guest-agent/switchctl $(BUILD)/guest-agent/switcher-agent
all: $(BUILD)/guest-agent/switchctl $(BUILD)/guest-agent/switcher-agent

# The same agent for 32-bit (i386) guests: gcc -m32 (gcc-multilib) and
# Debian's i386 libfdt.a, fetched into the cache by fetch-libfdt-i386.sh
# (libfdt-dev cannot be installed for two architectures at once).  Built by
# `make agent32`, and by `make test` / `make demo`, which boot i386 slots; a
# plain `make` stays offline.  _FILE_OFFSET_BITS=64: the mailbox may lie
# above 2 GiB, beyond a 32-bit off_t.
AGENT32_FDT_LIB := $(BUILD)/cache/i386/libfdt/libfdt.a
AGENT32_CFLAGS := $(AGENT_CFLAGS) -m32 -D_FILE_OFFSET_BITS=64
AGENT32_CORE_OBJ := $(patsubst %.c,$(BUILD)/agent32-obj/%.o,$(AGENT_CORE))

$(AGENT32_FDT_LIB):
	$(call say,FETCH,$@)
	$(Q)guest-agent/fetch-libfdt-i386.sh $(BUILD)/cache

$(BUILD)/agent32-obj/%.o: %.c $(AGENT_HDR)
	$(call say,CC32,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(AGENT32_CFLAGS) -c $< -o $@

$(BUILD)/guest-agent/i386/%: $(BUILD)/agent32-obj/guest-agent/%.o $(AGENT32_CORE_OBJ) $(AGENT32_FDT_LIB)
	$(call say,LINK32,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 -static -o $@ $(filter %.o,$^) $(AGENT32_FDT_LIB)

.PHONY: agent32
agent32: $(BUILD)/guest-agent/i386/switchctl $(BUILD)/guest-agent/i386/switcher-agent
