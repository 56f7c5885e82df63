# Shell functions (sourced, not run) that make a GPU bundle's programs runnable on a bare GPU machine
# (the bundle: scripts/gpu-bundle.sh; used by scripts/gpu-check.sh and scripts/gpu-train-check.sh):
#   gpu_bundle_ready BUNDLE TARBALL  true when BUNDLE/bin/flowseq exists, unpacking TARBALL first
#                                    when only the packed form is there
#   gpu_bundle_env BUNDLE            exports LD_LIBRARY_PATH: the bundle's libraries, the machine's
#                                    cuBLAS, and the bundle's libstdc++ only where the machine has none
#   gpu_cublas_dir                   prints the folder of the machine's libcublas.so.13, or nothing
# shellcheck shell=bash
gpu_bundle_ready() {
  if [ ! -x "$1/bin/flowseq" ] && [ -f "$2" ]; then
    tar -xJf "$2" || return 1
  fi
  [ -x "$1/bin/flowseq" ]
}
gpu_cublas_dir() {
  local hit d site nvcc_root sites
  hit=$(ldconfig -p 2>/dev/null | awk '/libcublas\.so\.13 /{print $NF; exit}')
  if [ -n "$hit" ]; then dirname "$hit"; return; fi
  nvcc_root=$(dirname "$(dirname "$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)")")
  sites=$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)
  for d in "$nvcc_root/lib64" "$nvcc_root/targets/x86_64-linux/lib" /usr/local/cuda/lib64 /usr/local/cuda/lib; do
    if [ -e "$d/libcublas.so.13" ]; then echo "$d"; return; fi
  done
  for site in $sites; do # the CUDA Python wheels
    for d in "$site/nvidia/cu13/lib" "$site/nvidia/cublas/lib"; do
      if [ -e "$d/libcublas.so.13" ]; then echo "$d"; return; fi
    done
  done
}
gpu_bundle_env() {
  local path cublas
  path="$(cd "$1" && pwd)/lib"
  cublas=$(gpu_cublas_dir)
  [ -z "$cublas" ] || path="$path:$cublas"
  ldconfig -p 2>/dev/null | grep -q 'libstdc++\.so\.6 ' || path="$path:$(cd "$1" && pwd)/lib/fallback"
  export LD_LIBRARY_PATH="$path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}
