# ---------------------------------------------------------------------------------------------------------
# Optimizer steps: one call for all the parameters of a step
# ---------------------------------------------------------------------------------------------------------
# `operands` holds one tuple per parameter, (param, grad, *slots): C-contiguous arrays of one float type and
# of param's size, a slot the options leave off None (optimizers/base.py builds the list). The elements of
# all the parameters, one after the other, are cut into jobs of about 16K, one parallel region runs them,
# and a job is one pass of the step's kernel (optimizers.h) over each piece of a parameter it covers: the
# threads get even shares however the sizes are spread, and the cut never depends on the thread count.
# One call per step rather than one per parameter: LeNet's Adamax step over its 10 parameters took ~75 us,
# ~60 of them in the calls.

cdef class _StepOperands:
    """The pointers of a step's operands, [parameter * width + operand] (NULL for a None slot), and its
    jobs: job j is pieces first[j] .. first[j + 1] - 1, piece g elements [lo[g], hi[g]) of parameter
    owner[g]. The buffers stay acquired, and the memory allocated, as long as the object lives."""
    cdef Py_buffer *views  # [parameter * width + operand], zeroed where not acquired
    cdef Py_ssize_t n_views
    cdef void **ptr
    cdef ptrdiff_t *first
    cdef ptrdiff_t *owner
    cdef ptrdiff_t *lo
    cdef ptrdiff_t *hi
    cdef ptrdiff_t jobs, elements
    cdef bint aliased  # two parameters share memory: the jobs run in order on one thread

    cdef int threads(self, int n_threads) noexcept:
        """The threads of the step's parallel region."""
        return 1 if self.aliased else _threads_for(self.elements, n_threads)

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.views != NULL:
            for i in range(self.n_views):
                PyBuffer_Release(&self.views[i])  # does nothing on one not acquired (obj NULL)
        free(self.views)
        free(self.ptr)
        free(self.first)
        free(self.owner)
        free(self.lo)
        free(self.hi)


cdef int _by_address(const void *a, const void *b) noexcept nogil:
    cdef const ptrdiff_t *x = <const ptrdiff_t *>a
    cdef const ptrdiff_t *y = <const ptrdiff_t *>b
    return (x[0] > y[0]) - (x[0] < y[0])


cdef _StepOperands _step_operands(list operands, Py_ssize_t width, Py_ssize_t required, floating *kind):
    """``operands`` checked (each a tuple of ``width`` arrays: param, grad (read only), the slots; those
    from ``required`` on may be None; all C-contiguous, of this float type and of param's size, in any
    shape) as pointers and jobs."""
    cdef _StepOperands s = _StepOperands()
    cdef Py_ssize_t n = len(operands), t, i
    cdef ptrdiff_t size, job, start, pieces, a, end
    cdef Py_buffer *view
    cdef ptrdiff_t *extent  # [3 t ...]: parameter t's first byte, end byte and size
    cdef bytes format = b"f" if sizeof(floating) == 4 else b"d"
    s.n_views = n * width
    s.views = <Py_buffer *>calloc(s.n_views + 1, sizeof(Py_buffer))
    s.ptr = <void **>calloc(s.n_views + 1, sizeof(void *))
    extent = <ptrdiff_t *>malloc((3 * n + 1) * sizeof(ptrdiff_t))
    if s.views == NULL or s.ptr == NULL or extent == NULL:
        free(extent)
        _alloc_error("an optimizer step")
    try:
        for t in range(n):
            row = operands[t]
            if len(row) != width:
                raise ValueError(f"optimizer step: parameter {t} has {len(row)} operands, not {width}")
            for i in range(width):
                if row[i] is None and i >= required:
                    continue
                view = &s.views[t * width + i]
                PyObject_GetBuffer(
                    row[i], view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (0 if i == 1 else PyBUF_WRITABLE)
                )
                if view.itemsize != sizeof(floating) or view.format != format:
                    raise ValueError(
                        f"optimizer step: operand {i} of parameter {t} is not {format.decode()} "
                        f"(format {view.format.decode()!r})"
                    )
                size = view.len // view.itemsize
                s.ptr[t * width + i] = view.buf
                if i == 0:
                    extent[3 * t + 2] = size
                elif size != extent[3 * t + 2]:
                    raise ValueError(
                        f"optimizer step: operand {i} of parameter {t} has {size} elements, its parameter "
                        f"{extent[3 * t + 2]}"
                    )
            extent[3 * t] = <ptrdiff_t>s.ptr[t * width]
            extent[3 * t + 1] = extent[3 * t] + extent[3 * t + 2] * <ptrdiff_t>sizeof(floating)
        s.elements = 0
        for t in range(n):
            s.elements += extent[3 * t + 2]
        s.jobs = _cdiv(s.elements, 16 * 1024)
        s.first = <ptrdiff_t *>malloc((s.jobs + 1) * sizeof(ptrdiff_t))
        s.owner = <ptrdiff_t *>malloc((s.jobs + n + 1) * sizeof(ptrdiff_t))
        s.lo = <ptrdiff_t *>malloc((s.jobs + n + 1) * sizeof(ptrdiff_t))
        s.hi = <ptrdiff_t *>malloc((s.jobs + n + 1) * sizeof(ptrdiff_t))
        if s.first == NULL or s.owner == NULL or s.lo == NULL or s.hi == NULL:
            _alloc_error("an optimizer step")
        t, start, pieces = 0, 0, 0  # parameter t holds elements start .. start + its size - 1 of all
        for job in range(s.jobs):
            s.first[job] = pieces
            a, end = job * s.elements // s.jobs, (job + 1) * s.elements // s.jobs
            while a < end:
                while start + extent[3 * t + 2] <= a:  # the parameters before a, empty ones among them
                    start += extent[3 * t + 2]
                    t += 1
                size = (end if end < start + extent[3 * t + 2] else start + extent[3 * t + 2]) - a
                s.owner[pieces], s.lo[pieces], s.hi[pieces] = t, a - start, a - start + size
                pieces += 1
                a += size
        s.first[s.jobs] = pieces
        # the same array twice (a layer used twice) is updated twice, one update after the other
        qsort(extent, n, 3 * sizeof(ptrdiff_t), _by_address)
        s.aliased, end = False, 0  # end: the furthest end byte of the parameters before t, by address
        for t in range(n):
            if extent[3 * t + 2] and t and extent[3 * t] < end:
                s.aliased = True
            if extent[3 * t + 1] > end:
                end = extent[3 * t + 1]
    finally:
        free(extent)
    return s


