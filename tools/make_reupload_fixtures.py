"""Rebuild tests/fixtures/reupload/: downscaled real photos for the re-upload robustness set.

Sources are registry packages, unpacked by hand first (nothing is fetched here):

    apt-get download lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds opencv-doc
    for d in *.deb; do mkdir -p x/${d%%_*}; dpkg-deb -x $d x/${d%%_*}; done
    python tools/make_reupload_fixtures.py --debs x --shared ../shared/data

Each photo is reduced to at most 640 px on its longer side and stored as JPEG quality 90, so the
repository carries small copies only. Attribution: tests/fixtures/SOURCES.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageOps

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reupload"
MAX_SIDE = 640

LOMIRI16 = "lomiri-wallpapers-16.04/usr/share/backgrounds"
LOMIRI20 = "lomiri-wallpapers-20.04/usr/share/backgrounds"
MATE = "mate-backgrounds/usr/share/backgrounds/mate/nature"
OCV = "opencv-doc/usr/share/doc/opencv-doc/examples/data"
HFS = "opencv-doc/usr/share/doc/opencv-doc/examples/hfs/data"

#: fixture name -> (origin, path below it)
SOURCES: dict[str, tuple[str, str]] = {
    **{n: ("shared", f"{n}.jpg") for n in ("obama", "obama2", "obama3", "obama_partial_face", "biden",
                                           "grace_hopper", "rocket", "china", "flower", "hubble_deep_field",
                                           *(f"group_photo_{i}" for i in range(1, 7)))},
    **{n: ("shared", f"{n}.png") for n in ("astronaut", "chelsea", "coffee", "camera", "motorcycle_left")},
    "lomiri_aitzgorri": ("debs", f"{LOMIRI16}/aitzgorri_by_Aitzol_Berasategi.jpg"),
    "lomiri_bridge": ("debs", f"{LOMIRI16}/Bridge_by_Sander_Klootwijk.jpg"),
    "lomiri_dragonfly": ("debs", f"{LOMIRI16}/Dragonfly_by_Bolly.jpg"),
    "lomiri_friends": ("debs", f"{LOMIRI16}/friends_by_Aitzol_Berasategi.jpg"),
    "lomiri_sunset": ("debs", f"{LOMIRI16}/sunset_by_Aitzol_Berasategi.jpg"),
    "lomiri_picosdeeuropa": ("debs", f"{LOMIRI16}/picosdeeuropa_by_Aitzol_Berasategi.jpg"),
    "lomiri_wine": ("debs", f"{LOMIRI16}/Wine_by_Jakkub_Mede.jpg"),
    "lomiri_greentock": ("debs", f"{LOMIRI16}/greentock_by_Peter_Nerlich.jpg"),
    "lomiri_free": ("debs", f"{LOMIRI16}/free_by_Peter_Nerlich.jpg"),
    "lomiri_life": ("debs", f"{LOMIRI16}/life_by_Aitzol_Berasategi.jpg"),
    "lomiri_picture0b": ("debs", f"{LOMIRI16}/Picture_0B_by_freespace.jpg"),
    "lomiri_picture1a": ("debs", f"{LOMIRI16}/Picture_1A_by_freespace.jpg"),
    "lomiri_seeding": ("debs", f"{LOMIRI16}/seeding_by_Clements_Engelhardt.jpg"),
    "lomiri_fossa": ("debs", f"{LOMIRI20}/Fossa_by_Jasper_Roks.jpg"),
    "lomiri_kleiber": ("debs", f"{LOMIRI20}/Kleiber_by_Lukas_Baubkus.jpg"),
    **{f"mate_{n.lower()}": ("debs", f"{MATE}/{n}.jpg")
       for n in ("Garden", "LadyBird", "Dune", "Storm", "Wood", "Aqua", "TwoWings", "GreenMeadow", "RainDrops",
                 "Blinds", "FreshFlower", "YellowFlower")},
    **{f"opencv_{n.lower()}": ("debs", f"{OCV}/{n}.jpg")
       for n in ("fruits", "baboon", "building", "messi5", "aloeL", "aloeR", "home", "butterfly", "leuvenA",
                 "leuvenB", "aero1", "aero3", "orange", "apple", "squirrel_cls", "board", "starry_night",
                 "pca_test1", "licenseplate_motion")},
    **{f"opencv_{n.lower()}": ("debs", f"{OCV}/{n}.png")
       for n in ("basketball1", "basketball2", "graf1", "graf3", "box_in_scene", "smarties", "rubberwhale1")},
    "opencv_chicky_512": ("debs", f"{OCV}/chicky_512.png"),
    **{f"hfs_{n}": ("debs", f"{HFS}/{n}.jpg") for n in ("000", "001", "002")},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--debs", type=Path, required=True, help="folder with the unpacked .deb trees")
    ap.add_argument("--shared", type=Path, required=True, help="the shared test-image folder")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    roots = {"debs": args.debs, "shared": args.shared}
    for name, (origin, rel) in sorted(SOURCES.items()):
        im = ImageOps.exif_transpose(Image.open(roots[origin] / rel))
        if im.mode in ("RGBA", "LA", "P"):
            im = im.convert("RGBA")
            base = Image.new("RGBA", im.size, (255, 255, 255, 255))
            base.alpha_composite(im)
            im = base
        im = im.convert("RGB")
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        im.save(OUT / f"{name}.jpg", "JPEG", quality=90)


if __name__ == "__main__":
    main()
