"""Datasets, splits and the calibration set, saved with each build so later steps need no loader."""

from edgenn.data.splits import Dataset, load_build_data, load_dataset, save_build_data

__all__ = ["Dataset", "load_dataset", "load_build_data", "save_build_data"]
