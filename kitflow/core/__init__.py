"""The pure core: parsing, reconciling and deciding, with no Prefect, no files and no clock."""
