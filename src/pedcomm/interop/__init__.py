"""Conversions between the pedcomm standard and the software sites use: REDCap, REFI-QDA (NVivo,
ATLAS.ti, MAXQDA, QualCoder), SPSS, Stata and Parquet.

Every conversion is generated from the Table Schemas (titles, enumLabels, constraints, declared
missing values), so none of them can drift from the standard. Heavy libraries (pyreadstat,
pyarrow, defusedxml) are imported inside the functions that need them.
"""
