# ---------------------------------------------------------------------------------------------------------
# The convolution plan: every decision about how a convolution runs, made here and only here
# ---------------------------------------------------------------------------------------------------------
#
# Design:
# Five paths, with the same GEMM micro-kernel (gemm.h) underneath:
# - *winograd* (stride 1, 3x3 or 5x5, dilation 1, at least WINO_MIN_CHANNELS (float64: twice) and
#   WINO_MIN_VECTORS vectors of channels in and out; dW: on vectors of at most WINO_NARROW_BYTES 3x3 from
#   WINO_DW_MIN_CHANNELS, below WINO_DW_FEW_CHANNELS from twice as many and, 5x5 too, with a vector of
#   tiles per row; on wider ones 3x3 from WINO_DW_MIN_VECTORS vectors and 5x5 never): Winograd
#   F(2x2, 3x3) or F(2x2, 5x5) (winograd.pxi): 16 multiply-adds per input channel for a 2x2 tile of outputs
#   instead of 36, 36 instead of 100. A 3x3 pass with enough 4-wide tiles per output row (_wide_tiles_fit:
#   WINO_WIDE_MIN_TILES, WINO_WIDE_MANY_VECTORS; dW its own, then the forward's channels) takes
#   F(4x4, 3x3), 36 for a 4x4 tile instead of 144. A job is ``per`` rows of output tiles (of one image or
#   several), transformed, multiplied and transformed back in per-thread scratch of about WINO_JOB_BYTES (in
#   L2). dx is the forward kernel on dout with the flipped, channel-swapped weights and padding K - 1 - p (so
#   p <= K - 1); dW the transforms' adjoint, summed per fixed chunk of images like the direct dW. An input
#   holding inf/NaN, which the transform's differences would turn into NaN, runs the direct path.
# - *direct* (stride 1, any channel count): the output is a GEMM whose "B" rows are never materialised:
#   ``ck_shift_gemm`` computes out[m][q] = bias[m] + sum_k A[m][k] * base[off[k] + q] with base = one
#   zero-padded image (per-thread copy) and off[k] = c*plane + kh*WP + kw: a register tile of up to 8
#   output channels x 3 vectors of output pixels, held over the whole k loop. Pixels run on the "wide"
#   grid q = oh*WP + ow (columns ow >= OW computed and dropped), or on whole output rows when OW is a
#   multiple of the vector width (``rows``: ``ck_shift_rows``, nothing dropped). Where neither fits, KW > 1
#   and there are enough channels to write (``shifted``: an 8x8 or 14x14 output), the image is copied KW
#   times instead, copy j shifted left by j*dw columns and cropped to OW columns: tap (c, kh, kw) reads
#   copy kw at row kh*dh, the grid is q = oh*OW + ow and nothing is dropped (KW copies of the image
#   against (KW-1)*dw wasted columns of every output row). dx is the same kernel on the zero-padded
#   upstream gradient with the flipped, channel-swapped weights (a "full" convolution: no scatter). No
#   im2col buffer, for few channels (LeNet) as for many.
# - *phases* (stride > 1, dilation 1, a kernel at least as large as the stride): the direct path run on the
#   input's stride phases (conv_phases.pxi): x split into sh*sw zero-padded phase planes, each tap reading
#   one of them at its own shift; dx one phase of dx at a time, merged in place. The weight gradient takes
#   it with the outer kernel or on whole output rows (OW a multiple of the vector width), else im2col.
# - *pointwise* (the weight gradient of a 1x1 convolution, stride 1, no padding): dW = sum over images of
#   dout_n (F x P) @ x_n^T (P x C), the GEMM's packed panels and blocks over each image, the images of a
#   fixed chunk accumulated into its partial (a GEMM with K = the chunk's pixels), db from row sums.
# - *im2col* (any stride, any dilation; what the other paths do not take): per job one image and a block
#   of output pixels, im2col into a per-thread tile of at most ~256 KB (never a full-batch buffer), then
#   the same micro-kernel; dx through col2im, one job per image.
# The weight gradient has two kernels on every path: "reduce" (``ck_dw_reduce``: vectorised along pixels,
# vector partial sums kept across the images of a chunk) for few filters or few taps, "outer"
# (``ck_dw_outer``: vectorised along filters against a transposed copy of dout, image values broadcast)
# for many of both; an extra "B" row of ones gives db in the same pass. dW jobs are (fixed chunk of
# images, group of weight columns); chunk partials are added in chunk order in double. The outer kernel
# reads the image's rows as they are, of any length; reduce does so on whole rows of vectors, else on the
# wide grid, where the dropped columns of dout are zeros, so that an image holding inf/NaN takes the exact
# im2col route (``check_finite``; 0 * inf would be NaN).
# Every number of jobs is a function of the shapes only, never of the thread count, so results are
# bit-identical for any number of threads. ``force_conv_plan`` lets the tests run every case through
# every path and kernel ("direct" applies to stride 1 only).
# Dilation (dh, dw) spaces the taps: on the direct path it only spaces the offsets, off[k] = c*plane +
# kh*dh*WP + kw*dw (dx: dout padded by (KH-1)*dh - ph), on the im2col path the gather and scatter step
# by it; dilation 1 plans and computes exactly as before it existed.
# Groups (``grouped_conv_path``): a depthwise convolution (groups = C > 1, one input channel per group)
# runs the per-plane loops of depthwise.pxi (memory-bound: no im2col, no GEMM); any other grouping runs
# one plan of the above per group, on channel slices. groups = 1 never reaches either.

