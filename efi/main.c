/* SPDX-License-Identifier: MIT */
/*
 * switcher.efi: reads partitions.conf, plans memory into slots, gives every
 * slot its own view of the machine (e820, ACPI root tables, FACS) and
 * cold-boots the chosen slot's kernel.  Every decision is made by the core
 * (switcher/); this file only gathers the firmware's facts and carries the
 * decisions out, in the order that keeps the machine usable: nothing is
 * booted until every check passed, and a broken slot is left out, never
 * half-booted.
 */
#include "sw-efi.h"
#include "acpi.h"
#include "fmt.h"
#include "linux.h"
#include "mailbox.h"
#include "resident.h"
#include "slotimg-load.h"
#include "snapboot.h"
#include "snapshot.h"

#define CONF_MAX (256 * 1024)
#define ACPI_PAGE SW_ACPI_COPY_SIZE

static struct sw_config cfg;
static struct sw_memmap map;
static struct sw_plan plan;
static struct slot_rt rt[SW_MAX_SLOTS];
/* Slots brought back from their snapshot at this start-up (snapboot.c):
 * their stores hold their saved state, which nothing here may touch. */
static bool restored[SW_MAX_SLOTS];

/* Shown when nothing can boot: say why, then hand the machine back to the
 * firmware (it goes on with its next boot option) instead of hanging. */
/* A 64-bit kernel with the tboot interface hands over through the
 * switcher's own entry; an i386 one has no such interface, and 'handoff s3'
 * keeps the firmware's path. */
static bool slot_uses_tboot(const struct sw_slot_config *s)
{
        return s->arch == SW_ARCH_X86_64 && !s->handoff_s3;
}

static EFI_STATUS error_screen(const char *why)
{
        EFI_INPUT_KEY key;

        con_say("\nswitcher: error: no slot can be booted: %s\n", why);
        con_say("switcher: fix %s (or the files it names) on the EFI system partition.\n", fs_conf_path());
        con_say("switcher: press any key to return to the firmware (60 s)...\n");
        con_wait_key(60, &key);
        return EFI_LOAD_ERROR;
}

static bool exists_cb(void *ctx, const char *path)
{
        return fs_exists(path);
}

static const void *phys_read(void *ctx, uint64_t addr, uint64_t len)
{
        /* Boot services run identity-mapped; refuse only wrap-around. */
        if (addr == 0 || addr + len < addr)
                return NULL;
        return (const void *)(uintptr_t)addr;
}

static uint64_t find_rsdp(void)
{
        EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
        uint64_t v1 = 0;

        for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
                EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

                if (!CompareGuid(&t->VendorGuid, &acpi20))
                        return (uint64_t)(uintptr_t)t->VendorTable;
                if (!CompareGuid(&t->VendorGuid, &acpi10))
                        v1 = (uint64_t)(uintptr_t)t->VendorTable;
        }
        return v1;
}

