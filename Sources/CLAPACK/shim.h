#ifndef WMSIM_CLAPACK_SHIM_H
#define WMSIM_CLAPACK_SHIM_H
// OpenBLAS (CBLAS) and LAPACKE from Debian's libopenblas-dev / liblapacke-dev.
#include <cblas.h>
#include <lapacke.h>
#endif