cdef enum ConvPath:
    PATH_DIRECT = 0
    PATH_IM2COL = 1
    PATH_PHASES = 2
    PATH_WINOGRAD = 3
    PATH_POINTWISE = 4

cdef enum ConvPass:
    PASS_FORWARD = 0
    PASS_INPUT_GRAD = 1
    PASS_WEIGHT_GRAD = 2

cdef enum:
    DW_OUTER_MIN_FILTERS = 16     # the outer dW kernel from this many filters ...
    DW_OUTER_MIN_TAPS = 32        # ... and this many taps (C*KH*KW), to pay for the transposed dout
    DW_CHUNKS = 8                 # images are summed in at most this many fixed chunks for dW
    DW_PARTIAL_BYTES = 32 << 20   # ... fewer when the per-chunk partial gradients would exceed this
    WINO_MIN_CHANNELS = 16        # Winograd from this many channels in and out in float32, twice as many
                                  # in float64 ...
    WINO_MIN_VECTORS = 2          # ... and this many vectors of lanes: the transforms run on vectors of tiles,
                                  # their share of the time growing with the lanes. Measured, 2 cores, 16 ->
                                  # 16 on 32 x 32 against the direct path: AVX2 float32 1.1x, float64 0.96x;
                                  # AVX-512 float32 0.84x (32 -> 32 on 16 x 16: 1.03x), float64 0.8x
    WINO_NARROW_BYTES = 32        # narrow vectors: at most this many bytes (AVX2, the baseline). The weight
                                  # gradient (its packs and small GEMMs cost more), against the direct dW: on
                                  # narrow vectors ...
    WINO_DW_MIN_CHANNELS = 32     # ... 3x3 from this many channels, twice as many below WINO_DW_FEW_CHANNELS
    WINO_DW_FEW_CHANNELS = 128    # ... channels on the wider side, where 3x3 and 5x5 also need a whole vector of
                                  # 2-wide tiles per output row (F(4x4): of 4-wide ones). AMD EPYC Zen 4 (the
                                  # nearest to an AVX2-only Zen 3 measured), AVX2 float32, 2 cores, min of 7-15,
                                  # against the direct dW: F(2x2) 64 -> 64 on 16 x 16 1.27x, 128 -> 256 and
                                  # 256 -> 256 on 8 x 8 1.3x and 1.19x; 64 -> 64 on 8 x 8 0.74x, 32 -> 32 on
                                  # 16 x 16 0.77x, 5x5 32 -> 64 on 14 x 14 0.77x (an Intel Xeon had measured
                                  # 1.24x, 1.27x and 1.37x on these three with this rule's older kernels);
    WINO_DW_MIN_VECTORS = 8       # ... on wider ones (AVX-512) 3x3 from this many vectors (128 -> 128 1.1x,
                                  # 64 -> 64 0.81x), 5x5 never (16 -> 32 0.47x, 32 -> 64 0.69x, 64 -> 64 0.85x)
    WINO_WIDE_MIN_TILES = 3       # F(4x4, 3x3) (forward, dx) where an output row holds this many 4x4 tiles and
                                  # half a vector of them (the transforms run on vectors of a row's tiles).
                                  # Measured, 2 cores, against F(2x2, 3x3), Intel Xeon (SPR): AVX2 float32
                                  # 16 -> 16 on 32 x 32 1.17x, 64 -> 64 1.42x, 32 -> 32 on 16 x 16 1.05x, 3
                                  # tiles (11 wide) 1.12x, 8 x 8 0.97x; AVX-512 float32 64 -> 64 on 32 x 32
                                  # 1.25x, 16 x 16 0.95x; float64 16 x 16 1.1-1.2x, 8 x 8 0.85x. Not on
                                  # narrow vectors where a row's 2-wide tiles fill whole vectors and its 4-wide
                                  # ones do not: Zen 4, AVX2 float32, 32 -> 32 on 16 x 16 0.72x
    WINO_WIDE_MANY_VECTORS = 8    # ... or, from this many vectors of channels, WINO_WIDE_MIN_TILES tiles, on
                                  # narrow vectors WINO_NARROW_MANY_TILES: the GEMMs' share grows with the
                                  # channels, the transforms' with the idle lanes. AMD EPYC (Zen 5), against
                                  # F(2x2): AVX2 float32 on 12 x 12 64 -> 64 and 128 -> 128 1.4x; AVX-512 on
                                  # 16 x 16 128 -> 128 1.13-1.3x, 256 -> 256 1.36x, 64 -> 64 1.05x (not taken),
                                  # on 12 x 12 128 -> 128 1.1x; float64 64 -> 64 on 12 x 12 1.23x
    WINO_NARROW_MANY_TILES = 2    # ... AVX2 float32 on 8 x 8 64 -> 64 1.1x, 128 -> 128 1.14-1.25x, 256 -> 256
                                  # 1.29x (32 -> 32 0.86x), float64 32 -> 32 1.1x, 64 -> 64 1.2x; AVX-512 on
                                  # 8 x 8 0.8-0.88x
    WINO_DW_WIDE_MIN_VECTORS = 4  # ... and the weight gradient on them: a whole vector of tiles per row and
                                  # WINO_DW_WIDE_NARROW_CHANNELS on narrow vectors (AVX2 float32, against the
                                  # direct dW, an Intel Xeon: 16 -> 16 on 32 x 32 1.21x, 32 -> 32 1.5x, 64 -> 64
                                  # 1.82x; 8 x 8 worse), half a vector and this many
                                  # vectors of channels on wider ones (AVX-512 float32 64 -> 64 on 32 x 32
                                  # 1.28x, 32 -> 32 1.0x, 16 -> 16 0.6x) ...
    WINO_DW_WIDE_NARROW_CHANNELS = 24  # ... AMD EPYC Zen 4, AVX2 float32, 2 cores, min of 7-15, after the
                                  # transforms' whole-vector stores: 16 -> 16 on 32 x 32 0.83x (1 core 0.8x),
                                  # 16 -> 16 on 64 x 64 0.85x, 16 -> 32 0.95x; 24 -> 24 1.23x, 32 -> 16 1.1x,
                                  # 32 -> 32 1.17x, 48 -> 48 1.47x (fewer channels on either side: direct)
    WINO_DW_MIN_TILES = 4         # ... or, on wide vectors, from this many tiles with WINO_WIDE_MANY_VECTORS
                                  # vectors. Zen 5, against F(2x2): AVX-512 128 -> 128 1.2x, 256 -> 256 1.22x;
                                  # float64 on 12 x 12 (3 tiles) 0.85-1.25x; on narrow ones with
                                  # WINO_DW_FEW_CHANNELS: Zen 5, F(4x4) dW against F(2x2) on 16 x 16 32 -> 32
                                  # 1.17x, 64 -> 64 1.15x, 128 -> 128 1.24x; Zen 4 64 -> 64 0.86x, 64 -> 128
                                  # 1.48x, 128 -> 128 0.98x
    WINO_JOB_BYTES = 512 << 10    # ... with a job's transformed tiles and products in about this much scratch
    WINO_MIN_JOBS = 8             # ... and at least this many jobs where the batch has enough tile rows
    SHIFTED_MIN_ROWS = 8          # the column-shifted copies from this many GEMM rows (channels written):
                                  # below, copying KW images costs more than the dropped columns

