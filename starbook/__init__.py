"""starbook: 星级党支部评定 in Excel, with the rules in one pure core."""
__version__ = "0.1.0"
