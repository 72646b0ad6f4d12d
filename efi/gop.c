/* SPDX-License-Identifier: MIT */
/* The GOP framebuffer, described for the guest's screen_info; and a clean
 * black screen for the menu. */
#include "sw-efi.h"
#include "bootparams.h"

static void mask_to_field(UINT32 mask, uint8_t *pos, uint8_t *size)
{
        uint8_t p = 0, s = 0;

        if (mask) {
                while (!(mask & 1)) {
                        mask >>= 1;
                        p++;
                }
                while (mask & 1) {
                        mask >>= 1;
                        s++;
                }
        }
        *pos = p;
        *size = s;
}

bool gop_get_fb(struct sw_fb *fb)
{
        EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
        EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
        EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;

        SetMem(fb, sizeof(*fb), 0);
        if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &gop_guid, NULL, (void **)&gop)) ||
            !gop || !gop->Mode || !gop->Mode->Info)
                return false;
        info = gop->Mode->Info;
        switch (info->PixelFormat) {
        case PixelRedGreenBlueReserved8BitPerColor:
                fb->red_pos = 0, fb->green_pos = 8, fb->blue_pos = 16, fb->rsvd_pos = 24;
                fb->red_size = fb->green_size = fb->blue_size = fb->rsvd_size = 8;
                break;
        case PixelBlueGreenRedReserved8BitPerColor:
                fb->red_pos = 16, fb->green_pos = 8, fb->blue_pos = 0, fb->rsvd_pos = 24;
                fb->red_size = fb->green_size = fb->blue_size = fb->rsvd_size = 8;
                break;
        case PixelBitMask:
                mask_to_field(info->PixelInformation.RedMask, &fb->red_pos, &fb->red_size);
                mask_to_field(info->PixelInformation.GreenMask, &fb->green_pos, &fb->green_size);
                mask_to_field(info->PixelInformation.BlueMask, &fb->blue_pos, &fb->blue_size);
                mask_to_field(info->PixelInformation.ReservedMask, &fb->rsvd_pos, &fb->rsvd_size);
                break;
        default:
                /* BltOnly: no linear framebuffer to hand over. */
                return false;
        }
        fb->base = gop->Mode->FrameBufferBase;
        fb->size = gop->Mode->FrameBufferSize;
        fb->width = info->HorizontalResolution;
        fb->height = info->VerticalResolution;
        fb->stride_pixels = info->PixelsPerScanLine;
        return fb->base != 0;
}

void gop_clear(EFI_HANDLE h)
{
        EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
        EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
        EFI_GRAPHICS_OUTPUT_BLT_PIXEL black = { 0, 0, 0, 0 };

        if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, h, &gop_guid, (void **)&gop)) || !gop ||
            !gop->Mode || !gop->Mode->Info)
                return;
        uefi_call_wrapper(gop->Blt, 10, gop, &black, EfiBltVideoFill, 0, 0, 0, 0,
                          (UINTN)gop->Mode->Info->HorizontalResolution,
                          (UINTN)gop->Mode->Info->VerticalResolution, 0);
}