# The ck_scratch slots (kept per thread from call to call, see ck.h). Slots 0-4 belong to the threads
# inside a parallel region, 5-7 to the calling thread before and after it; a pass may give a slot its
# own use (the second names).
cdef enum Slot:
    SLOT_IMAGE = 0        # the zero-padded image or dout (direct), the im2col / column-gradient tile
    SLOT_TAIL = 1         # shift_gemm's copy of a partial tile; phases dx: one row phase of dx
    SLOT_TAIL_OFF = 2     # its row offsets, then the index of the image now in SLOT_IMAGE
    SLOT_DW_WIDE = 1      # dW: dout on the wide grid, or transposed
    SLOT_DW_COL = 2       # dW: im2col tile + a row of ones
    SLOT_DW_TILE = 3      # dW: dout for an im2col tile
    SLOT_DW_VACC = 4      # dW reduce: the vector partial sums
    SLOT_PACKED = 5       # the packed A operand; dW: the per-chunk partial gradients
    SLOT_OFFSETS = 6      # the "B" row offsets
    SLOT_WEIGHTS = 7      # dx: the flipped weights; dW: the chunks summed
    SLOT_COUNT = 8        # = CK_SCRATCH_SLOTS


cdef struct ConvPlan:
    int path              # a ConvPath
    bint outer            # dW: the outer kernel, else reduce
    ptrdiff_t VL          # vector lanes and shift_gemm tile columns at the SIMD level in use
    ptrdiff_t NR
    # direct path: the grid of out (forward) or dx (input gradient)
    bint rows             # whole output rows of vectors (ck_shift_rows), else the wide grid (ck_shift_gemm)
    bint shifted          # direct forward / dx, not rows: KW column-shifted copies, rows OW apart
    ptrdiff_t q_end       # one past the last wide column kept
    ptrdiff_t parts       # jobs per image
    ptrdiff_t per         # output rows (rows) or wide columns (grid) per job
    # phases path: the zero-padded planes (ph_rows x ph_cols) of x's phases (forward, dW) or of dout (dx),
    # with ph_top rows and ph_left columns of zeros before the data; dx: each phase of dx is dx_h x dx_w
    ptrdiff_t ph_top
    ptrdiff_t ph_left
    ptrdiff_t ph_rows
    ptrdiff_t ph_cols
    ptrdiff_t dx_h
    ptrdiff_t dx_w
    # winograd path: tiles of tile x tile outputs (2 or 4), tiles_w per row, tiles_h rows per image; a job:
    # ``per`` tile rows in ``block`` columns of transformed tiles (a whole number of the GEMM's panels)
    int tile
    ptrdiff_t tiles_h
    ptrdiff_t tiles_w
    # im2col path
    ptrdiff_t block       # output pixels per tile
    ptrdiff_t blocks      # tiles per image
    ptrdiff_t n_jobs
    # weight gradient
    ptrdiff_t chunks      # fixed chunks of images, each summed into its own partial gradient
    ptrdiff_t groups      # groups of weight columns per chunk (a job: one chunk, one group)
    ptrdiff_t gsize       # weight columns (K + 1 with db) per group
    ptrdiff_t part_size   # elements of one chunk's partial gradient
    bint m_outer          # reduce: loop over filter blocks outside (re-read the image rows)
    bint check_finite     # an image holding inf/NaN takes the im2col route


