/* SPDX-License-Identifier: MIT */
/*
 * The boot-services glue: the only place that includes GNU-EFI headers.  It
 * turns firmware services into plain inputs for the core (memory map, file
 * bytes, ACPI pointers, framebuffer) and the core's decisions back into
 * firmware calls.
 */
#pragma once

#include <efi.h>
#include <efilib.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "memmap.h"
#include "menu-model.h"

/* The version the menu's title and the boot loader variables give. */
#define SWITCHER_VERSION "0.1"

/* console.c: the log and what a person must see, on the screen and COM1
 * (see there for which goes where). */
enum con_target {
        CON_SCREEN = 1,   /* the graphics console (else ConOut) */
        CON_SERIAL = 2,   /* COM1 port I/O: works after ExitBootServices too */
};
/* The next character of UTF-8 text *s as a UCS-2 code point, advancing
 * *s past it; UCS2_NONE for what UCS-2 cannot hold or is not UTF-8. */
#define UCS2_NONE 0xffffffffu
uint32_t utf8_next_ucs2(const char **s);
/* partitions.conf's 'console' and 'verbose'; until then: both, not verbose. */
void con_init(enum sw_console console, bool verbose);
void con_after_exit(void);           /* from now on: COM1 only */
void con_write(unsigned targets, const char *utf8);
/* The log: serial; the screen too with 'verbose yes'.  A line starting
 * "switcher: warning:" or "switcher: error:" is treated as con_say's. */
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What a person must see: the screen and serial. */
void con_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void serial_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* SW_INFO goes to the log; warnings and errors where con_say's text goes,
 * and into con_msgs for the menu. */
void con_diag_emit(void *ctx, enum sw_severity sev, const char *msg);
void con_plan_line(void *ctx, const char *text);
extern struct sw_diag con_diag;
extern struct sw_menu_msgs con_msgs;
void sw_efi_panic(const char *msg) __attribute__((noreturn));
/* Waits up to seconds for a key; returns true if one was pressed. */
bool con_wait_key(unsigned seconds, EFI_INPUT_KEY *key);
/* The menu's screen: cleared, cursor hidden, its size in characters;
 * false when the menu has no screen ('console serial', or none at all).
 * Then rows by con_menu_row() until con_menu_end(). */
bool con_menu_begin(unsigned *cols, unsigned *rows);
void con_menu_row(unsigned row, enum sw_menu_attr attr, const char *utf8);
void con_menu_end(void);
/* A line of the menu's account in the serial log. */
void con_menu_serial(const char *text);
/* The firmware text attribute (colours) of a menu line's look. */
UINTN con_attr(enum sw_menu_attr a);
const char *efi_strerror(EFI_STATUS s);

/* fs.c: files on the ESP the switcher was loaded from. */
EFI_STATUS fs_init(EFI_HANDLE image, EFI_LOADED_IMAGE **li_out);
/* Reads a whole file (at most max bytes) into pool memory. */
EFI_STATUS fs_read(const char *path, void **buf, size_t *size, size_t max);
bool fs_exists(const char *path);
/* Opens a file for reading, for callers that stream it (snapboot.c). */
EFI_STATUS fs_open(const char *path, EFI_FILE_HANDLE *fh);
/* Directory of the running binary on the ESP, with a trailing '/'. */
const char *fs_image_dir(void);
/* The path of partitions.conf, for messages. */
const char *fs_conf_path(void);
void fs_set_conf_path(const char *p);

/* partcheck.c: every slot's 'partition' against the GPTs of the disks the
 * firmware sees; sets partition_missing and warns (switcher/gpt.h). */
void partcheck_run(struct sw_config *c);

/* memory.c */
EFI_STATUS mem_get_map(struct sw_memmap *out, UINTN *key);
EFI_STATUS mem_alloc_at(uint64_t base, uint64_t size, EFI_MEMORY_TYPE type);
void mem_dump_map_serial(const struct sw_memmap *m);
/* The descriptors of the last mem_get_map(), as the firmware gave them
 * (NULL before the first). */
const void *mem_raw_map(UINTN *size, UINTN *desc_size, UINT32 *desc_ver);

/* runtime.c: EFI runtime services for 64-bit slots (switcher/efirt.h).
 * efirt_capture(): once the resident layout is known, with boot services
 * up: where things go, and the system table's physical pointers.
 * efirt_prepare(): right after each mem_get_map() (no allocation, no
 * output unless d), on its map m: the configuration table's copy without
 * the tables in memory m calls free, and the runtime-only map, into the
 * resident block; the number of runtime regions, or -1 when slots get no
 * EFI.
 * efirt_bp(): what a 64-bit slot's boot_params get (NULL: nothing).
 * efirt_enter_virtual(): after ExitBootServices, SetVirtualAddressMap;
 * false when it failed (slots must then lose their EFI info).  It also
 * maps the runtime regions at their virtual addresses in the resident
 * page tables; efirt_callable() says whether that worked, so that the
 * resident switcher may call runtime services after a wake. */
struct sw_bp_efi;
void efirt_capture(void);
int efirt_prepare(const struct sw_memmap *m, struct sw_diag *d);
const struct sw_bp_efi *efirt_bp(void);
bool efirt_enter_virtual(void);
bool efirt_callable(void);

/* loaderif.c: the Boot Loader Interface variables (switcher/bli.h).
 * bli_mark(): a timestamp (BLI_T_INIT at entry, BLI_T_MENU before the
 * menu).  bli_read_steering(): the steering variables, one-shots deleted
 * before they are returned; the chosen slot's index or -1, *oneshot when a
 * one-shot chose it; a one-shot menu timeout sets c->timeout and
 * menu_force.  bli_publish(): every variable, just before
 * ExitBootServices (LoaderTimeExecUSec is taken then).
 * bli_switched(): at a switch, after boot services, before slot t runs:
 * LoaderEntrySelected names t (runtime SetVariable through the virtual
 * mapping); a failure is said on serial and the switch goes on. */
enum bli_time { BLI_T_INIT, BLI_T_MENU, BLI_T_MAX };
void bli_mark(enum bli_time t);
int bli_read_steering(struct sw_config *c, bool *oneshot);
/* The menu's `d` (menu_store_default): LoaderEntryDefault, non-volatile;
 * false with *why on failure. */
bool bli_store_default(const char *id, const char **why);
void bli_publish(EFI_LOADED_IMAGE *li, const struct sw_config *c, int boot, const char *version);
void bli_switched(int t);

/* menu.c: the boot menu (its behaviour and text: switcher/menu-model.h).
 * Returns the config index of the slot to boot, -1 when none is valid. */
int menu_choose(const struct sw_config *c, int default_index);
/* Stores id as the default for the next start-ups; NULL (the default)
 * when nothing can, and 'd' in the menu then sets the default for this
 * boot only and says so.  On failure it sets *why to a short phrase. */
extern bool (*menu_store_default)(const char *id, const char **why);
/* The one-shot slot id, read and deleted; "" if none. */
void menu_take_oneshot(char *id, size_t n);
/* Set by bli_read_steering() when LoaderConfigTimeoutOneShot asks for the
 * menu once: it is shown even with a timeout of 0 (then without a
 * countdown). */
extern bool menu_force;

/* gop.c */
struct sw_fb;
bool gop_get_fb(struct sw_fb *fb);
/* Paints the whole screen of the GOP on handle h black. */
void gop_clear(EFI_HANDLE h);
