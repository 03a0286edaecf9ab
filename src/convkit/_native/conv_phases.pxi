# ---------------------------------------------------------------------------------------------------------
# Strided convolution by stride phases: the helpers of the "phases" path (conv_plan.pxi picks it)
# ---------------------------------------------------------------------------------------------------------
#
# Design:
# At stride s and dilation 1, tap kh reads input row oh*s + kh - ph = (oh + e)*s + r, with r = (kh - ph)
# mod s and e = floor((kh - ph) / s): row oh + e of phase plane r of x (its rows i*s + r). A strided
# convolution is therefore a stride-1 convolution over the sh*sw phase planes of x in which each tap reads
# its own phase plane at its own shift, and the direct path's shifted-row GEMM (shift.h) runs it as it
# is: only the row offsets off[k] change, k = (c, kh, kw) in the usual order. Per image, x is split into
# zero-padded phase planes (ck_phase_split) instead of copied into one padded image (ck_embed); forward and
# weight gradient then run the direct path's loops. The input gradient is the adjoint: tap kh adds
# w * dout[i - e] to row i of phase r of dx, so each phase (a, b) of dx is a stride-1 convolution of the
# zero-padded dout with the taps of that phase alone, computed into a phase buffer and put in place
# (ck_phase_merge). The phases partition dx: nothing is accumulated, nothing cleared. No im2col tile, no
# col2im, and no product with a zero inserted between input pixels: a transposed convolution, whose forward
# is conv2d's input gradient, runs at the direct path's speed.
# The planes' geometry (padding, extent) is the plan's (``_phase_axis``); the k order of the input
# gradient's taps is per phase, each phase's taps contiguous, so one packed operand serves all phases.


cdef inline ptrdiff_t _tap_shift(ptrdiff_t k, ptrdiff_t s, ptrdiff_t p) noexcept nogil:
    """The shift e = floor((k - p) / s) at which tap k reads its phase plane."""
    return _floor_div(k - p, s)


cdef inline ptrdiff_t _tap_phase(ptrdiff_t k, ptrdiff_t s, ptrdiff_t p) noexcept nogil:
    """The phase (k - p) mod s that tap k reads (or, in dx, writes)."""
    return k - p - _tap_shift(k, s, p) * s


cdef inline void _phase_split(const floating *x, ptrdiff_t planes, ptrdiff_t H, ptrdiff_t W, ptrdiff_t sh,
                              ptrdiff_t sw, floating *xq, ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top,
                              ptrdiff_t left) noexcept nogil:
    # IN  x (planes, H, W); OUT xq (sh*sw, planes, DH, DW): phase (a, b) of each plane, data from (top, left)
    cdef ptrdiff_t a
    for a in range(sh):
        ck_phase_split(x, planes, H, W, sh, sw, a, xq + a * sw * planes * DH * DW, DH, DW, top, left)


cdef inline void _phase_split_image(const floating *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t sh,
                                    ptrdiff_t sw, ConvPlan *plan, floating *xq) noexcept nogil:
    # IN  x (C, H, W); OUT xq (sh*sw, C, ph_rows, ph_cols): the plan's padded phase planes
    _phase_split(x, C, H, W, sh, sw, xq, plan.ph_rows, plan.ph_cols, plan.ph_top, plan.ph_left)


cdef void _phase_split_offsets(ptrdiff_t C, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph,
                               ptrdiff_t pw, ConvPlan *plan, ptrdiff_t *off) noexcept nogil:
    # OUT off (C*KH*KW,): where tap (c, kh, kw) starts reading the split image (_phase_split_image)
    cdef ptrdiff_t c, kh, kw, pplane = plan.ph_rows * plan.ph_cols
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                off[(c * KH + kh) * KW + kw] = (
                    ((_tap_phase(kh, sh, ph) * sw + _tap_phase(kw, sw, pw)) * C + c) * pplane
                    + (plan.ph_top + _tap_shift(kh, sh, ph)) * plan.ph_cols + plan.ph_left + _tap_shift(kw, sw, pw))


cdef void _phase_merge_taps(const floating *w, ptrdiff_t F, ptrdiff_t C, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,
                            ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ConvPlan *plan, floating *wt, floating *apack,
                            ptrdiff_t *off, ptrdiff_t *start) noexcept nogil:
    """The input gradient's operands, phase by phase (a, b) of dx: its taps (f, kh, kw) with (kh - ph) mod sh
    = a and (kw - pw) mod sw = b are k = start[a*sw + b] .. start[a*sw + b + 1] - 1; tap k reads the padded
    dout (planes ph_rows x ph_cols) from off[k], and apack holds each phase's (C x its taps) weights, packed
    (ck_pack_a) one phase after the other."""
    # IN  w (F, C, KH, KW); OUT wt (C, F*KH*KW) scratch, apack (C*F*KH*KW,), off (F*KH*KW,), start (sh*sw + 1,)
    cdef ptrdiff_t a, b, f, c, kh, kw, k = 0, k0, KK = F * KH * KW, pplane = plan.ph_rows * plan.ph_cols
    for a in range(sh):
        for b in range(sw):
            k0 = k
            start[a * sw + b] = k0
            for f in range(F):
                for kh in range(KH):
                    if _tap_phase(kh, sh, ph) != a:
                        continue
                    for kw in range(KW):
                        if _tap_phase(kw, sw, pw) != b:
                            continue
                        off[k] = (f * pplane + (plan.ph_top - _tap_shift(kh, sh, ph)) * plan.ph_cols
                                  + plan.ph_left - _tap_shift(kw, sw, pw))
                        for c in range(C):
                            wt[c * KK + k] = w[((f * C + c) * KH + kh) * KW + kw]
                        k += 1
            ck_pack_a(C, k - k0, wt + k0, KK, 1, apack + C * k0)
    start[sh * sw] = k