cdef int _forced_path = -1
cdef int _forced_outer = -1
cdef int _forced_tile = 0


cdef inline ptrdiff_t _im2col_block(ptrdiff_t K, ptrdiff_t P, ptrdiff_t itemsize, ptrdiff_t tile) noexcept nogil:
    """Output pixels per im2col tile: K x block elements of at most ~256 KB, a multiple of the GEMM tile."""
    cdef ptrdiff_t block = (256 * 1024) // (K * itemsize)
    block = block - block % tile
    if block < tile:
        block = tile
    if block > _cdiv(P, tile) * tile:
        block = _cdiv(P, tile) * tile
    return block


cdef inline ptrdiff_t _parts(ptrdiff_t N, ptrdiff_t tiles) noexcept nogil:
    """Jobs per image so that a small batch still feeds several threads (a function of shapes only)."""
    cdef ptrdiff_t parts = 1
    if N < 8:
        parts = _cdiv(8, N)
    if parts > tiles:
        parts = tiles
    return parts if parts > 0 else 1


cdef inline void _direct_grid(ConvPlan *plan, ptrdiff_t N, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t period) noexcept nogil:
    """Jobs over an (OH, OW) output computed from rows of ``period`` columns (the padded input's width)."""
    cdef ptrdiff_t tiles
    plan.q_end = (OH - 1) * period + OW
    plan.rows = OW % plan.VL == 0  # whole vectors per output row: no dropped columns at all
    tiles = OH if plan.rows else _cdiv(plan.q_end, plan.NR)
    plan.parts = _parts(N, tiles)
    plan.per = _cdiv(tiles, plan.parts) * (1 if plan.rows else plan.NR)
    plan.n_jobs = N * plan.parts


cdef inline ptrdiff_t _floor_div(ptrdiff_t a, ptrdiff_t b) noexcept nogil:
    """floor(a / b) for b > 0 (C's division truncates)."""
    return a // b if a >= 0 else -((b - 1 - a) // b)


