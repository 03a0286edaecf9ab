"""Generate the Cython side of the kernel table from ck_table.h (run by CMake before Cython).

    python gen_table_pxi.py ck_table.h ck_table.pxi

For every X(ret, name, (params)) line of CK_FUNCTIONS it writes the member of the two dispatch tables
(ck_ops_f32 with T = float, ck_ops_f64 with T = double) and one typed wrapper over the fused type
``floating``:

    cdef inline ret ck_<name>(params with T -> floating) noexcept nogil

that calls ck_f32.<name> or ck_f64.<name>. UT pointers (the unsigned integer as wide as T) become
``void *`` in the wrapper and are cast per type; a kernel without a T parameter gets a leading
``const floating *like`` that only selects the type.
"""

import re
import sys

TYPES = (("f32", "float", "uint32_t"), ("f64", "double", "uint64_t"))


def _split_top(text: str) -> list[str]:
    """text split at the commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def parse(header: str) -> list[tuple[str, str, list[str]]]:
    """[(return type, name, [parameter, ...])] in table order."""
    text = re.sub(r"/\*.*?\*/", " ", header, flags=re.S).replace("\\\n", " ")
    body = text[text.index("#define CK_FUNCTIONS(X, T, UT)") + len("#define CK_FUNCTIONS(X, T, UT)") :]
    kernels, pos = [], 0
    while (start := body.find("X(", pos)) >= 0:
        depth, i = 0, start + 1
        while True:
            depth += body[i] == "("
            depth -= body[i] == ")"
            if depth == 0:
                break
            i += 1
        ret, name, params = _split_top(body[start + 2 : i])
        kernels.append((ret, name, _split_top(params.strip()[1:-1])))
        pos = i + 1
    return kernels


def _subst(text: str, t: str, ut: str) -> str:
    return re.sub(r"\bUT\b", ut, re.sub(r"\bT\b", t, text))


def _param_name(param: str) -> str:
    return re.findall(r"\w+", param)[-1]


def generate(kernels) -> str:
    out = [
        "# Generated from _native/ck_table.h by _native/gen_table_pxi.py: edit the table, not this file.",
        "",
        'cdef extern from "ck.h" nogil:',
    ]
    for suffix, t, ut in TYPES:
        out.append(f"    ctypedef struct ck_ops_{suffix}:")
        for ret, name, params in kernels:
            args = ", ".join(_subst(p, t, ut) for p in params)
            out.append(f"        {_subst(ret, t, ut)} (*{name})({args}) noexcept nogil")
    out += [f"    const ck_ops_{s} *ck_{s}" for s, _, _ in TYPES]
    for ret, name, params in kernels:
        typed = any(re.search(r"\bT\b", p) for p in params)
        wrapper = [] if typed else ["const floating *like"]
        for p in params:
            wrapper.append(re.sub(r"\bUT\b", "void", re.sub(r"\bT\b", "floating", p)))
        ret_f = _subst(ret, "floating", "void")
        out += ["", "", f"cdef inline {ret_f} ck_{name}({', '.join(wrapper)}) noexcept nogil:"]
        keyword = "if floating is float:"
        for suffix, t, ut in TYPES:
            args = []
            for p in params:
                pname = _param_name(p)
                if re.search(r"\bUT\b", p):
                    args.append(f"<{_subst(p[: p.rindex(pname)].strip(), t, ut)}>{pname}")
                else:
                    args.append(pname)
            call = f"ck_{suffix}.{name}({', '.join(args)})"
            out += [f"    {keyword}", f"        {'return ' if ret != 'void' else ''}{call}"]
            keyword = "else:"
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    source, target = sys.argv[1:3]
    with open(source) as f:
        text = generate(parse(f.read()))
    with open(target, "w") as f:
        f.write(text)
