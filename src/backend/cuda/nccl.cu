// The CUDA backend's collectives (backend.h): NCCL's all-reduce on device memory, so that the
// gradient sums of a multi-GPU job go GPU to GPU (NVLink, or the network's RDMA) instead of
// through host memory. Compiled into the module only in a FLOWSEQ_NCCL build; train/dist.c
// bootstraps the communicator over MPI.
#include <nccl.h>

#include <cstdio>
#include <cstring>

#include "backend/cuda/cuda_common.cuh"

static ncclComm_t comm;
// NCCL's own stream. Made blocking (cudaStreamCreate's default), it waits for the kernels queued
// before it on the legacy default stream, where every other kernel and cuBLAS call of the backend
// runs, and they wait for it: the all-reduce sees finished gradients, and the optimizer step sees
// finished sums, with no event of our own.
static cudaStream_t stream;

static fs_status nccl_failed(ncclResult_t r, const char *what) {
  char message[512];
  snprintf(message, sizeof message, "NCCL %s: %s (%s)", what, ncclGetErrorString(r), ncclGetLastError(comm));
  return cuda_error(message);
}

static fs_status cuda_comm_id(unsigned char id[FS_COMM_ID_BYTES]) {
  static_assert(sizeof(ncclUniqueId) == FS_COMM_ID_BYTES, "FS_COMM_ID_BYTES is NCCL's unique id size");
  ncclUniqueId unique;
  ncclResult_t r = ncclGetUniqueId(&unique);
  if (r != ncclSuccess) return nccl_failed(r, "unique id");
  memcpy(id, &unique, sizeof unique);
  return FS_OK;
}

static fs_status cuda_comm_init(const unsigned char id[FS_COMM_ID_BYTES], int rank, int size) {
  if (comm) return cuda_error("NCCL: a communicator is already set up in this process");
  cudaError_t err = cudaStreamCreate(&stream);
  if (err != cudaSuccess) {
    char message[256];
    snprintf(message, sizeof message, "CUDA stream for NCCL: %s", cudaGetErrorString(err));
    return cuda_error(message);
  }
  ncclUniqueId unique;
  memcpy(&unique, id, sizeof unique);
  ncclResult_t r = ncclCommInitRank(&comm, size, unique, rank);
  if (r != ncclSuccess) {
    comm = nullptr;
    cudaStreamDestroy(stream);
    return nccl_failed(r, "communicator (one GPU per rank)");
  }
  return FS_OK;
}

static fs_status cuda_comm_sum(float *x, int64_t n) {
  if (!comm) return cuda_error("NCCL: no communicator (comm_init first)");
  ncclResult_t r = ncclAllReduce(x, x, (size_t)n, ncclFloat, ncclSum, comm, stream);
  if (r != ncclSuccess) return nccl_failed(r, "all-reduce");
  // waiting here makes a failure of the transfer this call's (a peer's error is asynchronous)
  cudaError_t err = cudaStreamSynchronize(stream);
  ncclResult_t async = ncclSuccess;
  ncclCommGetAsyncError(comm, &async);
  if (async != ncclSuccess) return nccl_failed(async, "all-reduce");
  if (err != cudaSuccess) {
    char message[256];
    snprintf(message, sizeof message, "CUDA NCCL all-reduce: %s", cudaGetErrorString(err));
    return cuda_error(message);
  }
  return FS_OK;
}

static void cuda_comm_free(void) {
  if (!comm) return;
  ncclCommDestroy(comm);
  cudaStreamDestroy(stream);
  comm = nullptr;
}

void cuda_add_collectives(fs_backend *table) {
  static char library[32];
  int code = 0;
  ncclGetVersion(&code); // major * 10000 + minor * 100 + patch since NCCL 2.9
  snprintf(library, sizeof library, "NCCL %d.%d.%d", code / 10000, code / 100 % 100, code % 100);
  table->comm_id = cuda_comm_id;
  table->comm_init = cuda_comm_init;
  table->comm_sum = cuda_comm_sum;
  table->comm_free = cuda_comm_free;
  table->comm_library = library;
}
