"""Byte-level readers of image containers, shared by the loader and the provenance parsers.

``jpeg.segments`` walks JPEG marker segments; ``tiff.TiffReader`` reads TIFF image file directories
(a TIFF file, or the EXIF block inside a JPEG, PNG or WebP). Both only read: every count and offset
is checked against the bytes, nothing raises on a damaged file, and no pixel is decoded.
"""