cdef inline ptrdiff_t _max(ptrdiff_t a, ptrdiff_t b) noexcept nogil:
    return a if a > b else b


cdef inline void _phase_axis(bint merge, ptrdiff_t n, ptrdiff_t O, ptrdiff_t K, ptrdiff_t s, ptrdiff_t p,
                             ptrdiff_t *top, ptrdiff_t *extent) noexcept nogil:
    """One axis of the phases path's padded planes. Tap k reads phase (k - p) mod s of the input at shift
    e = floor((k - p) / s), e from -ceil(p / s) to floor((K - 1 - p) / s). Split (x's phases, ceil(n / s)
    long, read at o + e for o < O): ``top`` = ceil(p / s). Merge (dout, O long, read at i - e for i <
    ceil(n / s), a phase of dx): ``top`` = max(0, floor((K - 1 - p) / s)). ``extent`` covers data and reads."""
    cdef ptrdiff_t e_max = _floor_div(K - 1 - p, s)
    if merge:
        top[0] = _max(0, e_max)
        extent[0] = top[0] + _max(O, _cdiv(n, s) + _cdiv(p, s))
    else:
        top[0] = _cdiv(p, s)
        extent[0] = top[0] + _max(_cdiv(n, s), O + e_max)


cdef inline bint _few_dw_channels(ptrdiff_t C, ptrdiff_t F) noexcept nogil:
    """Whether a weight gradient on narrow vectors has too few channels on its wider side for Winograd on
    rows shorter than a vector of tiles (WINO_DW_FEW_CHANNELS)."""
    return _max(C, F) < WINO_DW_FEW_CHANNELS


cdef inline bint _wide_tiles_fit(int pass_, ptrdiff_t R, ptrdiff_t C, ptrdiff_t F, ptrdiff_t OW, ptrdiff_t VL,
                                 ptrdiff_t itemsize) noexcept nogil:
    """The rule's F(4x4, 3x3), for a pass whose output rows are OW long: a 3x3 forward or dx with at least
    WINO_WIDE_MIN_TILES 4-wide tiles per row and half a vector of them (on narrow vectors not where a row's
    2-wide tiles fill whole vectors and its 4-wide ones do not), or with WINO_WIDE_MANY_VECTORS vectors of
    channels WINO_WIDE_MIN_TILES (on narrow vectors WINO_NARROW_MANY_TILES); a weight gradient on narrow
    vectors with a whole vector of tiles and WINO_DW_WIDE_NARROW_CHANNELS, or (not _few_dw_channels)
    WINO_DW_MIN_TILES and half a vector of them and WINO_DW_MIN_CHANNELS; on wider ones with half a vector
    and WINO_DW_WIDE_MIN_VECTORS vectors of channels, or WINO_DW_MIN_TILES and WINO_WIDE_MANY_VECTORS."""
    cdef ptrdiff_t tiles = _cdiv(OW, 4), channels = C if C < F else F
    cdef bint many = channels >= WINO_WIDE_MANY_VECTORS * VL, narrow = VL * itemsize <= WINO_NARROW_BYTES
    if R != 3:
        return False
    if (pass_ != PASS_WEIGHT_GRAD and many
            and tiles >= (WINO_NARROW_MANY_TILES if narrow else WINO_WIDE_MIN_TILES)):
        return True
    if tiles < WINO_WIDE_MIN_TILES:
        return False
    if pass_ != PASS_WEIGHT_GRAD:
        if narrow and _cdiv(OW, 2) % VL == 0 and tiles % VL != 0:  # 2x2 tiles fill the vectors, 4x4 not
            return False
        return tiles >= _cdiv(VL, 2)
    if narrow:
        return ((tiles >= VL and channels >= WINO_DW_WIDE_NARROW_CHANNELS)
                or (not _few_dw_channels(C, F) and channels >= WINO_DW_MIN_CHANNELS
                    and tiles >= _max(WINO_DW_MIN_TILES, _cdiv(VL, 2))))
    return ((tiles >= _cdiv(VL, 2) and channels >= WINO_DW_WIDE_MIN_VECTORS * VL)
            or (tiles >= WINO_DW_MIN_TILES and many))


