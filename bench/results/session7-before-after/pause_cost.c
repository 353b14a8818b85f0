// Cost of one x86 PAUSE on this VM: time 32-pause bursts (the reader's claimed-frame wait) with the TSC clock.
#include <stdio.h>
#include <time.h>
static long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
int main(void) {
  for (int n = 1; n <= 64; n *= 2) {
    long best = 1L << 60; long total = 0; const int reps = 20000;
    for (int r = 0; r < reps; ++r) {
      long t0 = now();
      for (int i = 0; i < n; ++i) __builtin_ia32_pause();
      long d = now() - t0; total += d; if (d < best) best = d;
    }
    printf("%2d pauses: min %ld ns, mean %ld ns (incl. ~20 ns clock read)\n", n, best, total / reps);
  }
}
