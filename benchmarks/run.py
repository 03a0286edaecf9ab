"""Run every benchmark and print one table (``make bench``).

Each suite runs in its own process (thread counts are fixed before numpy and torch load); inside a suite
convkit, PyTorch and the NumPy reference are timed interleaved, median of the repeats, so that the
ratios compare runs made under the same load. The JSON with every figure goes to --json.

    python benchmarks/run.py [--repeats 7] [--quick] [--isa avx2] [--json benchmarks/results.json]

``--isa avx2`` runs every suite with every library limited to AVX2 (see ``common.ISA_LIMITS``): the AVX2
kernels measured on an AVX-512 machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ISA_LIMITS, ISA_VARIABLE

HERE = Path(__file__).resolve().parent


def suite(script: str, *args: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        subprocess.run([sys.executable, str(HERE / script), *args, "--json", str(out)], check=True)
        return json.loads(out.read_text())


def mark(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "MISSED")


def table(results: dict) -> str:
    m = results["machine"]
    limit = m.get("isa_limit")
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores; convkit {m['convkit']} ({m['simd']} kernels), "
        f"PyTorch {m['torch']} ({m.get('torch_isa', '?')}), NumPy {m['numpy']}, Python {m['python']}"
        + (f"; every library limited to {limit} (--isa {limit})" if limit else ""),
        "",
        "| benchmark | dtype | threads | convkit | PyTorch | NumPy im2col | vs PyTorch | vs NumPy | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["lenet"]:
        ok = r["vs_torch"] >= r["target_vs_torch"]
        lines.append(
            f"| LeNet {r['benchmark']} | {r['dtype']} | {r['threads']} | {r['convkit_img_s']:,.0f} img/s "
            f"| {r['torch_img_s']:,.0f} img/s | | **{r['vs_torch']:.2f}x** | "
            f"| >= {r['target_vs_torch']}x {mark(ok) if r['dtype'] == 'float32' else ''} |"
        )
    for r in results["conv"]:
        ok = r["vs_torch"] >= r["target_vs_torch"] and r.get("vs_numpy", 99) >= r.get("target_vs_numpy", 0)
        numpy_ms = f"{r['numpy_ms']:.2f} ms" if "numpy_ms" in r else ""
        vs_numpy = f"{r['vs_numpy']:.2f}x" if "vs_numpy" in r else ""
        target = f">= {r['target_vs_torch']}x torch" + (", >= 3x numpy" if "vs_numpy" in r else "")
        lines.append(
            f"| conv2d fwd+bwd {r['shape']} | {r['dtype']} | {r['threads']} | {r['convkit_ms']:.2f} ms "
            f"| {r['torch_ms']:.2f} ms | {numpy_ms} | **{r['vs_torch']:.2f}x** | {vs_numpy} "
            f"| {target + ' ' + mark(ok) if r['dtype'] == 'float32' else 'no regression'} |"
        )
    for r in results["gemm"]:
        ok = r["vs_numpy"] >= r["target_vs_numpy"]
        lines.append(
            f"| GEMM {r['gemm']} {tuple(r['shape'])} | {r['dtype']} | {r['threads']} "
            f"| {r['convkit_gflops']:.0f} GFLOP/s | | {r['numpy_gflops']:.0f} GFLOP/s (np.matmul) | "
            f"| **{r['vs_numpy']:.2f}x** | >= {r['target_vs_numpy']}x numpy {mark(ok)} |"
        )
    for r in results["ops"]:
        ok = r["vs_torch"] >= r["target_vs_torch"]
        lines.append(
            f"| {r['op']} fwd+bwd {tuple(r['shape'])} | {r['dtype']} | {r['threads']} "
            f"| {r['convkit_ms']:.3f} ms "
            f"| {r['torch_ms']:.3f} ms | | **{r['vs_torch']:.2f}x** | "
            f"| >= {r['target_vs_torch']}x {mark(ok)} |"
        )
    for r in results["optimizers"]:
        ok = r["vs_copy"] >= r["target_vs_copy"]
        lines.append(
            f"| {r['optimizer']} step, {r['parameters']:,} parameters | float32 | {r['threads']} "
            f"| {r['convkit_ms']:.2f} ms, {r['convkit_gb_s']:.0f} GB/s | {r['torch_ms']:.2f} ms "
            f"| {r['copy_gb_s']:.0f} GB/s (np.copyto) | **{r['vs_torch']:.2f}x** "
            f"| {r['vs_copy']:.2f}x the copy | >= {r['target_vs_copy']}x the copy's GB/s {mark(ok)} |"
        )
    for r in results["scaling"]:
        target = r["target_speedup"]
        ok = None if target is None else (r["speedup"] >= target and r["identical"])
        lines.append(
            f"| convkit 2 vs 1 thread {r['shape']} | {r['dtype']} | 1 / 2 | {r['one_thread_ms']:.2f} / "
            f"{r['two_threads_ms']:.2f} ms | | | **{r['speedup']:.2f}x** | | "
            f"{'>= ' + str(target) + 'x, ' if target else ''}identical: {r['identical']} {mark(ok)} |"
        )
    for r in results["models"]:
        dtype = r.get("dtype", "float32")
        scored = dtype == "float32"  # the targets are float32's; the float64 rows are for comparison
        ok = r["train_vs_torch"] >= r["target_train"]
        lines.append(
            f"| {r['model']} train, batch {r['batch']}, {r['optimizer']} | {dtype} | {r['threads']} "
            f"| {r['train_convkit_img_s']:,.0f} img/s | {r['train_torch_img_s']:,.0f} img/s | "
            f"| **{r['train_vs_torch']:.2f}x** | | >= {r['target_train']}x {mark(ok) if scored else ''} |"
        )
        ok = r["inference_vs_torch"] >= r["target_inference"]
        lines.append(
            f"| {r['model']} inference, batch {r['batch']} | {dtype} | {r['threads']} "
            f"| {r['inference_convkit_img_s']:,.0f} img/s | {r['inference_torch_img_s']:,.0f} img/s | "
            f"| **{r['inference_vs_torch']:.2f}x** | "
            f"| >= {r['target_inference']}x {mark(ok) if scored else ''} |"
        )
    for r in results["load"]:
        ok = r["kept"] >= r["target_kept"] and r["vs_one_thread"] >= 1
        lines.append(
            f"| {r['benchmark']} under load: quiet / one busy process ({r['wait_policy']}) | float32 "
            f"| {r['threads']} | {r['quiet_img_s']:,.0f} / {r['loaded_img_s']:,.0f} img/s | | "
            f"| **{r['kept']:.2f} kept** | {r['vs_one_thread']:.2f}x 1 thread under load "
            f"| >= {r['target_kept']} kept, >= 1 thread {mark(ok)} |"
        )
    mem = results["memory"]
    ok = mem["convkit_peak_extra_mb"] <= mem["torch_peak_extra_mb"]
    lines.append(
        f"| peak extra memory, conv2d fwd+bwd {tuple(mem['shape'])} | float32 | {results['threads']} "
        f"| {mem['convkit_peak_extra_mb']:.1f} MB | {mem['torch_peak_extra_mb']:.1f} MB | | | "
        f"| <= PyTorch {mark(ok)} |"
    )
    leak = mem["training_rss"]
    ok = abs(leak["growth_mb"]) < 5
    lines.append(
        f"| RSS growth over {leak['steps']:,} LeNet training steps | float32 | {results['threads']} "
        f"| {leak['growth_mb']:+.1f} MB | | | | | no growth {mark(ok)} |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10_000, help="training steps of the memory-growth check")
    parser.add_argument("--model-batches", type=int, default=8, help="batches per epoch of the model zoo")
    parser.add_argument("--quick", action="store_true", help="3 repeats, 2,000 steps, 3 batches: a smoke run")
    parser.add_argument("--isa", choices=sorted(ISA_LIMITS), help="limit every library to this ISA")
    parser.add_argument("--json", default=str(HERE / "results.json"))
    args = parser.parse_args()
    if args.isa:
        os.environ[ISA_VARIABLE] = args.isa  # read by common.configure_threads in each suite
    repeats = "3" if args.quick else str(args.repeats)
    steps = "2000" if args.quick else str(args.steps)
    threads = str(args.threads)
    start = time.time()
    results = {"threads": args.threads}
    lenet = suite("bench_lenet.py", "--threads", threads, "--repeats", repeats)
    results["machine"] = lenet["machine"]
    results["lenet"] = lenet["lenet"]
    results["lenet"] += suite(
        "bench_lenet.py", "--threads", threads, "--repeats", repeats, "--dtype", "float64"
    )["lenet"]
    results["conv"] = suite("bench_conv.py", "--threads", threads, "--repeats", repeats)["conv"]
    results["conv"] += suite(
        "bench_conv.py", "--threads", threads, "--repeats", repeats, "--dtype", "float64", "--no-numpy"
    )["conv"]
    results["gemm"] = []
    for n in sorted({1, args.threads}):
        results["gemm"] += suite("bench_gemm.py", "--threads", str(n), "--repeats", repeats)["gemm"]
    results["ops"] = suite("bench_ops.py", "--threads", threads, "--repeats", repeats)["ops"]
    results["ops"] += suite("bench_conv_family.py", "--threads", threads, "--repeats", repeats)["ops"]
    results["optimizers"] = suite("bench_optimizers.py", "--threads", threads, "--repeats", repeats)[
        "optimizers"
    ]
    results["scaling"] = suite("bench_threads.py", "--repeats", repeats)["threads"]
    batches = "3" if args.quick else str(args.model_batches)
    results["models"] = suite(
        "bench_models.py", "--threads", threads, "--repeats", repeats, "--batches", batches
    )["models"]
    results["load"] = suite("bench_load.py", "--threads", threads, "--repeats", repeats)["load"]
    results["memory"] = suite("bench_memory.py", "--threads", threads, "--steps", steps)["memory"]
    results["seconds"] = time.time() - start
    text = table(results)
    print()
    print(text)
    print(f"\n({results['seconds']:.0f} s; JSON: {args.json})")
    Path(args.json).write_text(json.dumps({**results, "table": text}, indent=2))


if __name__ == "__main__":
    main()
