/* The kernel table, the one list of convkit's compute kernels: X(return type, name, (parameters)) for element
 * type T (UT: the unsigned integer of its size), grouped by the family header (of kernels_t.h) that holds
 * each body. From it come the dispatch table type (ck.h), its instances (dispatch.c) and, generated at
 * build time by gen_table_pxi.py, the Cython declarations and the typed wrappers ck_<name>.
 * Adding a kernel: its body FN(ck_<name>) in the family header, one X line here, and the driver that calls
 * ck_<name>(...) in the family's .pxi. */
#define CK_FUNCTIONS(X, T, UT)                                                                                         \
    /* gemm.h */                                                                                                       \
    X(void, pack_a, (ptrdiff_t M, ptrdiff_t K, const T *a, ptrdiff_t sm, ptrdiff_t sk, T *apack))                      \
    X(void, gemm_blocking, (ptrdiff_t *blk))                                                                           \
    X(void, gemm_pack_a, (ptrdiff_t rows, ptrdiff_t K, const T *a, ptrdiff_t sm, ptrdiff_t sk, T *ap))                 \
    X(void, gemm_pack_b, (ptrdiff_t K, ptrdiff_t cols, const T *b, ptrdiff_t sk, ptrdiff_t sn, T *bp))                 \
    X(void, gemm_pack_b_rows,                                                                                          \
      (ptrdiff_t k0, ptrdiff_t k1, ptrdiff_t K, ptrdiff_t cols, const T *b, ptrdiff_t sk, T *bp))                      \
    X(void, gemm_block,                                                                                                \
      (ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, const T *apack, const T *bpack, int first, int last, const T *bias,      \
       int relu, T *c, ptrdiff_t ldc))                                                                                 \
    X(void, gemm_narrow,                                                                                               \
      (ptrdiff_t rows, ptrdiff_t N, ptrdiff_t K, const T *a, ptrdiff_t sm, ptrdiff_t sk, const T *bp, const T *bias,   \
       int relu, T *c, ptrdiff_t ldc))                                                                                 \
    /* winograd.h */                                                                                                   \
    X(void, wino_filter,                                                                                               \
      (ptrdiff_t O, ptrdiff_t I, const T *w, ptrdiff_t so, ptrdiff_t si, int flip, ptrdiff_t p0, ptrdiff_t p1, int M,  \
       int R, T *u))                                                                                                   \
    X(void, wino_weight_filter,                                                                                        \
      (const T *part, ptrdiff_t chunks, ptrdiff_t FC, ptrdiff_t e0, ptrdiff_t e1, int M, int R, T *dw))                \
    X(ptrdiff_t, wino_input_scratch, (ptrdiff_t TW, ptrdiff_t rows, int M, int R))                                     \
    X(int, wino_input,                                                                                                 \
      (const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,      \
       ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t vstride, T *v, T *scratch, int M, int R))                                 \
    X(int, wino_input_rows,                                                                                            \
      (const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,      \
       ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t vstride, T *v, T *scratch, int M, int R))                   \
    X(ptrdiff_t, wino_dout_scratch, (ptrdiff_t TW, int M))                                                             \
    X(int, wino_dout,                                                                                                  \
      (const T *dy, ptrdiff_t F, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0,   \
       ptrdiff_t ld, ptrdiff_t ystride, T *y, double *db, T *scratch, int M, int R))                                   \
    X(void, wino_output,                                                                                               \
      (const T *m, ptrdiff_t mstride, ptrdiff_t ldm, ptrdiff_t O, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1,            \
       ptrdiff_t t0, const T *bias, int relu, T *out, ptrdiff_t OH, ptrdiff_t OW, int M, int R))                       \
    /* shift.h */                                                                                                      \
    X(void, shift_gemm,                                                                                                \
      (ptrdiff_t M, ptrdiff_t K, const T *apack, const T *base, const ptrdiff_t *off, const T *bias, const T *z,       \
       int relu, ptrdiff_t q_begin, ptrdiff_t q_end, ptrdiff_t wq, ptrdiff_t owc, T *out, ptrdiff_t ldo, T *tail,      \
       ptrdiff_t *tail_off))                                                                                           \
    X(void, shift_rows,                                                                                                \
      (ptrdiff_t M, ptrdiff_t K, const T *apack, const T *base, const ptrdiff_t *off, const T *bias, const T *z,       \
       int relu, ptrdiff_t r_begin, ptrdiff_t r_end, ptrdiff_t wq, ptrdiff_t owc, T *out, ptrdiff_t ldo))              \
    /* dw.h */                                                                                                         \
    X(ptrdiff_t, dw_reduce_size, (ptrdiff_t M, ptrdiff_t NJ))                                                          \
    X(void, dw_reduce,                                                                                                 \
      (ptrdiff_t M, ptrdiff_t NJ, const T *a, ptrdiff_t lda, const T *base, const ptrdiff_t *off, ptrdiff_t nrows,     \
       ptrdiff_t rowlen, ptrdiff_t a_rs, ptrdiff_t b_rs, T *vacc, int m_outer))                                        \
    X(void, dw_reduce_finish, (ptrdiff_t M, ptrdiff_t NJ, const T *vacc, T *d, ptrdiff_t ldd))                         \
    X(void, dw_outer,                                                                                                  \
      (ptrdiff_t NK, ptrdiff_t FP, const T *base, const ptrdiff_t *off, const T *bt, ptrdiff_t ldb, ptrdiff_t nrows,   \
       ptrdiff_t rowlen, ptrdiff_t b_rs, T *acc, ptrdiff_t ldacc))                                                     \
    /* layout.h */                                                                                                     \
    X(void, sum_partials,                                                                                              \
      (const T *part, ptrdiff_t chunks, ptrdiff_t part_size, ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t ncols,              \
       ptrdiff_t ld, T *out, ptrdiff_t ors, ptrdiff_t ocs))                                                            \
    X(void, transpose, (const T *src, ptrdiff_t rows, ptrdiff_t lds, ptrdiff_t cols, T *dst, ptrdiff_t ldd))           \
    X(int, embed,                                                                                                      \
      (const T *src, ptrdiff_t planes, ptrdiff_t sps, ptrdiff_t H, ptrdiff_t W, T *dst, ptrdiff_t dps, ptrdiff_t DH,   \
       ptrdiff_t DW, ptrdiff_t top, ptrdiff_t left, int zero, int check))                                              \
    X(void, phase_split,                                                                                               \
      (const T *x, ptrdiff_t planes, ptrdiff_t H, ptrdiff_t W, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t a, T *xq,         \
       ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top, ptrdiff_t left))                                                     \
    X(void, phase_merge,                                                                                               \
      (const T *xq, ptrdiff_t planes, ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t a, T *x,       \
       ptrdiff_t H, ptrdiff_t W))                                                                                      \
    /* im2col.h */                                                                                                     \
    X(void, im2col,                                                                                                    \
      (const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw,      \
       ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, ptrdiff_t OW, ptrdiff_t p0, ptrdiff_t np, T *col,       \
       ptrdiff_t ldc))                                                                                                 \
    X(void, col2im_add,                                                                                                \
      (const T *dcol, ptrdiff_t ldc, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,  \
       ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, ptrdiff_t OW, ptrdiff_t p0, ptrdiff_t np, \
       T *dx))                                                                                                         \
    /* depthwise.h */                                                                                                  \
    X(void, dwconv_plane,                                                                                              \
      (const T *x, ptrdiff_t H, ptrdiff_t W, const T *w, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw,       \
       ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, T bias, T *out, ptrdiff_t OH, ptrdiff_t OW))            \
    X(void, dwconv_plane_dx,                                                                                           \
      (const T *dout, ptrdiff_t OH, ptrdiff_t OW, const T *w, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw,  \
       ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, T *dx, ptrdiff_t H, ptrdiff_t W))                       \
    X(void, dwconv_plane_dw,                                                                                           \
      (const T *x, ptrdiff_t H, ptrdiff_t W, const T *dout, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH, ptrdiff_t KW,    \
       ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, double *acc))               \
    X(ptrdiff_t, dwconv_s1_scratch,                                                                                    \
      (ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t dh, ptrdiff_t dw))                            \
    X(void, dwconv_plane_s1,                                                                                           \
      (const T *x, ptrdiff_t H, ptrdiff_t W, const T *w, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t pt, ptrdiff_t pl,       \
       ptrdiff_t dh, ptrdiff_t dw, int flip, T bias, int accumulate, T *out, ptrdiff_t OH, ptrdiff_t OW, T *scratch))  \
    X(void, dwconv_plane_s1_dw,                                                                                        \
      (const T *x, ptrdiff_t H, ptrdiff_t W, const T *dout, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH, ptrdiff_t KW,    \
       ptrdiff_t pt, ptrdiff_t pl, ptrdiff_t dh, ptrdiff_t dw, double *acc, T *scratch))                               \
    X(ptrdiff_t, dwconv_flat_plan_size, (ptrdiff_t P, ptrdiff_t taps))                                                 \
    X(void, dwconv_flat_plan,                                                                                          \
      (ptrdiff_t H, ptrdiff_t W, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw,   \
       ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, void *plan))                                            \
    X(void, dwconv_flat_dx_plan,                                                                                       \
      (ptrdiff_t H, ptrdiff_t W, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw,   \
       ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, ptrdiff_t a, ptrdiff_t b, void *plan))                  \
    X(void, dwconv_flat, (const T *x, const T *w, const void *plan, T bias, int accumulate, T *out))                   \
    X(void, dwconv_flat_dw, (const T *x, const T *dout, const void *plan, T *vacc))                                    \
    X(void, dwconv_flat_dw_fold, (ptrdiff_t n, T *vacc, double *acc))                                                  \
    /* pool.h */                                                                                                       \
    X(void, maxpool2,                                                                                                  \
      (const T *x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W, T *out, UT *idx,             \
       ptrdiff_t OH, ptrdiff_t OW))                                                                                    \
    X(void, maxpool2_backward,                                                                                         \
      (const T *dout, const UT *idx, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W, T *dx, ptrdiff_t OH,        \
       ptrdiff_t OW))                                                                                                  \
    X(void, avgpool2,                                                                                                  \
      (const T *x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W, T *out, ptrdiff_t OH,        \
       ptrdiff_t OW))                                                                                                  \
    X(void, avgpool2_backward,                                                                                         \
      (const T *dout, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W, T *dx, ptrdiff_t OH, ptrdiff_t OW))        \
    /* elementwise.h */                                                                                                \
    X(void, relu, (const T *x, T *out, ptrdiff_t i0, ptrdiff_t i1))                                                    \
    X(void, relu_inplace, (T * x, ptrdiff_t i0, ptrdiff_t i1))                                                         \
    X(void, add_relu_inplace, (T * x, const T *z, ptrdiff_t i0, ptrdiff_t i1))                                         \
    X(void, relu_backward, (const T *x, const T *dout, T *dx, ptrdiff_t i0, ptrdiff_t i1))                             \
    X(void, add, (const T *a, const T *b, T *out, ptrdiff_t i0, ptrdiff_t i1, int relu))                               \
    X(int, all_finite, (const T *x, ptrdiff_t n))                                                                      \
    /* batchnorm.h */                                                                                                  \
    X(void, bn_sums,                                                                                                   \
      (const T *x, const T *y, const T *ga, const T *gd, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0,          \
       ptrdiff_t c1, const double *mean, double *s1, double *s2))                                                      \
    X(void, bn_affine,                                                                                                 \
      (const T *x, const T *y, const T *ga, const T *gd, const T *z, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L,            \
       ptrdiff_t c0, ptrdiff_t c1, const T *a, const T *e, const T *b, const T *d, int relu, T *out))                  \
    X(void, bn_row_sums,                                                                                               \
      (const T *x, const T *y, const T *ga, const T *gd, ptrdiff_t C, ptrdiff_t L, ptrdiff_t r0, ptrdiff_t r1,         \
       const double *mean, double *s))                                                                                 \
    X(void, bn_row_affine,                                                                                             \
      (const T *x, const T *y, const T *ga, const T *gd, const T *z, ptrdiff_t C, ptrdiff_t L, ptrdiff_t r0,           \
       ptrdiff_t r1, const T *a, const T *e, const T *b, const T *d, int relu, T *out))                                \
    /* norm.h */                                                                                                       \
    X(void, rownorm_forward,                                                                                           \
      (const T *x, ptrdiff_t D, ptrdiff_t L, ptrdiff_t cg, ptrdiff_t G, const T *w, const T *b, double eps,            \
       ptrdiff_t r0, ptrdiff_t r1, T *out, double *mean, double *inv_std))                                             \
    X(void, rownorm_backward,                                                                                          \
      (const T *dout, const T *x, const double *mean, const double *inv_std, const T *w, ptrdiff_t D, ptrdiff_t L,     \
       ptrdiff_t cg, ptrdiff_t G, ptrdiff_t r0, ptrdiff_t r1, T *dx, double *pu, double *pv))                          \
    X(void, rownorm_param_grads,                                                                                       \
      (const T *dout, const T *x, const double *mean, const double *inv_std, ptrdiff_t R, ptrdiff_t D, ptrdiff_t cg,   \
       ptrdiff_t G, ptrdiff_t i0, ptrdiff_t i1, double *dw, double *db))                                               \
    /* optimizers.h */                                                                                                 \
    X(void, adamax_step,                                                                                               \
      (T * param, const T *grad, T *exp_avg, T *exp_inf, ptrdiff_t i0, ptrdiff_t i1, T step_size, T one_minus_beta1,   \
       T beta2, T eps))                                                                                                \
    X(void, sgd_step,                                                                                                  \
      (T * param, const T *grad, T *buf, ptrdiff_t i0, ptrdiff_t i1, T lr, T momentum, T one_minus_dampening,          \
       int first_step, int nesterov))                                                                                  \
    X(void, adam_step,                                                                                                 \
      (T * param, const T *grad, T *exp_avg, T *exp_avg_sq, T *max_exp_avg_sq, ptrdiff_t i0, ptrdiff_t i1,             \
       T step_size, T one_minus_beta1, T beta2, T one_minus_beta2, T bias_correction2_sqrt, T eps))                    \
    X(void, rmsprop_step,                                                                                              \
      (T * param, const T *grad, T *square_avg, T *grad_avg, T *buf, ptrdiff_t i0, ptrdiff_t i1, T lr, T alpha,        \
       T one_minus_alpha, T eps, T momentum))
