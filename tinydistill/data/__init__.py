"""Data in: built-in datasets, user CSVs, windows, splits and normalization, recorded streams."""