cdef inline bint _winograd_fits(int pass_, ptrdiff_t C, ptrdiff_t F, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t ph,
                                ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, ptrdiff_t OW, ptrdiff_t VL,
                                ptrdiff_t itemsize) noexcept nogil:
    """A stride-1 pass that the Winograd path computes: any pass (dx: padding <= KH - 1) of a 3x3 or 5x5
    undilated convolution, with enough channels each way unless forced (the weight gradient: fewer on
    F(4x4, 3x3) tiles); OW: the pass's output row length."""
    cdef ptrdiff_t channels
    if KH != KW or (KH != 3 and KH != 5) or dh != 1 or dw != 1 or _forced_path == PATH_DIRECT:
        return False
    if pass_ == PASS_INPUT_GRAD and (ph > KH - 1 or pw > KW - 1):
        return False
    if _forced_path == PATH_WINOGRAD:
        return True
    channels = _max(WINO_MIN_CHANNELS * itemsize // 4, WINO_MIN_VECTORS * VL)
    if pass_ == PASS_WEIGHT_GRAD and not _wide_tiles_fit(pass_, KH, C, F, OW, VL, itemsize):  # F(2x2) dW
        if VL * itemsize > WINO_NARROW_BYTES:
            if KH == 5:
                return False
            channels = _max(channels, WINO_DW_MIN_VECTORS * VL)
        elif _few_dw_channels(C, F):  # narrow vectors
            if _cdiv(OW, 2) < VL:  # ... a whole vector of 2-wide tiles per output row
                return False
            if KH == 3:
                channels = _max(channels, 2 * WINO_DW_MIN_CHANNELS)
        elif KH == 3:
            channels = _max(channels, WINO_DW_MIN_CHANNELS)
    return (C if C < F else F) >= channels


cdef inline int _winograd_tile(int pass_, ptrdiff_t R, ptrdiff_t C, ptrdiff_t F, ptrdiff_t OW, ptrdiff_t VL,
                               ptrdiff_t itemsize) noexcept nogil:
    """The Winograd tile's outputs per side for a pass whose output rows are OW long: 4 (F(4x4, 3x3)) where
    _wide_tiles_fit (or forced, for a 3x3), else 2."""
    if R != 3:
        return 2
    if _forced_tile:
        return _forced_tile
    return 4 if _wide_tiles_fit(pass_, R, C, F, OW, VL, itemsize) else 2


cdef inline void _winograd_jobs(ConvPlan *plan, ptrdiff_t N, ptrdiff_t I, ptrdiff_t O, ptrdiff_t OH, ptrdiff_t OW,
                                ptrdiff_t R, ptrdiff_t itemsize) noexcept nogil:
    """Jobs of whole tile rows for a Winograd convolution (R x R filters, plan.tile x plan.tile tiles) of I
    channels into O of OH x OW: as many tiles as fit WINO_JOB_BYTES of transformed tiles and products
    (n^2 * (I + O) values per tile, n = tile + R - 1), fewer where the batch would give fewer than
    WINO_MIN_JOBS jobs."""
    cdef ptrdiff_t blk[5]
    cdef ptrdiff_t NR, cols, rows, total, n = plan.tile + R - 1
    _gemm_blocking(itemsize, blk)
    NR = blk[1]
    plan.tiles_h, plan.tiles_w = _cdiv(OH, plan.tile), _cdiv(OW, plan.tile)
    total = N * plan.tiles_h
    cols = _max(NR, WINO_JOB_BYTES // (n * n * (I + O) * itemsize) // NR * NR)
    rows = _max(1, cols // plan.tiles_w)
    if rows > _cdiv(total, WINO_MIN_JOBS):
        rows = _max(1, _cdiv(total, WINO_MIN_JOBS))
    plan.per = rows
    plan.block = _cdiv(rows * plan.tiles_w, NR) * NR
    plan.n_jobs = _cdiv(total, rows)


cdef ConvPlan conv_plan(int pass_, ptrdiff_t N, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t F, ptrdiff_t KH,
                        ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh,
                        ptrdiff_t dw, ptrdiff_t itemsize, bint winograd=True) noexcept nogil:
    """The plan of one pass of a convolution of x (N, C, H, W) with w (F, C, KH, KW), dilation (dh, dw);
    winograd=False closes the Winograd path (operands that hold inf/NaN)."""
    cdef ConvPlan plan
    cdef ptrdiff_t OH = (H + 2 * ph - (KH - 1) * dh - 1) // sh + 1, OW = (W + 2 * pw - (KW - 1) * dw - 1) // sw + 1
    cdef ptrdiff_t P = OH * OW
    cdef ptrdiff_t K = C * KH * KW, K1 = K + 1, WP = W + 2 * pw, plane = (H + 2 * ph) * WP
    cdef ptrdiff_t pass_ow = W if pass_ == PASS_INPUT_GRAD else OW  # the pass's output rows (dx: W long)
    cdef bint strided = sh > 1 or sw > 1, dw_rows
    memset(&plan, 0, sizeof(plan))
    plan.VL = _lanes(itemsize)
    plan.NR = _tile_cols(itemsize)
    plan.outer = F >= DW_OUTER_MIN_FILTERS and K >= DW_OUTER_MIN_TAPS if _forced_outer < 0 else _forced_outer
    # dW on the image's rows as they are (no wide grid): whole vectors per output row (reduce), or the outer
    # kernel, which reads exactly the pixels it sums, any row length
    dw_rows = OW % plan.VL == 0 or plan.outer
    if _forced_path == PATH_IM2COL:
        plan.path = PATH_IM2COL
    elif not strided and winograd and _winograd_fits(pass_, C, F, KH, KW, ph, pw, dh, dw, pass_ow, plan.VL,
                                                     itemsize):
        plan.path = PATH_WINOGRAD
    elif (pass_ == PASS_WEIGHT_GRAD and not strided and KH == 1 and KW == 1 and ph == 0 and pw == 0
          and _forced_path != PATH_DIRECT and _forced_outer < 0):
        plan.path = PATH_POINTWISE
    elif not strided:
        plan.path = PATH_DIRECT
    elif (dh == 1 and dw == 1 and KH >= sh and KW >= sw and _forced_path != PATH_DIRECT
          and (pass_ != PASS_WEIGHT_GRAD or dw_rows)):
        plan.path = PATH_PHASES
        _phase_axis(pass_ == PASS_INPUT_GRAD, H, OH, KH, sh, ph, &plan.ph_top, &plan.ph_rows)
        _phase_axis(pass_ == PASS_INPUT_GRAD, W, OW, KW, sw, pw, &plan.ph_left, &plan.ph_cols)
        WP = plan.ph_cols
        plane = sh * sw * plan.ph_rows * WP if pass_ != PASS_INPUT_GRAD else plan.ph_rows * WP
    else:
        plan.path = PATH_IM2COL
    plan.blocks = 1
    if N <= 0:  # nothing to run
        return plan
    if plan.path == PATH_WINOGRAD:
        plan.tile = _winograd_tile(pass_, KH, C, F, pass_ow, plan.VL, itemsize)
        if pass_ == PASS_INPUT_GRAD:
            _winograd_jobs(&plan, N, F, C, H, W, KH, itemsize)
        else:
            _winograd_jobs(&plan, N, C, F, OH, OW, KH, itemsize)
        if pass_ == PASS_WEIGHT_GRAD:  # a job: a fixed chunk of images, in blocks of ``per`` tile rows
            plan.chunks = N if N < DW_CHUNKS else DW_CHUNKS
            plan.n_jobs = plan.chunks
    elif pass_ == PASS_FORWARD:
        if plan.path == PATH_IM2COL:
            plan.block = _im2col_block(K, P, itemsize, plan.NR)
            plan.blocks = _cdiv(P, plan.block)
            plan.n_jobs = N * plan.blocks
        else:
            plan.shifted = plan.path == PATH_DIRECT and KW > 1 and OW % plan.VL != 0 and F >= SHIFTED_MIN_ROWS
            _direct_grid(&plan, N, OH, OW, OW if plan.shifted else WP)
    elif pass_ == PASS_INPUT_GRAD:
        if plan.path == PATH_DIRECT:
            plan.shifted = KW > 1 and W % plan.VL != 0 and C >= SHIFTED_MIN_ROWS
            _direct_grid(&plan, N, H, W, W if plan.shifted else W + (KW - 1) * dw)
        elif plan.path == PATH_PHASES:  # a job: one row phase of one image's dx
            plan.dx_h, plan.dx_w = _cdiv(H, sh), _cdiv(W, sw)
            plan.rows = plan.dx_w % plan.VL == 0
            plan.q_end = (plan.dx_h - 1) * WP + plan.dx_w
            plan.n_jobs = N * sh
        else:
            plan.block = _im2col_block(K, P, itemsize, plan.NR)
            plan.blocks = _cdiv(P, plan.block)
            plan.n_jobs = N
    elif plan.path == PATH_POINTWISE:  # a job: a fixed chunk of images
        plan.chunks = N if N < DW_CHUNKS else DW_CHUNKS
        plan.n_jobs = plan.chunks
    else:
        plan.q_end = (OH - 1) * WP + OW  # wide pixels of the direct path
        plan.rows = dw_rows
        plan.check_finite = plan.path == PATH_DIRECT and not plan.rows
        plan.part_size = K1 * _cdiv(F, plan.VL) * plan.VL if plan.outer else F * K1
        plan.chunks = N if N < DW_CHUNKS else DW_CHUNKS
        while plan.chunks > 1 and plan.chunks * plan.part_size * itemsize > DW_PARTIAL_BYTES:
            plan.chunks -= 1
        plan.groups = _cdiv(DW_CHUNKS, plan.chunks)
        if plan.groups > _cdiv(K1, 6):
            plan.groups = _cdiv(K1, 6)
        plan.gsize = _cdiv(K1, plan.groups)
        plan.block = _im2col_block(K1, P, itemsize, plan.NR)
        plan.blocks = _cdiv(P, plan.block)
        plan.n_jobs = plan.chunks * plan.groups
        # reduce: re-read the upstream gradient rows for every block of image rows while they are the smaller
        plan.m_outer = F * plan.q_end > C * plane
    return plan


_PATH_NAMES = {"direct": PATH_DIRECT, "im2col": PATH_IM2COL, "phases": PATH_PHASES, "winograd": PATH_WINOGRAD}
_PLAN_NAMES = {**_PATH_NAMES, "pointwise": PATH_POINTWISE}  # the rule's alone: never forced
_DW_NAMES = {"reduce": 0, "outer": 1}


def conv_plan_info(x_shape, w_shape, stride, padding, itemsize, dilation=(1, 1)):
    """The plans of the three passes of this convolution (for tests and benchmarks): {"path": the forward
    pass's ("direct", "im2col", "phases" or "winograd"; a weight gradient's may be "pointwise"), "dw_kernel": "reduce" or "outer", "forward" / "input_grad" /
    "weight_grad": the plan fields, their "path" as a name}."""
    N, C, H, W = x_shape
    F, _, KH, KW = w_shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    plans = {name: conv_plan(p, N, C, H, W, F, KH, KW, sh, sw, ph, pw, dh, dw, itemsize)
             for name, p in (("forward", PASS_FORWARD), ("input_grad", PASS_INPUT_GRAD),
                             ("weight_grad", PASS_WEIGHT_GRAD))}
    names = {v: k for k, v in _PLAN_NAMES.items()}
    for plan in plans.values():
        plan["path"] = names[plan["path"]]
    return {"path": plans["forward"]["path"], "dw_kernel": "outer" if plans["forward"]["outer"] else "reduce",
            **plans}


def force_winograd_tile(tile=None):
    """Force the Winograd tile's outputs per side (2 or 4) wherever the Winograd path runs a 3x3 pass (5x5
    always takes 2); None restores the rule. For tests; returns the previous setting."""
    global _forced_tile
    if tile is not None and tile not in (2, 4):
        raise ValueError(f"force_winograd_tile: tile must be 2, 4 or None. Received: {tile!r}")
    previous = _forced_tile or None
    _forced_tile = 0 if tile is None else tile
    return previous


def grouped_conv_path(C, groups):
    """How a convolution with groups > 1 of C input channels runs: "depthwise" (one input channel per
    group, unless ``force_conv_plan`` forced "im2col") or "groups" (one plan per group)."""
    if C == groups and _forced_path != PATH_IM2COL:
        return "depthwise"
    return "groups"


def force_conv_plan(path=None, dw_kernel=None):
    """Force the convolution path ("im2col", which also runs a depthwise convolution group by group;
    "direct", which keeps strided convolutions on im2col and never takes Winograd; "phases", which still
    needs what the rule asks of a strided convolution, a stride 1 convolution keeping the rule's path;
    "winograd", for every pass it can compute whatever the channel counts, the others keeping the rule's)
    and the weight-gradient kernel ("reduce", "outer"; either, or "direct", also keeps a 1x1 weight gradient
    off the pointwise path); None restores the rule. For tests; returns the
    previous (path, dw_kernel)."""
    global _forced_path, _forced_outer
    if path is not None and path not in _PATH_NAMES:
        raise ValueError(f"force_conv_plan: path must be one of {sorted(_PATH_NAMES)} or None. Received: {path!r}")
    if dw_kernel is not None and dw_kernel not in _DW_NAMES:
        raise ValueError(
            f"force_conv_plan: dw_kernel must be one of {sorted(_DW_NAMES)} or None. Received: {dw_kernel!r}")
    previous = ({v: k for k, v in _PATH_NAMES.items()}.get(_forced_path),
                {v: k for k, v in _DW_NAMES.items()}.get(_forced_outer))
    _forced_path = -1 if path is None else _PATH_NAMES[path]
    _forced_outer = -1 if dw_kernel is None else _DW_NAMES[dw_kernel]
    return previous
