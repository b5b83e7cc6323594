#ifndef COUNTERSIGN_CMEMORYFILE_SHIM_H
#define COUNTERSIGN_CMEMORYFILE_SHIM_H
// memfd_create(2) is declared only under _GNU_SOURCE, which Swift's Glibc module does not set.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>

/// A file that lives in memory only: never on a disk, gone when its last descriptor closes.
/// Close-on-exec: another process reaches it by its /proc path, never by inheriting it.
static inline int countersign_memory_file(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}
#endif
