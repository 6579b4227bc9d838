"""Which overview role an event plays (torch-tb-profiler's ProfileRole, by priority).

Kineto cats (libkineto/include/ActivityType.h) decide it; names only where the cat cannot:
communication (NCCL kernels, `nccl:*`/`gloo:*`/c10d host ops) and the DataLoader (`enumerate(DataLoader)#…
.__next__`, and tf.data's `IteratorGetNext` for XPlane). torch-tb-profiler 0.4.3 mapped cat "runtime"
only; Kineto has written "cuda_runtime"/"cuda_driver" since, and both count as Runtime here.
"""

from __future__ import annotations

import re

ROLES = ["Kernel", "Memcpy", "Memset", "Communication", "Runtime", "DataLoader", "CPU Exec", "Other"]

KERNEL_CATS = {"kernel"}
GPU_CATS = {"kernel", "gpu_memcpy", "gpu_memset"}
RUNTIME_CATS = {"cuda_runtime", "cuda_driver", "runtime", "privateuse1_runtime", "privateuse1_driver",
                "mtia_runtime", "xpu_runtime"}
CPU_CATS = {"cpu_op", "user_annotation", "python_function", "operator", "cpu_instant_event"}
# never a role: markers of a whole step, the profiler's own span, GPU mirrors of host annotations
IGNORED_CATS = {"Trace", "gpu_user_annotation", "xla_module", "xla_op", "step_marker"}

_DATALOADER = re.compile(r"^enumerate\(DataLoader\)#.*\.__next__$|^IteratorGetNext")
_COMM_HOST = re.compile(r"^(nccl:|gloo:|c10d::|record_param_comms)")


def role(cat: str, name: str) -> str | None:
    """The role of one event, or None when it takes no part in the breakdown."""
    if cat in IGNORED_CATS or name.startswith("ProfilerStep#"):
        return None
    if cat in KERNEL_CATS:
        return "Communication" if "nccl" in name.lower() else "Kernel"
    if cat == "gpu_memcpy":
        return "Memcpy"
    if cat == "gpu_memset":
        return "Memset"
    if cat in RUNTIME_CATS:
        return "Runtime"
    if _DATALOADER.search(name):
        return "DataLoader"
    if _COMM_HOST.search(name):
        return "Communication"
    if cat in CPU_CATS:
        return "CPU Exec"
    return "Other"
