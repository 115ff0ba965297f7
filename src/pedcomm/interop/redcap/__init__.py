"""REDCap: the data dictionary, project XML, and imports of records exports."""
