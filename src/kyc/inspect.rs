//! The checks a spooled upload passes before it is kept: images must decode
//! within the dimension limit (and are re-encoded for display, which drops
//! EXIF and anything else riding along); PDFs must be whole and carry no
//! scripts, launch actions or embedded files. Runs on a blocking thread.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::pdf_scan::Verdict;
use crate::domain::kyc::{FileKind, UploadError, UploadLimits};

/// The most memory one image may decode into (width × height × channels ×
/// bytes per sample): a 24-megapixel photo with an alpha channel, with room
/// to spare. Checked from the file's header before anything is decoded, so a
/// small file that would expand to hundreds of MiB is refused cheaply.
pub const MAX_DECODED_BYTES: u64 = 96 * 1024 * 1024;

/// What the checks found: for images, the re-encoded copy shown back.
pub struct Inspected {
    pub preview: Option<Vec<u8>>,
}

pub fn inspect(path: &Path, kind: FileKind, limits: &UploadLimits) -> Result<Inspected, UploadError> {
    if kind.is_image() {
        image_preview(path, limits).map(|p| Inspected { preview: Some(p) })
    } else {
        check_pdf(path)?;
        Ok(Inspected { preview: None })
    }
}

/// The cheap part, before an upload waits for a decoding slot: an image's
/// header states dimensions within the limits and a decoded size within the
/// budget (a bomb is refused here at once, without waiting behind real work).
pub fn precheck(path: &Path, kind: FileKind, limits: &UploadLimits) -> Result<(), UploadError> {
    if kind.is_image() {
        image_header(path, limits)
    } else {
        Ok(())
    }
}

fn image_header(path: &Path, limits: &UploadLimits) -> Result<(), UploadError> {
    // The header alone: a PNG claiming 65535×65535 is refused before
    // anything is allocated for it.
    let mut head = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).map_err(|_| UploadError::Corrupt)?;
    let (w, h, per_pixel) = header_dimensions(&head[..n]).ok_or(UploadError::Corrupt)?;
    if w == 0 || h == 0 || w > limits.max_side || h > limits.max_side {
        return Err(UploadError::BadDimensions);
    }
    if u64::from(w) * u64::from(h) * per_pixel > MAX_DECODED_BYTES {
        return Err(UploadError::TooManyPixels);
    }
    Ok(())
}

fn image_preview(path: &Path, limits: &UploadLimits) -> Result<Vec<u8>, UploadError> {
    let open = || image::ImageReader::open(path).and_then(|r| r.with_guessed_format()).map_err(|_| UploadError::Corrupt);
    image_header(path, limits)?;
    let mut reader = open()?;
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    // The decoder's own bound, in case a header understated what follows.
    l.max_alloc = Some(MAX_DECODED_BYTES + 16 * 1024 * 1024);
    reader.limits(l);
    let img = reader.decode().map_err(|_| UploadError::Corrupt)?;
    let small = img.thumbnail(1600, 1600).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&small).map_err(|_| UploadError::Corrupt)?;
    Ok(out.into_inner())
}

/// Width, height and decoded bytes per pixel as the file's header states
/// them (PNG IHDR: colour type and bit depth, a palette counted as RGBA, what
/// it decodes to; JPEG SOFn: components and precision).
pub fn header_dimensions(head: &[u8]) -> Option<(u32, u32, u64)> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        let be = |i: usize| head.get(i..i + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if head.get(12..16)? != b"IHDR" {
            return None;
        }
        let (depth, colour) = (*head.get(24)?, *head.get(25)?);
        let channels: u64 = match colour {
            0 => 1,
            2 => 3,
            3 | 6 => 4,
            4 => 2,
            _ => return None,
        };
        return Some((be(16)?, be(20)?, channels * if depth == 16 { 2 } else { 1 }));
    }
    let mut i = 2;
    while i + 9 < head.len() {
        if head[i] != 0xFF {
            return None;
        }
        let marker = head[i + 1];
        let len = u16::from_be_bytes([head[i + 2], head[i + 3]]) as usize;
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let h = u16::from_be_bytes([head[i + 5], head[i + 6]]) as u32;
            let w = u16::from_be_bytes([head[i + 7], head[i + 8]]) as u32;
            let precision = if head[i + 4] > 8 { 2 } else { 1 };
            // Grey, colour or CMYK: anything else is no photo we decode (and
            // is decoded to RGB at least).
            let components = match *head.get(i + 9)? {
                1 | 3 => 3,
                4 => 4,
                _ => return None,
            };
            return Some((w, h, components * precision));
        }
        i += 2 + len;
    }
    None
}

fn check_pdf(path: &Path) -> Result<(), UploadError> {
    let mut file = std::fs::File::open(path).map_err(|_| UploadError::Corrupt)?;
    let len = file.metadata().map_err(|_| UploadError::Corrupt)?.len();
    // The last 64 KiB: some office scanners pad a file with thousands of NULs.
    let mut tail = vec![0u8; len.min(64 * 1024) as usize];
    file.seek(SeekFrom::End(-(tail.len() as i64))).map_err(|_| UploadError::Corrupt)?;
    file.read_exact(&mut tail).map_err(|_| UploadError::Corrupt)?;
    // Whole means it ends with `%%EOF`, then only PDF whitespace (NUL, tab,
    // line ends, form feed, space) or a DOS end-of-file mark: an earlier
    // `%%EOF` followed by a cut-off incremental update is not whole.
    let end = tail.iter().rposition(|b| !b"\0\t\n\x0b\x0c\r \x1a".contains(b)).map_or(0, |i| i + 1);
    if !tail[..end].ends_with(b"%%EOF") {
        return Err(UploadError::Corrupt);
    }
    file.seek(SeekFrom::Start(0)).map_err(|_| UploadError::Corrupt)?;
    match super::pdf_scan::scan(BufReader::new(file)).map_err(|_| UploadError::Corrupt)? {
        Verdict::Clean => Ok(()),
        Verdict::Active => Err(UploadError::ActivePdf),
        Verdict::Unreadable => Err(UploadError::Corrupt),
    }
}

#[cfg(test)]
mod tests {
    use super::header_dimensions;

    #[test]
    fn a_jpeg_header_with_a_component_count_no_photo_has_is_refused() {
        // Found by the `image_header` fuzz target: ten components.
        assert_eq!(header_dimensions(&[255, 253, 255, 192, 13, 14, 255, 216, 255, 10, 10, 10, 10]), None);
        // Colour, 8 bits: three bytes a pixel.
        assert_eq!(header_dimensions(&[255, 216, 255, 192, 0, 17, 8, 0, 16, 0, 32, 3, 1]), Some((32, 16, 3)));
        // A PNG's colour type and depth: RGBA 16-bit is eight.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend([0, 0, 0, 4, 0, 0, 0, 2, 16, 6, 0, 0, 0]);
        assert_eq!(header_dimensions(&png), Some((4, 2, 8)));
    }
}
