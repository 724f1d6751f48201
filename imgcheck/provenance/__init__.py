"""Provenance evidence read from an image file's own bytes.

``containers`` walks JPEG/PNG/WebP/TIFF structure and pulls out metadata blocks (EXIF, XMP, PNG text,
comments) under hard caps; ``exif`` and ``xmp`` read the few fields that matter; ``generators`` turns
text fields into named-generator findings; ``c2pa_manifest`` reads signed C2PA manifests; ``stealth``
reads text hidden in PNG alpha bits. (The invisible dwtDct watermark decoder is ``imgcheck.watermark``:
it reads pixels, not the file's structure.) Everything here is pure (bytes or pixels in, frozen results out) and never raises for malformed metadata: a hostile file can
at most hide its own metadata.
"""
