"""Reading a signed plan (text or xlsx) and merging it into the database."""

from pathlib import Path

# The signed 2020 plan of BKD Kabupaten Gresik, shipped as the sample plan (quirks included).
SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "data" / "rapk-2020-bkd-gresik.txt"
