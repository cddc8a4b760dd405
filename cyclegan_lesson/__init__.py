"""cyclegan-lesson: the package behind the CycleGAN notebooks.

Modules, in the order data flows: ``config`` (one dataclass, named profiles) -> ``data`` and
``toy`` (input pipelines) -> ``models`` and ``losses`` -> ``viz`` (pictures and widgets) ->
``cli`` (the ``cyclegan-lesson`` command).
"""

__version__ = "0.1.0"
