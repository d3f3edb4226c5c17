"""Pretext tasks, one class per file, and their registry."""

from .base import PretextTask
from .inpainting import InpaintingTask
from .rotation import RotationTask
from .structure import StructureTask
from .supervised import SupervisedTask

PRETEXT_TASKS: dict[str, type[PretextTask]] = {
    RotationTask.name: RotationTask,
    InpaintingTask.name: InpaintingTask,
    StructureTask.name: StructureTask,
    SupervisedTask.name: SupervisedTask,  # the supervised reference (labels of the pretraining set), not a pretext task
}


def build_task(name: str, **options) -> PretextTask:
    from ..errors import bad_input
    if name not in PRETEXT_TASKS:
        raise bad_input(f"Unknown pretext task {name!r}; use one of {', '.join(PRETEXT_TASKS)}.")
    return PRETEXT_TASKS[name](**options)


__all__ = ["PRETEXT_TASKS", "PretextTask", "build_task"]
