"""The training gate: launch fine-tuning only on data whose report passed.

    result = ftqa.train("train.jsonl", provider="openai", model="gpt-4o-mini", yes=True)

See `ftqa.train.run.train` for the behaviour, `ftqa.train.gate` for the decision,
`ftqa.train.saved` for saved reports, `ftqa.train.launch` for the launch itself,
`ftqa.train.base` for the provider protocol (entry-point group `ftqa.trainers`) and
`ftqa.train.manifest` for the run manifest. Importing this package does not import any
provider SDK.
"""

from ftqa.train.base import (
    ConfirmationRequired,
    Job,
    LaunchError,
    ProviderUnavailable,
    StagedFile,
    Trainer,
    load_trainer,
)
from ftqa.train.fingerprint import config_fingerprint
from ftqa.train.gate import DiscoveredConfigRefused, GateDecision, TrainingRefused, decide
from ftqa.train.launch import Launch, TrainResult
from ftqa.train.manifest import RunManifest, read_manifest
from ftqa.train.plan import Plan
from ftqa.train.run import prepare, train
from ftqa.train.saved import StaleReport, load_report, verify_report, verify_reproduced

__all__ = [
    "ConfirmationRequired",
    "DiscoveredConfigRefused",
    "GateDecision",
    "Job",
    "Launch",
    "LaunchError",
    "Plan",
    "ProviderUnavailable",
    "RunManifest",
    "StagedFile",
    "StaleReport",
    "TrainResult",
    "Trainer",
    "TrainingRefused",
    "config_fingerprint",
    "decide",
    "load_report",
    "load_trainer",
    "prepare",
    "read_manifest",
    "train",
    "verify_report",
    "verify_reproduced",
]