cdef inline bint _single(list operands):
    """Whether the step's arrays are float32 (else float64; _step_operands checks)."""
    return len(operands) > 0 and getattr(operands[0][0], "itemsize", 0) == 4


def adamax_update(
    list operands,                      # IN/OUT [(param, grad, exp_avg m, exp_inf u)]
    double step_size,                   # lr / (1 - beta1**t)
    double one_minus_beta1,             # 1 - beta1, rounded once from the double (as numpy does)
    double beta2,
    double eps,
    int n_threads,
):
    """One Adamax step in a single pass, in the element type, with numpy's rounding of the same formula:
    m += (1 - beta1) * (g - m); u = max(beta2 * u, |g| + eps) (NaN-propagating); param -= step_size * m / u."""
    if _single(operands):
        _adamax[float](operands, step_size, one_minus_beta1, beta2, eps, n_threads)
    else:
        _adamax[double](operands, step_size, one_minus_beta1, beta2, eps, n_threads)


cdef _adamax(list operands, floating step_size, floating one_minus_beta1, floating beta2, floating eps,
             int n_threads):
    cdef _StepOperands s = _step_operands(operands, 4, 4, &step_size)
    cdef floating **p = <floating **>s.ptr
    cdef ptrdiff_t *first = s.first
    cdef ptrdiff_t *owner = s.owner
    cdef ptrdiff_t *lo = s.lo
    cdef ptrdiff_t *hi = s.hi
    cdef ptrdiff_t jobs = s.jobs, job, g, t
    cdef int threads = s.threads(n_threads)
    for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
        for g in range(first[job], first[job + 1]):
            t = owner[g] * 4
            ck_adamax_step(p[t], p[t + 1], p[t + 2], p[t + 3], lo[g], hi[g], step_size, one_minus_beta1, beta2,
                           eps)


def sgd_update(
    list operands,                      # IN/OUT [(param, grad, momentum_buffer or None: no momentum)]
    double lr,
    double momentum,
    double one_minus_dampening,
    bint first_step,                    # the buffer starts as the gradient
    bint nesterov,
    int n_threads,
):
    """One SGD step: buf = g (first step) or buf * momentum + (1 - dampening) * g; g' = g + momentum * buf
    (nesterov) or buf; param -= lr * g' (g' = g without a buffer)."""
    if _single(operands):
        _sgd[float](operands, lr, momentum, one_minus_dampening, first_step, nesterov, n_threads)
    else:
        _sgd[double](operands, lr, momentum, one_minus_dampening, first_step, nesterov, n_threads)


