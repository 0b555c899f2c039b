"""Images as buyers (and attackers) send them, made in the test: phone photos with GPS, bombs."""
import struct
import io
import zlib

from PIL import ExifTags, Image


def encoded(image, fmt, **options):
    data = io.BytesIO()
    image.save(data, fmt, **options)
    return data.getvalue()


def phone_photo_with_gps_and_rotation():
    """A JPEG as a phone writes it: where it was taken, and 'rotate 90°' instead of rotated pixels."""
    image = Image.new("RGB", (80, 40), "orange")
    exif = image.getexif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Model] = "Buyer's phone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 20.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 9.0, 45.0)
    return encoded(image, "JPEG", exif=exif)


def png_declaring(width, height):
    """A tiny PNG whose header claims `width` x `height`: a decompression bomb's shape."""
    data = encoded(Image.new("L", (1, 1)), "PNG")
    start = data.index(b"IHDR")
    header = struct.pack(">II", width, height) + data[start + 12:start + 17]
    chunk = b"IHDR" + header
    return data[:start] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[start + 21:]
