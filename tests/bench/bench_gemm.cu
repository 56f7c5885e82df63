// cuBLAS matrix products on the GPU against its dense peak: fp32 (cublasSgemm, what the CUDA
// backend runs), TF32 and bf16 with fp32 accumulation (cublasGemmEx), on a large square product
// (near the best cuBLAS reaches) and on the shapes of flowseq-small's and flowseq-base-wmt14's
// feed-forward layers (a batch's tokens times d times ffn_hidden). Prints one line per product:
//   mode m n k ms TFLOP/s peak fraction
// The peaks are NVIDIA's dense (no sparsity) figures for the cards this project is lent, found by
// name; any other card's are "n/a". Run by scripts/gpu-check.sh. Usage: bench_gemm
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>

struct Peak {
  const char *name_part;   // a substring of cudaDeviceProp::name
  double fp32, tf32, bf16; // TFLOP/s, dense
};
// Most specific names first: "H100 PCIe" and "H100 NVL" before the SXM card's "H100".
static const Peak peaks[] = {
    {"H100 PCIe", 51.2, 378.0, 756.0},
    {"H100 NVL", 60.0, 417.5, 835.0},
    {"H200", 66.9, 494.7, 989.4},
    {"H100", 66.9, 494.7, 989.4},
};

enum Mode { FP32, TF32, BF16 };
static const char *mode_name[] = {"fp32", "tf32", "bf16"};

static bool ok(cudaError_t e, const char *what) {
  if (e == cudaSuccess) return true;
  fprintf(stderr, "bench_gemm: %s: %s\n", what, cudaGetErrorString(e));
  return false;
}

// Fills n floats (and their bf16 copies) with values in [-1, 1) from a fixed pattern.
__global__ void fill(int64_t n, float *x, __nv_bfloat16 *h) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    float v = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
    x[i] = v;
    h[i] = __float2bfloat16(v);
  }
}

// Milliseconds of one C[m,n] = A[m,k] B[k,n] product (row-major, as the backend calls it): the
// median of 9 timed calls after 2 warm-ups. Negative on a cuBLAS failure.
static double time_gemm(cublasHandle_t handle, Mode mode, int m, int n, int k, const float *a, const float *b,
                        const __nv_bfloat16 *ah, const __nv_bfloat16 *bh, float *c) {
  const float one = 1, zero = 0;
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  double ms[11];
  for (int r = 0; r < 11; r++) {
    cudaEventRecord(start);
    cublasStatus_t s;
    // row-major C = A B is column-major Cᵀ = Bᵀ Aᵀ: B first
    if (mode == FP32) s = cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, b, n, a, k, &zero, c, n);
    else if (mode == TF32)
      s = cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, b, CUDA_R_32F, n, a, CUDA_R_32F, k, &zero, c,
                       CUDA_R_32F, n, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT);
    else
      s = cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, bh, CUDA_R_16BF, n, ah, CUDA_R_16BF, k, &zero,
                       c, CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    if (s != CUBLAS_STATUS_SUCCESS) {
      fprintf(stderr, "bench_gemm: %s %dx%dx%d: cuBLAS status %d\n", mode_name[mode], m, n, k, (int)s);
      return -1;
    }
    float t;
    cudaEventElapsedTime(&t, start, stop);
    ms[r] = t;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  // the median of the 9 after the warm-ups (insertion sort: 9 values)
  for (int i = 3; i < 11; i++)
    for (int j = i; j > 2 && ms[j] < ms[j - 1]; j--) {
      double t = ms[j];
      ms[j] = ms[j - 1];
      ms[j - 1] = t;
    }
  return ms[6];
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc != 1) {
    fprintf(stderr, "usage: bench_gemm\n");
    return 2;
  }
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    fprintf(stderr, "bench_gemm: no usable CUDA device\n");
    return 77;
  }
  cudaDeviceProp prop;
  if (!ok(cudaGetDeviceProperties(&prop, 0), "device properties")) return 1;
  const Peak *peak = nullptr;
  for (const Peak &p : peaks)
    if (strstr(prop.name, p.name_part)) {
      peak = &p;
      break;
    }
  printf("device: %s, %d multiprocessors; dense peaks (TFLOP/s): %s\n", prop.name, prop.multiProcessorCount,
         peak ? "" : "n/a (not a card this benchmark knows)");
  if (peak) printf("  fp32 %.1f  tf32 %.1f  bf16 %.1f\n", peak->fp32, peak->tf32, peak->bf16);

  struct Shape {
    const char *what;
    int m, n, k;
  };
  const Shape shapes[] = {
      {"square", 8192, 8192, 8192},
      {"flowseq-small ffn (1536 tokens, d 128, ffn 512)", 1536, 512, 128},
      {"flowseq-base ffn (61440 tokens, d 256, ffn 1024)", 61440, 1024, 256},
      {"flowseq-base ffn back (61440 tokens, ffn 1024, d 256)", 61440, 256, 1024},
  };
  int64_t most = 0;
  for (const Shape &s : shapes) {
    int64_t sizes[3] = {(int64_t)s.m * s.k, (int64_t)s.k * s.n, (int64_t)s.m * s.n};
    for (int64_t z : sizes)
      if (z > most) most = z;
  }
  float *a, *b, *c;
  __nv_bfloat16 *ah, *bh;
  if (!ok(cudaMalloc(&a, most * 4), "alloc") || !ok(cudaMalloc(&b, most * 4), "alloc") ||
      !ok(cudaMalloc(&c, most * 4), "alloc") || !ok(cudaMalloc(&ah, most * 2), "alloc") ||
      !ok(cudaMalloc(&bh, most * 2), "alloc"))
    return 1;
  fill<<<1024, 256>>>(most, a, ah);
  fill<<<1024, 256>>>(most, b, bh);
  if (!ok(cudaDeviceSynchronize(), "fill")) return 1;
  cublasHandle_t handle;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) {
    fprintf(stderr, "bench_gemm: cublasCreate failed\n");
    return 1;
  }
  printf("%-6s %6s %6s %6s %9s %9s %7s %9s  %s\n", "mode", "m", "n", "k", "ms", "TFLOP/s", "peak", "fraction", "shape");
  int failures = 0;
  for (const Shape &s : shapes)
    for (int mode = FP32; mode <= BF16; mode++) {
      double ms = time_gemm(handle, (Mode)mode, s.m, s.n, s.k, a, b, ah, bh, c);
      if (ms < 0) {
        failures++;
        continue;
      }
      double tflops = 2.0 * s.m * s.n * s.k / (ms * 1e-3) / 1e12;
      double p = !peak ? 0 : mode == FP32 ? peak->fp32 : mode == TF32 ? peak->tf32 : peak->bf16;
      char fraction[16] = "n/a";
      if (p > 0) snprintf(fraction, sizeof fraction, "%.2f", tflops / p);
      printf("%-6s %6d %6d %6d %9.3f %9.1f %7.1f %9s  %s\n", mode_name[mode], s.m, s.n, s.k, ms, tflops, p, fraction,
             s.what);
    }
  cublasDestroy(handle);
  return failures ? 1 : 0;
}
