"""Build the one compiled part: the journald/klog line scanner (everything else is pyproject)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("multus_forensics._rscan", sources=["multus_forensics/_rscan.c"], extra_compile_args=["-O3", "-Wall", "-Wextra", "-Wno-missing-field-initializers"]),
        Extension(
            "multus_forensics._kscan",
            sources=["multus_forensics/_kscan.c"],
            extra_compile_args=["-O3", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
        )
    ]
)
