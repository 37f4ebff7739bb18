"""Data-parallel training over MPI on this machine (shared memory), P ranks of one thread each:
the fixed-order tree sum (dist::tree_allreduce, bitwise the same for any P) against Open MPI's
own MPI_Allreduce (whose summation order depends on P and its algorithm) at sizes from one float
to a VBN-scale teacher's gradient (153 sessions' read-ins of 2,000 units: 39.4 M floats); one
teacher step at the paper's size (D = 128, batch 32 x 64 bins) and one step of the paper's student
(256 LIF neurons, batch 16 x 60 bins), each alone and shared by 2 ranks; and a model of the shared
teacher step at scale,

    step(P) = C/P + alpha * 7 ceil(log2 P) + bytes(P) / beta,

with C the one-rank step, bytes(P) what a rank receives per step (three tree sums of two
collectives each, n (2 - 1/P) values with one shard per rank: the gradient's n floats, SIGReg's
characteristic-function sums of every time step in double, the squared errors; and the gather of
the batch's brain states), and alpha, beta fitted to the tree sum's times here and, on paper, for a
100 Gb/s cluster link (beta = 12.5 GB/s, alpha = 2 us: assumed, not measured). It states the P
beyond which a step stops getting faster and where the parallel efficiency falls below 50%.
"""
import json
import math
import os
import shutil
import subprocess
import sys

from compare_common import machine, parse_args

args = parse_args(__doc__)
mpiexec = shutil.which("mpiexec") or shutil.which("mpirun")
if mpiexec is None:
    sys.exit("compare_allreduce.py: mpiexec not found (apt-get install openmpi-bin)")
env = dict(os.environ, OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_btl_vader_single_copy_mechanism="none")


def run(ranks, benchmark_filter):
    cmd = [mpiexec, "--oversubscribe", "--bind-to", "none", "-n", str(ranks), args.binary,
           f"--benchmark_filter={benchmark_filter}", "--benchmark_format=json"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr}")
    # keyed by (benchmark, argument): "BM_teacher_step/2/iterations:30/manual_time" -> (.., 2)
    return {tuple(b["name"].split("/")[:2]): b for b in json.loads(proc.stdout)["benchmarks"]}


def seconds(b):
    return b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]


sizes = [1, 4096, 65536, 391552] + ([] if args.quick else [39418752])
size_filter = "|".join(str(n) for n in sizes)
two = run(2, f"^BM_(tree|mpi)_allreduce/({size_filter})/|^BM_(teacher|student)_step/")
one = run(1, "^BM_(teacher|student)_step/")

reductions = []
for n in sizes:
    tree = two[("BM_tree_allreduce", str(n))]
    mpi = two[("BM_mpi_allreduce", str(n))]
    reductions.append({"floats": n, "tree_s": seconds(tree), "mpi_allreduce_s": seconds(mpi),
                       "tree_over_allreduce": seconds(tree) / seconds(mpi),
                       "tree_bytes_received": tree["bytes_received"]})
    print(f"sum of {n} floats over 2 ranks: tree {seconds(tree) * 1e6:.1f} us, MPI_Allreduce "
          f"{seconds(mpi) * 1e6:.1f} us ({seconds(tree) / seconds(mpi):.2f}x); "
          f"{tree['bytes_received'] / 1e6:.3f} MB received per rank")

# alpha, beta: least squares of the tree's time against the bytes a rank receives.
xs = [r["tree_bytes_received"] for r in reductions]
ys = [r["tree_s"] for r in reductions]
mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
alpha_here = max(my - slope * mx, ys[0])
beta_here = 1.0 / slope


def step_name(shards, kind="teacher"):
    return (f"BM_{kind}_step", str(shards))


