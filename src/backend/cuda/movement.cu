// Strided copies and axis reductions. Each destination element of a reduction is summed by one
// thread, or by one warp when the contiguous axis is reduced (so the warp's loads coalesce), in
// a fixed order with a fixed shuffle tree: deterministic, no atomics.
#include "backend/cuda/cuda_common.cuh"

__global__ void copy_strided_kernel(Shape4 shape, int64_t n, float *dst, Strides4 dst_str, const float *src,
                                    Strides4 src_str, bool accumulate) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i >= n) return;
  Index4 idx = unravel(i, shape);
  float v = src[offset_of(idx, src_str)];
  float *d = dst + offset_of(idx, dst_str);
  *d = accumulate ? *d + v : v;
}

void cuda_copy_strided(const int shape[4], float *dst, const int64_t dst_str[4], const float *src,
                       const int64_t src_str[4], bool accumulate) {
  Shape4 s;
  int64_t n = pack_shape(shape, &s);
  if (n <= 0) return;
  copy_strided_kernel<<<cuda_blocks(n), kThreads>>>(s, n, dst, pack_strides(dst_str), src, pack_strides(src_str),
                                                    accumulate);
  CUDA_CHECK_LAUNCH("copy_strided");
}

// Where destination element d reads from: `base` is its first source element, `red` the extent
// summed along each axis (1 where the axis is kept), `str` the contiguous source strides.
struct ReduceWindow {
  int64_t base, str[4];
  int red[4];
};

__device__ inline ReduceWindow reduce_window(int64_t d, const Shape4 &src_shape, const Shape4 &dst_shape) {
  ReduceWindow w;
  int64_t s = 1, rest = d;
  w.base = 0;
  for (int i = 3; i >= 0; i--) {
    w.str[i] = s;
    s *= src_shape.v[i];
    int idx = (int)(rest % dst_shape.v[i]);
    rest /= dst_shape.v[i];
    if (dst_shape.v[i] != 1) w.base += idx * w.str[i];
    w.red[i] = dst_shape.v[i] == 1 ? src_shape.v[i] : 1;
  }
  return w;
}

// Sum of the window's elements whose index along the last axis is first, first+step, ...
__device__ inline double reduce_partial(const float *src, const ReduceWindow &w, int first, int step) {
  double sum = 0.0;
  for (int a = 0; a < w.red[0]; a++)
    for (int b = 0; b < w.red[1]; b++)
      for (int c = 0; c < w.red[2]; c++) {
        const float *p = src + w.base + a * w.str[0] + b * w.str[1] + c * w.str[2];
        for (int e = first; e < w.red[3]; e += step) sum += p[e * w.str[3]];
      }
  return sum;
}

__global__ void reduce_sum_thread_kernel(Shape4 src_shape, Shape4 dst_shape, int64_t n_dst, const float *src,
                                         float *dst, bool accumulate) {
  int64_t d = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (d >= n_dst) return;
  float sum = (float)reduce_partial(src, reduce_window(d, src_shape, dst_shape), 0, 1);
  dst[d] = accumulate ? dst[d] + sum : sum;
}

__global__ void reduce_sum_warp_kernel(Shape4 src_shape, Shape4 dst_shape, int64_t n_dst, const float *src, float *dst,
                                       bool accumulate) {
  int64_t d = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) / 32;
  int lane = threadIdx.x % 32;
  if (d >= n_dst) return; // whole warps leave together: d is the same across a warp
  double sum = reduce_partial(src, reduce_window(d, src_shape, dst_shape), lane, 32);
  for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
  if (lane == 0) dst[d] = accumulate ? dst[d] + (float)sum : (float)sum;
}

void cuda_reduce_sum(const int src_shape[4], const float *src, const int dst_shape[4], float *dst, bool accumulate) {
  Shape4 ss, ds;
  pack_shape(src_shape, &ss);
  int64_t n_dst = pack_shape(dst_shape, &ds);
  if (n_dst <= 0) return;
  if (dst_shape[3] == 1 && src_shape[3] > 1)
    reduce_sum_warp_kernel<<<cuda_blocks(n_dst * 32), kThreads>>>(ss, ds, n_dst, src, dst, accumulate);
  else reduce_sum_thread_kernel<<<cuda_blocks(n_dst), kThreads>>>(ss, ds, n_dst, src, dst, accumulate);
  CUDA_CHECK_LAUNCH("reduce_sum");
}
