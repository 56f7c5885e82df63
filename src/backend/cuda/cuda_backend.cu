// The CUDA backend table: device memory, error state, device detection, and the entry point of
// the module (libflowseq_cuda.so, loaded by backend/select.c).
#include <cstdio>

#include "backend/cuda/cuda_common.cuh"

static const fs_cuda_host *host; // the program's logging and error recording
static fs_status sticky = FS_OK;

static void record(const char *message) {
  if (sticky == FS_OK) sticky = host->error(FS_ERR_DEVICE, message);
}

void cuda_record(cudaError_t err, const char *what) {
  if (err == cudaSuccess || sticky != FS_OK) return;
  char message[256];
  snprintf(message, sizeof message, "CUDA %s: %s", what, cudaGetErrorString(err));
  record(message);
}

void cublas_record(cublasStatus_t status, const char *what) {
  if (status == CUBLAS_STATUS_SUCCESS || sticky != FS_OK) return;
  char message[256];
  snprintf(message, sizeof message, "cuBLAS %s failed with status %d", what, (int)status);
  record(message);
}

fs_status cuda_error(const char *message) { return host->error(FS_ERR_DEVICE, message); }

cublasHandle_t cuda_cublas(void) {
  static cublasHandle_t handle;
  if (!handle) cublas_record(cublasCreate(&handle), "create");
  return handle;
}

static void *cuda_alloc(size_t bytes) {
  void *p = nullptr;
  return cudaMalloc(&p, bytes ? bytes : 1) == cudaSuccess ? p : nullptr;
}
static void cuda_free(void *p) { cuda_record(cudaFree(p), "free"); }
static void cuda_upload(void *dst, const void *src, size_t bytes) {
  cuda_record(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "upload");
}
static void cuda_download(void *dst, const void *src, size_t bytes) {
  cuda_record(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "download");
}
static void cuda_copy(void *dst, const void *src, size_t bytes) {
  cuda_record(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "copy");
}
static fs_status cuda_last_status(void) {
  cuda_record(cudaGetLastError(), "kernel");
  fs_status s = sticky;
  sticky = FS_OK;
  return s;
}
static void cuda_synchronize(void) { cuda_record(cudaDeviceSynchronize(), "synchronize"); }

static fs_backend make_table(void) {
  fs_backend b = {};
  b.name = "cuda";
  b.alloc = cuda_alloc;
  b.free = cuda_free;
  b.upload = cuda_upload;
  b.download = cuda_download;
  b.copy = cuda_copy;
  b.fill = cuda_fill;
  b.last_status = cuda_last_status;
  b.synchronize = cuda_synchronize;
  b.gemm = cuda_gemm;
  b.gemm_batched = cuda_gemm_batched;
  b.binary = cuda_binary;
  b.unary = cuda_unary;
  b.unary_backward = cuda_unary_backward;
  b.copy_strided = cuda_copy_strided;
  b.reduce_sum = cuda_reduce_sum;
  b.softmax = cuda_softmax;
  b.softmax_backward = cuda_softmax_backward;
  b.log_softmax = cuda_log_softmax;
  b.log_softmax_backward = cuda_log_softmax_backward;
  b.layernorm = cuda_layernorm;
  b.layernorm_backward = cuda_layernorm_backward;
  b.embedding = cuda_embedding;
  b.embedding_backward = cuda_embedding_backward;
  b.cross_entropy = cuda_cross_entropy;
  b.cross_entropy_backward = cuda_cross_entropy_backward;
  b.attention = cuda_attention;
  b.attention_backward = cuda_attention_backward;
  b.affine_coupling = cuda_affine_coupling;
  b.affine_coupling_backward = cuda_affine_coupling_backward;
  b.rand_uniform = cuda_rand_uniform;
  b.rand_normal = cuda_rand_normal;
  b.dropout_mask = cuda_dropout_mask;
  b.inverse_logdet = cuda_inverse_logdet;
  b.sum_squares = cuda_sum_squares;
  b.adamw = cuda_adamw;
  return b;
}

// Called once by the program (backend/select.c caches the answer).
extern "C" __attribute__((visibility("default"))) const fs_backend *flowseq_cuda_module(const fs_cuda_host *h) {
  static fs_backend table;
  host = h;
  char line[256];
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    snprintf(line, sizeof line, "CUDA: no usable device (%s)",
             err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
    host->log("engine", line);
    cudaGetLastError(); // clear the error so later CUDA calls do not report it
    return nullptr;
  }
  // one GPU per rank of a multi-process job (backend.h: fs_backend_set_local_rank), chosen before
  // anything allocates: the first allocation makes the context on the current device
  int device = h->local_rank % count;
  err = cudaSetDevice(device);
  if (err != cudaSuccess) {
    snprintf(line, sizeof line, "CUDA: cannot use device %d (%s)", device, cudaGetErrorString(err));
    host->log("engine", line);
    cudaGetLastError();
    return nullptr;
  }
  table = make_table();
#ifdef FLOWSEQ_HAVE_NCCL
  cuda_add_collectives(&table);
#endif
  cudaDeviceProp prop;
  cudaGetDeviceProperties(&prop, device);
  snprintf(line, sizeof line, "CUDA: %s (device %d of %d), %.0f GiB, compute capability %d.%d", prop.name, device,
           count, prop.totalGlobalMem / 1073741824.0, prop.major, prop.minor);
  host->log("engine", line);
  return &table;
}
