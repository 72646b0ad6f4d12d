/* SPDX-License-Identifier: MIT */
/*
 * The Boot Loader Interface (switcher/bli.h): the variables a slot reads
 * through efivarfs (bootctl status, systemctl reboot
 * --boot-loader-entry), and the steering variables a slot writes for the
 * next start-up.  The values are built by the core; this file only reads
 * and sets them.
 */
#include "sw-efi.h"
#include "bli.h"
#include "fmt.h"
#include "gpt.h"
#include "resident.h"

static EFI_GUID loader_guid = { SW_BLI_GUID_DATA1, SW_BLI_GUID_DATA2, SW_BLI_GUID_DATA3, SW_BLI_GUID_DATA4 };
static EFI_GUID switcher_guid = { 0x5c1a9a3e, 0x8d2b, 0x4f61, { 0x9b, 0x0e, 0x3a, 0x4d, 0x52, 0x71, 0xc8, 0x19 } };

/* Volatile: they describe this boot only, as the specification asks. */
#define BLI_ATTR (EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)
/* A variable's name twice: for the firmware (a writable array, as the
 * firmware's prototypes want), and for messages. */
#define VAR(n) (CHAR16[]){ L##n }, n

static uint64_t marks[BLI_T_MAX];
/* The slot LoaderEntrySelected names now (-1: unknown, after a failed
 * write); kept in the image, which stays resident. */
static int selected = -1;

void bli_mark(enum bli_time t)
{
        marks[t] = rdtsc();
}

/* Reads a steering variable as ASCII into out ("" when absent or not
 * usable); deletes it first when once is set, so that a one-shot which
 * makes the boot fail is not tried again. */
static void read_var(CHAR16 *name, const char *label, EFI_GUID *guid, bool once, char *out, size_t n)
{
        UINT8 buf[2 * SW_ID_MAX];
        UINTN size = sizeof(buf);
        UINT32 attr;
        EFI_STATUS s;

        out[0] = '\0';
        s = uefi_call_wrapper(RT->GetVariable, 5, name, guid, &attr, &size, buf);
        if (s == EFI_NOT_FOUND)
                return;
        if (once)
                uefi_call_wrapper(RT->SetVariable, 5, name, guid, 0, 0, NULL);
        if (EFI_ERROR(s) || sw_bli_from16(out, n, buf, size) < 0) {
                con_printf("switcher: warning: EFI variable %s is unreadable or not an ASCII slot id; ignored\n",
                           label);
                out[0] = '\0';
        }
}

int bli_read_steering(struct sw_config *c, bool *oneshot)
{
        static char eos[SW_ID_MAX], sos[SW_ID_MAX], edef[SW_ID_MAX], sdef[SW_ID_MAX], tos[16];
        struct sw_bli_steer v = { eos, sos, edef, sdef };
        int i, t;

        read_var(VAR("LoaderConfigTimeoutOneShot"), &loader_guid, true, tos, sizeof(tos));
        read_var(VAR("LoaderEntryOneShot"), &loader_guid, true, eos, sizeof(eos));
        menu_take_oneshot(sos, sizeof(sos));
        read_var(VAR("LoaderEntryDefault"), &loader_guid, false, edef, sizeof(edef));
        read_var(VAR("SwitcherSlotDefault"), &switcher_guid, false, sdef, sizeof(sdef));
        i = sw_bli_choose(c, &v, oneshot, &con_diag);
        t = sw_bli_timeout_oneshot(tos, &con_diag);
        if (t >= 0) {
                /* The menu once, with a one-shot entry (if any) as its
                 * highlighted default: both one-shots asked for this
                 * start-up, and the menu lets a person confirm either. */
                c->timeout = (unsigned)t;
                menu_force = true;
                *oneshot = false;
                if (t)
                        con_printf("switcher: LoaderConfigTimeoutOneShot: the menu is shown once, %d s\n", t);
                else
                        con_printf("switcher: LoaderConfigTimeoutOneShot: the menu is shown once, until a key "
                                   "is pressed\n");
        }
        if (i >= 0 && *oneshot)
                con_printf("switcher: one-shot: slot '%s'\n", c->slots[i].id);
        else if (i >= 0 && (edef[0] || sdef[0]) && i != sw_config_default_index(c))
                con_printf("switcher: default slot '%s' (from the EFI variable %s, not partitions.conf)\n",
                           c->slots[i].id, edef[0] ? "LoaderEntryDefault" : "SwitcherSlotDefault");
        return i;
}

