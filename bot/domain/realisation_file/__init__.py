"""Realisations from a file, for admins whose PICs send Excel (README «Realisasi dari berkas»).

- template.py writes the sheet of every item due in a quarter, worded as /lapor asks it;
- reader.py reads the filled sheet (its own layout, MARKER in A1) or the JSON form into entries,
  each with its place (a row, a JSON path), under the plan importer's limits for untrusted files;
- store.py checks every entry against the plan and the reporter and stores them through
  bot.domain.reporting.save_report, all or nothing.
"""
