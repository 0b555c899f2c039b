"""Buyers' photos: only real images are kept, re-encoded without metadata, behind signed URLs."""
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image

from shopbot.desk.photo_store import DirectoryPhotoStore, new_key
from shopbot.desk.photos import MAX_BYTES, PhotoRefused, clean_photo
from shopbot.desk.signing import photo_signature, photo_url_valid
from tests.photo_samples import encoded, phone_photo_with_gps_and_rotation, png_declaring


def test_a_phone_photo_is_kept_upright_and_without_its_location_or_any_metadata():
    original = phone_photo_with_gps_and_rotation()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "precondition: GPS inside"
    photo = clean_photo(original)
    kept = Image.open(io.BytesIO(photo.jpeg))
    assert kept.format == "JPEG" and kept.size == (40, 80) == photo.size  # turned as the phone meant
    assert not kept.getexif() and b"Exif" not in photo.jpeg and b"GPS" not in photo.jpeg
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) <= 320


def test_words_hidden_in_a_jpeg_comment_or_a_png_text_are_not_kept():
    secret = b"GPS 30.25N serial SN-XYZ <script>"
    for original in (encoded(Image.new("RGB", (32, 32), "red"), "JPEG", comment=secret),
                     encoded(Image.new("RGB", (32, 32), "red"), "PNG", pnginfo=_png_text(secret))):
        assert secret in original, "precondition: the words are in the upload"
        photo = clean_photo(original)
        for kept in (photo.jpeg, photo.thumbnail):
            assert secret not in kept and b"\xff\xfe" not in kept  # no comment marker at all


def _png_text(text):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("comment", text.decode())
    return info


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF", "MPO"])
def test_png_webp_heic_and_a_phones_mpo_are_accepted_and_kept_as_jpeg(fmt):
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    image = Image.new("RGB", (64, 48), "green")
    options = {"save_all": True, "append_images": [Image.new("RGB", (64, 48), "gray")]} if fmt == "MPO" else {}
    photo = clean_photo(encoded(image, fmt, **options))
    assert Image.open(io.BytesIO(photo.jpeg)).format == "JPEG" and photo.size == (64, 48)


def test_a_large_photo_is_scaled_down_for_keeping():
    photo = clean_photo(encoded(Image.new("RGB", (4000, 3000), "white"), "JPEG"))
    assert max(photo.size) == 2048


@pytest.mark.parametrize("data, said", [
    (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "打不开"),  # a document renamed .jpg
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>', "打不开"),
    (b"GIF89a" + encoded(Image.new("P", (4, 4)), "GIF")[6:], "格式"),  # an image, but not a photo format
    (b"", "空的"),
    (png_declaring(9000, 9000), "尺寸太大"),  # over our 50 MP, under Pillow's own limit
    (png_declaring(7000, 7000), "尺寸太大"),  # a PNG decodes whole: 49 MP would take gigabytes
    (png_declaring(30000, 30000), "尺寸太大"),  # over Pillow's limit: refused while reading the header
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "打不开"),  # a JPEG's first bytes, then nothing
])
def test_what_is_not_a_photo_is_refused_with_a_message_for_the_buyer(data, said):
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(data)
    assert said in refused.value.buyer_message and refused.value.buyer_message.startswith("亲")


def test_a_file_over_the_limit_is_refused_before_it_is_decoded():
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(b"\xff\xd8" + bytes(MAX_BYTES))
    assert "10MB" in refused.value.buyer_message


def test_photos_are_stored_under_random_keys_only(tmp_path):
    store = DirectoryPhotoStore(tmp_path)
    key = new_key()
    store.put(key, "photo", b"jpeg bytes")
    assert store.get(key, "photo") == b"jpeg bytes" and store.get(key, "thumb") is None
    assert [p.name for p in tmp_path.rglob("*")] == [key[:2], f"{key}.photo.jpg"]
    for hostile in ("../../etc/passwd", "g" * 32, key + "/..", key.upper(), ""):
        assert store.get(hostile, "photo") is None
        with pytest.raises(ValueError):
            store.put(hostile, "photo", b"x")
    store.delete(key)
    assert store.get(key, "photo") is None


def test_a_photo_url_is_good_until_it_expires_and_only_for_its_own_photo_variant_and_viewer():
    key, other = new_key(), new_key()
    signature = photo_signature(key, "thumb", "chat:c1", 2_000, "secret")

    def valid(key=key, variant="thumb", viewer="chat:c1", expires="2000", signature=signature,
              secret="secret", now=1_999):
        return photo_url_valid(key, variant, viewer, expires, signature, secret, now=now)

    assert valid()
    assert not valid(now=2_001)  # expired
    assert not valid(key=other)  # another photo
    assert not valid(variant="photo")  # the thumbnail's URL does not open the photo
    assert not valid(viewer="chat:c2")  # another buyer's chat
    assert not valid(expires=3_000)  # the expiry moved
    assert not valid(secret="another secret")
    assert not valid(expires="soon")
    far = photo_signature(key, "thumb", "chat:c1", 10 ** 10, "secret")
    assert not valid(expires=10 ** 10, signature=far)  # signed, but for longer than a URL may live
