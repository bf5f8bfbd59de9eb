"""`fovkit predict`: a classifier's predictions on a folder of images or a stored dataset, as one Parquet file."""

from fovkit.predict.run import PredictResult, predict
from fovkit.predict.sources import open_source
from fovkit.predict.writer import read_metadata

__all__ = ["PredictResult", "open_source", "predict", "read_metadata"]
