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
