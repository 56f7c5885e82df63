/* params_close A.safetensors B.safetensors TOL: exit 0 when two weight files of the same model
 * (byte-identical headers: same tensors, shapes, order) hold F32 data within a relative L2
 * distance ‖a − b‖ / ‖b‖ <= TOL, else 1; prints the distance and the largest element difference.
 * A helper of test_mpi.sh, not a test itself: N ranks sum the gradients in another order than one
 * process accumulating does, so the two agree to fp32 rounding, which Adam's normalisation and
 * ReLU kinks let grow a little over the updates (a whole vector norm is steadier than any one
 * element). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, long *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  rewind(f);
  unsigned char *data = malloc(*size > 0 ? (size_t)*size : 1);
  if (data && fread(data, 1, (size_t)*size, f) != (size_t)*size) data = (free(data), NULL);
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  if (argc != 4) return fprintf(stderr, "usage: params_close A.safetensors B.safetensors TOL\n"), 2;
  long na, nb;
  unsigned char *a = slurp(argv[1], &na), *b = slurp(argv[2], &nb);
  if (!a || !b) return fprintf(stderr, "params_close: cannot read %s\n", a ? argv[2] : argv[1]), 2;
  uint64_t header = 0;
  if (na >= 8) memcpy(&header, a, 8); /* little-endian, as on every machine flowseq runs on */
  if (na != nb || na < 8 || header > (uint64_t)na - 8 || (na - 8 - (long)header) % 4 || memcmp(a, b, 8 + header))
    return fprintf(stderr, "params_close: %s and %s do not hold the same tensors\n", argv[1], argv[2]), 1;
  long n = (na - 8 - (long)header) / 4;
  double diff2 = 0, norm2 = 0, largest = 0;
  for (long i = 0; i < n; i++) {
    float x, y;
    memcpy(&x, a + 8 + header + 4 * i, 4);
    memcpy(&y, b + 8 + header + 4 * i, 4);
    double d = fabs((double)x - y);
    diff2 += d * d;
    norm2 += (double)y * y;
    if (!(d <= largest)) largest = d; /* a NaN sticks */
  }
  double distance = sqrt(diff2) / (norm2 > 0 ? sqrt(norm2) : 1);
  printf("%ld floats: relative L2 distance %.3g (tolerance %s), largest |a - b| %.3g\n", n, distance, argv[3], largest);
  free(a);
  free(b);
  return distance <= atof(argv[3]) ? 0 : 1;
}