alone = seconds(one[step_name(1)])
alone_sharded = seconds(one[step_name(2)])
shared = seconds(two[step_name(2)])
params = two[step_name(2)]["parameters"]
sums = two[step_name(2)]["sigreg_sums"]
states = 64 * 32
steps = {"one_rank_one_shard_s": alone, "one_rank_two_shards_s": alone_sharded,
         "two_ranks_two_shards_s": shared, "speedup_two_ranks": alone / shared,
         "bytes_received_per_step_two_ranks": two[step_name(2)]["bytes_received"],
         "sigreg_sums": sums, "parameters": params}
print(f"teacher step D128 B32 L64, 1 thread per rank: one rank {alone * 1e3:.1f} ms "
      f"(the same 2-shard maths on one rank: {alone_sharded * 1e3:.1f} ms), two ranks "
      f"{shared * 1e3:.1f} ms -> {alone / shared:.2f}x; "
      f"{steps['bytes_received_per_step_two_ranks'] / 1e6:.2f} MB received per rank per step")

student_alone = seconds(one[step_name(1, "student")])
student_shared = seconds(two[step_name(2, "student")])
student = {"one_rank_one_shard_s": student_alone,
           "one_rank_two_shards_s": seconds(one[step_name(2, "student")]),
           "two_ranks_two_shards_s": student_shared,
           "speedup_two_ranks": student_alone / student_shared,
           "bytes_received_per_step_two_ranks": two[step_name(2, "student")]["bytes_received"],
           "parameters": two[step_name(2, "student")]["parameters"]}
print(f"student step N256 B16 L60, 1 thread per rank: one rank {student_alone * 1e3:.1f} ms "
      f"(the same 2-shard maths on one rank: {student['one_rank_two_shards_s'] * 1e3:.1f} ms), "
      f"two ranks {student_shared * 1e3:.1f} ms -> {student_alone / student_shared:.2f}x; "
      f"{student['bytes_received_per_step_two_ranks'] / 1e6:.3f} MB received per rank per step")


def model(compute, floats, alpha, beta, p):
    comm_bytes = (4.0 * floats + 8.0 * (sums + 1)) * (2.0 - 1.0 / p) + 4.0 * states * (1.0 - 1.0 / p)
    return compute / p + alpha * 7 * math.ceil(math.log2(p)) + comm_bytes / beta \
        if p > 1 else compute


vbn_params = params - (380 + 420 + 450) * 128 - 3 * 128 + 153 * (2000 * 128 + 128)
links = {"this machine (shared memory, fitted)": (alpha_here, beta_here),
         "100 Gb/s cluster link (assumed alpha 2 us)": (2e-6, 12.5e9)}
scaling = []
for link, (alpha, beta) in links.items():
    for label, floats in (("paper teacher", params), ("VBN-scale read-ins", vbn_params)):
        ps = [2 ** k for k in range(0, 11)]
        times = [model(alone, floats, alpha, beta, p) for p in ps]
        best = ps[times.index(min(times))]
        efficient = max((p for p, t in zip(ps, times) if alone / (p * t) >= 0.5), default=1)
        scaling.append({"link": link, "model": label, "parameters": floats, "alpha_s": alpha,
                        "beta_bytes_per_s": beta,
                        "step_s": {str(p): t for p, t in zip(ps, times)},
                        "fastest_at_ranks": best, "efficiency_at_least_half_up_to": efficient})
        print(f"{link}, {label} ({floats / 1e6:.2f} M parameters): fastest at P = {best} "
              f"({min(times) * 1e3:.1f} ms/step), efficiency >= 50% up to P = {efficient}")

doc = {"comparison": "dist_allreduce", "competitor": "Open MPI MPI_Allreduce",
       "machine": machine(), "ranks": 2, "reductions": reductions,
       "alpha_s": alpha_here, "beta_bytes_per_s": beta_here, "teacher_step": steps,
       "student_step": student,
       "scaling_model": scaling}
with open(args.out + ".tmp", "w") as f:
    json.dump(doc, f, indent=1)
os.replace(args.out + ".tmp", args.out)
print(f"alpha {alpha_here * 1e6:.1f} us, beta {beta_here / 1e9:.2f} GB/s (tree sum, 2 ranks, "
      f"shared memory) -> {args.out}")