/* The menu's `d`: the persistent default, written where systemd-boot's
 * `d` key and `bootctl set-default` write it (LoaderEntryDefault,
 * non-volatile), so bli_read_steering() finds it at the next start-up. */
bool bli_store_default(const char *id, const char **why)
{
        uint16_t v[SW_ID_MAX + 1];
        int n = sw_bli_str16(v, sizeof(v) / sizeof(v[0]), id);
        EFI_STATUS s;

        if (n <= 0) {
                *why = "the slot id does not fit a variable";
                return false;
        }
        s = uefi_call_wrapper(RT->SetVariable, 5, (CHAR16[]){ L"LoaderEntryDefault" }, &loader_guid,
                              EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
                                      EFI_VARIABLE_RUNTIME_ACCESS,
                              (UINTN)n, v);
        if (EFI_ERROR(s)) {
                *why = efi_strerror(s);
                return false;
        }
        return true;
}

/* Sets one variable with attributes attr; a failure is reported and costs
 * only that variable. */
static bool set_var_attr(CHAR16 *name, const char *label, UINT32 attr, const void *val, UINTN size)
{
        EFI_STATUS s;

        /* A stale copy with other attributes (another boot manager's, or
         * ours from an older version) would make the write fail. */
        uefi_call_wrapper(RT->SetVariable, 5, name, &loader_guid, 0, 0, NULL);
        s = uefi_call_wrapper(RT->SetVariable, 5, name, &loader_guid, attr, size, val);
        if (EFI_ERROR(s))
                serial_printf("switcher: warning: cannot set the Boot Loader Interface variable %s: %s\n",
                              label, efi_strerror(s));
        return !EFI_ERROR(s);
}

static void set_var(CHAR16 *name, const char *label, const void *val, UINTN size)
{
        set_var_attr(name, label, BLI_ATTR, val, size);
}

static void set_str(CHAR16 *name, const char *label, const char *text)
{
        uint16_t v[256];
        int n = sw_bli_str16(v, sizeof(v) / sizeof(v[0]), text);

        if (n > 0)
                set_var(name, label, v, (UINTN)n);
}

static void set_usec(CHAR16 *name, const char *label, uint64_t tsc)
{
        uint16_t v[24];
        int n = sw_bli_usec(v, sizeof(v) / sizeof(v[0]), res.tsc_per_us ? tsc / res.tsc_per_us : 0);

        if (n > 0)
                set_var(name, label, v, (UINTN)n);
}

/* The ESP's partition GUID from the loaded image's device path. */
static bool esp_part_uuid(EFI_LOADED_IMAGE *li, char out[37])
{
        EFI_DEVICE_PATH *dp = DevicePathFromHandle(li->DeviceHandle);

        for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
                HARDDRIVE_DEVICE_PATH *hd = (HARDDRIVE_DEVICE_PATH *)dp;

                if (DevicePathType(dp) == MEDIA_DEVICE_PATH && DevicePathSubType(dp) == MEDIA_HARDDRIVE_DP &&
                    hd->SignatureType == SIGNATURE_TYPE_GUID) {
                        sw_gpt_guid_str(hd->Signature, out);
                        return true;
                }
        }
        return false;
}

