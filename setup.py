"""Build the one compiled part: the journald/klog line scanner (everything else is pyproject).

The extension is optional: without a working C compiler the build warns once and the package
installs without it; at run time ``multus_forensics._native`` then selects the pure-Python
paths (same results, slower on large journals) and says so.
"""

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """``build_ext`` that turns a failed compile into one warning instead of a failed install."""

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # CompileError, LinkError, missing compiler: all mean "no C"
            print(
                f"WARNING: multus-forensics: could not build {ext.name} ({exc}); installing "
                "without it: the pure-Python paths give the same results, large journals parse "
                "slower. Install a C compiler and Python headers, then reinstall, to get it.",
                file=sys.stderr,
            )


setup(
    cmdclass={"build_ext": OptionalBuildExt},
    ext_modules=[
        Extension(
            f"multus_forensics.{name}",
            sources=[f"multus_forensics/{name}.c"],
            depends=["multus_forensics/_scan_shared.h"],
            extra_compile_args=["-O3", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
            optional=True,
        )
        for name in ("_kscan", "_rscan")
    ],
)
