"""Asset labels: the sheets schools buy (Avery L7160, L7163, L7651) and a single label for a roll printer.

Each label carries the asset tag, the school's name and a QR code of the asset page's address;
a phone's camera opens that page (the sign-in page first for anyone not signed in). This module
knows the layouts, places labels on sheets, draws the QR codes, renders the sheet document
(documents/label_sheet.html: HTML with mm positions) and turns it into the PDF (`pdf()`), so the
geometry lives here once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import segno

from services.assets.errors import AssetError

# A run of labels stops here: 30 sheets of L7160 (a pack), and a PDF that renders in seconds.
MAX_LABELS = 630


@dataclass(frozen=True)
class Layout:
    key: str
    name: str
    page_width: float          # mm
    page_height: float
    label_width: float
    label_height: float
    columns: int
    rows: int
    top: float = 0.0           # the sheet's margins and the gaps between labels, as the maker gives them
    left: float = 0.0
    column_gap: float = 0.0
    row_gap: float = 0.0
    school_name: bool = True   # the smallest labels have room for the tag and the QR code only
    tag_pt: float = 12         # the tag's type size, as large as a usual tag (OAK-00123) fits beside the QR code

    PADDING = 1.5              # mm inside each label's edge, and between the QR code and the words

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    @property
    def qr_size(self) -> float:
        """The QR code's side in mm: the label's height, unless that leaves the words too little width."""
        return round(min(self.label_height - 2 * self.PADDING, self.label_width * 0.45), 2)

    @property
    def tag_chars(self) -> int:
        """How many characters of the tag fit on one line; a longer tag wraps (bold glyphs ~0.7 em, 1 pt 0.353 mm)."""
        words_width = self.label_width - 3 * self.PADDING - self.qr_size
        return int(words_width / (0.7 * self.tag_pt * 0.353))

    def position(self, index: int) -> tuple[float, float]:
        """Where the `index`-th label of a sheet sits: (left, top) in mm from the page's corner."""
        row, column = divmod(index, self.columns)
        return (round(self.left + column * (self.label_width + self.column_gap), 2),
                round(self.top + row * (self.label_height + self.row_gap), 2))


# Avery's published sheet geometry (A4, 210 × 297 mm); the margins centre the grid on the page.
LAYOUTS = {layout.key: layout for layout in (
    Layout("l7160", "Avery L7160: 21 a sheet, 63.5 × 38.1 mm", 210, 297, 63.5, 38.1, 3, 7,
           top=15.15, left=7.25, column_gap=2.5),
    Layout("l7163", "Avery L7163: 14 a sheet, 99.1 × 38.1 mm", 210, 297, 99.1, 38.1, 2, 7,
           top=15.15, left=4.65, column_gap=2.5, tag_pt=16),
    Layout("l7651", "Avery L7651: 65 a sheet, 38.1 × 21.2 mm (tag and QR code only)", 210, 297, 38.1, 21.2, 5, 13,
           top=10.7, left=4.75, column_gap=2.5, school_name=False, tag_pt=7),
    Layout("single", "One label, 62 × 29 mm (Brother or Dymo roll)", 62, 29, 62, 29, 1, 1),
)}
DEFAULT_LAYOUT = "l7160"


def layout_named(key: str | None, default: str = DEFAULT_LAYOUT) -> Layout:
    """The layout a query string names; an unknown one is the person's mistake, said beside the field."""
    key = (key or default).strip().lower()
    if key not in LAYOUTS:
        raise AssetError("Choose one of the label layouts offered.", "layout")
    return LAYOUTS[key]


def qr_for(url: str) -> segno.QRCode:
    """The QR code printed for an asset's address. Error level M survives a scuffed label."""
    return segno.make_qr(url, error="m")


@dataclass(frozen=True)
class Label:
    tag: str
    school: str
    url: str

    @property
    def qr(self) -> segno.QRCode:
        return qr_for(self.url)

    def qr_image(self) -> str:
        """The QR code as an SVG data URI, with a narrow quiet zone: the label's own white margin adds to it."""
        return self.qr.svg_data_uri(border=2, scale=4)


@dataclass(frozen=True)
class Placed:
    label: Label
    left: float
    top: float


def sheets(labels: list[Label], layout: Layout) -> list[list[Placed]]:
    """The labels placed on as many sheets as they fill, in order, row by row."""
    if len(labels) > MAX_LABELS:
        raise AssetError(f"At most {MAX_LABELS} labels can be printed at once: narrow the filters.", "layout")
    pages: list[list[Placed]] = []
    for start in range(0, len(labels), layout.per_sheet):
        chunk = labels[start:start + layout.per_sheet]
        pages.append([Placed(label, *layout.position(i)) for i, label in enumerate(chunk)])
    return pages


def sheet_html(sheets, layout: Layout) -> str:
    """The sheets as the HTML document WeasyPrint prints. A document, not a page: it lives beside
    this module (documents/), is never served to a browser, and so keeps its own style."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "documents"),
                              autoescape=select_autoescape(["html"]))
    return environment.get_template("label_sheet.html").render(sheets=sheets, layout=layout)


def pdf(html: str) -> bytes:
    """The rendered sheet as a PDF. WeasyPrint is imported here: only label runs need pango."""
    import logging
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # seven INFO lines a sheet otherwise

    from weasyprint import HTML
    from weasyprint.urls import URLFetcher
    # A sheet is self-contained (its QR codes are data URIs): nothing is fetched from anywhere else.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
