"""The benchmarks' machine line: every figure names the CPU it came from."""

import importlib.util
from pathlib import Path

COMMON = Path(__file__).resolve().parents[1] / "benchmarks" / "common.py"


def _common():
    spec = importlib.util.spec_from_file_location("bench_common", COMMON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ZEN3 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC
flags\t\t: fpu sse sse2 avx fma avx2 bmi2
processor\t: 1
model name\t: some other core
"""
SAPPHIRE = """model name\t: Intel(R) Xeon(R) Platinum 8480C
cpu family\t: 6
model\t\t: 143
flags\t\t: avx avx2 fma avx512f avx512bw avx512_bf16 amx_bf16 amx_tile
"""


def test_the_machine_line_names_the_cpu_and_its_vector_extensions():
    common = _common()
    assert common.cpu_description(ZEN3) == (
        "AMD EPYC (family 25, model 1): AVX2, FMA; no AVX-512, AVX512_BF16, AMX"
    )
    assert common.cpu_description(SAPPHIRE) == (
        "Intel(R) Xeon(R) Platinum 8480C (family 6, model 143): "
        "AVX2, FMA, AVX-512, AVX512_BF16, AMX"
    )
    line = common.machine()
    assert "cores" in line and "TensorFlow" in line and ":" in line.split(";")[0]
