#ifndef COUNTERSIGN_CPAM_SHIM_H
#define COUNTERSIGN_CPAM_SHIM_H
#include <security/pam_appl.h>
#endif
