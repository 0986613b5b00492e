#!/usr/bin/env bash
# Packs a self-contained wmsim for a GPU host without Swift into .gpu/ (kept out of git):
# the static-stdlib binary (gzipped), the OpenCL ICD loader and the BLAS/LAPACK libraries.
# On the GPU host:
#   gunzip -f .gpu/wmsim.gz; chmod +x .gpu/wmsim; tar xzf .gpu/libs.tar.gz -C .gpu
#   lib=$(ls /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 2>/dev/null | head -1)
#   mkdir -p /tmp/icd && echo "$lib" > /tmp/icd/nvidia.icd
#   export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH=$PWD/.gpu:$(dirname "$lib")
#   .gpu/wmsim devices && .gpu/wmsim crosscheck
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product wmsim
rm -rf .gpu && mkdir -p .gpu
cp .build/release/wmsim .gpu/ && strip .gpu/wmsim && gzip -f -9 .gpu/wmsim
# Shared libraries the binary needs beyond libc/libstdc++ (resolved on this machine).
for lib in $(ldd .build/release/wmsim | awk '/=>/ {print $3}' | grep -E 'libOpenCL|openblas|lapack|gfortran|quadmath|libblas|tmglib'); do
  cp -L "$lib" .gpu/
done
# Compressed, the whole folder stays well under the device tool's 64 MiB.
(cd .gpu && tar czf libs.tar.gz lib*.so* && rm -f lib*.so*)
ls -la .gpu
