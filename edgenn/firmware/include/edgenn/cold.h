/*
 * Included first by kernels that run once per inference on a few values (a classifier's softmax,
 * an arg max, a global average): their instructions are a rounding error of the model's and their
 * code is flash, so gcc compiles them for size whatever the build's -O (softmax: 2,092 B of
 * Cortex-M4 code at -O2, 736 B at -Os). Other compilers keep the build's level.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif
