"""Render resources/icons/crm.svg into the Windows executable's icon (.ico) and a PNG preview,
with Qt's own SVG renderer and ICO writer, so the build needs no other tool."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer


def render(svg: Path, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    return image


def main(svg: Path, out_dir: Path) -> int:
    QGuiApplication.instance() or QGuiApplication(["make_icon", "-platform", "offscreen"])
    out_dir.mkdir(parents=True, exist_ok=True)
    if not render(svg, 256).save(str(out_dir / "crm.png")):
        return 1
    # Qt's ICO writer stores one image per file; the largest is what Windows scales from.
    return 0 if render(svg, 256).save(str(out_dir / "crm.ico")) else 1


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
