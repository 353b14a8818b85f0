// Transparent huge pages for segment files. On a tmpfs that allows them (mount option huge=within_size,
// always or advise, or the system-wide shmem_enabled=force), a 64 MiB segment is 32 page faults of 2 MiB
// instead of 16384 of 4 KiB: its whole life (create, map, unmap, unlink) costs ~6 ms of kernel time instead
// of ~80 ms, and mapping it in another process ~0.1 ms instead of ~6 ms (docs/PERFORMANCE.md). Whether a segment gets them is the administrator's choice of
// mount; the library asks for them (MADV_HUGEPAGE) and sizes its paced work to them. Cold path only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shmstream::detail {

// Size of a PMD huge page if segment files in `directory` may get transparent huge pages, else 0.
uint64_t huge_page_bytes_for(const std::string& directory) noexcept;
// The same, but 0 unless segments of `segment_size` are made of whole huge pages.
uint64_t huge_page_bytes_for(const std::string& directory, uint64_t segment_size) noexcept;

// The decision above from the texts it reads: `mountinfo` as in /proc/self/mountinfo, `shmem_enabled` as in
// /sys/kernel/mm/transparent_hugepage/shmem_enabled ("... [advise] ..."), `path` absolute and canonical.
bool huge_pages_allowed(std::string_view mountinfo, std::string_view shmem_enabled, std::string_view path) noexcept;

}  // namespace shmstream::detail