cdef _sgd(list operands, floating lr, floating momentum, floating one_minus_dampening, bint first_step,
          bint nesterov, int n_threads):
    cdef _StepOperands s = _step_operands(operands, 3, 2, &lr)
    cdef floating **p = <floating **>s.ptr
    cdef ptrdiff_t *first = s.first
    cdef ptrdiff_t *owner = s.owner
    cdef ptrdiff_t *lo = s.lo
    cdef ptrdiff_t *hi = s.hi
    cdef ptrdiff_t jobs = s.jobs, job, g, t
    cdef int threads = s.threads(n_threads)
    for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
        for g in range(first[job], first[job + 1]):
            t = owner[g] * 3
            ck_sgd_step(p[t], p[t + 1], p[t + 2], lo[g], hi[g], lr, momentum, one_minus_dampening,
                        first_step, nesterov)


def adam_update(
    list operands,                      # IN/OUT [(param, grad, exp_avg m, exp_avg_sq v, max_exp_avg_sq v' or None)]
    double step_size,                   # lr / (1 - beta1**t)
    double one_minus_beta1,
    double beta2,
    double one_minus_beta2,
    double bias_correction2_sqrt,       # sqrt(1 - beta2**t)
    double eps,
    int n_threads,
):
    """One Adam step: m += (1 - beta1) * (g - m); v = v * beta2 + (1 - beta2) * g * g; v' = max(v', v)
    (amsgrad, NaN-propagating); param -= step_size * m / (sqrt(v') / sqrt(1 - beta2**t) + eps)."""
    if _single(operands):
        _adam[float](operands, step_size, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps,
                     n_threads)
    else:
        _adam[double](operands, step_size, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps,
                      n_threads)


cdef _adam(list operands, floating step_size, floating one_minus_beta1, floating beta2, floating one_minus_beta2,
           floating bias_correction2_sqrt, floating eps, int n_threads):
    cdef _StepOperands s = _step_operands(operands, 5, 4, &step_size)
    cdef floating **p = <floating **>s.ptr
    cdef ptrdiff_t *first = s.first
    cdef ptrdiff_t *owner = s.owner
    cdef ptrdiff_t *lo = s.lo
    cdef ptrdiff_t *hi = s.hi
    cdef ptrdiff_t jobs = s.jobs, job, g, t
    cdef int threads = s.threads(n_threads)
    for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
        for g in range(first[job], first[job + 1]):
            t = owner[g] * 5
            ck_adam_step(p[t], p[t + 1], p[t + 2], p[t + 3], p[t + 4], lo[g], hi[g], step_size,
                         one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps)


def rmsprop_update(
    list operands,                      # IN/OUT [(param, grad, square_avg v, grad_avg a (centered) or None,
                                        #          momentum_buffer b (momentum > 0) or None)]
    double lr,
    double alpha,
    double one_minus_alpha,
    double eps,
    double momentum,
    int n_threads,
):
    """One RMSprop step: v = v * alpha + (1 - alpha) * g * g; a += (1 - alpha) * (g - a) (centered);
    d = sqrt(v - a * a) (centered) or sqrt(v), plus eps; b = b * momentum + g / d, param -= lr * b
    (momentum) or param -= lr * g / d."""
    if _single(operands):
        _rmsprop[float](operands, lr, alpha, one_minus_alpha, eps, momentum, n_threads)
    else:
        _rmsprop[double](operands, lr, alpha, one_minus_alpha, eps, momentum, n_threads)


cdef _rmsprop(list operands, floating lr, floating alpha, floating one_minus_alpha, floating eps,
              floating momentum, int n_threads):
    cdef _StepOperands s = _step_operands(operands, 5, 3, &lr)
    cdef floating **p = <floating **>s.ptr
    cdef ptrdiff_t *first = s.first
    cdef ptrdiff_t *owner = s.owner
    cdef ptrdiff_t *lo = s.lo
    cdef ptrdiff_t *hi = s.hi
    cdef ptrdiff_t jobs = s.jobs, job, g, t
    cdef int threads = s.threads(n_threads)
    for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
        for g in range(first[job], first[job + 1]):
            t = owner[g] * 5
            ck_rmsprop_step(p[t], p[t + 1], p[t + 2], p[t + 3], p[t + 4], lo[g], hi[g], lr, alpha,
                            one_minus_alpha, eps, momentum)
