"""cyclegan-lesson: the package behind the CycleGAN notebooks.

Modules, in the order data flows (``docs/overview.md`` is the map): ``config`` (one dataclass,
named profiles) -> ``data`` and ``toy`` (input pipelines) -> ``models`` (pix2pix's networks,
the paper's ResNet) and ``losses`` -> ``step`` (the CycleGAN update), ``training`` (the loop)
with ``callbacks`` and ``runs`` (the run folder) -> ``inference`` and ``evaluation``; ``viz``
draws, ``speedups`` makes the default step fast, ``cli`` is the ``cyclegan-lesson`` command.
"""

__version__ = "0.1.0"
