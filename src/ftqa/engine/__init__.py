"""The engine: checkers' map steps run by an executor, their reduce steps, and the report."""

from ftqa.engine.inputs import Inputs, ProgressHook
from ftqa.engine.run import Executor, run

__all__ = ["Executor", "Inputs", "ProgressHook", "run"]
