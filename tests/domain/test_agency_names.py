"""When a plan file's title names the agency an admin acts in (bot.domain.agencies `same_agency_name`)."""

import pytest

from bot.domain.agencies import same_agency_name


@pytest.mark.parametrize(("a", "b"), [
    ("BKD", "Badan Kepegawaian Daerah"),  # the initials of a one-word name
    ("BKD", "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"),
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"),  # «dan» has no letter in it
    ("Badan  kepegawaian daerah", "BADAN KEPEGAWAIAN DAERAH KAB. GRESIK"),  # case, spacing, «Kab.»
    ("Dinas Sosial", "DINAS SOSIAL KABUPATEN GRESIK"),  # the region left out on one side
    ("Dinas Tata Kota", "Dinas Tata Kota Kabupaten Gresik"),  # «Kota» in the name is no region
])
def test_the_same_opd_written_two_ways(a, b):
    assert same_agency_name(a, b) and same_agency_name(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("DINAS KESEHATAN KABUPATEN GRESIK", "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"),
    ("Dinas Sosial Kabupaten Gresik", "Dinas Sosial Kabupaten Sidoarjo"),  # two regions
    ("Dinas Sosial Kabupaten Gresik", "Dinas Sosial Kota Gresik"),
    ("Dinas Kesehatan", "Dinas Kesehatan Pengendalian Penduduk dan Keluarga Berencana"),  # no prefix match
    ("BKD", "DKB"), ("BKD", ""),
])
def test_two_opd(a, b):
    assert not same_agency_name(a, b) and not same_agency_name(b, a)
