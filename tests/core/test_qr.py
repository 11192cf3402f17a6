"""The one QR helper: segno's symbols, with the data mask chosen faster but identically."""

import io
import random
import string

import segno
import zxingcpp
from PIL import Image

from coopculture.core import qr


def test_the_printed_address_breaks_only_before_a_dot_or_after_a_slash():
    """Never inside a word someone has to type: each piece is kept whole."""
    html = str(qr.display_html("https://culture-coop.example.org/l/k7mn3vc"))
    assert html == (
        '<span class="nowrap">culture-coop</span><wbr><span class="nowrap">.example</span>'
        '<wbr><span class="nowrap">.org/</span><wbr><span class="nowrap">l/k7mn3vc</span>'
    )
    assert str(qr.display_html("http://localhost:8000")) == (
        '<span class="nowrap">localhost:8000</span>'
    )


ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
HOSTS = [
    "culture-coop.example.org",
    "culture-coop.federation-des-cooperatives-hlm.example.fr",
    "testserver",
    "localhost:8000",
]


def addresses(count: int, seed: int) -> list[str]:
    """Short links as the kit prints them, and arbitrary texts of every length up to the
    size of a version 17 symbol (some of them need eight or more alignment patterns)."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        code = "".join(rng.choice(ALPHABET) for _ in range(7))
        found.append(f"https://{rng.choice(HOSTS)}/l/{code}")
        length = rng.randint(1, 400)
        found.append("".join(rng.choice(string.printable) for _ in range(length)))
    return found


def test_the_mask_and_every_module_are_segnos_own():
    """segno scores the eight masks itself when none is given: the symbols must be equal,
    mask included, or a printed code would differ from the standard's choice."""
    for data in addresses(150, seed=18004):
        reference = segno.make_qr(data, error="q", boost_error=False)
        ours = qr.make(data)
        assert (ours.version, ours.error, ours.mask) == (
            reference.version,
            reference.error,
            reference.mask,
        ), data
        assert ours.matrix == reference.matrix, data
    masks = {qr.make(data).mask for data in addresses(60, seed=7)}
    assert len(masks) >= 6, masks  # the comparison saw most of the eight masks chosen


def test_the_png_scans_back_to_its_address():
    """A phone's reader gets the exact address back from the image we print."""
    url = "https://culture-coop.example.org/l/k7mn3vc"
    with Image.open(io.BytesIO(qr.png(url, scale=4))) as image:
        decoded = [code.text for code in zxingcpp.read_barcodes(image)]
    assert decoded == [url]
