#ifndef WMSIM_COPENCL_SHIM_H
#define WMSIM_COPENCL_SHIM_H
// OpenCL 1.2 is the common ground of PoCL and NVIDIA's driver.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#endif