void bli_publish(EFI_LOADED_IMAGE *li, const struct sw_config *c, int boot, const char *version)
{
        uint64_t exec = rdtsc(), features = SW_BLI_FEATURES;
        uint16_t v[SW_MAX_SLOTS * SW_ID_MAX];
        char text[256], vendor[128], uuid[37];
        CHAR16 *path;
        unsigned i;
        int n;

        sw_snprintf(text, sizeof(text), "switcher %s", version);
        set_str(VAR("LoaderInfo"), text);
        /* Non-ASCII in the vendor name becomes '?': the value is for
         * people, and the core writes ASCII only. */
        for (i = 0; i + 1 < sizeof(vendor) && ST->FirmwareVendor && ST->FirmwareVendor[i]; i++)
                vendor[i] = ST->FirmwareVendor[i] < 0x80 ? (char)ST->FirmwareVendor[i] : '?';
        vendor[i] = '\0';
        sw_snprintf(text, sizeof(text), "%s %u.%02u", vendor, ST->FirmwareRevision >> 16,
                    ST->FirmwareRevision & 0xffff);
        set_str(VAR("LoaderFirmwareInfo"), text);
        sw_snprintf(text, sizeof(text), "UEFI %u.%02u", ST->Hdr.Revision >> 16, ST->Hdr.Revision & 0xffff);
        set_str(VAR("LoaderFirmwareType"), text);
        if (esp_part_uuid(li, uuid))
                set_str(VAR("LoaderDevicePartUUID"), uuid);
        path = DevicePathToStr(li->FilePath);
        if (path) {
                set_var(VAR("LoaderImageIdentifier"), path, StrSize(path));
                FreePool(path);
        }
        n = sw_bli_entries(v, sizeof(v) / sizeof(v[0]), c);
        if (n > 0)
                set_var(VAR("LoaderEntries"), v, (UINTN)n);
        n = sw_bli_selected(c, boot, -1, v, sizeof(v) / sizeof(v[0]));
        if (n > 0 && set_var_attr(VAR("LoaderEntrySelected"), SW_BLI_SELECTED_ATTR, v, (UINTN)n))
                selected = boot;
        set_var(VAR("LoaderFeatures"), &features, sizeof(features));
        set_usec(VAR("LoaderTimeInitUSec"), marks[BLI_T_INIT]);
        if (marks[BLI_T_MENU])
                set_usec(VAR("LoaderTimeMenuUSec"), marks[BLI_T_MENU]);
        set_usec(VAR("LoaderTimeExecUSec"), exec);
}

void bli_switched(int t)
{
        uint16_t v[SW_ID_MAX + 1];
        int n = sw_bli_selected(res.cfg, t, selected, v, sizeof(v) / sizeof(v[0]));
        uint64_t t0, us;
        EFI_STATUS s;

        if (n == 0 || !efirt_callable())
                return;
        selected = -1;
        if (n < 0) {
                serial_printf("switcher: warning: LoaderEntrySelected not updated: slot id '%s' does not fit\n",
                              res.cfg->slots[t].id);
                return;
        }
        /* Interrupts are off and the resident stack is mapped; RT is the
         * table's physical address, reachable 1:1, and the pointers in it
         * are virtual since SetVirtualAddressMap, reachable through the
         * mapping efirt_enter_virtual() added to these page tables. */
        t0 = rdtsc();
        s = uefi_call_wrapper(RT->SetVariable, 5, (CHAR16[]){ L"LoaderEntrySelected" }, &loader_guid,
                              SW_BLI_SELECTED_ATTR, (UINTN)n, v);
        us = res.tsc_per_us ? (rdtsc() - t0) / res.tsc_per_us : 0;
        if (EFI_ERROR(s)) {
                serial_printf("switcher: warning: cannot set LoaderEntrySelected to '%s' at the switch: %s; the "
                              "switch goes on\n", res.cfg->slots[t].id, efi_strerror(s));
                return;
        }
        selected = t;
        /* With its time: a non-volatile write adds that to a switch, and
         * the switch's own timing, taken before, leaves it out. */
        serial_printf("switcher: LoaderEntrySelected = '%s' (runtime SetVariable at the switch, %llu us)\n",
                      res.cfg->slots[t].id, (unsigned long long)us);
}
