# Shell functions (sourced, not run) that make a GPU bundle's programs runnable on a bare GPU machine
# (the bundle: scripts/gpu-bundle.sh; used by scripts/gpu-check.sh and scripts/gpu-train-check.sh):
#   gpu_bundle_ready BUNDLE TARBALL  true when BUNDLE/bin/flowseq exists, unpacking TARBALL first
#                                    when only the packed form is there
#   gpu_bundle_env BUNDLE            exports LD_LIBRARY_PATH: the bundle's libraries, the machine's
#                                    cuBLAS and NCCL, and the bundle's libstdc++ only where the
#                                    machine has none
#   gpu_cublas_dir                   prints the folder of the machine's libcublas.so.13, or nothing
#   gpu_nccl_dir                     prints the folder of the machine's libnccl.so.2, or nothing
# shellcheck shell=bash
gpu_bundle_ready() {
  if [ ! -x "$1/bin/flowseq" ] && [ -f "$2" ]; then
    tar -xJf "$2" || return 1
  fi
  [ -x "$1/bin/flowseq" ]
}
# gpu_lib_dir FILE SUBDIR...: the folder of the machine's FILE: the loader's cache, the CUDA
# toolkit's folders, or a SUBDIR of a Python site folder (NVIDIA's wheels, PyTorch's); nothing if none
gpu_lib_dir() {
  local file=$1 hit d site nvcc_root sites
  shift
  hit=$(ldconfig -p 2>/dev/null | awk -v f="$file" '$1 == f { print $NF; exit }')
  if [ -n "$hit" ]; then dirname "$hit"; return; fi
  nvcc_root=$(dirname "$(dirname "$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)")")
  sites=$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)
  for d in "$nvcc_root/lib64" "$nvcc_root/lib" "$nvcc_root/targets/x86_64-linux/lib" /usr/local/cuda/lib64 \
    /usr/local/cuda/lib /usr/local/lib64; do
    if [ -e "$d/$file" ]; then echo "$d"; return; fi
  done
  for site in $sites; do
    for d in "$@"; do
      if [ -e "$site/$d/$file" ]; then echo "$site/$d"; return; fi
    done
  done
}
gpu_cublas_dir() { gpu_lib_dir libcublas.so.13 nvidia/cu13/lib nvidia/cublas/lib; }
# NCCL is not bundled (its 200 MB of GPU code for every architecture do not compress): the machine's
gpu_nccl_dir() { gpu_lib_dir libnccl.so.2 nvidia/nccl/lib nvidia/cu13/lib; }
gpu_bundle_env() {
  local path cublas nccl
  path="$(cd "$1" && pwd)/lib"
  cublas=$(gpu_cublas_dir)
  [ -z "$cublas" ] || path="$path:$cublas"
  nccl=$(gpu_nccl_dir)
  [ -z "$nccl" ] || [ "$nccl" = "$cublas" ] || path="$path:$nccl"
  ldconfig -p 2>/dev/null | grep -q 'libstdc++\.so\.6 ' || path="$path:$(cd "$1" && pwd)/lib/fallback"
  export LD_LIBRARY_PATH="$path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}