static EFI_STATUS read_config(void)
{
        char path[SW_PATH_MAX];
        void *buf;
        size_t len;
        EFI_STATUS s;

        /* partitions.conf lives next to the binary; the ESP root is the
         * fallback, for hand-made disks. */
        sw_snprintf(path, sizeof(path), "%spartitions.conf", fs_image_dir());
        s = fs_read(path, &buf, &len, CONF_MAX);
        if (s == EFI_NOT_FOUND) {
                sw_snprintf(path, sizeof(path), "/partitions.conf");
                s = fs_read(path, &buf, &len, CONF_MAX);
        }
        fs_set_conf_path(path);
        if (EFI_ERROR(s)) {
                con_printf("switcher: error: cannot read %spartitions.conf: %s\n", fs_image_dir(),
                           efi_strerror(s));
                return s;
        }
        sw_config_parse(&cfg, buf, len, path, &con_diag);
        FreePool(buf);
        return EFI_SUCCESS;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
        static struct sw_range owned[1];
        static struct sw_plan_input in;
        EFI_LOADED_IMAGE *li;
        struct sw_acpi_fw fw;
        struct sw_acpi_sleep sleep;
        const struct sw_acpi_sleep *add_s3 = NULL;
        struct sw_fb fb;
        uint64_t rsdp, mailbox, map_top;
        bool oneshot;
        int def, chosen, boot, nids, nrt, final_rt;
        unsigned nplaced = 0;
        UINTN key;
        EFI_STATUS s;

        InitializeLib(image, systab);
        bli_mark(BLI_T_INIT);
        uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
        con_printf("\nswitcher %s: multi-OS partition switcher\n", SWITCHER_VERSION);

        s = fs_init(image, &li);
        if (EFI_ERROR(s))
                return error_screen("cannot open the EFI system partition");
        if (EFI_ERROR(read_config()))
                return error_screen("partitions.conf is missing or unreadable");
        con_init(cfg.console, cfg.verbose);
        sw_config_check_files(&cfg, exists_cb, NULL, &con_diag);
        sw_config_sort(&cfg);

        /* Preload every valid slot: a slot whose files are bad is dropped
         * now, before anything is decided on its behalf. */
        for (unsigned i = 0; i < cfg.nslots; i++) {
                if (!cfg.slots[i].valid)
                        continue;
                if (slot_preload(&rt[i], &cfg.slots[i], sw_slot_memory(&cfg, &cfg.slots[i]), &con_diag) < 0)
                        cfg.slots[i].valid = false;
                else
                        rt[i].loaded = true;
                rt[i].plan_index = -1;
        }
        partcheck_run(&cfg);
        if (!cfg.usable)
                return error_screen("a global setting in partitions.conf is invalid (see above)");
        if (sw_config_valid_slots(&cfg) == 0)
                return error_screen("partitions.conf names no valid slot (see above)");

        rsdp = find_rsdp();
        if (!rsdp || sw_acpi_scan(phys_read, NULL, rsdp, &fw, &con_diag) < 0)
                return error_screen("the firmware's ACPI tables are missing or damaged");

        s = mem_get_map(&map, &key);
        if (EFI_ERROR(s))
                return error_screen("cannot read the firmware memory map");
        mem_dump_map_serial(&map);

        owned[0].base = (uint64_t)(uintptr_t)li->ImageBase & ~(SW_PAGE_SIZE - 1);
        owned[0].size = ((uint64_t)(uintptr_t)li->ImageBase + li->ImageSize - owned[0].base +
                         SW_PAGE_SIZE - 1) & ~(SW_PAGE_SIZE - 1);
        map_top = sw_memmap_top(&map);
        in = (struct sw_plan_input){ .cfg = &cfg, .owned = owned, .nowned = 1, .map_top = map_top };
        nids = (int)sw_plan_input_from_config(&in);
        /* Recovery copies, placed by the planner like stores: for
         * 'on-damage cold-boot' slots, and for every slot that hands over
         * through the tboot entry, so that its reboot restarts it alone and
         * a switch after its power-off can start it again. */
        for (int k = 0; k < nids; k++) {
                int ci = sw_config_find_slot(&cfg, in.ids[k]);

                in.spares[k] = ci >= 0 && (cfg.slots[ci].cold_boot_on_damage || slot_uses_tboot(&cfg.slots[ci]))
                                       ? linux_spare_size(&rt[ci])
                                       : 0;
        }
        if (sw_plan_build(&map, &in.req, &plan, &con_diag) < 0)
                return error_screen("the memory plan failed (see above)");
        sw_plan_print(&plan, con_plan_line, NULL);

        /* Reserve what the plan chose.  EfiReservedMemoryType keeps it out of
         * the firmware's hands now and marks it reserved in every e820. */
        if (EFI_ERROR(mem_alloc_at(plan.low_page, SW_PAGE_SIZE, EfiReservedMemoryType)) ||
            EFI_ERROR(mem_alloc_at(plan.resident_base, plan.resident_size, EfiReservedMemoryType)))
                return error_screen("the firmware refused the switcher's own memory");
        for (unsigned j = 0; j < plan.nslots; j++) {
                int ci = sw_config_find_slot(&cfg, plan.slots[j].id);

                if (ci < 0 || !plan.slots[j].placed) {
                        if (ci >= 0)
                                cfg.slots[ci].valid = false;
                        continue;
                }
                /* A swap slot's store is reserved in every e820.  An in-place
                 * slot's store is its own RAM: LoaderData, which its e820
                 * offers as RAM and every other slot's as reserved. */
                s = mem_alloc_at(plan.slots[j].store_base, plan.slots[j].store_size,
                                 plan.slots[j].in_place ? EfiLoaderData : EfiReservedMemoryType);
                if (EFI_ERROR(s)) {
                        sw_diagf(&con_diag, SW_ERROR, "slot '%s': cannot reserve its store at 0x%llx: %s; slot left out",
                                 plan.slots[j].id, (unsigned long long)plan.slots[j].store_base, efi_strerror(s));
                        cfg.slots[ci].valid = false;
                        continue;
                }
                /* Its DMA32 window is its RAM too, like its store. */
                s = plan.slots[j].dma32_size
                            ? mem_alloc_at(plan.slots[j].dma32_base, plan.slots[j].dma32_size, EfiLoaderData)
                            : EFI_SUCCESS;
                if (EFI_ERROR(s)) {
                        sw_diagf(&con_diag, SW_ERROR, "slot '%s': cannot reserve its DMA32 window at 0x%llx: %s; slot left out",
                                 plan.slots[j].id, (unsigned long long)plan.slots[j].dma32_base, efi_strerror(s));
                        cfg.slots[ci].valid = false;
                        continue;
                }
                if (plan.slots[j].spare_size &&
                    EFI_ERROR(mem_alloc_at(plan.slots[j].spare_base, plan.slots[j].spare_size, EfiReservedMemoryType))) {
                        sw_diagf(&con_diag, SW_WARN, "slot '%s': cannot reserve its recovery copy; it cannot be "
                                 "cold-booted again after damage", plan.slots[j].id);
                        plan.slots[j].spare_size = 0;
                }
                rt[ci].plan_index = (int)j;
                rt[ci].nranges = (unsigned)sw_plan_slot_ranges(&plan, j, rt[ci].ranges, SW_ACTIVE_MAX);
                nplaced++;
        }
        if (nplaced == 0)
                return error_screen("no slot fits in this machine's memory (see above)");

        /* The wake blob below 1 MiB, the resident block's tables, and the
         * firmware FACS pointing at the blob: every S3 resume now comes to
         * the switcher first. */
        sw_resident_layout(plan.resident_base, (unsigned)nids, map_top, &res.lay);
        res.low_page = plan.low_page;
        res.cfg = &cfg;
        res.plan = &plan;
        res.rt = rt;
        if (wake_setup(map_top, &con_diag) < 0 || tboot_setup((unsigned)nids, &con_diag) < 0)
                return error_screen("cannot set up the resident switcher");
        efirt_capture();
        sw_acpi_find_irq_hw(phys_read, NULL, &fw, &res.irq_hw);
        sw_acpi_set_waking_vector((void *)(uintptr_t)fw.facs, (uint32_t)plan.low_page);
        con_printf("switcher: firmware FACS 0x%llx: waking vector -> 0x%llx\n",
                   (unsigned long long)fw.facs, (unsigned long long)plan.low_page);

        /* Each placed slot: its own RSDP/XSDT/FADT/FACS in one resident page.
         * Linux offers "deep" suspend, and so reaches the hand-off, only
         * when \_S3 exists: unless the firmware surely declares it, each
         * copy also gets an SSDT declaring it (acpi.h, enum sw_acpi_s3). */
        if (sw_acpi_find_sleep(phys_read, NULL, &fw, &sleep, &con_diag) == 0 &&
            sleep.s3 != SW_ACPI_S3_DECLARED)
                add_s3 = &sleep;
        for (unsigned i = 0, k = 0; i < cfg.nslots; i++) {
                /* A kernel that believes in tboot looks for DMAR in the TXT
                 * heap, finds none and panics: its slot does not see DMAR. */
                struct sw_acpi_copy_opts opts = {
                        .add_s3 = add_s3,
                        .flags = slot_uses_tboot(&cfg.slots[i]) ? SW_ACPI_COPY_HIDE_DMAR : 0,
                };
                unsigned hidden;
                uint64_t page;

                if (!cfg.slots[i].valid)
                        continue;
                page = sw_resident_acpi_page(&res.lay, k++);
                if (sw_acpi_make_copy(phys_read, NULL, &fw, &opts, (void *)(uintptr_t)page, page, ACPI_PAGE,
                                      &rt[i].rsdp, &rt[i].facs, &hidden, &con_diag) < 0)
                        return error_screen("cannot copy the ACPI tables");
                con_printf("switcher: slot %s: RSDP copy at 0x%llx, FACS copy at 0x%llx\n",
                           cfg.slots[i].id, (unsigned long long)rt[i].rsdp, (unsigned long long)rt[i].facs);
                if (add_s3)
                        con_printf("switcher: firmware has %s\\_S3: slot %s gets an SSDT declaring it\n",
                                   sleep.s3 == SW_ACPI_S3_ABSENT ? "no " : "only a conditional or unparsed ",
                                   cfg.slots[i].id);
                if (hidden)
                        con_printf("switcher: slot %s: DMAR hidden (its kernel uses the tboot hand-off, "
                                   "which would look for DMAR in the TXT heap)\n", cfg.slots[i].id);
                if (slot_uses_tboot(&cfg.slots[i])) {
                        rt[i].tboot = sw_resident_tboot_page(&res.lay, k - 1);
                        tboot_slot_reset(&rt[i]);
                        con_printf("switcher: slot %s: tboot shared page at 0x%llx\n", cfg.slots[i].id,
                                   (unsigned long long)rt[i].tboot);
                }
        }
        mailbox = res.lay.mailbox;

        /* Which slot: a one-shot request wins (LoaderEntryOneShot, then
         * SwitcherSlotOneShot), then the menu, whose default a slot may
         * have set (LoaderEntryDefault, SwitcherSlotDefault). */
        def = bli_read_steering(&cfg, &oneshot);
        chosen = oneshot ? def : -1;
        if (chosen < 0) {
                bli_mark(BLI_T_MENU);
                menu_store_default = bli_store_default;
                chosen = menu_choose(&cfg, def);
        }
        if (chosen < 0)
                return error_screen("no valid slot left");
        /* A slot with a snapshot is brought back suspended, not booted. */
        def = sw_snap_boot_pick(&cfg, chosen);
        if (def != chosen)
                con_printf("switcher: slot '%s' is brought back from its snapshot; '%s' boots first\n",
                           cfg.slots[chosen].id, cfg.slots[def].id);
        chosen = def;

        /* Prewarm: every other valid 'prewarm' slot boots first, in menu
         * order, each handing over to the next as soon as its agent runs,
         * the chosen slot last; the first switch to any of them is then a
         * resume.  'boot' is the slot this boot enters. */
        res.nprewarm = 0;
        for (unsigned i = 0; i < cfg.nslots; i++)
                if (cfg.slots[i].valid && cfg.slots[i].prewarm && (int)i != chosen && rt[i].plan_index >= 0 &&
                    !cfg.slots[i].snapshot_path[0])
                        res.chain[res.nprewarm++] = (int)i;
        res.chain[res.nprewarm] = chosen;
        res.pos = 0;
        boot = res.chain[0];
        if (res.nprewarm)
                con_printf("switcher: prewarm: %u slot(s) start first and suspend; '%s' comes up last\n",
                           res.nprewarm, cfg.slots[chosen].id);
        for (unsigned i = 0; i < cfg.nslots; i++)
                res.state[i] = (int)i == boot ? SW_SLOT_RUNNING : SW_SLOT_EMPTY;
        res.current = boot;
        res.previous = -1;
        res.lazy_owner = -1;
        if (sw_mailbox_build((void *)(uintptr_t)mailbox, SW_MAILBOX_SIZE, &cfg, res.state, boot, &con_diag) < 0)
                return error_screen("cannot build the mailbox");
        if (res.nprewarm)
                sw_mb_set_prewarm_next((void *)(uintptr_t)mailbox, cfg.slots[res.chain[1]].id);
        for (unsigned i = 0; i < cfg.nslots; i++)
                if (cfg.slots[i].valid && rt[i].plan_index >= 0)
                        publish_store((void *)(uintptr_t)mailbox, (int)i);

        /* Lay out and stage every slot.  The chosen one is allocated in the
         * active region now; the others are written into their stores. */
        s = mem_get_map(&map, &key);
        if (EFI_ERROR(s))
                return error_screen("cannot read the firmware memory map");
        rt[boot].boot_now = true;
        if (linux_layout(&rt[boot], &cfg.slots[boot], &map, true, &con_diag) < 0 ||
            linux_stage(&rt[boot], &cfg.slots[boot], &plan, mailbox, &con_diag) < 0)
                return error_screen("the chosen slot cannot be staged (see above)");
        for (unsigned i = 0; i < cfg.nslots; i++) {
                if (!cfg.slots[i].valid || (int)i == boot)
                        continue;
                if (linux_layout(&rt[i], &cfg.slots[i], &map, false, &con_diag) < 0 ||
                    linux_stage(&rt[i], &cfg.slots[i], &plan, mailbox, &con_diag) < 0) {
                        sw_diagf(&con_diag, SW_ERROR, "slot '%s': not preloaded; it cannot be started later", cfg.slots[i].id);
                        cfg.slots[i].valid = false;
                }
        }
        if (!gop_get_fb(&fb))
                fb.base = 0;

        /* The lab bank: slots with a snapshot get it back now, before any
         * slot boots, and wait suspended at the snapshot's vector. */
        snapboot_run(&cfg, &plan, rt, boot, &map, &fb, restored);
        for (unsigned i = 0; i < cfg.nslots; i++)
                if (restored[i]) {
                        res.state[i] = SW_SLOT_SUSPENDED;
                        sw_mb_set_state((void *)(uintptr_t)mailbox, cfg.slots[i].id, SW_SLOT_SUSPENDED);
                }

        /* The Boot Loader Interface variables, before the map is final (it
         * allocates), then the runtime-only map on the map as it is now. */
        bli_publish(li, &cfg, boot, SWITCHER_VERSION);
        nrt = efirt_prepare(&map, &con_diag);
        final_rt = nrt;
        if (nrt <= 0)
                con_printf("switcher: warning: no EFI runtime services for 64-bit slots (see above)\n");
        else
                con_printf("switcher: EFI runtime services for 64-bit slots: %d runtime regions\n", nrt);

        /* A dry run with messages, on the map as it is now: ExitBootServices'
         * retry loop below cannot print. */
        if (linux_build_bp(&rt[boot], cfg.slots[boot].id, &plan, &map, &fb, &con_diag) < 0)
                return error_screen("cannot describe the machine to the kernel (see above)");
        con_printf("switcher: booting slot '%s' (%s): kernel at 0x%llx, initrd at 0x%llx (%zu KiB), e820 %d entries\n",
                   cfg.slots[boot].id, cfg.slots[boot].title, (unsigned long long)rt[boot].kernel_load,
                   (unsigned long long)rt[boot].initrd_addr, rt[boot].initrd_size / 1024, rt[boot].ne820);

        for (int tries = 0;; tries++) {
                s = mem_get_map(&map, &key);
                if (!EFI_ERROR(s)) {
                        /* On this, the final map: every 64-bit slot's
                         * boot_params point at the map made here. */
                        final_rt = efirt_prepare(&map, NULL);
                        /* The other slots' boot_params live in their stores; a
                         * failure there only costs that slot its cold boot. */
                        for (unsigned i = 0; i < cfg.nslots; i++)
                                if (cfg.slots[i].valid && rt[i].loaded && (int)i != boot && !restored[i])
                                        linux_build_bp(&rt[i], cfg.slots[i].id, &plan, &map, &fb, NULL);
                        if (linux_build_bp(&rt[boot], cfg.slots[boot].id, &plan, &map, &fb, NULL) < 0)
                                return error_screen("the memory map changed into one the kernel cannot be given");
                        s = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
                }
                if (!EFI_ERROR(s))
                        break;
                if (tries >= 8)
                        return error_screen("ExitBootServices kept failing");
        }
        con_after_exit();
        serial_printf("switcher: boot services ended\n");
        /* The dry run said runtime services would be there; if the final
         * map (no messages possible then) said otherwise, say it now. */
        if (nrt > 0 && final_rt < 0)
                serial_printf("switcher: warning: the final memory map could not be given to the slots: 64-bit "
                              "slots boot without EFI runtime services\n");
        /* Once for all slots, before any of them starts; if it fails, no
         * slot may believe the firmware is in virtual mode. */
        if (efirt_bp() && !efirt_enter_virtual())
                for (unsigned i = 0; i < cfg.nslots; i++)
                        if (cfg.slots[i].valid && rt[i].loaded && rt[i].efi && !restored[i])
                                linux_drop_efi(&rt[i], &plan);
        for (unsigned i = 0; i < cfg.nslots; i++)
                if (cfg.slots[i].valid && slot_uses_tboot(&cfg.slots[i]) && !rt[i].tboot)
                        serial_printf("switcher: slot '%s' hands over through the firmware's S3 (its e820 has too "
                                      "many RAM ranges for the tboot hand-off)\n", cfg.slots[i].id);
        for (unsigned i = 0; i < cfg.nslots; i++)
                if (cfg.slots[i].valid && rt[i].plan_index >= 0 && plan.slots[rt[i].plan_index].spare_size &&
                    !restored[i] && linux_save_spare(&rt[i], &plan) < 0)
                        plan.slots[rt[i].plan_index].spare_size = 0;
        tboot_enter_slot(&rt[boot]);
        linux_enter(&rt[boot], &cfg.slots[boot], plan.low_page);
}
