// Strided copies and axis reductions. The reduction gives each destination element one thread
// that sums its sources in a fixed order: deterministic, no atomics.
#include "backend/cuda/cuda_common.cuh"

__global__ void copy_strided_kernel(Shape4 shape, int64_t n, float *dst, Strides4 dst_str, const float *src,
                                    Strides4 src_str, bool accumulate) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i >= n) return;
  float v = src[strided_offset(i, shape.v, src_str.v)];
  float *d = dst + strided_offset(i, shape.v, dst_str.v);
  *d = accumulate ? *d + v : v;
}

void cuda_copy_strided(const int shape[4], float *dst, const int64_t dst_str[4], const float *src,
                       const int64_t src_str[4], bool accumulate) {
  Shape4 s;
  Strides4 sd, ss;
  int64_t n = 1;
  for (int d = 0; d < 4; d++) {
    s.v[d] = shape[d];
    sd.v[d] = dst_str[d];
    ss.v[d] = src_str[d];
    n *= shape[d];
  }
  if (n <= 0) return;
  copy_strided_kernel<<<cuda_blocks(n), kThreads>>>(s, n, dst, sd, src, ss, accumulate);
  CUDA_CHECK_LAUNCH("copy_strided");
}

__global__ void reduce_sum_kernel(Shape4 src_shape, Shape4 dst_shape, int64_t n_dst, const float *src, float *dst,
                                  bool accumulate) {
  int64_t d = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (d >= n_dst) return;
  int64_t src_str[4], s = 1;
  for (int i = 3; i >= 0; i--) {
    src_str[i] = s;
    s *= src_shape.v[i];
  }
  int64_t rest = d, base = 0;
  int red[4];
  for (int i = 3; i >= 0; i--) {
    int idx = (int)(rest % dst_shape.v[i]);
    rest /= dst_shape.v[i];
    if (dst_shape.v[i] != 1) base += idx * src_str[i];
    red[i] = dst_shape.v[i] == 1 ? src_shape.v[i] : 1;
  }
  double sum = 0.0;
  for (int a = 0; a < red[0]; a++)
    for (int b = 0; b < red[1]; b++)
      for (int c = 0; c < red[2]; c++) {
        const float *p = src + base + a * src_str[0] + b * src_str[1] + c * src_str[2];
        for (int e = 0; e < red[3]; e++) sum += p[e * src_str[3]];
      }
  dst[d] = accumulate ? dst[d] + (float)sum : (float)sum;
}

void cuda_reduce_sum(const int src_shape[4], const float *src, const int dst_shape[4], float *dst, bool accumulate) {
  Shape4 ss, ds;
  int64_t n_dst = 1;
  for (int d = 0; d < 4; d++) {
    ss.v[d] = src_shape[d];
    ds.v[d] = dst_shape[d];
    n_dst *= dst_shape[d];
  }
  if (n_dst <= 0) return;
  reduce_sum_kernel<<<cuda_blocks(n_dst), kThreads>>>(ss, ds, n_dst, src, dst, accumulate);
  CUDA_CHECK_LAUNCH("reduce_sum");
}
